"""Error metrics of eq. (15): exact values on hand-worked errors, and the definitions on random data.

The hand-worked errors are chosen so that |e| != e^2 for most of them (the only earlier metric
test used errors of 0 and 1, where an MAE summing squared errors gives the same number), and so
that every intermediate value is a dyadic rational: the expected results are exact in float64.
Predictions inside the rating range give the same errors with and without clipping; both are
checked.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from adago.metrics import mae, rmse

LO, HI = 1.0, 5.0
RANGE = (LO, HI)


@pytest.mark.parametrize("clip", [None, RANGE], ids=["raw", "clipped"])
def test_mae_and_rmse_are_exact_on_hand_worked_errors(clip):
    truth = np.array([1.0, 4.0, 4.0, 1.5, 3.0])
    pred = np.array([3.5, 2.0, 4.5, 1.0, 3.0])
    # e = truth - pred = -2.5, 2, -0.5, 0.5, 0
    # |e| sum = 5.5 -> MAE = 1.1;  e^2 sum = 6.25 + 4 + 0.25 + 0.25 = 10.75 -> RMSE = sqrt(2.15)
    assert mae(pred, truth, clip) == pytest.approx(5.5 / 5, rel=1e-15)
    assert rmse(pred, truth, clip) == pytest.approx(math.sqrt(10.75 / 5), rel=1e-15)


@pytest.mark.parametrize("clip", [None, RANGE], ids=["raw", "clipped"])
def test_mae_of_errors_below_one_is_larger_than_their_mean_square(clip):
    # |e| = 0.5 everywhere: MAE = 0.5, mean e^2 = 0.25, RMSE = 0.5 (equal when all |e| are equal).
    truth = np.array([2.0, 3.0, 4.0, 2.0])
    pred = np.array([2.5, 2.5, 4.5, 1.5])
    assert mae(pred, truth, clip) == 0.5
    assert rmse(pred, truth, clip) == 0.5


@pytest.mark.parametrize("clip", [None, RANGE], ids=["raw", "clipped"])
def test_mae_of_errors_above_one_is_smaller_than_rmse(clip):
    # |e| = 3 and 1: MAE = 2, RMSE = sqrt((9 + 1) / 2) = sqrt(5).
    truth = np.array([1.0, 5.0])
    pred = np.array([4.0, 4.0])
    assert mae(pred, truth, clip) == 2.0
    assert rmse(pred, truth, clip) == pytest.approx(math.sqrt(5.0), rel=1e-15)


def test_clipping_moves_predictions_into_the_rating_range_first():
    truth = np.array([1.0, 4.0, 2.0, 5.0])
    pred = np.array([-3.0, 9.0, 3.0, 0.0])  # clipped: 1, 5, 3, 1 -> e = 0, -1, -1, 4
    assert mae(pred, truth, RANGE) == pytest.approx(6.0 / 4, rel=1e-15)
    assert rmse(pred, truth, RANGE) == pytest.approx(math.sqrt(18.0 / 4), rel=1e-15)


def test_without_clipping_errors_outside_the_range_count_in_full():
    # eq. (15) as printed: e = 4, -5, -1, 5 -> |e| sum 15, e^2 sum 16 + 25 + 1 + 25 = 67
    truth = np.array([1.0, 4.0, 2.0, 5.0])
    pred = np.array([-3.0, 9.0, 3.0, 0.0])
    assert mae(pred, truth) == pytest.approx(15.0 / 4, rel=1e-15)
    assert rmse(pred, truth) == pytest.approx(math.sqrt(67.0 / 4), rel=1e-15)


@pytest.mark.parametrize("clip", [None, RANGE], ids=["raw", "clipped"])
@pytest.mark.parametrize("seed", range(5))
def test_metrics_equal_their_definitions_on_random_predictions(seed, clip):
    """RMSE = sqrt(mean e^2), MAE = mean |e|, e = truth - pred (clipped to the range if asked)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    truth = rng.integers(1, 6, n).astype(float)
    pred = rng.normal(3.0, 2.0, n)  # many outside [1, 5]
    e = truth - (pred if clip is None else np.clip(pred, LO, HI))
    assert mae(pred, truth, clip) == pytest.approx(np.mean(np.abs(e)), rel=1e-12)
    assert rmse(pred, truth, clip) == pytest.approx(np.sqrt(np.mean(e * e)), rel=1e-12)
    assert mae(pred, truth, clip) <= rmse(pred, truth, clip) + 1e-12  # Jensen


@pytest.mark.parametrize("clip", [None, RANGE], ids=["raw", "clipped"])
def test_metrics_of_float32_predictions_are_summed_in_float64(clip):
    truth = np.full(3, 3.0)
    pred = np.array([3.25, 2.5, 3.0], dtype=np.float32)  # exact in float32
    assert mae(pred, truth, clip) == pytest.approx(0.75 / 3, rel=1e-15)
    assert rmse(pred, truth, clip) == pytest.approx(math.sqrt((0.0625 + 0.25) / 3), rel=1e-15)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_single_non_finite_prediction_makes_both_errors_nan(bad):
    # A diverged model must not be hidden by clipping or by averaging over the finite predictions.
    pred, truth = np.array([3.0, bad, 2.0]), np.array([3.0, 3.0, 3.0])
    for clip in (None, RANGE):
        assert math.isnan(mae(pred, truth, clip)) and math.isnan(rmse(pred, truth, clip))


def test_empty_input_has_no_error_value():
    for clip in (None, RANGE):
        assert math.isnan(mae(np.empty(0), np.empty(0), clip))
        assert math.isnan(rmse(np.empty(0), np.empty(0), clip))


@pytest.mark.parametrize("clip", [None, RANGE], ids=["raw", "clipped"])
def test_a_single_rating_has_its_own_error(clip):
    assert mae(np.array([2.5]), np.array([4.0]), clip) == 1.5
    assert rmse(np.array([2.5]), np.array([4.0]), clip) == 1.5


@pytest.mark.parametrize("pred, truth", [
    (np.ones(3), np.ones(4)),
    (np.ones(4), np.ones(3)),
    (np.ones((2, 2)), np.ones((2, 2))),
], ids=["shorter", "longer", "2-d"])
def test_inputs_that_are_not_two_equal_length_vectors_are_refused(pred, truth):
    for metric in (mae, rmse):
        with pytest.raises(ValueError, match="1-D of equal length"):
            metric(pred, truth, RANGE)


@pytest.mark.parametrize("clip_range", [(5.0, 1.0), (3.0, 3.0)])
def test_an_empty_or_reversed_clip_range_is_refused(clip_range):
    for metric in (mae, rmse):
        with pytest.raises(ValueError, match="clip_range must be"):
            metric(np.ones(2), np.ones(2), clip_range)
