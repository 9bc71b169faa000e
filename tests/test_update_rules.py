"""Adam and the SGD variants, one per-rating epoch against the rules of docs/METHODS.md by hand."""

from __future__ import annotations

import numpy as np
import pytest

from test_model import RANK, REG, make_run, random_params, tiny_ratings

ADAM = dict(lr=0.03, beta1=0.8, beta2=0.95, eps=1e-6)


def _hand_pass(order, params, update):
    """Apply ``update(key, value, gradient, t)`` rating by rating, in the run's shuffled order;
    both rows' gradients are taken at the pre-step values (simultaneous update)."""
    P, Q, bu, bi, mu = (x.copy() if isinstance(x, np.ndarray) else x for x in params)
    counts: dict = {}
    for u, i, r in zip(*order):
        tu = counts[("u", u)] = counts.get(("u", u), 0) + 1
        ti = counts[("i", i)] = counts.get(("i", i), 0) + 1
        p, q = P[u].copy(), Q[i].copy()
        e = r - (mu + bu[u] + bi[i] + p @ q)
        P[u] = update(("P", u), p, REG * p - e * q, tu)
        Q[i] = update(("Q", i), q, REG * q - e * p, ti)
        bu[u] = update(("bu", u), bu[u], REG * bu[u] - e, tu)
        bi[i] = update(("bi", i), bi[i], REG * bi[i] - e, ti)
    return P, Q, bu, bi


def _max_error(run, hand):
    P, Q, bu, bi = hand
    return max(abs(run.U[:, 0, :RANK] - P).max(), abs(run.V[:, 0, :RANK] - Q).max(),
               abs(run.BU[:, 0] - bu).max(), abs(run.BV[:, 0] - bi).max())


def test_one_adam_epoch_matches_hand_computed_moments_with_per_row_bias_correction():
    train, params = tiny_ratings(), random_params(use_bias=True)
    run = make_run(train, use_bias=True, params=params, method="adam", **ADAM)
    run._epoch_rating()
    state: dict = {}

    def adam(key, y, g, t):
        m, v = state.get(key, (0.0, 0.0))
        m = ADAM["beta1"] * m + (1 - ADAM["beta1"]) * g
        v = ADAM["beta2"] * v + (1 - ADAM["beta2"]) * g * g
        state[key] = (m, v)
        m_hat, v_hat = m / (1 - ADAM["beta1"] ** t), v / (1 - ADAM["beta2"] ** t)
        return y - ADAM["lr"] * m_hat / (np.sqrt(v_hat) + ADAM["eps"])

    assert _max_error(run, _hand_pass(run.tr, params, adam)) < 1e-12


@pytest.mark.parametrize("variant", ["plain", "momentum", "nesterov"])
def test_one_sgd_epoch_matches_the_documented_rule(variant):
    lr, mu = 0.03, 0.7
    train, params = tiny_ratings(), random_params(use_bias=True)
    run = make_run(train, use_bias=True, params=params, method="sgd", lr=lr, momentum=mu, sgd_variant=variant)
    run._epoch_rating()
    velocity: dict = {}

    def sgd(key, y, g, t):
        if variant == "plain":
            return y - lr * g
        v = velocity.get(key, 0.0)
        v_new = velocity[key] = mu * v - lr * g
        return y + v_new if variant == "momentum" else y - mu * v + (1 + mu) * v_new

    assert _max_error(run, _hand_pass(run.tr, params, sgd)) < 1e-12


@pytest.mark.parametrize("beta", [0.9, 0.999, 0.9999])
def test_the_bias_correction_table_ends_where_the_factor_rounds_to_one(beta):
    from adago.optimizers.adam import bias_correction_table

    table = bias_correction_table(beta, np.float64)
    t = np.arange(1, len(table))
    np.testing.assert_allclose(table[1:], 1.0 / (1.0 - beta ** t), rtol=1e-12)
    # Clamping a later t to the last entry is exact: the last entries are 1 to working precision.
    assert table[-1] == table[-2] == 1.0 and table[-3] > 1.0


def test_the_bias_correction_table_is_cut_at_2_to_the_22_entries_with_the_documented_error():
    from adago.optimizers.adam import bias_correction_table

    beta = 1.0 - 1e-6  # the exact factor reaches 1 only after ~3.7e7 steps
    table = bias_correction_table(beta, np.float64)
    assert len(table) == 2**22
    x = beta ** (2**22 - 1)
    for t in (2**22, 2**23, 2**26):
        exact = 1.0 / (1.0 - beta**t)
        assert 0.0 <= table[-1] / exact - 1.0 <= x / (1.0 - x)
    # Short of the cut the table is whole: beta = 1 - 1e-5 needs about 3.7 million entries.
    assert len(bias_correction_table(1.0 - 1e-5, np.float64)) < 2**22
