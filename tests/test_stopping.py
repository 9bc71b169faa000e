"""Stopping rules on hand-made validation histories: the authors' rule (with its off-by-one), the
running-best rule, separate and joint stopping, monitored metrics and the minimum epoch count."""

import pytest

from adago.optimizers import ConfigError
from adago.stopping import Stopping, replay

TOL = 0.01  # large, so that the hand-made values read easily
# epoch:     1    2     3      4      5     6    7    8    9    10   11   12
SMALL_GAINS = [1.0, 0.9, 0.895, 0.891, 0.889, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]


def run(rmse, mae=None, *, patience=3, max_epochs=500, **stopping):
    mae = [1.0] * len(rmse) if mae is None else mae
    return replay(rmse, mae, tol=TOL, patience=patience, max_epochs=max_epochs, stopping=Stopping(**stopping))


def test_authors_rule_moves_the_best_only_on_a_gain_larger_than_tol_against_the_best():
    # Epochs 3 and 4 gain 0.005 and 0.004 on epoch 2's 0.9: not enough, the best stays at epoch 2.
    # Epoch 5 is 0.011 below that best: the best moves there although each single step gained < tol.
    _, _, out = run(SMALL_GAINS, monitor=["rmse"])
    assert (out["rmse"]["epoch"], out["rmse"]["value"]) == (5, 0.889)


def test_authors_rule_stops_one_epoch_after_patience_stalled_epochs():
    # Best at epoch 5; epochs 6, 7, 8 stall (3 = patience) and their test '(epoch - best) > patience'
    # first holds at epoch 9: patience + 1 epochs after the best, the off-by-one of their code.
    epochs_run, reason, out = run(SMALL_GAINS, monitor=["rmse"])
    assert (epochs_run, reason, out["rmse"]["stop_epoch"]) == (9, "converged", 9)


def test_running_best_rule_is_stopped_by_a_run_of_small_gains():
    # Every epoch from 3 on gains <= tol on the running best: stall 1, 2, 3 -> stop at epoch 5,
    # with the best moved to epoch 5 by the last small gain.
    epochs_run, _, out = run(SMALL_GAINS, monitor=["rmse"], rule="running-best")
    assert (epochs_run, out["rmse"]["epoch"], out["rmse"]["value"]) == (5, 5, 0.889)


def test_running_best_rule_resets_its_count_on_a_gain_larger_than_tol():
    rmse = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5]
    epochs_run, _, out = run(rmse, monitor=["rmse"], rule="running-best")
    assert (epochs_run, out["rmse"]["epoch"]) == (7, 4)


def test_separate_stopping_freezes_each_metric_and_trains_until_both_are_frozen():
    rmse = [1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]  # frozen at 6, before the 0.1
    mae = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]   # best 7, frozen at 11
    epochs_run, reason, out = run(rmse, mae)
    assert (epochs_run, reason) == (11, "converged")
    assert out["rmse"] == {"epoch": 2, "value": 0.5, "stop_epoch": 6, "stop_reason": "converged"}
    assert out["mae"] == {"epoch": 7, "value": 0.4, "stop_epoch": 11, "stop_reason": "converged"}


def test_a_frozen_metric_equals_the_same_history_stopped_on_that_metric_alone():
    rmse = [1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
    mae = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]
    _, _, both = run(rmse, mae)
    alone_epochs, _, alone = run(rmse, mae, monitor=["rmse"])
    assert both["rmse"] == alone["rmse"] and alone_epochs == both["rmse"]["stop_epoch"]
    # Not monitored, MAE reports its best over the shorter run.
    assert alone["mae"] == {"epoch": 6, "value": 0.5, "stop_epoch": None, "stop_reason": "not monitored"}


def test_joint_stopping_waits_for_both_rules_at_once_and_reports_bests_over_the_run():
    rmse = [1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
    mae = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]
    epochs_run, _, out = run(rmse, mae, mode="joint")
    # RMSE's rule says stop at 6, but MAE still improves; the 0.1 at epoch 7 then moves RMSE's best.
    assert epochs_run == 11 and out["rmse"]["epoch"] == 7 and out["mae"]["epoch"] == 7
    assert out["rmse"]["stop_epoch"] == out["mae"]["stop_epoch"] == 11


def test_min_epochs_forbids_a_stop_before_it():
    flat_then_drop = [1.0] * 8 + [0.5] * 8
    assert run(flat_then_drop, monitor=["rmse"], max_epochs=16)[0] == 5  # stopped on the plateau
    epochs_run, _, out = run(flat_then_drop, monitor=["rmse"], min_epochs=9, max_epochs=16)
    assert out["rmse"]["epoch"] == 9 and epochs_run == 13


def test_max_epochs_ends_a_run_whose_metrics_never_stall():
    falling = [1.0 - 0.05 * k for k in range(20)]
    epochs_run, reason, out = run(falling, falling, max_epochs=20)
    assert (epochs_run, reason) == (20, "max_epochs")
    assert out["rmse"]["stop_reason"] == "max_epochs" and out["rmse"]["stop_epoch"] is None


@pytest.mark.parametrize("options, key", [
    ({"rule": "keras"}, "stopping.rule"),
    ({"mode": "both"}, "stopping.mode"),
    ({"monitor": []}, "stopping.monitor"),
    ({"monitor": ["rmse", "auc"]}, "stopping.monitor"),
    ({"min_epochs": -1}, "stopping.min_epochs"),
    ({"patience": 3}, "stopping.patience"),
])
def test_bad_stopping_options_name_their_key(options, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        Stopping.from_mapping(options, where="stopping")


def test_authors_rule_does_not_count_a_gain_of_exactly_tol():
    # 1.0 - 0.75 is exactly 0.25 in binary floating point: equal to tol, so not "larger than tol".
    epochs_run, _, out = replay([1.0, 0.75, 0.75, 0.75, 0.75], [1.0] * 5, tol=0.25, patience=2, max_epochs=5,
                                stopping=Stopping(monitor=["rmse"]))
    assert (out["rmse"]["epoch"], out["rmse"]["value"], epochs_run) == (1, 1.0, 4)


def test_running_best_rule_does_not_count_a_gain_of_exactly_tol():
    epochs_run, _, out = replay([1.0, 0.75, 0.5, 0.5], [1.0] * 4, tol=0.25, patience=2, max_epochs=4,
                                stopping=Stopping(monitor=["rmse"], rule="running-best"))
    # Both gains equal tol: stalled at epochs 2 and 3, stop at 3, the running best still moved to 0.5.
    assert (epochs_run, out["rmse"]["epoch"], out["rmse"]["value"]) == (3, 3, 0.5)


@pytest.mark.parametrize("rule", ["authors", "running-best"])
def test_joint_stopping_waits_for_the_later_metric_however_long_the_first_has_stalled(rule):
    # RMSE stalls from epoch 2 on; MAE gains until epoch 6. Joint: stop once MAE has stalled too,
    # although RMSE's stall has by then run far past the patience.
    rmse = [1.0] * 12
    mae = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5] + [0.5] * 6
    epochs_run, reason, out = run(rmse, mae, patience=2, rule=rule, mode="joint")
    expected = 9 if rule == "authors" else 8  # the authors' off-by-one: stall > patience
    assert (epochs_run, reason) == (expected, "converged")
    assert out["rmse"]["stop_epoch"] == out["mae"]["stop_epoch"] == expected


@pytest.mark.parametrize("rule", ["authors", "running-best"])
def test_a_rule_that_stalled_before_min_epochs_stops_at_min_epochs(rule):
    epochs_run, reason, _ = run([1.0] * 12, monitor=["rmse"], patience=2, rule=rule, min_epochs=8)
    assert (epochs_run, reason) == (8, "converged")
