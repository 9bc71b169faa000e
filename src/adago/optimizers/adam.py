"""Adam (M2) and AdaGO (M1): one Adam-style rule whose second moment is fed either the gradient
(Adam) or the Gauss-Newton diagonal d (AdaGO).

Per-rating passes over the shuffled training triples ("lazy" moments: only the touched rows
change) and the elementwise full-batch step, for the packed state of
:mod:`adago.optimizers.shared` with S = 3 slots per row: [y, m, s]. Equations:
docs/METHODS.md, "M1 AdaGO" and "M2 Adam".
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from adago.optimizers.shared import (JIT, FullBatch, padded_rank, prefetch, prefetch_ahead,
                                     prefetch_pays)

# Longest bias-correction table (see bias_correction_table).
_BC_TABLE_MAX = 1 << 22


def bias_correction_table(beta: float, dtype) -> np.ndarray:
    """table[t] = 1 / (1 - beta^t) for t = 0..T (table[0] = 1, unused); kernels clamp t to T.

    T is the first t with beta^t < eps(dtype)/4, where 1/(1 - beta^t) rounds to exactly 1 in
    ``dtype``, so clamping is exact - unless T would exceed 2^22 (beta within ~1e-5 of 1), where the
    table is cut at 2^22 entries (32 MB at float64) and the clamped factor of a later t is too large
    by at most x/(1 - x) relative, x = beta^(2^22 - 1). A table instead of ``pow`` in the inner
    loop: measured 1.5x on a per-rating Adam epoch.
    """
    dtype = np.dtype(dtype)
    if beta == 0.0:
        n = 2
    else:
        n = int(math.ceil(math.log(np.finfo(dtype).eps / 4) / math.log(beta))) + 2
    n = min(max(n, 2), _BC_TABLE_MAX)
    t = np.arange(n, dtype=np.float64)
    with np.errstate(divide="ignore"):
        table = 1.0 / (1.0 - beta ** t)
    table[0] = 1.0
    return table.astype(dtype)


# How x ** half_power is computed (a compile-time constant of each pass): sqrt for k = 1,
# sqrt(sqrt) for k = 1/2, pow otherwise - pow costs about 4x an Adam step.
ROOT_SQRT, ROOT_FOURTH, ROOT_POW = 0, 1, 2


@njit(inline="always", **JIT)
def root(x, half_power, kind):
    """x ** half_power, computed as ``kind`` says (ROOT_SQRT: half_power = 1/2, ROOT_FOURTH: 1/4)."""
    if kind == ROOT_SQRT:
        return np.sqrt(x)
    if kind == ROOT_FOURTH:
        return np.sqrt(np.sqrt(x))
    return x ** half_power


@njit(inline="always", **JIT)
def adam_coordinate(y, m, s, g, x, c1, c2, lr, beta1, b1c, beta2, b2c, eps, half_power, kind):
    """The Adam-style rule for one coordinate: returns the new (y, m, s).

      m <- beta1 m + (1 - beta1) g ;  s <- beta2 s + (1 - beta2) x^2
      y <- y - lr (c1 m) / ((c2 s)^half_power + eps)
    with c1 = 1/(1 - beta1^t), c2 = 1/(1 - beta2^t), b1c = 1 - beta1, b2c = 1 - beta2 and x the
    second moment's input: g (Adam), the Gauss-Newton diagonal (AdaGO) or z * Hz (AdaHessian).
    Scalars only, so inlining it costs nothing (array arguments would add reference counting).
    """
    m = beta1 * m + b1c * g
    s = beta2 * s + b2c * (x * x)
    return y - lr * (m * c1) / (root(s * c2, half_power, kind) + eps), m, s


@njit(inline="always", **JIT)
def _adam_pass(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
               lr, reg, beta1, beta2, eps, curv_shift, half_power, gauss_newton, kind,
               per_row, use_bias, rank, prefetching):
    """One pass of per-rating Adam (``gauss_newton=False``) or AdaGO (``True``).

    Packed state: U[u] = [p_u, m, s] (slots 0, 1, 2), V[i] = [q_i, m, s], BU[u] = [b_u, m, s],
    BV[i] = [b_i, m, s]; ``rank`` = R columns of U.shape[2] in use (the rest padding, updated with
    the rows but never read: see shared.padded_rank).
    For each rating (u, i) with residual e and per-instance gradient g
    (g_pu = -e q_i + reg p_u, g_qi = -e p_u + reg q_i, g_b = -e + reg b):
      x  = g                                     Adam (beta2 = Adam's beta2)
      x  = d = other_factor^2 + curv_shift       AdaGO (beta2 = omega): d_pu = q_i^2, d_qi = p_u^2,
                                                 d_b = 1; curv_shift = a (+ reg if reg in curvature)
      m <- beta1 m + (1 - beta1) g ;  s <- beta2 s + (1 - beta2) x^2
      y <- y - lr (m / (1 - beta1^t)) / ((s / (1 - beta2^t))^half_power + eps)
    half_power = k/2 (1/2 for Adam). t: with ``per_row`` the number of updates of that row so far
    (t_user[u], t_item[i], incremented here), else one counter t_global[0] incremented per rating.
    bc1[t] = 1/(1 - beta1^t), bc2[t] = 1/(1 - beta2^t), t clamped to the tables' last entry (see
    bias_correction_table).
    Inlined into the kernels below with ``gauss_newton``, the root ``kind`` and ``prefetching``
    (see sgd._sgd_epoch) as compile-time constants, so each kernel holds branch-free update loops
    (which vectorise).
    """
    R = U.shape[2]  # the update loop runs over the padding too: whole SIMD vectors
    one = U.dtype.type(1.0)
    b1c = one - beta1
    b2c = one - beta2
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
        # Written out: an inlined helper taking the counter arrays cost 1.4x (reference counting).
        if per_row:
            t_user[u] += 1
            t_item[i] += 1
            tu = t_user[u]
            ti = t_item[i]
        else:
            t_global[0] += 1
            tu = t_global[0]
            ti = tu
        # Clamped lookup: past the table's end 1/(1 - beta^t) is 1 to working precision.
        c1u = bc1[min(tu, last1)]
        c2u = bc2[min(tu, last2)]
        c1i = bc1[min(ti, last1)]
        c2i = bc2[min(ti, last2)]
        a = U[u]
        b = V[i]
        # Written out in each pass: a helper taking the row views costs reference counting
        # (measured 1.5x as a call; inlined it still adds refcount calls to the loop).
        pred = mu
        if use_bias:
            pred += BU[u, 0] + BV[i, 0]
        for k in range(rank):
            pred += a[0, k] * b[0, k]
        e = ratings[n] - pred
        for k in range(R):
            pk = a[0, k]
            qk = b[0, k]
            gp = reg * pk - e * qk
            gq = reg * qk - e * pk
            if gauss_newton:
                xp = qk * qk + curv_shift
                xq = pk * pk + curv_shift
            else:
                xp = gp
                xq = gq
            a[0, k], a[1, k], a[2, k] = adam_coordinate(
                pk, a[1, k], a[2, k], gp, xp, c1u, c2u, lr, beta1, b1c, beta2, b2c, eps, half_power,
                kind)
            b[0, k], b[1, k], b[2, k] = adam_coordinate(
                qk, b[1, k], b[2, k], gq, xq, c1i, c2i, lr, beta1, b1c, beta2, b2c, eps, half_power,
                kind)
        if use_bias:
            gbu = reg * BU[u, 0] - e
            gbi = reg * BV[i, 0] - e
            x = one + curv_shift
            BU[u, 0], BU[u, 1], BU[u, 2] = adam_coordinate(
                BU[u, 0], BU[u, 1], BU[u, 2], gbu, x if gauss_newton else gbu, c1u, c2u, lr, beta1,
                b1c, beta2, b2c, eps, half_power, kind)
            BV[i, 0], BV[i, 1], BV[i, 2] = adam_coordinate(
                BV[i, 0], BV[i, 1], BV[i, 2], gbi, x if gauss_newton else gbi, c1i, c2i, lr, beta1,
                b1c, beta2, b2c, eps, half_power, kind)


@njit(inline="always", **JIT)
def _adam_epoch(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
                lr, reg, beta1, beta2, eps, curv_shift, half_power, gauss_newton, kind, per_row, use_bias,
                rank):
    """_adam_pass, prefetching only where it pays (shared.prefetch_pays): two inlined copies."""
    if prefetch_pays(U, V):
        _adam_pass(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2, lr, reg,
                   beta1, beta2, eps, curv_shift, half_power, gauss_newton, kind, per_row, use_bias, rank,
                   True)
    else:
        _adam_pass(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2, lr, reg,
                   beta1, beta2, eps, curv_shift, half_power, gauss_newton, kind, per_row, use_bias, rank,
                   False)


@njit(**JIT)
def epoch_adam_rating(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
                      lr, reg, beta1, beta2, eps, curv_shift, half_power, per_row, use_bias, rank):
    """Per-rating Adam pass (see _adam_pass); ``curv_shift`` and ``half_power`` are ignored."""
    _adam_epoch(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
                lr, reg, beta1, beta2, eps, curv_shift, U.dtype.type(0.5), False, ROOT_SQRT,
                per_row, use_bias, rank)


@njit(**JIT)
def epoch_adago_rating(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
                       lr, reg, beta1, omega, eps, curv_shift, half_power, per_row, use_bias, rank):
    """Per-rating AdaGO pass (see _adam_pass) with hessian power k = 2 * half_power."""
    if half_power == U.dtype.type(0.5):
        _adam_epoch(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
                    lr, reg, beta1, omega, eps, curv_shift, half_power, True, ROOT_SQRT,
                    per_row, use_bias, rank)
    elif half_power == U.dtype.type(0.25):
        _adam_epoch(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
                    lr, reg, beta1, omega, eps, curv_shift, half_power, True, ROOT_FOURTH,
                    per_row, use_bias, rank)
    else:
        _adam_epoch(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
                    lr, reg, beta1, omega, eps, curv_shift, half_power, True, ROOT_POW,
                    per_row, use_bias, rank)


@njit(**JIT, parallel=True)
def step_adam_full(Y, G, D, M, S, c1, c2, lr, beta1, beta2, eps, half_power, gauss_newton):
    """Elementwise Adam/AdaGO step on a whole 2-D parameter block; c1, c2 = bias corrections.

    x = D (AdaGO) or G (Adam);  M <- beta1 M + (1-beta1) G;  S <- beta2 S + (1-beta2) x^2;
    Y <- Y - lr (c1 M) / ((c2 S)^half_power + eps)   (the rule of adam_coordinate).
    """
    one = Y.dtype.type(1.0)
    use_sqrt = half_power == Y.dtype.type(0.5)
    # Written out, not adam_coordinate: an inlined helper inside a prange body compiled to code
    # that rounded differently from the same kernel loaded from Numba's cache.
    for y in prange(Y.shape[0]):
        for k in range(Y.shape[1]):
            g = G[y, k]
            x = D[y, k] if gauss_newton else g
            m = beta1 * M[y, k] + (one - beta1) * g
            s = beta2 * S[y, k] + (one - beta2) * (x * x)
            M[y, k] = m
            S[y, k] = s
            if use_sqrt:
                Y[y, k] -= lr * (m * c1) / (np.sqrt(s * c2) + eps)
            else:
                Y[y, k] -= lr * (m * c1) / ((s * c2) ** half_power + eps)


class Adam:
    """One run's Adam or AdaGO (``cfg.algorithm``): state, per-rating epoch, full-batch step."""

    slots = 3

    def __init__(self, cfg, dtype, train, n_users, n_items, rng):
        f = dtype.type
        self.gauss_newton = cfg.algorithm == "adago"
        self.kernel = epoch_adago_rating if self.gauss_newton else epoch_adam_rating
        beta2 = cfg.omega if self.gauss_newton else cfg.beta2
        self.bc1 = bias_correction_table(cfg.beta1, dtype)
        self.bc2 = bias_correction_table(beta2, dtype)
        self.t_user = np.zeros(n_users, np.int64)
        self.t_item = np.zeros(n_items, np.int64)
        self.t_global = np.zeros(1, np.int64)
        self.per_row = cfg.step_counter == "row"
        self.use_bias = cfg.use_bias
        self.rank = cfg.rank
        self.stored_rank = padded_rank(cfg.rank) if cfg.batch == "rating" else cfg.rank
        curv = cfg.reg if cfg.reg_in_curvature else 0.0
        self.lr, self.reg, self.beta1, self.beta2, self.eps = (
            f(cfg.lr), f(cfg.reg), f(cfg.beta1), f(beta2), f(cfg.eps))
        self.curv, self.damping, self.curv_shift = f(curv), f(cfg.damping), f(curv + cfg.damping)
        self.half_power = f(cfg.hessian_power / 2.0) if self.gauss_newton else f(0.5)
        if cfg.batch == "full":
            self.full = FullBatch(train, n_users, n_items, cfg.rank, dtype, cfg.use_bias)

    def epoch_rating(self, train, U, V, BU, BV, mu) -> None:
        self.kernel(*train, U, V, BU, BV, mu, self.t_user, self.t_item, self.t_global,
                    self.bc1, self.bc2, self.lr, self.reg, self.beta1, self.beta2, self.eps,
                    self.curv_shift, self.half_power, self.per_row, self.use_bias, self.rank)

    def epoch_full(self, train, U, V, BU, BV, mu, epoch) -> None:
        """One step on the whole sum; every row with a rating is updated at every step, so the
        'row' and 'global' step counters coincide: t = epoch."""
        blocks = self.full.gradient(train, U, V, BU, BV, mu, self.reg, self.curv, self.damping,
                                    self.use_bias)
        c1 = self.bc1[min(epoch, len(self.bc1) - 1)]
        c2 = self.bc2[min(epoch, len(self.bc2) - 1)]
        for X, G, D in blocks:
            step_adam_full(X[:, 0, :], G, D, X[:, 1, :], X[:, 2, :], c1, c2, self.lr, self.beta1,
                           self.beta2, self.eps, self.half_power, self.gauss_newton)
