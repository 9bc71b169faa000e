"""AdaHessian (Yao et al., 2021): the Adam-style rule with the Hessian diagonal estimated by
Hutchinson's method - the curvature baseline AdaGO replaces by the exact Gauss-Newton diagonal.

Per rating (u, i), with residual e = r - ê and the per-instance loss
f = 1/2 e^2 + reg/2 (|p|^2 + |q|^2 [+ b_u^2 + b_i^2]), the Hessian of f is (p = p_u, q = q_i)

    H_pp = q q^T + reg I     H_pq = q p^T - e I     H_p,bu = H_p,bi = q
    H_qq = p p^T + reg I     H_qp = p q^T - e I     H_q,bu = H_q,bi = p
    H_bu,bu = H_bi,bi = 1 + reg                     H_bu,bi = 1

(the -e I blocks are what the Gauss-Newton matrix leaves out). For a probe z = (z_p, z_q, z_bu, z_bi)
the product has the closed form, with s = q . z_p + p . z_q [+ z_bu + z_bi] (= J z, the change of
the prediction along z):

    (Hz)_p = s q + reg z_p - e z_q      (Hz)_q = s p + reg z_q - e z_p      (Hz)_b = s + reg z_b

O(R) per rating. With Rademacher z (entries +-1), D = z * Hz is an unbiased estimate of diag(H):
E[D_p] = q^2 + reg, E[D_q] = p^2 + reg, E[D_b] = 1 + reg - exactly AdaGO's d with the regulariser
in the curvature and no damping, so the comparison isolates exact versus estimated curvature.

Packed state as Adam's ([y, m, s], S = 3); per-rating steps only (Hutchinson on the full batch
is not what AdaHessian's per-instance comparison asks for). Equations: docs/METHODS.md, "AdaHessian".
"""

from __future__ import annotations

import numpy as np
from numba import njit

from adago.optimizers.adam import ROOT_FOURTH, ROOT_POW, ROOT_SQRT, adam_coordinate, bias_correction_table
from adago.optimizers.shared import JIT, prefetch, prefetch_ahead, prefetch_pays, splitmix64


@njit(**JIT)
def draw_probe(state, Z, zb):
    """Fill Z (2, R) and zb (2,) with independent Rademacher signs (+1 or -1, probability 1/2
    each) from the SplitMix64 stream ``state``.

    Signs are bits of 64-bit draws: for each block of 32 coordinates one draw, whose low half
    gives z_p = Z[0, k] and high half z_q = Z[1, k] (a shift per sign, no branch: the loop
    vectorises); then one draw whose two lowest bits give z_bu = zb[0] and z_bi = zb[1].
    """
    R = Z.shape[1]
    one = Z.dtype.type(1.0)
    two = Z.dtype.type(2.0)
    bit = np.uint64(1)
    for start in range(0, R, 32):
        word = splitmix64(state)
        for k in range(start, min(start + 32, R)):
            shift = np.uint64(k - start)
            Z[0, k] = one - two * Z.dtype.type((word >> shift) & bit)
            Z[1, k] = one - two * Z.dtype.type((word >> (shift + np.uint64(32))) & bit)
    word = splitmix64(state)
    zb[0] = one - two * Z.dtype.type(word & bit)
    zb[1] = one - two * Z.dtype.type((word >> bit) & bit)


@njit(inline="always", **JIT)
def hz_entry(x, s, reg, z, e, z_partner):
    """One entry of Hz: x s + reg z - e z_partner, with x = d(prediction)/d(parameter) (q_k for
    p_k, p_k for q_k, 1 for a bias) and z_partner the probe entry of q_k for p_k, of p_k for q_k,
    0 for a bias."""
    return x * s + reg * z - e * z_partner


@njit(**JIT)
def hessian_vector_product(p, q, e, reg, zp, zq, zbu, zbi, use_bias, hp, hq):
    """H z for one rating's loss at (p, q[, b_u, b_i]) with residual e (closed form above): fills
    hp, hq (R,) and returns ((Hz)_bu, (Hz)_bi) (zeros without biases). The pass below computes
    the same entries in place; this form is for the tests and for reading."""
    s = (zbu + zbi) if use_bias else 0.0
    for k in range(p.shape[0]):
        s += q[k] * zp[k] + p[k] * zq[k]
    for k in range(p.shape[0]):
        hp[k] = hz_entry(q[k], s, reg, zp[k], e, zq[k])
        hq[k] = hz_entry(p[k], s, reg, zq[k], e, zp[k])
    if not use_bias:
        return 0.0, 0.0
    return hz_entry(1.0, s, reg, zbu, e, 0.0), hz_entry(1.0, s, reg, zbi, e, 0.0)


@njit(inline="always", **JIT)
def _adahessian_pass(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
                     lr, reg, beta1, beta2, eps, half_power, kind, per_row, use_bias,
                     probes, state, Z, zb, D, db, prefetching):
    """One pass of per-rating AdaHessian over the (already shuffled) training triples.

    For each rating: D = (1/probes) sum over probes of z * Hz (the closed form above, z drawn by
    draw_probe into the buffers Z, zb; D and db hold the sums), then for every coordinate the
    Adam-style rule (adam_coordinate) with the gradient g and x = D; step counters and bias
    corrections exactly as in adam._adam_pass, prefetching too. Both rows use the pre-step values.
    """
    R = U.shape[2]
    one = U.dtype.type(1.0)
    zero = U.dtype.type(0.0)
    b1c = one - beta1
    b2c = one - beta2
    inv = one / U.dtype.type(probes)
    last1 = bc1.shape[0] - 1
    last2 = bc2.shape[0] - 1
    for n in range(users.shape[0]):
        if prefetching:
            un, inn = prefetch_ahead(users, items, n, U, V)
            if per_row and un >= 0:
                prefetch(t_user, un, 0)
                prefetch(t_item, inn, 0)
        u = users[n]
        i = items[n]
        # Step counters, corrections and prediction exactly as in adam._adam_pass, written out
        # for the same reason (a helper taking arrays adds reference counting to the loop).
        if per_row:
            t_user[u] += 1
            t_item[i] += 1
            tu = t_user[u]
            ti = t_item[i]
        else:
            t_global[0] += 1
            tu = t_global[0]
            ti = tu
        c1u = bc1[min(tu, last1)]
        c2u = bc2[min(tu, last2)]
        c1i = bc1[min(ti, last1)]
        c2i = bc2[min(ti, last2)]
        a = U[u]
        b = V[i]
        pred = mu
        if use_bias:
            pred += BU[u, 0] + BV[i, 0]
        for k in range(R):
            pred += a[0, k] * b[0, k]
        e = ratings[n] - pred
        # Hutchinson estimate of the diagonal, summed over the probes.
        for k in range(R):
            D[0, k] = zero
            D[1, k] = zero
        db[0] = zero
        db[1] = zero
        for _ in range(probes):
            draw_probe(state, Z, zb)
            s = (zb[0] + zb[1]) if use_bias else zero
            for k in range(R):
                s += b[0, k] * Z[0, k] + a[0, k] * Z[1, k]
            for k in range(R):
                D[0, k] += Z[0, k] * hz_entry(b[0, k], s, reg, Z[0, k], e, Z[1, k])
                D[1, k] += Z[1, k] * hz_entry(a[0, k], s, reg, Z[1, k], e, Z[0, k])
            if use_bias:
                db[0] += zb[0] * hz_entry(one, s, reg, zb[0], e, zero)
                db[1] += zb[1] * hz_entry(one, s, reg, zb[1], e, zero)
        for k in range(R):
            pk = a[0, k]
            qk = b[0, k]
            a[0, k], a[1, k], a[2, k] = adam_coordinate(
                pk, a[1, k], a[2, k], reg * pk - e * qk, D[0, k] * inv, c1u, c2u, lr, beta1, b1c,
                beta2, b2c, eps, half_power, kind)
            b[0, k], b[1, k], b[2, k] = adam_coordinate(
                qk, b[1, k], b[2, k], reg * qk - e * pk, D[1, k] * inv, c1i, c2i, lr, beta1, b1c,
                beta2, b2c, eps, half_power, kind)
        if use_bias:
            BU[u, 0], BU[u, 1], BU[u, 2] = adam_coordinate(
                BU[u, 0], BU[u, 1], BU[u, 2], reg * BU[u, 0] - e, db[0] * inv, c1u, c2u, lr, beta1,
                b1c, beta2, b2c, eps, half_power, kind)
            BV[i, 0], BV[i, 1], BV[i, 2] = adam_coordinate(
                BV[i, 0], BV[i, 1], BV[i, 2], reg * BV[i, 0] - e, db[1] * inv, c1i, c2i, lr, beta1,
                b1c, beta2, b2c, eps, half_power, kind)


@njit(inline="always", **JIT)
def _adahessian_epoch(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
                      lr, reg, beta1, beta2, eps, half_power, kind, per_row, use_bias,
                      probes, state, Z, zb, D, db):
    """_adahessian_pass, prefetching only where it pays (shared.prefetch_pays): two inlined copies."""
    if prefetch_pays(U, V):
        _adahessian_pass(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2, lr,
                         reg, beta1, beta2, eps, half_power, kind, per_row, use_bias, probes, state, Z, zb,
                         D, db, True)
    else:
        _adahessian_pass(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2, lr,
                         reg, beta1, beta2, eps, half_power, kind, per_row, use_bias, probes, state, Z, zb,
                         D, db, False)


@njit(**JIT)
def epoch_adahessian_rating(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global,
                            bc1, bc2, lr, reg, beta1, beta2, eps, half_power, per_row, use_bias,
                            probes, state, Z, zb, D, db):
    """Per-rating AdaHessian pass (see _adahessian_pass) with hessian power k = 2 * half_power."""
    if half_power == U.dtype.type(0.5):
        _adahessian_epoch(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1,
                          bc2, lr, reg, beta1, beta2, eps, half_power, ROOT_SQRT, per_row, use_bias,
                          probes, state, Z, zb, D, db)
    elif half_power == U.dtype.type(0.25):
        _adahessian_epoch(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1,
                          bc2, lr, reg, beta1, beta2, eps, half_power, ROOT_FOURTH, per_row,
                          use_bias, probes, state, Z, zb, D, db)
    else:
        _adahessian_epoch(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1,
                          bc2, lr, reg, beta1, beta2, eps, half_power, ROOT_POW, per_row, use_bias,
                          probes, state, Z, zb, D, db)


class AdaHessian:
    """One run's AdaHessian: moments, step counters, probe stream and buffers; per-rating epochs."""

    slots = 3

    def __init__(self, cfg, dtype, train, n_users, n_items, rng):
        f = dtype.type
        self.bc1 = bias_correction_table(cfg.beta1, dtype)
        self.bc2 = bias_correction_table(cfg.beta2, dtype)
        self.t_user = np.zeros(n_users, np.int64)
        self.t_item = np.zeros(n_items, np.int64)
        self.t_global = np.zeros(1, np.int64)
        self.per_row = cfg.step_counter == "row"
        self.use_bias = cfg.use_bias
        self.lr, self.reg, self.beta1, self.beta2, self.eps = (
            f(cfg.lr), f(cfg.reg), f(cfg.beta1), f(cfg.beta2), f(cfg.eps))
        self.half_power = f(cfg.hessian_power / 2.0)
        # Rows not padded: the probes' z draws run over R columns, and this baseline's speed is not
        # the point.
        self.stored_rank = cfg.rank
        self.probes = cfg.probes
        # The probe stream: its own seed, drawn from the run's generator after the shuffle seed.
        self.state = np.array([rng.integers(0, 2**63, dtype=np.uint64)], dtype=np.uint64)
        self.Z, self.zb = np.zeros((2, cfg.rank), dtype), np.zeros(2, dtype)
        self.D, self.db = np.zeros((2, cfg.rank), dtype), np.zeros(2, dtype)

    def epoch_rating(self, train, U, V, BU, BV, mu) -> None:
        epoch_adahessian_rating(*train, U, V, BU, BV, mu, self.t_user, self.t_item, self.t_global,
                                self.bc1, self.bc2, self.lr, self.reg, self.beta1, self.beta2,
                                self.eps, self.half_power, self.per_row, self.use_bias,
                                self.probes, self.state, self.Z, self.zb, self.D, self.db)
