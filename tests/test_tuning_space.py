"""Search-space declaration, validation and the tuning config block."""

from __future__ import annotations

import math

import pytest

from adago.optimizers import ConfigError
from adago.optimizers import METHODS
from adago.tuning.settings import default_space, settings
from adago.tuning.space import Choice, Range, parse_method_space, parse_space, space_to_json


def test_lists_and_ranges_parse_into_choices_and_ranges():
    space = parse_method_space("adago", {"lr": {"low": 1e-4, "high": 1e-2, "log": True},
                                         "omega": [0.99, 0.999], "reg": {"low": 0.01, "high": 0.1}})
    assert space == {"lr": Range(1e-4, 1e-2, True), "omega": Choice((0.99, 0.999)),
                     "reg": Range(0.01, 0.1, False)}
    assert space_to_json(space) == {"lr": {"low": 1e-4, "high": 1e-2, "log": True},
                                    "omega": [0.99, 0.999], "reg": {"low": 0.01, "high": 0.1, "log": False}}


@pytest.mark.parametrize("declared, message", [
    ({"lr": {"low": -1.0, "high": 1.0}}, "tuning.space.adago.lr.low: must be > 0, got -1.0"),
    ({"lr": [0.001, -2]}, "tuning.space.adago.lr[1]: must be > 0"),
    ({"lr": {"low": 0.1, "high": 0.01}}, "tuning.space.adago.lr: low must be < high"),
    ({"lr": {"low": 0.0, "high": 0.01, "log": True}}, "tuning.space.adago.lr.low: must be > 0"),
    ({"reg": {"low": 0.0, "high": 0.01, "log": True}}, "tuning.space.adago.reg.low: must be > 0 for a log range"),
    ({"lr": {"low": 1e-4, "high": 1e-2, "log": "yes"}}, "tuning.space.adago.lr.log: must be true or false"),
    ({"lr": {"low": 1e-4}}, "tuning.space.adago.lr: a range has keys low, high"),
    ({"lr": {"low": 1e-4, "high": 1e-3, "step": 2}}, "tuning.space.adago.lr: a range has keys low, high"),
    ({"lr": {"low": 1e-4, "high": math.inf}}, "tuning.space.adago.lr.high: must be a finite number"),
    ({"lr": []}, "tuning.space.adago.lr: empty list"),
    ({"lr": [0.01, 0.01]}, "tuning.space.adago.lr: repeated values"),
    ({"lr": 0.01}, "tuning.space.adago.lr: must be a list of values or {low, high, log}"),
    ({"rank": {"low": 5, "high": 20}}, "tuning.space.adago.rank: 'rank' is not a real-valued option"),
    ({"rank": [10, 2.5]}, "tuning.space.adago.rank[1]: must be an integer"),
    ({"omega": [0.9, 1.0]}, "tuning.space.adago.omega[1]: must be in [0, 1)"),
    ({"learning_rate": [0.01]}, "tuning.space.adago.learning_rate: not a tunable option"),
    ({"method": ["adam"]}, "tuning.space.adago.method: not a tunable option"),
    ({}, "tuning.space.adago: empty"),
    ([0.01], "tuning.space.adago: must be a mapping"),
])
def test_space_errors_name_the_config_key(declared, message):
    with pytest.raises(ConfigError) as exc:
        parse_method_space("adago", declared)
    assert message in str(exc.value)


def test_an_unknown_method_is_named():
    with pytest.raises(ConfigError, match=r"tuning\.space\.adamw: unknown method"):
        parse_space({"adamw": {"lr": [0.01]}})


def test_range_ends_are_reached_and_never_left():
    r = Range(1e-4, 1e-2, log=True)
    assert r.at(0.0) == 1e-4
    assert r.at(0.5) == pytest.approx(1e-3)
    assert 1e-4 <= r.at(1 - 1e-16) <= 1e-2
    lin = Range(0.5, 0.9)
    assert lin.at(0.0) == 0.5 and lin.at(0.5) == pytest.approx(0.7) and lin.at(1 - 1e-16) <= 0.9


def test_drawn_values_keep_six_significant_digits():
    assert Range(1e-4, 1e-2, log=True).at(0.123456789) == float(f"{1e-4 * 100 ** 0.123456789:.6g}")


def test_a_choice_gives_each_value_an_equal_share_of_quantiles():
    c = Choice((1, 2, 3, 4))
    assert [c.at(u) for u in (0.0, 0.249, 0.25, 0.5, 0.75, 0.9999)] == [1, 1, 2, 3, 4, 4]


def test_default_settings_give_every_method_its_space_and_one_budget():
    st = settings(None, ["adago", "adam", "sgd"], "tuned")
    assert st.enabled and st.seeds == (1, 2) and st.rounds == (st.trials, 0)
    assert set(st.spaces) == {"adago", "adam", "sgd"}
    for protocol in ("paper", "tuned"):
        for method in METHODS:
            if default_space(protocol, method):
                assert parse_method_space(method, default_space(protocol, method))  # valid as shipped


def test_the_paper_protocol_tunes_only_what_the_paper_leaves_open():
    assert set(settings({}, ["adago"], "paper").spaces["adago"]) == {"lr", "damping", "omega"}
    assert set(settings({}, ["adam"], "paper").spaces["adam"]) == {"lr"}
    with pytest.raises(ConfigError, match=r"'tuning\.space\.adam\.reg': fixed to 0\.03 by the paper protocol"):
        settings({"space": {"adam": {"lr": [0.001], "reg": [0.01, 0.03]}}}, ["adam"], "paper")


def test_no_protocol_tunes_the_run_level_options():
    with pytest.raises(ConfigError, match=r"'tuning\.space\.adam\.max_epochs': set for every run"):
        settings({"space": {"adam": {"lr": [0.001], "max_epochs": [100, 200]}}}, ["adam"], "tuned")


def test_the_default_spaces_are_the_measured_ones():
    lr = {"low": 2e-4, "high": 1e-2, "log": True}
    decay, reg = [0.99, 0.999, 0.9999], {"low": 3e-3, "high": 0.1, "log": True}
    damping = {"low": 1e-3, "high": 0.3, "log": True}
    assert default_space("paper", "adago") == {"lr": lr, "damping": damping, "omega": decay}
    assert default_space("paper", "adam") == {"lr": lr}
    assert default_space("paper", "sgd") == {"lr": {"low": 1e-4, "high": 3e-3, "log": True}}
    assert default_space("tuned", "adam") == {"lr": lr, "reg": reg, "beta2": decay}
    assert default_space("tuned", "sgd")["momentum"] == [0.5, 0.8, 0.9, 0.95]


def test_other_methods_get_spaces_from_the_registry():
    # the ablations share AdaGO's range less what their name fixes
    assert "damping" not in default_space("tuned", "adago-nodamp")
    assert default_space("paper", "adago-nodamp") == {"lr": default_space("paper", "adago")["lr"],
                                                      "omega": [0.99, 0.999, 0.9999]}
    # a learning rate range moves with the method's default learning rate
    assert default_space("paper", "adago-full")["lr"] == {"low": 0.012, "high": 0.6, "log": True}
    assert default_space("paper", "adahessian") == {"lr": {"low": 0.004, "high": 0.2, "log": True}}
    # ALS has no learning rate: under the paper protocol nothing is open, so it is not tuned
    assert default_space("tuned", "als") == {"reg": {"low": 3e-3, "high": 0.1, "log": True}}
    st = settings(None, ["adago", "als"], "paper")
    assert set(st.spaces) == {"adago"} and st.untuned == ("als",)


def test_a_declared_space_replaces_the_default_of_its_method_only():
    st = settings({"space": {"sgd": {"lr": [0.001, 0.002]}}}, ["adago", "sgd"], "tuned")
    assert st.spaces["sgd"] == {"lr": Choice((0.001, 0.002))}
    assert st.spaces["adago"] == parse_method_space("adago", default_space("tuned", "adago"))


def test_a_space_of_a_registered_method_outside_the_run_is_checked_but_not_tuned():
    st = settings({"space": {"als": {"reg": [0.01, 0.02]}}}, ["adago"], "tuned")
    assert set(st.spaces) == {"adago"}


def test_spaces_can_be_declared_per_protocol():
    block = {"space": {"paper": {"adam": {"lr": [0.001]}}, "tuned": {"adam": {"lr": [0.002]}}}}
    assert settings(block, ["adam"], "paper").spaces["adam"] == {"lr": Choice((0.001,))}
    assert settings(block, ["adam"], "tuned").spaces["adam"] == {"lr": Choice((0.002,))}
    with pytest.raises(ConfigError, match=r"tuning\.space\.paper\.adam\.lr\[0\]: must be > 0"):
        settings({"space": {"paper": {"adam": {"lr": [-1.0]}}}}, ["adam"], "paper")


@pytest.mark.parametrize("block, message", [
    ({"trials": 0}, "tuning.trials: must be >= 1"),
    ({"trials": 8.5}, "tuning.trials: must be an integer"),
    ({"trials": 8, "refine_trials": 8}, "tuning.refine_trials: must be in 0..7"),
    ({"seeds": []}, "tuning.seeds: must be a non-empty list"),
    ({"seeds": [1, 1]}, "tuning.seeds: must be a non-empty list of distinct"),
    ({"enabled": "yes"}, "tuning.enabled: must be true or false"),
    ({"metric": "rmse"}, "tuning.metric: must be one of"),
    ({"sampling_seed": -1}, "tuning.sampling_seed: must be an integer >= 0"),
    ({"budget": 8}, "tuning.budget: unknown key"),
    ({"space": {"adamw": {"lr": [0.1]}}}, "tuning.space.adamw: not a method"),
    ({"space": {"als": {"reg": [-0.1]}}}, "tuning.space.als.reg[0]: must be"),
    ({"space": {"paper": {}, "adam": {}}}, "tuning.space: mixes protocol names and method names"),
])
def test_tuning_block_errors_name_the_key(block, message):
    with pytest.raises(ConfigError) as exc:
        settings(block, ["adago", "adam", "sgd"], "tuned")
    assert message in str(exc.value)
