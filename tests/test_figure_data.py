"""Figures read back: the numbers drawn by the Matplotlib artists equal the tables they come from.

Figures 2-7 show, per data set and method, the mean ± std over seeds of one column of the runs
table, which is exactly what Tables 4-5 report; the dots are the seeds' own values. The convergence
figure's thick line and band are the mean ± std over seeds of the validation curve.

The artists are found by type, not by drawing order or styling: an ``ErrorbarContainer`` gives a
mean (its data line) and a std (half its vertical bar), its x position (rounded) names the method
by the order of ``methods``; a marker with a white face is the paper's value, not ours, and must
be the value the paper reports (adago.paper).
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.container import ErrorbarContainer

from adago import figures, tables
from adago.paper import method_label, reported  # the legend's name of a method; the paper's values

METHODS = ["adago", "adam", "sgd"]
LABELS = {"douban": "D2 Douban", "ml1m": "D1 MovieLens"}
# figure -> (table metric, table column prefix): Figures 2-4 come from Table 4, 5-7 from Table 5
FROM_TABLE = {2: ("rmse", "rmse"), 3: ("rmse", "epoch"), 4: ("rmse", "time"),
              5: ("mae", "mae"), 6: ("mae", "epoch"), 7: ("mae", "time")}
WHITE = to_rgba("white")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def random_runs(seed: int = 4) -> pd.DataFrame:
    """Runs of 3 methods on 2 data sets with 2-4 seeds each; every column distinct."""
    rng = np.random.default_rng(seed)
    rows = []
    for dataset in ("ml1m", "douban"):
        for method in METHODS:
            for s in range(1, int(rng.integers(2, 5)) + 1):
                rows.append({"dataset": dataset, "method": method, "seed": s,
                             "rmse": rng.uniform(0.72, 0.9), "rmse_val": rng.uniform(0.72, 0.9),
                             "rmse_epoch": int(rng.integers(5, 200)), "rmse_seconds": rng.uniform(1, 50),
                             "mae": rng.uniform(0.55, 0.7), "mae_val": rng.uniform(0.55, 0.7),
                             "mae_epoch": int(rng.integers(5, 200)), "mae_seconds": rng.uniform(1, 50),
                             "epochs_run": 210, "stop_reason": "converged", "status": "complete", "wall_seconds": 60.0,
                             "max_rss_mb": 100.0, "hyperparameters": json.dumps({"method": method})})
    return pd.DataFrame(rows, columns=tables.RUN_COLUMNS)


def drawn_errorbars(ax, paper: bool = False) -> dict[str, tuple[float, float]]:
    """Mean and std per method from the error bars drawn in ``ax``: ours, or the paper's (hollow)."""
    out = {}
    for c in ax.containers:
        if not isinstance(c, ErrorbarContainer):
            continue
        line, _caps, bars = c.lines
        if (to_rgba(line.get_markerfacecolor()) == WHITE) != paper:
            continue
        (x,), (mean,) = line.get_data()
        (seg,) = bars[0].get_segments()  # one vertical bar: (x, mean - std) to (x, mean + std)
        low, high = sorted(seg[:, 1])
        assert mean - low == pytest.approx(high - mean, rel=1e-9, abs=1e-12), "asymmetric bar"
        method = METHODS[int(round(x))]
        assert method not in out, f"two error bars for {method}"
        out[method] = (float(mean), float(high - mean))
    return out


def drawn_dots(ax) -> dict[str, list[float]]:
    """The seeds' values per method, from the scatter dots drawn in ``ax``."""
    out: dict[str, list[float]] = {}
    for coll in ax.collections:
        if isinstance(coll, PathCollection):
            for x, y in coll.get_offsets():
                out.setdefault(METHODS[int(round(x))], []).append(float(y))
    return out


def panels(fig) -> dict[str, object]:
    """Panel axes by data set, from their titles."""
    by_title = {ax.get_title(): ax for ax in fig.axes}
    return {d: by_title[label] for d, label in LABELS.items() if label in by_title}


@pytest.mark.parametrize("number", sorted(FROM_TABLE))
def test_comparison_figure_draws_the_tables_mean_and_std(number):
    runs = random_runs()
    metric, prefix = FROM_TABLE[number]
    table = tables.error_table(runs, metric, list(LABELS), METHODS).set_index(["dataset", "method"])
    fig = figures.comparison_figure(runs, number, LABELS, METHODS)
    drawn = panels(fig)
    assert set(drawn) == set(LABELS)
    for dataset, ax in drawn.items():
        bars = drawn_errorbars(ax)
        assert set(bars) == set(METHODS)
        for method, (mean, std) in bars.items():
            row = table.loc[(dataset, method)]
            assert mean == pytest.approx(row[f"{prefix}_mean"], rel=1e-12), (dataset, method)
            assert std == pytest.approx(row[f"{prefix}_std"], rel=1e-9), (dataset, method)


def drawn_figure(number: int):
    """(runs, the runs.csv column drawn, panel axes by data set) of Figure ``number`` on random runs."""
    runs = random_runs()
    return runs, figures.FIGURES[number][0], panels(figures.comparison_figure(runs, number, LABELS, METHODS))


@pytest.mark.parametrize("number", sorted(FROM_TABLE))
def test_comparison_figure_draws_every_seed_as_a_dot(number):
    runs, column, drawn = drawn_figure(number)
    for dataset, ax in drawn.items():
        dots = drawn_dots(ax)
        for method in METHODS:
            want = runs.loc[(runs["dataset"] == dataset) & (runs["method"] == method), column]
            assert sorted(dots[method]) == pytest.approx(sorted(want.astype(float)), rel=1e-12)


@pytest.mark.parametrize("number", sorted(FROM_TABLE))
def test_comparison_figure_draws_the_papers_values_where_the_paper_has_them(number):
    _, column, drawn = drawn_figure(number)
    for dataset, ax in drawn.items():
        theirs = drawn_errorbars(ax, paper=True)
        want = {m: reported(dataset, m, column) for m in METHODS if reported(dataset, m, column)}
        assert want, "the paper reports both data sets"
        assert theirs.keys() == want.keys()
        for method, (mean, std) in theirs.items():
            assert (mean, std) == (pytest.approx(want[method][0], rel=1e-12), pytest.approx(want[method][1], rel=1e-12))


@pytest.mark.parametrize("number", [3, 4, 6, 7])
def test_the_papers_value_is_written_at_the_top_of_its_error_bar(number):
    # Epoch and time figures write each value above its bar; the paper's label belongs to the
    # paper's (hollow) marker, the top of that marker's bar.
    _, _, drawn = drawn_figure(number)
    for ax in drawn.values():
        theirs = drawn_errorbars(ax, paper=True)
        labels = {t.get_text(): t.xy for t in ax.texts if to_rgba(t.get_color()) == to_rgba(figures.PAPER_COLOR)}
        assert len(labels) == len(theirs)
        for method, (mean, std) in theirs.items():
            x, y = labels[figures._short(mean)]
            assert (x, y) == (pytest.approx(METHODS.index(method) + 0.18), pytest.approx(mean + std, rel=1e-12))


@pytest.mark.parametrize("number", sorted(FROM_TABLE))
def test_epoch_and_time_axes_start_at_zero_error_axes_do_not(number):
    runs, column, drawn = drawn_figure(number)
    for dataset, ax in drawn.items():
        bottom, top = ax.get_ylim()
        if column in ("rmse", "mae"):
            assert bottom > 0.5  # zoomed on the errors, which differ in the third decimal
        else:
            assert bottom == 0
        assert top >= runs.loc[runs["dataset"] == dataset, column].max()  # nothing cut off


def test_a_method_with_one_seed_is_drawn_without_spread():
    runs = random_runs()
    runs = runs[(runs["method"] != "sgd") | (runs["seed"] == 1)]
    fig = figures.comparison_figure(runs, 2, LABELS, METHODS)
    for dataset, ax in panels(fig).items():
        mean, std = drawn_errorbars(ax)["sgd"]
        one = runs.loc[(runs["dataset"] == dataset) & (runs["method"] == "sgd"), "rmse"]
        assert (mean, std) == (pytest.approx(float(one.iloc[0]), rel=1e-12), 0.0)


def _histories(seed: int, lengths: list[int], floor: float) -> list[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    out = []
    for n in lengths:
        e = np.arange(1, n + 1)
        out.append(pd.DataFrame({"epoch": e, "seconds": np.cumsum(rng.uniform(0.1, 0.2, n)),
                                 "val_rmse": floor + 1.0 / e + 0.002 * e / n + rng.normal(0, 0.01, n),
                                 "val_mae": floor - 0.2 + 0.8 / e + 0.002 * e / n + rng.normal(0, 0.01, n)}))
    return out


HISTORIES = {"adago": _histories(1, [30, 22, 26], 0.70), "sgd": _histories(2, [30, 30, 18, 25], 0.75)}


def _epoch_axis(fig):
    (ax,) = [a for a in fig.axes if a.get_xlabel() == "epoch"]
    return ax


@pytest.mark.parametrize("metric", ["val_rmse", "val_mae"])
def test_convergence_figure_draws_the_mean_and_std_over_all_seeds_per_epoch(metric):
    """Mean ± std over every seed at every epoch, a stopped seed counting with its last value."""
    fig = figures.convergence_figure(HISTORIES, "D2 Douban", metric=metric)
    ax = _epoch_axis(fig)
    for method, hs in HISTORIES.items():
        longest = max(len(h) for h in hs)
        wide = np.array([[h[metric].iloc[min(k, len(h) - 1)] for k in range(longest)] for h in hs])
        mean, std = wide.mean(axis=0), wide.std(axis=0, ddof=1)
        (line,) = [ln for ln in ax.get_lines() if ln.get_label().startswith(method_label(method))]
        x, y = line.get_data()
        np.testing.assert_array_equal(x, np.arange(1, longest + 1))
        np.testing.assert_allclose(y, mean, rtol=1e-12)
        color = to_rgba(line.get_color())[:3]
        (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)
                   and tuple(c.get_facecolor()[0][:3]) == color]
        verts = band.get_paths()[0].vertices
        for k in range(longest):
            ys = verts[np.isclose(verts[:, 0], k + 1), 1]
            assert ys.min() == pytest.approx(mean[k] - std[k], rel=1e-9)
            assert ys.max() == pytest.approx(mean[k] + std[k], rel=1e-9)


def _markers(ax, color) -> list[tuple[float, float]]:
    """Single-point marker artists of one colour: the seeds' best-epoch marks."""
    return sorted((float(ln.get_xdata()[0]), float(ln.get_ydata()[0])) for ln in ax.get_lines()
                  if len(ln.get_xdata()) == 1 and ln.get_marker() == "o" and to_rgba(ln.get_color())[:3] == color)


def test_convergence_figure_marks_each_seeds_best_epoch_on_both_axes():
    best = {"adago": [5, 9, 22], "sgd": [30, 1, 18, 7]}
    fig = figures.convergence_figure(HISTORIES, "D2 Douban", best_epochs=best)
    ax_e = _epoch_axis(fig)
    (ax_t,) = [a for a in fig.axes if a is not ax_e and a.get_xlabel()]
    for method, hs in HISTORIES.items():
        color = to_rgba(figures.COLORS[method])[:3]
        rows = [h.iloc[b - 1] for h, b in zip(hs, best[method])]
        assert _markers(ax_e, color) == sorted((float(r["epoch"]), float(r["val_rmse"])) for r in rows)
        assert _markers(ax_t, color) == sorted((float(r["seconds"]), float(r["val_rmse"])) for r in rows)
        # and their mean ± std on the seconds axis, as a diamond with error bars in both directions
        (c,) = [c for c in ax_t.containers if isinstance(c, ErrorbarContainer)
                and to_rgba(c.lines[0].get_color())[:3] == color]
        (x,), (y,) = c.lines[0].get_data()
        assert x == pytest.approx(np.mean([r["seconds"] for r in rows]), rel=1e-12)
        assert y == pytest.approx(np.mean([r["val_rmse"] for r in rows]), rel=1e-12)
        # the bars' half-lengths are the sample std (ddof=1) over the seeds, in time and in error
        half = {}
        for bars in c.lines[2]:
            ((x0, y0), (x1, y1)), = bars.get_segments()
            half["x" if y0 == y1 else "y"] = (abs(x1 - x0) / 2, abs(y1 - y0) / 2)
        assert half["x"][0] == pytest.approx(np.std([r["seconds"] for r in rows], ddof=1), rel=1e-9)
        assert half["y"][1] == pytest.approx(np.std([r["val_rmse"] for r in rows], ddof=1), rel=1e-9)


@pytest.mark.parametrize("metric", ["val_rmse", "val_mae"])
def test_convergence_figure_zoom_keeps_every_best_epoch_and_mean_curve_in_view(metric):
    # The epoch axis zooms on where the curves bottom out; nothing of that bottom may fall outside.
    fig = figures.convergence_figure(HISTORIES, "D2 Douban", metric=metric)
    ax = _epoch_axis(fig)
    bottom, top = ax.get_ylim()
    for method in HISTORIES:
        color = to_rgba(figures.COLORS[method])[:3]
        for _, y in _markers(ax, color):
            assert bottom < y < top, (method, y, (bottom, top))
        (line,) = [ln for ln in ax.get_lines() if ln.get_label().startswith(method_label(method))]
        assert bottom < line.get_ydata().min() < top


def test_convergence_figure_marks_the_lowest_epoch_by_default():
    fig = figures.convergence_figure(HISTORIES, "D2 Douban")
    ax = _epoch_axis(fig)
    for method, hs in HISTORIES.items():
        color = to_rgba(figures.COLORS[method])[:3]
        want = sorted((float(h["val_rmse"].idxmin() + 1), float(h["val_rmse"].min())) for h in hs)
        assert _markers(ax, color) == want
