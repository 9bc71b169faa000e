"""Every registered method through the real Snakemake workflow: the quick synthetic configuration
with the baselines and AdaGO's ablations added, under both protocols, from training to tables,
significance tests, claims and figures."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import test_workflow as base
from adago.optimizers import METHODS as REGISTRY
from workflow_helpers import make_workdir, snakemake

pytestmark = pytest.mark.workflow

METHODS = list(REGISTRY)
SEEDS = base.SEEDS
PROTOCOLS = base.PROTOCOLS
# test_workflow's small configuration, on the synthetic data only, with every registered method.
CONFIG = {**base.CONFIG, "datasets": ["synthetic"], "methods": METHODS}


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    workdir = make_workdir(tmp_path_factory.mktemp("wf_methods"), CONFIG)
    result = snakemake(workdir, env={"ADAGO_MIRROR": None})
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_method_trains_with_the_settings_its_name_fixes(done, protocol):
    for m, spec in REGISTRY.items():
        for s in SEEDS:
            summary = json.loads((done / f"results/runs/{protocol}/synthetic/{m}/seed{s}/summary.json").read_text())
            hyper = summary["hyperparameters"]
            assert hyper["method"] == m and all(hyper[k] == v for k, v in spec.fixed.items())
            assert summary["epochs_run"] >= 1
    als = json.loads((done / f"results/runs/{protocol}/synthetic/als/seed1/summary.json").read_text())
    assert als["hyperparameters"]["batch"] == "full"  # even under the paper protocol's per-rating steps


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_tables_and_significance_cover_every_method_under_its_registry_label(done, protocol):
    tables = done / "results/tables" / protocol
    for name in ("table4", "table5"):
        t = pd.read_csv(tables / f"{name}.csv")
        assert t["method"].tolist() == METHODS and (t["n_runs"] == len(SEEDS)).all()
    shown = (tables / "table3.md").read_text() + (tables / "table4.md").read_text() + (tables / "table5.tex").read_text()
    assert all(spec.label in shown for spec in REGISTRY.values())
    sig = pd.read_csv(tables / "significance.csv")
    assert set(sig["other"]) == set(METHODS) - {"adago"} and (sig["n_pairs"] == len(SEEDS)).all()
    assert (sig["reference"] == "adago").all()


def test_claims_and_figures_are_written_with_all_methods_present(done):
    claims = pd.read_csv(done / "results/tables/claims.csv")
    assert len(claims) > 0 and set(claims["protocol"]) == set(PROTOCOLS)
    for p in PROTOCOLS:
        for name in [f"figure{k}" for k in range(2, 8)] + ["convergence_synthetic"]:
            for ext in ("png", "pdf"):
                assert (done / f"figures/{p}/{name}.{ext}").stat().st_size > 1000, (p, name)
