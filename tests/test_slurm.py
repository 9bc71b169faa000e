"""The quick configuration on a real one-node SLURM cluster through profiles/slurm, against a local run.

Uses the cluster that answers `sinfo`, else starts one with .ci/slurm/start-slurm.sh (root only) and
stops it afterwards. Skips, saying why, where neither works; with ADAGO_REQUIRE_SLURM=1 (CI) it
fails instead, so a broken cluster set-up cannot pass as a skip. Run alone with `pytest -m slurm`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from workflow_helpers import REPO, make_workdir, snakemake

pytestmark = pytest.mark.slurm

START = REPO / ".ci" / "slurm" / "start-slurm.sh"
STOP = REPO / ".ci" / "slurm" / "stop-slurm.sh"
CONFIG = yaml.safe_load((REPO / "config" / "quick.yaml").read_text())
# Columns that hold measurements of this run (seconds, memory) rather than results of the model.
MEASURED = re.compile(r"seconds|time|wall|rss")
# Rules that must run on the login node: downloads, aggregation and plots.
LOCAL_RULES = {"download_dataset", "extract_movielens", "make_synthetic", "aggregate_runs", "make_tables",
               "plot_figure", "plot_convergence"}


def _cluster_answers() -> bool:
    if not shutil.which("sinfo"):
        return False
    states = subprocess.run(["sinfo", "--noheader", "--format=%T"], capture_output=True, text=True, timeout=30)
    return states.returncode == 0 and bool(re.search(r"^(idle|mixed|allocated)", states.stdout, re.M))


def _munge_answers() -> bool:
    if not shutil.which("munge"):
        return False
    return subprocess.run("munge -n | unmunge", shell=True, capture_output=True, timeout=30).returncode == 0


@pytest.fixture(scope="module")
def cluster():
    """A SLURM cluster for the module: the running one, or one started here and stopped afterwards."""

    def unavailable(reason: str):
        if os.environ.get("ADAGO_REQUIRE_SLURM") == "1":
            pytest.fail(f"ADAGO_REQUIRE_SLURM=1, but {reason}")
        pytest.skip(reason)

    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        unavailable("snakemake-executor-plugin-slurm is not installed (pip install -e '.[slurm]')")
    if _cluster_answers():
        yield "found"
        return
    if os.geteuid() != 0:
        unavailable(f"no SLURM cluster answers 'sinfo', and {START.relative_to(REPO)} needs root to start one "
                    f"(this is uid {os.geteuid()})")
    munge_was_running = _munge_answers()
    started = subprocess.run(["bash", str(START)], capture_output=True, text=True, timeout=900)
    if started.returncode != 0:
        unavailable(f"{START.relative_to(REPO)} could not start SLURM: {started.stderr.strip()[-1500:]}")
    yield "started"
    subprocess.run(["bash", str(STOP), *([] if munge_was_running else ["--with-munge"])], check=False)


def _run(workdir: Path, *args: str, **kwargs) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    result = snakemake(workdir, *args, timeout=1800, **kwargs)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    return result, time.monotonic() - start


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    """The same configuration (same seeds) run locally and on the cluster, one after the other."""
    local, local_seconds = _run(make_workdir(tmp_path_factory.mktemp("local"), CONFIG))
    remote_dir = make_workdir(tmp_path_factory.mktemp("slurm"), CONFIG)
    # --cores from the profile (1 CPU per submission), as a user would run it.
    remote, remote_seconds = _run(remote_dir, "--workflow-profile", "profiles/slurm", cores=None)
    print(f"\nquick config: {local_seconds:.0f} s locally (--cores 2), {remote_seconds:.0f} s on the one-node "
          f"SLURM cluster ({cluster})")
    return {"local": Path(local.args[local.args.index("--directory") + 1]), "slurm": remote_dir,
            "slurm_log": remote.stdout + remote.stderr}


def _submitted(log: str) -> dict[str, dict[str, str]]:
    """SLURM job id -> what `scontrol show job` says it was given, for every job the run submitted."""
    jobs = {}
    for job_id in re.findall(r"submitted with SLURM jobid (\d+)", log):
        shown = subprocess.run(["scontrol", "--oneliner", "show", "job", job_id], capture_output=True, text=True,
                               check=True).stdout
        jobs[job_id] = dict(re.findall(r"(\w+)=(\S+)", shown))
    return jobs


def test_compute_rules_are_submitted_with_their_declared_resources_and_the_rest_stays_local(runs):
    log = runs["slurm_log"]
    jobs = _submitted(log)
    for job_id, job in jobs.items():
        print(f"SLURM job {job_id}: {job['TRES']}, time limit {job['TimeLimit']}, {job['JobState']}")
    # One submission for the data (prepare + both splits) and one for the six training runs.
    assert len(jobs) == 2, jobs
    assert all(job["JobState"] == "COMPLETED" for job in jobs.values()), jobs
    # One CPU each (profile: cores 1); memory is the largest member's mem_mb, time the members' sum.
    assert all(re.match(r"cpu=1,mem=\d+M", job["TRES"]) for job in jobs.values()), jobs
    logs = {p.name for p in (runs["slurm"] / ".snakemake" / "slurm_logs").iterdir()}
    assert logs == {"group_data_prepare_dataset_split_dataset", "group_train_train"}, logs
    for rule in LOCAL_RULES & set(re.findall(r"^\s*(?:local)?rule (\w+):", log, re.M)):
        assert f"localrule {rule}:" in log, f"{rule} was submitted, not run on the login node"


def test_training_jobs_on_the_cluster_cache_kernels_on_the_node_not_in_results(runs):
    assert (runs["local"] / "results" / ".numba_cache").is_dir()
    assert not (runs["slurm"] / "results" / ".numba_cache").exists()


def _results_without_measurements(root: Path, pattern: str) -> dict[str, pd.DataFrame]:
    tables = {}
    for path in sorted(root.rglob(pattern)):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        tables[str(path.relative_to(root))] = frame.drop(columns=[c for c in frame.columns if MEASURED.search(c)])
    return tables


@pytest.mark.parametrize("where, pattern", [("results/tables", "*.csv"), ("results/runs", "history.csv")])
def test_cluster_results_equal_the_local_runs_number_for_number(runs, where, pattern):
    local = _results_without_measurements(runs["local"] / where, pattern)
    remote = _results_without_measurements(runs["slurm"] / where, pattern)
    assert local and sorted(local) == sorted(remote)
    for name, frame in local.items():
        assert len(frame) > 0, name
        # Compared as text: the same digits, not merely close numbers.
        pd.testing.assert_frame_equal(remote[name], frame, obj=name)
