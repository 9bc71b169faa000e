"""The bucketed reshuffle of large training sets (above FISHER_YATES_MAX ratings): exactly uniform,
triples kept together, deterministic for a seed. (Plain Fisher-Yates: tests/test_shuffle.py.)

Uniformity is tested by a chi-square goodness-of-fit test over all n! orders of a small array.
The critical values are the chi-square quantiles at 1 - 1e-6 (scipy.stats.chi2.isf(1e-6, df)), so
for a uniform shuffle the test fails with probability 1e-6 per seed; the seeds are fixed, so a
given build passes or fails deterministically. test_the_uniformity_test_rejects_a_biased_shuffle
shows that the same test, with the same sample size, rejects a classic non-uniform shuffle.
"""

import itertools

import numpy as np
import pandas as pd
import pytest

from adago.optimizers import shared as K

CRITICAL = {23: 70.5496, 119: 207.1986}  # chi2.isf(1e-6, df) for 4! - 1 and 5! - 1 classes


def chi_square_over_orders(shuffle, n: int, per_order: int) -> tuple[float, int]:
    """(chi-square statistic, degrees of freedom) of the orders ``shuffle`` gives arange(n),
    drawn n! * per_order times from one advancing seeded state."""
    orders = {p: k for k, p in enumerate(itertools.permutations(range(n)))}
    counts = np.zeros(len(orders), np.int64)
    state = np.array([20261127], np.uint64)
    for _ in range(len(orders) * per_order):
        users = np.arange(n, dtype=np.int32)
        shuffle(users, state)
        counts[orders[tuple(users.tolist())]] += 1
    return float(((counts - per_order) ** 2).sum() / per_order), len(orders) - 1


def bucketed(bits):
    def shuffle(users, state):
        items = users.copy()
        ratings = users.astype(np.float32)
        K.bucket_shuffle(users, items, ratings, state, *K.shuffle_scratch(len(users), np.float32), bits)
        assert np.array_equal(items, users) and np.array_equal(ratings, users)
    return shuffle


@pytest.mark.parametrize("n, bits", [(4, 1), (4, 2), (5, 2), (5, 3)])
def test_bucket_shuffle_is_uniform_over_all_orders(n, bits):
    # 2^bits buckets for n elements: many buckets are empty or hold several, as at scale.
    stat, df = chi_square_over_orders(bucketed(bits), n, per_order=300)
    assert stat < CRITICAL[df], f"chi-square {stat:.1f} on {df} df: not uniform"


def test_the_uniformity_test_rejects_a_biased_shuffle():
    # Swapping each position with a uniform position of the WHOLE array gives n^n equally likely
    # paths onto n! orders; 4^4 = 256 is not a multiple of 24, so some orders are more likely.
    rng = np.random.default_rng(0)

    def naive(users, state):
        for k in range(len(users)):
            j = rng.integers(len(users))
            users[k], users[j] = users[j], users[k]
    stat, df = chi_square_over_orders(naive, 4, per_order=300)
    assert stat > CRITICAL[df]


def big_triples(n, dtype=np.float32):
    rng = np.random.default_rng(1)
    users = rng.integers(0, 1000, n).astype(np.int32)
    items = np.arange(n, dtype=np.int32)
    return users, items, (items * 0.5).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_shuffle_is_a_permutation_that_keeps_each_rating_whole(dtype):
    n = K.FISHER_YATES_MAX + 12_345  # the bucketed path
    assert K.bucket_bits(n) > 0
    users, items, ratings = big_triples(n, dtype)
    before = users.copy()
    K.shuffle_triples(users, items, ratings, np.array([5], np.uint64))
    assert np.array_equal(np.sort(items), np.arange(n))
    assert not np.array_equal(items, np.arange(n))
    assert np.array_equal(ratings, (items * 0.5).astype(dtype))  # rating travelled with its item
    assert np.array_equal(users, before[items])  # user too


def test_large_shuffle_is_deterministic_for_a_state_and_advances_it():
    n = K.FISHER_YATES_MAX + 1
    a, b = big_triples(n), big_triples(n)
    sa, sb = np.array([9], np.uint64), np.array([9], np.uint64)
    K.shuffle_triples(*a, sa)
    K.shuffle_triples(*b, sb, K.shuffle_scratch(n, np.float32))  # own scratch: same result
    assert all(np.array_equal(x, y) for x, y in zip(a, b)) and sa[0] == sb[0] != 9
    c = big_triples(n)
    K.shuffle_triples(*c, sa)  # the next epoch's state gives another order
    assert not np.array_equal(a[1], c[1])


def test_small_sets_keep_plain_fisher_yates():
    # Below FISHER_YATES_MAX every result of earlier versions is unchanged.
    n = 1000
    a, b = big_triples(n), big_triples(n)
    K.shuffle_triples(*a, np.array([3], np.uint64))
    K.fisher_yates(*b, np.array([3], np.uint64))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("n", [0, 1, 2, 3, K.FY_LOOKAHEAD - 1, K.FY_LOOKAHEAD, K.FY_LOOKAHEAD + 1, 1000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_packed_fisher_yates_is_fisher_yates(n, dtype):
    # The same permutation and the same stream left behind, whatever n is against the look-ahead
    # (including fewer ratings than draws made ahead), so switching to it changes no result.
    a, b = big_triples(n, dtype), big_triples(n, dtype)
    sa, sb = np.array([11], np.uint64), np.array([11], np.uint64)
    for _ in range(3):  # three epochs: each starts from the state the last one left
        K.fisher_yates(*a, sa)
        K.fisher_yates_packed(*b, sb, K.shuffle_scratch(n, dtype)[0])
        assert all(np.array_equal(x, y) for x, y in zip(a, b)) and sa[0] == sb[0]
    assert np.array_equal(b[2], (b[1] * 0.5).astype(dtype))  # each rating travelled whole


def test_mid_sized_sets_shuffle_packed_with_the_plain_fisher_yates_permutation():
    n = K.FY_PACKED_MIN + 3  # packed, not bucketed
    assert K.needs_scratch(n) and K.bucket_bits(n) == 0 and not K.needs_scratch(K.FY_PACKED_MIN - 1)
    a, b, c = big_triples(n), big_triples(n), big_triples(n)
    sa, sb, sc = (np.array([4], np.uint64) for _ in range(3))
    K.fisher_yates(*a, sa)
    K.shuffle_triples(*b, sb)
    K.shuffle_triples(*c, sc, K.shuffle_scratch(n, np.float32))
    for other, state in ((b, sb), (c, sc)):
        assert all(np.array_equal(x, y) for x, y in zip(a, other)) and state[0] == sa[0]
    assert not np.array_equal(a[1], np.arange(n))


def test_bucketed_training_history_does_not_depend_on_thread_count(monkeypatch):
    from adago.optimizers import TrainConfig
    from adago.synthetic import low_rank_ratings
    from adago.training import train

    d = low_rank_ratings(300, 200, 20_000, rank=3, noise_std=0.3, seed=3)
    tr = (d.user, d.item, d.rating)

    def history(threads):
        cfg = TrainConfig.from_mapping({"method": "adago", "rank": 4, "max_epochs": 3})
        return train(tr, tr, None, n_users=d.n_users, n_items=d.n_items, config=cfg, seed=4,
                     rating_range=(d.rating_min, d.rating_max),
                     threads=threads).history.drop(columns="seconds")

    plain = history(1)
    # 20,000 ratings now take the bucketed path, through 16 buckets
    monkeypatch.setattr(K, "FISHER_YATES_MAX", 1000)
    monkeypatch.setattr(K, "SHUFFLE_BUCKET", 2000)
    assert K.bucket_bits(20_000) > 0
    one, two = history(1), history(2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    assert not one.equals(plain)  # the bucketed shuffle really ran
