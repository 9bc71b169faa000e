"""TrainConfig: documented defaults, and bad input rejected with the full key in the message."""

import json

import pytest

from adago.optimizers import METHOD_DEFAULTS, ConfigError, TrainConfig

WHERE = "hyperparameters.douban.adago"


def test_defaults_follow_the_authors_conventions():
    cfg = TrainConfig.from_mapping({"method": "adago"}, where=WHERE)
    assert (cfg.rank, cfg.reg, cfg.init_low, cfg.init_high) == (20, 0.03, 0.0, 0.004)
    assert (cfg.max_epochs, cfg.tol, cfg.patience) == (500, 1e-5, 10)
    assert cfg.batch == "rating" and cfg.use_bias is False and cfg.hessian_power == 1.0


@pytest.mark.parametrize("method", sorted(METHOD_DEFAULTS))
def test_missing_lr_takes_the_methods_default(method):
    assert TrainConfig.from_mapping({"method": method}).lr == METHOD_DEFAULTS[method]["lr"]


def test_to_dict_is_json_serialisable_and_round_trips():
    cfg = TrainConfig.from_mapping({"method": "sgd", "lr": 0.01, "sgd_variant": "nesterov"})
    d = cfg.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert TrainConfig.from_mapping(d) == cfg
    assert "_where" not in d and d["lr"] == 0.01


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("lr", -1.0, f"{WHERE}.lr: must be > 0, got -1.0"),
        ("lr", float("nan"), f"{WHERE}.lr: must be finite"),
        ("rank", 0, f"{WHERE}.rank: must be >= 1"),
        ("rank", 2.5, f"{WHERE}.rank: must be an integer"),
        ("patience", True, f"{WHERE}.patience: must be an integer"),
        ("beta1", 1.0, f"{WHERE}.beta1: must be in [0, 1)"),
        ("omega", -0.1, f"{WHERE}.omega: must be in [0, 1)"),
        ("damping", -1e-3, f"{WHERE}.damping: must be >= 0"),
        ("batch", "mini", f"{WHERE}.batch: must be one of"),
        ("step_counter", "param", f"{WHERE}.step_counter: must be one of"),
        ("sgd_variant", "adagrad", f"{WHERE}.sgd_variant: must be one of"),
        ("use_bias", "yes", f"{WHERE}.use_bias: must be true or false"),
        ("init_high", -1.0, f"{WHERE}.init_high: must be > init_low"),
        ("lr", "0.1", f"{WHERE}.lr: must be a number"),
        ("dtype", "float16", f"{WHERE}.dtype: must be one of"),
    ],
)
def test_bad_value_is_rejected_naming_the_full_key(key, value, message):
    with pytest.raises(ConfigError) as err:
        TrainConfig.from_mapping({"method": "adago", key: value}, where=WHERE)
    assert str(err.value).startswith(message)


def test_unknown_key_is_rejected_naming_the_full_key():
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.learning_rate: unknown key"):
        TrainConfig.from_mapping({"method": "adago", "learning_rate": 0.1}, where=WHERE)


def test_unknown_method_is_rejected_naming_the_full_key():
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.method: must be one of"):
        TrainConfig.from_mapping({"method": "adagrad"}, where=WHERE)


def test_adahessian_takes_per_rating_steps_only_and_at_least_one_probe():
    assert TrainConfig(method="adahessian").batch == "rating"
    with pytest.raises(ConfigError, match=r"^h\.adahessian\.batch: method 'adahessian' supports \['rating'\]"):
        TrainConfig.from_mapping({"method": "adahessian", "batch": "full"}, where="h.adahessian")
    with pytest.raises(ConfigError, match=r"^h\.adahessian\.probes: must be >= 1"):
        TrainConfig.from_mapping({"method": "adahessian", "probes": 0}, where="h.adahessian")


def test_undamped_adago_without_any_floor_on_the_curvature_is_rejected():
    with pytest.raises(ConfigError, match="damping"):
        TrainConfig(method="adago", damping=0.0, eps=0.0, reg_in_curvature=False)


# ------------------------------------------------------------------------------ registry
def test_every_registered_method_builds_a_config_and_runs_a_registered_algorithm():
    from adago.optimizers import ALGORITHMS, METHODS

    for name, spec in METHODS.items():
        cfg = TrainConfig(method=name)
        assert cfg.algorithm == spec.algorithm in ALGORITHMS
        assert all(getattr(cfg, k) == v for k, v in spec.fixed.items())
        assert set(spec.fixed) <= set(cfg.relevant())  # an ablation shows the setting it fixes
    assert [METHODS[m].label for m in ("adago", "adam", "sgd")] == ["M1 AdaGO", "M2 Adam-LF", "M3 Extended-SGD LF"]
    assert len({m.label for m in METHODS.values()}) == len(METHODS)


def test_the_config_schema_lists_exactly_the_registered_methods():
    from pathlib import Path

    import yaml

    from adago.optimizers import METHODS

    schema = yaml.safe_load((Path(__file__).parents[1] / "workflow/schemas/config.schema.yaml").read_text())
    assert schema["properties"]["methods"]["items"]["enum"] == list(METHODS)
    blocks = schema["$defs"]["hyperparameter_blocks"]["additionalProperties"]
    assert blocks["propertyNames"]["enum"] == list(METHODS)


@pytest.mark.parametrize("method, key, value", [("adago-nodamp", "damping", 0.05),
                                                ("adago-nodamp", "damping", 0.01),  # the field default, given
                                                ("adago-noreg", "reg_in_curvature", True),
                                                ("adago-k05", "hessian_power", 1.0),
                                                ("adago-global-t", "step_counter", "row"),
                                                ("adago-full", "batch", "rating")])
def test_an_ablation_rejects_a_different_value_for_the_setting_it_fixes(method, key, value):
    where = f"hyperparameters.douban.{method}"
    with pytest.raises(ConfigError, match=rf"^{where}\.{key}: fixed to .* by method '{method}'"):
        TrainConfig.from_mapping({"method": method, key: value}, where=where)


def test_an_ablation_accepts_its_fixed_value_and_round_trips():
    cfg = TrainConfig.from_mapping({"method": "adago-k05", "hessian_power": 0.5, "lr": 0.001})
    assert TrainConfig.from_mapping(cfg.to_dict()) == cfg and cfg.hessian_power == 0.5
