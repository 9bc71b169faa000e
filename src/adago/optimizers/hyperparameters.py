"""Hyperparameters of one training run, validated once at the boundary.

:class:`TrainConfig` is the single description of *what* is trained (model size, regulariser,
initialisation), *how* (optimiser and its constants, step granularity) and *when to stop*. Every
choice the paper leaves open is a named field with a documented default (see docs/METHODS.md).
Configs usually arrive from YAML; :meth:`TrainConfig.from_mapping` rejects unknown keys and bad
values with a :class:`ConfigError` that names the full key, e.g.
``hyperparameters.douban.adago.lr: must be > 0, got -1.0``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from adago.optimizers.registry import ALGORITHMS, METHODS

BATCHES = ("rating", "full")
STEP_COUNTERS = ("row", "global")
SGD_VARIANTS = ("momentum", "plain", "nesterov")
DTYPES = ("float32", "float64")
# The fields every method reads (the model, its storage and the step size); the rest depend on
# the algorithm (registry.ALGORITHMS).
COMMON_FIELDS = ("method", "rank", "lr", "reg", "init_low", "init_high", "use_bias", "batch", "dtype")

# Per-method defaults for the fields marked "per method" below (see the registry).
METHOD_DEFAULTS: dict[str, dict[str, float]] = {name: {"lr": m.lr} for name, m in METHODS.items()}


class ConfigError(ValueError):
    """A hyperparameter is unknown or has an invalid value; the message names the full key."""


@dataclass(frozen=True)
class TrainConfig:
    """One run's hyperparameters. ``lr=None`` means the method's default (METHOD_DEFAULTS),
    ``batch=None`` the first batch mode its algorithm supports (registry.ALGORITHMS).

    Fields (defaults in brackets):
      method          a name of adago.optimizers.METHODS: 'adago' (M1) | 'adam' (M2) | 'sgd' (M3) |
                      'adahessian' (M4) | 'als' (M5) | an AdaGO ablation 'adago-nodamp',
                      'adago-noreg', 'adago-k05', 'adago-global-t', 'adago-full' (A1-A5), whose
                      fixed setting may be left out or repeated, not changed
      rank            R, latent dimension [20]
      lr              eta, learning rate [per method]
      reg             lambda, L2 coefficient of the per-instance regulariser [0.03]
      init_low/high   factors initialised U[init_low, init_high) [0, 0.004]
      use_bias        add global mean (fixed, training mean) and learned user/item biases [False]
      batch           'rating' = one step per training rating (stochastic) | 'full' = one step per epoch
                      (als: one exact sweep over users and one over items) ['rating'; als 'full']
      max_epochs, tol, patience   early stopping [500, 1e-5, 10]
      beta1           first-moment decay of adam and adago [0.9]
      beta2           second-moment decay of adam and adahessian [0.999]
      omega           second-moment decay of adago (EMA of d*d) [0.999]
      eps             added to the denominator of adam/adago/adahessian [1e-8]
      damping         a, added to the Gauss-Newton diagonal [0.01]
      hessian_power   k: denominator is s_hat**(k/2) (adago, adahessian) [1.0]
      probes          Hutchinson probes per step of adahessian [1]
      reg_in_curvature  add lambda to d for each term of the step (exact Hessian diagonal) [True]
      step_counter    'row' = t counts updates of that row | 'global' = one t per step ['row']
                      (adam, adago, adahessian)
      momentum        mu of momentum/Nesterov SGD [0.9]
      sgd_variant     'momentum' | 'plain' | 'nesterov' ['momentum']
      weighted_reg    als: L2 of a row times its rating count (the loss above, exactly minimised)
                      | one L2 per row (the classic unweighted ALS) [True]
      dtype           'float32' | 'float64' for factors and optimiser state ['float32']
    """

    method: str = "adago"
    rank: int = 20
    lr: float | None = None
    reg: float = 0.03
    init_low: float = 0.0
    init_high: float = 0.004
    use_bias: bool = False
    batch: str | None = None
    max_epochs: int = 500
    tol: float = 1e-5
    patience: int = 10
    beta1: float = 0.9
    beta2: float = 0.999
    omega: float = 0.999
    eps: float = 1e-8
    damping: float = 0.01
    hessian_power: float = 1.0
    probes: int = 1
    reg_in_curvature: bool = True
    step_counter: str = "row"
    momentum: float = 0.9
    sgd_variant: str = "momentum"
    weighted_reg: bool = True
    dtype: str = "float32"
    _where: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            self._fail("method", f"must be one of {list(METHODS)}, got {self.method!r}")
        for key, value in METHODS[self.method].fixed.items():
            if getattr(self, key) not in (value, _DEFAULTS[key]):
                self._fail(key, f"fixed to {value!r} by method {self.method!r}, got {getattr(self, key)!r}")
            object.__setattr__(self, key, value)
        if self.lr is None:
            object.__setattr__(self, "lr", METHODS[self.method].lr)
        if self.batch is None:
            object.__setattr__(self, "batch", ALGORITHMS[self.algorithm].batches[0])
        self._validate()

    @property
    def algorithm(self) -> str:
        """The update rule this method runs (a key of adago.optimizers.ALGORITHMS)."""
        return METHODS[self.method].algorithm

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_mapping(cls, mapping: Mapping, where: str = "") -> TrainConfig:
        """Build from a plain mapping (e.g. YAML); ``where`` prefixes key names in errors."""
        if not isinstance(mapping, Mapping):
            raise ConfigError(f"{where or 'config'}: must be a mapping, got {type(mapping).__name__}")
        known = {f.name for f in fields(cls) if not f.name.startswith("_")}
        for key in mapping:
            if key not in known:
                raise ConfigError(f"{_join(where, str(key))}: unknown key (known: {sorted(known)})")
        # A fixed setting given explicitly, even at the field's default, contradicts the method.
        spec = METHODS.get(mapping.get("method", cls.method))
        for key, value in (spec.fixed.items() if spec else ()):
            if key in mapping and mapping[key] != value:
                raise ConfigError(f"{_join(where, key)}: fixed to {value!r} by method "
                                  f"{mapping.get('method')!r}, got {mapping[key]!r}")
        return cls(**dict(mapping), _where=where)

    def to_dict(self) -> dict:
        """Every field (defaults included), JSON-serialisable."""
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    def replace(self, **changes) -> TrainConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ validation
    def _fail(self, key: str, msg: str) -> None:
        raise ConfigError(f"{_join(self._where, key)}: {msg}")

    def _validate(self) -> None:
        choices = {
            "batch": BATCHES,
            "step_counter": STEP_COUNTERS,
            "sgd_variant": SGD_VARIANTS,
            "dtype": DTYPES,
        }
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                self._fail(key, f"must be one of {list(allowed)}, got {getattr(self, key)!r}")
        batches = ALGORITHMS[self.algorithm].batches
        if self.batch not in batches:
            self._fail("batch", f"method {self.method!r} supports {list(batches)}, got {self.batch!r}")
        for key in ("use_bias", "reg_in_curvature", "weighted_reg"):
            if not isinstance(getattr(self, key), bool):
                self._fail(key, f"must be true or false, got {getattr(self, key)!r}")
        for key in ("rank", "max_epochs", "patience", "probes"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int):
                self._fail(key, f"must be an integer, got {value!r}")
            if value < 1:
                self._fail(key, f"must be >= 1, got {value!r}")
        floats = ("lr", "reg", "init_low", "init_high", "tol", "beta1", "beta2", "omega", "eps",
                  "damping", "hessian_power", "momentum")
        for key in floats:
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self._fail(key, f"must be a number, got {value!r}")
            if not math.isfinite(value):
                self._fail(key, f"must be finite, got {value!r}")
            object.__setattr__(self, key, float(value))
        self._check("lr", self.lr > 0, "> 0")
        self._check("hessian_power", self.hessian_power > 0, "> 0")
        for key in ("reg", "tol", "eps", "damping"):
            self._check(key, getattr(self, key) >= 0, ">= 0")
        for key in ("beta1", "beta2", "omega", "momentum"):
            self._check(key, 0 <= getattr(self, key) < 1, "in [0, 1)")
        if self.init_high <= self.init_low:
            self._fail("init_high", f"must be > init_low ({self.init_low!r}), got {self.init_high!r}")
        if self.algorithm == "adago" and self.damping == 0 and self.eps == 0 and not (
            self.reg_in_curvature and self.reg > 0
        ):
            # d can be exactly 0 (a zero factor row): the step would divide 0 by 0.
            self._fail("damping", "must be > 0 when eps == 0 and the regulariser is not in the curvature")
        if self.algorithm == "als" and self.reg == 0:
            # A row with fewer ratings than the rank would have a singular normal matrix.
            self._fail("reg", "must be > 0 for ALS (every row solve needs the L2 term)")

    def _check(self, key: str, ok: bool, what: str) -> None:
        if not ok:
            self._fail(key, f"must be {what}, got {getattr(self, key)!r}")

    # ------------------------------------------------------------------ helpers
    def relevant(self) -> dict:
        """The fields that influence this method's run (for error messages and run records)."""
        algorithm = ALGORITHMS[self.algorithm]
        keys = [k for k in COMMON_FIELDS if k != "lr" or algorithm.learning_rate] + list(algorithm.fields)
        if self.algorithm == "sgd" and self.sgd_variant == "plain":
            keys.remove("momentum")
        return {k: getattr(self, k) for k in keys}


_DEFAULTS = {f.name: f.default for f in fields(TrainConfig)}


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
