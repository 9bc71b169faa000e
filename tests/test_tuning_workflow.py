"""The tune stage inside the real Snakemake workflow: a tiny synthetic configuration, 2 trials per
method, 1 tuning seed, both protocols; the final runs read best.json."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from adago.tuning.records import best_in_table, read_best, read_trial, read_trials_csv
from adago.tuning.trials import round1_trial
from workflow_helpers import make_workdir, nothing_to_do, planned_rules, snakemake

pytestmark = pytest.mark.workflow

PROTOCOLS = ["paper", "tuned"]
METHODS = ["adago", "sgd", "als"]  # ALS has nothing open under the paper protocol: it stays untuned there
SEEDS = [1]
# SGD's declared space: with sampling seed 0, trial r1t00 draws the first value and r1t01 the second
# (checked below), so one trial of each protocol diverges and the other must be chosen.
SGD_SPACE = {"lr": [0.002, 1000.0]}
CONFIG = {
    "protocol": PROTOCOLS,
    "datasets": ["synthetic"],
    "methods": METHODS,
    "seeds": SEEDS,
    "max_epochs": 4,
    "training": {"stopping": {"min_epochs": 0}},
    "synthetic": {"users": 60, "items": 50, "ratings": 1200, "rank": 3, "noise_std": 0.2, "seed": 0},
    "tuning": {"enabled": True, "seeds": [1], "trials": 2, "sampling_seed": 0,
               "space": {"sgd": SGD_SPACE}},
}
TUNING = "results/tuning/{p}/synthetic/{m}"
TUNED = [(p, m) for p in PROTOCOLS for m in METHODS if not (p == "paper" and m == "als")]


def run_files():
    """Every final run, and runs.csv (whose rule checks the runs against what the config asks)."""
    return [*(f"results/runs/{p}/synthetic/{m}/seed{s}/summary.json" for p in PROTOCOLS for m in METHODS for s in SEEDS),
            *(f"results/tables/{p}/runs.csv" for p in PROTOCOLS)]


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    workdir = make_workdir(tmp_path_factory.mktemp("wf_tune"), CONFIG)
    result = snakemake(workdir, *run_files(), env={"ADAGO_MIRROR": None})
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


def test_every_trial_is_one_job_with_its_record_log_and_benchmark(done):
    for p, m in TUNED:
        for trial in ("r1t00", "r1t01"):
            read_trial(done / TUNING.format(p=p, m=m) / "trials" / f"{trial}.json")
            assert (done / f"logs/tune/{p}/synthetic/{m}/{trial}.log").is_file()
            assert (done / f"benchmarks/tune/{p}/synthetic/{m}/{trial}.tsv").is_file()
    assert not (done / TUNING.format(p="paper", m="als")).exists()


def test_trials_csv_lists_the_budget_and_best_json_holds_its_best_trial(done):
    for p, m in TUNED:
        table = read_trials_csv(done / TUNING.format(p=p, m=m) / "trials.csv")
        best = read_best(done / TUNING.format(p=p, m=m) / "best.json")
        assert table["trial_id"].tolist() == ["r1t00", "r1t01"]
        assert {"val_rmse_seed1", "val_mae_seed1", "epoch_seed1", "val_rmse", "diverged"} <= set(table.columns)
        assert best["hyperparameters"] == best_in_table(table)
        assert best["score"] == table.loc[~table["diverged"], "val_rmse"].min()
        assert best["seeds"] == [1] and best["n_trials"] == 2
        assert best["context"] == {"dataset": "synthetic", "protocol": p}
    paper = read_trials_csv(done / TUNING.format(p="paper", m="adago") / "trials.csv")
    assert [c for c in paper.columns if c in ("lr", "damping", "omega", "reg")] == ["damping", "lr", "omega"]


def test_a_diverging_trial_is_recorded_and_the_other_trial_chosen(done):
    # The test would be empty if both trials drew the same value.
    assert [round1_trial({"lr": _choice()}, seed=0, k=k)["lr"] for k in (0, 1)] == SGD_SPACE["lr"]
    for p in PROTOCOLS:
        table = pd.read_csv(done / TUNING.format(p=p, m="sgd") / "trials.csv")
        assert table["diverged"].tolist() == [False, True]
        assert table["val_rmse"].iloc[1] == float("inf")
        best = read_best(done / TUNING.format(p=p, m="sgd") / "best.json")
        assert best["trial_id"] == "r1t00" and best["n_diverged"] == 1
        trial = read_trial(done / TUNING.format(p=p, m="sgd") / "trials/r1t01.json")
        assert trial["seeds"][0]["stop_reason"] == "diverged"


def _choice():
    from adago.tuning.space import Choice

    return Choice(tuple(SGD_SPACE["lr"]))


def test_final_runs_train_with_best_json_and_say_so(done):
    for p, m in TUNED:
        path = TUNING.format(p=p, m=m) + "/best.json"
        best = read_best(done / path)
        for s in SEEDS:
            summary = json.loads((done / f"results/runs/{p}/synthetic/{m}/seed{s}/summary.json").read_text())
            assert summary["hyperparameters"] == best["options"]
            assert summary["hyperparameters_source"] == {
                "source": "tuned", "path": path, "metric": "val_rmse", "score": best["score"],
                "trial_id": best["trial_id"], "n_trials": 2, "n_diverged": best["n_diverged"], "seeds": [1]}
    als = json.loads((done / "results/runs/paper/synthetic/als/seed1/summary.json").read_text())
    assert als["hyperparameters_source"] == {"source": "config", "key": "hyperparameters.paper.synthetic.als"}
    # runs.csv carries the same record, one line per run.
    for p in PROTOCOLS:
        runs = pd.read_csv(done / f"results/tables/{p}/runs.csv")
        for row in runs.itertuples():
            if (p, row.method) in TUNED:
                best = read_best(done / (TUNING.format(p=p, m=row.method) + "/best.json"))
                assert row.hyperparameters_source == (
                    f"tuned: {TUNING.format(p=p, m=row.method)}/best.json (trial {best['trial_id']} of 2, "
                    f"validation val_rmse {best['score']:.5f})")
            else:
                assert row.hyperparameters_source == f"config: hyperparameters.{p}.synthetic.{row.method}"


def test_trials_never_read_test_entries(done):
    # Each trial's log lists the parts it trained and stopped on; test entries are never among them.
    for p, m in TUNED:
        record = read_trial(done / TUNING.format(p=p, m=m) / "trials/r1t00.json")
        assert all(k not in json.dumps(record) for k in ("test_rmse", "test_mae"))
        log = (done / f"logs/tune/{p}/synthetic/{m}/r1t00.log").read_text()
        assert "test" not in log.lower()


def test_a_second_run_has_nothing_to_do(done):
    result = snakemake(done, "-n", *run_files(), env={"ADAGO_MIRROR": None})
    assert result.returncode == 0 and nothing_to_do(result), result.stdout[-2000:]


def _planned_outputs(result) -> list[str]:
    return re.findall(r"^\s+output: (\S+)", result.stdout, flags=re.M)


def test_changing_one_method_s_space_re_runs_only_its_trials_and_final_runs(done):
    overrides = {"tuning": {**CONFIG["tuning"], "space": {"sgd": {"lr": [0.003, 1000.0]}}}}
    result = snakemake(done, "-n", *run_files(), env={"ADAGO_MIRROR": None}, overrides=overrides)
    assert result.returncode == 0, result.stderr[-3000:]
    assert planned_rules(result.stdout) == {"tune_trial", "select_hyperparameters", "train", "aggregate_runs"}
    outputs = [o for o in _planned_outputs(result) if not o.endswith("runs.csv")]
    assert outputs and all("/sgd/" in o for o in outputs), outputs
    assert sum("/trials/" in o for o in outputs) == 2 * len(PROTOCOLS)


def test_disabling_tuning_trains_with_the_config_s_values(done):
    result = snakemake(done, "-n", *run_files(), env={"ADAGO_MIRROR": None},
                       overrides={"tuning": {**CONFIG["tuning"], "enabled": False}})
    assert result.returncode == 0, result.stderr[-3000:]
    assert planned_rules(result.stdout) == {"train", "aggregate_runs"}


def test_a_second_round_is_planned_around_the_first_round_s_best(done):
    overrides = {"tuning": {**CONFIG["tuning"], "trials": 3, "refine_trials": 1}}
    result = snakemake(done, "-n", "results/tuning/tuned/synthetic/adago/best.json", env={"ADAGO_MIRROR": None},
                       overrides=overrides)
    assert result.returncode == 0, result.stderr[-3000:]
    outputs = _planned_outputs(result)
    # r1t00 and r1t01 are kept: a larger budget only adds trials.
    assert "results/tuning/tuned/synthetic/adago/round1.json" in outputs
    assert [o for o in outputs if "/trials/" in o] == ["results/tuning/tuned/synthetic/adago/trials/r2t00.json"]


def test_a_bad_tuning_block_fails_before_any_job_naming_the_key(tmp_path):
    # More keys: tests/test_tuning_config.py (check_config, without Snakemake).
    bad = {**CONFIG["tuning"], "space": {"adago": {"reg": [0.01]}}}  # L2 is fixed by the paper protocol
    workdir = make_workdir(tmp_path, {**CONFIG, "tuning": bad})
    result = snakemake(workdir, "-n", env={"ADAGO_MIRROR": None})
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "tuning.space.adago.reg" in output, output[-2000:]
    assert not (workdir / "results").exists()
