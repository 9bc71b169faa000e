"""ALS (alternating least squares): the exact block-Newton baseline - every user row minimised
exactly with the items fixed, then every item row with the users fixed.

Given Q (and the item biases), L is a sum of independent ridge regressions, one per user:

    w_u = argmin_w  sum_{i in K_u} 1/2 (t_ui - x_i . w)^2 + lam_u/2 |w|^2
        = (sum_{i in K_u} x_i x_i^T + lam_u I)^(-1) sum_{i in K_u} t_ui x_i

with w_u = p_u, x_i = q_i, t_ui = r_ui (no biases) or w_u = [p_u, b_u], x_i = [q_i, 1],
t_ui = r_ui - mu - b_i (biases), and lam_u = reg * n_u (``weighted_reg``, the weighted-lambda
rule: the per-instance regulariser of this loss, so each sweep minimises exactly the L that is
reported) or lam_u = reg (one penalty per row, the classic unweighted rule - a different loss).
Items likewise with the roles swapped. One epoch = a user sweep, then an item sweep using the new
users. Rows without ratings are left as they are (L does not depend on them).

Each row is solved in float64 (normal equations, Cholesky) whatever the factor dtype. Rows are
split into a fixed number of chunks, each with its own workspace; threads take whole chunks and
every row's arithmetic is sequential, so the result does not depend on the thread count.
Equations: docs/METHODS.md, "ALS".
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from adago.optimizers.shared import JIT, row_index

# Work units of a sweep: enough for load balance on any thread count, few enough that the
# per-chunk workspaces stay small (256 x (R+1)^2 float64).
CHUNKS = 256


@njit(**JIT)
def cholesky_solve(A, b, m):
    """Solve A w = b for the symmetric positive definite leading m x m block of A, in place:
    A's lower triangle becomes the Cholesky factor L (A = L L^T), b becomes w. A non-positive
    pivot (A not positive definite) makes w NaN, which the training loop reports as divergence."""
    for j in range(m):
        d = A[j, j]
        for k in range(j):
            d -= A[j, k] * A[j, k]
        d = np.sqrt(d) if d > 0.0 else np.nan
        A[j, j] = d
        for i in range(j + 1, m):
            v = A[i, j]
            for k in range(j):
                v -= A[i, k] * A[j, k]
            A[i, j] = v / d
    for i in range(m):  # L y = b
        v = b[i]
        for k in range(i):
            v -= A[i, k] * b[k]
        b[i] = v / A[i, i]
    for i in range(m - 1, -1, -1):  # L^T w = y
        v = b[i]
        for k in range(i + 1, m):
            v -= A[k, i] * b[k]
        b[i] = v / A[i, i]


@njit(**JIT, parallel=True)
def solve_rows(indptr, other, ratings, Y, X, by, bx, mu, reg, weighted, use_bias, A, rhs, x):
    """Replace every row y of Y (and by[y] with biases) that has ratings by the exact minimiser
    above, with X and bx (the other side) fixed.

    Row y's ratings are positions indptr[y]:indptr[y+1] of ``other`` (the other side's row of
    each rating) and ``ratings``, both stored in row order (CSR for users, CSC for items).
    A (C, m, m), rhs (C, m), x (C, m) are float64 workspaces, one per chunk of rows (m = R, or
    R + 1 with biases).
    """
    n_rows = Y.shape[0]
    R = Y.shape[1]
    m = R + 1 if use_bias else R
    chunks = A.shape[0]
    per_chunk = (n_rows + chunks - 1) // chunks
    for c in prange(chunks):
        Ac = A[c]
        bc = rhs[c]
        xc = x[c]
        for y in range(c * per_chunk, min((c + 1) * per_chunk, n_rows)):
            start = indptr[y]
            stop = indptr[y + 1]
            if stop == start:
                continue
            for a in range(m):
                bc[a] = 0.0
                for b in range(m):
                    Ac[a, b] = 0.0
            for p in range(start, stop):
                o = other[p]
                t = np.float64(ratings[p]) - np.float64(mu)
                for k in range(R):
                    xc[k] = X[o, k]
                if use_bias:
                    t -= np.float64(bx[o])
                    xc[R] = 1.0
                # Full square (not the triangle): the inner loop is contiguous and vectorises.
                for a in range(m):
                    xa = xc[a]
                    bc[a] += xa * t
                    for b in range(m):
                        Ac[a, b] += xa * xc[b]
            lam = reg * (stop - start) if weighted else reg
            for a in range(m):
                Ac[a, a] += lam
            cholesky_solve(Ac, bc, m)
            for k in range(R):
                Y[y, k] = bc[k]
            if use_bias:
                by[y] = bc[R]


class ALS:
    """One run's ALS: the row indexes and solver workspaces; one epoch = user sweep + item sweep."""

    slots = 1  # no optimiser state

    def __init__(self, cfg, dtype, train, n_users, n_items, rng):
        users, items, ratings = train
        self.stored_rank = cfg.rank  # the solves take whole rows: never padded
        # Each side's ratings stored in its row order: the sweep then reads them sequentially
        # (an index into the unsorted arrays cost 2x). A full-batch run never reshuffles them.
        self.ptr_u, order_u = row_index(users, n_users)
        self.ptr_i, order_i = row_index(items, n_items)
        self.items_by_user, self.ratings_by_user = items[order_u], ratings[order_u]
        self.users_by_item, self.ratings_by_item = users[order_i], ratings[order_i]
        self.reg, self.weighted, self.use_bias = float(cfg.reg), cfg.weighted_reg, cfg.use_bias
        m = cfg.rank + (1 if cfg.use_bias else 0)
        chunks = max(1, min(CHUNKS, max(n_users, n_items)))
        self.A = np.zeros((chunks, m, m))
        self.rhs = np.zeros((chunks, m))
        self.x = np.zeros((chunks, m))

    def epoch_full(self, train, U, V, BU, BV, mu, epoch) -> None:
        P, Q, bu, bi = U[:, 0, :], V[:, 0, :], BU[:, 0], BV[:, 0]
        solve_rows(self.ptr_u, self.items_by_user, self.ratings_by_user, P, Q, bu, bi, mu, self.reg,
                   self.weighted, self.use_bias, self.A, self.rhs, self.x)
        solve_rows(self.ptr_i, self.users_by_item, self.ratings_by_item, Q, P, bi, bu, mu, self.reg,
                   self.weighted, self.use_bias, self.A, self.rhs, self.x)
