"""Input data through the real workflow: a replaced file re-runs what depends on it; data no run could
use fails once, at prepare or split time, naming the data set."""

from __future__ import annotations

import os

import numpy as np
import pytest

from workflow_helpers import make_workdir, nothing_to_do, planned_rules, snakemake

pytestmark = pytest.mark.workflow
RUN = "results/runs/tuned/mine/sgd/seed1/summary.json"
LONG_AGO = 946_684_800  # 2000-01-01


def _ratings_csv(path, seed, n_users=40, n_items=30):
    rng = np.random.default_rng(seed)
    rows = [f"{u},{i},{rng.integers(1, 6)}" for u in range(n_users) for i in range(n_items) if rng.random() < 0.6]
    path.write_text("user,item,rating\n" + "\n".join(rows) + "\n")
    return path


def _config(path):
    return {"datasets": ["mine"], "methods": ["sgd"], "seeds": [1], "max_epochs": 2,
            "custom_datasets": {"mine": {"path": str(path), "format": "csv", "rating_range": [1, 5]}}}


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    """A finished run on data/current/ratings.csv, where data/current is a symbolic link to data/v1
    (a release directory, as one keeps data versions); data/v0 holds an older, different file."""
    root = tmp_path_factory.mktemp("fp")
    data = root / "data"
    (data / "v0").mkdir(parents=True)
    (data / "v1").mkdir()
    older = _ratings_csv(data / "v0/ratings.csv", seed=2)
    os.utime(older, (LONG_AGO, LONG_AGO))
    _ratings_csv(data / "v1/ratings.csv", seed=1)
    (data / "current").symlink_to(data / "v1", target_is_directory=True)
    (root / "wf").mkdir()
    workdir = make_workdir(root / "wf", _config(data / "current/ratings.csv"))
    result = snakemake(workdir, RUN)
    assert result.returncode == 0, result.stderr[-3000:]
    assert nothing_to_do(snakemake(workdir, "-n", RUN))
    return workdir, data


def test_a_symlink_re_pointed_to_an_older_file_re_runs_prepare_and_everything_after(linked):
    workdir, data = linked
    link = data / "current"
    link.unlink()
    link.symlink_to(data / "v0", target_is_directory=True)
    try:
        rules = planned_rules(snakemake(workdir, "-n", RUN).stdout)
        assert {"prepare_dataset", "split_dataset", "train"} <= rules, rules
    finally:
        link.unlink()
        link.symlink_to(data / "v1", target_is_directory=True)
    assert nothing_to_do(snakemake(workdir, "-n", RUN)), "pointing back at the same data re-runs nothing"


def test_data_replaced_by_a_file_with_an_older_modification_time_re_runs_prepare(linked):
    workdir, data = linked
    target = data / "v1/ratings.csv"
    original, before = target.read_bytes(), target.stat()
    _ratings_csv(target, seed=3)
    os.utime(target, (LONG_AGO, LONG_AGO))  # as `cp -p` of an old file would leave it
    try:
        rules = planned_rules(snakemake(workdir, "-n", RUN).stdout)
        assert {"prepare_dataset", "split_dataset", "train"} <= rules, rules
    finally:
        target.write_bytes(original)
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert nothing_to_do(snakemake(workdir, "-n", RUN))


@pytest.mark.parametrize(
    ("rows", "fails_in", "message"),
    [
        ("".join(f"{u},{i},4\n" for u in range(5) for i in range(5)), "prepare_dataset",
         "data set 'mine' ({path}): all 25 ratings are 4"),
        ("".join(f"1,{i},{1 + i % 5}\n" for i in range(9)), "prepare_dataset",
         "data set 'mine' ({path}): 9 rating(s) from 1 user(s)"),
        # every item rated once: validation and test entries are all cold and dropped
        ("".join(f"{i % 3},{i},{1 + i % 5}\n" for i in range(10)), "split_dataset",
         "data set 'mine', seed 1: the validation and test parts are empty"),
    ],
)
def test_data_no_run_could_use_fails_once_before_training_naming_the_data_set(tmp_path, rows, fails_in, message):
    path = tmp_path / "mine.csv"
    path.write_text("user,item,rating\n" + rows)
    (tmp_path / "wf").mkdir()
    workdir = make_workdir(tmp_path / "wf", {**_config(path), "methods": ["adago", "sgd"]})
    result = snakemake(workdir)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert message.format(path=path) in out
    assert f"Error in rule {fails_in}" in out
    assert "rule train:" not in out, "no training job may start"
