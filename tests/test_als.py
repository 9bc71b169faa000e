"""ALS: every row solve against the dense least-squares solution of that row's stacked problem, and
what exact block minimisation implies for the loss."""

import numpy as np
import pytest

from adago import model
from adago.optimizers import ConfigError, TrainConfig
from adago.optimizers.als import cholesky_solve
from test_model import N_ITEMS, N_USERS, REG, make_run, random_params, tiny_ratings


def lstsq_row(X, t, lam):
    """argmin_w |X w - t|^2 + lam |w|^2, as the least-squares solution of [X; sqrt(lam) I] w = [t; 0]."""
    A = np.vstack([X, np.sqrt(lam) * np.eye(X.shape[1])])
    b = np.concatenate([t, np.zeros(X.shape[1])])
    return np.linalg.lstsq(A, b, rcond=None)[0]


@pytest.mark.parametrize("use_bias", [False, True])
@pytest.mark.parametrize("weighted", [True, False])
def test_every_row_solve_equals_the_dense_least_squares_solution(use_bias, weighted):
    users, items, ratings = train = tiny_ratings(n=12)
    params = random_params(use_bias=use_bias)
    P0, Q0, bu0, bi0, mu = params
    run = make_run(train, use_bias=use_bias, params=params, method="als", weighted_reg=weighted)
    run._epoch_full(1)  # user sweep with Q0, then item sweep with the new P
    P1, Q1 = run.U[:, 0], run.V[:, 0]
    bu1, bi1 = (run.BU[:, 0], run.BV[:, 0]) if use_bias else (None, None)
    ones = lambda n: np.ones((n, 1))  # noqa: E731
    for u in range(N_USERS):
        k = users == u
        if not k.any():
            np.testing.assert_array_equal(P1[u], P0[u])  # no ratings: untouched
            continue
        X = np.hstack([Q0[items[k]], ones(k.sum())]) if use_bias else Q0[items[k]]
        t = ratings[k] - (mu + bi0[items[k]] if use_bias else 0.0)
        w = lstsq_row(X, t, REG * k.sum() if weighted else REG)
        np.testing.assert_allclose(np.append(P1[u], bu1[u]) if use_bias else P1[u], w, rtol=0, atol=1e-10)
    for i in range(N_ITEMS):
        k = items == i
        if not k.any():
            np.testing.assert_array_equal(Q1[i], Q0[i])
            continue
        X = np.hstack([P1[users[k]], ones(k.sum())]) if use_bias else P1[users[k]]
        t = ratings[k] - (mu + bu1[users[k]] if use_bias else 0.0)
        w = lstsq_row(X, t, REG * k.sum() if weighted else REG)
        np.testing.assert_allclose(np.append(Q1[i], bi1[i]) if use_bias else Q1[i], w, rtol=0, atol=1e-10)


def test_after_a_user_sweep_the_gradient_of_the_loss_in_every_user_row_is_zero():
    # Weighted lambda is this loss's own regulariser, so the sweep lands on the block minimiser.
    users, items, ratings = train = tiny_ratings(n=12)
    params = random_params(use_bias=True)
    run = make_run(train, use_bias=True, params=params, method="als")
    run._epoch_full(1)
    P1, Q1, bu1, bi1 = run.U[:, 0], run.V[:, 0], run.BU[:, 0], run.BV[:, 0]
    g = model.gradient(P1, Q1, users, items, ratings, REG, bu1, bi1, params[4])
    assert np.abs(g["Q"]).max() < 1e-12 and np.abs(g["bi"]).max() < 1e-12  # items were solved last


def test_cholesky_solve_matches_numpy_on_a_random_spd_matrix():
    rng = np.random.default_rng(3)
    B = rng.normal(size=(7, 7))
    A = B @ B.T + 0.1 * np.eye(7)
    b = rng.normal(size=7)
    work, w = np.zeros((9, 9)), np.zeros(9)  # leading block only: the rest must be ignored
    work[:7, :7], w[:7] = A, b
    cholesky_solve(work, w, 7)
    np.testing.assert_allclose(w[:7], np.linalg.solve(A, b), rtol=1e-12)


def test_a_non_positive_definite_system_gives_nan_not_a_silent_answer():
    w = np.array([1.0, 1.0])
    cholesky_solve(np.array([[1.0, 2.0], [2.0, 1.0]]), w, 2)
    assert np.isnan(w).any()


def test_als_defaults_and_rejections():
    assert TrainConfig(method="als").batch == "full"
    assert "lr" not in TrainConfig(method="als").relevant()
    with pytest.raises(ConfigError, match="batch: method 'als' supports"):
        TrainConfig.from_mapping({"method": "als", "batch": "rating"}, where="h.als")
    with pytest.raises(ConfigError, match="reg: must be > 0 for ALS"):
        TrainConfig.from_mapping({"method": "als", "reg": 0.0}, where="h.als")
