"""NumPy reference of the latent-factor model: readable, dense-testable, not used in the hot loop.

Model (paper eq. 3/5, optional biases):  r_hat_ui = mu + b_u + b_i + p_u . q_i
  P (n_users, R), Q (n_items, R); with ``bu``/``bi`` None the model is the paper's p_u . q_i
  (mu is then 0).
Loss over a set K of ratings (per-instance regularisation, the authors' convention):
  L = sum_{(u,i) in K} [ 1/2 (r_ui - r_hat_ui)^2 + reg/2 (|p_u|^2 + |q_i|^2 [+ b_u^2 + b_i^2]) ]
A per-rating step uses K = {one rating}; a full-batch step uses K = all training ratings.

The Numba kernels in :mod:`adago.optimizers` implement exactly these formulas; the tests check them
against this module, and this module against finite differences and a dense Jacobian.
"""

from __future__ import annotations

import numpy as np


def init_factors(n_users: int, n_items: int, rank: int, low: float, high: float,
                 rng: np.random.Generator, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """P ~ U[low, high)^(n_users x R), then Q ~ U[low, high)^(n_items x R), drawn in float64 from
    ``rng`` in that order (so the same seed gives the same factors in either dtype)."""
    P = rng.uniform(low, high, size=(n_users, rank))
    Q = rng.uniform(low, high, size=(n_items, rank))
    return P.astype(dtype), Q.astype(dtype)


def predict(P, Q, users, items, bu=None, bi=None, mu: float = 0.0) -> np.ndarray:
    """r_hat_n = mu [+ bu[u_n] + bi[i_n]] + P[u_n] . Q[i_n], shape (n,), unclipped."""
    out = np.einsum("nk,nk->n", P[users], Q[items]) + mu
    if bu is not None:
        out = out + bu[users] + bi[items]
    return out


def residuals(P, Q, users, items, ratings, bu=None, bi=None, mu: float = 0.0) -> np.ndarray:
    """e_n = r_n - r_hat_n, shape (n,)."""
    return ratings - predict(P, Q, users, items, bu, bi, mu)


def loss(P, Q, users, items, ratings, reg: float, bu=None, bi=None, mu: float = 0.0) -> float:
    """The objective L above (a float)."""
    e = residuals(P, Q, users, items, ratings, bu, bi, mu)
    pen = (P[users] ** 2).sum() + (Q[items] ** 2).sum()
    if bu is not None:
        pen += (bu[users] ** 2).sum() + (bi[items] ** 2).sum()
    return float(0.5 * (e @ e) + 0.5 * reg * pen)


def gradient(P, Q, users, items, ratings, reg: float, bu=None, bi=None, mu: float = 0.0) -> dict:
    """dL/dy for every parameter block: {'P': (n_users,R), 'Q': (n_items,R)[, 'bu', 'bi']}.

    dL/dp_u = sum_{i in K_u} (-e_ui q_i + reg p_u),  dL/dq_i = sum_{u in K_i} (-e_ui p_u + reg q_i),
    dL/db_u = sum_{i in K_u} (-e_ui + reg b_u),      dL/db_i = sum_{u in K_i} (-e_ui + reg b_i).
    """
    e = residuals(P, Q, users, items, ratings, bu, bi, mu)
    gP = np.zeros_like(P)
    gQ = np.zeros_like(Q)
    np.add.at(gP, users, -e[:, None] * Q[items] + reg * P[users])
    np.add.at(gQ, items, -e[:, None] * P[users] + reg * Q[items])
    out = {"P": gP, "Q": gQ}
    if bu is not None:
        gbu = np.zeros_like(bu)
        gbi = np.zeros_like(bi)
        np.add.at(gbu, users, -e + reg * bu[users])
        np.add.at(gbi, items, -e + reg * bi[items])
        out.update(bu=gbu, bi=gbi)
    return out


def gauss_newton_diagonal(P, Q, users, items, reg: float, damping: float, reg_in_curvature: bool,
                          use_bias: bool = False) -> dict:
    """d = diag(J^T J) + damping for the ratings (users, items), per parameter block.

    d(p_ur) = sum_{i in K_u} (q_ir^2 [+ reg]) + a,   d(q_ir) = sum_{u in K_i} (p_ur^2 [+ reg]) + a,
    d(b_u)  = sum_{i in K_u} (1 [+ reg]) + a,        d(b_i)  = sum_{u in K_i} (1 [+ reg]) + a,
    with [+ reg] only when ``reg_in_curvature``. Parameters not touched by the ratings get a.
    """
    c = reg if reg_in_curvature else 0.0
    dP = np.zeros_like(P)
    dQ = np.zeros_like(Q)
    np.add.at(dP, users, Q[items] ** 2 + c)
    np.add.at(dQ, items, P[users] ** 2 + c)
    out = {"P": dP + damping, "Q": dQ + damping}
    if use_bias:
        nu = np.bincount(users, minlength=P.shape[0]).astype(P.dtype)
        ni = np.bincount(items, minlength=Q.shape[0]).astype(Q.dtype)
        out.update(bu=nu * (1.0 + c) + damping, bi=ni * (1.0 + c) + damping)
    return out


def residual_jacobian(P, Q, users, items, reg: float, reg_in_curvature: bool,
                      use_bias: bool = False) -> np.ndarray:
    """Dense Jacobian J of the residual vector rho with L = 1/2 |rho|^2 (up to constants).

    Rows: rho_n = r_n - r_hat_n for each rating, then (if ``reg_in_curvature``) for each rating the
    regulariser residuals sqrt(reg) p_u, sqrt(reg) q_i [, sqrt(reg) b_u, sqrt(reg) b_i].
    Columns: parameters flattened as [P.ravel(), Q.ravel(), bu, bi] (see :func:`pack`).
    Built element by element on purpose: it is the independent reference for the tests.
    """
    nu, R = P.shape
    ni = Q.shape[0]
    n_par = (nu + ni) * R + ((nu + ni) if use_bias else 0)
    col_p = lambda u, r: u * R + r  # noqa: E731
    col_q = lambda i, r: nu * R + i * R + r  # noqa: E731
    col_bu = lambda u: (nu + ni) * R + u  # noqa: E731
    col_bi = lambda i: (nu + ni) * R + nu + i  # noqa: E731
    rows = []
    for u, i in zip(users, items):
        row = np.zeros(n_par)
        for r in range(R):
            row[col_p(u, r)] = -Q[i, r]
            row[col_q(i, r)] = -P[u, r]
        if use_bias:
            row[col_bu(u)] = -1.0
            row[col_bi(i)] = -1.0
        rows.append(row)
    if reg_in_curvature:
        s = np.sqrt(reg)
        for u, i in zip(users, items):
            for r in range(R):
                for col in (col_p(u, r), col_q(i, r)):
                    row = np.zeros(n_par)
                    row[col] = s
                    rows.append(row)
            if use_bias:
                for col in (col_bu(u), col_bi(i)):
                    row = np.zeros(n_par)
                    row[col] = s
                    rows.append(row)
    return np.array(rows)


def pack(P, Q, bu=None, bi=None) -> np.ndarray:
    """Flatten parameter blocks in the column order of :func:`residual_jacobian`."""
    parts = [P.ravel(), Q.ravel()]
    if bu is not None:
        parts += [bu, bi]
    return np.concatenate(parts)
