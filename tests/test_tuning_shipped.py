"""The shipped Douban hyperparameters are the tune stage's choice on the shipped data.

docs/tuning/{protocol}/douban/{method}/ holds trials.csv and best.json of a real run of the workflow's
tune stage on Douban (docs/TUNING.md, "The trials behind the shipped values"). With tuning disabled,
the final runs use config/config.yaml's `hyperparameters`; these tests keep them equal to that choice,
and keep the stored trials those the shipped config's tune stage would run."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adago.config import check_config, load_schema, tuning_settings
from adago.protocols import evaluation, run_settings
from adago.tuning.records import best_in_table, read_best, read_trials_csv
from adago.tuning.space import space_to_json

REPO = Path(__file__).resolve().parents[1]
STORED = REPO / "docs" / "tuning"
PAPER_METHODS = ("adago", "adam", "sgd")
STORED_RUNS = sorted((p.parent.parent.parent.name, p.parent.name) for p in STORED.glob("*/douban/*/trials.csv"))


def _config(methods):
    raw = yaml.safe_load((REPO / "config/config.yaml").read_text())
    return check_config({**raw, "datasets": ["douban"], "methods": list(methods)},
                        load_schema(REPO / "workflow/schemas/config.schema.yaml"))


def test_the_trials_of_the_paper_s_three_methods_are_stored_for_both_protocols():
    assert {(p, m) for p in ("paper", "tuned") for m in PAPER_METHODS} <= set(STORED_RUNS)


@pytest.mark.parametrize("protocol, method", STORED_RUNS)
def test_the_shipped_douban_values_are_the_best_of_the_stored_trials(protocol, method):
    cfg = _config([method])
    table = read_trials_csv(STORED / protocol / "douban" / method / "trials.csv")
    shipped = cfg["hyperparameters"][protocol]["douban"][method]
    chosen = best_in_table(table, cfg["tuning"]["metric"])
    assert {k: shipped.get(k) for k in chosen} == chosen
    # Nothing else is shipped for it: the untuned run is the chosen trial's settings exactly.
    best = read_best(STORED / protocol / "douban" / method / "best.json")
    assert best["hyperparameters"] == chosen
    assert run_settings(cfg, protocol, "douban", method) == best["options"]


@pytest.mark.parametrize("protocol, method", STORED_RUNS)
def test_the_stored_trials_are_those_the_shipped_config_would_run(protocol, method):
    # A changed default space, budget, seed list or stopping rule makes them stale: re-run
    # `snakemake tune` on Douban and store its files again (docs/TUNING.md).
    cfg = _config([method])
    settings = tuning_settings(cfg)[protocol]
    best = read_best(STORED / protocol / "douban" / method / "best.json")
    assert best["space"] == space_to_json(settings.spaces[method])
    assert best["n_trials"] == settings.trials and best["trials_per_round"] == list(settings.rounds)
    assert best["seeds"] == list(settings.seeds) and best["sampling_seed"] == settings.sampling_seed
    assert best["metric"] == settings.metric and best["scale"] == 1.0
    assert best["context"] == {"dataset": "douban", "protocol": protocol}
    assert best["train_options"] == evaluation(cfg, protocol)
    table = read_trials_csv(STORED / protocol / "douban" / method / "trials.csv")
    assert table["trial_id"].tolist() == [f"r1t{k:02d}" for k in range(settings.trials)]
