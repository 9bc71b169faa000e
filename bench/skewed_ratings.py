"""Synthetic rating triples shaped like MovieLens-1M, -10M and -25M, with their skewed degrees.

Imported by bench/scale_speed.py; no files are written here.

User and item degrees follow log-normal weights (sigma 1.0 for users, 1.6 for items, as in
benchmarks/make_large_ratings.py: a few heavy users and blockbuster items, a long tail), which is
what decides how often a row is hot in cache. Each user's number of ratings is its expected share
of ``n`` (rounded, at least one, the remainder spread by largest fraction), so the user column is a
``repeat`` and needs no search; each rating's item is drawn from the item weights by inverse CDF
(``searchsorted`` on 1M-rating chunks). The triples come out in a uniformly random order (a real
file's order does not matter to a per-epoch reshuffle, but cornac trains in the given order).
(user, item) pairs are not de-duplicated: a repeated pair is a rating like any other for the cost
of an epoch (about 3 % of the 25M triples repeat one).

Memory: the three output arrays (12 bytes per rating: int32, int32, float32) plus one 8-byte
permutation; 25M triples take about 3 s and 0.5 GB.
"""

from __future__ import annotations

import numpy as np

from make_large_ratings import _capped

# name -> (n_ratings, n_users, n_items): the MovieLens shapes.
SHAPES = {
    "1M": (1_000_209, 6_040, 3_952),
    "10M": (10_000_054, 69_878, 10_677),
    "25M": (25_000_095, 162_541, 59_047),
}
USER_SIGMA, ITEM_SIGMA = 1.0, 1.6
_CHUNK = 1 << 20


def skewed_ratings(n: int, n_users: int, n_items: int, seed: int = 0):
    """(users int32, items int32, ratings float32) of ``n`` ratings, 1-5 stars, in random order.

    rating = clip(round(3.6 + b_u + b_i + noise), 1, 5) with b_u ~ N(0, 0.4^2), b_i ~ N(0, 0.5^2),
    noise ~ N(0, 0.9^2): a plausible star histogram; the values do not change an epoch's cost.
    """
    rng = np.random.default_rng(seed)
    user_w = rng.lognormal(0.0, USER_SIGMA, n_users)
    # No item expected in more than 40 % of the users' ratings (ML-1M's most rated film: 57 %).
    item_p = _capped(rng.lognormal(0.0, ITEM_SIGMA, n_items), 0.4 * n_users / n)
    expected = user_w / user_w.sum() * (n - n_users) + 1.0  # every user rates at least once
    degree = np.floor(expected).astype(np.int64)
    short = n - int(degree.sum())
    degree[np.argsort(degree - expected)[:short]] += 1  # largest fractional parts first
    order = rng.permutation(n)
    users = np.empty(n, np.int32)
    users[order] = np.repeat(np.arange(n_users, dtype=np.int32), degree)
    del order
    item_cdf = np.cumsum(item_p)
    item_cdf[-1] = 1.0
    b_u = rng.normal(0.0, 0.4, n_users).astype(np.float32)
    b_i = rng.normal(0.0, 0.5, n_items).astype(np.float32)
    items = np.empty(n, np.int32)
    ratings = np.empty(n, np.float32)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        it = np.searchsorted(item_cdf, rng.random(stop - start), side="right")
        items[start:stop] = np.minimum(it, n_items - 1)
        r = 3.6 + b_u[users[start:stop]] + b_i[items[start:stop]]
        r += rng.normal(0.0, 0.9, stop - start).astype(np.float32)
        ratings[start:stop] = np.clip(np.rint(r), 1.0, 5.0)
    return users, items, ratings


def shape(name: str) -> tuple[int, int, int]:
    """(n_ratings, n_users, n_items) of a named shape ('1M', '10M', '25M')."""
    if name not in SHAPES:
        raise ValueError(f"unknown shape {name!r}; choose from {', '.join(SHAPES)}")
    return SHAPES[name]
