"""The training loop: convergence to the noise floor, determinism, divergence, early stopping."""

import math

import numpy as np
import pandas as pd
import pytest

from adago.optimizers import TrainConfig
from adago.synthetic import low_rank_ratings
from adago.training import HISTORY_COLUMNS, DivergenceError, stop_epoch, train

NOISE = 0.3


@pytest.fixture(scope="module")
def synthetic_split():
    """Rank-3 signal + N(0, 0.3^2) noise on 400 x 300, 40,000 ratings, split 80/10/10."""
    d = low_rank_ratings(400, 300, 40_000, rank=3, noise_std=NOISE, seed=3)
    idx = np.random.default_rng(0).permutation(d.n_ratings)
    a, b = int(0.8 * d.n_ratings), int(0.9 * d.n_ratings)
    part = lambda s: (d.user[s], d.item[s], d.rating[s])  # noqa: E731
    return d, part(idx[:a]), part(idx[a:b]), part(idx[b:])


def run(split, seed=0, test=True, threads=1, **cfg):
    d, tr, va, te = split
    config = TrainConfig.from_mapping({"rank": 5, "reg": 0.01, **cfg})
    return train(tr, va, te if test else None, n_users=d.n_users, n_items=d.n_items,
                 config=config, seed=seed, rating_range=(d.rating_min, d.rating_max),
                 threads=threads)


# A larger initial range than the paper's 0.004 shortens the saddle every method first sits on
# (factors near zero) so the test stays fast; the rest is the optimiser's own work.
CONVERGING = {
    "sgd": dict(method="sgd", lr=0.002, init_high=0.1, patience=20),
    "adam": dict(method="adam", lr=0.005, init_high=0.1, patience=20),
    "adago": dict(method="adago", lr=0.005, init_high=0.1, patience=20),
    "adahessian": dict(method="adahessian", lr=0.01, init_high=0.1, patience=20),
    "als": dict(method="als", init_high=0.1, patience=20),
    "adago-full-batch": dict(method="adago", batch="full", lr=0.1, init_high=0.3, patience=30),
    # The AdaGO ablations (adago-full is the full-batch AdaGO above, under its method name).
    "adago-nodamp": dict(method="adago-nodamp", lr=0.005, init_high=0.1, patience=20),
    "adago-noreg": dict(method="adago-noreg", lr=0.005, init_high=0.1, patience=20),
    "adago-k05": dict(method="adago-k05", lr=0.005, init_high=0.1, patience=20),
    "adago-global-t": dict(method="adago-global-t", lr=0.005, init_high=0.1, patience=20),
    "adago-full": dict(method="adago-full", lr=0.1, init_high=0.3, patience=30),
    "sgd-full-batch": dict(method="sgd", batch="full", lr=0.0005, init_high=0.3, patience=30),
}


@pytest.mark.parametrize("name", sorted(CONVERGING))
def test_every_optimiser_reaches_the_noise_level_on_synthetic_low_rank_data(synthetic_split, name):
    result = run(synthetic_split, **CONVERGING[name])
    assert result.best["rmse"]["test_rmse"] <= 1.10 * NOISE
    assert result.best["mae"]["test_mae"] <= 1.10 * NOISE * math.sqrt(2 / math.pi)


@pytest.mark.parametrize("variant", ["adago-nodamp", "adago-noreg", "adago-k05", "adago-global-t", "adago-full"])
def test_an_ablation_is_adago_with_its_fixed_setting_and_nothing_else(synthetic_split, variant):
    from adago.optimizers import METHODS

    cfg = dict(lr=0.01, max_epochs=4, use_bias=True)
    a = run(synthetic_split, method=variant, **cfg)
    b = run(synthetic_split, method="adago", **METHODS[variant].fixed, **cfg)
    pd.testing.assert_frame_equal(a.history.drop(columns="seconds"), b.history.drop(columns="seconds"),
                                  check_exact=True)
    c = run(synthetic_split, method="adago", **cfg)  # and the setting does matter
    assert not a.history["train_loss"].equals(c.history["train_loss"])


def test_history_has_the_documented_columns_and_best_rows(synthetic_split):
    result = run(synthetic_split, **CONVERGING["adago"])
    h = result.history
    assert list(h.columns) == HISTORY_COLUMNS
    assert h["epoch"].tolist() == list(range(1, result.epochs_run + 1))
    assert h["seconds"].is_monotonic_increasing and np.isfinite(h["train_loss"]).all()
    best = result.best
    r = h.iloc[h["val_rmse"].idxmin()]
    assert best["rmse"] == {"epoch": int(r.epoch), "seconds": r.seconds, "val_rmse": r.val_rmse,
                            "test_rmse": r.test_rmse, "test_mae": r.test_mae}
    m = h.iloc[h["val_mae"].idxmin()]
    assert best["mae"]["epoch"] == int(m.epoch) and best["mae"]["test_mae"] == m.test_mae
    assert all(type(v) in (int, float) for part in best.values() for v in part.values())
    assert result.stop_reason == "converged"


def test_same_seed_gives_identical_history(synthetic_split):
    for cfg in (dict(method="adago", max_epochs=15), dict(method="sgd", batch="full", max_epochs=8),
                dict(method="adahessian", max_epochs=5)):
        a = run(synthetic_split, seed=7, **cfg).history.drop(columns="seconds")
        b = run(synthetic_split, seed=7, **cfg).history.drop(columns="seconds")
        pd.testing.assert_frame_equal(a, b, check_exact=True)


@pytest.mark.parametrize("cfg", [dict(method="adago", batch="full", lr=0.1, max_epochs=8),
                                 dict(method="als", max_epochs=4, init_high=0.1, use_bias=True)],
                         ids=["adago-full-batch", "als"])
def test_thread_count_does_not_change_history(synthetic_split, cfg):
    a = run(synthetic_split, threads=1, **cfg).history.drop(columns="seconds")
    b = run(synthetic_split, threads=2, **cfg).history.drop(columns="seconds")
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_each_weighted_als_epoch_never_increases_the_training_loss(synthetic_split):
    # Weighted-lambda ALS minimises this very loss exactly, one block at a time.
    loss = run(synthetic_split, method="als", dtype="float64", max_epochs=15, patience=20,
               init_high=0.1).history["train_loss"].to_numpy()
    assert np.all(np.diff(loss) <= 1e-10 * loss[:-1])
    assert loss[-1] < 0.5 * loss[0]


def test_different_seed_gives_different_initialisation(synthetic_split):
    a = run(synthetic_split, seed=1, method="adam", max_epochs=1)
    b = run(synthetic_split, seed=2, method="adam", max_epochs=1)
    assert not np.array_equal(a.params["P"], b.params["P"])
    assert a.history["train_loss"][0] != b.history["train_loss"][0]


def test_without_test_data_the_test_columns_are_nan(synthetic_split):
    result = run(synthetic_split, test=False, method="adago", max_epochs=3)
    assert result.history[["test_rmse", "test_mae"]].isna().all().all()
    assert result.history["val_rmse"].notna().all()
    assert math.isnan(result.best["rmse"]["test_rmse"]) and result.stop_reason == "max_epochs"


@pytest.mark.parametrize("method", ["sgd", "adam", "adago"])
def test_divergence_raises_naming_method_hyperparameters_and_epoch(synthetic_split, method):
    # Adam-type steps are bounded by about lr per coordinate: only an absurd lr overflows.
    lr = {"sgd": 50.0, "adam": 1e25, "adago": 1e25}[method]
    with pytest.raises(DivergenceError) as err:
        run(synthetic_split, method=method, lr=lr, init_high=1.0, batch="full")
    e = err.value
    assert e.method == method and e.hyperparameters["lr"] == lr and e.epoch >= 1
    assert method in str(e) and f"lr={lr!r}" in str(e) and f"epoch {e.epoch}" in str(e)


def test_per_rating_divergence_is_caught_too(synthetic_split):
    with pytest.raises(DivergenceError, match="'sgd' diverged at epoch"):
        run(synthetic_split, method="sgd", lr=5.0, init_high=1.0)


# ------------------------------------------------------------------------------ stopping rule
def test_stopping_rule_stops_when_both_metrics_stalled_for_patience_epochs():
    # RMSE improves until epoch 4, then only by <= tol; MAE keeps improving until epoch 6.
    rmse = [1.0, 0.9, 0.8, 0.7, 0.7 - 5e-6, 0.7 - 9e-6, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75]
    mae = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    # RMSE stalls from epoch 5 (stall count 3 at epoch 7); MAE from epoch 7 (3 at epoch 9).
    assert stop_epoch(rmse, mae, tol=1e-5, patience=3, max_epochs=500) == (9, "converged", 6, 6)


def test_stopping_rule_resets_on_an_improvement_larger_than_tol():
    rmse = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    mae = [1.0] * 7
    # MAE stalls from epoch 2; RMSE stalls at 2, 3, then improves at 4, stalls 5, 6, 7.
    assert stop_epoch(rmse, mae, tol=1e-5, patience=3, max_epochs=500) == (7, "converged", 4, 1)


def test_stopping_rule_reports_max_epochs_when_never_stalled():
    rmse = [1.0 - 0.01 * k for k in range(20)]
    assert stop_epoch(rmse, rmse, tol=1e-5, patience=3, max_epochs=20) == (20, "max_epochs", 20, 20)


# ------------------------------------------------------------------------------ metrics
def test_metrics_clip_predictions_to_the_rating_range():
    from adago.metrics import mae, rmse

    pred, truth = np.array([0.0, 3.0, 7.0]), np.array([1.0, 2.0, 5.0])  # clipped: 1, 3, 5
    assert rmse(pred, truth, 1, 5) == pytest.approx(np.sqrt(1 / 3), rel=1e-15)
    assert mae(pred, truth, 1, 5) == pytest.approx(1 / 3, rel=1e-15)


def test_metrics_flag_non_finite_predictions_instead_of_clipping_them():
    from adago.metrics import clipped_errors

    rmse, mae, bad = clipped_errors(np.array([np.inf, 3.0, np.nan]), np.ones(3), 1.0, 5.0)
    assert bad == 2 and math.isnan(rmse) and math.isnan(mae)


def test_training_stops_where_the_stopping_rule_says_and_reports_its_best_epochs(synthetic_split):
    result = run(synthetic_split, method="adam", lr=0.005, init_high=0.1, patience=5, max_epochs=300)
    h = result.history
    epoch, reason, best_rmse, best_mae = stop_epoch(h["val_rmse"], h["val_mae"], tol=1e-5, patience=5,
                                                    max_epochs=300)
    assert (result.epochs_run, result.stop_reason) == (epoch, reason) == (len(h), "converged")
    assert result.best["rmse"]["epoch"] == best_rmse and result.best["mae"]["epoch"] == best_mae
    row = h.iloc[best_rmse - 1]
    assert result.best["rmse"]["test_rmse"] == row["test_rmse"] and result.best["rmse"]["seconds"] == row["seconds"]


_CACHE_PROBE = """
import hashlib, numpy as np
from adago.optimizers import TrainConfig
from adago.synthetic import low_rank_ratings
from adago.training import train
d = low_rank_ratings(60, 50, 1500, rank=3, noise_std=0.3, seed=3)
data = (d.user, d.item, d.rating)
for c in ({"method": "adam", "batch": "full"}, {"method": "adago", "batch": "full", "use_bias": True},
          {"method": "als", "use_bias": True}, {"method": "adahessian", "use_bias": True}):
    r = train(data, data, None, n_users=d.n_users, n_items=d.n_items, seed=5,
              config=TrainConfig(**c, max_epochs=4, init_high=0.1, rank=4))
    print(hashlib.sha256(r.history["train_loss"].to_numpy().tobytes() + r.params["P"].tobytes()).hexdigest())
"""


def test_a_run_from_cached_kernels_repeats_the_run_that_compiled_them(tmp_path):
    # Parallel jobs share one Numba cache: the first compiles, the others load. An inlined helper
    # in a prange body once made the two round differently.
    import os
    import subprocess
    import sys

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", _CACHE_PROBE], env=env, capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert any(tmp_path.rglob("*.nbc"))  # the second run really loaded a cache
    assert runs[0] == runs[1] and len(runs[0].split()) == 4
