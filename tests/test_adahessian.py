"""AdaHessian: the closed-form Hessian-vector product, the Hutchinson estimate and one epoch, against a
dense Hessian-vector product of the reference gradient (itself checked by finite differences).

The dense product differentiates ``model.gradient`` along z by central differences with Richardson
extrapolation. One rating's gradient is a cubic polynomial of the parameters, so the two-step
extrapolation cancels the whole truncation error: the reference is exact up to rounding (~1e-12).
"""

import numpy as np
import pytest

from adago import model
from adago.optimizers.adahessian import draw_probe, hessian_vector_product
from test_model import N_ITEMS, N_USERS, RANK, REG, make_run, random_params, tiny_ratings


def dense_hvp(params, ratings, z):
    """H z of the loss of ``ratings`` (users, items, r) at ``params``; z packed like model.pack."""
    P, Q, bu, bi, mu = params
    use_bias = bu is not None

    def grad(theta):
        nP, nQ = P.size, Q.size
        Pt, Qt = theta[:nP].reshape(P.shape), theta[nP:nP + nQ].reshape(Q.shape)
        but = theta[nP + nQ:nP + nQ + N_USERS] if use_bias else None
        bit = theta[nP + nQ + N_USERS:] if use_bias else None
        g = model.gradient(Pt, Qt, *ratings, REG, but, bit, mu)
        return model.pack(g["P"], g["Q"], g.get("bu"), g.get("bi"))

    theta = model.pack(P, Q, bu, bi)
    h = 1e-3
    central = lambda step: (grad(theta + step * z) - grad(theta - step * z)) / (2 * step)  # noqa: E731
    return (4 * central(h) - central(2 * h)) / 3


def blocks(vec, use_bias):
    """Split a packed vector into (P, Q, bu, bi) views."""
    nP, nQ = N_USERS * RANK, N_ITEMS * RANK
    P, Q = vec[:nP].reshape(N_USERS, RANK), vec[nP:nP + nQ].reshape(N_ITEMS, RANK)
    if not use_bias:
        return P, Q, None, None
    return P, Q, vec[nP + nQ:nP + nQ + N_USERS], vec[nP + nQ + N_USERS:]


def residual(params, u, i, r):
    P, Q, bu, bi, mu = params
    return r - (mu + (bu[u] + bi[i] if bu is not None else 0.0) + P[u] @ Q[i])


@pytest.mark.parametrize("use_bias", [False, True])
@pytest.mark.parametrize("probe", ["rademacher", "gaussian"])
def test_closed_form_hessian_vector_product_matches_dense_product(use_bias, probe):
    users, items, ratings = tiny_ratings()
    params = random_params(use_bias=use_bias)
    rng = np.random.default_rng(5)
    n_par = (N_USERS + N_ITEMS) * RANK + ((N_USERS + N_ITEMS) if use_bias else 0)
    for n in range(len(ratings)):
        u, i = users[n], items[n]
        z = rng.choice([-1.0, 1.0], n_par) if probe == "rademacher" else rng.normal(size=n_par)
        dense = blocks(dense_hvp(params, (users[n:n + 1], items[n:n + 1], ratings[n:n + 1]), z), use_bias)
        zP, zQ, zbu, zbi = blocks(z, use_bias)
        hp, hq = np.empty(RANK), np.empty(RANK)
        e = residual(params, u, i, ratings[n])
        hbu, hbi = hessian_vector_product(params[0][u], params[1][i], e, REG, zP[u], zQ[i],
                                          zbu[u] if use_bias else 0.0, zbi[i] if use_bias else 0.0,
                                          use_bias, hp, hq)
        np.testing.assert_allclose(hp, dense[0][u], rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(hq, dense[1][i], rtol=1e-9, atol=1e-11)
        # One rating's Hessian touches only its own rows.
        assert np.abs(np.delete(dense[0], u, axis=0)).max() < 1e-11
        assert np.abs(np.delete(dense[1], i, axis=0)).max() < 1e-11
        if use_bias:
            np.testing.assert_allclose([hbu, hbi], [dense[2][u], dense[3][i]], rtol=1e-9, atol=1e-11)


def test_cross_term_minus_e_is_part_of_the_product():
    # The Gauss-Newton product J^T J z misses the -e coupling between p and q; the closed form must not.
    p, q, e = np.array([0.3, -0.2]), np.array([0.5, 0.1]), 2.0
    zp, zq = np.array([1.0, 0.0]), np.array([0.0, 0.0])
    hp, hq = np.empty(2), np.empty(2)
    hessian_vector_product(p, q, e, 0.0, zp, zq, 0.0, 0.0, False, hp, hq)
    # H_qp z_p = (p q^T - e I) z_p = p (q . z_p) - e z_p
    np.testing.assert_allclose(hq, p * 0.5 - e * zp, rtol=1e-15)


def test_probes_are_independent_fair_signs():
    state = np.array([12345], np.uint64)
    Z, zb = np.empty((2, RANK + 30)), np.empty(2)
    draws = []
    for _ in range(4000):
        draw_probe(state, Z, zb)
        draws.append(np.concatenate([Z.ravel(), zb]))
    draws = np.array(draws)
    assert set(np.unique(draws)) == {-1.0, 1.0}
    n = len(draws)
    assert np.abs(draws.mean(axis=0)).max() < 5 / np.sqrt(n)  # each sign fair
    corr = draws.T @ draws / n - np.eye(draws.shape[1])
    assert np.abs(corr).max() < 5 / np.sqrt(n)  # pairwise uncorrelated, z_p with z_q included


@pytest.mark.parametrize("use_bias", [False, True])
def test_hutchinson_estimate_converges_to_the_exact_hessian_diagonal(use_bias):
    params = random_params(use_bias=use_bias)
    users, items, ratings = tiny_ratings()
    u, i, r = users[0], items[0], ratings[0]
    one = (users[:1], items[:1], ratings[:1])
    n_par = (N_USERS + N_ITEMS) * RANK + ((N_USERS + N_ITEMS) if use_bias else 0)
    # Exact diagonal from the dense product with unit vectors.
    exact = np.array([dense_hvp(params, one, np.eye(n_par)[j])[j] for j in range(n_par)])
    exact_p, exact_q, exact_bu, exact_bi = blocks(exact, use_bias)
    e = residual(params, u, i, r)
    state = np.array([7], np.uint64)
    Z, zb, hp, hq = np.empty((2, RANK)), np.empty(2), np.empty(RANK), np.empty(RANK)
    samples = []
    for _ in range(20000):
        draw_probe(state, Z, zb)
        hbu, hbi = hessian_vector_product(params[0][u], params[1][i], e, REG, Z[0], Z[1], zb[0], zb[1],
                                          use_bias, hp, hq)
        d = np.concatenate([Z[0] * hp, Z[1] * hq] + ([[zb[0] * hbu, zb[1] * hbi]] if use_bias else []))
        samples.append(d)
    samples = np.array(samples)
    target = np.concatenate([exact_p[u], exact_q[i]] + ([[exact_bu[u], exact_bi[i]]] if use_bias else []))
    mean, se = samples.mean(axis=0), samples.std(axis=0) / np.sqrt(len(samples))
    assert np.all(np.abs(mean - target) < 5 * se + 1e-12)
    assert np.all(samples.std(axis=0) > 0.05)  # single probes really are noisy: the test is not trivial
    # The exact diagonal is AdaGO's undamped d with the regulariser in the curvature.
    np.testing.assert_allclose(target[:RANK], params[1][i] ** 2 + REG, rtol=1e-9)


HAND = dict(lr=0.03, beta1=0.8, beta2=0.95, eps=1e-6)


@pytest.mark.parametrize("use_bias, probes, k", [(False, 1, 1.0), (True, 1, 1.0), (True, 3, 1.5)])
def test_one_adahessian_epoch_matches_a_hand_computed_update(use_bias, probes, k):
    train = tiny_ratings()  # 9 ratings on 4 x 5: rows recur, so moments and t > 1 are exercised
    params = random_params(use_bias=use_bias)
    run = make_run(train, use_bias=use_bias, params=params, method="adahessian", probes=probes,
                   hessian_power=k, **HAND)
    state = run.rule.state.copy()  # the probe stream as the epoch will start it
    run._epoch_rating()  # shuffles run.tr in place: the order the kernel used
    P, Q, bu, bi, mu = (x.copy() if isinstance(x, np.ndarray) else x for x in params)
    b1, b2, lr, eps = HAND["beta1"], HAND["beta2"], HAND["lr"], HAND["eps"]
    moments, t = {}, {}
    Z, zb = np.empty((2, RANK)), np.empty(2)
    n_par = (N_USERS + N_ITEMS) * RANK + ((N_USERS + N_ITEMS) if use_bias else 0)
    for u, i, r in zip(*run.tr):
        cur = (P, Q, bu, bi, mu)
        one = (np.array([u]), np.array([i]), np.array([r]))
        g = model.gradient(P, Q, *one, REG, bu, bi, mu)
        D = np.zeros(n_par)
        for _ in range(probes):
            draw_probe(state, Z, zb)
            z = np.zeros(n_par)
            zP, zQ, zbu, zbi = blocks(z, use_bias)
            zP[u], zQ[i] = Z[0], Z[1]
            if use_bias:
                zbu[u], zbi[i] = zb
            D += z * dense_hvp(cur, one, z) / probes
        DP, DQ, Dbu, Dbi = blocks(D, use_bias)
        tu = t[("u", u)] = t.get(("u", u), 0) + 1
        ti = t[("i", i)] = t.get(("i", i), 0) + 1

        def step(key, y, grad, d, tt):
            m, v = moments.get(key, (0.0, 0.0))
            m, v = b1 * m + (1 - b1) * grad, b2 * v + (1 - b2) * d * d
            moments[key] = (m, v)
            return y - lr * (m / (1 - b1 ** tt)) / ((v / (1 - b2 ** tt)) ** (k / 2) + eps)

        newP = step(("P", u), P[u], g["P"][u], DP[u], tu)
        newQ = step(("Q", i), Q[i], g["Q"][i], DQ[i], ti)
        if use_bias:
            bu[u], bi[i] = step(("bu", u), bu[u], g["bu"][u], Dbu[u], tu), step(("bi", i), bi[i], g["bi"][i], Dbi[i], ti)
        P[u], Q[i] = newP, newQ
    np.testing.assert_allclose(run.U[:, 0], P, rtol=0, atol=1e-10)
    np.testing.assert_allclose(run.V[:, 0], Q, rtol=0, atol=1e-10)
    if use_bias:
        np.testing.assert_allclose(run.BU[:, 0], bu, rtol=0, atol=1e-10)
        np.testing.assert_allclose(run.BV[:, 0], bi, rtol=0, atol=1e-10)
    assert np.array_equal(state, run.rule.state)  # the kernel drew exactly these probes
