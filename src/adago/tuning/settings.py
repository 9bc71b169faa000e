"""The ``tuning`` block of the config: budget, seeds and the search space of every method.

    tuning:
      enabled: true            # false: final runs use the values under `hyperparameters`
      seeds: [1, 2]            # each trial is scored on the validation parts of these splits
      trials: 8                # the budget: trials per method, the same for every method
      refine_trials: 0         # how many of them are spent around round 1's best (round 2)
      sampling_seed: 0         # seeds the random search (adago.tuning.trials)
      metric: val_rmse         # selection metric: val_rmse or val_mae
      space:                   # {method: {option: list | {low, high, log}}}, 1-5 star units;
        adago: {lr: {low: 1.0e-4, high: 1.0e-2, log: true}}   # or {protocol: {method: ...}}

A method's declared space replaces its default space (:func:`default_space`) as a whole. A space may
hold only what its protocol leaves open (adago.protocols.open_keys: under ``paper`` the learning
rate, and AdaGO's damping and omega; never the run-level max_epochs, tol, patience).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from adago.optimizers import ALGORITHMS, METHODS, ConfigError
from adago.protocols import PROTOCOLS, check_options, open_keys
from adago.tuning.records import METRICS
from adago.tuning.space import Space, parse_method_space
from adago.tuning.trials import rounds

_LR = {"low": 2.0e-4, "high": 1.0e-2, "log": True}
_SGD_LR = {"low": 1.0e-4, "high": 3.0e-3, "log": True}
# From negligible to the size of the curvature itself near a solution (q^2 ~ mean rating / rank,
# about 0.2 for 1-5 stars and rank 20); a much larger a turns AdaGO into slow momentum SGD.
_DAMPING = {"low": 1.0e-3, "high": 0.3, "log": True}
_DECAY = [0.99, 0.999, 0.9999]
_REG = {"low": 3.0e-3, "high": 0.1, "log": True}

# Learning-rate ranges, each stated for a reference method's default learning rate (registry); a
# method's range moves with its own default: the range times lr(method) / lr(reference). So AdaGO's
# ablations share AdaGO's range, its full-batch variant (default 0.03) gets one 60 times higher, and
# AdaHessian (AdaGO's rule with an estimated diagonal, default 0.01) one 20 times higher.
_LR_RANGES = {
    "adago": ("adago", _LR),
    "adam": ("adam", _LR),
    "sgd": ("sgd", _SGD_LR),
    "adahessian": ("adago", _LR),
}
# What else the tuned protocol tunes, per algorithm; the paper protocol keeps only its open keys
# (adago.protocols.open_keys: AdaGO's damping and omega).
_OTHER = {
    "adago": {"reg": _REG, "damping": _DAMPING, "omega": _DECAY},
    "adam": {"reg": _REG, "beta2": _DECAY},
    "sgd": {"reg": _REG, "momentum": [0.5, 0.8, 0.9, 0.95]},
    "adahessian": {"reg": _REG, "beta2": _DECAY},
    "als": {"reg": _REG},
}

# 8 trials: the largest budget that keeps the tuned reproduction of both protocols inside 15 minutes
# on 2 cores (docs/TUNING.md, "Cost and the default budget").
DEFAULTS = {"enabled": True, "seeds": [1, 2], "trials": 8, "refine_trials": 0, "sampling_seed": 0,
            "metric": "val_rmse"}


@dataclass(frozen=True)
class TuningSettings:
    """The validated ``tuning`` block for one protocol: ``spaces`` has one Space per method that has
    anything open to tune; ``untuned`` lists the others (ALS under the paper protocol), whose runs
    use the config's values."""

    enabled: bool
    seeds: tuple[int, ...]
    trials: int
    refine_trials: int
    sampling_seed: int
    metric: str
    spaces: dict[str, Space]
    untuned: tuple[str, ...] = ()

    @property
    def rounds(self) -> tuple[int, int]:
        """(round-1 trials, round-2 trials) of every method's budget."""
        return rounds(self.trials, self.refine_trials)


def default_space(protocol: str, method: str) -> dict:
    """The declared form of ``method``'s default space under ``protocol``, stated for 1-5 stars:
    its algorithm's learning-rate range (moved with the method's default learning rate) and other
    options, less what the method's name fixes and what the protocol does not leave open. Empty
    for a method with nothing open (ALS under the paper protocol).

    paper: AdaGO lr log[2e-4, 1e-2], damping log[1e-3, 0.3], omega {0.99, 0.999, 0.9999};
           Adam lr log[2e-4, 1e-2]; momentum SGD lr log[1e-4, 3e-3]
    tuned: the same, plus L2 log[3e-3, 0.1] for all, Adam's beta2 {0.99, 0.999, 0.9999} and SGD's
           momentum {0.5, 0.8, 0.9, 0.95}
    """
    spec = METHODS[method]
    algorithm = spec.algorithm
    space: dict = {}
    if ALGORITHMS[algorithm].learning_rate:
        if algorithm not in _LR_RANGES:
            raise ConfigError(f"tuning.space.{method}: no default search space for algorithm "
                              f"{algorithm!r}; declare one")
        reference, lr = _LR_RANGES[algorithm]
        factor = spec.lr / METHODS[reference].lr
        space["lr"] = {"low": _digits(lr["low"] * factor), "high": _digits(lr["high"] * factor), "log": True}
    space.update(_OTHER.get(algorithm, {}))
    allowed = open_keys(protocol, method)
    return {k: v for k, v in space.items() if k not in spec.fixed and (allowed is None or k in allowed)}


def _digits(x: float) -> float:
    return float(f"{x:.6g}")


def declared_spaces(space: Mapping | None, protocol: str) -> dict:
    """The part of ``tuning.space`` that applies to ``protocol``: a per-protocol block
    ``{protocol: {method: ...}}`` if the keys are protocol names, else the whole {method: ...}."""
    space = dict(space or {})
    if any(key in PROTOCOLS for key in space):
        if not set(space) <= set(PROTOCOLS):
            raise ConfigError(f"tuning.space: mixes protocol names and method names: {sorted(space)}")
        return dict(space.get(protocol) or {})
    return space


def settings(tuning: Mapping | None, methods: Sequence[str], protocol: str,
             where: str = "tuning") -> TuningSettings:
    """Validate the ``tuning`` block (defaults: :data:`DEFAULTS`) for ``protocol`` and ``methods``.

    Raises ConfigError naming the key, e.g. ``tuning.space.adago.lr.low: must be > 0, got -1.0`` or
    ``config key 'tuning.space.adam.reg': fixed to 0.03 by the paper protocol (open for adam: lr)``.
    """
    if protocol not in PROTOCOLS:
        raise ConfigError(f"protocol: must be one of {list(PROTOCOLS)}, got {protocol!r}")
    block = dict(tuning or {})
    unknown = sorted(set(block) - set(DEFAULTS) - {"space"})
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key (known: {sorted([*DEFAULTS, 'space'])})")
    values = {**DEFAULTS, **{k: v for k, v in block.items() if k != "space"}}
    if not isinstance(values["enabled"], bool):
        raise ConfigError(f"{where}.enabled: must be true or false, got {values['enabled']!r}")
    seeds = values["seeds"]
    if (not isinstance(seeds, (list, tuple)) or not seeds
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)
            or len(set(seeds)) != len(seeds)):
        raise ConfigError(f"{where}.seeds: must be a non-empty list of distinct integers >= 0, got {seeds!r}")
    seed = values["sampling_seed"]
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"{where}.sampling_seed: must be an integer >= 0, got {seed!r}")
    if values["metric"] not in METRICS:
        raise ConfigError(f"{where}.metric: must be one of {list(METRICS)}, got {values['metric']!r}")
    rounds(values["trials"], values["refine_trials"])  # checks both, naming the key

    declared = declared_spaces(block.get("space"), protocol)
    space_where = f"{where}.space" + (f".{protocol}" if "space" in block and any(
        k in PROTOCOLS for k in block["space"] or {}) else "")
    # A space for a registered method this run leaves out is checked but unused (config files are
    # layered: a shared file may declare spaces for every method); a name that is no method is a typo.
    unknown = sorted(set(declared) - set(METHODS))
    if unknown:
        raise ConfigError(f"{space_where}.{unknown[0]}: not a method (methods: {list(METHODS)})")
    spaces, untuned = {}, []
    for method in [*methods, *(m for m in declared if m not in methods)]:
        chosen = declared[method] if method in declared else default_space(protocol, method)
        if method not in declared and not chosen:
            untuned.append(method)  # nothing open to tune: its runs use the config's values
            continue
        space = parse_method_space(method, chosen, space_where)
        check_options(protocol, method, space, f"{space_where}.{method}")
        if method in methods:
            spaces[method] = space
    return TuningSettings(enabled=values["enabled"], seeds=tuple(seeds), trials=values["trials"],
                          refine_trials=values["refine_trials"], sampling_seed=seed,
                          metric=values["metric"], spaces=spaces, untuned=tuple(untuned))
