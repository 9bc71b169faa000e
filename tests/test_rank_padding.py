"""Padded rows change no result. The per-rating momentum-SGD and Adam-family passes store each row
with its rank rounded up to a multiple of shared.RANK_BLOCK, so that the update loop runs over whole
SIMD vectors; a run with padded rows gives bit for bit the history and parameters of one without.

The padding of the padded run is filled with NaN before it starts: any read of it by a prediction,
the objective or the returned parameters would turn the run's numbers into NaN (or a divergence).
"""

from __future__ import annotations

import numpy as np
import pytest

from adago.optimizers import TrainConfig
from adago.optimizers import adam as A
from adago.optimizers import sgd as S
from adago.optimizers import shared as K
from adago.synthetic import low_rank_ratings
from adago.training import _Run, _triples

PADDED = {
    "sgd-momentum": {"method": "sgd", "sgd_variant": "momentum"},
    "sgd-nesterov": {"method": "sgd", "sgd_variant": "nesterov"},
    "adam": {"method": "adam"},
    "adam-eps0": {"method": "adam", "eps": 0.0},  # the padding holds 0/0 = NaN of its own
    "adago": {"method": "adago"},
    "adago-k1": {"method": "adago", "hessian_power": 1.0},
    "adago-k-half-global": {"method": "adago", "hessian_power": 0.5, "step_counter": "global"},
}


def test_padded_rank_rounds_up_to_whole_blocks_from_half_a_block():
    assert K.RANK_BLOCK == 8
    ranks = (1, 3, 4, 5, 7, 8, 9, 16, 20, 24, 25)
    assert [K.padded_rank(r) for r in ranks] == [1, 3, 4, 8, 8, 8, 16, 16, 24, 24, 32]


def _data(n_users=60, n_items=40, n=1500, seed=3):
    d = low_rank_ratings(n_users, n_items, n, rank=3, noise_std=0.3, seed=seed)
    return (d.user.astype(np.int32), d.item.astype(np.int32), d.rating), d


def _run(data, d, cfg, *, split):
    # Private copies, as train() makes: a per-rating run reshuffles its training triples in place.
    dtype = np.dtype(cfg.dtype)
    tr = _triples(tuple(a[:split] for a in data), "train", d.n_users, d.n_items, dtype)
    va = _triples(tuple(a[split:] for a in data), "val", d.n_users, d.n_items, dtype)
    return _Run(tr, va, va, d.n_users, d.n_items, cfg, 7, (d.rating_min, d.rating_max), None)


def _unpadded(monkeypatch):
    for module in (S, A):
        monkeypatch.setattr(module, "padded_rank", lambda rank: rank)


def _fit_both(monkeypatch, cfg, data, d, split):
    padded = _run(data, d, cfg, split=split)
    R = cfg.rank
    assert padded.U.shape[2] == padded.V.shape[2] == K.padded_rank(R) > R
    padded.U[:, :, R:] = np.nan
    padded.V[:, :, R:] = np.nan
    with monkeypatch.context() as m:
        _unpadded(m)
        plain = _run(data, d, cfg, split=split)
    assert plain.U.shape[2] == R
    return padded.fit(), plain.fit()


def _assert_same(a, b):
    cols = [c for c in a.history.columns if c != "seconds"]
    assert a.history[cols].notna().all().all()
    np.testing.assert_array_equal(a.history[cols].to_numpy(), b.history[cols].to_numpy())
    assert a.params.keys() == b.params.keys()
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key], err_msg=key)
    assert a.params["P"].shape[1] == a.config.rank


@pytest.mark.parametrize("name", list(PADDED))
@pytest.mark.parametrize("dtype, rank, use_bias", [("float32", 20, True), ("float64", 5, False)])
def test_a_padded_run_matches_an_unpadded_one_bit_for_bit(monkeypatch, name, dtype, rank, use_bias):
    cfg = TrainConfig.from_mapping({**PADDED[name], "rank": rank, "dtype": dtype, "use_bias": use_bias,
                                    "max_epochs": 3, "init_high": 0.3})
    data, d = _data()
    _assert_same(*_fit_both(monkeypatch, cfg, data, d, split=1200))


@pytest.mark.parametrize("name", ["adago", "sgd-momentum"])
def test_padding_changes_nothing_where_the_passes_prefetch(monkeypatch, name):
    # 40k rows of rank 20 with 2 or 3 slots: U and V outgrow shared.PREFETCH_MIN_BYTES padded or
    # not, so both runs take the prefetching copy of the pass.
    cfg = TrainConfig.from_mapping({**PADDED[name], "rank": 20, "max_epochs": 2, "init_high": 0.3})
    assert 40_000 * 2 * 20 * 4 > K.PREFETCH_MIN_BYTES
    data, d = _data(30_000, 10_000, 40_000, seed=5)
    _assert_same(*_fit_both(monkeypatch, cfg, data, d, split=35_000))


@pytest.mark.parametrize("cfg, stored", [
    ({"method": "adam"}, 24), ({"method": "adago"}, 24), ({"method": "sgd"}, 24),
    ({"method": "sgd", "sgd_variant": "nesterov"}, 24), ({"method": "sgd", "sgd_variant": "plain"}, 20),
    ({"method": "adam", "batch": "full"}, 20), ({"method": "sgd", "batch": "full"}, 20),
    ({"method": "adahessian"}, 20), ({"method": "als"}, 20),
    ({"method": "adam", "rank": 4}, 4), ({"method": "adam", "rank": 5}, 8),
])
def test_only_the_per_rating_momentum_sgd_and_adam_passes_pad_their_rows(cfg, stored):
    data, d = _data()
    cfg = TrainConfig.from_mapping({"rank": 20, **cfg})
    run = _run(data, d, cfg, split=1200)
    assert run.U.shape[2] == run.V.shape[2] == stored
    R = cfg.rank
    assert not run.U[:, :, R:].any() and not run.V[:, :, R:].any()  # padding starts at zero


@pytest.mark.parametrize("shape, dtype", [((7, 2, 24), np.float32), ((5, 3, 20), np.float64),
                                          ((3, 1, 3), np.float32), ((0, 2, 8), np.float32)])
def test_aligned_zeros_are_zeros_that_start_on_a_cache_line(shape, dtype):
    for _ in range(8):  # several allocations: the allocator's own offset varies between them
        a = K.aligned_zeros(shape, dtype)
        assert a.shape == shape and a.dtype == dtype and not a.any()
        assert a.flags.c_contiguous and a.flags.writeable
        assert a.size == 0 or a.ctypes.data % 64 == 0  # an empty array has no first element


@pytest.mark.parametrize("cfg", [{"method": "sgd"}, {"method": "sgd", "sgd_variant": "plain"},
                                 {"method": "adam"}, {"method": "adago"}, {"method": "als"},
                                 {"method": "adahessian"}])
def test_every_runs_factor_rows_start_on_a_cache_line(cfg):
    data, d = _data()
    run = _run(data, d, TrainConfig.from_mapping({"rank": 20, **cfg}), split=1200)
    assert run.U.ctypes.data % 64 == 0 and run.V.ctypes.data % 64 == 0
    # A momentum-SGD row (2 x 24 float32) is then exactly three cache lines, each on a boundary.
    if cfg == {"method": "sgd"}:
        assert run.U.strides[0] == 192
