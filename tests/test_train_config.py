"""TrainConfig: the documented defaults, and the edges of every validity rule (both sides)."""

from __future__ import annotations

import pytest

from adago.optimizers import ConfigError, TrainConfig

# The defaults its docstring and docs/METHODS.md document (lr is per method).
DOCUMENTED = dict(rank=20, reg=0.03, init_low=0.0, init_high=0.004, use_bias=False, batch="rating",
                  max_epochs=500, tol=1e-5, patience=10, beta1=0.9, beta2=0.999, omega=0.999, eps=1e-8,
                  damping=0.01, hessian_power=1.0, reg_in_curvature=True, step_counter="row", momentum=0.9,
                  sgd_variant="momentum", dtype="float32")


def test_every_documented_default():
    cfg = TrainConfig()
    assert {k: getattr(cfg, k) for k in DOCUMENTED} == DOCUMENTED


@pytest.mark.parametrize("key, bad, good", [
    ("hessian_power", [0.0, -0.5], [1e-3, 2.0]),
    ("beta1", [1.0, 1.5, -0.1], [0.0, 0.99]),
    ("beta2", [1.0, 1.5], [0.0, 0.9999]),
    ("omega", [1.0, 2.0], [0.0, 0.5]),
    ("momentum", [1.0, 1.01], [0.0, 0.95]),
    ("lr", [0.0, -1e-3], [1e-9]),
    ("reg", [-1e-9], [0.0]),
    ("damping", [-1e-9], [0.0]),
])
def test_each_bound_is_enforced_on_both_sides(key, bad, good):
    for value in bad:
        with pytest.raises(ConfigError, match=f"^{key}: must be"):
            TrainConfig(**{key: value})
    for value in good:
        assert getattr(TrainConfig(**{key: value}), key) == value


def test_adago_without_any_denominator_floor_is_refused():
    # d can be exactly zero, and with eps = 0 the step would divide 0 by 0
    with pytest.raises(ConfigError, match="damping: must be > 0 when eps == 0"):
        TrainConfig(method="adago", damping=0.0, eps=0.0, reg=0.0)
    with pytest.raises(ConfigError, match="damping"):
        TrainConfig(method="adago", damping=0.0, eps=0.0, reg=0.03, reg_in_curvature=False)


@pytest.mark.parametrize("floor", [dict(damping=0.01), dict(eps=1e-8), dict(reg=0.03, reg_in_curvature=True)])
def test_any_one_denominator_floor_is_enough_for_adago(floor):
    settings = dict(method="adago", damping=0.0, eps=0.0, reg=0.0) | floor
    assert TrainConfig(**settings).method == "adago"


def test_a_non_mapping_is_refused_naming_where_it_came_from():
    with pytest.raises(ConfigError, match="^config: must be a mapping, got list"):
        TrainConfig.from_mapping([1, 2])
    with pytest.raises(ConfigError, match="^hyperparameters.douban.sgd: must be a mapping, got str"):
        TrainConfig.from_mapping("lr=1", where="hyperparameters.douban.sgd")


def test_repr_shows_the_settings_not_where_they_came_from():
    cfg = TrainConfig.from_mapping({"method": "sgd"}, where="hyperparameters.douban.sgd")
    assert "lr=0.001" in repr(cfg) and "_where" not in repr(cfg) and "douban" not in repr(cfg)


@pytest.mark.parametrize("variant, has_momentum", [("plain", False), ("momentum", True), ("nesterov", True)])
def test_momentum_is_relevant_to_sgd_exactly_when_the_variant_uses_it(variant, has_momentum):
    relevant = TrainConfig(method="sgd", sgd_variant=variant).relevant()
    assert relevant["sgd_variant"] == variant
    assert ("momentum" in relevant) is has_momentum


@pytest.mark.parametrize("method", ["als", "adam", "sgd"])
def test_the_run_record_names_every_shared_setting_and_lr_only_where_there_is_one(method):
    # relevant() is what runs.csv, Table 3 and divergence errors show of a run's settings.
    relevant = TrainConfig(method=method).relevant()
    shared = {"method", "rank", "reg", "init_low", "init_high", "use_bias", "batch", "dtype"}
    assert shared <= set(relevant)
    assert ("lr" in relevant) is (method != "als")  # ALS solves rows exactly: no step size


@pytest.mark.parametrize("method, lr", [("adago", 0.0005), ("adam", 0.0005), ("sgd", 0.001)])
def test_each_method_has_its_documented_default_learning_rate(method, lr):
    assert TrainConfig(method=method).lr == lr
    assert TrainConfig.from_mapping({"method": method, "lr": None}).lr == lr
