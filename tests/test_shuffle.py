"""The per-rating epoch order: a uniform random permutation, drawn afresh every epoch.

SGD's convergence arguments assume each epoch visits the ratings in a uniformly random order,
independent of the previous epochs. The hand-computed update tests read the order back after the
shuffle, so they hold for any order; these tests check the order itself.

Statistical tests: chi-square goodness of fit to the uniform distribution over all n! orders,
rejected when p < ALPHA = 1e-6. The seeds are fixed, so each test is deterministic; ALPHA is the
probability that a correct shuffle fails for a seed chosen at random (the false-failure rate a
change of the generator's stream would expose us to). With 1000 expected draws per order the
chi-square approximation is accurate, and the power is essentially 1 against the usual broken
shuffles: the naive "swap k with any index" shuffle (noncentrality 715 against a critical value
of 70.5 at 23 degrees of freedom), Sattolo's variant (cyclic permutations only) and off-by-one
loop bounds (some orders impossible).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from adago.optimizers.shared import _below, shuffle_triples, splitmix64  # the epoch shuffle and its generator
from test_model import make_run, random_params

ALPHA = 1e-6
N = 4  # 4! = 24 orders
PER_ORDER = 1000


def _uniformity_p(counts: Counter, n: int) -> float:
    """Chi-square p-value of ``counts`` (permutation tuple -> draws) against uniform over n!."""
    observed = np.array([counts.get(p, 0) for p in itertools.permutations(range(n))])
    assert observed.sum() == sum(counts.values()), "a draw that is not a permutation"
    return float(stats.chisquare(observed).pvalue)


def _shuffled(n: int, state: np.ndarray) -> tuple:
    u = np.arange(n, dtype=np.int32)
    i = u + 100
    r = u.astype(np.float64) + 0.5
    shuffle_triples(u, i, r, state)
    # the three arrays are permuted together
    assert np.array_equal(i, u + 100) and np.array_equal(r, u + 0.5)
    return tuple(int(x) for x in u)


@pytest.mark.parametrize("seed", [1, 2**63 + 12345])
def test_shuffle_draws_every_order_of_four_ratings_equally_often(seed):
    state = np.array([seed], dtype=np.uint64)
    counts = Counter(_shuffled(N, state) for _ in range(PER_ORDER * math.factorial(N)))
    assert len(counts) == math.factorial(N), "some orders are never drawn"
    assert _uniformity_p(counts, N) > ALPHA


def test_shuffle_puts_each_rating_at_each_position_equally_often():
    # Larger n: all n! orders are too many to count, so test the n x n (rating, position) table,
    # each rating's position being uniform: chi-square with n(n - 1) degrees of freedom.
    n, draws = 9, 18_000
    state = np.array([7], dtype=np.uint64)
    table = np.zeros((n, n))
    for _ in range(draws):
        table[np.arange(n), np.argsort(_shuffled(n, state))] += 1
    assert float(stats.chisquare(table.ravel()).pvalue) > ALPHA


def test_shuffle_of_one_or_no_rating_is_a_no_op():
    state = np.array([3], dtype=np.uint64)
    for n in (0, 1):
        assert _shuffled(n, state) == tuple(range(n))


def test_shuffle_is_a_function_of_the_state_and_advances_it():
    a, b = np.array([99], dtype=np.uint64), np.array([99], dtype=np.uint64)
    assert [_shuffled(6, a) for _ in range(5)] == [_shuffled(6, b) for _ in range(5)]
    assert a[0] != 99 and a[0] == b[0]


# ------------------------------------------------------------------------------ the generator
MASK = 2**64 - 1


def reference_splitmix64(state: int) -> tuple[int, int]:
    """SplitMix64 (Steele, Lea & Flood 2014) in Python integers: (next state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def reference_below(bound: int, state: int) -> tuple[int, int]:
    """Lemire's unbiased multiply-shift draw from [0, bound), in Python integers: (state, draw)."""
    state, x = reference_splitmix64(state)
    m = (x >> 32) * bound
    if (m & 0xFFFFFFFF) < bound:
        threshold = (2**32 - bound) % bound
        while (m & 0xFFFFFFFF) < threshold:
            state, x = reference_splitmix64(state)
            m = (x >> 32) * bound
    return state, m >> 32


@pytest.mark.parametrize("seed", [0, 1, 2**63 + 7, 2**64 - 1])
def test_the_shuffle_stream_is_splitmix64(seed):
    state, ref = np.array([seed], dtype=np.uint64), seed
    for _ in range(200):
        ref, want = reference_splitmix64(ref)
        assert int(splitmix64(state)) == want and int(state[0]) == ref
    if seed == 0:  # the published first output for seed 0
        assert reference_splitmix64(0)[1] == 0xE220A8397B1DCDAF


@pytest.mark.parametrize("bound", [1, 2, 3, 10, 2**31 + 1, 2**32 - 3])
def test_each_draw_is_lemires_unbiased_draw_including_its_rejections(bound):
    # For bounds just above 2^31 about half the first tries are rejected: the rare path runs often.
    state, ref = np.array([12345], dtype=np.uint64), 12345
    for _ in range(300):
        ref, want = reference_below(bound, ref)
        got = int(_below(bound, state))
        assert got == want and 0 <= got < bound and int(state[0]) == ref


# ------------------------------------------------------------------------------ through training
def _epoch_orders(n_epochs: int) -> list[tuple]:
    """The order of the training ratings in each of ``n_epochs`` per-rating SGD epochs.

    Ratings are 0, 1, 2, 3, so each training triple is identified by its rating. The run's
    private copy of the triples is shuffled in place by each epoch, so after an epoch it holds the
    order that epoch used.
    """
    users = np.array([0, 1, 2, 3], dtype=np.int32)
    items = np.array([1, 2, 3, 4], dtype=np.int32)
    ratings = np.array([0.0, 1.0, 2.0, 3.0])
    run = make_run((users, items, ratings), use_bias=False, params=random_params(use_bias=False),
                   method="sgd", sgd_variant="plain", lr=1e-3)
    triples = {(u, i, r) for u, i, r in zip(users.tolist(), items.tolist(), ratings.tolist())}
    orders = []
    for _ in range(n_epochs):
        run._epoch_rating()
        u, i, r = (a.tolist() for a in run.tr)
        assert set(zip(u, i, r)) == triples and len(r) == 4, "the epoch changed the training triples"
        orders.append(tuple(int(x) for x in r))
    return orders


def test_every_epoch_draws_a_new_uniform_order_independent_of_the_last():
    """The permutation taking one epoch's order to the next is uniform over all 24: not the
    identity (no reshuffle) and not one fixed permutation (a generator re-seeded every epoch)."""
    orders = _epoch_orders(PER_ORDER * 24 // 10 + 1)  # 100 expected per order
    steps = Counter()
    for prev, cur in zip(orders, orders[1:]):
        where = {x: k for k, x in enumerate(prev)}
        steps[tuple(where[x] for x in cur)] += 1
    assert len(steps) == 24
    assert _uniformity_p(steps, N) > ALPHA
    assert _uniformity_p(Counter(orders[1:]), N) > ALPHA
