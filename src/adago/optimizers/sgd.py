"""SGD variants (M3): plain, momentum (the default reading of the paper's extended SGD) and Nesterov.

Per-rating passes over the shuffled training triples and the elementwise full-batch step, for
the packed state of :mod:`adago.optimizers.shared` with S = 1 (plain) or 2 (slot 1: velocity)
slots per row. Equations: docs/METHODS.md, "M3 extended SGD".
"""

from __future__ import annotations

from numba import njit, prange

from adago.optimizers.shared import JIT, FullBatch, padded_rank, prefetch_ahead, prefetch_pays

SGD_PLAIN, SGD_MOMENTUM, SGD_NESTEROV = 0, 1, 2
VARIANTS = {"plain": SGD_PLAIN, "momentum": SGD_MOMENTUM, "nesterov": SGD_NESTEROV}


@njit(inline="always", **JIT)
def _sgd_pass(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, variant, use_bias, rank,
              prefetching):
    """One pass of per-rating SGD over the (already shuffled) training triples.

    Packed state: U[u] = [p_u, v_u] (slot 0 factors, slot 1 velocity; velocity unused by plain
    SGD), V[i] likewise for q_i, with ``rank`` = R columns of U.shape[2] in use (the rest padding,
    updated with the rows but never read: see shared.padded_rank); BU[u] = [b_u, v],
    BV[i] = [b_i, v] (zero rows without biases).
    For each rating, with g the gradient of f = 1/2 e^2 + reg/2 (|p_u|^2 + |q_i|^2 [+ b_u^2 + b_i^2]):
      g_pu = -e q_i + reg p_u ,  g_qi = -e p_u + reg q_i ,  g_bu = -e + reg b_u , g_bi = -e + reg b_i
      plain:     y <- y - lr g
      momentum:  v <- momentum v - lr g ;  y <- y + v
      nesterov:  v' <- momentum v - lr g ;  y <- y - momentum v + (1 + momentum) v' ; v <- v'
    Only the touched rows change; both gradients use the pre-step values.
    Inlined into one kernel per variant below, so ``variant`` is a compile-time constant and
    each kernel contains only its own update loop (1.4x faster than a runtime switch); likewise
    ``prefetching`` (rows of later ratings asked for ahead, see _sgd_epoch).
    """
    R = U.shape[2]  # the update loops run over the padding too: whole SIMD vectors
    one = U.dtype.type(1.0)
    mom1 = one + momentum
    for n in range(users.shape[0]):
        if prefetching:
            prefetch_ahead(users, items, n, U, V)
        u = users[n]
        i = items[n]
        a = U[u]
        b = V[i]
        # Written out, as in every pass (see adam._adam_pass).
        pred = mu
        if use_bias:
            pred += BU[u, 0] + BV[i, 0]
        for k in range(rank):
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


@njit(inline="always", **JIT)
def _sgd_epoch(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, variant, use_bias, rank):
    """_sgd_pass, prefetching only where it pays (shared.prefetch_pays): two inlined copies."""
    if prefetch_pays(U, V):
        _sgd_pass(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, variant, use_bias, rank,
                  True)
    else:
        _sgd_pass(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, variant, use_bias, rank,
                  False)


@njit(**JIT)
def epoch_sgd_plain(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, use_bias, rank):
    """Per-rating plain SGD pass (see _sgd_pass); ``momentum`` is ignored."""
    _sgd_epoch(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, SGD_PLAIN, use_bias, rank)


@njit(**JIT)
def epoch_sgd_momentum(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, use_bias, rank):
    """Per-rating momentum SGD pass (see _sgd_pass)."""
    _sgd_epoch(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, SGD_MOMENTUM, use_bias, rank)


@njit(**JIT)
def epoch_sgd_nesterov(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, use_bias, rank):
    """Per-rating Nesterov-momentum SGD pass (see _sgd_pass)."""
    _sgd_epoch(users, items, ratings, U, V, BU, BV, mu, lr, reg, momentum, SGD_NESTEROV, use_bias, rank)


EPOCH_SGD = {SGD_PLAIN: epoch_sgd_plain, SGD_MOMENTUM: epoch_sgd_momentum,
             SGD_NESTEROV: epoch_sgd_nesterov}


@njit(**JIT)
def _sgd_scalar(B, r, g, lr, momentum, variant):
    """The SGD rule of _sgd_pass for one scalar parameter B[r, 0] (velocity B[r, 1])."""
    if variant == SGD_PLAIN:
        B[r, 0] -= lr * g
    elif variant == SGD_MOMENTUM:
        B[r, 1] = momentum * B[r, 1] - lr * g
        B[r, 0] += B[r, 1]
    else:
        v = momentum * B[r, 1] - lr * g
        B[r, 0] += -momentum * B[r, 1] + (B.dtype.type(1.0) + momentum) * v
        B[r, 1] = v


@njit(**JIT, parallel=True)
def step_sgd_full(Y, G, Vel, lr, momentum, variant):
    """Elementwise SGD step on a whole 2-D parameter block (same rules as _sgd_pass)."""
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




class SGD:
    """One run's SGD: state slots per row, the per-rating epoch and the full-batch step."""

    def __init__(self, cfg, dtype, train, n_users, n_items, rng):
        f = dtype.type
        self.variant = VARIANTS[cfg.sgd_variant]
        self.slots = 1 if cfg.sgd_variant == "plain" else 2
        self.use_bias = cfg.use_bias
        self.rank = cfg.rank
        # Plain SGD's rows stay unpadded: its update loop is so cheap that the larger rows cost as
        # much as the scalar iterations saved (1.05-1.13x slower at 1M, mixed at 10M and 25M;
        # momentum 0.82-0.90x at 1M, 1.00-1.06x above; docs/METHODS.md section 8).
        pads = cfg.batch == "rating" and cfg.sgd_variant != "plain"
        self.stored_rank = padded_rank(cfg.rank) if pads else cfg.rank
        self.lr, self.reg, self.momentum = f(cfg.lr), f(cfg.reg), f(cfg.momentum)
        # The full-batch gradient kernel also fills the GN diagonal, which SGD ignores.
        self.curv, self.damping = f(cfg.reg if cfg.reg_in_curvature else 0.0), f(cfg.damping)
        if cfg.batch == "full":
            self.full = FullBatch(train, n_users, n_items, cfg.rank, dtype, cfg.use_bias)

    def epoch_rating(self, train, U, V, BU, BV, mu) -> None:
        EPOCH_SGD[self.variant](*train, U, V, BU, BV, mu, self.lr, self.reg, self.momentum,
                                self.use_bias, self.rank)

    def epoch_full(self, train, U, V, BU, BV, mu, epoch) -> None:
        blocks = self.full.gradient(train, U, V, BU, BV, mu, self.reg, self.curv, self.damping,
                                    self.use_bias)
        for X, G, _D in blocks:
            vel = X[:, 1, :] if X.shape[1] > 1 else X[:, 0, :]  # unused by plain SGD
            step_sgd_full(X[:, 0, :], G, vel, self.lr, self.momentum, self.variant)
