"""Tables 4-5 and the significance table: exact values on hand-made runs tables.

Every column of a run differs from the others (errors, epochs, seconds, and RMSE- vs MAE-side),
and the spreads are chosen so that ddof=0 and ddof=1 give different numbers, so a statistic taken
from the wrong column or with the wrong ddof cannot match.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from adago import tables

# (dataset, method, seed): rmse, rmse_epoch, rmse_seconds, mae, mae_epoch, mae_seconds
HAND = {
    ("douban", "adago", 1): (0.70, 10, 1.0, 0.50, 12, 1.5),
    ("douban", "adago", 2): (0.72, 20, 2.0, 0.56, 13, 2.5),
    ("douban", "adago", 3): (0.77, 60, 4.0, 0.53, 17, 6.5),
    ("douban", "sgd", 1): (0.80, 5, 0.25, 0.60, 7, 0.5),
    ("douban", "sgd", 2): (0.90, 7, 0.75, 0.70, 9, 1.5),
}


def runs_table(cells: dict) -> pd.DataFrame:
    rows = []
    for (dataset, method, seed), (rmse, r_ep, r_s, mae, m_ep, m_s) in cells.items():
        rows.append({"dataset": dataset, "method": method, "seed": seed,
                     "rmse": rmse, "rmse_val": rmse + 0.01, "rmse_epoch": r_ep, "rmse_seconds": r_s,
                     "mae": mae, "mae_val": mae + 0.01, "mae_epoch": m_ep, "mae_seconds": m_s,
                     "epochs_run": max(r_ep, m_ep) + 10, "stop_reason": "converged", "status": "complete",
                     "wall_seconds": 100.0 + seed, "max_rss_mb": 50.0,
                     "hyperparameters": json.dumps({"method": method})})
    return pd.DataFrame(rows, columns=tables.RUN_COLUMNS)


def _row(table: pd.DataFrame, method: str) -> pd.Series:
    return table.set_index("method").loc[method]


def test_table4_time_is_mean_and_sample_std_of_seconds_to_best_rmse():
    t4 = tables.error_table(runs_table(HAND), "rmse", ["douban"], ["adago", "sgd"])
    a, s = _row(t4, "adago"), _row(t4, "sgd")
    # adago seconds 1, 2, 4: mean 7/3; squared deviations 16/9 + 1/9 + 25/9 = 42/9, / (3 - 1) = 7/3
    assert a["time_mean"] == pytest.approx(7 / 3, rel=1e-12)
    assert a["time_std"] == pytest.approx(math.sqrt(7 / 3), rel=1e-12)
    # sgd seconds 0.25, 0.75: mean 0.5, sample std sqrt(2 * 0.25^2 / 1)
    assert s["time_mean"] == pytest.approx(0.5, rel=1e-12)
    assert s["time_std"] == pytest.approx(math.sqrt(0.125), rel=1e-12)


def test_table5_time_is_mean_and_sample_std_of_seconds_to_best_mae():
    t5 = tables.error_table(runs_table(HAND), "mae", ["douban"], ["adago", "sgd"])
    a, s = _row(t5, "adago"), _row(t5, "sgd")
    # adago seconds 1.5, 2.5, 6.5: mean 3.5; deviations 4 + 1 + 9 = 14, / 2 = 7
    assert a["time_mean"] == pytest.approx(3.5, rel=1e-12)
    assert a["time_std"] == pytest.approx(math.sqrt(7.0), rel=1e-12)
    assert s["time_mean"] == pytest.approx(1.0, rel=1e-12)
    assert s["time_std"] == pytest.approx(math.sqrt(0.5), rel=1e-12)


def test_tables_4_and_5_errors_and_epochs_are_exact():
    t4 = tables.error_table(runs_table(HAND), "rmse", ["douban"], ["adago", "sgd"])
    a = _row(t4, "adago")
    assert a["n_runs"] == 3
    assert a["rmse_mean"] == pytest.approx(0.73, rel=1e-12)
    # deviations -0.03, -0.01, 0.04: (9 + 1 + 16)e-4 / 2 = 13e-4
    assert a["rmse_std"] == pytest.approx(math.sqrt(13e-4), rel=1e-10)
    # epochs 10, 20, 60: mean 30, deviations 400 + 100 + 900 = 1400, / 2 = 700
    assert a["epoch_mean"] == pytest.approx(30.0, rel=1e-12)
    assert a["epoch_std"] == pytest.approx(math.sqrt(700.0), rel=1e-12)
    t5 = tables.error_table(runs_table(HAND), "mae", ["douban"], ["adago", "sgd"])
    b = _row(t5, "adago")
    assert b["mae_mean"] == pytest.approx(0.53, rel=1e-12)
    assert b["mae_std"] == pytest.approx(0.03, rel=1e-10)  # deviations -0.03, 0.03, 0
    assert b["epoch_mean"] == pytest.approx(14.0, rel=1e-12)  # 12, 13, 17
    assert b["epoch_std"] == pytest.approx(math.sqrt(7.0), rel=1e-12)  # 4 + 1 + 9 = 14, / 2


def test_a_single_run_has_no_spread():
    one = {k: v for k, v in HAND.items() if k[2] == 1}
    t4 = tables.error_table(runs_table(one), "rmse", ["douban"], ["adago", "sgd"])
    assert t4["n_runs"].tolist() == [1, 1]
    assert t4[["rmse_std", "epoch_std", "time_std"]].isna().all().all()
    assert _row(t4, "sgd")["time_mean"] == 0.25


@pytest.mark.parametrize("metric", ["rmse", "mae"])
def test_every_cell_of_tables_4_and_5_matches_numpy_on_a_random_runs_table(metric):
    rng = np.random.default_rng(5)
    cells = {}
    for dataset in ("ml1m", "douban"):
        for method in ("adago", "adam", "sgd"):
            for seed in range(1, int(rng.integers(2, 6)) + 1):
                cells[(dataset, method, seed)] = (rng.uniform(0.7, 0.9), int(rng.integers(5, 90)), rng.uniform(1, 9),
                                                  rng.uniform(0.5, 0.7), int(rng.integers(5, 90)), rng.uniform(1, 9))
    t = tables.error_table(runs_table(cells), metric, ["ml1m", "douban"], ["sgd", "adago", "adam"])
    assert list(zip(t["dataset"], t["method"])) == [(d, m) for d in ("ml1m", "douban") for m in ("sgd", "adago", "adam")]
    offset = 0 if metric == "rmse" else 3
    for row in t.itertuples():
        runs = [v for (d, m, _), v in cells.items() if (d, m) == (row.dataset, row.method)]
        for col, k in ((metric, 0), ("epoch", 1), ("time", 2)):
            x = np.array([r[offset + k] for r in runs], dtype=float)
            assert getattr(row, f"{col}_mean") == pytest.approx(x.mean(), rel=1e-12), col
            assert getattr(row, f"{col}_std") == pytest.approx(x.std(ddof=1), rel=1e-12), col
        assert row.n_runs == len(runs)


def test_display_shows_the_time_mean_and_std_with_two_decimals():
    t4 = tables.error_table(runs_table(HAND), "rmse", ["douban"], ["adago", "sgd"])
    shown = tables.display_error_table(t4, "rmse", {"douban": "Douban"})
    assert shown["Time (s)"].tolist() == [f"{7 / 3:.2f} ± {math.sqrt(7 / 3):.2f}", "0.50 ± 0.35"]
    assert shown["Epoch"].tolist() == [f"30 ± {math.sqrt(700):.0f}", "6 ± 1"]


# ------------------------------------------------------------------------------ significance
def _pairs(ref: list[float], other: list[float], metric: str = "rmse") -> pd.DataFrame:
    """A runs table with ``ref`` for adago and ``other`` for sgd, seed k at position k - 1."""
    cells = {}
    for k, (a, b) in enumerate(zip(ref, other), start=1):
        cells[("douban", "adago", k)] = (a, 1, 1.0, a, 1, 1.0)
        cells[("douban", "sgd", k)] = (b, 1, 1.0, b, 1, 1.0)
    return runs_table(cells)


def _sig(runs: pd.DataFrame, metric: str = "rmse") -> pd.Series:
    sig = tables.significance(runs, ["adago", "sgd"])
    return sig[sig["metric"] == metric].set_index("other").loc["sgd"]


def test_wilcoxon_p_is_the_exact_signed_rank_p_value():
    # Five pairs, all differences positive with distinct sizes: the signed-rank statistic takes its
    # most extreme value, whose exact two-sided p-value is 2 / 2^5 = 0.0625, whatever the sizes.
    ref = [0.70, 0.71, 0.72, 0.73, 0.74]
    other = [0.710, 0.721, 0.732, 0.743, 0.754]
    row = _sig(_pairs(ref, other))
    assert row["wilcoxon_p"] == pytest.approx(0.0625, rel=1e-12)
    assert row["wilcoxon_p"] == pytest.approx(stats.wilcoxon(np.subtract(other, ref)).pvalue, rel=1e-12)
    # The paired t-test sees five consistent differences and is far more confident.
    diff = np.subtract(other, ref)
    t = diff.mean() / (diff.std(ddof=1) / math.sqrt(5))
    assert row["ttest_p"] == pytest.approx(2 * stats.t.sf(abs(t), df=4), rel=1e-9)
    assert row["ttest_p"] < 0.01 < row["wilcoxon_p"]
    assert row["diff_mean"] == pytest.approx(diff.mean(), rel=1e-12)
    assert row["diff_std"] == pytest.approx(diff.std(ddof=1), rel=1e-12)
    assert row["n_pairs"] == 5


def test_wilcoxon_matches_scipy_where_it_disagrees_with_the_t_test():
    # One large difference against the reference among small ones in its favour: the t-test is
    # pulled by the mean, the rank test is not.
    ref = [0.70, 0.70, 0.70, 0.70, 0.70, 0.70, 0.70]
    other = [0.69, 0.695, 0.698, 0.697, 0.696, 0.694, 0.90]
    row = _sig(_pairs(ref, other))
    diff = np.subtract(other, ref)
    assert row["wilcoxon_p"] == pytest.approx(stats.wilcoxon(diff).pvalue, rel=1e-12)
    assert row["ttest_p"] == pytest.approx(stats.ttest_rel(other, ref).pvalue, rel=1e-12)
    assert abs(row["wilcoxon_p"] - row["ttest_p"]) > 0.1


def test_significance_pairs_by_seed_not_by_row_order():
    ref, other = [0.70, 0.75, 0.80, 0.72], [0.71, 0.77, 0.83, 0.76]
    runs = _pairs(ref, other)
    shuffled = runs.sample(frac=1.0, random_state=3).reset_index(drop=True)
    row = _sig(shuffled)
    assert row["diff_mean"] == pytest.approx(np.mean(np.subtract(other, ref)), rel=1e-12)
    assert row["ttest_p"] == pytest.approx(stats.ttest_rel(other, ref).pvalue, rel=1e-12)


def test_significance_of_mae_uses_the_mae_column():
    runs = _pairs([0.70, 0.71, 0.72], [0.72, 0.74, 0.73])
    runs.loc[runs["method"] == "sgd", "mae"] = [0.50, 0.60, 0.40]
    row = _sig(runs, "mae")
    diff = np.array([0.50, 0.60, 0.40]) - np.array([0.70, 0.71, 0.72])
    assert row["diff_mean"] == pytest.approx(diff.mean(), rel=1e-12)
    assert row["wilcoxon_p"] == pytest.approx(stats.wilcoxon(diff).pvalue, rel=1e-12)


def test_significance_is_undefined_when_every_difference_is_zero():
    row = _sig(_pairs([0.7, 0.8, 0.9], [0.7, 0.8, 0.9]))
    assert row["n_pairs"] == 3 and row["diff_mean"] == 0.0
    assert math.isnan(row["ttest_p"]) and math.isnan(row["wilcoxon_p"])


def test_two_pairs_are_enough_for_both_tests():
    row = _sig(_pairs([0.70, 0.72], [0.71, 0.75]))
    diff = np.array([0.71 - 0.70, 0.75 - 0.72])
    assert row["n_pairs"] == 2
    assert row["diff_std"] == pytest.approx(diff.std(ddof=1), rel=1e-12)
    assert row["ttest_p"] == pytest.approx(stats.ttest_rel([0.71, 0.75], [0.70, 0.72]).pvalue, rel=1e-12)
    assert row["wilcoxon_p"] == pytest.approx(stats.wilcoxon(diff).pvalue, rel=1e-12)  # exact: 0.5


def test_significance_compares_every_other_method_with_the_reference_wherever_it_is_listed():
    runs = _pairs([0.70, 0.72, 0.71], [0.74, 0.73, 0.75])
    sig = tables.significance(runs, ["sgd", "adago"], reference="adago")
    assert set(sig["reference"]) == {"adago"} and set(sig["other"]) == {"sgd"}
    # An unknown reference falls back to the first listed method.
    sig = tables.significance(runs, ["sgd", "adago"], reference="als")
    assert set(sig["reference"]) == {"sgd"} and set(sig["other"]) == {"adago"}
    assert (sig["diff_mean"] < 0).all()  # adago - sgd


def test_significance_lists_data_sets_in_the_order_of_the_runs_table():
    a = _pairs([0.70, 0.72, 0.71], [0.74, 0.73, 0.75]).assign(dataset="ml1m")
    b = _pairs([0.70, 0.72, 0.71], [0.74, 0.73, 0.75])
    sig = tables.significance(pd.concat([a, b], ignore_index=True), ["adago", "sgd"])
    assert list(dict.fromkeys(sig["dataset"])) == ["ml1m", "douban"]


# ------------------------------------------------------------------------------ runs table, Table 3
def _summary(path, dataset, method, seed, hyper, protocol="paper"):
    stop = {"rule": "authors", "mode": "separate", "stop_reason": "converged", "stop_epoch": 9, "stop_seconds": 0.9}
    summary = {"protocol": protocol, "dataset": dataset, "method": method, "seed": seed, "epochs_run": 9,
               "status": "complete", "split": {"sha256": "0" * 64}, "wall_seconds": 1.0, "threads": 1,
               "stop_reason": "converged", "hyperparameters": hyper, "evaluation": {"clip": False, "stopping": {"rule": "authors", "mode": "separate"}},
               "best": {"rmse": {"epoch": 3, "seconds": 0.5, "val_rmse": 0.8, "test_rmse": 0.81, "test_mae": 0.6, **stop},
                        "mae": {"epoch": 4, "seconds": 0.6, "val_mae": 0.61, "test_mae": 0.62, "test_rmse": 0.82,
                                **stop}}}
    path.write_text(json.dumps(summary))
    return path


def test_runs_table_is_sorted_by_protocol_data_set_method_seed_with_a_fresh_index(tmp_path):
    keys = [("tuned", "ml1m", "sgd", 2), ("paper", "douban", "adago", 3), ("paper", "ml1m", "adago", 1),
            ("tuned", "douban", "adago", 1), ("paper", "douban", "adago", 1)]
    paths = [_summary(tmp_path / f"s{k}.json", d, m, s, {"method": m}, protocol=p)
             for k, (p, d, m, s) in enumerate(keys)]
    runs = tables.collect_runs(paths)
    assert list(zip(runs["protocol"], runs["dataset"], runs["method"], runs["seed"])) == sorted(keys)
    assert runs.index.tolist() == list(range(len(keys)))
    assert runs["wall_seconds"].isna().all()  # no benchmark files given


def test_runs_table_takes_wall_time_and_memory_from_the_last_row_of_a_benchmark(tmp_path):
    summary = _summary(tmp_path / "s.json", "douban", "adago", 3, {"method": "adago"})
    bench = tmp_path / "benchmarks/train/paper/douban/adago/seed3.tsv"
    bench.parent.mkdir(parents=True)
    bench.write_text("s\th:m:s\tmax_rss\n99.0\t0:01:39\t900.0\n12.5\t0:00:12\t321.0\n")  # repeats
    runs = tables.collect_runs([summary], [bench])
    assert runs.loc[0, ["wall_seconds", "max_rss_mb"]].tolist() == [12.5, 321.0]


def test_runs_table_stores_hyperparameters_as_canonical_json(tmp_path):
    a = _summary(tmp_path / "a.json", "douban", "sgd", 1, {"method": "sgd", "lr": 0.01, "reg": 0.03})
    b = _summary(tmp_path / "b.json", "douban", "sgd", 2, {"reg": 0.03, "lr": 0.01, "method": "sgd"})
    blobs = tables.collect_runs([a, b])["hyperparameters"]
    assert blobs[0] == blobs[1] == json.dumps({"lr": 0.01, "method": "sgd", "reg": 0.03}, sort_keys=True)


TUNED_SOURCE = {"source": "tuned", "path": "results/tuning/tuned/douban/sgd/best.json", "metric": "val_rmse",
                "score": 0.7289839, "trial_id": "r1t04", "n_trials": 8, "n_diverged": 0, "seeds": [1, 2]}


@pytest.mark.parametrize("source, label, short", [
    (TUNED_SOURCE, "tuned: results/tuning/tuned/douban/sgd/best.json (trial r1t04 of 8, validation val_rmse 0.72898)",
     "tuned on validation, trial r1t04 of 8"),
    ({"source": "config", "key": "hyperparameters.paper.douban.sgd"}, "config: hyperparameters.paper.douban.sgd",
     "hyperparameters.paper.douban.sgd"),
    (None, "not recorded", "source not recorded"),
    ({"source": "tuned", "path": "best.json", "metric": "val_rmse", "trial_id": "r1t00", "n_trials": 8},
     "tuned: best.json (trial r1t00 of 8, validation val_rmse None)", "tuned on validation, trial r1t00 of 8"),
])
def test_runs_table_and_table3_say_where_each_runs_hyperparameters_came_from(tmp_path, source, label, short):
    path = _summary(tmp_path / "s.json", "douban", "sgd", 1, {"method": "sgd", "lr": 0.002})
    summary = json.loads(path.read_text())
    if source is not None:
        summary["hyperparameters_source"] = source
    path.write_text(json.dumps(summary))
    runs = tables.collect_runs([path])
    assert runs.loc[0, "hyperparameters_source"] == label
    (row,) = tables.method_table(runs, ["sgd"]).to_dict("records")
    assert row["hyperparameters"].startswith(f"douban ({short}): ")


def test_table3_shows_each_data_sets_relevant_settings_without_the_method_name():
    hyper = {"method": "sgd", "lr": 0.002, "reg": 0.05, "sgd_variant": "nesterov", "momentum": 0.8,
             "patience": 7}
    runs = runs_table({("douban", "sgd", 1): (0.8, 5, 1.0, 0.6, 6, 1.2)})
    runs["hyperparameters"] = json.dumps(hyper)
    (row,) = tables.method_table(runs, ["sgd"]).to_dict("records")
    settings = row["hyperparameters"]
    assert settings.startswith("douban (source not recorded): ")
    for key, value in [("lr", 0.002), ("reg", 0.05), ("sgd_variant", "nesterov"), ("momentum", 0.8),
                       ("rank", 20), ("patience", 7), ("max_epochs", 500), ("tol", 1e-05)]:
        assert f"{key}={value}" in settings, key
    assert "method=" not in settings and "beta1" not in settings  # Adam's setting is not SGD's


def test_table3_has_one_row_per_method_with_only_that_methods_runs():
    runs = runs_table({("douban", "sgd", 1): (0.8, 5, 1.0, 0.6, 6, 1.2), ("douban", "sgd", 2): (0.8, 5, 1.0, 0.6, 6, 1.2),
                       ("ml1m", "sgd", 1): (0.8, 5, 1.0, 0.6, 6, 1.2), ("douban", "adago", 1): (0.8, 5, 1.0, 0.6, 6, 1.2)})
    lrs = {("douban", "sgd"): 0.002, ("ml1m", "sgd"): 0.004, ("douban", "adago"): 0.0007}
    runs["hyperparameters"] = [json.dumps({"method": m, "lr": lrs[(d, m)]}) for d, m in zip(runs["dataset"], runs["method"])]
    table = tables.method_table(runs, ["sgd", "adago"])
    assert table["method"].tolist() == ["sgd", "adago"]
    sgd, adago = table["hyperparameters"]
    assert sgd.count("douban (") == 1 and "lr=0.002" in sgd and "ml1m (" in sgd and "lr=0.004" in sgd
    assert "lr=0.0007" not in sgd and "omega" not in sgd
    assert adago.startswith("douban (") and "lr=0.0007" in adago and "ml1m" not in adago


def test_write_table_writes_csv_markdown_and_latex_of_the_same_table(tmp_path):
    t4 = tables.error_table(runs_table(HAND), "rmse", ["douban"], ["adago", "sgd"])
    shown = tables.display_error_table(t4, "rmse", {"douban": "Douban"})
    tables.write_table(t4, shown, tmp_path / "table4", "Table 4. RMSE")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "table4.csv"), t4, check_dtype=False)
    md = (tmp_path / "table4.md").read_text()
    assert md.startswith("**Table 4. RMSE**\n\n| Dataset | Method | RMSE |")
    assert md.count("\n|") == 1 + 1 + len(shown)  # header, rule, rows
    tex = (tmp_path / "table4.tex").read_text()
    assert r"\caption{Table 4. RMSE}" in tex and r"\label{tab:table4}" in tex
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table4.csv", "table4.md", "table4.tex"]


# ------------------------------------------------------------------------------ rendering
@pytest.mark.parametrize("mean, std, digits, text", [
    (0.74, 0.0012, 4, "0.7400 ± 0.0012"),
    (41.6, 2.4, 0, "42 ± 2"),
    (0.74, math.nan, 4, "0.7400 ± –"),
    (0.74, None, 2, "0.74 ± –"),
    (math.nan, 0.1, 2, "–"),
    (None, 0.1, 2, "–"),
])
def test_mean_plus_minus_std_cells(mean, std, digits, text):
    assert tables.pm(mean, std, digits) == text


def test_markdown_and_latex_hold_exactly_the_displayed_cells():
    df = pd.DataFrame({"A": ["x_1", "y"], "B": [1.5, math.nan], "C": [3, None]})
    assert tables.to_markdown(df) == "| A | B | C |\n|---|---|---|\n| x_1 | 1.5 | 3 |\n| y | – | – |\n"
    tex = tables.to_latex(df, "Cap", "tab:x")
    body = tex.split("\\midrule\n")[1].split("\n\\bottomrule")[0]
    assert body == "x\\_1 & 1.5 & 3 \\\\\ny & -- & -- \\\\"
    assert "\\begin{tabular}{lll}" in tex and "A & B & C \\\\" in tex


def test_a_single_pair_has_no_test_and_no_spread():
    row = _sig(_pairs([0.70], [0.75]))
    assert row["n_pairs"] == 1 and row["diff_mean"] == pytest.approx(0.05, rel=1e-12)
    assert math.isnan(row["diff_std"]) and math.isnan(row["ttest_p"]) and math.isnan(row["wilcoxon_p"])


def test_each_other_method_is_compared_on_its_own_runs():
    cells = {}
    for k, (a, b, c) in enumerate([(0.70, 0.72, 0.80), (0.71, 0.74, 0.83), (0.72, 0.73, 0.81)], start=1):
        for method, value in (("adago", a), ("adam", b), ("sgd", c)):
            cells[("douban", method, k)] = (value, 1, 1.0, value, 1, 1.0)
    sig = tables.significance(runs_table(cells), ["adago", "adam", "sgd"])
    rmse = sig[sig["metric"] == "rmse"].set_index("other")
    assert rmse.loc["adam", "diff_mean"] == pytest.approx((0.02 + 0.03 + 0.01) / 3, rel=1e-9)
    assert rmse.loc["sgd", "diff_mean"] == pytest.approx((0.10 + 0.12 + 0.09) / 3, rel=1e-9)
    assert (rmse["n_pairs"] == 3).all()


def test_paper_comparison_puts_each_cell_beside_the_papers_under_the_right_table():
    """Hand-worked from HAND: AdaGO's RMSE 0.70, 0.72, 0.77 give 0.7300 ± 0.0361 (Δ to the paper's
    0.7420: -0.0120), epochs 10, 20, 60 give 30 ± 26 (whole epochs), seconds 1, 2, 4 give
    2.33 ± 1.53; ALS is not in the paper, so its paper cells are dashes."""
    cells = {**HAND, ("douban", "als", 1): (0.75, 3, 0.5, 0.55, 4, 0.125),
             ("douban", "als", 2): (0.76, 6, 1.5, 0.57, 5, 0.375)}
    runs = runs_table(cells)
    pair = tuple(tables.error_table(runs, m, ["douban"], ["adago", "sgd", "als"]) for m in ("rmse", "mae"))
    text = tables.paper_comparison({"paper": pair}, {"douban": "D2 Douban"}).splitlines()
    rmse, mae = text.index("## RMSE (Table 4)"), text.index("## MAE (Table 5)")
    assert rmse < mae
    assert text[rmse + 4:rmse + 7] == [
        "| D2 Douban | M1 AdaGO | paper | 0.7300 ± 0.0361 | 0.7420 ± 0.0067 | -0.0120 | 30 ± 26 | 435 ± 4 "
        "| 2.33 ± 1.53 | 59 ± 5 |",
        "| D2 Douban | M3 Extended-SGD LF | paper | 0.8500 ± 0.0707 | 0.7434 ± 0.0062 | +0.1066 | 6 ± 1 | 267 ± 66 "
        "| 0.50 ± 0.35 | 4 ± 0 |",
        "| D2 Douban | M5 ALS | paper | 0.7550 ± 0.0071 | (not in paper) | – | 4 ± 2 | – | 1.00 ± 0.71 | – |"]
    assert text[mae + 4:mae + 7] == [
        "| D2 Douban | M1 AdaGO | paper | 0.5300 ± 0.0300 | 0.5811 ± 0.0053 | -0.0511 | 14 ± 3 | 443 ± 8 "
        "| 3.50 ± 2.65 | 63 ± 6 |",
        "| D2 Douban | M3 Extended-SGD LF | paper | 0.6500 ± 0.0707 | 0.5830 ± 0.0054 | +0.0670 | 8 ± 1 | 218 ± 28 "
        "| 1.00 ± 0.71 | 4 ± 1 |",
        "| D2 Douban | M5 ALS | paper | 0.5600 ± 0.0141 | (not in paper) | – | 4 ± 1 | – | 0.25 ± 0.18 | – |"]


def test_table2_has_one_row_per_data_set_with_its_statistics_and_split_sizes():
    stats = {"douban": {"users": 3, "items": 4, "ratings": 6, "density": 0.5, "rating_min": 1.0, "rating_max": 5.0},
             "synthetic": {"users": 2, "items": 2, "ratings": 3, "density": 0.75, "rating_min": 0.5,
                           "rating_max": 4.5}}
    manifests = {"douban": {"counts": {"train": 4, "validation": 1, "test": 1}}}
    table = tables.dataset_table(stats, manifests, {"douban": "D2 Douban"})
    douban, synthetic = table.to_dict("records")
    assert douban == {"dataset": "douban", "label": "D2 Douban", "users": 3, "items": 4, "ratings": 6, "density": 0.5,
                      "rating_min": 1.0, "rating_max": 5.0, "train": 4, "validation": 1, "test": 1}
    counts = {k: synthetic.pop(k) for k in ("train", "validation", "test")}
    assert synthetic == {"dataset": "synthetic", "label": "synthetic", "users": 2, "items": 2, "ratings": 3,
                         "density": 0.75, "rating_min": 0.5, "rating_max": 4.5}
    assert all(math.isnan(v) for v in counts.values()), "no manifest: split sizes are missing, not zero"
