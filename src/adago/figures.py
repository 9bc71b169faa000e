"""Figures 2-7 of the paper and the convergence curves it does not show.

Figures 2-7 compare the methods per data set on one quantity each (test error, epochs, seconds,
for RMSE and for MAE). The paper draws bars; we draw the mean with a one-std error bar and every
seed as a dot, on an axis that is not forced to zero, because the differences are in the fourth
decimal and a bar from zero would hide them.
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
from adago.optimizers import METHODS  # noqa: E402

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
          "adago-k05": "#bcbd22", "adago-global-t": "#17becf", "adago-full": "#7f7f7f"}


def _method_label(m: str) -> str:
    return METHODS[m].label


def save(fig: plt.Figure, png: str | os.PathLike, pdf: str | os.PathLike | None = None) -> None:
    """Write the figure atomically as PNG (and PDF), then close it."""
    for path in (png, pdf):
        if path is not None:
            with atomic_path(path) as tmp:
                fig.savefig(tmp, dpi=150, bbox_inches="tight")
    plt.close(fig)


def comparison_figure(runs: pd.DataFrame, number: int, labels: Mapping[str, str], methods: Sequence[str]) -> plt.Figure:
    """One panel per data set: each method's mean ± std over seeds, with the seeds as dots."""
    column, ylabel, title = FIGURES[number]
    datasets = list(dict.fromkeys(runs["dataset"]))
    # A panel widens with the number of methods (the paper's three fit 3.6 in) and, past four,
    # its labels slant so that baselines and ablations stay readable.
    width = max(3.6, 0.55 * len(methods) + 1.2)
    slant = {"rotation": 15} if len(methods) <= 4 else {"rotation": 35, "ha": "right", "rotation_mode": "anchor"}
    fig, axes = plt.subplots(1, len(datasets), figsize=(width * len(datasets) + 0.6, 3.4), squeeze=False)
    rng = np.random.default_rng(0)  # fixed jitter: the same data gives the same picture
    for ax, dataset in zip(axes[0], datasets):
        d = runs[runs["dataset"] == dataset]
        for x, m in enumerate(methods):
            values = d.loc[d["method"] == m, column].to_numpy(dtype=float)
            if len(values) == 0:
                continue
            std = values.std(ddof=1) if len(values) > 1 else 0.0
            ax.scatter(x + rng.uniform(-0.12, 0.12, len(values)), values, s=12, color=COLORS[m], alpha=0.45, lw=0)
            ax.errorbar(x, values.mean(), yerr=std, fmt="o", color=COLORS[m], ms=7, capsize=6, lw=1.8)
        ax.set_xticks(range(len(methods)), [_method_label(m) for m in methods], **slant)
        ax.set_xlim(-0.6, len(methods) - 0.4)
        ax.set_title(labels.get(dataset, dataset), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel(ylabel)
    n = runs.groupby(["dataset", "method"]).size().max()
    fig.suptitle(f"{title} — mean ± std over {n} seeds", fontsize=11)
    fig.tight_layout()
    return fig


def convergence_figure(histories: Mapping[str, Sequence[pd.DataFrame]], label: str, metric: str = "val_rmse") -> plt.Figure:
    """Validation error against epoch and against training seconds, per method.

    ``histories`` maps method -> one history per seed. Early stopping ends runs at different
    epochs, so the mean and its one-std band are drawn only over the epochs every run reached
    (a mean over a shrinking set of runs would jump where a run stops); each run is also drawn in
    full as a thin line. On the seconds axis a run's own cumulative training time is used, and
    the mean curve uses the mean time of the runs at each epoch.
    """
    fig, (ax_e, ax_t) = plt.subplots(1, 2, figsize=(9.5, 3.6), sharey=True)
    lows, finals = [], []
    for m, hs in histories.items():
        for h in hs:
            ax_e.plot(h["epoch"], h[metric], color=COLORS[m], lw=0.6, alpha=0.35)
            ax_t.plot(h["seconds"], h[metric], color=COLORS[m], lw=0.6, alpha=0.35)
        common = min(len(h) for h in hs)
        wide = np.stack([h[metric].to_numpy()[:common] for h in hs])
        secs = np.stack([h["seconds"].to_numpy()[:common] for h in hs]).mean(axis=0)
        mean = wide.mean(axis=0)
        std = wide.std(axis=0, ddof=1) if len(hs) > 1 else np.zeros(common)
        lows.append(float(min(h[metric].min() for h in hs)))
        finals.append(float(max(h[metric].iloc[-1] for h in hs)))
        epochs = np.arange(1, common + 1)
        for ax, x in ((ax_e, epochs), (ax_t, secs)):
            ax.plot(x, mean, color=COLORS[m], lw=1.8, label=_method_label(m))
            ax.fill_between(x, mean - std, mean + std, color=COLORS[m], alpha=0.2, lw=0)
    # The first epochs sit far above the optimum; zoom on the range where the methods end up,
    # with room above for the approach.
    if lows:
        lo, hi = min(lows), max(finals)
        pad = max(hi - lo, 0.01 * abs(lo))
        ax_e.set_ylim(lo - 0.3 * pad, hi + 2.5 * pad)
    ax_e.set_xlabel("epoch")
    ax_t.set_xlabel("cumulative training seconds")
    ax_e.set_ylabel(metric.replace("val_", "validation ").upper().replace("VALIDATION", "validation"))
    for ax in (ax_e, ax_t):
        ax.grid(alpha=0.3)
    ax_e.legend(fontsize=8)
    fig.suptitle(f"Convergence on {label} (mean ± std over seeds)", fontsize=11)
    fig.tight_layout()
    return fig
