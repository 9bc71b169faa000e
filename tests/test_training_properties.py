"""Properties of train() on a tiny problem: the reported loss, where the data may and may not act,
and the caller's arrays.

* The training loss in the history is the objective of docs/METHODS.md at the epoch's final
  parameters, recomputed here from its definition with the exact regulariser weight.
* No leak: the global mean (with biases) is the mean of the training ratings; validation ratings
  only decide evaluation and stopping, test ratings only the test columns. Changing them changes
  nothing else, bit for bit.
* The caller's arrays are never modified (the per-rating pass shuffles its own copy), whatever
  their dtypes, and read-only arrays are accepted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adago.optimizers import TrainConfig
from adago.training import train

N_USERS, N_ITEMS = 6, 5
REG = 0.25  # large, so a wrong regulariser weight moves the loss far beyond rounding


def tiny_split(seed: int = 0):
    """18 train, 6 validation, 6 test ratings on a 6 x 5 matrix, every user and item in train."""
    rng = np.random.default_rng(seed)
    cells = rng.permutation(N_USERS * N_ITEMS)
    users, items = (cells // N_ITEMS).astype(np.int64), (cells % N_ITEMS).astype(np.int64)
    ratings = rng.integers(1, 6, len(cells)).astype(np.float64)
    part = lambda s: (users[s], items[s], ratings[s])  # noqa: E731
    tr = part(slice(0, 18))
    assert len(set(tr[0])) == N_USERS and len(set(tr[1])) == N_ITEMS
    return tr, part(slice(18, 24)), part(slice(24, 30))


def fit(tr, va, te, **cfg):
    config = TrainConfig.from_mapping({"rank": 3, "reg": REG, "init_high": 0.5, "max_epochs": 4,
                                       "patience": 4, "dtype": "float64", **cfg})
    return train(tr, va, te, n_users=N_USERS, n_items=N_ITEMS, config=config, seed=11)


def objective(params: dict, users, items, ratings, reg: float) -> float:
    """L = sum_n [1/2 (r_n - r_hat_n)^2 + reg/2 (|p_u|^2 + |q_i|^2 [+ b_u^2 + b_i^2])]  (METHODS.md)."""
    P, Q = params["P"].astype(np.float64), params["Q"].astype(np.float64)
    pred = np.sum(P[users] * Q[items], axis=1)
    penalty = np.sum(P[users] ** 2, axis=1) + np.sum(Q[items] ** 2, axis=1)
    if "bu" in params:
        bu, bi = params["bu"].astype(np.float64), params["bi"].astype(np.float64)
        pred = pred + params["mu"] + bu[users] + bi[items]
        penalty = penalty + bu[users] ** 2 + bi[items] ** 2
    e = ratings - pred
    return float(np.sum(0.5 * e * e + 0.5 * reg * penalty))


CASES = [
    pytest.param(dict(method=m, batch=b, use_bias=bias), id=f"{m}-{b}-{'bias' if bias else 'nobias'}")
    for m in ("adago", "adam", "sgd") for b in ("rating", "full") for bias in (False, True)
]


# ------------------------------------------------------------------------------ loss
@pytest.mark.parametrize("cfg", CASES)
def test_reported_training_loss_is_the_objective_at_the_final_parameters(cfg):
    tr, va, te = tiny_split()
    result = fit(tr, va, te, **cfg)
    loss = result.history["train_loss"].iloc[-1]
    assert loss == pytest.approx(objective(result.params, *tr, REG), rel=1e-12)
    # The penalty is a sizeable part of it, so the check sees the regulariser's weight.
    assert objective(result.params, *tr, REG) - objective(result.params, *tr, 0.0) > 1e-3 * loss


def test_training_loss_of_a_float32_run_is_the_objective_of_its_float32_parameters():
    tr, va, te = tiny_split()
    result = fit(tr, va, te, method="adago", use_bias=True, dtype="float32")
    assert result.params["P"].dtype == np.float32
    assert result.history["train_loss"].iloc[-1] == pytest.approx(objective(result.params, *tr, REG), rel=1e-6)


def test_seconds_are_the_cumulative_training_time_of_the_call():
    import time

    tr, va, te = tiny_split()
    start = time.perf_counter()
    result = fit(tr, va, te, method="adago", max_epochs=6, patience=6)
    wall = time.perf_counter() - start
    seconds = result.history["seconds"].to_numpy()
    assert seconds[0] > 0 and np.all(np.diff(seconds) > 0) and seconds[-1] < wall


# ------------------------------------------------------------------------------ leaks
def test_global_mean_is_the_mean_of_the_training_ratings():
    tr, va, te = tiny_split()
    result = fit(tr, va, te, method="adago", use_bias=True)
    assert result.params["mu"] == np.mean(tr[2])
    assert np.mean(tr[2]) != np.mean(np.concatenate([tr[2], va[2]]))  # the data can tell them apart


def _training_side(result) -> tuple:
    h = result.history
    return (h["train_loss"].to_numpy(), {k: np.asarray(v) for k, v in result.params.items()})


def _assert_same_training(a, b) -> None:
    (loss_a, params_a), (loss_b, params_b) = _training_side(a), _training_side(b)
    np.testing.assert_array_equal(loss_a, loss_b)
    assert params_a.keys() == params_b.keys()
    for k in params_a:
        np.testing.assert_array_equal(params_a[k], params_b[k], err_msg=k)


@pytest.mark.parametrize("cfg", CASES)
def test_validation_ratings_do_not_change_training(cfg):
    tr, va, te = tiny_split()
    flipped = (va[0], va[1], 6.0 - va[2])
    a, b = fit(tr, va, te, **cfg), fit(tr, flipped, te, **cfg)
    assert len(a.history) == len(b.history) == 4  # patience = max_epochs: no early stop in either
    _assert_same_training(a, b)
    assert not np.array_equal(a.history["val_rmse"], b.history["val_rmse"])
    pd.testing.assert_frame_equal(a.history[["test_rmse", "test_mae"]], b.history[["test_rmse", "test_mae"]])


@pytest.mark.parametrize("cfg", CASES)
def test_test_ratings_change_only_the_test_columns(cfg):
    tr, va, te = tiny_split()
    shifted = (te[0], te[1], 6.0 - te[2])
    a, b, none = fit(tr, va, te, **cfg), fit(tr, va, shifted, **cfg), fit(tr, va, None, **cfg)
    for other in (b, none):
        _assert_same_training(a, other)
        pd.testing.assert_frame_equal(a.history[["val_rmse", "val_mae"]], other.history[["val_rmse", "val_mae"]])
    assert not np.array_equal(a.history["test_rmse"], b.history["test_rmse"])
    assert none.history["test_rmse"].isna().all()


# ------------------------------------------------------------------------------ caller's arrays
@pytest.mark.parametrize("index_dtype, rating_dtype, dtype", [
    (np.int32, np.float32, "float32"),  # exactly the run's own dtypes: a view would alias them
    (np.int32, np.float64, "float64"),
    (np.int64, np.float64, "float32"),
])
@pytest.mark.parametrize("batch", ["rating", "full"])
def test_train_does_not_modify_the_callers_arrays(index_dtype, rating_dtype, dtype, batch):
    parts = [(u.astype(index_dtype), i.astype(index_dtype), r.astype(rating_dtype)) for u, i, r in tiny_split()]
    before = [tuple(a.copy() for a in part) for part in parts]
    fit(*parts, method="sgd", batch=batch, dtype=dtype)
    for part, orig in zip(parts, before):
        for a, b in zip(part, orig):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


def test_train_accepts_read_only_arrays():
    parts = tiny_split()
    for part in parts:
        for a in part:
            a.setflags(write=False)
    result = fit(*parts, method="adago", batch="rating", use_bias=True)
    assert len(result.history) == 4
