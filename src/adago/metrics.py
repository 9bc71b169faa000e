"""Error metrics of eq. (15), on predictions clipped to the rating range.

RMSE = sqrt(1/|G| sum (r - clip(r_hat))^2),  MAE = 1/|G| sum |r - clip(r_hat)|  over the held-out
entries G. Clipping to [lo, hi] is what any recommender would show a user and what the authors'
code does; it never increases either error. Sums run sequentially in float64, so the value does
not depend on the thread count or the factor dtype's accumulation error.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def clipped_errors(pred, truth, lo, hi):
    """(rmse, mae, n_nonfinite) of ``pred`` clipped to [lo, hi] against ``truth`` (shape (n,)).

    Non-finite predictions are counted (a diverged model) instead of being hidden by the clip.
    Empty input gives (nan, nan, 0).
    """
    n = pred.shape[0]
    sq = 0.0
    ab = 0.0
    bad = 0
    for k in range(n):
        p = np.float64(pred[k])
        if not np.isfinite(p):
            bad += 1
            continue
        if p < lo:
            p = lo
        elif p > hi:
            p = hi
        e = np.float64(truth[k]) - p
        sq += e * e
        ab += abs(e)
    if n == 0:
        return np.nan, np.nan, 0
    if bad > 0:
        return np.nan, np.nan, bad
    return np.sqrt(sq / n), ab / n, 0


def rmse(pred, truth, lo: float, hi: float) -> float:
    """Root mean squared error of ``pred`` clipped to [lo, hi] (nan if any prediction is non-finite)."""
    return _errors(pred, truth, lo, hi)[0]


def mae(pred, truth, lo: float, hi: float) -> float:
    """Mean absolute error of ``pred`` clipped to [lo, hi] (nan if any prediction is non-finite)."""
    return _errors(pred, truth, lo, hi)[1]


def _errors(pred, truth, lo, hi) -> tuple[float, float]:
    pred, truth = np.ascontiguousarray(pred), np.ascontiguousarray(truth)
    if pred.shape != truth.shape or pred.ndim != 1:
        raise ValueError(f"pred and truth must be 1-D of equal length, got {pred.shape}, {truth.shape}")
    r, m, _ = clipped_errors(pred, truth, float(lo), float(hi))
    return float(r), float(m)
