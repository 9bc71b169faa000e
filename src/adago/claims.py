"""The paper's claims, one row each per data set and protocol, with a verdict from paired seeds.

A claim compares AdaGO (the reference) with another method on one runs.csv column. For the n seeds
both ran, d_s = other_s - reference_s (so d > 0 means AdaGO is lower, i.e. better), and

    diff_mean = mean(d),   95% CI = diff_mean -/+ t_(0.975, n-1) * sd(d) / sqrt(n),
    ttest_p   = two-sided paired t-test,   wilcoxon_p = two-sided Wilcoxon signed-rank test,
    holm_p    = ttest_p adjusted by Holm's step-down method within the row's family.

Two families share the table and are adjusted apart: claims about results (RMSE, MAE, epochs), which
depend only on data, seeds and code, and claims about wall-clock time, which depend on the machine.
Mixing them would let timing noise move the adjusted p-value, and so the verdict, of an RMSE claim:
the same seeds on another machine (or through SLURM) must give the same result verdicts, digit for digit.

Verdict (alpha = 0.05): ``confirmed`` if holm_p < alpha and diff_mean > 0 (AdaGO lower, as the
paper claims), ``refuted`` if holm_p < alpha and diff_mean < 0 (AdaGO higher), else
``not distinguishable``. With zero spread the t-test is degenerate: identical non-zero differences
count as p = 0, all-zero differences (or fewer than two pairs) as no evidence (p = NaN).

Only complete runs pair up: a seed where either method diverged has no difference to take.
``n_diverged`` counts the runs of the two methods left out that way, and the printed table says so
beside the number of pairs, so a verdict on fewer seeds than asked for is never mistaken for one on all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from adago import paper
from adago.paper import method_label

ALPHA = 0.05
REFERENCE = "adago"
# (claim, runs.csv column, other method): what the paper says AdaGO does better.
CLAIMS = [
    ("lower test RMSE than Adam", "rmse", "adam"),
    ("lower test RMSE than SGD", "rmse", "sgd"),
    ("lower test MAE than Adam", "mae", "adam"),
    ("lower test MAE than SGD", "mae", "sgd"),
    ("fewer epochs than Adam (RMSE)", "rmse_epoch", "adam"),
    ("fewer epochs than Adam (MAE)", "mae_epoch", "adam"),
    ("less time than Adam (RMSE)", "rmse_seconds", "adam"),
    ("less time than Adam (MAE)", "mae_seconds", "adam"),
]
COLUMNS = ["claim", "dataset", "protocol", "metric", "reference", "other", "n_pairs", "diff_mean",
           "ci_low", "ci_high", "ttest_p", "wilcoxon_p", "holm_p", "verdict", "paper_diff", "n_diverged"]


def paired(reference: Sequence[float], other: Sequence[float], level: float = 0.95) -> dict:
    """n_pairs, diff_mean, ci_low, ci_high, ttest_p, wilcoxon_p of d = other - reference."""
    d = np.asarray(other, dtype=float) - np.asarray(reference, dtype=float)
    n = len(d)
    out = {"n_pairs": n, "diff_mean": float(d.mean()) if n else math.nan,
           "ci_low": math.nan, "ci_high": math.nan, "ttest_p": math.nan, "wilcoxon_p": math.nan}
    if n < 2:
        return out
    sd = float(d.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    out.update(ci_low=out["diff_mean"] - half, ci_high=out["diff_mean"] + half)
    if not np.any(d != 0):
        return out
    if sd == 0:
        out.update(ttest_p=0.0)  # identical non-zero differences: no spread to doubt them
    else:
        out.update(ttest_p=float(stats.ttest_1samp(d, 0.0).pvalue))
    out.update(wilcoxon_p=float(stats.wilcoxon(d).pvalue))
    return out


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment: with the m finite p-values sorted, p_(1) <= ... <= p_(m),
    adjusted p_(i) = max over j <= i of min(1, (m - j + 1) p_(j)). NaN stays NaN and is not counted."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = len(finite)
    order = finite[np.argsort(p[finite], kind="stable")]
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[idx]))
        out[idx] = running
    return out


def family(metric: str) -> str:
    """The Holm family of a claim's runs.csv column: 'time' for wall-clock columns, else 'result'."""
    return "time" if metric.endswith("_seconds") else "result"


def verdict(diff_mean: float, holm_p: float, alpha: float = ALPHA) -> str:
    """'confirmed', 'refuted' or 'not distinguishable' (see the module docstring)."""
    if not (math.isfinite(holm_p) and holm_p < alpha) or not math.isfinite(diff_mean) or diff_mean == 0:
        return "not distinguishable"
    return "confirmed" if diff_mean > 0 else "refuted"


def claims_table(runs: pd.DataFrame, datasets: Sequence[str], protocols: Sequence[str],
                 alpha: float = ALPHA) -> pd.DataFrame:
    """One row per claim, data set and protocol present in ``runs`` (runs.csv rows of every protocol).

    paper_diff is the same difference computed from the paper's Tables 4-5 means, where it has the
    data set (NaN otherwise). Claims whose methods did not run are left out; pairs are formed from
    complete runs only, and ``n_diverged`` counts the two methods' diverged runs left out.
    """
    rows = []
    status = runs["status"] if "status" in runs else pd.Series("complete", index=runs.index)
    for protocol in protocols:
        for dataset in datasets:
            here = (runs["protocol"] == protocol) & (runs["dataset"] == dataset)
            d, lost = runs[here & (status == "complete")], runs[here & (status == "diverged")]
            ref = d[d["method"] == REFERENCE].set_index("seed")
            for claim, column, other in CLAIMS:
                oth = d[d["method"] == other].set_index("seed")
                if not (runs[here]["method"] == REFERENCE).any() or not (runs[here]["method"] == other).any():
                    continue
                seeds = ref.index.intersection(oth.index).sort_values()
                theirs = [paper.reported(dataset, m, column) for m in (REFERENCE, other)]
                rows.append({
                    "claim": f"AdaGO: {claim}", "dataset": dataset, "protocol": protocol, "metric": column,
                    "reference": REFERENCE, "other": other,
                    **paired(ref.loc[seeds, column], oth.loc[seeds, column]),
                    "paper_diff": math.nan if None in theirs else theirs[1][0] - theirs[0][0],
                    "n_diverged": int(lost["method"].isin([REFERENCE, other]).sum()),
                })
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("holm_p", "verdict")])
    table["holm_p"] = np.nan
    for _, rows_of_family in table.groupby(table["metric"].map(family), sort=False):
        table.loc[rows_of_family.index, "holm_p"] = holm(rows_of_family["ttest_p"])
    table["verdict"] = [verdict(m, p, alpha) for m, p in zip(table["diff_mean"], table["holm_p"])]
    return table[COLUMNS]


def display(table: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """The claims table as printed: other − AdaGO with its 95% CI in the metric's units."""
    def diff(r) -> str:
        digits = 4 if r.metric in ("rmse", "mae") else (1 if r.metric.endswith("epoch") else 3)
        if not math.isfinite(r.diff_mean):
            return "–"
        ci = "" if not math.isfinite(r.ci_low) else f" [{r.ci_low:+.{digits}f}, {r.ci_high:+.{digits}f}]"
        return f"{r.diff_mean:+.{digits}f}{ci}"

    def p(v: float) -> str:
        return "–" if not math.isfinite(v) else f"{v:.2g}"

    return pd.DataFrame({
        "Claim": table["claim"],
        "Data set": table["dataset"].map(lambda d: labels.get(d, d)),
        "Protocol": table["protocol"],
        "vs": table["other"].map(method_label),
        "Pairs": [f"{n}" if not k else f"{n} ({k} diverged run{'s' if k > 1 else ''} left out)"
                  for n, k in zip(table["n_pairs"], table["n_diverged"])],
        "Δ = other − AdaGO [95% CI]": [diff(r) for r in table.itertuples()],
        "t-test p": table["ttest_p"].map(p),
        "Wilcoxon p": table["wilcoxon_p"].map(p),
        "Holm p": table["holm_p"].map(p),
        "Verdict": table["verdict"],
        "Paper Δ": [("–" if not math.isfinite(v) else f"{v:+.4g}") for v in table["paper_diff"]],
    })
