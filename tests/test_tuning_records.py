"""Trial records, trials.csv and best.json: selection, validation on read, the rule scripts."""

from __future__ import annotations

import json
import math
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from adago.dataset import save_ratings
from adago.splitting import make_split, save_split, write_manifest
from adago.synthetic import low_rank_ratings
from adago.tuning.records import (
    NoUsableTrialError,
    TuningFileError,
    best_in_table,
    check_trials,
    final_run_options,
    read_best,
    read_trial,
    read_trials_csv,
    select_best,
    trial_record,
    trials_table,
    write_json,
    write_trials_csv,
)

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


def record(trial_id, val_rmse, val_mae=None, diverged=False, seeds=(1, 2), lr=0.001):
    val_mae = val_rmse * 0.8 if val_mae is None else val_mae
    per_seed = [{"seed": s, "val_rmse": math.inf if diverged else val_rmse, "val_mae": math.inf if diverged else val_mae,
                 "epoch": 10, "epoch_mae": 11, "epochs_run": 20, "stop_reason": "diverged" if diverged else "converged",
                 "seconds": 0.5, "diverged": diverged, "detail": "", "rating_range": [1.0, 5.0]}
                for s in (seeds[:1] if diverged else seeds)]
    result = {"options": {"method": "adam", "lr": lr, "reg": 0.03}, "seeds": per_seed,
              "val_rmse": math.inf if diverged else val_rmse, "val_mae": math.inf if diverged else val_mae,
              "epochs": math.nan if diverged else 10.0, "diverged": diverged, "wall_seconds": 1.0}
    return trial_record(trial_id=trial_id, method="adam", sampling_seed=0, values={"lr": lr}, scale=1.0,
                        space={"lr": {"low": 1e-4, "high": 1e-2, "log": True}}, result=result,
                        context={"dataset": "douban", "protocol": "tuned"})


def test_the_lowest_mean_validation_score_wins():
    records = [record("r1t00", 0.80, lr=0.001), record("r1t01", 0.75, lr=0.002), record("r1t02", 0.90, lr=0.003)]
    best = select_best(records)
    assert (best["trial_id"], best["hyperparameters"], best["score"]) == ("r1t01", {"lr": 0.002}, 0.75)
    assert best["n_trials"] == 3 and best["trials_per_round"] == [3, 0] and best["metric"] == "val_rmse"


def test_ties_go_to_the_earlier_trial_whatever_the_order_given():
    records = [record("r2t00", 0.75, lr=0.004), record("r1t03", 0.75, lr=0.003), record("r1t01", 0.75, lr=0.002)]
    assert select_best(records)["trial_id"] == "r1t01"
    assert select_best(records[::-1])["trial_id"] == "r1t01"


def test_the_table_and_the_records_choose_the_same_trial(tmp_path):
    records = [record("r2t00", 0.75, lr=0.004), record("r1t01", 0.75, lr=0.002), record("r1t00", 0.0, diverged=True),
               record("r1t02", 0.76, val_mae=0.1, lr=0.003)]
    write_trials_csv(tmp_path / "trials.csv", trials_table(records))
    table = read_trials_csv(tmp_path / "trials.csv")
    for metric in ("val_rmse", "val_mae"):
        assert best_in_table(table, metric) == select_best(records, metric)["hyperparameters"]


def test_selection_by_mae_uses_the_mae_column():
    records = [record("r1t00", 0.80, val_mae=0.55), record("r1t01", 0.75, val_mae=0.60)]
    assert select_best(records, "val_mae")["trial_id"] == "r1t00"
    assert select_best(records, "val_rmse")["trial_id"] == "r1t01"


def test_diverged_trials_are_never_chosen_and_all_diverged_is_an_error():
    records = [record("r1t00", 0.0, diverged=True), record("r1t01", 0.9)]
    best = select_best(records)
    assert best["trial_id"] == "r1t01" and best["n_diverged"] == 1
    with pytest.raises(NoUsableTrialError, match="all 1 trials of method 'adam' diverged"):
        select_best(records[:1])


def test_files_round_trip_through_their_readers(tmp_path):
    records = [record("r1t00", 0.8), record("r1t01", 0.0, diverged=True), record("r2t00", 0.7, lr=0.0011)]
    for r in records:
        write_json(tmp_path / f"{r['trial_id']}.json", r)
        assert read_trial(tmp_path / f"{r['trial_id']}.json") == json.loads(json.dumps(r))
    write_trials_csv(tmp_path / "trials.csv", trials_table(records))
    table = read_trials_csv(tmp_path / "trials.csv")
    assert table["trial_id"].tolist() == ["r1t00", "r1t01", "r2t00"]
    assert math.isinf(table["val_rmse"][1]) and table["diverged"].tolist() == [False, True, False]
    assert math.isnan(table["val_rmse_seed2"][1])  # the diverged trial skipped seed 2
    write_json(tmp_path / "best.json", select_best(records))
    assert read_best(tmp_path / "best.json")["hyperparameters"] == {"lr": 0.0011}


def test_a_final_run_takes_best_json_s_options_and_records_their_source():
    best = select_best([record("r1t00", 0.8), record("r1t01", 0.7, lr=0.002)])
    options, source = final_run_options(best, "b.json", protocol="tuned", dataset="douban", method="adam")
    assert options == {"method": "adam", "lr": 0.002, "reg": 0.03}
    assert source == {"source": "tuned", "path": "b.json", "metric": "val_rmse", "score": 0.7, "trial_id": "r1t01",
                      "n_trials": 2, "n_diverged": 0, "seeds": [1, 2]}


@pytest.mark.parametrize("run, message", [
    ({"protocol": "tuned", "dataset": "douban", "method": "sgd"}, "b.json: chosen for method 'adam', not 'sgd'"),
    ({"protocol": "paper", "dataset": "douban", "method": "adam"}, "b.json: chosen for protocol 'tuned', not 'paper'"),
    ({"protocol": "tuned", "dataset": "ml1m", "method": "adam"}, "b.json: chosen for dataset 'douban', not 'ml1m'"),
])
def test_a_best_json_of_another_run_is_refused_naming_the_file(run, message):
    best = select_best([record("r1t00", 0.8)])
    with pytest.raises(TuningFileError, match=message):
        final_run_options(best, "b.json", **run)


def _edit(path, change):
    obj = json.loads(path.read_text())
    change(obj)
    path.write_text(json.dumps(obj))


@pytest.mark.parametrize("change, message", [
    (lambda o: o.pop("val_rmse"), r"trial record misses key\(s\) val_rmse"),
    (lambda o: o.update(format="something"), "not a trial record"),
    (lambda o: o.update(trial_id="r1t09"), "trial_id r1t09 disagrees with round 1 and trial 0"),
    (lambda o: o.update(diverged=True), "'diverged' disagrees with its seeds"),
    (lambda o: o.update(val_rmse="0.8"), "key 'val_rmse' has str"),
    (lambda o: o["seeds"][1].pop("epoch"), r"seeds\[1\] misses key\(s\) epoch"),
    (lambda o: o.update(val_mae=float("inf")), "val_mae is inf but the trial did not diverge"),
])
def test_a_malformed_trial_record_is_refused_naming_the_file(tmp_path, change, message):
    path = tmp_path / "r1t00.json"
    write_json(path, record("r1t00", 0.8))
    _edit(path, change)
    with pytest.raises(TuningFileError, match=message) as exc:
        read_trial(path)
    assert str(path) in str(exc.value)


def test_a_truncated_file_is_refused_naming_it(tmp_path):
    path = tmp_path / "best.json"
    write_json(path, select_best([record("r1t00", 0.8)]))
    path.write_text(path.read_text()[:50])
    with pytest.raises(TuningFileError, match=f"{path}: cannot read"):
        read_best(path)


def test_a_best_json_whose_values_disagree_with_its_options_is_refused(tmp_path):
    path = tmp_path / "best.json"
    write_json(path, select_best([record("r1t00", 0.8)]))
    _edit(path, lambda o: o["options"].update(lr=0.5))
    with pytest.raises(TuningFileError, match="hyperparameters.lr = 0.001 but options.lr = 0.5"):
        read_best(path)


def test_a_trials_table_with_an_inconsistent_row_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "trials.csv"
    write_trials_csv(path, trials_table([record("r1t00", 0.8), record("r1t01", 0.7)]))
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("False", "True")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TuningFileError, match=f"{path}, line 3: scores .* do not match diverged=True"):
        read_trials_csv(path)


def test_trials_that_do_not_belong_together_are_refused():
    a, b = record("r1t00", 0.8), record("r1t01", 0.7)
    with pytest.raises(TuningFileError, match="missing \\['r1t02'\\]"):
        check_trials([a, b], expected_ids=["r1t00", "r1t01", "r1t02"])
    with pytest.raises(TuningFileError, match="r1t00 given more than once"):
        check_trials([a, a])
    other = {**b, "method": "sgd"}
    with pytest.raises(TuningFileError, match="x.json: method 'sgd' differs from w.json's 'adam'"):
        check_trials([a, other], ["w.json", "x.json"])
    short = record("r1t01", 0.7, seeds=(1,))
    with pytest.raises(TuningFileError, match=r"tuning seeds \[1\] differ"):
        check_trials([a, short])
    check_trials([a, record("r1t01", 0.0, diverged=True)])  # a diverged trial stops early: fine


# ---------------------------------------------------------------------------------- rule scripts
class _Named(list):
    """Snakemake's Namedlist: a list whose named items are attributes, with keys()."""

    def __init__(self, **items):
        super().__init__(items.values())
        self.__dict__.update(items)

    def keys(self):
        return [k for k in self.__dict__ if not k.startswith("_")]


def _snakemake(input, output, params, wildcards, log):
    return SimpleNamespace(input=_Named(**input), output=_Named(**output), params=SimpleNamespace(**params),
                           wildcards=SimpleNamespace(**wildcards), threads=1, log=[str(log)])


@pytest.fixture(scope="module")
def workflow_inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tune")
    data = low_rank_ratings(100, 80, 3000, rank=3, noise_std=0.2, seed=2, rating_range=(-1.0, 7.0))
    save_ratings(root / "data.npz", data)
    from adago.download import sha256_file

    for seed in (1, 2):
        manifest = save_split(root / f"seed{seed}.npz", make_split(data, seed=seed),
                              source_sha256=sha256_file(root / "data.npz"))
        write_manifest(root / f"seed{seed}.json", manifest)
    return root


def _trial_job(root, trial, monkeypatch, round1_best=None):
    # The script points NUMBA_CACHE_DIR at its cache for its own process; monkeypatch takes it back.
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(root / "numba"))
    inputs = {"data": str(root / "data.npz"), "splits": [str(root / f"seed{s}.npz") for s in (1, 2)],
              "manifests": [str(root / f"seed{s}.json") for s in (1, 2)]}
    if round1_best:
        inputs["round1_best"] = str(round1_best)
    params = {"seeds": [1, 2], "space": {"lr": {"low": 1e-3, "high": 1e-2, "log": True}, "reg": [0.01, 0.03]},
              "space_where": "tuning.space", "base": {"rank": 3, "init_high": 0.1, "max_epochs": 20},
              "sampling_seed": 0, "rating_range": [-1.0, 7.0], "train_options": {},
              "context": {"dataset": "toy", "protocol": "tuned"}, "numba_cache": str(root / "numba")}
    out = root / "trials" / f"{trial}.json"
    sm = _snakemake(inputs, {"trial": str(out)}, params, {"method": "adago", "trial": trial}, root / f"{trial}.log")
    runpy.run_path(str(SCRIPTS / "tune_trial.py"), init_globals={"snakemake": sm})
    return out


def _select_job(root, paths, ids, outputs):
    sm = _snakemake({"trials": [str(p) for p in paths]}, outputs, {"metric": "val_rmse", "trial_ids": ids},
                    {"method": "adago"}, root / "select.log")
    runpy.run_path(str(SCRIPTS / "select_hyperparameters.py"), init_globals={"snakemake": sm})


def test_the_rule_scripts_run_two_rounds_from_files(workflow_inputs, monkeypatch):
    root = workflow_inputs
    round1 = [_trial_job(root, t, monkeypatch) for t in ("r1t00", "r1t01", "r1t02")]
    _select_job(root, round1, ["r1t00", "r1t01", "r1t02"], {"best": str(root / "round1.json")})
    round2 = [_trial_job(root, "r2t00", monkeypatch, root / "round1.json")]
    _select_job(root, round1 + round2, ["r1t00", "r1t01", "r1t02", "r2t00"],
                {"trials": str(root / "trials.csv"), "best": str(root / "best.json")})
    r1 = read_best(root / "round1.json")
    r2 = read_trial(round2[0])
    assert r2["values"]["reg"] == r1["reference_values"]["reg"]  # a list is fixed at its round-1 best
    assert r2["scale"] == pytest.approx(7.0 / 5)
    table = read_trials_csv(root / "trials.csv")
    assert table["trial_id"].tolist() == ["r1t00", "r1t01", "r1t02", "r2t00"]
    best = read_best(root / "best.json")
    assert best["score"] == table["val_rmse"].min() and best["n_trials"] == 4
    assert best["context"] == {"dataset": "toy", "protocol": "tuned"}


def test_the_select_script_refuses_a_missing_trial_naming_it(workflow_inputs, monkeypatch):
    root = workflow_inputs
    path = _trial_job(root, "r1t00", monkeypatch)
    with pytest.raises(SystemExit):
        _select_job(root, [path], ["r1t00", "r1t01"], {"best": str(root / "partial.json")})
    assert "missing ['r1t01']" in (root / "select.log").read_text()
    assert not (root / "partial.json").exists()


def test_the_run_check_compares_a_tuned_run_with_its_best_json(tmp_path, monkeypatch):
    from adago.runio import RunFileError, check_runs

    monkeypatch.chdir(tmp_path)
    best = select_best([record("r1t00", 0.8), record("r1t01", 0.7, lr=0.002)])
    path = "results/tuning/tuned/douban/adam/best.json"
    write_json(tmp_path / path, best)
    evaluation = {"clip": True, "stopping": {"rule": "running-best"}}
    summary = {"protocol": "tuned", "dataset": "douban", "method": "adam", "seed": 1, "evaluation": evaluation,
               "hyperparameters": dict(best["options"]),
               "hyperparameters_source": {"source": "tuned", "path": path}}
    expected = {"protocol": "tuned", "seeds": [1], "evaluation": evaluation,
                "runs": {"douban": {"adam": {"best_json": path}}}}
    run = "results/runs/tuned/douban/adam/seed1/summary.json"
    check_runs({run: summary}, expected)
    with pytest.raises(RunFileError, match="was trained with lr=0.001, but the config asks for lr=0.002"):
        check_runs({run: {**summary, "hyperparameters": {**summary["hyperparameters"], "lr": 0.001}}}, expected)
    untuned = {**summary, "hyperparameters_source": {"source": "config", "key": "hyperparameters.tuned.douban.adam"}}
    with pytest.raises(RunFileError, match=f"settings of hyperparameters.tuned.douban.adam, but the config asks "
                                           f"for the tune stage's choice {path}: it is out of date"):
        check_runs({run: untuned}, expected)
