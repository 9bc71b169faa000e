"""Tables and figures from per-run results: numbers, columns, tests and rendering."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from adago import figures, tables


def _runs(rows):
    out = []
    for dataset, method, seed, rmse, mae, epoch, secs in rows:
        out.append({"dataset": dataset, "method": method, "seed": seed, "rmse": rmse, "rmse_val": rmse,
                    "rmse_epoch": epoch, "rmse_seconds": secs, "mae": mae, "mae_val": mae, "mae_epoch": epoch + 1,
                    "mae_seconds": secs + 0.5, "epochs_run": epoch + 10, "stop_reason": "converged",
                    "wall_seconds": secs * 2, "max_rss_mb": 100.0,
                    "hyperparameters": json.dumps({"method": method, "lr": 0.001, "reg": 0.03, "batch": "rating"})})
    return pd.DataFrame(out)


RUNS = _runs([
    ("douban", "adago", 1, 0.740, 0.580, 40, 1.0), ("douban", "adago", 2, 0.742, 0.582, 44, 1.2),
    ("douban", "adago", 3, 0.741, 0.581, 42, 1.1),
    ("douban", "sgd", 1, 0.745, 0.585, 60, 0.5), ("douban", "sgd", 2, 0.748, 0.588, 62, 0.6),
    ("douban", "sgd", 3, 0.746, 0.586, 61, 0.55),
])


def test_error_table_gives_mean_and_sample_std_over_seeds():
    t4 = tables.error_table(RUNS, "rmse", ["douban"], ["adago", "sgd"])
    assert list(t4.columns) == ["dataset", "method", "n_runs", "rmse_mean", "rmse_std", "epoch_mean",
                                "epoch_std", "time_mean", "time_std"]
    row = t4.iloc[0]
    assert row["method"] == "adago" and row["n_runs"] == 3
    assert row["rmse_mean"] == pytest.approx(0.741) and row["rmse_std"] == pytest.approx(0.001)
    assert row["epoch_mean"] == pytest.approx(42) and row["epoch_std"] == pytest.approx(2)
    t5 = tables.error_table(RUNS, "mae", ["douban"], ["sgd", "adago"])
    assert t5["method"].tolist() == ["sgd", "adago"] and t5.iloc[1]["epoch_mean"] == pytest.approx(43)


def test_significance_pairs_runs_by_seed():
    sig = tables.significance(RUNS, ["adago", "sgd"])
    rmse = sig[sig["metric"] == "rmse"].iloc[0]
    assert rmse["n_pairs"] == 3 and rmse["diff_mean"] == pytest.approx(0.0053333, abs=1e-6)
    # differences 0.005, 0.006, 0.005: consistent, so the paired t-test is clearly significant
    assert rmse["ttest_p"] < 0.01


def test_significance_is_nan_for_a_single_pair():
    sig = tables.significance(RUNS[RUNS["seed"] == 1], ["adago", "sgd"])
    assert sig["n_pairs"].eq(1).all() and sig["ttest_p"].isna().all()


def test_markdown_and_latex_render_every_row_with_escaping():
    shown = tables.display_error_table(tables.error_table(RUNS, "rmse", ["douban"], ["adago", "sgd"]), "rmse",
                                       {"douban": "D2 Douban"})
    md = tables.to_markdown(shown)
    assert "| D2 Douban | M1 AdaGO | 0.7410 ± 0.0010 | 42 ± 2 |" in md
    tex = tables.to_latex(shown, "RMSE & more_stuff", "tab:t4")
    assert r"\pm" in tex and r"RMSE \& more\_stuff" in tex and tex.count(r"\\") == 3


def test_paper_comparison_gives_the_difference_to_the_paper():
    t4 = tables.error_table(RUNS, "rmse", ["douban"], ["adago", "sgd"])
    t5 = tables.error_table(RUNS, "mae", ["douban"], ["adago", "sgd"])
    text = tables.paper_comparison(t4, t5, {"douban": "D2 Douban"})
    assert "| D2 Douban | M1 AdaGO | 0.7410 ± 0.0010 | 0.7420 ± 0.0067 | -0.0010 |" in text


def test_collect_runs_joins_benchmarks_by_path(tmp_path):
    summary = {"dataset": "douban", "method": "adago", "seed": 3, "epochs_run": 50, "stop_reason": "converged",
               "hyperparameters": {"method": "adago"},
               "best": {"rmse": {"epoch": 40, "seconds": 1.5, "val_rmse": 0.73, "test_rmse": 0.74, "test_mae": 0.58},
                        "mae": {"epoch": 41, "seconds": 1.6, "val_mae": 0.57, "test_mae": 0.579, "test_rmse": 0.741}}}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    bench = tmp_path / "benchmarks/train/douban/adago/seed3.tsv"
    bench.parent.mkdir(parents=True)
    bench.write_text("s\th:m:s\tmax_rss\n12.5\t0:00:12\t321.0\n")
    runs = tables.collect_runs([tmp_path / "summary.json"], [bench])
    assert runs.loc[0, ["rmse", "mae_epoch", "wall_seconds", "max_rss_mb"]].tolist() == [0.74, 41, 12.5, 321.0]


def test_comparison_figure_has_one_panel_per_dataset(tmp_path):
    two = pd.concat([RUNS, RUNS.assign(dataset="ml1m")], ignore_index=True)
    fig = figures.comparison_figure(two, 2, {"douban": "D2", "ml1m": "D1"}, ["adago", "sgd"])
    assert [ax.get_title() for ax in fig.axes] == ["D2", "D1"]
    figures.save(fig, tmp_path / "f.png", tmp_path / "f.pdf")
    assert (tmp_path / "f.png").stat().st_size > 0 and (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"


def test_convergence_figure_handles_runs_of_different_lengths(tmp_path):
    def history(n, floor):
        e = np.arange(1, n + 1)
        return pd.DataFrame({"epoch": e, "seconds": e * 0.1, "val_rmse": floor + 1.0 / e})
    fig = figures.convergence_figure({"adago": [history(30, 0.7), history(20, 0.71)], "sgd": [history(25, 0.72)]}, "D2")
    assert len(fig.axes) == 2
    figures.save(fig, tmp_path / "c.png")
