"""The scale rule: hyperparameters stated for 1-5 stars, converted to any rating scale.

The model has no biases: r_hat = p . q. Multiply every rating by c and the same problem reappears
with every quantity rescaled, if the options are rescaled with it:

    ratings r' = c r,  factors p' = sqrt(c) p,  q' = sqrt(c) q   (so p'.q' = c p.q, residual e' = c e)
    L2 coefficient  lambda' = c lambda   (the loss e^2 ~ c^2 and the penalty lambda |p|^2 ~ c lambda)
    gradient        g' = -e' q' + lambda' p' = c^(3/2) g
    Gauss-Newton diagonal + damping  d' = q'^2 + a' + lambda' = c d   with a' = c a
    initial range   U[init_low, init_high) -> sqrt(c) x both ends
    stopping tol    tol' = c tol (it is compared with RMSE/MAE changes)

and each optimiser's step must scale like the factors, sqrt(c):

    SGD (plain, momentum, Nesterov)  step = eta g             -> eta' = eta / c
    Adam                              step = eta m / sqrt(v)   -> eta' = eta sqrt(c),  eps' = c^(3/2) eps
    AdaGO, AdaHessian (power k)       step = eta m / s^(k/2)   -> eta' = eta c^(k-1), eps' = c^k eps
    ALS                               exact row solves (Q^T Q + lambda n I)^-1 Q^T r: no learning rate

(AdaGO with k = 1 needs no change of learning rate: its step is already in the units of the factors;
AdaHessian's Hutchinson estimate z * Hz of the Hessian diagonal scales like d, so it follows AdaGO.)
With these options a run on c r is the run on r with every factor multiplied by sqrt(c), every error
by c, epoch for epoch (tests/test_tuning_scale.py checks it to rounding error). The rule is exact
for the paper's model; with ``use_bias`` the biases scale like c, not sqrt(c), and it is only a
first-order guide.

The scale c of a data set is the largest absolute rating of its range (declared, else the training
ratings'; adago.dataset.rating_range_policy) relative to 5 stars: c = max(|low|, |high|) / 5. So
1-5 and 0.5-5 stars give c = 1 (nothing changes), 1-10 gives 2, 1-100 gives 20.
"""

from __future__ import annotations

from collections.abc import Mapping

from adago.optimizers import METHODS, ConfigError, TrainConfig

REFERENCE_MAX_RATING = 5.0

# Exponent of c for the learning rate and for eps, per algorithm (adago.optimizers.ALGORITHMS),
# given the full options; 0 where the algorithm does not use the option.
_LR_EXPONENT = {
    "sgd": lambda o: -1.0,
    "adam": lambda o: 0.5,
    "adago": lambda o: o["hessian_power"] - 1.0,
    "adahessian": lambda o: o["hessian_power"] - 1.0,
    "als": lambda o: 0.0,
}
_EPS_EXPONENT = {
    "sgd": lambda o: 0.0,
    "adam": lambda o: 1.5,
    "adago": lambda o: o["hessian_power"],
    "adahessian": lambda o: o["hessian_power"],
    "als": lambda o: 0.0,
}
# Options whose units do not depend on the method.
_FIXED_EXPONENT = {"reg": 1.0, "damping": 1.0, "init_low": 0.5, "init_high": 0.5, "tol": 1.0}


def rating_scale(rating_range) -> float:
    """c = max(|low|, |high|) / 5 for the rating range (low, high) of a data set."""
    low, high = (float(x) for x in rating_range)
    c = max(abs(low), abs(high)) / REFERENCE_MAX_RATING
    if not c > 0:
        raise ValueError(f"rating range {list(rating_range)} has no scale (both ends are 0)")
    return c


def exponents(options: Mapping) -> dict[str, float]:
    """Exponent e of c for every option that has units: option' = option * c**e."""
    config = TrainConfig.from_mapping(options)
    full, algorithm = config.to_dict(), config.algorithm
    if algorithm not in _LR_EXPONENT:
        raise ConfigError(f"method {full['method']!r} (algorithm {algorithm!r}): no scale rule "
                          f"(add one to adago.tuning.scale)")
    return {**_FIXED_EXPONENT, "lr": _LR_EXPONENT[algorithm](full), "eps": _EPS_EXPONENT[algorithm](full)}


def scale_options(options: Mapping, c: float) -> dict:
    """``options`` (TrainConfig keys, stated for 1-5 stars) converted to a scale ``c``.

    Only the options present are converted; a missing one keeps TrainConfig's default, which is
    itself stated for 1-5 stars, so it is filled in and converted too when c != 1. Options without
    units (rank, beta1, beta2, omega, momentum, ...) are returned unchanged.
    """
    if c == 1.0:
        return dict(options)
    full = TrainConfig.from_mapping(options).to_dict()
    fixed = METHODS[full["method"]].fixed  # e.g. adago-nodamp's a = 0: the method sets it, not us
    out = dict(options)
    for name, e in exponents(options).items():
        if name not in fixed and (e != 0.0 or name in out):
            out[name] = full[name] * c**e
    return out
