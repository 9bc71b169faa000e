"""The files steps hand to each other: writing a run's files, and one checked reader per file kind.

A run writes ``history.csv`` then ``summary.json``, each atomically (:func:`write_run`): if a job is
killed at any point, either a complete summary exists beside a complete history, or no summary
exists and Snakemake re-runs the job. A run ends ``complete`` (its best-validation cells) or
``diverged`` (the epoch and why; its history holds the epochs before it).

Every later step reads what it is given through the readers here, which check what they read:
present, not empty, parseable, the fields and columns the step uses, finite numbers, and agreement
between files that describe the same thing (a history and its summary; a summary and what the
config asks for; a summary and its split's manifest). A file that fails raises :class:`RunFileError`
naming the file, what is wrong and the fix, never a bare ``JSONDecodeError`` or ``KeyError``.

=========================  ========================================  =======================
file                       written by                                reader
=========================  ========================================  =======================
run ``summary.json``       train                                     :func:`read_summary`
run ``history.csv``        train                                     :func:`read_history`
benchmark ``.tsv``         Snakemake (``benchmark:`` of train)       :func:`read_benchmark`
``runs.csv``               aggregate_runs                            :func:`read_runs`
split manifest ``.json``   split_dataset                             :func:`read_manifest`
prepared ``{dataset}.json``  prepare_dataset                         :func:`read_prepared_stats`
=========================  ========================================  =======================
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path

import pandas as pd

from adago.atomic import atomic_open

_PACKAGES = ("adago", "numpy", "numba", "llvmlite", "pandas", "scipy", "snakemake")
HISTORY_COLUMNS = ["epoch", "seconds", "train_loss", "val_rmse", "val_mae", "test_rmse", "test_mae"]
STATUSES = ("complete", "diverged")
RUN_COLUMNS = [
    "protocol", "dataset", "method", "seed", "status",
    "rmse", "rmse_val", "rmse_epoch", "rmse_seconds", "rmse_stop_epoch",
    "mae", "mae_val", "mae_epoch", "mae_seconds", "mae_stop_epoch",
    "stopping", "clip", "epochs_run", "stop_reason", "wall_seconds", "max_rss_mb", "hyperparameters",
    "hyperparameters_source", "diverged_epoch", "diverged_detail",
]
RUN_KEY = ("protocol", "dataset", "method", "seed")
# The result columns a complete run must have as finite numbers (a diverged run has none).
_RESULT_COLUMNS = ["rmse", "rmse_val", "rmse_epoch", "rmse_seconds", "mae", "mae_val", "mae_epoch", "mae_seconds"]
_RUN_PATH = re.compile(r"(?:^|/)runs/(?P<protocol>[^/]+)/(?P<dataset>[^/]+)/(?P<method>[^/]+)/seed(?P<seed>\d+)/"
                       r"(?:summary\.json|history\.csv)$")
_MANIFEST_PATH = re.compile(r"(?:^|/)(?P<dataset>[^/]+)/seed(?P<seed>\d+)\.json$")


class RunFileError(ValueError):
    """A file a step reads is missing, empty, truncated or inconsistent; the message names the file,
    what is wrong with it and how to get a good one."""


# ---------------------------------------------------------------------------------- writing
def versions() -> dict:
    """Python, platform and the versions of the packages a result depends on."""
    out = {"python": sys.version.split()[0], "platform": platform.platform(), "machine": platform.machine()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def write_run(history: pd.DataFrame, summary: dict, history_path: str | os.PathLike,
              summary_path: str | os.PathLike) -> None:
    """Write the history, then the summary; each atomically, in that order."""
    with atomic_open(history_path, newline="") as fh:
        # repr-exact floats so that two runs with the same seed compare equal byte for byte
        history.to_csv(fh, index=False, float_format="%.17g")
    with atomic_open(summary_path, encoding="utf-8") as fh:
        json.dump(summary, fh, indent=2, sort_keys=True, allow_nan=True)
        fh.write("\n")


# ---------------------------------------------------------------------------------- errors
def _again(path) -> str:
    return f"delete {path} and run the workflow again (it is made again from its inputs)"


def _run_again(path) -> str:
    return (f"delete the run directory {Path(path).parent} and run the workflow again "
            f"(it trains that run again)")


def _fail(path, problem: str, fix: str) -> RunFileError:
    return RunFileError(f"{path}: {problem}; {fix}")


# ---------------------------------------------------------------------------------- structure checks
def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


# field -> (check, what it must be)
_KINDS = {
    "int": (_is_int, "an integer"),
    "number": (_is_number, "a finite number"),
    "str": (lambda v: isinstance(v, str) and v != "", "a non-empty string"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "dict": (lambda v: isinstance(v, dict), "an object"),
    "int?": (lambda v: v is None or _is_int(v), "an integer or null"),
    "sha256": (lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) is not None, "a sha256 hex digest"),
}


def _check_fields(data: Mapping, spec: Mapping, path, fix: str, where: str = "") -> None:
    """Every key of ``spec`` is in ``data`` with a value of its kind (nested specs for objects)."""
    for key, kind in spec.items():
        name = f"{where}{key}"
        if key not in data:
            raise _fail(path, f"has no field '{name}' (incomplete or from another version)", fix)
        value = data[key]
        if isinstance(kind, Mapping):
            if not isinstance(value, dict):
                raise _fail(path, f"field '{name}' must be an object, got {value!r}", fix)
            _check_fields(value, kind, path, fix, f"{name}.")
            continue
        ok, what = _KINDS[kind]
        if not ok(value):
            raise _fail(path, f"field '{name}' must be {what}, got {value!r}", fix)


def _read_json(path, what: str, fix: str) -> dict:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(path, f"no such file (the {what})", fix) from None
    except UnicodeDecodeError:
        raise _fail(path, f"is not UTF-8 text (the {what} is JSON)", fix) from None
    if not text.strip():
        raise _fail(path, f"is empty (the {what} should be here)", fix)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, f"is not valid JSON ({exc.msg}: line {exc.lineno}, column {exc.colno}; a truncated "
                          f"or edited file?)", fix) from None
    if not isinstance(data, dict) or not data:
        raise _fail(path, f"holds {text.strip()[:40]!r}, not the {what}", fix)
    return data


def _read_csv(path, what: str, fix: str, **kwargs) -> pd.DataFrame:
    path = Path(path)
    try:
        return pd.read_csv(path, **kwargs)
    except FileNotFoundError:
        raise _fail(path, f"no such file (the {what})", fix) from None
    except pd.errors.EmptyDataError:
        raise _fail(path, f"is empty (the {what} should be here)", fix) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise _fail(path, f"cannot be read as the {what} ({str(exc).strip()})", fix) from None


def _shown(value) -> str:
    """How a cell is described: 'is empty or NaN', else 'holds <value as written>'."""
    if isinstance(value, float) and math.isnan(value):
        return "is empty or NaN"
    value = value.item() if hasattr(value, "item") else value  # numpy scalars as plain Python ones
    return f"holds {value!r}"


def _numeric(df: pd.DataFrame, columns: Sequence[str], path, fix: str, finite: Sequence[str] = ()) -> pd.DataFrame:
    """``columns`` as floats; a value that is not a number (or, in ``finite``, not finite) is an error
    naming its line (header = line 1) and column."""
    df = df.copy()
    for col in columns:
        values = pd.to_numeric(df[col], errors="coerce").astype(float)
        bad = values.isna() & df[col].notna()
        if col in finite:
            bad |= ~values.map(math.isfinite)
        if bad.any():
            label = bad.index[bad.to_numpy()][0]  # a row label of the file's RangeIndex: line = label + 2
            raise _fail(path, f"line {label + 2}: column '{col}' {_shown(df.at[label, col])}, not a "
                              f"{'finite ' if col in finite else ''}number", fix)
        df[col] = values
    return df


# ---------------------------------------------------------------------------------- run files
_CELL = {"epoch": "int", "seconds": "number", "rule": "str", "mode": "str", "stop_epoch": "int?"}
_SUMMARY = {
    "protocol": "str", "dataset": "str", "method": "str", "seed": "int", "status": "str",
    "epochs_run": "int", "hyperparameters": "dict", "evaluation": {"clip": "bool", "stopping": "dict"},
    "split": {"sha256": "sha256"}, "wall_seconds": "number", "threads": "int",
}
_COMPLETE = {
    "stop_reason": "str",
    "best": {"rmse": {**_CELL, "val_rmse": "number", "test_rmse": "number", "test_mae": "number"},
             "mae": {**_CELL, "val_mae": "number", "test_mae": "number", "test_rmse": "number"}},
}
_DIVERGED = {"diverged": {"epoch": "int", "detail": "str"}}


def read_summary(path: str | os.PathLike) -> dict:
    """A run's ``summary.json``, checked: every field the tables use, of the right kind; the status
    ``complete`` (best cells at epochs within the run) or ``diverged`` (at the epoch after the last
    one run)."""
    fix = _run_again(path)
    summary = _read_json(path, "summary of a training run", fix)
    _check_fields(summary, _SUMMARY, path, fix)
    status, run = summary["status"], summary["epochs_run"]
    if status not in STATUSES:
        raise _fail(path, f"field 'status' must be one of {list(STATUSES)}, got {status!r}", fix)
    if status == "complete":
        _check_fields(summary, _COMPLETE, path, fix)
        for metric in ("rmse", "mae"):
            epoch = summary["best"][metric]["epoch"]
            if not 1 <= epoch <= run:
                raise _fail(path, f"best.{metric}.epoch is {epoch}, outside the {run} epochs run", fix)
    else:
        _check_fields(summary, _DIVERGED, path, fix)
        if summary["diverged"]["epoch"] != run + 1:
            raise _fail(path, f"diverged.epoch is {summary['diverged']['epoch']} but {run} epochs ran before it", fix)
    return summary


def read_history(path: str | os.PathLike, summary: Mapping | None = None, *, test: bool = True) -> pd.DataFrame:
    """A run's ``history.csv``, checked: the columns of :data:`HISTORY_COLUMNS`, epochs 1, 2, ..., n,
    finite numbers (test errors may be empty only with ``test=False``), non-decreasing seconds.

    With the run's ``summary`` (:func:`read_summary`) it must also hold exactly ``epochs_run`` epochs
    and, at each metric's best epoch, the validation error the summary reports: a history cut short or
    from another run is an error, never a curve that silently ends early.
    """
    fix = _run_again(path)
    df = _read_csv(path, "per-epoch history of a training run", fix)
    missing = [c for c in HISTORY_COLUMNS if c not in df.columns]
    if missing:
        raise _fail(path, f"has no column {', '.join(map(repr, missing))} (columns: {', '.join(df.columns)})", fix)
    finite = HISTORY_COLUMNS if test else HISTORY_COLUMNS[:5]
    df = _numeric(df, HISTORY_COLUMNS, path, fix, finite=finite)
    expected = list(range(1, len(df) + 1))
    if df["epoch"].tolist() != expected:
        row = next(k for k, (a, b) in enumerate(zip(df["epoch"], expected)) if a != b)
        raise _fail(path, f"line {row + 2}: epoch {df['epoch'].iloc[row]:g} where {expected[row]} was expected "
                          f"(epochs must run 1, 2, ... without gaps)", fix)
    df["epoch"] = df["epoch"].astype("int64")
    back = df["seconds"].diff() < 0
    if back.any():
        row = int(back.to_numpy().nonzero()[0][0])
        raise _fail(path, f"line {row + 2}: cumulative seconds go down ({df['seconds'].iloc[row - 1]:g} -> "
                          f"{df['seconds'].iloc[row]:g})", fix)
    if summary is not None:
        run = summary["epochs_run"]
        if len(df) != run:
            raise _fail(path, f"holds {len(df)} epochs, but its summary.json says {run} were run "
                              f"({'truncated' if len(df) < run else 'from another run'})", fix)
        if summary["status"] == "complete":
            for metric in ("rmse", "mae"):
                cell = summary["best"][metric]
                logged = float(df[f"val_{metric}"].iloc[cell["epoch"] - 1])
                if not math.isclose(logged, cell[f"val_{metric}"], rel_tol=1e-9, abs_tol=1e-12):
                    raise _fail(path, f"epoch {cell['epoch']} has validation {metric.upper()} {logged!r}, but its "
                                      f"summary.json reports {cell[f'val_{metric}']!r} there (the two files are "
                                      f"from different runs)", fix)
    return df


def _as_json(value):
    return json.loads(json.dumps(value))


def run_identity(path: str | os.PathLike) -> tuple[str, str, str, int]:
    """(protocol, dataset, method, seed) from ``.../runs/{protocol}/{dataset}/{method}/seed{seed}/<file>``."""
    m = _RUN_PATH.search(Path(path).as_posix())
    if m is None:
        raise ValueError(f"{path}: not a run file path .../runs/{{protocol}}/{{dataset}}/{{method}}/seed{{seed}}/"
                         f"summary.json or history.csv")
    return m["protocol"], m["dataset"], m["method"], int(m["seed"])


def _expected_hyperparameters(wanted: Mapping, summary: Mapping, path, fix: str) -> dict:
    """The settings a run must have been trained with, as its summary holds them (tuples as lists):
    the config's, or for a tuned run ``{"best_json": path}`` that best.json's options (adago.tuning),
    the summary naming that same file as its source."""
    if set(wanted) != {"best_json"}:
        return _as_json(wanted)
    from adago.tuning.records import read_best  # only where tuning is on

    source = summary.get("hyperparameters_source") or {}
    if source.get("path") != wanted["best_json"]:
        got = source.get("path") or source.get("key") or "no recorded source"
        raise _fail(path, f"was trained with the settings of {got}, but the config asks for the tune stage's "
                          f"choice {wanted['best_json']}: it is out of date", fix)
    return _as_json(read_best(wanted["best_json"])["options"])


def check_runs(summaries: Mapping[str, Mapping], expected: Mapping,
               split_sha256: Mapping[tuple[str, int], str] | None = None) -> None:
    """Check that the runs about to be summarised are the ones the config asks for, as it asks for them.

    ``summaries``: path -> :func:`read_summary` of every run; ``expected``: what the config asks of one
    protocol, ``{"protocol", "seeds", "evaluation": {"clip", "stopping"}, "runs": {dataset: {method:
    hyperparameters}}}``; ``split_sha256``: (dataset, seed) -> the checksum in that split's manifest
    (None: not checked).
    Each expected run must be present exactly once; each summary must be where its identity says
    (protocol, data set, method, seed), with the config's hyperparameters and evaluation, trained on
    today's split. A mismatch names the file, the first differing setting and the fix.
    """
    protocol = expected["protocol"]
    wanted = {(protocol, d, m, int(s)) for d, methods in expected["runs"].items() for m in methods
              for s in expected["seeds"]}
    found = {}
    for path, s in summaries.items():
        key = run_identity(path)
        fix = _run_again(path)
        said = (s["protocol"], s["dataset"], s["method"], int(s["seed"]))
        if said != key:
            raise _fail(path, f"describes run {'/'.join(map(str, said))}, not the one its path names", fix)
        if key not in wanted:
            raise _fail(path, "is not a run the config asks for", "leave it out of the inputs")
        found[key] = path
        _, dataset, method, seed = key
        hyper = _expected_hyperparameters(expected["runs"][dataset][method], s, path, fix)
        differ = [k for k in sorted(set(hyper) | set(s["hyperparameters"])) if hyper.get(k) != s["hyperparameters"].get(k)]
        if differ:
            k = differ[0]
            raise _fail(path, f"was trained with {k}={s['hyperparameters'].get(k)!r}, but the config asks for "
                              f"{k}={hyper.get(k)!r} (hyperparameters.{protocol}.{dataset}.{method}): it is out of date",
                        fix)
        evaluation = _as_json(expected["evaluation"])
        for k in ("clip", "stopping"):
            if s["evaluation"].get(k) != evaluation[k]:
                raise _fail(path, f"was evaluated with {k} {s['evaluation'].get(k)!r}, but the {protocol} protocol "
                                  f"asks for {evaluation[k]!r}: it is out of date", fix)
        if split_sha256 is None:
            continue
        sha = split_sha256.get((dataset, seed))
        if sha is None:
            raise ValueError(f"no split manifest given for {dataset} seed {seed}")
        if s["split"]["sha256"] != sha:
            raise _fail(path, f"was trained on a split with sha256 {s['split']['sha256']}, but "
                              f"results/splits/{dataset}/seed{seed}.npz now has {sha}: it is out of date", fix)
    missing = sorted(wanted - found.keys())
    if missing:
        names = ", ".join("/".join(map(str, k)) for k in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise RunFileError(f"{len(missing)} run(s) the config asks for are not among the inputs: {names}")


def read_benchmark(path: str | os.PathLike) -> tuple[float, float]:
    """(wall seconds, peak resident MB) from a Snakemake benchmark TSV (its last row); the peak may
    be NaN where the platform did not report it ('-')."""
    fix = _again(Path(path).as_posix()) + " together with its run directory"
    df = _read_csv(path, "Snakemake benchmark of a training job", fix, sep="\t")
    missing = [c for c in ("s", "max_rss") if c not in df.columns]
    if missing:
        raise _fail(path, f"has no column {', '.join(map(repr, missing))} (columns: {', '.join(map(str, df.columns))})",
                    fix)
    if df.empty:
        raise _fail(path, "has a header but no measurement", fix)
    df = df.replace("-", math.nan)
    df = _numeric(df, ["s", "max_rss"], path, fix, finite=["s"])
    row = df.iloc[-1]
    return float(row["s"]), float(row["max_rss"])


# ---------------------------------------------------------------------------------- data step files
def read_manifest(path: str | os.PathLike) -> dict:
    """A split's manifest (``results/splits/{dataset}/seed{seed}.json``), checked: the split file's
    sha256, its part sizes and its seed."""
    fix = _again(path) + " (or delete the split's .npz beside it as well)"
    manifest = _read_json(path, "manifest of a split", fix)
    _check_fields(manifest, {"sha256": "sha256", "seed": "int",
                             "counts": {"train": "int", "validation": "int", "test": "int"}}, path, fix)
    if manifest.get("source_sha256") is not None:
        _check_fields(manifest, {"source_sha256": "sha256"}, path, fix)
    return manifest


def manifest_identity(path: str | os.PathLike) -> tuple[str, int]:
    """(dataset, seed) from ``.../{dataset}/seed{seed}.json``."""
    m = _MANIFEST_PATH.search(Path(path).as_posix())
    if m is None:
        raise ValueError(f"{path}: not a split manifest path .../{{dataset}}/seed{{seed}}.json")
    return m["dataset"], int(m["seed"])


def read_prepared_stats(path: str | os.PathLike) -> dict:
    """A prepared data set's statistics (``results/prepared/{dataset}.json``, Table 2), checked."""
    fix = _again(path) + " (or delete the .npz beside it as well)"
    stats = _read_json(path, "statistics of a prepared data set", fix)
    _check_fields(stats, {"users": "int", "items": "int", "ratings": "int", "density": "number",
                          "rating_min": "number", "rating_max": "number"}, path, fix)
    return stats


# ---------------------------------------------------------------------------------- runs.csv
def _is_json_object(text) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (TypeError, ValueError):
        return False


def read_runs(path: str | os.PathLike, expected: Mapping | None = None) -> pd.DataFrame:
    """``runs.csv`` (one row per run, :data:`RUN_COLUMNS`), checked: every column, a known status,
    one row per run, finite results for complete runs.

    ``expected`` ({"protocol", "datasets", "methods", "seeds"}) also requires exactly those runs, so
    a table is never made from a runs.csv that lost rows or holds runs the config no longer asks for.
    """
    fix = _again(path)
    df = _read_csv(path, "table of runs", fix, keep_default_na=True)
    missing = [c for c in RUN_COLUMNS if c not in df.columns]
    if missing:
        raise _fail(path, f"has no column {', '.join(map(repr, missing))}", fix)
    if df.empty:
        raise _fail(path, "has a header but no run", fix)
    bad = ~df["status"].isin(STATUSES)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise _fail(path, f"line {row + 2}: status {df['status'].iloc[row]!r} is not one of {list(STATUSES)}", fix)
    # Complete runs need every result; a diverged run has none, and any value present must be a number.
    _numeric(df[df["status"] == "complete"], _RESULT_COLUMNS, path, fix, finite=_RESULT_COLUMNS)
    df = _numeric(df, [*_RESULT_COLUMNS, "rmse_stop_epoch", "mae_stop_epoch", "epochs_run", "wall_seconds",
                       "max_rss_mb", "diverged_epoch", "seed"], path, fix, finite=["seed", "epochs_run"])
    df["seed"] = df["seed"].astype("int64")
    clip = df["clip"].astype(str).str.lower().map({"true": True, "false": False})
    for col, bad in (("clip", clip.isna()), ("hyperparameters", ~df["hyperparameters"].map(_is_json_object))):
        if bad.any():
            label = bad.index[bad.to_numpy()][0]
            raise _fail(path, f"line {label + 2}: column '{col}' holds {df.at[label, col]!r}", fix)
    df["clip"] = clip.astype(bool)
    dup = df.duplicated(list(RUN_KEY))
    if dup.any():
        row = int(dup.to_numpy().nonzero()[0][0])
        raise _fail(path, f"line {row + 2}: run {'/'.join(str(df[k].iloc[row]) for k in RUN_KEY)} appears twice", fix)
    if expected is not None:
        have = set(zip(df["protocol"], df["dataset"], df["method"], df["seed"]))
        want = {(expected["protocol"], d, m, int(s)) for d in expected["datasets"] for m in expected["methods"]
                for s in expected["seeds"]}
        for keys, problem in ((want - have, "lacks {n} run(s) the config asks for"),
                              (have - want, "has {n} run(s) the config does not ask for")):
            if keys:
                names = ", ".join("/".join(map(str, k)) for k in sorted(keys)[:5]) + (" ..." if len(keys) > 5 else "")
                raise _fail(path, problem.format(n=len(keys)) + f" ({names})", fix)
    return df


# ---------------------------------------------------------------------------------- completeness
class IncompleteResultsError(RuntimeError):
    """Some runs the config asks for diverged: the tables and figures are partial."""


def check_complete(runs: pd.DataFrame, run_dir: str | None = None, train_log: str | None = None) -> dict:
    """Raise :class:`IncompleteResultsError` if any run of ``runs`` (:func:`read_runs` rows, of every
    protocol) diverged, naming each, its directory (``run_dir``) and log (``train_log``), both patterns
    with {protocol}, {dataset}, {method}, {seed}), the epoch and why, and the config keys of the
    settings to change; else return a record of the complete result (the number of runs per protocol)."""
    bad = runs[runs["status"] == "diverged"].sort_values(list(RUN_KEY))
    if len(bad):
        lines = []
        for r in bad.itertuples():
            key = {k: getattr(r, k) for k in RUN_KEY}
            where = run_dir.format(**key) if run_dir else "/".join(map(str, key.values()))
            log = "" if train_log is None else "; log " + train_log.format(**key)
            lines.append(f"  {where}: diverged at epoch {r.diverged_epoch:.0f} ({r.diverged_detail}){log}")
        keys = sorted({f"hyperparameters.{r.protocol}.{r.dataset}.{r.method}" for r in bad.itertuples()})
        k, n = len(bad), len(runs)
        raise IncompleteResultsError(
            f"{k} of {n} runs diverged, so the results are incomplete: the tables and figures cover the "
            f"{n - k} finished runs, count the diverged ones (n_diverged in Tables 4-5, the claims' pairs) "
            f"and mark them (✕) in the figures.\n" + "\n".join(lines) +
            f"\nLower the learning rate (or change other settings) under {', '.join(keys)} and run the "
            f"workflow again: only those runs are trained again.")
    per_protocol = {str(p): int(c) for p, c in runs.groupby("protocol").size().items()}
    return {"status": "complete", "runs": len(runs), "runs_per_protocol": per_protocol}
