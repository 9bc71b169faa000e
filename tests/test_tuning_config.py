"""The `tuning` block of the workflow config: schema, defaults, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adago.config import check_config, load_schema, tuning_settings
from adago.optimizers import ConfigError
from adago.tuning.settings import DEFAULTS

REPO = Path(__file__).resolve().parents[1]
SCHEMA = load_schema(REPO / "workflow/schemas/config.schema.yaml")
BASE = {"datasets": ["synthetic"], "methods": ["adago", "adam", "sgd"]}


def test_the_schema_defaults_are_the_library_defaults():
    cfg = check_config(BASE, SCHEMA)
    assert cfg["tuning"] == {**DEFAULTS, "space": {}}


def test_the_shipped_config_tunes_with_the_default_budget():
    cfg = check_config(yaml.safe_load((REPO / "config/config.yaml").read_text()), SCHEMA)
    assert cfg["tuning"]["enabled"] is True
    settings = tuning_settings(cfg)
    assert set(settings) == {"paper", "tuned"}
    assert all(s.trials == DEFAULTS["trials"] and s.seeds == (1, 2) for s in settings.values())


@pytest.mark.parametrize("tuning, message", [
    ({"trials": 0}, "config key 'tuning.trials'"),
    ({"seeds": [1, 1]}, "config key 'tuning.seeds'"),
    ({"seeds": [-1]}, "config key 'tuning.seeds.0'"),
    ({"enabled": "yes"}, "config key 'tuning.enabled'"),
    ({"metric": "rmse"}, "config key 'tuning.metric'"),
    ({"budget": 3}, "'budget' was unexpected"),
    ({"trials": 4, "refine_trials": 4}, "tuning.refine_trials: must be in 0..3"),
    ({"space": {"adago": {"lr": {"low": -1.0, "high": 0.01, "log": True}}}}, "tuning.space.adago.lr.low"),
    ({"space": {"adagrad": {"lr": [0.01]}}}, "tuning.space.adagrad: not a method"),
    # L2 is fixed by the paper protocol; the tuned protocol may tune it.
    ({"space": {"adago": {"reg": [0.01]}}}, "tuning.space.adago.reg"),
    ({"space": {"tuned": {"adam": {"beta2": [1.5]}}}}, "tuning.space.tuned.adam.beta2"),
    ({"space": {"adam": {"max_epochs": [10]}}}, "tuning.space.adam.max_epochs"),
])
def test_a_bad_tuning_block_is_refused_naming_the_key(tuning, message):
    with pytest.raises(ConfigError) as exc:
        check_config({**BASE, "tuning": tuning}, SCHEMA)
    assert message in str(exc.value)


def test_a_space_the_paper_protocol_forbids_is_fine_for_the_tuned_protocol_alone():
    cfg = check_config({**BASE, "protocol": "tuned", "tuning": {"space": {"adago": {"reg": [0.01, 0.02]}}}}, SCHEMA)
    assert set(tuning_settings(cfg)["tuned"].spaces["adago"]) == {"reg"}
