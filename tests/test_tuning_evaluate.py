"""Trial evaluation on validation data only; the rating-range policy shared with training."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from adago.splitting import make_split
from adago.stopping import Stopping
from adago.synthetic import low_rank_ratings
from adago.tuning import evaluate, search
from adago.tuning.records import select_best
from adago.tuning.space import parse_method_space

BASE = {"rank": 3, "init_high": 0.1, "max_epochs": 25, "patience": 5}


@pytest.fixture(scope="module")
def data():
    return low_rank_ratings(120, 90, 4000, rank=3, noise_std=0.2, seed=1)


@pytest.fixture(scope="module")
def splits(data):
    return {seed: make_split(data, seed=seed) for seed in (1, 2)}


def _without_timing(record):
    out = {k: v for k, v in record.items() if k != "wall_seconds"}
    out["seeds"] = [{k: v for k, v in s.items() if k != "seconds"} for s in record["seeds"]]
    return out


def test_the_trainer_never_receives_test_data(data, splits, monkeypatch):
    calls = []
    real_train = evaluate.train

    def spy(train, val, test, **kwargs):
        assert test is None
        calls.append(kwargs["seed"])
        return real_train(train, val, test, **kwargs)

    monkeypatch.setattr(evaluate, "train", spy)
    evaluate.evaluate_trial(data, splits, {"method": "sgd", **BASE})
    assert calls == [1, 2]


def _test_in_every_split(splits):
    """Entries in the test part of every tuning seed's split (random splits differ between seeds)."""
    return np.array(sorted(set.intersection(*(set(s.test.tolist()) for s in splits.values()))))


def test_test_entries_cannot_change_a_trial(data, splits):
    """Wild test ratings (and no declared range, so the clipping range comes from data) leave every
    number of the trial as it was: nothing reads the test part."""
    wild = data.rating.copy()
    wild[_test_in_every_split(splits)] = 1e6
    corrupted = dataclasses.replace(data, rating=wild)
    options = {"method": "adago", "lr": 0.005, **BASE}
    clean = evaluate.evaluate_trial(data, splits, options)
    dirty = evaluate.evaluate_trial(corrupted, splits, options)
    assert _without_timing(dirty) == _without_timing(clean)
    train_max = max(data.rating[s.train].max() for s in splits.values())
    assert all(s["rating_range"][1] <= train_max for s in clean["seeds"])


def test_the_score_is_the_mean_over_the_tuning_seeds(data, splits):
    rec = evaluate.evaluate_trial(data, splits, {"method": "adam", "lr": 0.005, **BASE})
    assert [s["seed"] for s in rec["seeds"]] == [1, 2]
    assert rec["val_rmse"] == pytest.approx(np.mean([s["val_rmse"] for s in rec["seeds"]]))
    assert rec["val_mae"] == pytest.approx(np.mean([s["val_mae"] for s in rec["seeds"]]))
    assert rec["epochs"] == pytest.approx(np.mean([s["epoch"] for s in rec["seeds"]]))
    alone = evaluate.evaluate_trial(data, {2: splits[2]}, {"method": "adam", "lr": 0.005, **BASE})
    assert alone["val_rmse"] == rec["seeds"][1]["val_rmse"]


def test_the_protocol_s_stopping_and_clipping_reach_train(data, splits, monkeypatch):
    seen = []
    monkeypatch.setattr(evaluate, "train", lambda *a, **kw: seen.append(kw) or 1 / 0)
    evaluation = {"clip": True, "stopping": {"rule": "running-best", "mode": "joint", "min_epochs": 7}}
    with pytest.raises(ZeroDivisionError):
        evaluate.evaluate_trial(data, splits, {"method": "sgd", **BASE}, train_options=evaluation)
    assert seen[0]["clip"] is True
    assert seen[0]["stopping"] == Stopping(rule="running-best", mode="joint", min_epochs=7)


def test_a_minimum_epoch_count_in_the_stopping_options_changes_the_trial(data, splits):
    options = {"method": "adam", "lr": 0.005, **BASE, "max_epochs": 80}
    free = evaluate.evaluate_trial(data, splits, options)
    assert max(s["epochs_run"] for s in free["seeds"]) < 60
    held = evaluate.evaluate_trial(data, splits, options, train_options={"stopping": {"min_epochs": 60}})
    assert all(s["epochs_run"] >= 60 for s in held["seeds"])
    assert [s["epochs_run"] for s in free["seeds"]] != [s["epochs_run"] for s in held["seeds"]]


def test_a_diverging_trial_is_recorded_and_the_search_goes_on(data, splits):
    space = parse_method_space("sgd", {"lr": [0.002, 50.0]})
    records = [search.run_trial(data, splits, method="sgd", space=space, trial_id=f"r1t{k:02d}", base=BASE)
               for k in range(6)]
    by_lr = {r["values"]["lr"]: r for r in records}
    assert set(by_lr) == {0.002, 50.0}  # six draws from two values
    bad = by_lr[50.0]
    assert bad["diverged"] and math.isinf(bad["val_rmse"]) and math.isinf(bad["val_mae"])
    assert len(bad["seeds"]) == 1 and bad["seeds"][0]["stop_reason"] == "diverged"  # seed 2 skipped
    assert not by_lr[0.002]["diverged"] and math.isfinite(by_lr[0.002]["val_rmse"])
    assert select_best(records)["reference_values"] == {"lr": 0.002}


def test_a_trial_is_trained_with_its_values_converted_to_the_data_s_scale(data, splits):
    space = parse_method_space("sgd", {"lr": [0.002]})
    scaled = dataclasses.replace(data, rating=data.rating * 20)
    ref = search.run_trial(data, splits, method="sgd", space=space, trial_id="r1t00", base=BASE,
                           declared_range=(1, 5))
    rec = search.run_trial(scaled, splits, method="sgd", space=space, trial_id="r1t00", base=BASE,
                           declared_range=(20, 100))
    assert rec["scale"] == 20.0 and rec["values"] == {"lr": 0.002}
    assert rec["hyperparameters"]["lr"] == pytest.approx(0.002 / 20)
    assert rec["options"]["init_high"] == pytest.approx(0.1 * 20 ** 0.5)
    assert rec["val_rmse"] / 20 == pytest.approx(ref["val_rmse"], rel=1e-3)


def test_the_data_scale_comes_from_the_training_ratings_when_none_is_declared(data, splits):
    wild = data.rating.copy()
    wild[_test_in_every_split(splits)] = 500.0  # all ratings would say c = 100
    c = search.data_scale(dataclasses.replace(data, rating=wild), splits)
    train_max = max(np.abs(data.rating[s.train]).max() for s in splits.values())
    assert c == pytest.approx(train_max / 5)

