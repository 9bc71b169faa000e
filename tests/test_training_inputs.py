"""train()'s boundary: bad input is refused with an error naming the argument, good input at the
edges is accepted, and the caller's Numba thread setting is restored whatever happens."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from adago.optimizers import TrainConfig
from adago.training import train
from test_training_properties import N_ITEMS, N_USERS, tiny_split

CONFIG = TrainConfig(rank=2, max_epochs=2, dtype="float64")


def fit(tr, va, te=None, **kwargs):
    options = {"n_users": N_USERS, "n_items": N_ITEMS, "config": CONFIG, "seed": 0, **kwargs}
    return train(tr, va, te, **options)


def test_config_must_be_a_trainconfig():
    tr, va, _ = tiny_split()
    with pytest.raises(TypeError, match="TrainConfig"):
        fit(tr, va, config={"method": "adago"})


@pytest.mark.parametrize("threads", [0, -1, numba.config.NUMBA_NUM_THREADS + 1])
def test_thread_counts_outside_one_to_numbas_maximum_are_refused(threads):
    tr, va, _ = tiny_split()
    with pytest.raises(ValueError, match=f"threads must be in 1..{numba.config.NUMBA_NUM_THREADS}"):
        fit(tr, va, threads=threads)


def test_the_largest_thread_count_is_accepted_and_the_callers_setting_restored():
    tr, va, _ = tiny_split()
    before = numba.get_num_threads()
    fit(tr, va, threads=numba.config.NUMBA_NUM_THREADS)
    assert numba.get_num_threads() == before


def test_the_callers_thread_setting_is_restored_when_training_fails():
    tr, va, _ = tiny_split()
    before = numba.get_num_threads()
    with pytest.raises(ValueError):
        fit(tr, (va[0], va[1], np.full(len(va[2]), np.nan)), threads=numba.config.NUMBA_NUM_THREADS)
    assert numba.get_num_threads() == before


@pytest.mark.parametrize("rating_range", [(5.0, 1.0), (3.0, 3.0)])
def test_an_empty_or_reversed_rating_range_is_refused(rating_range):
    tr, va, _ = tiny_split()
    with pytest.raises(ValueError, match="rating_range must be"):
        fit(tr, va, rating_range=rating_range)


def _broken(part, which: int, value):
    parts = list(part)
    parts[which] = value
    return tuple(parts)


@pytest.mark.parametrize("name", ["train", "val", "test"])
def test_each_data_argument_is_checked_and_named(name):
    tr, va, te = tiny_split()
    good = {"train": tr, "val": va, "test": te}
    u, i, r = good[name]
    cases = [
        ((u, i), "must be a \\(users, items, ratings\\) tuple"),
        ((u[:-1], i, r), "1-D arrays of equal length"),
        ((u, i[:-1], r), "1-D arrays of equal length"),
        ((u, i, r[:-1]), "1-D arrays of equal length"),
        ((u[:, None], i[:, None], r[:, None]), "1-D arrays of equal length"),
        (_broken((u, i, r), 0, np.where(np.arange(len(u)) == 1, N_USERS, u)), "indices must lie in"),
        (_broken((u, i, r), 0, np.where(np.arange(len(u)) == 1, -1, u)), "indices must lie in"),
        (_broken((u, i, r), 1, np.where(np.arange(len(i)) == 1, N_ITEMS, i)), "indices must lie in"),
        (_broken((u, i, r), 1, np.where(np.arange(len(i)) == 1, -1, i)), "indices must lie in"),
        (_broken((u, i, r), 2, np.where(np.arange(len(r)) == 1, np.nan, r)), "ratings must be finite"),
        (_broken((u, i, r), 2, np.where(np.arange(len(r)) == 1, np.inf, r)), "ratings must be finite"),
    ]
    for bad, message in cases:
        with pytest.raises(ValueError, match=message) as err:
            fit(**{"tr": tr, "va": va, "te": te, {"train": "tr", "val": "va", "test": "te"}[name]: bad})
        assert str(err.value).startswith(f"{name}"), str(err.value)


def test_indices_at_the_last_user_and_item_are_accepted():
    tr, va, te = tiny_split()
    assert tr[0].max() == N_USERS - 1 and tr[1].max() == N_ITEMS - 1 and tr[0].min() == 0 == tr[1].min()
    assert len(fit(tr, va, te).history) == 2


@pytest.mark.parametrize("empty", ["train", "val"])
def test_train_and_validation_need_at_least_one_rating(empty):
    tr, va, _ = tiny_split()
    none = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    with pytest.raises(ValueError, match="train and val must each contain at least one rating"):
        fit(none if empty == "train" else tr, none if empty == "val" else va)


def test_an_empty_test_set_gives_nan_test_columns_not_a_divergence():
    tr, va, _ = tiny_split()
    none = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    result = fit(tr, va, none)
    assert len(result.history) == 2 and result.history[["test_rmse", "test_mae"]].isna().all().all()


def test_log_receives_one_line_per_epoch():
    tr, va, _ = tiny_split()
    lines: list[str] = []
    fit(tr, va, log=lines.append)
    assert len(lines) == 2
    assert [line.split(":")[0] for line in lines] == ["adago epoch 1", "adago epoch 2"]


def test_everything_after_the_data_is_keyword_only():
    tr, va, _ = tiny_split()
    with pytest.raises(TypeError):
        train(tr, va, None, N_USERS, N_ITEMS, CONFIG, 0)  # the point is the positional call
