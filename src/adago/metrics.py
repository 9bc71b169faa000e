"""Error metrics of eq. (15), with clipping to the rating range as an explicit option.

    RMSE = sqrt(1/|G| sum_(u,i in G) (r_ui - p_ui)^2),   MAE = 1/|G| sum_(u,i in G) |r_ui - p_ui|

over the held-out entries G, where p_ui is the raw prediction (``clip=False``: eq. 15 as printed,
and what the authors' public latent-factor code computes) or the prediction clipped to the rating
range [lo, hi] (``clip=True``: what a recommender would show a user; clipping never increases
either error). Sums run sequentially in float64, so the value does not depend on the thread count
or the factor dtype's accumulation error.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def errors(pred, truth, lo, hi, clip):
    """(rmse, mae, n_nonfinite) of ``pred`` against ``truth`` (shape (n,)), clipped to [lo, hi] if ``clip``.

    Non-finite predictions are counted (a diverged model) instead of being hidden by a clip, and
    make both errors NaN. Empty input gives (nan, nan, 0).
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
        if clip:
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


def rmse(pred, truth, clip_range: tuple[float, float] | None = None) -> float:
    """Root mean squared error; predictions clipped to ``clip_range`` = (lo, hi) if given.

    NaN if any prediction is non-finite.
    """
    return _errors(pred, truth, clip_range)[0]


def mae(pred, truth, clip_range: tuple[float, float] | None = None) -> float:
    """Mean absolute error; predictions clipped to ``clip_range`` = (lo, hi) if given.

    NaN if any prediction is non-finite.
    """
    return _errors(pred, truth, clip_range)[1]


def _errors(pred, truth, clip_range) -> tuple[float, float]:
    pred, truth = np.ascontiguousarray(pred), np.ascontiguousarray(truth)
    if pred.shape != truth.shape or pred.ndim != 1:
        raise ValueError(f"pred and truth must be 1-D of equal length, got {pred.shape}, {truth.shape}")
    if clip_range is None:
        lo, hi, clip = 0.0, 0.0, False
    else:
        lo, hi = float(clip_range[0]), float(clip_range[1])
        if not hi > lo:
            raise ValueError(f"clip_range must be (low, high) with high > low, got {clip_range}")
        clip = True
    r, m, _ = errors(pred, truth, lo, hi, clip)
    return float(r), float(m)
