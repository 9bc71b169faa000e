"""Properties of the claims table (adago.claims): the paired statistics of each row are exactly their
definitions on the seeds both methods ran, and Holm's adjustment works within each family.

Hand-worked values where a wrong test statistic would differ (Wilcoxon against the t-test), and
random inputs checked against a direct implementation of each formula in the module docstring.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from adago import claims


def _runs(rows, protocol="paper"):
    """runs.csv rows from (dataset, method, seed, rmse, mae, epoch, seconds) tuples."""
    df = pd.DataFrame(rows, columns=["dataset", "method", "seed", "rmse", "mae", "rmse_epoch", "rmse_seconds"])
    df["mae_epoch"], df["mae_seconds"], df["protocol"] = df["rmse_epoch"] + 1, df["rmse_seconds"] * 2, protocol
    return df


# ------------------------------------------------------------------ paired statistics
def test_wilcoxon_p_of_five_same_sign_differences_is_the_exact_two_sided_value():
    # Every sign pattern of 5 ranks is equally likely under H0; only all-plus and all-minus are as
    # extreme as five positive differences: p = 2 / 2^5.
    out = claims.paired([1.0, 2.0, 3.0, 4.0, 5.0], [1.1, 2.3, 3.2, 4.5, 5.4])
    assert out["wilcoxon_p"] == pytest.approx(2 / 2 ** 5, rel=1e-12)
    assert out["ttest_p"] < 0.05 < out["wilcoxon_p"], "the two tests differ here, so neither can stand in for the other"


def test_wilcoxon_p_is_the_exact_signed_rank_distribution_on_random_differences():
    rng = np.random.default_rng(7)
    for n in (3, 6, 9):
        ref, oth = rng.normal(size=n), rng.normal(size=n) + 0.3
        d = oth - ref
        ranks = stats.rankdata(np.abs(d))
        w_plus = ranks[d > 0].sum()
        # enumerate all 2^n sign assignments: two-sided p = P(min(W+, W-) <= observed min)
        total = ranks.sum()
        observed = min(w_plus, total - w_plus)
        extreme = sum(min(s, total - s) <= observed + 1e-9
                      for s in (sum(r for r, keep in zip(ranks, signs) if keep)
                                for signs in itertools.product((0, 1), repeat=n)))
        assert claims.paired(ref, oth)["wilcoxon_p"] == pytest.approx(extreme / 2 ** n, rel=1e-12), n


def test_paired_t_test_ci_and_mean_are_their_definitions_on_random_differences():
    rng = np.random.default_rng(11)
    for n in (2, 5, 10):
        ref, oth = rng.normal(size=n), rng.normal(size=n)
        d = oth - ref
        out = claims.paired(ref, oth)
        se = d.std(ddof=1) / math.sqrt(n)
        t = d.mean() / se
        assert out["n_pairs"] == n and out["diff_mean"] == pytest.approx(d.mean(), rel=1e-12)
        assert out["ttest_p"] == pytest.approx(2 * stats.t.sf(abs(t), n - 1), rel=1e-9)
        half = stats.t.ppf(0.975, n - 1) * se
        assert (out["ci_low"], out["ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half), rel=1e-12)


def test_fewer_than_two_pairs_give_a_mean_and_nothing_else():
    one = claims.paired([1.0], [1.5])
    assert one["n_pairs"] == 1 and one["diff_mean"] == 0.5
    assert all(math.isnan(one[k]) for k in ("ci_low", "ci_high", "ttest_p", "wilcoxon_p"))
    none = claims.paired([], [])
    assert none["n_pairs"] == 0 and math.isnan(none["diff_mean"])


# ------------------------------------------------------------------ Holm and families
def test_holm_equals_its_definition_on_random_p_values():
    rng = np.random.default_rng(3)
    for m in (1, 2, 5, 9):
        p = rng.uniform(0, 0.2, size=m)
        order = np.argsort(p)
        want = np.empty(m)
        for i, idx in enumerate(order):
            want[idx] = max(min(1.0, (m - j) * p[order[j]]) for j in range(i + 1))
        assert claims.holm(p).tolist() == pytest.approx(want.tolist(), rel=1e-12)


def test_only_wall_clock_columns_form_the_time_family():
    assert {c: claims.family(c) for _, c, _ in claims.CLAIMS} == {
        "rmse": "result", "mae": "result", "rmse_epoch": "result", "mae_epoch": "result",
        "rmse_seconds": "time", "mae_seconds": "time"}


def _random_runs(seed, seeds=range(1, 8)):
    rng = np.random.default_rng(seed)
    rows = []
    for s in seeds:
        for method, shift in (("adago", 0.0), ("adam", 0.004), ("sgd", -0.001)):
            rows.append(("douban", method, s, 0.74 + shift + 0.003 * rng.normal(), 0.58 + shift + 0.003 * rng.normal(),
                         int(40 + 10 * shift * 1000 + rng.integers(0, 9)), 1.0 + shift * 100 + 0.2 * rng.random()))
    return _runs(rows)


def test_every_row_is_the_paired_statistics_of_the_seeds_both_methods_ran_adjusted_within_its_family():
    runs = _random_runs(5)
    runs = runs.drop(runs[(runs["method"] == "adam") & (runs["seed"] == 3)].index)  # adam lost seed 3
    table = claims.claims_table(runs, ["douban"], ["paper"])
    for row in table.itertuples():
        ref = runs[runs["method"] == "adago"].set_index("seed")[row.metric]
        oth = runs[runs["method"] == row.other].set_index("seed")[row.metric]
        seeds = ref.index.intersection(oth.index).sort_values()
        want = claims.paired(ref[seeds].to_numpy(), oth[seeds].to_numpy())
        assert row.n_pairs == len(seeds) == (6 if row.other == "adam" else 7)
        for key in ("diff_mean", "ci_low", "ci_high", "ttest_p", "wilcoxon_p"):
            assert getattr(row, key) == pytest.approx(want[key], rel=1e-12, nan_ok=True), (row.claim, key)
    for fam, rows in table.groupby(table["metric"].map(claims.family)):
        assert rows["holm_p"].tolist() == pytest.approx(claims.holm(rows["ttest_p"]).tolist(), nan_ok=True), fam
    assert table["verdict"].tolist() == [claims.verdict(m, p) for m, p in zip(table["diff_mean"], table["holm_p"])]


def test_claims_pair_runs_by_seed_not_by_row_order():
    runs = _random_runs(9)
    shuffled = runs.sample(frac=1.0, random_state=1).reset_index(drop=True)
    pd.testing.assert_frame_equal(claims.claims_table(runs, ["douban"], ["paper"]),
                                  claims.claims_table(shuffled, ["douban"], ["paper"]))


def test_claims_about_a_method_that_did_not_run_are_left_out_and_the_others_kept():
    runs = _random_runs(2)
    no_sgd = runs[runs["method"] != "sgd"]
    table = claims.claims_table(no_sgd, ["douban"], ["paper"])
    assert table["other"].tolist() == ["adam"] * sum(other == "adam" for *_, other in claims.CLAIMS)
    assert table["claim"].tolist() == [f"AdaGO: {c}" for c, _, other in claims.CLAIMS if other == "adam"]
    assert claims.claims_table(runs[runs["method"] != "adago"], ["douban"], ["paper"]).empty, \
        "without the reference there is nothing to compare"


def test_t_test_p_of_differences_with_unit_spread_is_its_formula():
    out = claims.paired([0.0, 0.0, 0.0], [1.0, 2.0, 3.0])  # d = 1, 2, 3: sd exactly 1
    assert out["ttest_p"] == pytest.approx(2 * stats.t.sf(2.0 / (1.0 / math.sqrt(3)), 2), rel=1e-12)


def test_displayed_differences_have_four_decimals_for_errors_one_for_epochs_three_for_seconds():
    table = claims.claims_table(_random_runs(4), ["douban"], ["paper"]).set_index("metric", drop=False)
    shown = claims.display(table.reset_index(drop=True), {}).set_index(table.index)
    column = "Δ = other − AdaGO [95% CI]"
    for metric, digits in (("rmse", 4), ("mae", 4), ("rmse_epoch", 1), ("mae_epoch", 1), ("rmse_seconds", 3)):
        row = table.loc[[metric]].iloc[0]
        cell = shown.loc[[metric], column].iloc[0]
        assert cell == f"{row.diff_mean:+.{digits}f} [{row.ci_low:+.{digits}f}, {row.ci_high:+.{digits}f}]", metric
