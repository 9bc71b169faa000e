"""adago.runio: every intermediate file is checked when read; a bad one is an error naming the file and the fix."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pandas as pd
import pytest

from adago import runio
from adago.runio import RunFileError

SHA = "ab" * 32
OTHER_SHA = "cd" * 32
HYPER = {"method": "sgd", "lr": 0.002, "rank": 5}
EVALUATION = {"clip": True, "stopping": {"rule": "running-best", "mode": "separate"}}


def _history(n: int) -> pd.DataFrame:
    e = np.arange(1, n + 1)
    return pd.DataFrame({"epoch": e, "seconds": 0.01 * e, "train_loss": 100.0 / e, "val_rmse": 1 + 1.0 / e,
                         "val_mae": 0.8 + 1.0 / e, "test_rmse": 1.01 + 1.0 / e, "test_mae": 0.81 + 1.0 / e})


def _summary(history: pd.DataFrame, best: int, seed: int = 1, method: str = "sgd") -> dict:
    row = history.iloc[best - 1]
    cell = {"epoch": best, "seconds": float(row["seconds"]), "rule": "running-best", "mode": "separate",
            "stop_epoch": None, "stop_reason": "max_epochs"}
    return {
        "protocol": "tuned", "dataset": "synthetic", "method": method, "seed": seed, "status": "complete",
        "epochs_run": len(history), "stop_reason": "max_epochs", "hyperparameters": {**HYPER, "method": method},
        "evaluation": {**EVALUATION, "rating_range": [1, 5]}, "split": {"sha256": SHA, "counts": {}},
        "wall_seconds": 1.5, "threads": 1, "versions": {},
        "best": {"rmse": {**cell, "val_rmse": float(row["val_rmse"]), "test_rmse": float(row["test_rmse"]),
                          "test_mae": float(row["test_mae"])},
                 "mae": {**cell, "val_mae": float(row["val_mae"]), "test_mae": float(row["test_mae"]),
                         "test_rmse": float(row["test_rmse"])}},
    }


def _diverged_summary(epochs_before: int) -> dict:
    s = _summary(_history(max(epochs_before, 1)), 1)
    s.update(status="diverged", best=None, epochs_run=epochs_before, stop_reason="diverged",
             diverged={"epoch": epochs_before + 1, "detail": "training loss is nan", "message": "..."})
    return s


@pytest.fixture
def run(tmp_path):
    """A complete run's files at results/runs/tuned/synthetic/sgd/seed1/: 250 epochs, best at 240."""
    d = tmp_path / "results/runs/tuned/synthetic/sgd/seed1"
    history = _history(250)
    runio.write_run(history, _summary(history, 240), d / "history.csv", d / "summary.json")
    return d


def _fails(match: str, fn, *args, **kwargs) -> str:
    with pytest.raises(RunFileError) as err:
        fn(*args, **kwargs)
    message = str(err.value)
    assert match in message, message
    return message


# ---------------------------------------------------------------------------- summary.json
def test_a_good_run_reads_back_as_written(run):
    summary = runio.read_summary(run / "summary.json")
    history = runio.read_history(run / "history.csv", summary)
    assert summary["best"]["rmse"]["epoch"] == 240 and len(history) == 250
    assert history["epoch"].dtype == np.int64


@pytest.mark.parametrize("content, problem", [
    ("", "is empty"),
    ("   \n", "is empty"),
    ('{"protocol": "tuned", "best": {"rm', "is not valid JSON"),
    ("{}", "holds '{}'"),
    ("[1, 2]", "holds '[1, 2]'"),
    ("\udcff", "is not UTF-8"),
])
def test_an_empty_truncated_or_empty_object_summary_names_the_file_and_the_fix(run, content, problem):
    path = run / "summary.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    message = _fails(problem, runio.read_summary, path)
    assert str(path) in message
    assert f"delete the run directory {run} and run the workflow again" in message


@pytest.mark.parametrize("edit, problem", [
    (lambda s: s["best"].pop("rmse"), "has no field 'best.rmse'"),
    (lambda s: s.pop("epochs_run"), "has no field 'epochs_run'"),
    (lambda s: s["best"]["mae"].update(test_mae=float("nan")), "field 'best.mae.test_mae' must be a finite number"),
    (lambda s: s["best"]["rmse"].update(epoch=251), "best.rmse.epoch is 251, outside the 250 epochs run"),
    (lambda s: s.update(seed="1"), "field 'seed' must be an integer"),
    (lambda s: s.update(status="done"), "field 'status' must be one of"),
    (lambda s: s["split"].update(sha256="abc"), "field 'split.sha256' must be a sha256"),
])
def test_a_summary_missing_or_garbling_a_field_is_named(run, edit, problem):
    path = run / "summary.json"
    summary = json.loads(path.read_text())
    edit(summary)
    path.write_text(json.dumps(summary))
    _fails(problem, runio.read_summary, path)


def test_a_diverged_summary_reads_with_its_epoch_and_an_inconsistent_one_does_not(tmp_path):
    path = tmp_path / "runs/tuned/synthetic/sgd/seed1/summary.json"
    path.parent.mkdir(parents=True)
    runio.write_run(_history(3), _diverged_summary(3), path.with_name("history.csv"), path)
    s = runio.read_summary(path)
    assert s["status"] == "diverged" and s["diverged"]["epoch"] == 4
    assert len(runio.read_history(path.with_name("history.csv"), s)) == 3
    bad = _diverged_summary(3)
    bad["diverged"]["epoch"] = 9
    path.write_text(json.dumps(bad))
    _fails("diverged.epoch is 9 but 3 epochs ran before it", runio.read_summary, path)


def test_a_run_that_diverged_in_its_first_epoch_has_an_empty_history(tmp_path):
    d = tmp_path / "runs/tuned/synthetic/sgd/seed1"
    runio.write_run(_history(0), _diverged_summary(0), d / "history.csv", d / "summary.json")
    assert runio.read_history(d / "history.csv", runio.read_summary(d / "summary.json")).empty


# ---------------------------------------------------------------------------- history.csv
def test_a_history_cut_to_its_first_100_epochs_is_an_error_not_a_short_curve(run):
    path = run / "history.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:101]))  # header + 100 epochs, a clean cut
    summary = runio.read_summary(run / "summary.json")
    message = _fails("holds 100 epochs, but its summary.json says 250 were run (truncated)",
                     runio.read_history, path, summary)
    assert str(path) in message and "delete the run directory" in message


def test_a_history_cut_mid_line_is_caught_as_truncated(run):
    path = run / "history.csv"
    text = path.read_text()
    path.write_text(text[: text.index("\n", 2000) - 5])  # the last number loses digits: still a number
    message = _fails("holds 21 epochs, but its summary.json says 250 were run (truncated)",
                     runio.read_history, path, runio.read_summary(run / "summary.json"))
    assert str(path) in message


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "garbage", ""])
def test_a_corrupted_value_names_its_line_and_column(run, value):
    # issue 9: a NaN in a history ended in matplotlib's "Axis limits cannot be NaN or Inf"
    path = run / "history.csv"
    lines = path.read_text().splitlines(keepends=True)
    fields = lines[7].rstrip("\n").split(",")
    fields[3] = value
    lines[7] = ",".join(fields) + "\n"
    path.write_text("".join(lines))
    _fails("line 8: column 'val_rmse' ", runio.read_history, path)


@pytest.mark.parametrize("edit, problem", [
    (lambda h: h.drop(columns="val_mae"), "has no column 'val_mae'"),
    (lambda h: h.drop(index=5), "line 7: epoch 7 where 6 was expected"),
    (lambda h: h.assign(seconds=h["seconds"].where(h["epoch"] != 9, 0.0)), "line 10: cumulative seconds go down"),
    (lambda h: h.assign(val_rmse=h["val_rmse"] + 1e-3), "epoch 240 has validation RMSE"),
])
def test_a_history_that_does_not_describe_its_run_is_named(run, edit, problem):
    path = run / "history.csv"
    edit(pd.read_csv(path)).to_csv(path, index=False, float_format="%.17g")
    _fails(problem, runio.read_history, path, runio.read_summary(run / "summary.json"))


def test_test_columns_may_be_empty_only_when_asked(tmp_path):
    path = tmp_path / "h.csv"
    _history(4).assign(test_rmse=math.nan, test_mae=math.nan).to_csv(path, index=False)
    assert len(runio.read_history(path, test=False)) == 4
    _fails("column 'test_rmse'", runio.read_history, path)


# ---------------------------------------------------------------------------- runs vs config
def _expected(seeds=(1,), methods=("sgd",)):
    return {"protocol": "tuned", "seeds": list(seeds), "evaluation": EVALUATION,
            "runs": {"synthetic": {m: {**HYPER, "method": m} for m in methods}}}


def _read(run):
    return {str(run / "summary.json"): runio.read_summary(run / "summary.json")}


def test_runs_matching_the_config_pass(run):
    runio.check_runs(_read(run), _expected(), {("synthetic", 1): SHA})


@pytest.mark.parametrize("expected, splits, problem", [
    ({**_expected(), "runs": {"synthetic": {"sgd": {**HYPER, "lr": 0.01}}}}, {("synthetic", 1): SHA},
     "was trained with lr=0.002, but the config asks for lr=0.01 (hyperparameters.tuned.synthetic.sgd)"),
    ({**_expected(), "evaluation": {**EVALUATION, "clip": False}}, {("synthetic", 1): SHA},
     "was evaluated with clip True, but the tuned protocol asks for False"),
    (_expected(), {("synthetic", 1): OTHER_SHA}, f"results/splits/synthetic/seed1.npz now has {OTHER_SHA}"),
])
def test_a_run_that_is_not_what_the_config_asks_for_is_named_as_out_of_date(run, expected, splits, problem):
    message = _fails(problem, runio.check_runs, _read(run), expected, splits)
    assert str(run / "summary.json") in message and "out of date" in message


def test_a_missing_run_or_a_summary_in_the_wrong_place_is_named(run):
    _fails("1 run(s) the config asks for are not among the inputs: tuned/synthetic/sgd/2",
           runio.check_runs, _read(run), _expected(seeds=(1, 2)))
    moved = {str(run.parent / "seed3/summary.json"): runio.read_summary(run / "summary.json")}
    _fails("describes run tuned/synthetic/sgd/1, not the one its path names", runio.check_runs, moved,
           _expected(seeds=(3,)))


# ---------------------------------------------------------------------------- other intermediates
@pytest.mark.parametrize("content, problem", [
    ("", "is empty"),
    ("s\th:m:s\tmax_rss\n", "has a header but no measurement"),
    ("h:m:s\tmax_rss\n0:00:01\t10\n", "has no column 's'"),
    ("s\th:m:s\tmax_rss\nabc\t0:00:01\t10\n", "line 2: column 's' holds 'abc'"),
])
def test_a_broken_benchmark_file_is_named(tmp_path, content, problem):
    path = tmp_path / "seed1.tsv"
    path.write_text(content)
    assert str(path) in _fails(problem, runio.read_benchmark, path)


def test_a_benchmark_without_a_memory_reading_gives_nan(tmp_path):
    path = tmp_path / "seed1.tsv"
    path.write_text("s\th:m:s\tmax_rss\n12.5\t0:00:12\t-\n")
    seconds, rss = runio.read_benchmark(path)
    assert seconds == 12.5 and math.isnan(rss)


MANIFEST = {"sha256": SHA, "seed": 1, "counts": {"train": 7, "validation": 1, "test": 2}, "source_sha256": SHA}
STATS = {"users": 3, "items": 4, "ratings": 10, "density": 0.8, "rating_min": 1, "rating_max": 5}


@pytest.mark.parametrize("reader, good, edit, problem", [
    (runio.read_manifest, MANIFEST, lambda d: d.pop("sha256"), "has no field 'sha256'"),
    (runio.read_manifest, MANIFEST, lambda d: d["counts"].pop("test"), "has no field 'counts.test'"),
    (runio.read_manifest, MANIFEST, lambda d: d.update(source_sha256="x"), "field 'source_sha256' must be"),
    (runio.read_prepared_stats, STATS, lambda d: d.pop("ratings"), "has no field 'ratings'"),
    (runio.read_prepared_stats, STATS, lambda d: d.update(density=None), "field 'density' must be a finite number"),
])
def test_a_split_manifest_or_prepared_statistics_lacking_a_field_is_named(tmp_path, reader, good, edit, problem):
    path = tmp_path / "seed1.json"
    path.write_text(json.dumps(good))
    assert reader(path) == good
    broken = copy.deepcopy(good)
    edit(broken)
    path.write_text(json.dumps(broken))
    message = _fails(problem, reader, path)
    assert f"delete {path} and run the workflow again" in message
    path.write_text(json.dumps(good)[:20])
    _fails("is not valid JSON", reader, path)


# ---------------------------------------------------------------------------- runs.csv
@pytest.fixture
def runs_csv(tmp_path):
    summaries = {}
    for seed in (1, 2):
        for method in ("adago", "sgd"):
            history = _history(30)
            summaries[f"runs/tuned/synthetic/{method}/seed{seed}/summary.json"] = _summary(history, 20, seed, method)
    summaries["runs/tuned/synthetic/sgd/seed2/summary.json"] = {**_diverged_summary(3), "seed": 2}
    from adago.tables import collect_runs

    path = tmp_path / "runs.csv"
    collect_runs(summaries).to_csv(path, index=False)
    return path


EXPECTED_RUNS = {"protocol": "tuned", "datasets": ["synthetic"], "methods": ["adago", "sgd"], "seeds": [1, 2]}


def test_runs_csv_reads_back_with_its_diverged_run(runs_csv):
    runs = runio.read_runs(runs_csv, EXPECTED_RUNS)
    assert runs["status"].tolist().count("diverged") == 1 and runs["clip"].dtype == bool
    assert runs.loc[runs["status"] == "diverged", "diverged_epoch"].tolist() == [4]


@pytest.mark.parametrize("edit, problem", [
    (lambda df: df.iloc[:2], "lacks 2 run(s) the config asks for (tuned/synthetic/sgd/1, tuned/synthetic/sgd/2)"),
    (lambda df: pd.concat([df, df.iloc[:1].assign(seed=9)]), "has 1 run(s) the config does not ask for"),
    (lambda df: pd.concat([df, df.iloc[:1]]), "appears twice"),
    (lambda df: df.assign(status="ok"), "status 'ok' is not one of"),
    (lambda df: df.assign(rmse=df["rmse"].where(df["seed"] != 1)), "line 2: column 'rmse' is empty or NaN, not a finite number"),
    (lambda df: df.assign(hyperparameters='{"method": "sg'), "column 'hyperparameters' holds"),
    (lambda df: df.drop(columns="mae_epoch"), "has no column 'mae_epoch'"),
])
def test_a_runs_csv_that_lost_rows_or_columns_is_named(runs_csv, edit, problem):
    edit(pd.read_csv(runs_csv)).to_csv(runs_csv, index=False)
    message = _fails(problem, runio.read_runs, runs_csv, EXPECTED_RUNS)
    assert f"delete {runs_csv} and run the workflow again" in message


# ---------------------------------------------------------------------------- completeness
def test_check_complete_names_every_diverged_run_its_log_and_the_settings_to_change(runs_csv):
    runs = runio.read_runs(runs_csv, EXPECTED_RUNS)  # as check_results reads them
    with pytest.raises(runio.IncompleteResultsError) as err:
        runio.check_complete(runs, "results/runs/{protocol}/{dataset}/{method}/seed{seed}",
                             "logs/train/{protocol}/{dataset}/{method}/seed{seed}.log")
    message = str(err.value)
    assert message.startswith("1 of 4 runs diverged")
    assert ("results/runs/tuned/synthetic/sgd/seed2: diverged at epoch 4 (training loss is nan); "
            "log logs/train/tuned/synthetic/sgd/seed2.log") in message
    assert "hyperparameters.tuned.synthetic.sgd" in message and "adago" not in message.split("\n")[1]
    record = runio.check_complete(runs[runs["method"] == "adago"])
    assert record == {"status": "complete", "runs": 2, "runs_per_protocol": {"tuned": 2}}
