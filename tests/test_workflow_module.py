"""Using the workflow from elsewhere: as a Snakemake module with a prefix, the quick demo's own
folder, and the rule descriptions that `snakemake --list-rules` shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from workflow_helpers import make_workdir, snakemake

pytestmark = pytest.mark.workflow

MODULE_CONFIG = {
    "protocol": ["tuned"],
    "datasets": ["synthetic"],
    "methods": ["adago", "sgd"],
    "seeds": [1],
    "max_epochs": 5,
    "training": {"progress_every": 2, "stopping": {"min_epochs": 0}},
    "synthetic": {"users": 120, "items": 90, "ratings": 3000, "rank": 3, "noise_std": 0.2, "seed": 0},
}

# What README.md (section "Use as a module") tells users to write, with a local path for github(...).
OUTER_SNAKEFILE = """\
configfile: "config.yaml"


module adago:
    snakefile:
        "{snakefile}"
    config:
        config["adago"]
    prefix:
        "adago"


use rule * from adago as adago_*


rule all:
    default_target: True
    input:
        rules.adago_all.input,
"""


def _run(cwd: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    # No --directory: it would override the workdir that output_dir sets.
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"})


@pytest.fixture(scope="module")
def outer(tmp_path_factory):
    """A tiny outer workflow that uses a copy of this one as a module, run to the end."""
    source = make_workdir(tmp_path_factory.mktemp("adago-source"), {})
    outer = tmp_path_factory.mktemp("outer")
    (outer / "Snakefile").write_text(OUTER_SNAKEFILE.format(snakefile=source / "Snakefile"))
    (outer / "config.yaml").write_text(yaml.safe_dump({"adago": MODULE_CONFIG}))
    result = _run(outer)
    assert result.returncode == 0, result.stderr[-4000:]
    return outer, source, result


def test_a_module_with_a_prefix_writes_every_output_under_the_prefix(outer):
    outer_dir, source, _ = outer
    prefixed = outer_dir / "adago"
    assert (prefixed / "results/tables/tuned/table4.csv").is_file()
    assert (prefixed / "results/tables/claims.csv").is_file()
    assert (prefixed / "figures/tuned/figure2.png").is_file()
    assert (prefixed / "logs/train/tuned/synthetic/adago/seed1.log").is_file()
    assert (prefixed / "benchmarks/train/tuned/synthetic/sgd/seed1.tsv").is_file()
    # The compiled kernels too: nothing of the module's lands beside the outer workflow or in its source.
    assert any((prefixed / "results/.numba_cache").iterdir())
    left = sorted(p.name for p in outer_dir.iterdir())
    assert left == [".snakemake", "Snakefile", "adago", "config.yaml"], left
    assert not (source / "results").exists() and not (source / "logs").exists()


def test_a_module_takes_its_config_over_the_shipped_defaults(outer):
    outer_dir, _, _ = outer
    # datasets/methods come from the outer config, every other key from the module's config/config.yaml.
    runs = sorted(p.relative_to(outer_dir / "adago/results/runs").as_posix()
                  for p in (outer_dir / "adago/results/runs").glob("*/*/*/*"))
    assert runs == ["tuned/synthetic/adago/seed1", "tuned/synthetic/sgd/seed1"]


def test_the_console_shows_a_progress_line_every_n_epochs_and_the_log_every_epoch(outer):
    outer_dir, _, result = outer
    console = result.stdout + result.stderr
    assert "tuned synthetic/adago/seed1: adago epoch 2:" in console
    assert "tuned synthetic/adago/seed1: adago epoch 4:" in console
    assert "adago epoch 1:" not in console and "adago epoch 3:" not in console
    log = (outer_dir / "adago/logs/train/tuned/synthetic/adago/seed1.log").read_text()
    assert all(f"adago epoch {epoch}:" in log for epoch in range(1, 6))


def test_the_quick_demo_writes_to_its_own_folder(tmp_path):
    workdir = make_workdir(tmp_path, {})
    result = _run(workdir, "data/synthetic/ratings.csv", "--configfile", "config/quick.yaml")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (workdir / "demo/data/synthetic/ratings.csv").is_file()
    assert not (workdir / "data").exists() and not (workdir / "logs").exists()


def test_every_rule_has_a_description_in_list_rules(tmp_path):
    workdir = make_workdir(tmp_path, {})
    result = snakemake(workdir, "--list-rules", cores=None)
    assert result.returncode == 0, result.stderr[-3000:]
    rules = [line for line in result.stdout.splitlines() if line and not line.startswith("Using ")]
    assert len(rules) >= 15, rules
    undocumented = [line for line in rules if not line.rstrip().endswith(")") or " (" not in line]
    assert not undocumented, f"rules without a docstring: {undocumented}"
