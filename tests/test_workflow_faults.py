"""Faults met through the real workflow: corrupt downloads, malformed files, divergence, a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from workflow_helpers import make_workdir, snakemake

pytestmark = pytest.mark.workflow
SYNTHETIC = {"users": 300, "items": 200, "ratings": 12000, "rank": 3, "noise_std": 0.2, "seed": 0}


def test_a_diverging_run_is_tabulated_marked_and_fails_the_workflow_at_the_end(tmp_path):
    # issue 9: one diverging method blocked every table.
    config = {"protocol": "tuned", "datasets": ["synthetic"], "methods": ["adago", "sgd"], "seeds": [1, 2],
              "max_epochs": 20, "synthetic": SYNTHETIC,
              "hyperparameters": {"tuned": {"synthetic": {"sgd": {"lr": 50.0}}}}}
    workdir = make_workdir(tmp_path, config)
    result = snakemake(workdir)
    out = result.stdout + result.stderr
    assert result.returncode != 0, "a partial result must not look like a whole one"
    assert "2 of 4 runs diverged" in out
    assert "results/runs/tuned/synthetic/sgd/seed1: diverged at epoch" in out
    assert "log logs/train/tuned/synthetic/sgd/seed1.log" in out and "hyperparameters.tuned.synthetic.sgd" in out
    summary = json.loads((workdir / "results/runs/tuned/synthetic/sgd/seed1/summary.json").read_text())
    assert summary["status"] == "diverged" and summary["diverged"]["epoch"] >= 1
    assert "lr=50.0" in summary["diverged"]["message"]

    # Everything that finished is tabulated; the diverged runs are counted and marked.
    t4 = pd.read_csv(workdir / "results/tables/tuned/table4.csv").set_index("method")
    assert (t4.loc["adago", "n_runs"], t4.loc["adago", "n_diverged"]) == (2, 0)
    assert (t4.loc["sgd", "n_runs"], t4.loc["sgd", "n_diverged"]) == (0, 2)
    assert "| 0 (+2 diverged) |" in (workdir / "results/tables/tuned/table4.md").read_text()
    assert "| 0 (2 diverged runs left out) |" in (workdir / "results/tables/claims.md").read_text()
    for figure in ("figure2", "figure5", "convergence_synthetic"):
        assert (workdir / f"figures/tuned/{figure}.png").stat().st_size > 1000, figure
    assert not (workdir / "results/complete.json").exists()

    again = snakemake(workdir)  # the same command: the same verdict, nothing trained again
    assert again.returncode != 0 and "2 of 4 runs diverged" in again.stdout + again.stderr
    assert "rule train:" not in again.stdout + again.stderr

    fixed = snakemake(workdir, overrides={"hyperparameters": {"tuned": {"synthetic": {"sgd": {"lr": 0.002}}}}})
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert (fixed.stdout + fixed.stderr).count("rule train:") == 2, "only the diverged runs are trained again"
    t4 = pd.read_csv(workdir / "results/tables/tuned/table4.csv").set_index("method")
    assert (t4.loc["sgd", "n_runs"], t4.loc["sgd", "n_diverged"]) == (2, 0)
    assert json.loads((workdir / "results/complete.json").read_text())["runs"] == 4


def _summaries(workdir):
    return {p: p.stat().st_mtime_ns for p in (workdir / "results/runs").rglob("summary.json")}


def test_killing_the_workflow_and_restarting_finishes_without_redoing_finished_runs(tmp_path):
    seeds = list(range(1, 7))
    config = {"protocol": "tuned", "datasets": ["synthetic"], "methods": ["adago", "sgd"], "seeds": seeds,
              "max_epochs": 200, "synthetic": SYNTHETIC, "training": {"patience": 200}}
    workdir = make_workdir(tmp_path, config)
    cmd = [sys.executable, "-m", "snakemake", "--directory", str(workdir), "--configfile",
           str(workdir / "test-config.yaml"), "--cores", "2"]
    proc = subprocess.Popen(cmd, cwd=workdir, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    # Kill once a few runs are done (Snakemake has had time to record them as complete) and
    # others are still training.
    while len(_summaries(workdir)) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole group: Snakemake and the jobs it runs
    proc.wait()

    before = _summaries(workdir)
    total = len(seeds) * 2
    assert 0 < len(before) < total, "the kill must land between the first and the last run"
    for path in before:  # whatever exists is complete: atomic writes, history before summary
        summary = json.loads(path.read_text())
        history = pd.read_csv(path.parent / "history.csv")
        assert len(history) == summary["epochs_run"]

    # A killed Snakemake leaves its lock; the documented recovery is --unlock, then run again.
    assert snakemake(workdir, "--unlock").returncode == 0
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    after = _summaries(workdir)
    assert len(after) == total
    kept = [p for p in before if after[p] == before[p]]
    assert kept, "finished runs must not be trained again"
    assert (workdir / "results/tables/tuned/table4.csv").is_file()
    assert snakemake(workdir, "-n").stdout.count("rule train:") == 0


def test_a_corrupt_mirror_file_fails_the_download_naming_it_and_leaves_nothing(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "douban").mkdir(parents=True)
    (mirror / "douban/training_test_dataset.mat").write_bytes(b"\x89HDF\r\n truncated")
    (tmp_path / "wf").mkdir()
    workdir = make_workdir(tmp_path / "wf", {"datasets": ["douban"]})
    result = snakemake(workdir, "download", env={"ADAGO_MIRROR": str(mirror)})
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "wrong checksum" in out and "1f4476321cbfe0f606e7e35d0695ca15447a1b0b2c811df130109b6cb9a067ae" in out
    assert str(mirror / "douban/training_test_dataset.mat") in out
    assert not any((workdir / "data").rglob("*.mat")), "no file a later run would trust"


def test_a_malformed_custom_rating_file_fails_naming_file_and_line(tmp_path):
    ratings = tmp_path / "mine.csv"
    ratings.write_text("user,item,rating\n1,10,4\n2,10,five\n3,11,2\n")
    (tmp_path / "wf").mkdir()
    workdir = make_workdir(tmp_path / "wf", {"datasets": ["mine"], "custom_datasets": {
        "mine": {"path": str(ratings), "format": "csv", "rating_range": [1, 5]}}})
    result = snakemake(workdir)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"{ratings}:3" in out
    assert not (workdir / "results/prepared/mine.npz").exists()
