"""Seeded synthetic rating data: a low-rank matrix plus Gaussian noise, as a RatingMatrix.

    r_ui = offset + a_u . b_i + noise_ui,   a_u, b_i ~ N(0, rank^(-1/2) I_rank),  noise ~ N(0, noise_std^2)

so the signal a_u . b_i has unit variance whatever the rank, and ``offset`` (3.0) centres the
values like 1-5 star ratings. The best possible test RMSE of any model is ``noise_std`` (the noise
is not clipped, so it stays exactly Gaussian). Used by the tests, the speed benchmark and the
workflow's built-in 'synthetic' data set.
"""

from __future__ import annotations

import numpy as np

from adago.dataset import RatingMatrix, from_triples

OFFSET = 3.0


def low_rank_ratings(n_users: int, n_items: int, n_ratings: int, *, rank: int = 5,
                     noise_std: float = 0.1, seed: int = 0,
                     rating_range: tuple[float, float] | None = None) -> RatingMatrix:
    """``n_ratings`` distinct (user, item) pairs drawn uniformly, rated by the model above.

    rating_range: declared range used to clip predictions; None = the data's own min and max.
    Every user and item keeps its index (ids are 0..n-1) even if it drew no rating, so the
    matrix shape is exactly (n_users, n_items). Deterministic in ``seed``.
    """
    if n_users < 1 or n_items < 1 or rank < 1:
        raise ValueError("n_users, n_items and rank must be >= 1")
    total = n_users * n_items
    if not 0 < n_ratings <= total:
        raise ValueError(f"n_ratings must be in 1..{total}, got {n_ratings}")
    if noise_std < 0:
        raise ValueError(f"noise_std must be >= 0, got {noise_std}")
    rng = np.random.default_rng(seed)
    cells = _distinct_cells(rng, total, n_ratings)
    user = (cells // n_items).astype(np.int64)
    item = (cells % n_items).astype(np.int64)
    scale = rank ** -0.25  # var(a.b) = rank * scale^4 = 1
    A = rng.normal(0.0, scale, size=(n_users, rank))
    B = rng.normal(0.0, scale, size=(n_items, rank))
    signal = np.empty(n_ratings)
    for start in range(0, n_ratings, 1 << 16):  # chunks: no (n_ratings x rank) temporaries
        stop = min(start + (1 << 16), n_ratings)
        signal[start:stop] = np.einsum("nk,nk->n", A[user[start:stop]], B[item[start:stop]])
    ratings = OFFSET + signal + rng.normal(0.0, noise_std, size=n_ratings)
    declared = rating_range is not None
    if not declared:
        rating_range = (float(ratings.min()), float(ratings.max()))
    # The universes keep users/items that drew no rating, so the shape is exactly as requested.
    return from_triples(user, item, ratings, rating_range=rating_range, range_declared=declared,
                        user_universe=np.arange(n_users), item_universe=np.arange(n_items))


def _distinct_cells(rng: np.random.Generator, total: int, n: int) -> np.ndarray:
    """``n`` distinct integers from 0..total-1, uniformly, in random order.

    Sparse case: draw with replacement and mark a boolean mask of all cells until at least n are
    marked, then keep a uniformly random n of the marked cells (by symmetry between cells this
    is a uniform n-subset). One byte per cell, no sort: ~0.1 s for ML-1M's 1M of 24M cells.
    Dense case (n > total/2): permute everything.
    """
    if 2 * n > total:
        return rng.permutation(total)[:n]
    marked = np.zeros(total, dtype=bool)
    count = 0
    while count < n:
        marked[rng.integers(0, total, size=int((n - count) * 1.1) + 16)] = True
        count = int(np.count_nonzero(marked))
    picked = np.flatnonzero(marked)
    return picked[rng.permutation(picked.size)[:n]]
