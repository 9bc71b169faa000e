"""Tables never describe runs that are gone, changed or broken (issue 9), through the real workflow.

One small finished workflow (tuned protocol, synthetic data, AdaGO and SGD, one seed) is broken the
ways users and faults break it: a retraining job killed, a run directory deleted, a run file cut
short or emptied, a corrupt split fixed. After each, running the same command again must bring the
tables back in line with the runs the config asks for, or fail naming the file and the fix; never
"Nothing to be done" over tables that describe something else. The tests share the workdir and run
in file order; each leaves it finished and consistent for the next.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from workflow_helpers import make_workdir, nothing_to_do, planned_rules, snakemake

pytestmark = pytest.mark.workflow

# Large enough that SGD's training takes a second or more after its first epoch: the window to kill it in.
CONFIG = {
    "protocol": "tuned", "datasets": ["synthetic"], "methods": ["adago", "sgd"], "seeds": [1], "max_epochs": 150,
    "training": {"stopping": {"min_epochs": 150}},
    "synthetic": {"users": 1500, "items": 1000, "ratings": 200000, "rank": 3, "noise_std": 0.2, "seed": 0},
}
RUNS = "results/runs/tuned/synthetic"
SGD_RUN = f"{RUNS}/sgd/seed1"
SGD_LOG = "logs/train/tuned/synthetic/sgd/seed1.log"
NEW_LR = {"hyperparameters": {"tuned": {"synthetic": {"sgd": {"lr": 0.001}}}}}
TABLE_RULES = {"aggregate_runs", "make_tables", "make_claims", "plot_convergence", "check_results"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    workdir = make_workdir(tmp_path_factory.mktemp("stale"), CONFIG)
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-4000:]
    assert nothing_to_do(snakemake(workdir, "-n"))
    return workdir


def _sgd_lr_in_tables(workdir) -> float:
    runs = pd.read_csv(workdir / "results/tables/tuned/runs.csv")
    return json.loads(runs.loc[runs["method"] == "sgd", "hyperparameters"].item())["lr"]


def _train_processes(session: int) -> list[int]:
    """Pids of the training scripts Snakemake runs in ``session`` (their command line ends in train.py)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            if os.getsid(int(entry.name)) == session and any(a.endswith(b".train.py") for a in cmdline):
                pids.append(int(entry.name))
        except (OSError, ProcessLookupError):
            continue
    return pids


def test_killing_a_retraining_job_and_running_again_retrains_it_and_remakes_the_tables(workdir):
    # issue 9: the re-run said "Nothing to be done" while Table 4 kept the old learning rate's result.
    old_lr = _sgd_lr_in_tables(workdir)
    (workdir / "overrides.yaml").write_text(json.dumps(NEW_LR))
    cmd = [sys.executable, "-m", "snakemake", "--directory", str(workdir), "--cores", "2", "--configfile",
           str(workdir / "test-config.yaml"), str(workdir / "overrides.yaml")]
    log = workdir / SGD_LOG
    started = time.time()
    proc = subprocess.Popen(cmd, cwd=workdir, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    killed = []
    deadline = time.monotonic() + 600
    while not killed and proc.poll() is None and time.monotonic() < deadline:
        # SGD is retraining once its log (rewritten by this job) shows an epoch.
        if log.exists() and log.stat().st_mtime >= started and "sgd epoch" in log.read_text():
            for pid in _train_processes(proc.pid):
                os.kill(pid, signal.SIGKILL)  # as the kernel's OOM killer would
                killed.append(pid)
        time.sleep(0.01)
    out, _ = proc.communicate(timeout=600)
    assert killed, "the SGD training job was never seen running:\n" + out[-3000:]
    assert proc.returncode != 0, out[-3000:]
    assert "best RMSE" not in log.read_text(), "the kill must land before the run finishes"
    assert not (workdir / SGD_RUN / "summary.json").exists(), "Snakemake removes a failed job's outputs"
    assert _sgd_lr_in_tables(workdir) == old_lr, "the precondition: tables still describe the old run"

    result = snakemake(workdir, overrides=NEW_LR)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not nothing_to_do(result)
    summary = json.loads((workdir / SGD_RUN / "summary.json").read_text())
    assert summary["hyperparameters"]["lr"] == 0.001 and summary["status"] == "complete"
    assert _sgd_lr_in_tables(workdir) == 0.001
    assert nothing_to_do(snakemake(workdir, "-n", overrides=NEW_LR))
    os.remove(workdir / "overrides.yaml")


def test_the_same_edit_without_a_kill_retrains_only_that_method(workdir):
    # After the previous test the config is back at the old rate: only SGD's run is out of date.
    planned = snakemake(workdir, "-n").stdout
    assert planned.count("rule train:") == 1 and f"output: {SGD_RUN}/history.csv" in planned
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert _sgd_lr_in_tables(workdir) != 0.001


def test_deleting_a_run_directory_retrains_that_run_and_remakes_the_tables(workdir):
    shutil.rmtree(workdir / SGD_RUN)
    rules = planned_rules(snakemake(workdir, "-n").stdout)
    assert "train" in rules and TABLE_RULES <= rules, rules
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (workdir / SGD_RUN / "summary.json").is_file()
    assert nothing_to_do(snakemake(workdir, "-n"))


@pytest.mark.parametrize("name", [f"{RUNS}/adago/seed1/history.csv", "benchmarks/train/tuned/synthetic/adago/seed1.tsv"])
def test_a_run_missing_one_of_its_files_is_planned_again(workdir, name):
    path = workdir / name
    original, stat = path.read_bytes(), path.stat()
    path.unlink()
    try:
        planned = snakemake(workdir, "-n").stdout
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert f"output: {RUNS}/adago/seed1/history.csv" in planned and "rule aggregate_runs:" in planned, planned[-3000:]


def _restore_after(workdir, path: Path, damage) -> str:
    """Damage ``path``, run the workflow (which must fail), put the file back, run again; the failing
    run's output. The file keeps its mtime on return, so the run that follows re-makes what failed."""
    original, stat = path.read_bytes(), path.stat()
    damage(path)
    failed = snakemake(workdir)
    path.write_bytes(original)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    fixed = snakemake(workdir)
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert failed.returncode != 0
    return failed.stdout + failed.stderr


def test_a_history_cut_to_its_first_epochs_fails_naming_the_file_instead_of_plotting_a_short_curve(workdir):
    history = workdir / SGD_RUN / "history.csv"

    def cut(path):
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:101]))

    out = _restore_after(workdir, history, cut)
    assert f"{SGD_RUN}/history.csv: holds 100 epochs, but its summary.json says 150 were run (truncated)" in out
    assert f"delete the run directory {SGD_RUN} and run the workflow again" in out


@pytest.mark.parametrize("content", ["", '{"best": {"rmse": {"epo', "{}"])
def test_an_empty_or_truncated_summary_fails_naming_the_file_and_the_fix(workdir, content):
    summary = workdir / SGD_RUN / "summary.json"
    out = _restore_after(workdir, summary, lambda p: p.write_text(content))
    assert f"{SGD_RUN}/summary.json: " in out and f"delete the run directory {SGD_RUN}" in out
    assert "JSONDecodeError" not in out and "KeyError" not in out


def test_a_corrupt_split_once_fixed_retrains_its_runs_and_remakes_the_tables(workdir):
    split = workdir / "results/splits/synthetic/seed1.npz"
    split.write_bytes(split.read_bytes()[:-100] + b"\0" * 100)
    failed = snakemake(workdir)
    assert failed.returncode != 0 and "checksum mismatch" in failed.stdout + failed.stderr
    assert not (workdir / SGD_RUN / "summary.json").exists()
    split.unlink()  # the fix: delete it, so the split is made again
    rules = planned_rules(snakemake(workdir, "-n").stdout)
    assert {"split_dataset", "train"} | TABLE_RULES <= rules, rules
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert nothing_to_do(snakemake(workdir, "-n"))
