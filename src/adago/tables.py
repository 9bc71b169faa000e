"""Tables 2-5, the comparison with the paper and paired significance tests, from the per-run results.

Everything starts from one tidy table with a row per (protocol, dataset, method, seed) run
(:func:`collect_runs`); each paper table is a pure function of one protocol's rows, rendered to CSV,
Markdown and LaTeX by the same code. Spread over seeds is the sample standard deviation (ddof=1); a
single run has no spread (NaN, shown as an en dash). The claim-by-claim verdicts are in
:mod:`adago.claims`.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from adago import paper
from adago.atomic import atomic_open
from adago.paper import method_info, method_label
from adago.optimizers import TrainConfig
from adago.runio import RUN_COLUMNS, RUN_KEY, read_benchmark, read_summary

_BENCH_PATH = re.compile(r"(?P<protocol>[^/]+)/(?P<dataset>[^/]+)/(?P<method>[^/]+)/seed(?P<seed>\d+)\.tsv$")
_KEY = RUN_KEY


def collect_runs(summaries: Sequence[str | os.PathLike] | Mapping[str, Mapping],
                 benchmarks: Sequence[str | os.PathLike] = ()) -> pd.DataFrame:
    """One row per run (:data:`adago.runio.RUN_COLUMNS`) from ``summary.json`` files (paths, read with
    :func:`adago.runio.read_summary`, or path -> summary already read), joined with Snakemake
    benchmark TSVs by path.

    Benchmark files are matched on ``.../{protocol}/{dataset}/{method}/seed{seed}.tsv``; wall seconds
    and peak memory come from them (the training seconds in ``summary.json`` exclude evaluation).
    ``stopping`` is the rule and mode behind both cells ('authors, separate'); ``*_stop_epoch`` is
    where that metric's rule stopped it (NaN if it never did). A diverged run has ``status``
    'diverged', no results (NaN) and ``diverged_epoch``/``diverged_detail``.
    """
    bench = {}
    for path in benchmarks:
        m = _BENCH_PATH.search(Path(path).as_posix())
        if m is None:
            raise ValueError(f"{path}: not a training benchmark path "
                             ".../{{protocol}}/{{dataset}}/{{method}}/seed{{seed}}.tsv")
        bench[(m["protocol"], m["dataset"], m["method"], int(m["seed"]))] = read_benchmark(path)
    if not isinstance(summaries, Mapping):
        summaries = {p: read_summary(p) for p in summaries}
    rows = []
    for s in summaries.values():
        wall, rss = bench.get((s["protocol"], s["dataset"], s["method"], int(s["seed"])), (math.nan, math.nan))
        row = {
            "protocol": s["protocol"], "dataset": s["dataset"], "method": s["method"], "seed": int(s["seed"]),
            "status": s["status"], "clip": bool(s["evaluation"]["clip"]), "epochs_run": s["epochs_run"],
            "stop_reason": s.get("stop_reason"), "wall_seconds": wall, "max_rss_mb": rss,
            "hyperparameters": json.dumps(s["hyperparameters"], sort_keys=True),
            "hyperparameters_source": source_label(s.get("hyperparameters_source")),
        }
        stopping = s["evaluation"]["stopping"]
        row["stopping"] = f"{stopping.get('rule')}, {stopping.get('mode')}"
        if s["status"] == "complete":
            r, a = s["best"]["rmse"], s["best"]["mae"]
            row.update({
                "rmse": r["test_rmse"], "rmse_val": r["val_rmse"], "rmse_epoch": r["epoch"],
                "rmse_seconds": r["seconds"], "rmse_stop_epoch": _or_nan(r["stop_epoch"]),
                "mae": a["test_mae"], "mae_val": a["val_mae"], "mae_epoch": a["epoch"], "mae_seconds": a["seconds"],
                "mae_stop_epoch": _or_nan(a["stop_epoch"]), "stopping": f"{r['rule']}, {r['mode']}",
            })
        else:
            row.update(diverged_epoch=s["diverged"]["epoch"], diverged_detail=s["diverged"]["detail"])
        rows.append(row)
    return pd.DataFrame(rows, columns=RUN_COLUMNS).sort_values(list(_KEY), ignore_index=True)


def source_label(source: Mapping | None) -> str:
    """Where a run's hyperparameters came from, in one line (summary.json's ``hyperparameters_source``):
    ``tuned: <best.json> (trial r1t04 of 8, validation val_rmse 0.72898)`` or ``config: <key>``."""
    if not source:
        return "not recorded"
    if source.get("source") == "tuned":
        score = source.get("score")
        score = f"{score:.5f}" if isinstance(score, (int, float)) else score
        return (f"tuned: {source.get('path')} (trial {source.get('trial_id')} of {source.get('n_trials')}, "
                f"validation {source.get('metric')} {score})")
    return f"config: {source.get('key')}"


_TUNED_LABEL = re.compile(r"^tuned: .* \((?P<trial>trial \S+ of \d+), ")


def _short_source(label: str) -> str:
    """Table 3's form of a runs.csv source label: 'tuned on validation, trial r1t04 of 8', the config
    key, or the label itself."""
    if not isinstance(label, str) or label == "not recorded":  # NaN: an empty cell of runs.csv
        return "source not recorded"
    m = _TUNED_LABEL.match(label)
    if m:
        return f"tuned on validation, {m['trial']}"
    return label.removeprefix("config: ")


def _or_nan(value) -> float:
    return math.nan if value is None else value


def _ordered(df: pd.DataFrame, datasets: Sequence[str], methods: Sequence[str]) -> pd.DataFrame:
    order = {d: k for k, d in enumerate(datasets)}, {m: k for k, m in enumerate(methods)}
    key = df["dataset"].map(order[0]) * 100 + df["method"].map(order[1])
    return df.assign(_k=key).sort_values("_k").drop(columns="_k").reset_index(drop=True)


def complete(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs that finished (status 'complete'); diverged runs have no results to average."""
    return runs[runs["status"] == "complete"] if "status" in runs else runs


def diverged(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs that diverged (status 'diverged')."""
    return runs[runs["status"] == "diverged"] if "status" in runs else runs.iloc[:0]


def error_table(runs: pd.DataFrame, metric: str, datasets: Sequence[str], methods: Sequence[str]) -> pd.DataFrame:
    """Table 4 (metric='rmse') or Table 5 ('mae'): mean and std over seeds of the test error at the
    best-validation epoch, that epoch, and the training seconds up to it.

    Means and spreads are over the complete runs (``n_runs``); ``n_diverged`` counts the runs of the
    same cell that diverged and are left out. A cell whose runs all diverged has NaN statistics.
    """
    if metric not in ("rmse", "mae"):
        raise ValueError(f"metric must be 'rmse' or 'mae', got {metric!r}")
    cells = runs[["dataset", "method"]].drop_duplicates().set_index(["dataset", "method"]).index
    g = complete(runs).groupby(["dataset", "method"])
    out = pd.DataFrame({
        "n_runs": g.size(),
        "n_diverged": diverged(runs).groupby(["dataset", "method"]).size(),
        f"{metric}_mean": g[metric].mean(), f"{metric}_std": g[metric].std(ddof=1),
        "epoch_mean": g[f"{metric}_epoch"].mean(), "epoch_std": g[f"{metric}_epoch"].std(ddof=1),
        "time_mean": g[f"{metric}_seconds"].mean(), "time_std": g[f"{metric}_seconds"].std(ddof=1),
    }).reindex(cells)
    out[["n_runs", "n_diverged"]] = out[["n_runs", "n_diverged"]].fillna(0).astype("int64")
    return _ordered(out.rename_axis(["dataset", "method"]).reset_index(), datasets, methods)


def dataset_table(stats: Mapping[str, Mapping], manifests: Mapping[str, Mapping], labels: Mapping[str, str]) -> pd.DataFrame:
    """Table 2: data set statistics computed from the prepared data, with one seed's split sizes."""
    rows = []
    for name, st in stats.items():
        counts = manifests.get(name, {}).get("counts", {})
        rows.append({
            "dataset": name, "label": labels.get(name, name),
            "users": st["users"], "items": st["items"], "ratings": st["ratings"],
            "density": st["density"], "rating_min": st["rating_min"], "rating_max": st["rating_max"],
            "train": counts.get("train"), "validation": counts.get("validation"), "test": counts.get("test"),
        })
    return pd.DataFrame(rows)


def method_table(runs: pd.DataFrame, methods: Sequence[str]) -> pd.DataFrame:
    """Table 3: the compared methods, with the hyperparameters, stopping rule and clipping each data
    set's runs actually used."""
    rows = []
    for m in methods:
        info = method_info(m)
        used = runs.loc[runs["method"] == m].drop_duplicates("dataset")
        settings = "; ".join(f"{r.dataset} ({_short_source(r.hyperparameters_source)}): "
                             f"{_short_hyper(r.hyperparameters)}, stopping {r.stopping}, "
                             f"{'clipped' if r.clip else 'unclipped'} errors" for r in used.itertuples())
        rows.append({"no": info["no"], "method": m, "name": info["name"],
                     "description": info["description"], "hyperparameters": settings})
    return pd.DataFrame(rows)


def _short_hyper(blob: str) -> str:
    """The settings that influence this method's runs (TrainConfig.relevant), plus early stopping."""
    cfg = TrainConfig.from_mapping(json.loads(blob), where="runs.csv hyperparameters")
    shown = {k: v for k, v in cfg.relevant().items() if k != "method"}
    shown.update(max_epochs=cfg.max_epochs, tol=cfg.tol, patience=cfg.patience)
    return ", ".join(f"{k}={v}" for k, v in shown.items())


def significance(runs: pd.DataFrame, methods: Sequence[str], reference: str = "adago") -> pd.DataFrame:
    """Paired tests over seeds: each other method against ``reference`` on the same splits.

    diff_mean is mean(other - reference) of the test error: positive means the reference is better.
    Both a paired t-test and the Wilcoxon signed-rank test are given (two-sided); NaN where fewer
    than two pairs exist or all differences are zero. Only complete runs pair up (a diverged run has
    no error to compare).
    """
    if reference not in methods:
        reference = methods[0]
    rows = []
    for dataset, d in complete(runs).groupby("dataset", sort=False):
        ref = d[d["method"] == reference].set_index("seed")
        for other in methods:
            if other == reference:
                continue
            oth = d[d["method"] == other].set_index("seed")
            seeds = ref.index.intersection(oth.index)
            for metric in ("rmse", "mae"):
                diff = (oth.loc[seeds, metric] - ref.loc[seeds, metric]).to_numpy()
                t_p = w_p = math.nan
                if len(diff) >= 2 and np.any(diff != 0):
                    t_p = float(stats.ttest_rel(oth.loc[seeds, metric], ref.loc[seeds, metric]).pvalue)
                    w_p = float(stats.wilcoxon(diff).pvalue)
                rows.append({"dataset": dataset, "metric": metric, "reference": reference, "other": other,
                             "n_pairs": len(diff), "diff_mean": float(diff.mean()) if len(diff) else math.nan,
                             "diff_std": float(diff.std(ddof=1)) if len(diff) > 1 else math.nan,
                             "ttest_p": t_p, "wilcoxon_p": w_p})
    return pd.DataFrame(rows, columns=["dataset", "metric", "reference", "other", "n_pairs",
                                       "diff_mean", "diff_std", "ttest_p", "wilcoxon_p"])


# ---------------------------------------------------------------- rendering

def pm(mean: float, std: float, digits: int) -> str:
    """'mean ± std' with a fixed number of decimals; an en dash for a missing spread."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    s = "–" if std is None or (isinstance(std, float) and math.isnan(std)) else f"{std:.{digits}f}"
    return f"{mean:.{digits}f} ± {s}"


def display_error_table(table: pd.DataFrame, metric: str, labels: Mapping[str, str]) -> pd.DataFrame:
    """Table 4/5 as printed: one row per (data set, method), mean ± std cells."""
    name = metric.upper()
    return pd.DataFrame({
        "Dataset": table["dataset"].map(lambda d: labels.get(d, d)),
        "Method": table["method"].map(method_label),
        name: [pm(a, b, 4) for a, b in zip(table[f"{metric}_mean"], table[f"{metric}_std"])],
        "Epoch": [pm(a, b, 0) for a, b in zip(table["epoch_mean"], table["epoch_std"])],
        "Time (s)": [pm(a, b, 2) for a, b in zip(table["time_mean"], table["time_std"])],
        "Runs": [runs_cell(n, k) for n, k in zip(table["n_runs"], table["n_diverged"])],
    })


def runs_cell(n_runs: int, n_diverged: int) -> str:
    """'10', or '8 (+2 diverged)' when runs of the cell diverged and are left out of its statistics."""
    return f"{n_runs}" if not n_diverged else f"{n_runs} (+{n_diverged} diverged)"


def diverged_note(table: pd.DataFrame) -> str:
    """A caption sentence counting the diverged runs of an error table ('' if none)."""
    k = int(table["n_diverged"].sum()) if "n_diverged" in table else 0
    if not k:
        return ""
    return (f" {k} run{'s' if k > 1 else ''} diverged and {'are' if k > 1 else 'is'} left out of the statistics "
            f"(Runs: complete runs, +diverged ones; the workflow fails until they are fixed)")


def to_markdown(df: pd.DataFrame) -> str:
    cells = [[str(c) for c in df.columns]] + [[_fmt(v) for v in row] for row in df.itertuples(index=False)]
    lines = ["| " + " | ".join(r) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("---" for _ in df.columns) + "|")
    return "\n".join(lines) + "\n"


_TEX_ESCAPE = {"&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#", "$": r"\$", "±": r"$\pm$", "–": "--"}


def to_latex(df: pd.DataFrame, caption: str, label: str) -> str:
    def esc(s: str) -> str:
        return "".join(_TEX_ESCAPE.get(ch, ch) for ch in s)

    head = " & ".join(esc(str(c)) for c in df.columns) + r" \\"
    body = [" & ".join(esc(_fmt(v)) for v in row) + r" \\" for row in df.itertuples(index=False)]
    return "\n".join([
        r"\begin{table}[t]", r"\centering", f"\\caption{{{esc(caption)}}}", f"\\label{{{label}}}",
        r"\begin{tabular}{" + "l" * len(df.columns) + "}", r"\toprule", head, r"\midrule", *body,
        r"\bottomrule", r"\end{tabular}", r"\end{table}", "",
    ])


def _fmt(v) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        return f"{v:.6g}"
    return "–" if v is None else str(v)


def write_table(df: pd.DataFrame, display: pd.DataFrame, stem: str | os.PathLike, caption: str) -> None:
    """``stem``.csv (machine-readable ``df``) and ``stem``.md / ``stem``.tex (``display``), atomically."""
    stem = Path(stem)
    with atomic_open(stem.with_suffix(".csv")) as fh:
        df.to_csv(fh, index=False)
    with atomic_open(stem.with_suffix(".md")) as fh:
        fh.write(f"**{caption}**\n\n" + to_markdown(display))
    with atomic_open(stem.with_suffix(".tex")) as fh:
        fh.write(to_latex(display, caption, f"tab:{stem.name}"))


def paper_comparison(tables: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]], labels: Mapping[str, str]) -> str:
    """Markdown: each protocol's mean ± std beside the paper's, per cell, for the data sets the paper
    has. ``tables`` maps protocol -> (Table 4, Table 5) of that protocol."""
    out = ["# Our results beside the paper's (Tables 4 and 5), per protocol", "",
           "Test error at the best-validation epoch, mean ± sample std over seeds. Protocol `paper`: "
           "everything the paper and its authors fix (their stall rule, RMSE and MAE stopped separately, "
           "no clipping); `tuned`: our best practice (docs/METHODS.md). The paper's times are Java on a "
           "2.5 GHz i5; ours are Numba on this machine, training only (evaluation excluded). "
           "Δ = ours − paper. Diverged runs are left out of our statistics and counted beside them.", ""]
    for k, (metric, theirs) in enumerate((("rmse", paper.TABLE4), ("mae", paper.TABLE5))):
        name = metric.upper()
        out += [f"## {name} (Table {4 + k})", "",
                f"| Dataset | Method | Protocol | {name} ours | {name} paper | Δ {name} | Epoch ours | Epoch paper "
                f"| Time (s) ours | Time (s) paper |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        # Every protocol's table has the same (data set, method) rows in the same order: interleave them.
        per_protocol = [[(protocol, r) for r in pair[k].itertuples()] for protocol, pair in tables.items()]
        for protocol, r in (cell for group in zip(*per_protocol) for cell in group):
            ref = theirs.get((r.dataset, r.method))
            mean, std = getattr(r, f"{metric}_mean"), getattr(r, f"{metric}_std")
            ours = pm(mean, std, 4) + (f" ({r.n_diverged} diverged)" if r.n_diverged else "")
            cells = [labels.get(r.dataset, r.dataset), method_label(r.method), protocol, ours]
            if ref is None:
                cells += ["(not in paper)", "–", pm(r.epoch_mean, r.epoch_std, 0), "–", pm(r.time_mean, r.time_std, 2), "–"]
            else:
                delta = "–" if math.isnan(mean) else f"{mean - ref[metric][0]:+.4f}"
                cells += [pm(*ref[metric], 4), delta,
                          pm(r.epoch_mean, r.epoch_std, 0), pm(*ref["epoch"], 0),
                          pm(r.time_mean, r.time_std, 2), pm(*ref["time"], 0)]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)
