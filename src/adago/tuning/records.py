"""The files of the tune stage: one JSON record per trial, then ``trials.csv`` and ``best.json``.

Every file is written atomically (adago.atomic) and every reader checks what it reads, naming the
file on error, so a truncated or foreign file is refused instead of silently choosing wrong values.

Selection (:func:`select_best`): the trial with the lowest mean validation score of the selection
metric (``val_rmse`` by default) among the trials that did not diverge; ties go to the earlier trial
(round 1 before round 2, then the lower index), so the choice is the same in every run.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from adago.atomic import atomic_open

TRIAL_FORMAT = "adago-tuning-trial/1"
BEST_FORMAT = "adago-tuning-best/1"
METRICS = ("val_rmse", "val_mae")
_TRIAL_ID = re.compile(r"r([12])t(\d+)")

# key -> accepted types, for the readers' checks
_TRIAL_KEYS = {
    "format": str, "trial_id": str, "round": int, "trial": int, "method": str, "context": dict,
    "sampling_seed": int, "values": dict, "scale": (int, float), "hyperparameters": dict,
    "options": dict, "train_options": dict, "space": dict, "seeds": list, "val_rmse": (int, float),
    "val_mae": (int, float), "epochs": (int, float), "diverged": bool, "wall_seconds": (int, float),
}
_SEED_KEYS = {
    "seed": int, "val_rmse": (int, float), "val_mae": (int, float), "epoch": int, "epoch_mae": int,
    "epochs_run": int, "stop_reason": str, "seconds": (int, float), "diverged": bool, "detail": str,
    "rating_range": list,
}
_BEST_KEYS = {
    "format": str, "method": str, "context": dict, "metric": str, "score": (int, float),
    "validation": dict, "hyperparameters": dict, "reference_values": dict, "options": dict,
    "train_options": dict, "scale": (int, float), "trial_id": str, "round": int, "n_trials": int,
    "n_diverged": int, "trials_per_round": list, "seeds": list, "sampling_seed": int, "space": dict,
}


class TuningFileError(ValueError):
    """A trial record, trials.csv or best.json is unreadable, malformed or inconsistent."""


class NoUsableTrialError(ValueError):
    """Every trial of a method diverged: there is nothing to choose."""


# ---------------------------------------------------------------------------------- trial records
def trial_record(*, trial_id: str, method: str, sampling_seed: int, values: Mapping, scale: float,
                 space: Mapping, result: Mapping, train_options: Mapping | None = None,
                 context: Mapping | None = None) -> dict:
    """One trial's record: what was drawn (``values``, 1-5 star units), what was trained
    (``result['options']``, at the data's ``scale``) and the scores of adago.tuning.evaluate."""
    round_, k = parse_trial_id(trial_id)
    options = dict(result["options"])
    return {
        "format": TRIAL_FORMAT, "trial_id": trial_id, "round": round_, "trial": k, "method": method,
        "context": dict(context or {}), "sampling_seed": int(sampling_seed), "values": dict(values),
        "scale": float(scale), "hyperparameters": {name: options[name] for name in sorted(values)},
        "options": options, "train_options": dict(train_options or {}), "space": dict(space),
        "seeds": [dict(s) for s in result["seeds"]],
        **{key: result[key] for key in ("val_rmse", "val_mae", "epochs", "diverged", "wall_seconds")},
    }


def parse_trial_id(trial_id: str) -> tuple[int, int]:
    """'r1t03' -> (1, 3)."""
    m = _TRIAL_ID.fullmatch(str(trial_id))
    if not m:
        raise ValueError(f"trial id must look like r1t03 (round 1 or 2, trial index), got {trial_id!r}")
    return int(m.group(1)), int(m.group(2))


def write_json(path: str | os.PathLike, obj: Mapping) -> None:
    """Indented, key-sorted JSON (inf/nan as JSON's Infinity/NaN), written atomically."""
    with atomic_open(path, encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True, allow_nan=True)
        fh.write("\n")


def _read_json(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            obj = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TuningFileError(f"{path}: cannot read: {exc}") from None
    if not isinstance(obj, dict):
        raise TuningFileError(f"{path}: expected a JSON object, got {type(obj).__name__}")
    return obj


def _check_keys(path: Path, obj: Mapping, spec: Mapping, what: str) -> None:
    missing = sorted(set(spec) - set(obj))
    if missing:
        raise TuningFileError(f"{path}: {what} misses key(s) {', '.join(missing)}")
    for key, types in spec.items():
        value = obj[key]
        bad_bool = isinstance(value, bool) and types is not bool
        if bad_bool or not isinstance(value, types):
            raise TuningFileError(f"{path}: {what} key '{key}' has {type(value).__name__} {value!r}")


def read_trial(path: str | os.PathLike) -> dict:
    """Read and check a record written by :func:`write_json` of :func:`trial_record`."""
    path = Path(path)
    rec = _read_json(path)
    if rec.get("format") != TRIAL_FORMAT:
        raise TuningFileError(f"{path}: not a trial record (format {rec.get('format')!r}, "
                              f"expected {TRIAL_FORMAT!r})")
    _check_keys(path, rec, _TRIAL_KEYS, "trial record")
    try:
        id_round, id_k = parse_trial_id(rec["trial_id"])
    except ValueError as exc:
        raise TuningFileError(f"{path}: {exc}") from None
    if (id_round, id_k) != (rec["round"], rec["trial"]):
        raise TuningFileError(f"{path}: trial_id {rec['trial_id']} disagrees with round "
                              f"{rec['round']} and trial {rec['trial']}")
    if not rec["seeds"]:
        raise TuningFileError(f"{path}: trial record has no seeds")
    for k, seed in enumerate(rec["seeds"]):
        if not isinstance(seed, dict):
            raise TuningFileError(f"{path}: seeds[{k}] is not an object")
        _check_keys(path, seed, _SEED_KEYS, f"seeds[{k}]")
    if set(rec["hyperparameters"]) != set(rec["values"]):
        raise TuningFileError(f"{path}: hyperparameters and values name different options")
    if rec["diverged"] != any(s["diverged"] for s in rec["seeds"]):
        raise TuningFileError(f"{path}: 'diverged' disagrees with its seeds")
    for metric in METRICS:
        if not rec["diverged"] and not math.isfinite(rec[metric]):
            raise TuningFileError(f"{path}: {metric} is {rec[metric]} but the trial did not diverge")
    return rec


# ---------------------------------------------------------------------------------- aggregation
def check_trials(records: Sequence[Mapping], paths: Sequence | None = None,
                 expected_ids: Sequence[str] | None = None) -> None:
    """Refuse a set of trial records that do not belong together (another method, space, seed list or
    sampling seed), repeat a trial, or are not exactly ``expected_ids``; the message names the file."""
    if not records:
        raise TuningFileError("no trial records to aggregate")
    names = [str(p) for p in paths] if paths is not None else [r["trial_id"] for r in records]
    first = records[0]
    # A diverged trial stops at its diverging seed, so its seeds are a prefix of the full list.
    seeds = max(([s["seed"] for s in r["seeds"]] for r in records), key=len)
    for name, rec in zip(names, records):
        for key in ("method", "space", "sampling_seed", "context"):
            if rec[key] != first[key]:
                raise TuningFileError(f"{name}: {key} {rec[key]!r} differs from {names[0]}'s {first[key]!r}")
        got = [s["seed"] for s in rec["seeds"]]
        if got != seeds[: len(got)] or (not rec["diverged"] and got != seeds):
            raise TuningFileError(f"{name}: tuning seeds {got} differ from the other trials' {seeds}")
    ids = [r["trial_id"] for r in records]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise TuningFileError(f"trial(s) {', '.join(repeated)} given more than once")
    if expected_ids is not None:
        missing, extra = sorted(set(expected_ids) - set(ids)), sorted(set(ids) - set(expected_ids))
        if missing or extra:
            raise TuningFileError(f"trial records do not match the budget: missing {missing}, extra {extra}")


def _order(records: Sequence[Mapping]) -> list[Mapping]:
    return sorted(records, key=lambda r: (r["round"], r["trial"]))


def trials_table(records: Sequence[Mapping]) -> pd.DataFrame:
    """One row per trial (round 1 first): trial_id, round, trial, each tuned option (the value
    trained with), scale, per tuning seed val_rmse_seed{s}, val_mae_seed{s}, epoch_seed{s}, then the
    means val_rmse, val_mae, epochs, and diverged, wall_seconds. Skipped seeds of a diverged trial
    are empty."""
    seeds = sorted({s["seed"] for r in records for s in r["seeds"]})
    rows = []
    for rec in _order(records):
        row = {"trial_id": rec["trial_id"], "round": rec["round"], "trial": rec["trial"],
               **{name: rec["hyperparameters"][name] for name in sorted(rec["hyperparameters"])},
               "scale": rec["scale"]}
        by_seed = {s["seed"]: s for s in rec["seeds"]}
        for seed in seeds:
            s = by_seed.get(seed, {})
            row[f"val_rmse_seed{seed}"] = s.get("val_rmse", math.nan)
            row[f"val_mae_seed{seed}"] = s.get("val_mae", math.nan)
            row[f"epoch_seed{seed}"] = s.get("epoch", math.nan)
        row.update({key: rec[key] for key in ("val_rmse", "val_mae", "epochs", "diverged", "wall_seconds")})
        rows.append(row)
    return pd.DataFrame(rows)


def write_trials_csv(path: str | os.PathLike, table: pd.DataFrame) -> None:
    """Write the table of :func:`trials_table` atomically (shortest exact floats, inf as 'inf')."""
    with atomic_open(path, newline="") as fh:
        table.to_csv(fh, index=False)


def read_trials_csv(path: str | os.PathLike) -> pd.DataFrame:
    """Read and check a trials.csv: the fixed columns are there, ids are valid and unique, a
    diverged trial scores inf and every other trial a finite score."""
    path = Path(path)
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise TuningFileError(f"{path}: cannot read: {exc}") from None
    required = ["trial_id", "round", "trial", "scale", *METRICS, "epochs", "diverged", "wall_seconds"]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise TuningFileError(f"{path}: not a trials table, missing column(s) {', '.join(missing)}")
    if table.empty:
        raise TuningFileError(f"{path}: no trials")
    for line, row in zip(range(2, len(table) + 2), table.itertuples(index=False)):
        try:
            if parse_trial_id(row.trial_id) != (row.round, row.trial):
                raise ValueError(f"trial_id {row.trial_id} disagrees with round {row.round}, trial {row.trial}")
        except ValueError as exc:
            raise TuningFileError(f"{path}, line {line}: {exc}") from None
        if row.diverged not in (True, False):
            raise TuningFileError(f"{path}, line {line}: diverged must be True or False, got {row.diverged!r}")
        scores = [row.val_rmse, row.val_mae]
        if bool(row.diverged) != (not all(math.isfinite(x) for x in scores)):
            raise TuningFileError(f"{path}, line {line}: scores {scores} do not match diverged={row.diverged}")
    if table["trial_id"].duplicated().any():
        raise TuningFileError(f"{path}: repeated trial ids {sorted(table['trial_id'][table['trial_id'].duplicated()])}")
    return table


# ---------------------------------------------------------------------------------- selection
def select_best(records: Sequence[Mapping], metric: str = "val_rmse") -> dict:
    """best.json's content: the record with the lowest mean ``metric`` among trials that did not
    diverge (ties: round, then trial index), with the budget it was chosen from.

    Raises NoUsableTrialError if every trial diverged.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    ordered = _order(records)
    usable = [r for r in ordered if not r["diverged"]]
    if not usable:
        raise NoUsableTrialError(
            f"all {len(ordered)} trials of method {ordered[0]['method']!r} diverged; narrow the "
            f"learning-rate range of its search space {ordered[0]['space']}")
    best = usable[_first_minimum([r[metric] for r in usable])]
    return {
        "format": BEST_FORMAT, "method": best["method"], "context": best["context"], "metric": metric,
        "score": best[metric],
        "validation": {key: best[key] for key in ("val_rmse", "val_mae", "epochs")},
        "hyperparameters": best["hyperparameters"], "reference_values": best["values"],
        "options": best["options"], "train_options": best["train_options"], "scale": best["scale"],
        "trial_id": best["trial_id"], "round": best["round"], "n_trials": len(ordered),
        "n_diverged": len(ordered) - len(usable),
        "trials_per_round": [sum(r["round"] == k for r in ordered) for k in (1, 2)],
        "seeds": [s["seed"] for s in best["seeds"]], "sampling_seed": best["sampling_seed"],
        "space": best["space"],
    }


def _first_minimum(scores: Sequence[float]) -> int:
    """Index of the lowest score; the first of equal ones (callers order trials by round, index)."""
    return min(range(len(scores)), key=lambda i: (scores[i], i))


def tuned_options(table: pd.DataFrame) -> list[str]:
    """The option columns of a trials table (between 'trial' and 'scale')."""
    columns = list(table.columns)
    return columns[columns.index("trial") + 1 : columns.index("scale")]


def best_in_table(table: pd.DataFrame, metric: str = "val_rmse") -> dict:
    """The chosen values {option: value} of a trials table, by the rule of :func:`select_best`
    (e.g. to check shipped settings against a stored trials.csv)."""
    ordered = table.sort_values(["round", "trial"], kind="stable")
    usable = ordered[~ordered["diverged"].astype(bool)]
    if usable.empty:
        raise NoUsableTrialError(f"every trial of the table diverged ({len(table)} trials)")
    row = usable.iloc[_first_minimum(usable[metric].tolist())]
    return {name: row[name].item() if hasattr(row[name], "item") else row[name] for name in tuned_options(table)}


def read_best(path: str | os.PathLike) -> dict:
    """Read and check a best.json written from :func:`select_best`."""
    path = Path(path)
    best = _read_json(path)
    if best.get("format") != BEST_FORMAT:
        raise TuningFileError(f"{path}: not a best.json (format {best.get('format')!r}, expected {BEST_FORMAT!r})")
    _check_keys(path, best, _BEST_KEYS, "best.json")
    if best["metric"] not in METRICS or not math.isfinite(best["score"]):
        raise TuningFileError(f"{path}: metric {best['metric']!r} with score {best['score']!r} is not a valid choice")
    if set(best["hyperparameters"]) != set(best["reference_values"]) or not best["hyperparameters"]:
        raise TuningFileError(f"{path}: hyperparameters and reference_values must name the same options")
    for name, value in best["hyperparameters"].items():
        if best["options"].get(name) != value:
            raise TuningFileError(f"{path}: hyperparameters.{name} = {value!r} but options.{name} = "
                                  f"{best['options'].get(name)!r}")
    return best


# ---------------------------------------------------------------------------------- final runs
def final_run_options(best: Mapping, path: str | os.PathLike, *, protocol: str, dataset: str,
                      method: str) -> tuple[dict, dict]:
    """The settings a final run trains with when tuning is enabled, and where they came from.

    The settings are best.json's ``options``: exactly what the chosen trial trained with (the config's
    settings for the run with the chosen values on top, converted to the data's rating scale), so the
    final run differs from that trial only in its seed and in having a test part. Returns (options,
    source) with source = {source: 'tuned', path, metric, score, trial_id, n_trials, n_diverged, seeds}
    for summary.json. A best.json of another method, data set or protocol is refused, naming the file.
    """
    where = f"{path}"
    if best["method"] != method:
        raise TuningFileError(f"{where}: chosen for method {best['method']!r}, not {method!r}")
    for key, want in (("protocol", protocol), ("dataset", dataset)):
        got = best["context"].get(key)
        if got != want:
            raise TuningFileError(f"{where}: chosen for {key} {got!r}, not {want!r}")
    source = {"source": "tuned", "path": str(path),
              **{key: best[key] for key in ("metric", "score", "trial_id", "n_trials", "n_diverged", "seeds")}}
    return dict(best["options"]), source


def config_source(protocol: str, dataset: str, method: str) -> dict:
    """summary.json's record of settings taken from the config (tuning disabled, or nothing to tune)."""
    return {"source": "config", "key": f"hyperparameters.{protocol}.{dataset}.{method}"}
