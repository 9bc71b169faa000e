"""Tables and figures from per-run results: numbers, columns, tests and rendering."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from adago import claims, figures, tables


def _runs(rows, protocol="paper"):
    out = []
    for dataset, method, seed, rmse, mae, epoch, secs in rows:
        out.append({"protocol": protocol, "dataset": dataset, "method": method, "seed": seed, "rmse": rmse,
                    "rmse_val": rmse, "rmse_epoch": epoch, "rmse_seconds": secs, "rmse_stop_epoch": epoch + 11,
                    "mae": mae, "mae_val": mae, "mae_epoch": epoch + 1, "mae_seconds": secs + 0.5,
                    "mae_stop_epoch": epoch + 12, "stopping": "authors, separate", "clip": False,
                    "epochs_run": epoch + 12, "stop_reason": "converged",
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
    assert list(t4.columns) == ["dataset", "method", "n_runs", "n_diverged", "rmse_mean", "rmse_std", "epoch_mean",
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


def test_paper_comparison_gives_each_protocol_and_the_difference_to_the_paper():
    pair = lambda runs: tuple(tables.error_table(runs, m, ["douban"], ["adago", "sgd"]) for m in ("rmse", "mae"))  # noqa: E731
    shifted = RUNS.assign(rmse=RUNS["rmse"] - 0.002)
    text = tables.paper_comparison({"paper": pair(RUNS), "tuned": pair(shifted)}, {"douban": "D2 Douban"})
    assert "| D2 Douban | M1 AdaGO | paper | 0.7410 ± 0.0010 | 0.7420 ± 0.0067 | -0.0010 |" in text
    assert "| D2 Douban | M1 AdaGO | tuned | 0.7390 ± 0.0010 | 0.7420 ± 0.0067 | -0.0030 |" in text


def test_collect_runs_joins_benchmarks_by_path(tmp_path):
    stop = {"rule": "authors", "mode": "separate", "stop_reason": "converged"}
    summary = {"protocol": "paper", "dataset": "douban", "method": "adago", "seed": 3, "epochs_run": 52,
               "status": "complete", "split": {"sha256": "0" * 64}, "wall_seconds": 2.1, "threads": 1,
               "stop_reason": "converged", "hyperparameters": {"method": "adago"},
               "evaluation": {"clip": False, "stopping": {"rule": "authors", "mode": "separate"}},
               "best": {"rmse": {"epoch": 40, "seconds": 1.5, "val_rmse": 0.73, "test_rmse": 0.74, "test_mae": 0.58,
                                 "stop_epoch": 51, "stop_seconds": 1.9, **stop},
                        "mae": {"epoch": 41, "seconds": 1.6, "val_mae": 0.57, "test_mae": 0.579, "test_rmse": 0.741,
                                "stop_epoch": 52, "stop_seconds": 2.0, **stop}}}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    bench = tmp_path / "benchmarks/train/paper/douban/adago/seed3.tsv"
    other = tmp_path / "benchmarks/train/tuned/douban/adago/seed3.tsv"  # the other protocol's run
    for path, seconds in ((bench, 12.5), (other, 99.0)):
        path.parent.mkdir(parents=True)
        path.write_text(f"s\th:m:s\tmax_rss\n{seconds}\t0:00:12\t321.0\n")
    runs = tables.collect_runs([tmp_path / "summary.json"], [bench, other])
    assert runs.loc[0, ["protocol", "rmse", "mae_epoch", "rmse_stop_epoch", "wall_seconds", "max_rss_mb"]].tolist() \
        == ["paper", 0.74, 41, 51, 12.5, 321.0]
    assert runs.loc[0, "stopping"] == "authors, separate" and not runs.loc[0, "clip"]


# ------------------------------------------------------------------ diverged runs
def _with_diverged(runs, method, seeds):
    """``runs`` where ``method``'s runs of ``seeds`` diverged: no results, status 'diverged'."""
    out = runs.assign(status="complete", diverged_epoch=np.nan)
    hit = (out["method"] == method) & out["seed"].isin(seeds)
    out.loc[hit, ["rmse", "rmse_val", "rmse_epoch", "rmse_seconds", "mae", "mae_val", "mae_epoch", "mae_seconds"]] = np.nan
    out.loc[hit, "status"] = "diverged"
    out.loc[hit, "diverged_epoch"] = 7
    return out


def test_error_tables_average_the_finished_runs_and_count_the_diverged_ones():
    runs = _with_diverged(RUNS, "sgd", [2])
    t4 = tables.error_table(runs, "rmse", ["douban"], ["adago", "sgd"]).set_index("method")
    assert t4.loc["sgd", "n_runs"] == 2 and t4.loc["sgd", "n_diverged"] == 1
    assert t4.loc["sgd", "rmse_mean"] == pytest.approx((0.745 + 0.746) / 2)
    assert t4.loc["adago", "n_runs"] == 3 and t4.loc["adago", "n_diverged"] == 0
    shown = tables.display_error_table(t4.reset_index(), "rmse", {})
    assert shown["Runs"].tolist() == ["3", "2 (+1 diverged)"]
    assert "1 run diverged and is left out" in tables.diverged_note(t4)
    assert tables.diverged_note(tables.error_table(RUNS, "rmse", ["douban"], ["adago", "sgd"])) == ""
    with warnings.catch_warnings():  # the two remaining differences are equal: scipy warns, rightly
        warnings.simplefilter("ignore", RuntimeWarning)
        sig = tables.significance(runs, ["adago", "sgd"])
    assert (sig["n_pairs"] == 2).all(), "only complete runs pair up"


def test_a_method_whose_runs_all_diverged_keeps_its_row_with_no_statistics():
    runs = _with_diverged(RUNS, "sgd", [1, 2, 3])
    t5 = tables.error_table(runs, "mae", ["douban"], ["adago", "sgd"]).set_index("method")
    assert t5.loc["sgd", "n_runs"] == 0 and t5.loc["sgd", "n_diverged"] == 3 and np.isnan(t5.loc["sgd", "mae_mean"])
    text = tables.paper_comparison({"paper": (tables.error_table(runs, "rmse", ["douban"], ["adago", "sgd"]), t5.reset_index())},
                                   {"douban": "D2"})
    assert "| D2 | M3 Extended-SGD LF | paper | – (3 diverged) |" in text and "nan" not in text


def test_claims_pair_complete_runs_only_and_say_how_many_diverged_runs_were_left_out():
    runs = _with_diverged(RUNS, "sgd", [2])
    table = claims.claims_table(runs, ["douban"], ["paper"])
    sgd = table[table["other"] == "sgd"]
    assert (sgd["n_pairs"] == 2).all() and (sgd["n_diverged"] == 1).all()
    shown = claims.display(table, {"douban": "D2"})
    assert set(shown.loc[table["other"] == "sgd", "Pairs"]) == {"2 (1 diverged run left out)"}
    all_lost = claims.claims_table(_with_diverged(RUNS, "sgd", [1, 2, 3]), ["douban"], ["paper"])
    row = all_lost[(all_lost["other"] == "sgd") & (all_lost["metric"] == "rmse")].iloc[0]
    assert row["n_pairs"] == 0 and row["n_diverged"] == 3 and row["verdict"] == "not distinguishable"


def test_figures_mark_diverged_runs_and_leave_them_out_of_the_mean(tmp_path):
    runs = _with_diverged(RUNS, "sgd", [2])
    fig = figures.comparison_figure(runs, 3, {"douban": "D2"}, ["adago", "sgd"])
    ax = fig.axes[0]
    assert "✕ 1 diverged" in [t.get_text() for t in ax.texts]
    assert pytest.approx(60.5) in [y for _, y in _errorbar_centres(ax)], "sgd's mean over its two finished seeds"
    assert "1 diverged run left out" in fig._suptitle.get_text()
    figures.save(fig, tmp_path / "f.png")

    finished, lost = _history(30, 0.7), _history(6, 0.9)
    conv = figures.convergence_figure({"adago": [finished], "sgd": [_history(25, 0.72), lost]}, "D2",
                                      {"adago": [30], "sgd": [25, None]})
    ax_e = conv.axes[0]
    crosses = [line for line in ax_e.lines if line.get_marker() == "x"]
    assert len(crosses) == 1 and crosses[0].get_xdata()[0] == 6, "a cross where the run diverged"
    sgd_mean = next(line for line in ax_e.lines if line.get_label().startswith("M3"))
    assert "(1 seed, 1 diverged ✕)" in sgd_mean.get_label()
    assert sgd_mean.get_ydata() == pytest.approx(_history(25, 0.72)["val_rmse"]), "the mean is over finished seeds"
    figures.save(conv, tmp_path / "c.png")


def test_comparison_figure_has_one_panel_per_dataset(tmp_path):
    two = pd.concat([RUNS, RUNS.assign(dataset="ml1m_like")], ignore_index=True)
    fig = figures.comparison_figure(two, 2, {"douban": "D2", "ml1m_like": "D1'"}, ["adago", "sgd"])
    assert [ax.get_title() for ax in fig.axes[:2]] == ["D2", "D1'"]
    figures.save(fig, tmp_path / "f.png", tmp_path / "f.pdf")
    assert (tmp_path / "f.png").stat().st_size > 0 and (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"


def _errorbar_centres(ax):
    """(x, y) of every error-bar marker drawn on ``ax``."""
    return sorted((float(line.get_xdata()[0]), float(line.get_ydata()[0]))
                  for line in ax.lines if line.get_marker() == "o" and len(line.get_xdata()) == 1)


def test_comparison_figure_draws_the_papers_values_beside_ours_where_the_paper_has_the_data_set():
    two = pd.concat([RUNS, RUNS.assign(dataset="ml1m_like")], ignore_index=True)
    fig = figures.comparison_figure(two, 3, {"douban": "D2", "ml1m_like": "D1'"}, ["adago", "sgd"])
    douban, stand_in = fig.axes[:2]
    ys = [y for _, y in _errorbar_centres(douban)]
    assert 435 in ys and 267 in ys, "Table 4's Douban epochs, beside ours"
    assert pytest.approx(42) in ys and pytest.approx(61) in ys
    assert [y for _, y in _errorbar_centres(stand_in)] == pytest.approx([42, 61]), "no paper values for a stand-in"
    assert douban.get_ylim()[0] == 0 and stand_in.get_ylim()[0] == 0, "epoch axes start at zero"
    rmse = figures.comparison_figure(RUNS, 2, {"douban": "D2"}, ["adago", "sgd"])
    assert rmse.axes[0].get_ylim()[0] > 0.5, "the error axis is not forced to zero"


def _history(n, floor):
    e = np.arange(1, n + 1)
    return pd.DataFrame({"epoch": e, "seconds": e * 0.1, "val_rmse": floor + 1.0 / e})


def test_convergence_figure_keeps_stopped_seeds_in_the_mean_and_marks_best_epochs(tmp_path):
    long, short = _history(30, 0.7), _history(20, 0.8)
    fig = figures.convergence_figure({"adago": [long, short], "sgd": [_history(25, 0.72)]}, "D2",
                                     {"adago": [30, 12], "sgd": [25]})
    ax_e, ax_t = fig.axes[:2]
    mean = next(line for line in ax_e.lines if line.get_label().startswith("M1"))
    assert len(mean.get_xdata()) == 30, "the mean runs to the longest seed"
    # After epoch 20 the short run contributes its last value: mean = (long + short's last) / 2.
    assert mean.get_ydata()[24] == pytest.approx((long["val_rmse"][24] + short["val_rmse"].iloc[-1]) / 2)
    marks = [(line.get_xdata()[0], line.get_ydata()[0]) for line in ax_e.lines
             if line.get_marker() == "o" and len(line.get_xdata()) == 1]
    assert (12, pytest.approx(short["val_rmse"][11])) in marks, "each seed's best epoch is marked"
    assert ax_e.get_xlim()[0] == 0 and ax_t.get_xlim()[0] == 0
    figures.save(fig, tmp_path / "c.png")


# ------------------------------------------------------------------ claims
def test_holm_adjusts_known_p_values_step_down_and_keeps_their_order():
    # m = 4: sorted 0.01, 0.02, 0.03, 0.04 -> 4*0.01, 3*0.02, max(2*0.03, .06), max(1*0.04, .06).
    adjusted = claims.holm([0.03, 0.01, 0.04, 0.02])
    assert adjusted.tolist() == pytest.approx([0.06, 0.04, 0.06, 0.06])
    assert claims.holm([0.5, float("nan"), 0.01]).tolist()[::2] == pytest.approx([0.5, 0.02])
    assert np.isnan(claims.holm([0.5, float("nan"), 0.01])[1]), "NaN stays NaN and is not counted"
    assert claims.holm([0.9, 0.3]).tolist() == pytest.approx([0.9, 0.6])
    assert claims.holm([0.9, 0.8]).tolist() == [1.0, 1.0], "capped at 1"


@pytest.mark.parametrize("diff, holm_p, expected", [
    (0.001, 0.01, "confirmed"), (-0.001, 0.01, "refuted"), (0.001, 0.05, "not distinguishable"),
    (-0.5, 0.2, "not distinguishable"), (0.001, float("nan"), "not distinguishable"),
    (0.0, 0.0, "not distinguishable"),
])
def test_verdict_needs_a_holm_p_below_alpha_and_takes_the_sign_of_the_difference(diff, holm_p, expected):
    assert claims.verdict(diff, holm_p) == expected


def test_paired_statistics_and_confidence_interval():
    out = claims.paired([1.0, 2.0, 3.0, 4.0], [2.0, 3.5, 3.5, 5.0])  # d = 1, 1.5, 0.5, 1
    assert out["n_pairs"] == 4 and out["diff_mean"] == pytest.approx(1.0)
    half = 3.182446 * np.std([1, 1.5, 0.5, 1], ddof=1) / 2  # t(0.975, 3) * sd / sqrt(4)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((1 - half, 1 + half), rel=1e-5)
    t = 1.0 / (np.std([1, 1.5, 0.5, 1], ddof=1) / 2)
    assert out["ttest_p"] == pytest.approx(2 * stats.t.sf(t, 3), rel=1e-9)
    assert claims.paired([1.0, 2.0], [2.0, 3.0])["ttest_p"] == 0.0, "identical non-zero differences"
    assert np.isnan(claims.paired([1.0, 2.0], [1.0, 2.0])["ttest_p"]), "no difference, no evidence"


def test_claims_table_rows_columns_and_verdicts():
    seeds = range(1, 11)
    rows = []
    for s in seeds:  # AdaGO clearly better than Adam on RMSE, clearly worse than SGD; MAE equal-ish
        jitter = 0.0001 * ((s * 7) % 5)
        rows += [("douban", "adago", s, 0.740 + jitter, 0.58 + jitter, 40 + s, 1.0),
                 ("douban", "adam", s, 0.745 + jitter, 0.58 + 2 * jitter, 90 + s, 2.0 + 0.01 * s),
                 ("douban", "sgd", s, 0.735 + jitter, 0.58 + jitter * (-1) ** s, 60, 0.5)]
    runs = pd.concat([_runs(rows), _runs(rows, "tuned")], ignore_index=True)
    table = claims.claims_table(runs, ["douban"], ["paper", "tuned"])
    assert list(table.columns) == ["claim", "dataset", "protocol", "metric", "reference", "other", "n_pairs",
                                   "diff_mean", "ci_low", "ci_high", "ttest_p", "wilcoxon_p", "holm_p", "verdict",
                                   "paper_diff", "n_diverged"]
    assert len(table) == 2 * len(claims.CLAIMS) and (table["n_pairs"] == 10).all()
    paper = table[table["protocol"] == "paper"].set_index(["metric", "other"])
    assert paper.loc[("rmse", "adam"), "verdict"] == "confirmed"
    assert paper.loc[("rmse", "sgd"), "verdict"] == "refuted"
    assert paper.loc[("rmse_epoch", "adam"), "verdict"] == "confirmed"
    assert paper.loc[("mae", "sgd"), "verdict"] == "not distinguishable"
    assert paper.loc[("rmse", "adam"), "diff_mean"] == pytest.approx(0.005)
    assert paper.loc[("rmse", "adam"), "paper_diff"] == pytest.approx(0.7431 - 0.7420)
    assert (table["holm_p"].dropna() >= table["ttest_p"].dropna()).all()
    shown = claims.display(table, {"douban": "D2 Douban"})
    assert shown.iloc[0]["Δ = other − AdaGO [95% CI]"].startswith("+0.0050 [")


def test_timing_noise_cannot_move_the_adjusted_p_or_verdict_of_a_result_claim():
    """Holm adjusts result claims (RMSE, MAE, epochs) and wall-clock claims as two families, so the
    same seeds on another machine give the same result verdicts however the timings come out."""
    rows = []
    for s in range(1, 9):
        e = 0.0003 * ((s * 5) % 7)
        rows += [("douban", "adago", s, 0.740 + e, 0.58 + e, 40 + s, 1.0 + 0.1 * s),
                 ("douban", "adam", s, 0.7415 + e + 0.0002 * (s % 3), 0.5805 + e, 44 + s, 1.0 + 0.1 * s),
                 ("douban", "sgd", s, 0.740 + e + 0.0004 * (-1) ** s, 0.58 + e, 40 + s % 4, 1.0)]
    runs = _runs(rows)
    fast = runs.copy()
    fast.loc[fast["method"] == "adam", ["rmse_seconds", "mae_seconds"]] = 9.0 + fast["seed"] * 1e-3
    before, after = (claims.claims_table(r, ["douban"], ["paper"]) for r in (runs, fast))
    result = before["metric"].map(claims.family) == "result"
    assert (after.loc[~result, "holm_p"] < 0.05).all() and before.loc[~result, "holm_p"].isna().all(), \
        "the timing claims did change: from no difference to a significant one"
    pd.testing.assert_series_equal(after.loc[result, "holm_p"], before.loc[result, "holm_p"])
    pd.testing.assert_series_equal(after.loc[result, "verdict"], before.loc[result, "verdict"])
    for family, rows_of_family in before.groupby(before["metric"].map(claims.family)):
        assert rows_of_family["holm_p"].tolist() == pytest.approx(claims.holm(rows_of_family["ttest_p"]).tolist(),
                                                                   nan_ok=True), family
