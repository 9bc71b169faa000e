"""The training loop: convergence to the noise floor, determinism, divergence, early stopping, clipping."""

import math

import numpy as np
import pandas as pd
import pytest

from adago.optimizers import TrainConfig
from adago.synthetic import low_rank_ratings
from adago.metrics import errors, mae, rmse
from adago.stopping import Stopping, replay
from adago.training import HISTORY_COLUMNS, DivergenceError, train

NOISE = 0.3


@pytest.fixture(scope="module")
def synthetic_split():
    """Rank-3 signal + N(0, 0.3^2) noise on 400 x 300, 40,000 ratings, split 80/10/10."""
    d = low_rank_ratings(400, 300, 40_000, rank=3, noise_std=NOISE, seed=3)
    idx = np.random.default_rng(0).permutation(d.n_ratings)
    a, b = int(0.8 * d.n_ratings), int(0.9 * d.n_ratings)
    part = lambda s: (d.user[s], d.item[s], d.rating[s])  # noqa: E731
    return d, part(idx[:a]), part(idx[a:b]), part(idx[b:])


def run(split, seed=0, test=True, threads=1, clip=False, stopping=None, rating_range=None, **cfg):
    d, tr, va, te = split
    config = TrainConfig.from_mapping({"rank": 5, "reg": 0.01, **cfg})
    return train(tr, va, te if test else None, n_users=d.n_users, n_items=d.n_items,
                 config=config, seed=seed, rating_range=rating_range or (d.rating_min, d.rating_max),
                 threads=threads, clip=clip, stopping=stopping)


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
    for metric, other in (("rmse", "mae"), ("mae", "rmse")):
        r = h.iloc[best[metric]["epoch"] - 1]
        stop = best[metric]["stop_epoch"]
        assert best[metric] == {
            "epoch": int(r.epoch), "seconds": r.seconds, f"val_{metric}": r[f"val_{metric}"],
            f"test_{metric}": r[f"test_{metric}"], f"test_{other}": r[f"test_{other}"],
            "rule": "authors", "mode": "separate", "stop_epoch": stop,
            "stop_seconds": h["seconds"].iloc[stop - 1], "stop_reason": "converged"}
        # The authors' rule keeps the best within tol of the lowest validation value.
        assert r[f"val_{metric}"] - h[f"val_{metric}"].min() <= 20 * 1e-5
    assert all(type(v) in (int, float, str) for part in best.values() for v in part.values())
    assert result.stop_reason == "converged" and result.clip is False


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
    # The epochs before it, for the run's history.csv: all finite, numbered 1..epoch-1.
    assert list(e.history.columns) == HISTORY_COLUMNS and e.history["epoch"].tolist() == list(range(1, e.epoch))
    assert np.isfinite(e.history.to_numpy(dtype=float)).all()


def test_per_rating_divergence_is_caught_too(synthetic_split):
    with pytest.raises(DivergenceError, match="'sgd' diverged at epoch"):
        run(synthetic_split, method="sgd", lr=5.0, init_high=1.0)


# ------------------------------------------------------------------------------ stopping
def test_training_stops_where_the_stopping_rule_says_and_reports_its_best_epochs(synthetic_split):
    for stopping in (Stopping(), Stopping(rule="running-best", mode="joint")):
        result = run(synthetic_split, method="adam", lr=0.005, init_high=0.1, patience=5, max_epochs=300,
                     stopping=stopping)
        h = result.history
        epochs_run, reason, outcome = replay(h["val_rmse"], h["val_mae"], tol=1e-5, patience=5,
                                             max_epochs=300, stopping=stopping)
        assert (result.epochs_run, result.stop_reason) == (epochs_run, reason) == (len(h), "converged")
        for metric in ("rmse", "mae"):
            cell, expected = result.best[metric], outcome[metric]
            assert (cell["epoch"], cell["stop_epoch"]) == (expected["epoch"], expected["stop_epoch"])
            assert (cell["rule"], cell["mode"]) == (stopping.rule, stopping.mode)
            row = h.iloc[cell["epoch"] - 1]
            assert cell[f"test_{metric}"] == row[f"test_{metric}"] and cell["seconds"] == row["seconds"]


# Seeds where one metric's rule stops well before the other's (MAE at 41 of 51; RMSE at 21 of 24).
@pytest.mark.parametrize("method, lr, seed", [("adago", 0.005, 1), ("sgd", 0.002, 5)])
def test_separate_stopping_equals_a_run_stopped_on_each_metric_alone(synthetic_split, method, lr, seed):
    cfg = dict(method=method, lr=lr, init_high=0.1, patience=3, max_epochs=300)
    both = run(synthetic_split, seed=seed, **cfg)
    went_on = 0
    for metric in ("rmse", "mae"):
        alone = run(synthetic_split, seed=seed, stopping=Stopping(monitor=[metric]), **cfg)
        frozen, single = dict(both.best[metric]), dict(alone.best[metric])
        for key in ("seconds", "stop_seconds"):  # wall-clock: differs between any two runs
            frozen.pop(key), single.pop(key)
        assert frozen == single
        assert alone.epochs_run == both.best[metric]["stop_epoch"]
        went_on += both.epochs_run > alone.epochs_run
    # The emulation was exercised: training went on past one metric's stop for the other's sake.
    assert went_on >= 1


# ------------------------------------------------------------------------------ clipping
def test_clipping_is_an_option_that_changes_only_the_errors(synthetic_split):
    _, _, _, te = synthetic_split
    lo, hi = 1.0, 5.0  # narrower than the synthetic ratings, so that clipping bites
    cfg = dict(method="sgd", lr=0.002, init_high=0.1, max_epochs=12, rating_range=(lo, hi))
    raw = run(synthetic_split, seed=2, **cfg)
    clipped = run(synthetic_split, seed=2, clip=True, **cfg)
    assert raw.clip is False and clipped.clip is True
    pd.testing.assert_series_equal(raw.history["train_loss"], clipped.history["train_loss"])
    P, Q = raw.params["P"].astype(np.float64), raw.params["Q"].astype(np.float64)
    pred = np.einsum("ij,ij->i", P[te[0]], Q[te[1]])
    assert (pred < lo).any() or (pred > hi).any(), "some predictions must leave the range"
    last_raw, last_clipped = raw.history.iloc[-1], clipped.history.iloc[-1]
    assert last_raw["test_rmse"] == pytest.approx(rmse(pred, te[2]), rel=1e-5)
    assert last_clipped["test_rmse"] == pytest.approx(rmse(pred, te[2], (lo, hi)), rel=1e-5)
    assert last_clipped["test_mae"] == pytest.approx(mae(pred, te[2], (lo, hi)), rel=1e-5)
    assert (clipped.history["val_rmse"] != raw.history["val_rmse"]).any()


def test_metrics_clip_predictions_only_when_given_a_range():
    pred, truth = np.array([0.0, 3.0, 7.0]), np.array([1.0, 2.0, 5.0])  # clipped: 1, 3, 5
    assert rmse(pred, truth, (1, 5)) == pytest.approx(np.sqrt(1 / 3), rel=1e-15)
    assert mae(pred, truth, (1, 5)) == pytest.approx(1 / 3, rel=1e-15)
    assert rmse(pred, truth) == pytest.approx(np.sqrt((1 + 1 + 4) / 3), rel=1e-15)
    assert mae(pred, truth) == pytest.approx(4 / 3, rel=1e-15)


def test_metrics_flag_non_finite_predictions_instead_of_clipping_them():
    for clip in (True, False):
        r, m, bad = errors(np.array([np.inf, 3.0, np.nan]), np.ones(3), 1.0, 5.0, clip)
        assert bad == 2 and math.isnan(r) and math.isnan(m)


# ------------------------------------------------------------------------------ the initial plateau
def test_the_tuned_protocol_does_not_stop_on_the_plateau_near_the_initial_factors():
    """With the paper's rank 20 and U[0, 0.004] factors Adam first crawls along a plateau where the
    validation error barely moves; on these seeds the paper protocol's rule stops it there, at the
    error of a near-constant model, while the tuned protocol's shipped settings (min_epochs) wait
    for the descent and reach the noise level."""
    from adago.config import check_config, load_schema
    from adago.protocols import evaluation
    from workflow_helpers import REPO

    shipped = check_config({}, load_schema(REPO / "workflow/schemas/config.schema.yaml"))
    tuned = Stopping.from_mapping(evaluation(shipped, "tuned")["stopping"])
    paper = Stopping.from_mapping(evaluation(shipped, "paper")["stopping"])
    d = low_rank_ratings(400, 300, 40_000, rank=3, noise_std=NOISE, seed=3, rating_range=(1, 5))
    idx = np.random.default_rng(0).permutation(d.n_ratings)
    a, b = int(0.8 * d.n_ratings), int(0.9 * d.n_ratings)
    part = lambda s: (d.user[s], d.item[s], d.rating[s])  # noqa: E731
    config = TrainConfig.from_mapping({"method": "adam", "lr": 0.002})  # paper's rank, L2, init, tol, patience
    for seed in (3, 5):
        results = {name: train(part(idx[:a]), part(idx[a:b]), part(idx[b:]), n_users=d.n_users,
                               n_items=d.n_items, config=config, seed=seed, stopping=stopping)
                   for name, stopping in (("paper", paper), ("tuned", tuned))}
        assert results["paper"].best["rmse"]["test_rmse"] > 1.0, "the paper protocol stops on the plateau"
        assert results["paper"].best["rmse"]["epoch"] < 20
        assert results["tuned"].best["rmse"]["test_rmse"] <= 1.10 * NOISE


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
