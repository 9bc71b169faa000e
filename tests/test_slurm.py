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
# The cluster runs the demo as shipped, into its own folder (output_dir: demo), started the way a user
# starts it; the local run writes to the test's directory. The comparison reads results/ in each.
DEMO = yaml.safe_load((REPO / "config" / "quick.yaml").read_text())
CONFIG = {**DEMO, "output_dir": None}
# Columns that hold measurements of this run (seconds, memory) rather than results of the model.
MEASURED = re.compile(r"seconds|time|wall|rss")
# Rules submitted to the cluster (the tuning stage's trials may join them); every other rule is local.
COMPUTE_RULES = {"prepare_dataset", "split_dataset", "train"}


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
    local_dir = make_workdir(tmp_path_factory.mktemp("local"), CONFIG)
    _, local_seconds = _run(local_dir)
    launch_dir = make_workdir(tmp_path_factory.mktemp("slurm"), DEMO)
    # --cores from the profile (1 CPU per submission) and no --directory, as a user would run it.
    remote, remote_seconds = _run(launch_dir, "--workflow-profile", "profiles/slurm", cores=None, directory=False)
    print(f"\nquick config: {local_seconds:.0f} s locally (--cores 2), {remote_seconds:.0f} s on the one-node "
          f"SLURM cluster ({cluster})")
    return {"local": local_dir, "slurm": launch_dir / DEMO["output_dir"], "slurm_launch": launch_dir,
            "slurm_log": remote.stdout + remote.stderr}


def _submissions(log: str) -> dict[str, tuple[int, list[tuple[int, int]]]]:
    """SLURM job id -> (number of rule jobs it holds, (mem_mb, runtime) of those whose sizes the
    submitting run printed).

    The members of a submission are the --target-jobs of the Snakemake that its SLURM log starts with
    (named in the plugin's "submitted with SLURM jobid N (log: PATH)" line); their sizes are in the
    submitting run's log, in the block of each job ("rule NAME:", its wildcards and resources).
    """
    sizes, rule, wildcards = {}, None, ""
    for line in log.splitlines():
        if match := re.match(r"^\s*rule (\w+):", line):
            rule, wildcards = match.group(1), ""
        elif match := re.match(r"^\s+wildcards: (.*)", line):
            wildcards = match.group(1).replace(" ", "")
        elif rule and (match := re.search(r"^\s+resources: .*?\bmem_mb=(\d+),.*?\bruntime=(\d+)", line)):
            sizes[f"{rule}:{wildcards}"] = (int(match.group(1)), int(match.group(2)))
            rule = None
    submissions = {}
    for job_id, path in re.findall(r"submitted with SLURM jobid (\d+) \(log: (\S+)\)", log):
        targets = re.search(r"--target-jobs (.*?) --", Path(path).read_text()).group(1).split()
        submissions[job_id] = (len(targets), [sizes[t] for t in targets if t in sizes])
    return submissions


def _scontrol(job_id: str) -> dict[str, str]:
    shown = subprocess.run(["scontrol", "--oneliner", "show", "job", job_id], capture_output=True, text=True,
                           check=True).stdout
    return dict(re.findall(r"(\w+)=(\S+)", shown))


def _minutes(limit: str) -> int:
    """SLURM's [days-]hours:minutes:seconds as minutes."""
    days, _, clock = limit.rpartition("-")
    hours, minutes, seconds = (int(x) for x in clock.split(":"))
    return (int(days or 0) * 24 + hours) * 60 + minutes + (seconds > 0)


def test_each_submission_asks_for_what_its_rules_declare_and_only_compute_rules_are_submitted(runs):
    log = runs["slurm_log"]
    submissions = _submissions(log)
    assert submissions
    for job_id, (n_jobs, sizes) in submissions.items():
        job = _scontrol(job_id)
        print(f"SLURM job {job_id}: {n_jobs} jobs, {job['TRES']}, time limit {job['TimeLimit']}, {job['JobState']}")
        assert job["JobState"] == "COMPLETED", job
        # Every member's size known when submitted (an unknown one would go uncounted), and the members
        # run one after another on one CPU (profile: cores 1): the largest memory, the sum of the times.
        assert len(sizes) == n_jobs, (n_jobs, sizes)
        assert job["TRES"].startswith(f"cpu=1,mem={max(m for m, _ in sizes)}M,"), (job["TRES"], sizes)
        assert _minutes(job["TimeLimit"]) == sum(t for _, t in sizes), (job["TimeLimit"], sizes)
    submitted_rules = set(re.findall(r"^\s*rule (\w+):", log, re.M))
    assert COMPUTE_RULES <= submitted_rules, submitted_rules
    assert all(r in COMPUTE_RULES or r.startswith("tune") for r in submitted_rules), submitted_rules
    # Only preparation (one job per data set) is submitted on its own; the rest in groups.
    logs = {p.name for p in (runs["slurm"] / ".snakemake" / "slurm_logs").iterdir()}
    assert {"rule_prepare_dataset", "group_split_split_dataset", "group_train_train"} <= logs, logs
    assert all(name == "rule_prepare_dataset" or name.startswith("group_") for name in logs), logs
    assert len(submissions) < sum(n_jobs for n_jobs, _ in submissions.values())


def test_the_demo_on_the_cluster_writes_only_into_its_output_dir(runs):
    # Its jobs, too: applied once more in each job, a relative workdir put them in demo/demo.
    out, launch = runs["slurm"], runs["slurm_launch"]
    assert (out / "results" / "tables").is_dir() and (out / "figures").is_dir()
    assert not (out / DEMO["output_dir"]).exists()
    assert not any((launch / name).exists() for name in ("results", "figures", "logs", "benchmarks", "data"))


def test_training_jobs_on_the_cluster_cache_kernels_on_the_node_not_in_results(runs):
    assert (runs["local"] / "results" / ".numba_cache").is_dir()
    assert not (runs["slurm"] / "results" / ".numba_cache").exists()


def _results_without_measurements(root: Path, pattern: str) -> dict[str, pd.DataFrame]:
    """Every matching CSV under ``root`` without what was measured rather than computed: columns named
    like MEASURED, and rows about a measured quantity (a cell such as 'rmse_seconds' or 'time')."""
    tables = {}
    for path in sorted(root.rglob(pattern)):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame = frame.drop(columns=[c for c in frame.columns if MEASURED.search(c)])
        about_measurement = frame.apply(lambda col: col.str.fullmatch(r"\w*(seconds|time)\w*")).any(axis=1)
        tables[str(path.relative_to(root))] = frame[~about_measurement].reset_index(drop=True)
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
