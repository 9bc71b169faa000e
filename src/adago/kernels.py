"""Numba epoch kernels: the hot loops of training, shuffling and evaluation.

Plain ``@njit`` functions over NumPy arrays; :mod:`adago.training` validates inputs, chooses
dtypes and allocates every array once, so no kernel allocates inside its loops. Scalars are passed
already cast to the factor dtype so float32 runs stay in float32 arithmetic (and vectorise).

Packed state: U (n_users, S, R) holds for each user the factor row p_u (slot 0) followed by its
optimiser state (slot 1: velocity or first moment, slot 2: second moment); V (n_items, S, R)
likewise for q_i; BU (n_users, S) and BV (n_items, S) the same for biases (0 rows without biases).
Keeping a row's parameters and state adjacent makes each per-rating step touch two contiguous
blocks of memory instead of six scattered rows (about 1.4x faster). P = U[:, 0, :], Q = V[:, 0, :].
One training rating is the triple (users[n], items[n], ratings[n]);
residual e = r - (mu + b_u + b_i + p_u . q_i).

Per-rating kernels run sequentially (bit-reproducible whatever the thread count). Full-batch and
evaluation kernels use ``prange`` only where each iteration writes its own output (rows via
CSR/CSC, or one prediction per rating): no atomics, no reductions across threads, so the result
does not depend on the number of threads either.

Equations and the reasons behind each choice: docs/METHODS.md.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# Opt-in flags: cache=True writes to NUMBA_CACHE_DIR when set (Numba reads it itself).
_JIT = {
    "cache": True,
    "nogil": True,
    # numpy error model: x/0 gives inf/nan (caught as divergence) instead of a Python
    # ZeroDivisionError check inside every loop, which blocks SIMD vectorisation (3-4x slower).
    "error_model": "numpy",
    # Reassociation lets the rank-R dot product vectorise; no 'nnan'/'ninf', so NaN/inf still
    # propagate and divergence detection stays reliable. Results remain bit-reproducible for a
    # given machine and Numba build.
    "fastmath": {"reassoc", "contract", "nsz"},
}

SGD_PLAIN, SGD_MOMENTUM, SGD_NESTEROV = 0, 1, 2


# ---------------------------------------------------------------------------------- shuffling
@njit(**_JIT)
def _splitmix64(state):
    """One step of SplitMix64 (Steele et al. 2014); ``state`` is a uint64 array of length 1."""
    state[0] += np.uint64(0x9E3779B97F4A7C15)
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(**_JIT)
def _below(bound, state):
    """Uniform integer in [0, bound) for 1 <= bound < 2^32: Lemire's multiply-shift with rejection
    (exactly uniform; the rare rejection test replaces a 64-bit modulo on every draw)."""
    s = np.uint64(bound)
    m = (_splitmix64(state) >> np.uint64(32)) * s
    low = m & np.uint64(0xFFFFFFFF)
    if low < s:
        threshold = (np.uint64(1 << 32) - s) % s
        while low < threshold:
            m = (_splitmix64(state) >> np.uint64(32)) * s
            low = m & np.uint64(0xFFFFFFFF)
    return np.int64(m >> np.uint64(32))


@njit(**_JIT)
def shuffle_triples(users, items, ratings, state):
    """Fisher-Yates shuffle of the three arrays together, in place, from the seeded ``state``.

    Shuffling the arrays themselves (not an index array) keeps the epoch pass sequential in
    memory, which halves the per-rating epoch time. Requires fewer than 2^32 ratings.
    """
    n = users.shape[0]
    for k in range(n - 1, 0, -1):
        j = _below(k + 1, state)
        tu = users[k]
        users[k] = users[j]
        users[j] = tu
        ti = items[k]
        items[k] = items[j]
        items[j] = ti
        tr = ratings[k]
        ratings[k] = ratings[j]
        ratings[j] = tr


# ---------------------------------------------------------------------------------- per-rating
@njit(**_JIT)
def _predict(a, b, bu, bi, u, i, mu, use_bias):
    """mu [+ b_u + b_i] + p_u . q_i for packed rows a = U[u], b = V[i] (slot 0 = factors)."""
    pred = mu
    if use_bias:
        pred += bu[u, 0] + bi[i, 0]
    for k in range(a.shape[1]):
        pred += a[0, k] * b[0, k]
    return pred


@njit(inline="always", **_JIT)
def _sgd_pass(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, variant, use_bias):
    """One pass of per-rating SGD over the (already shuffled) training triples.

    Packed state: U[u] = [p_u, v_u] (slot 0 factors, slot 1 velocity; velocity unused by plain
    SGD), V[i] likewise for q_i; BU[u] = [b_u, v], BV[i] = [b_i, v] (zero rows without biases).
    For each rating, with g the gradient of f = 1/2 e^2 + reg/2 (|p_u|^2 + |q_i|^2 [+ b_u^2 + b_i^2]):
      g_pu = -e q_i + reg p_u ,  g_qi = -e p_u + reg q_i ,  g_bu = -e + reg b_u , g_bi = -e + reg b_i
      plain:     y <- y - lr g
      momentum:  v <- momentum v - lr g ;  y <- y + v
      nesterov:  v' <- momentum v - lr g ;  y <- y - momentum v + (1 + momentum) v' ; v <- v'
    Only the touched rows change; both gradients use the pre-step values.
    Inlined into one kernel per variant below, so ``variant`` is a compile-time constant and
    each kernel contains only its own update loop (1.4x faster than a runtime switch).
    """
    R = U.shape[2]
    one = U.dtype.type(1.0)
    mom1 = one + momentum
    for n in range(users.shape[0]):
        u = users[n]
        i = items[n]
        a = U[u]
        b = V[i]
        pred = mu
        if use_bias:
            pred += BU[u, 0] + BV[i, 0]
        for k in range(R):
            pred += a[0, k] * b[0, k]
        e = ratings[n] - pred
        # One loop per variant: a branch-free body is what lets LLVM vectorise over k.
        if variant == SGD_PLAIN:
            for k in range(R):
                pk = a[0, k]
                qk = b[0, k]
                a[0, k] = pk - lr * (reg * pk - e * qk)
                b[0, k] = qk - lr * (reg * qk - e * pk)
        elif variant == SGD_MOMENTUM:
            for k in range(R):
                pk = a[0, k]
                qk = b[0, k]
                vp = momentum * a[1, k] - lr * (reg * pk - e * qk)
                vq = momentum * b[1, k] - lr * (reg * qk - e * pk)
                a[1, k] = vp
                b[1, k] = vq
                a[0, k] = pk + vp
                b[0, k] = qk + vq
        else:
            for k in range(R):
                pk = a[0, k]
                qk = b[0, k]
                vp = momentum * a[1, k] - lr * (reg * pk - e * qk)
                vq = momentum * b[1, k] - lr * (reg * qk - e * pk)
                a[0, k] = pk - momentum * a[1, k] + mom1 * vp
                b[0, k] = qk - momentum * b[1, k] + mom1 * vq
                a[1, k] = vp
                b[1, k] = vq
        if use_bias:
            _sgd_scalar(BU, u, reg * BU[u, 0] - e, lr, momentum, variant)
            _sgd_scalar(BV, i, reg * BV[i, 0] - e, lr, momentum, variant)


@njit(**_JIT)
def epoch_sgd_plain(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, use_bias):
    """Per-rating plain SGD pass (see _sgd_pass); ``momentum`` is ignored."""
    _sgd_pass(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, SGD_PLAIN, use_bias)


@njit(**_JIT)
def epoch_sgd_momentum(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, use_bias):
    """Per-rating momentum SGD pass (see _sgd_pass)."""
    _sgd_pass(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, SGD_MOMENTUM, use_bias)


@njit(**_JIT)
def epoch_sgd_nesterov(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, use_bias):
    """Per-rating Nesterov-momentum SGD pass (see _sgd_pass)."""
    _sgd_pass(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, SGD_NESTEROV, use_bias)


EPOCH_SGD = {SGD_PLAIN: epoch_sgd_plain, SGD_MOMENTUM: epoch_sgd_momentum,
             SGD_NESTEROV: epoch_sgd_nesterov}


@njit(**_JIT)
def _sgd_scalar(B, r, g, lr, momentum, variant):
    """The SGD rule of epoch_sgd_rating for one scalar parameter B[r, 0] (velocity B[r, 1])."""
    if variant == SGD_PLAIN:
        B[r, 0] -= lr * g
    elif variant == SGD_MOMENTUM:
        B[r, 1] = momentum * B[r, 1] - lr * g
        B[r, 0] += B[r, 1]
    else:
        v = momentum * B[r, 1] - lr * g
        B[r, 0] += -momentum * B[r, 1] + (B.dtype.type(1.0) + momentum) * v
        B[r, 1] = v


@njit(inline="always", **_JIT)
def _adam_pass(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
               lr, reg, beta1, beta2, eps, curv_shift, half_power, gauss_newton, use_sqrt,
               per_row, use_bias):
    """One pass of per-rating Adam (``gauss_newton=False``) or AdaGO (``True``).

    Packed state: U[u] = [p_u, m, s] (slots 0, 1, 2), V[i] = [q_i, m, s], BU[u] = [b_u, m, s],
    BV[i] = [b_i, m, s]. For each rating (u, i) with residual e and per-instance gradient g (see
    epoch_sgd_rating):
      x  = g                                     Adam (beta2 = Adam's beta2)
      x  = d = other_factor^2 + curv_shift       AdaGO (beta2 = omega): d_pu = q_i^2, d_qi = p_u^2,
                                                 d_b = 1; curv_shift = a (+ reg if reg in curvature)
      m <- beta1 m + (1 - beta1) g ;  s <- beta2 s + (1 - beta2) x^2
      y <- y - lr (m / (1 - beta1^t)) / ((s / (1 - beta2^t))^half_power + eps)
    half_power = k/2 (1/2 for Adam). t: with ``per_row`` the number of updates of that row so far
    (t_user[u], t_item[i], incremented here), else one counter t_global[0] incremented per rating.
    bc1[t] = 1/(1 - beta1^t), bc2[t] = 1/(1 - beta2^t), t clamped to the tables' last entry (see
    training.bias_correction_table). Only the touched rows change (lazy Adam).
    Inlined into the kernels below with ``gauss_newton`` and ``use_sqrt`` (half_power == 1/2) as
    compile-time constants, so each kernel holds only its own update loop.
    """
    R = U.shape[2]
    one = U.dtype.type(1.0)
    b1c = one - beta1
    b2c = one - beta2
    last1 = bc1.shape[0] - 1
    last2 = bc2.shape[0] - 1
    for n in range(users.shape[0]):
        u = users[n]
        i = items[n]
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
        # The dot product is written out in each kernel: a helper call here cost 1.5x.
        pred = mu
        if use_bias:
            pred += BU[u, 0] + BV[i, 0]
        for k in range(R):
            pred += a[0, k] * b[0, k]
        e = ratings[n] - pred
        # Branches hoisted out of the k loops: branch-free bodies vectorise.
        if gauss_newton and use_sqrt:
            for k in range(R):
                pk = a[0, k]
                qk = b[0, k]
                xp = qk * qk + curv_shift
                xq = pk * pk + curv_shift
                mp = beta1 * a[1, k] + b1c * (reg * pk - e * qk)
                mq = beta1 * b[1, k] + b1c * (reg * qk - e * pk)
                sp = beta2 * a[2, k] + b2c * (xp * xp)
                sq = beta2 * b[2, k] + b2c * (xq * xq)
                a[1, k] = mp
                b[1, k] = mq
                a[2, k] = sp
                b[2, k] = sq
                a[0, k] = pk - lr * (mp * c1u) / (np.sqrt(sp * c2u) + eps)
                b[0, k] = qk - lr * (mq * c1i) / (np.sqrt(sq * c2i) + eps)
        elif gauss_newton:
            for k in range(R):
                pk = a[0, k]
                qk = b[0, k]
                xp = qk * qk + curv_shift
                xq = pk * pk + curv_shift
                mp = beta1 * a[1, k] + b1c * (reg * pk - e * qk)
                mq = beta1 * b[1, k] + b1c * (reg * qk - e * pk)
                sp = beta2 * a[2, k] + b2c * (xp * xp)
                sq = beta2 * b[2, k] + b2c * (xq * xq)
                a[1, k] = mp
                b[1, k] = mq
                a[2, k] = sp
                b[2, k] = sq
                a[0, k] = pk - lr * (mp * c1u) / ((sp * c2u) ** half_power + eps)
                b[0, k] = qk - lr * (mq * c1i) / ((sq * c2i) ** half_power + eps)
        else:
            for k in range(R):
                pk = a[0, k]
                qk = b[0, k]
                gp = reg * pk - e * qk
                gq = reg * qk - e * pk
                mp = beta1 * a[1, k] + b1c * gp
                mq = beta1 * b[1, k] + b1c * gq
                sp = beta2 * a[2, k] + b2c * (gp * gp)
                sq = beta2 * b[2, k] + b2c * (gq * gq)
                a[1, k] = mp
                b[1, k] = mq
                a[2, k] = sp
                b[2, k] = sq
                a[0, k] = pk - lr * (mp * c1u) / (np.sqrt(sp * c2u) + eps)
                b[0, k] = qk - lr * (mq * c1i) / (np.sqrt(sq * c2i) + eps)
        if use_bias:
            gbu = reg * BU[u, 0] - e
            gbi = reg * BV[i, 0] - e
            x = one + curv_shift
            _adam_scalar(BU, u, gbu, x if gauss_newton else gbu, c1u, c2u, lr, beta1, beta2, eps,
                         half_power)
            _adam_scalar(BV, i, gbi, x if gauss_newton else gbi, c1i, c2i, lr, beta1, beta2, eps,
                         half_power)


@njit(**_JIT)
def epoch_adam_rating(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
                      lr, reg, beta1, beta2, eps, curv_shift, half_power, per_row, use_bias):
    """Per-rating Adam pass (see _adam_pass); ``curv_shift`` and ``half_power`` are ignored."""
    _adam_pass(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
               lr, reg, beta1, beta2, eps, curv_shift, U.dtype.type(0.5), False, True,
               per_row, use_bias)


@njit(**_JIT)
def epoch_adago_rating(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
                       lr, reg, beta1, omega, eps, curv_shift, half_power, per_row, use_bias):
    """Per-rating AdaGO pass (see _adam_pass) with hessian power k = 2 * half_power."""
    if half_power == U.dtype.type(0.5):
        _adam_pass(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
                   lr, reg, beta1, omega, eps, curv_shift, half_power, True, True,
                   per_row, use_bias)
    else:
        _adam_pass(users, items, ratings, U, V, BU, BV, mu, t_user, t_item, t_global, bc1, bc2,
                   lr, reg, beta1, omega, eps, curv_shift, half_power, True, False,
                   per_row, use_bias)


@njit(**_JIT)
def _adam_scalar(B, r, g, x, c1, c2, lr, beta1, beta2, eps, half_power):
    """The rule of epoch_adam_rating for one scalar parameter B[r, 0] with moments B[r, 1:3]."""
    one = B.dtype.type(1.0)
    m = beta1 * B[r, 1] + (one - beta1) * g
    s = beta2 * B[r, 2] + (one - beta2) * (x * x)
    B[r, 1] = m
    B[r, 2] = s
    B[r, 0] -= lr * (m * c1) / ((s * c2) ** half_power + eps)


# ---------------------------------------------------------------------------------- full batch
@njit(**_JIT, parallel=True)
def residuals(users, items, ratings, U, V, BU, BV, mu, use_bias, out):
    """out[n] = r_n - (mu [+ b_u + b_i] + p_u . q_i) for every rating (one writer each)."""
    for n in prange(users.shape[0]):
        u = users[n]
        i = items[n]
        out[n] = ratings[n] - _predict(U[u], V[i], BU, BV, u, i, mu, use_bias)


@njit(**_JIT, parallel=True)
def full_gradient_rows(indptr, order, other_idx, resid, Y, X, b, reg, curv, damping, G, D, gb, db,
                       use_bias):
    """Full-batch gradient and Gauss-Newton diagonal for the rows of one factor matrix.

    Y = U[:, 0, :] (or V[:, 0, :]) are this side's factors, X the other side's, b this side's
    biases. Row y has the ratings order[indptr[y]:indptr[y+1]] (CSR for users, CSC for items);
    x_n = X[other_idx[n]] is the other factor of rating n and e_n its residual:
      G[y]  = sum_n (-e_n x_n) + reg * n_y * Y[y]
      D[y]  = sum_n x_n^2 + curv * n_y + damping          (curv = reg if reg in curvature, else 0)
      gb[y] = sum_n (-e_n) + reg * n_y * b[y] ;  db[y] = n_y (1 + curv) + damping
    Each thread owns whole rows, so the sums are sequential and thread-count independent.
    """
    R = Y.shape[1]
    for y in prange(Y.shape[0]):
        start = indptr[y]
        stop = indptr[y + 1]
        cnt = Y.dtype.type(stop - start)
        for k in range(R):
            G[y, k] = 0.0
            D[y, k] = 0.0
        sum_e = Y.dtype.type(0.0)
        for p in range(start, stop):
            n = order[p]
            e = resid[n]
            x = other_idx[n]
            sum_e += e
            for k in range(R):
                xk = X[x, k]
                G[y, k] -= e * xk
                D[y, k] += xk * xk
        for k in range(R):
            G[y, k] += reg * cnt * Y[y, k]
            D[y, k] += curv * cnt + damping
        if use_bias:
            gb[y] = reg * cnt * b[y] - sum_e
            db[y] = cnt * (Y.dtype.type(1.0) + curv) + damping


@njit(**_JIT, parallel=True)
def step_sgd_full(Y, G, Vel, lr, momentum, variant):
    """Elementwise SGD step on a whole 2-D parameter block (same rules as epoch_sgd_rating)."""
    one = Y.dtype.type(1.0)
    for y in prange(Y.shape[0]):
        for k in range(Y.shape[1]):
            g = G[y, k]
            if variant == SGD_PLAIN:
                Y[y, k] -= lr * g
            elif variant == SGD_MOMENTUM:
                Vel[y, k] = momentum * Vel[y, k] - lr * g
                Y[y, k] += Vel[y, k]
            else:
                v = momentum * Vel[y, k] - lr * g
                Y[y, k] += -momentum * Vel[y, k] + (one + momentum) * v
                Vel[y, k] = v


@njit(**_JIT, parallel=True)
def step_adam_full(Y, G, D, M, S, c1, c2, lr, beta1, beta2, eps, half_power, gauss_newton):
    """Elementwise Adam/AdaGO step on a whole 2-D parameter block; c1, c2 = bias corrections.

    x = D (AdaGO) or G (Adam);  M <- beta1 M + (1-beta1) G;  S <- beta2 S + (1-beta2) x^2;
    Y <- Y - lr (c1 M) / ((c2 S)^half_power + eps).
    """
    one = Y.dtype.type(1.0)
    use_sqrt = half_power == Y.dtype.type(0.5)
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


# ---------------------------------------------------------------------------------- evaluation
@njit(**_JIT, parallel=True)
def predict_into(users, items, U, V, BU, BV, mu, use_bias, out):
    """out[n] = mu [+ b_u + b_i] + p_u . q_i (unclipped; clipping happens in metrics)."""
    for n in prange(users.shape[0]):
        u = users[n]
        i = items[n]
        out[n] = _predict(U[u], V[i], BU, BV, u, i, mu, use_bias)


@njit(**_JIT)
def objective(ratings, pred, U, V, BU, BV, n_per_user, n_per_item, reg, use_bias):
    """Full training objective L in float64, from the predictions of the training ratings.

    L = sum_n 1/2 (r_n - pred_n)^2 + reg/2 (sum_u n_u |p_u|^2 + sum_i n_i |q_i|^2
        [+ sum_u n_u b_u^2 + sum_i n_i b_i^2])
    which equals the per-instance sum of docs/METHODS.md (each rating carries its rows' penalty).
    Float64 sums: free of float32 accumulation error; deterministic for a given build.
    """
    sq = 0.0
    for n in range(ratings.shape[0]):
        e = np.float64(ratings[n]) - np.float64(pred[n])
        sq += e * e
    return 0.5 * sq + 0.5 * reg * (_penalty(U, BU, n_per_user, use_bias)
                                   + _penalty(V, BV, n_per_item, use_bias))


@njit(**_JIT)
def _penalty(U, BU, counts, use_bias):
    """sum_rows counts[row] * (|U[row, 0]|^2 [+ BU[row, 0]^2]) in float64."""
    pen = 0.0
    for r in range(U.shape[0]):
        s = 0.0
        for k in range(U.shape[2]):
            x = np.float64(U[r, 0, k])
            s += x * x
        if use_bias:
            x = np.float64(BU[r, 0])
            s += x * x
        pen += counts[r] * s
    return pen
