"""Prefetching is a hint: a pass that asks for rows ahead updates exactly as one that does not.

The epoch kernels prefetch only when U and V outgrow the caches (shared.prefetch_pays), so the
hand-computed tests on tiny data never run the prefetching copy of a pass; these tests do, on
rows large enough to take it, and compare it bit for bit with the copy that does not prefetch.
"""

from __future__ import annotations

import numpy as np
import pytest

from adago.optimizers import adahessian as H
from adago.optimizers import adam as A
from adago.optimizers import sgd as S
from adago.optimizers import shared as K

RANK = 8
N_RATINGS = 30_000


def _state(slots: int, n_users: int, n_items: int, seed: int = 0):
    """Triples and packed float64 state (U, V, BU, BV) with ``slots`` slots per row."""
    rng = np.random.default_rng(seed)
    users = rng.integers(0, n_users, N_RATINGS).astype(np.int32)
    items = rng.integers(0, n_items, N_RATINGS).astype(np.int32)
    ratings = rng.uniform(1.0, 5.0, N_RATINGS)
    U = np.zeros((n_users, slots, RANK))
    V = np.zeros((n_items, slots, RANK))
    U[:, 0] = rng.normal(0, 0.3, (n_users, RANK))
    V[:, 0] = rng.normal(0, 0.3, (n_items, RANK))
    BU = np.zeros((n_users, slots))
    BV = np.zeros((n_items, slots))
    BU[:, 0] = rng.normal(0, 0.1, n_users)
    BV[:, 0] = rng.normal(0, 0.1, n_items)
    return (users, items, ratings), [U, V, BU, BV]


def _big_rows(slots: int):
    """(n_users, n_items) whose U and V take PREFETCH_MIN_BYTES and a little more."""
    rows = K.PREFETCH_MIN_BYTES // (slots * RANK * 8) + 100
    return rows // 2, rows - rows // 2


def _adam_state(n_users, n_items):
    """Fresh step counters (per user, per item, global) and the tables of beta1 = 0.9, beta2 = 0.999."""
    counters = [np.zeros(n_users, np.int64), np.zeros(n_items, np.int64), np.zeros(1, np.int64)]
    return counters, A.bias_correction_table(0.9, np.float64), A.bias_correction_table(0.999, np.float64)


def _copies(arrays):
    return [a.copy() for a in arrays]


def _assert_identical(a, b):
    for x, y in zip(a, b):
        assert np.array_equal(x, y)


def test_prefetching_is_chosen_from_the_size_of_the_rows():
    n_users, n_items = _big_rows(1)
    _, (U, V, _, _) = _state(1, n_users, n_items)
    assert n_users + n_items >= K.PREFETCH_MIN_ROWS
    assert K.prefetch_pays(U, V)
    assert not K.prefetch_pays(U[: n_users // 4], V[: n_items // 4])
    # As many bytes in too few rows (ML-1M at a high rank): no prefetch; one row more: prefetch.
    few = K.PREFETCH_MIN_ROWS - 1
    wide = K.PREFETCH_MIN_BYTES // (few * 8) + 1
    U, V = np.zeros((few - few // 2, 1, wide)), np.zeros((few // 2, 1, wide))
    assert not K.prefetch_pays(U, V)
    assert K.prefetch_pays(U, np.zeros((few // 2 + 1, 1, wide)))


@pytest.mark.parametrize("variant", [S.SGD_PLAIN, S.SGD_MOMENTUM, S.SGD_NESTEROV])
def test_an_sgd_pass_updates_the_same_with_and_without_prefetching(variant):
    slots = 1 if variant == S.SGD_PLAIN else 2
    triples, state = _state(slots, *_big_rows(slots))
    args = (np.float64(3.2), np.float64(0.01), np.float64(0.02), np.float64(0.9))
    on, off, kernel = _copies(state), _copies(state), _copies(state)
    S._sgd_pass(*triples, *on, *args, variant, True, RANK, True)
    S._sgd_pass(*triples, *off, *args, variant, True, RANK, False)
    _assert_identical(on, off)
    assert not np.array_equal(on[0], state[0])  # the pass did update
    # The epoch kernel on these rows takes the prefetching copy and lands on the same values.
    S.EPOCH_SGD[variant](*triples, *kernel, *args, True, RANK)
    _assert_identical(kernel, off)


def _agree_with_and_without_prefetching(run_pass, state):
    """run_pass(prefetching) updates fresh copies of ``state`` and returns every array it wrote."""
    on, off = run_pass(True), run_pass(False)
    _assert_identical(on, off)
    assert not np.array_equal(on[0], state[0])  # the pass did update


@pytest.mark.parametrize("gauss_newton, per_row", [(False, True), (True, True), (True, False)])
def test_an_adam_or_adago_pass_updates_the_same_with_and_without_prefetching(gauss_newton, per_row):
    n_users, n_items = _big_rows(3)
    triples, state = _state(3, n_users, n_items)
    f = np.float64

    def run_pass(prefetching):
        arrays = _copies(state)
        counters, bc1, bc2 = _adam_state(n_users, n_items)
        A._adam_pass(*triples, *arrays, f(3.2), *counters, bc1, bc2, f(0.001), f(0.02), f(0.9),
                     f(0.999), f(1e-8), f(0.1), f(0.5), gauss_newton, A.ROOT_SQRT, per_row, True, RANK,
                     prefetching)
        return arrays + counters

    _agree_with_and_without_prefetching(run_pass, state)


def test_an_adahessian_pass_updates_the_same_with_and_without_prefetching():
    n_users, n_items = _big_rows(3)
    triples, state = _state(3, n_users, n_items)
    f = np.float64

    def run_pass(prefetching):
        arrays = _copies(state)
        counters, bc1, bc2 = _adam_state(n_users, n_items)
        probe = [np.array([11], np.uint64), np.zeros((2, RANK)), np.zeros(2), np.zeros((2, RANK)), np.zeros(2)]
        H._adahessian_pass(*triples, *arrays, f(3.2), *counters, bc1, bc2, f(0.001), f(0.02), f(0.9),
                           f(0.999), f(1e-8), f(0.5), A.ROOT_SQRT, True, True, 1, *probe, prefetching)
        return arrays + counters + probe[:1]

    _agree_with_and_without_prefetching(run_pass, state)
