"""Exactness of the model and of what the optimisers compute: gradients, Gauss-Newton diagonal,
and one AdaGO step, against finite differences, a dense Jacobian and hand-computed moments.

All in float64 on tiny problems. The kernels' gradient and curvature are read back from the
optimiser state after one step with beta1 = 0 (then m = g) and omega = 0 (then s = d*d), so the
tests see exactly the quantities the optimiser used, through the real training plumbing.
"""

import numpy as np
import pytest

from adago import model
from adago.optimizers import TrainConfig
from adago.training import _Run, _triples

N_USERS, N_ITEMS, RANK = 4, 5, 3
REG, DAMPING = 0.07, 0.013


def tiny_ratings(n=9, seed=0):
    rng = np.random.default_rng(seed)
    cells = rng.choice(N_USERS * N_ITEMS, size=n, replace=False)
    users = (cells // N_ITEMS).astype(np.int32)
    items = (cells % N_ITEMS).astype(np.int32)
    return users, items, rng.uniform(1, 5, size=n)


def random_params(seed=1, use_bias=True):
    rng = np.random.default_rng(seed)
    P = rng.normal(0, 0.7, (N_USERS, RANK))
    Q = rng.normal(0, 0.7, (N_ITEMS, RANK))
    if not use_bias:
        return P, Q, None, None, 0.0
    return P, Q, rng.normal(0, 0.3, N_USERS), rng.normal(0, 0.3, N_ITEMS), 3.1


def make_run(train, *, use_bias, params, **cfg):
    """A float64 training run on ``train`` whose parameters are replaced by ``params``."""
    config = TrainConfig(rank=RANK, reg=REG, damping=DAMPING, use_bias=use_bias, dtype="float64",
                         **cfg)
    tr = _triples(train, "train", N_USERS, N_ITEMS, np.float64)
    run = _Run(tr, tr, None, N_USERS, N_ITEMS, config, 0, (1.0, 5.0), None)
    P, Q, bu, bi, mu = params
    run.U[:, 0, :RANK] = P
    run.V[:, 0, :RANK] = Q
    if use_bias:
        run.BU[:, 0] = bu
        run.BV[:, 0] = bi
        run.mu = np.float64(mu)
    return run


# ------------------------------------------------------------------------------------ gradient
def test_gradient_matches_central_finite_differences():
    users, items, ratings = tiny_ratings()
    P, Q, bu, bi, mu = random_params()
    grad = model.gradient(P, Q, users, items, ratings, REG, bu, bi, mu)
    h = 1e-6
    for name, block in (("P", P), ("Q", Q), ("bu", bu), ("bi", bi)):
        fd = np.zeros_like(block)
        for idx in np.ndindex(block.shape):
            orig = block[idx]
            block[idx] = orig + h
            up = model.loss(P, Q, users, items, ratings, REG, bu, bi, mu)
            block[idx] = orig - h
            down = model.loss(P, Q, users, items, ratings, REG, bu, bi, mu)
            block[idx] = orig
            fd[idx] = (up - down) / (2 * h)
        np.testing.assert_allclose(grad[name], fd, rtol=1e-7, atol=1e-8, err_msg=name)


@pytest.mark.parametrize("method", ["adam", "adahessian"])
@pytest.mark.parametrize("use_bias", [False, True])
def test_per_rating_kernel_gradient_equals_reference_gradient_of_one_term(use_bias, method):
    users, items, ratings = tiny_ratings()
    params = random_params(use_bias=use_bias)
    for n in range(len(ratings)):
        one = (users[n:n + 1], items[n:n + 1], ratings[n:n + 1])
        run = make_run(one, use_bias=use_bias, params=params, method=method, beta1=0.0)
        run._epoch_rating()  # beta1 = 0: the first moment is the gradient itself
        ref = model.gradient(*params[:2], *one, REG, *params[2:])
        u, i = users[n], items[n]
        np.testing.assert_allclose(run.U[u, 1, :RANK], ref["P"][u], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(run.V[i, 1, :RANK], ref["Q"][i], rtol=1e-13, atol=1e-15)
        if use_bias:
            np.testing.assert_allclose(run.BU[u, 1], ref["bu"][u], rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(run.BV[i, 1], ref["bi"][i], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("use_bias", [False, True])
def test_full_batch_kernel_gradient_equals_reference_gradient(use_bias):
    train = tiny_ratings()
    params = random_params(use_bias=use_bias)
    run = make_run(train, use_bias=use_bias, params=params, method="adam", beta1=0.0, batch="full")
    run._epoch_full(1)
    ref = model.gradient(*params[:2], *train, REG, *params[2:])
    np.testing.assert_allclose(run.U[:, 1, :RANK], ref["P"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run.V[:, 1, :RANK], ref["Q"], rtol=1e-12, atol=1e-14)
    if use_bias:
        np.testing.assert_allclose(run.BU[:, 1], ref["bu"], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(run.BV[:, 1], ref["bi"], rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------------------------ GN diagonal
def dense_gn_diagonal(params, users, items, reg_in_curvature, use_bias):
    """diag(J^T J) + a, from the dense Jacobian of the residual vector, split into blocks."""
    P, Q = params[:2]
    J = model.residual_jacobian(P, Q, users, items, REG, reg_in_curvature, use_bias)
    d = np.einsum("rc,rc->c", J, J) + DAMPING
    nP, nQ = P.size, Q.size
    out = {"P": d[:nP].reshape(P.shape), "Q": d[nP:nP + nQ].reshape(Q.shape)}
    if use_bias:
        out["bu"] = d[nP + nQ:nP + nQ + N_USERS]
        out["bi"] = d[nP + nQ + N_USERS:]
    return out


@pytest.mark.parametrize("use_bias", [False, True])
@pytest.mark.parametrize("reg_in_curvature", [False, True])
def test_gauss_newton_diagonal_matches_dense_jtj_per_rating(reg_in_curvature, use_bias):
    users, items, ratings = tiny_ratings()
    params = random_params(use_bias=use_bias)
    for n in range(len(ratings)):
        one = (users[n:n + 1], items[n:n + 1], ratings[n:n + 1])
        dense = dense_gn_diagonal(params, one[0], one[1], reg_in_curvature, use_bias)
        ref = model.gauss_newton_diagonal(*params[:2], one[0], one[1], REG, DAMPING,
                                          reg_in_curvature, use_bias)
        for key in dense:
            np.testing.assert_allclose(ref[key], dense[key], rtol=1e-14, err_msg=key)
        run = make_run(one, use_bias=use_bias, params=params, method="adago", omega=0.0,
                       reg_in_curvature=reg_in_curvature)
        run._epoch_rating()  # omega = 0: the second moment is d * d of this step
        u, i = users[n], items[n]
        np.testing.assert_allclose(np.sqrt(run.U[u, 2, :RANK]), dense["P"][u], rtol=1e-14)
        np.testing.assert_allclose(np.sqrt(run.V[i, 2, :RANK]), dense["Q"][i], rtol=1e-14)
        if use_bias:
            np.testing.assert_allclose(np.sqrt(run.BU[u, 2]), dense["bu"][u], rtol=1e-14)
            np.testing.assert_allclose(np.sqrt(run.BV[i, 2]), dense["bi"][i], rtol=1e-14)


@pytest.mark.parametrize("use_bias", [False, True])
@pytest.mark.parametrize("reg_in_curvature", [False, True])
def test_gauss_newton_diagonal_matches_dense_jtj_full_batch(reg_in_curvature, use_bias):
    train = tiny_ratings()
    params = random_params(use_bias=use_bias)
    dense = dense_gn_diagonal(params, train[0], train[1], reg_in_curvature, use_bias)
    ref = model.gauss_newton_diagonal(*params[:2], train[0], train[1], REG, DAMPING,
                                      reg_in_curvature, use_bias)
    for key in dense:
        np.testing.assert_allclose(ref[key], dense[key], rtol=1e-14, err_msg=key)
    run = make_run(train, use_bias=use_bias, params=params, method="adago", omega=0.0,
                   batch="full", reg_in_curvature=reg_in_curvature)
    run._epoch_full(1)
    # Rows without any rating get d = a too: diag(J^T J) is 0 there.
    np.testing.assert_allclose(np.sqrt(run.U[:, 2, :RANK]), dense["P"], rtol=1e-14)
    np.testing.assert_allclose(np.sqrt(run.V[:, 2, :RANK]), dense["Q"], rtol=1e-14)
    if use_bias:
        np.testing.assert_allclose(np.sqrt(run.BU[:, 2]), dense["bu"], rtol=1e-14)
        np.testing.assert_allclose(np.sqrt(run.BV[:, 2]), dense["bi"], rtol=1e-14)


# ------------------------------------------------------------------------------------ AdaGO step
HAND = dict(lr=0.03, beta1=0.8, omega=0.95, eps=1e-6)


def hand_adago_pass(order, params, *, use_bias, k, per_row, reg_in_curvature):
    """The AdaGO equations of docs/METHODS.md, written out with NumPy, rating by rating."""
    P, Q, bu, bi, mu = (x.copy() if isinstance(x, np.ndarray) else x for x in params)
    b1, w, lr, eps = HAND["beta1"], HAND["omega"], HAND["lr"], HAND["eps"]
    c = (REG if reg_in_curvature else 0.0) + DAMPING
    state = {}  # (block, row) -> [m, s, t]
    t_global = 0

    def update(block, row, y, g, d, t):
        m, s, _ = state.get((block, row), (0.0, 0.0, 0))
        m = b1 * m + (1 - b1) * g
        s = w * s + (1 - w) * d * d
        state[(block, row)] = (m, s, t)
        m_hat = m / (1 - b1 ** t)
        s_hat = s / (1 - w ** t)
        return y - lr * m_hat / (s_hat ** (k / 2) + eps)

    for u, i, r in zip(*order):
        t_global += 1
        tu = (state.get(("P", u), (0, 0, 0))[2] + 1) if per_row else t_global
        ti = (state.get(("Q", i), (0, 0, 0))[2] + 1) if per_row else t_global
        p, q = P[u].copy(), Q[i].copy()
        e = r - (mu + (bu[u] + bi[i] if use_bias else 0.0) + p @ q)
        P[u] = update("P", u, p, REG * p - e * q, q * q + c, tu)
        Q[i] = update("Q", i, q, REG * q - e * p, p * p + c, ti)
        if use_bias:
            b_u, b_i = bu[u], bi[i]
            bu[u] = update("bu", u, b_u, REG * b_u - e, 1.0 + c, tu)
            bi[i] = update("bi", i, b_i, REG * b_i - e, 1.0 + c, ti)
    return P, Q, bu, bi


@pytest.mark.parametrize(
    "use_bias, k, step_counter, reg_in_curvature",
    [(False, 1.0, "row", True), (True, 1.0, "global", False), (False, 2.0, "row", False),
     (True, 1.5, "row", True), (True, 0.5, "row", True)],
)
def test_one_adago_epoch_matches_hand_computed_moments(use_bias, k, step_counter, reg_in_curvature):
    # 9 ratings on 4 users x 5 items: rows recur, so t > 1 and carried moments are exercised.
    train = tiny_ratings()
    params = random_params(use_bias=use_bias)
    run = make_run(train, use_bias=use_bias, params=params, method="adago", hessian_power=k,
                   step_counter=step_counter, reg_in_curvature=reg_in_curvature, **HAND)
    run._epoch_rating()  # shuffles run.tr in place: that is the order the kernel used
    P, Q, bu, bi = hand_adago_pass(run.tr, params, use_bias=use_bias, k=k,
                                   per_row=step_counter == "row", reg_in_curvature=reg_in_curvature)
    np.testing.assert_allclose(run.U[:, 0, :RANK], P, rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.V[:, 0, :RANK], Q, rtol=0, atol=1e-12)
    if use_bias:
        np.testing.assert_allclose(run.BU[:, 0], bu, rtol=0, atol=1e-12)
        np.testing.assert_allclose(run.BV[:, 0], bi, rtol=0, atol=1e-12)


def test_one_full_batch_adago_step_matches_hand_computed_moments():
    train = tiny_ratings()
    params = random_params(use_bias=True)
    run = make_run(train, use_bias=True, params=params, method="adago", batch="full", **HAND)
    run._epoch_full(1)
    g = model.gradient(*params[:2], *train, REG, *params[2:])
    d = model.gauss_newton_diagonal(*params[:2], train[0], train[1], REG, DAMPING, True, True)
    b1, w = HAND["beta1"], HAND["omega"]
    for key, got, y in (("P", run.U[:, 0, :RANK], params[0]), ("Q", run.V[:, 0, :RANK], params[1]),
                        ("bu", run.BU[:, 0], params[2]), ("bi", run.BV[:, 0], params[3])):
        m_hat = (1 - b1) * g[key] / (1 - b1)
        s_hat = (1 - w) * d[key] ** 2 / (1 - w)
        expected = y - HAND["lr"] * m_hat / (np.sqrt(s_hat) + HAND["eps"])
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12, err_msg=key)
