"""Trial generation: determinism, prefix stability, independence between methods, round 2."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from adago.optimizers import ConfigError
from adago.tuning.records import read_best, write_json
from adago.tuning.search import trial_values
from adago.tuning.settings import settings
from adago.tuning.space import Choice, Range, parse_method_space
from adago.tuning.trials import quantile, refine, round1_trial, round2_trial, rounds, trial_ids

SPACE = parse_method_space("adago", {"lr": {"low": 1e-4, "high": 1e-2, "log": True},
                                     "reg": {"low": 0.0, "high": 0.1}, "omega": [0.99, 0.999, 0.9999]})


def trials(space, n, seed=0):
    return [round1_trial(space, seed=seed, k=k) for k in range(n)]


def test_the_same_seed_and_space_give_the_same_trials():
    assert trials(SPACE, 10) == trials(SPACE, 10)
    assert trials(SPACE, 10, seed=1) != trials(SPACE, 10, seed=0)


def test_trials_do_not_depend_on_the_python_process():
    # Python's hash() of a str changes between processes; the draws must not.
    code = ("from adago.tuning.trials import quantile; print(repr(quantile(3, 1, 7, 'lr')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123"}).stdout.strip()
    assert float(out) == quantile(3, 1, 7, "lr")


def test_growing_the_budget_keeps_every_earlier_trial():
    assert trials(SPACE, 12)[:8] == trials(SPACE, 8)
    assert trial_ids(12)[:8] == trial_ids(8)


def test_a_method_s_trials_depend_only_on_its_own_space():
    before = settings({}, ["adago", "adam", "sgd"], "tuned")
    after = settings({"space": {"adam": {"lr": [0.003, 0.004]}}}, ["adago", "adam", "sgd"], "tuned")
    for method in ("adago", "sgd"):
        assert trials(after.spaces[method], 8) == trials(before.spaces[method], 8)
    assert trials(after.spaces["adam"], 8) != trials(before.spaces["adam"], 8)


def test_adding_an_option_leaves_the_other_options_values_unchanged():
    wider = {**SPACE, "damping": Range(1e-3, 1.0, True)}
    for old, new in zip(trials(SPACE, 8), trials(wider, 8)):
        assert {k: new[k] for k in old} == old


def test_methods_sharing_an_option_draw_the_same_quantiles():
    adam = parse_method_space("adam", {"lr": {"low": 1e-4, "high": 1e-2, "log": True}, "beta2": [0.99, 0.999]})
    adago = parse_method_space("adago", {"lr": {"low": 1e-4, "high": 1e-2, "log": True}, "omega": [0.99, 0.999]})
    for a, b in zip(trials(adam, 8), trials(adago, 8)):
        assert a["lr"] == b["lr"] and a["beta2"] == b["omega"]


def test_log_uniform_draws_are_uniform_in_log_and_inside_the_bounds():
    space = {"lr": Range(1e-5, 1e-1, log=True)}
    lr = np.array([round1_trial(space, seed=0, k=k)["lr"] for k in range(4000)])
    assert lr.min() >= 1e-5 and lr.max() <= 1e-1
    # Each of the four decades holds a quarter of the draws (binomial sd of a share: 0.007).
    shares = np.histogram(np.log10(lr), bins=[-5, -4, -3, -2, -1])[0] / len(lr)
    assert np.allclose(shares, 0.25, atol=0.03), shares


def test_uniform_draws_are_uniform_and_lists_equally_likely():
    draws = trials(SPACE, 3000)
    reg = np.array([d["reg"] for d in draws])
    assert 0 <= reg.min() and reg.max() <= 0.1 and abs(np.mean(reg < 0.05) - 0.5) < 0.03
    counts = np.array([sum(d["omega"] == v for d in draws) for v in (0.99, 0.999, 0.9999)])
    assert np.allclose(counts / len(draws), 1 / 3, atol=0.03)


def test_quantiles_refuse_negative_or_non_integer_indices():
    with pytest.raises(ValueError, match="trial must be an integer >= 0"):
        quantile(0, 1, -1, "lr")
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        quantile(1.5, 1, 0, "lr")


def test_round2_searches_a_quarter_of_each_log_range_around_the_best():
    centre = {"lr": 1e-3, "reg": 0.05, "omega": 0.999}
    narrowed = refine(SPACE, centre)
    assert narrowed["lr"].log and math.log(narrowed["lr"].high / narrowed["lr"].low) == pytest.approx(math.log(100) / 4)
    assert math.sqrt(narrowed["lr"].low * narrowed["lr"].high) == pytest.approx(1e-3)
    assert (narrowed["reg"].low, narrowed["reg"].high) == pytest.approx((0.0375, 0.0625))
    assert narrowed["omega"] == Choice((0.999,))
    for k in range(50):
        t = round2_trial(SPACE, centre, seed=0, k=k)
        assert narrowed["lr"].low <= t["lr"] <= narrowed["lr"].high and t["omega"] == 0.999


def test_a_round2_window_at_the_edge_moves_inside_and_keeps_its_width():
    narrowed = refine(SPACE, {"lr": 1e-4, "reg": 0.1, "omega": 0.99})
    assert narrowed["lr"].low == pytest.approx(1e-4) and narrowed["lr"].high == pytest.approx(1e-4 * 100 ** 0.25)
    assert (narrowed["reg"].low, narrowed["reg"].high) == pytest.approx((0.075, 0.1))


def test_round2_trials_are_computed_from_round1_best_json(tmp_path):
    centre = {"lr": 2e-3, "reg": 0.02, "omega": 0.99}
    write_json(tmp_path / "best.json", _best_json(centre))
    best = read_best(tmp_path / "best.json")
    assert trial_values(SPACE, "r2t03", sampling_seed=5, round1_best=best) == round2_trial(SPACE, centre, seed=5, k=3)
    with pytest.raises(ValueError, match="r2t03 is a round-2 trial: it needs round 1's best.json"):
        trial_values(SPACE, "r2t03", sampling_seed=5)


def test_round2_refuses_a_best_from_another_space():
    with pytest.raises(ConfigError, match="round-1 best lr=0.5 lies outside the space"):
        refine(SPACE, {"lr": 0.5, "reg": 0.02, "omega": 0.99})
    with pytest.raises(ConfigError, match=r"round-1 best has no value for \['omega'\]"):
        refine(SPACE, {"lr": 1e-3, "reg": 0.02})


def test_the_budget_is_split_between_rounds():
    assert rounds(12, 4) == (8, 4)
    assert trial_ids(4, 1) == ["r1t00", "r1t01", "r1t02", "r2t00"]
    with pytest.raises(ConfigError, match="tuning.refine_trials: must be in 0..3"):
        rounds(4, 4)


def _best_json(values):
    return {"format": "adago-tuning-best/1", "method": "adago", "context": {}, "metric": "val_rmse",
            "score": 0.8, "validation": {}, "hyperparameters": values, "reference_values": values,
            "options": {"method": "adago", **values}, "train_options": {}, "scale": 1.0,
            "trial_id": "r1t00", "round": 1, "n_trials": 1, "n_diverged": 0, "trials_per_round": [1, 0],
            "seeds": [1], "sampling_seed": 5, "space": {}}
