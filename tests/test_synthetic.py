"""Synthetic low-rank data: right shape, distinct cells, deterministic, noise at the stated level."""

import numpy as np

from adago.dataset import RatingMatrix
from adago.synthetic import OFFSET, low_rank_ratings


def test_low_rank_ratings_has_the_requested_shape_and_distinct_cells():
    d = low_rank_ratings(50, 40, 900, rank=3, noise_std=0.2, seed=4)
    assert isinstance(d, RatingMatrix)
    assert (d.n_users, d.n_items, d.n_ratings) == (50, 40, 900)
    assert d.user.dtype == np.int32 and d.item.dtype == np.int32
    assert len(np.unique(d.user.astype(np.int64) * 40 + d.item)) == 900
    assert d.rating_min == d.rating.min() and d.rating_max == d.rating.max()


def test_low_rank_ratings_is_deterministic_in_the_seed():
    a = low_rank_ratings(30, 20, 200, seed=1)
    b = low_rank_ratings(30, 20, 200, seed=1)
    c = low_rank_ratings(30, 20, 200, seed=2)
    for x in ("user", "item", "rating"):
        np.testing.assert_array_equal(getattr(a, x), getattr(b, x))
    assert not np.array_equal(a.rating, c.rating)


def test_low_rank_ratings_noise_level_and_declared_range():
    # A full matrix of rank 2: removing the best rank-2 approximation leaves (almost) the noise.
    d = low_rank_ratings(200, 150, 200 * 150, rank=2, noise_std=0.25, seed=0, rating_range=(1, 5))
    assert (d.rating_min, d.rating_max) == (1.0, 5.0)
    E = np.zeros((200, 150))
    E[d.user, d.item] = d.rating
    assert abs(E.mean() - OFFSET) < 0.2
    U, s, Vt = np.linalg.svd(E - E.mean())
    resid = E - E.mean() - (U[:, :3] * s[:3]) @ Vt[:3]  # rank 2 + the centring's rank 1
    assert 0.22 < resid.std() < 0.25


def test_dense_request_uses_every_cell_once():
    d = low_rank_ratings(6, 5, 30, seed=3)
    assert sorted(d.user.astype(int) * 5 + d.item) == list(range(30))
