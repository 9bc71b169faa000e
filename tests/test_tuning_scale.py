"""The scale rule: 1-5 star hyperparameters carried exactly to any rating scale."""

from __future__ import annotations

import numpy as np
import pytest

from adago.optimizers import ConfigError, TrainConfig
from adago.synthetic import low_rank_ratings
from adago.training import DivergenceError, train
from adago.tuning.scale import exponents, rating_scale, scale_options


@pytest.mark.parametrize("rating_range, c", [((1, 5), 1.0), ((0.5, 5), 1.0), ((1, 10), 2.0),
                                             ((1, 100), 20.0), ((-10, 10), 2.0), ((0, 1), 0.2)])
def test_the_scale_is_the_largest_rating_relative_to_five_stars(rating_range, c):
    assert rating_scale(rating_range) == pytest.approx(c)


def test_a_range_without_magnitude_has_no_scale():
    with pytest.raises(ValueError, match="no scale"):
        rating_scale((0, 0))


def test_the_exponents_follow_each_optimiser_s_step():
    assert exponents({"method": "sgd"})["lr"] == -1.0
    assert exponents({"method": "adam"})["lr"] == 0.5
    assert exponents({"method": "adago"})["lr"] == 0.0
    assert exponents({"method": "adago", "hessian_power": 0.5})["lr"] == -0.5
    assert exponents({"method": "adago-k05"})["lr"] == -0.5  # the ablation's fixed power
    assert exponents({"method": "adahessian"})["lr"] == 0.0
    assert exponents({"method": "adago"})["reg"] == exponents({"method": "sgd"})["damping"] == 1.0


def test_scale_one_changes_nothing():
    options = {"method": "sgd", "lr": 0.01}
    assert scale_options(options, 1.0) == options


def test_options_without_units_are_left_alone():
    out = scale_options({"method": "adam", "beta2": 0.99, "rank": 7, "lr": 0.001}, 4.0)
    assert out["beta2"] == 0.99 and out["rank"] == 7 and out["lr"] == pytest.approx(0.002)
    assert out["reg"] == pytest.approx(0.03 * 4) and out["init_high"] == pytest.approx(0.004 * 2)


@pytest.fixture(scope="module")
def small():
    return low_rank_ratings(60, 50, 1500, rank=3, noise_std=0.3, seed=4)


def _run(data, c, options):
    """Train on ratings * c with ``options`` converted to that scale (float64, fixed epochs)."""
    r = data.rating * c
    n = len(r)
    tr, va = np.arange(0, n, 2), np.arange(1, n, 2)
    part = lambda idx: (data.user[idx], data.item[idx], r[idx])  # noqa: E731
    cfg = TrainConfig.from_mapping(scale_options(options, c))
    return train(part(tr), part(va), None, n_users=data.n_users, n_items=data.n_items, config=cfg,
                 seed=3, rating_range=(r.min(), r.max()))


@pytest.mark.parametrize("method, extra", [
    ("adago", {}), ("adam", {}), ("sgd", {}), ("sgd", {"sgd_variant": "nesterov"}),
    ("adago", {"hessian_power": 0.5}), ("adahessian", {}), ("als", {}), ("adago-nodamp", {}),
    ("adago-full", {"lr": 0.03}),
])
def test_converted_options_reproduce_the_reference_run_on_rescaled_ratings(small, method, extra):
    options = {"method": method, "dtype": "float64", "rank": 3, "init_high": 0.1, "max_epochs": 15,
               "patience": 3, **({} if method == "als" else {"lr": 0.003}), **extra}
    ref = _run(small, 1.0, options)
    for c in (20.0, 0.2):
        run = _run(small, c, options)
        # epoch for epoch the same run, errors in units of c
        assert run.epochs_run == ref.epochs_run
        np.testing.assert_allclose(run.history["val_rmse"] / c, ref.history["val_rmse"], rtol=1e-9)
        np.testing.assert_allclose(run.params["P"] / np.sqrt(c), ref.params["P"], rtol=1e-7, atol=1e-12)


def test_momentum_sgd_on_a_1_to_100_scale_diverges_with_1_to_5_values_but_not_when_converted(small):
    options = {"method": "sgd", "rank": 3, "init_high": 0.1, "lr": 0.003, "max_epochs": 30}
    with pytest.raises(DivergenceError):
        # every option converted except the learning rate, which keeps its 1-5 star value
        _run(small, 20.0, {**options, "lr": 0.003 / 20.0 ** -1})
    ref, run = _run(small, 1.0, options), _run(small, 20.0, options)
    assert run.best["rmse"]["val_rmse"] / 20 == pytest.approx(ref.best["rmse"]["val_rmse"], rel=1e-4)


def test_a_setting_the_method_fixes_is_not_converted():
    out = scale_options({"method": "adago-nodamp", "lr": 0.001}, 4.0)
    assert "damping" not in out and TrainConfig.from_mapping(out).damping == 0.0


def test_an_algorithm_without_a_rule_is_refused(monkeypatch):
    from adago.tuning import scale

    monkeypatch.delitem(scale._LR_EXPONENT, "adam")
    with pytest.raises(ConfigError, match="method 'adam' \\(algorithm 'adam'\\): no scale rule"):
        exponents({"method": "adam"})
