"""``python -m adago.tuning``: the workflow's policies, outside the workflow."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from adago.dataset import save_ratings
from adago.splitting import make_split
from adago.synthetic import low_rank_ratings
from adago.tuning import cli
from adago.tuning.records import read_best, read_trials_csv

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # the config schema is read from workflow/schemas
    data = low_rank_ratings(100, 80, 3000, rank=3, noise_std=0.2, seed=5)
    # The largest rating is a test entry of seed 3's split: all ratings would give the scale 10.
    data.rating[make_split(data, seed=3, ratios=(0.6, 0.2, 0.2)).test[0]] = 50.0
    data = dataclasses.replace(data, rating_max=50.0)  # the range of all ratings, as read
    # The built-in synthetic data set declares no rating range, like this one.
    save_ratings(tmp_path / "results" / "prepared" / "synthetic.npz", data)
    config = {
        "datasets": ["synthetic"], "max_epochs": 20, "split": {"ratios": [0.6, 0.2, 0.2]},
        "tuning": {"seeds": [3], "trials": 4,
                   "space": {"adam": {"lr": {"low": 1e-3, "high": 1e-2, "log": True}, "init_high": [0.1]}}},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    return tmp_path, data


def test_the_command_writes_every_trial_and_the_best(setup):
    root, data = setup
    cli.main(["--dataset", "synthetic", "--method", "adam", "--configfile", str(root / "config.yaml"),
              "--results", str(root / "results"), "--out-dir", str(root / "out")])
    table = read_trials_csv(root / "out" / "trials.csv")
    assert table["trial_id"].tolist() == ["r1t00", "r1t01", "r1t02", "r1t03"]
    best = read_best(root / "out" / "best.json")
    assert best["score"] == table["val_rmse"].min() and best["seeds"] == [3]
    assert best["context"] == {"dataset": "synthetic", "protocol": "tuned"}
    assert best["options"]["max_epochs"] == 20
    # the protocol's stopping rule and clipping, as the final runs use them
    assert best["train_options"]["clip"] is True and best["train_options"]["stopping"]["min_epochs"] == 100


def test_the_command_uses_the_split_rule_s_ratios_and_the_training_ratings_range(setup, monkeypatch):
    """No saved split: the command makes the one the split rule would (the data set's ratios), and
    with no declared range clips to the training ratings' range, not to all ratings'."""
    root, data = setup
    seen = {}
    real = cli.run_trial

    def spy(data_, splits, **kwargs):
        seen["split"] = splits[3]
        return real(data_, splits, **kwargs)

    monkeypatch.setattr(cli, "run_trial", spy)
    cli.main(["--dataset", "synthetic", "--method", "adam", "--configfile", str(root / "config.yaml"),
              "--results", str(root / "results"), "--trials", "1", "--out-dir", str(root / "out")])
    expected = make_split(data, seed=3, ratios=(0.6, 0.2, 0.2))
    assert np.array_equal(seen["split"].validation, expected.validation)
    trial = json.loads((root / "out" / "best.json").read_text())
    assert trial["n_trials"] == 1
    train_ratings = data.rating[expected.train]
    records = read_trials_csv(root / "out" / "trials.csv")
    assert records["scale"][0] == pytest.approx(max(abs(train_ratings.min()), train_ratings.max()) / 5)


def test_parallel_workers_give_the_same_trials_as_one_process(setup):
    root, _ = setup
    common = ["--dataset", "synthetic", "--method", "adam", "--configfile", str(root / "config.yaml"),
              "--results", str(root / "results"), "--trials", "3", "--refine-trials", "1"]
    cli.main([*common, "--out-dir", str(root / "one")])
    cli.main([*common, "--workers", "2", "--out-dir", str(root / "two")])
    one, two = (read_trials_csv(root / d / "trials.csv").drop(columns="wall_seconds") for d in ("one", "two"))
    assert one.equals(two)
