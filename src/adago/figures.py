"""Figures 2-7 of the paper and the convergence curves it does not show.

Figures 2-7 compare the methods per data set on one quantity each (test error, epochs, seconds,
for RMSE and for MAE). The paper draws bars; we draw each method's mean with a one-std error bar
and every seed as a dot, and beside it (hollow, grey) the paper's mean ± std where the paper has
the data set. Error axes are not forced to zero (the differences are in the fourth decimal);
epoch and time axes start at zero. A run that diverged has no value: it is left out of the mean and
counted in red under its method ("✕ 2 diverged"), and the title says so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # rule jobs have no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from adago.atomic import atomic_path  # noqa: E402
from adago.paper import method_label, reported  # noqa: E402

# figure number -> (runs.csv column, axis label, title)
FIGURES = {
    2: ("rmse", "test RMSE", "Figure 2. Average RMSE"),
    3: ("rmse_epoch", "epoch of best validation RMSE", "Figure 3. Epochs used (RMSE)"),
    4: ("rmse_seconds", "seconds to best validation RMSE", "Figure 4. Time used (RMSE)"),
    5: ("mae", "test MAE", "Figure 5. Average MAE"),
    6: ("mae_epoch", "epoch of best validation MAE", "Figure 6. Epochs used (MAE)"),
    7: ("mae_seconds", "seconds to best validation MAE", "Figure 7. Time used (MAE)"),
}
# The paper's methods keep their colours; the baselines and AdaGO's ablations get their own.
COLORS = {"adago": "#d62728", "adam": "#1f77b4", "sgd": "#2ca02c", "adahessian": "#9467bd",
          "als": "#8c564b", "adago-nodamp": "#ff7f0e", "adago-noreg": "#e377c2",
          "adago-k05": "#bcbd22", "adago-global-t": "#17becf", "adago-full": "#e7ba52"}
PAPER_COLOR = "0.45"
DIVERGED_COLOR = "#b00000"


def _color(method: str) -> str:
    return COLORS.get(method, "#7f7f7f")


def save(fig: plt.Figure, png: str | os.PathLike, pdf: str | os.PathLike | None = None) -> None:
    """Write the figure atomically as PNG (and PDF), then close it."""
    for path in (png, pdf):
        if path is not None:
            with atomic_path(path) as tmp:
                fig.savefig(tmp, dpi=150, bbox_inches="tight")
    plt.close(fig)


def comparison_figure(runs: pd.DataFrame, number: int, labels: Mapping[str, str], methods: Sequence[str],
                      protocol: str = "") -> plt.Figure:
    """One panel per data set: each method's mean ± std over seeds with the seeds as dots, and the
    paper's mean ± std beside it where the paper reports the data set."""
    column, ylabel, title = FIGURES[number]
    from_zero = column not in ("rmse", "mae")
    datasets = list(dict.fromkeys(runs["dataset"]))
    status = runs["status"] if "status" in runs else pd.Series("complete", index=runs.index)
    n_diverged = runs[status == "diverged"].groupby(["dataset", "method"]).size()
    runs = runs[status == "complete"]
    # A panel widens with the number of methods (the paper's three fit 4.2 in) and, past four,
    # its labels slant so that baselines and ablations stay readable.
    width = max(4.2, 0.6 * len(methods) + 1.2)
    slant = {"rotation": 15} if len(methods) <= 4 else {"rotation": 35, "ha": "right", "rotation_mode": "anchor"}
    fig, axes = plt.subplots(1, len(datasets), figsize=(width * len(datasets) + 0.6, 3.8), squeeze=False)
    rng = np.random.default_rng(0)  # fixed jitter: the same data gives the same picture
    any_paper = False
    for ax, dataset in zip(axes[0], datasets):
        d = runs[runs["dataset"] == dataset]
        top = 0.0  # highest marker + error bar, to leave room for the value written above it
        for x, m in enumerate(methods):
            values = d.loc[d["method"] == m, column].to_numpy(dtype=float)
            k = int(n_diverged.get((dataset, m), 0))
            if k:  # at the foot of the panel, whatever the axis range: these runs have no value
                ax.annotate(f"✕ {k} diverged", (x, 0), xycoords=("data", "axes fraction"), xytext=(0, 4),
                            textcoords="offset points", ha="center", fontsize=7, color=DIVERGED_COLOR)
            if len(values) == 0:
                continue
            theirs = reported(dataset, m, column)
            here = x - 0.14 if theirs else x
            std = values.std(ddof=1) if len(values) > 1 else 0.0
            ax.scatter(here + rng.uniform(-0.08, 0.08, len(values)), values, s=12, color=_color(m), alpha=0.45, lw=0)
            ax.errorbar(here, values.mean(), yerr=std, fmt="o", color=_color(m), ms=7, capsize=5, lw=1.8)
            top = max(top, values.max(), values.mean() + std, sum(theirs) if theirs else 0.0)
            if from_zero:
                ax.annotate(_short(values.mean()), (here, values.mean() + std), textcoords="offset points",
                            xytext=(0, 4), ha="center", fontsize=7, color=_color(m))
            if theirs:
                any_paper = True
                ax.errorbar(x + 0.18, theirs[0], yerr=theirs[1], fmt="o", mfc="white", color=PAPER_COLOR,
                            ms=6, capsize=4, lw=1.2)
                if from_zero:
                    ax.annotate(_short(theirs[0]), (x + 0.18, theirs[0] + theirs[1]), textcoords="offset points",
                                xytext=(0, 4), ha="center", fontsize=7, color=PAPER_COLOR)
        ax.set_xticks(range(len(methods)), [method_label(m) for m in methods], **slant)
        ax.set_xlim(-0.6, len(methods) - 0.4)
        if from_zero:
            ax.set_ylim(0, 1.15 * top)
        ax.set_title(labels.get(dataset, dataset), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel(ylabel)
    n = runs.groupby(["dataset", "method"]).size().max() if len(runs) else 0
    where = f", {protocol} protocol" if protocol else ""
    left_out = int(n_diverged.sum())
    over = f"{n} seeds" if not left_out else (f"the finished seeds; {left_out} diverged run{'s' if left_out > 1 else ''} "
                                              f"left out (✕)")
    fig.suptitle(f"{title}{where} — mean ± std over {over}", fontsize=11)
    if any_paper:  # below the panels, where it cannot hide a marker
        handles = [plt.Line2D([], [], marker="o", color="0.2", ls="", label="ours: mean ± std, dots = seeds"),
                   plt.Line2D([], [], marker="o", mfc="white", color=PAPER_COLOR, ls="", label="paper: mean ± std")]
        fig.legend(handles=handles, fontsize=8, loc="lower center", ncol=2, frameon=False)
        fig.tight_layout(rect=(0, 0.07, 1, 1))
    else:
        fig.tight_layout()
    return fig


def _short(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def convergence_figure(histories: Mapping[str, Sequence[pd.DataFrame]], label: str,
                       best_epochs: Mapping[str, Sequence[int | None]] | None = None, metric: str = "val_rmse",
                       protocol: str = "") -> plt.Figure:
    """Validation error against epoch and against training seconds, per method.

    ``histories`` maps method -> one history per seed; ``best_epochs`` the same -> each seed's
    best-validation epoch (of ``metric``; default: the epoch of its lowest value), marked on its
    curve, or None for a seed whose run diverged: its curve (the epochs before the divergence) is
    drawn dashed and ends in a red ✕, and it is left out of the mean. Runs stop at different epochs,
    so the mean over seeds (epoch panel, with a one-std band) keeps every finished seed to the end: a
    run that has stopped contributes its last value from then on. The seconds panel shows every
    seed's curve and, per method, the mean ± std of the best epoch's seconds and value. Both x axes
    start at zero.
    """
    fig, (ax_e, ax_t) = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    lows, plateaus, crosses, n_diverged = [], [], [], 0
    for m, all_hs in histories.items():
        all_bests = list(best_epochs[m]) if best_epochs else [int(h[metric].idxmin()) + 1 for h in all_hs]
        color = _color(m)
        for h, b in zip(all_hs, all_bests):
            if b is None and len(h):
                ax_e.plot(h["epoch"], h[metric], color=color, lw=0.8, alpha=0.6, ls="--")
                ax_t.plot(h["seconds"], h[metric], color=color, lw=0.8, alpha=0.6, ls="--")
                crosses.append((h["epoch"].iloc[-1], h["seconds"].iloc[-1], h[metric].iloc[-1]))
        hs = [h for h, b in zip(all_hs, all_bests) if b is not None]
        bests = [b for b in all_bests if b is not None]
        k = len(all_hs) - len(hs)
        n_diverged += k
        if not hs:
            ax_e.plot([], [], color=color, lw=1.8, ls="--", label=f"{method_label(m)} (all {k} seeds diverged ✕)")
            continue
        best_t, best_v = [], []
        for h, b in zip(hs, bests):
            row = h.iloc[b - 1]
            ax_e.plot(h["epoch"], h[metric], color=color, lw=0.6, alpha=0.35)
            ax_t.plot(h["seconds"], h[metric], color=color, lw=0.6, alpha=0.35)
            ax_e.plot(row["epoch"], row[metric], "o", ms=3.5, color=color, mec="white", mew=0.5)
            ax_t.plot(row["seconds"], row[metric], "o", ms=3.5, color=color, mec="white", mew=0.5)
            best_t.append(row["seconds"])
            best_v.append(row[metric])
        longest = max(len(h) for h in hs)
        # Last value carried forward: a stopped run stays in the mean instead of silently leaving it.
        wide = np.stack([np.pad(h[metric].to_numpy(float), (0, longest - len(h)), mode="edge") for h in hs])
        mean = wide.mean(axis=0)
        std = wide.std(axis=0, ddof=1) if len(hs) > 1 else np.zeros(longest)
        epochs = np.arange(1, longest + 1)
        seeds = f"{len(hs)} seed{'s' if len(hs) > 1 else ''}" + (f", {k} diverged ✕" if k else "")
        ax_e.plot(epochs, mean, color=color, lw=1.8, label=f"{method_label(m)} ({seeds})")
        ax_e.fill_between(epochs, mean - std, mean + std, color=color, alpha=0.18, lw=0)
        ax_t.errorbar(np.mean(best_t), np.mean(best_v), xerr=np.std(best_t, ddof=1) if len(hs) > 1 else 0,
                      yerr=np.std(best_v, ddof=1) if len(hs) > 1 else 0, fmt="D", ms=6, color=color,
                      mec="black", mew=0.6, capsize=3, zorder=5)
        lows.append(float(min(h[metric].min() for h in hs)))
        plateaus.append(float(mean.min()))
    # The first epochs sit far above the optimum (and an overfitting run can end far above it too):
    # zoom on the range where the methods' mean curves bottom out, with room above for the approach.
    if lows:
        lo, hi = min(lows), max(plateaus)
        pad = max(hi - lo, 0.005 * abs(lo))
        ax_e.set_ylim(lo - 0.4 * pad, hi + 5 * pad)
    # Where a run diverged: its last finite value, kept inside the zoomed axis (it may be far above).
    top = ax_e.get_ylim()[1]
    for epoch, seconds, value in crosses:
        ax_e.plot(epoch, min(value, top), "x", ms=7, mew=2, color=DIVERGED_COLOR, clip_on=False, zorder=6)
        ax_t.plot(seconds, min(value, top), "x", ms=7, mew=2, color=DIVERGED_COLOR, clip_on=False, zorder=6)
    for ax in (ax_e, ax_t):
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
    ax_e.set_xlabel("epoch")
    ax_t.set_xlabel("cumulative training seconds")
    ax_e.set_ylabel(metric.replace("val_", "validation ").upper().replace("VALIDATION", "validation"))
    ax_e.legend(fontsize=8)
    handles = [plt.Line2D([], [], marker="o", color="0.3", ls="", ms=3.5, label="a seed's best-validation epoch"),
               plt.Line2D([], [], marker="D", color="0.3", mec="black", ls="", label="mean ± std of those")]
    if crosses:
        handles.append(plt.Line2D([], [], marker="x", color=DIVERGED_COLOR, mew=2, ls="",
                                  label="last epoch before a run diverged"))
    ax_t.legend(handles=handles, fontsize=8)
    where = f", {protocol} protocol" if protocol else ""
    over = "all seeds" if not n_diverged else (f"the finished seeds ({n_diverged} diverged run"
                                                f"{'s' if n_diverged > 1 else ''} left out, ✕)")
    fig.suptitle(f"Convergence on {label}{where}: each seed, and the mean over {over}; "
                 "a stopped run keeps its last value", fontsize=10)
    fig.tight_layout()
    return fig
