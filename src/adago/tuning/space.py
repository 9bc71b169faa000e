"""Search spaces: which TrainConfig options a method's trials vary, and over what.

A space is declared per method as ``{option: [v1, v2, ...] | {low, high, log}}`` (config key
``tuning.space``). A list is a set of values drawn with equal probability; a range is drawn
uniformly, or log-uniformly with ``log: true``:

    Range(low, high, log=False).at(u) = low + u (high - low)
    Range(low, high, log=True).at(u)  = exp(log low + u (log high - log low)),   u in [0, 1)

Values are stated for a 1-5 star scale and converted to the data's scale before a trial runs
(adago.tuning.scale). Every value a space can produce is validated here by TrainConfig itself, so a
typo or an impossible value fails when the config is read, naming the key
(``tuning.space.adago.lr: must be > 0, got -1.0``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

from adago.optimizers import METHODS, ConfigError, TrainConfig

# Significant digits kept of a drawn value: readable in trials.csv and config files, and far finer
# than any difference a hyperparameter makes (values near 1, e.g. 0.99995, keep their tail).
DIGITS = 6

_REAL_OPTIONS = {f.name for f in fields(TrainConfig) if f.type in ("float", "float | None")}
_OPTIONS = {f.name for f in fields(TrainConfig) if not f.name.startswith("_")} - {"method"}


@dataclass(frozen=True)
class Range:
    """A real interval [low, high], drawn uniformly (``log=False``) or log-uniformly."""

    low: float
    high: float
    log: bool = False

    def at(self, u: float) -> float:
        """The value at quantile ``u`` in [0, 1), rounded to DIGITS significant digits, in [low, high]."""
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            value = math.exp(a + u * (b - a))
        else:
            value = self.low + u * (self.high - self.low)
        return min(max(float(f"{value:.{DIGITS}g}"), self.low), self.high)

    def window(self, centre: float, shrink: float) -> Range:
        """A range ``shrink`` times as wide (in log units if ``log``) around ``centre``, moved
        inside [low, high] if it would stick out, so it keeps its width."""
        to = math.log if self.log else float
        back = math.exp if self.log else float
        lo, hi, c = to(self.low), to(self.high), to(centre)
        half = shrink * (hi - lo) / 2
        start = min(max(c - half, lo), hi - 2 * half)
        return Range(_clamp(back(start), self.low, self.high),
                     _clamp(back(start + 2 * half), self.low, self.high), self.log)

    def contains(self, value) -> bool:
        return isinstance(value, (int, float)) and self.low <= value <= self.high

    def to_json(self) -> dict:
        return {"low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class Choice:
    """A finite set of values, each drawn with probability 1/len(values)."""

    values: tuple

    def at(self, u: float):
        return self.values[min(int(u * len(self.values)), len(self.values) - 1)]

    def window(self, centre, shrink: float) -> Choice:
        """Around a chosen value a list has no neighbourhood: keep the value."""
        return Choice((centre,))

    def contains(self, value) -> bool:
        return value in self.values

    def to_json(self) -> list:
        return list(self.values)


Dimension = Range | Choice
Space = dict[str, Dimension]  # option name -> dimension, one method


def _clamp(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


def parse_method_space(method: str, declared: Mapping, where: str = "tuning.space") -> Space:
    """Validate one method's declared space; ``where`` prefixes key names in errors.

    Raises ConfigError naming the key (``tuning.space.adago.lr.low``) for an unknown option, an
    empty space or list, a malformed range, or a value TrainConfig rejects.
    """
    where = f"{where}.{method}"
    if method not in METHODS:
        raise ConfigError(f"{where}: unknown method (known: {list(METHODS)})")
    if not isinstance(declared, Mapping):
        raise ConfigError(f"{where}: must be a mapping option -> list or {{low, high, log}}, "
                          f"got {type(declared).__name__}")
    if not declared:
        raise ConfigError(f"{where}: empty; every method needs at least one option to tune")
    space: Space = {}
    for name in sorted(declared):
        key = f"{where}.{name}"
        if name not in _OPTIONS:
            raise ConfigError(f"{key}: not a tunable option (known: {sorted(_OPTIONS)})")
        space[name] = _parse_dimension(method, name, declared[name], key)
    return space


def parse_space(declared: Mapping, where: str = "tuning.space") -> dict[str, Space]:
    """Validate ``{method: {option: list | {low, high, log}}}``; methods in sorted order."""
    if not isinstance(declared, Mapping):
        raise ConfigError(f"{where}: must be a mapping method -> space, got {type(declared).__name__}")
    return {m: parse_method_space(m, declared[m], where) for m in sorted(declared)}


def _parse_dimension(method: str, name: str, spec, key: str) -> Dimension:
    if isinstance(spec, (list, tuple)):
        if not spec:
            raise ConfigError(f"{key}: empty list")
        for k, value in enumerate(spec):
            _check_value(method, name, value, f"{key}[{k}]")
        if len(set(map(repr, spec))) != len(spec):
            raise ConfigError(f"{key}: repeated values in {list(spec)}")
        return Choice(tuple(spec))
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{key}: must be a list of values or {{low, high, log}}, got {spec!r}")
    extra = set(spec) - {"low", "high", "log"}
    if extra or not {"low", "high"} <= set(spec):
        raise ConfigError(f"{key}: a range has keys low, high and optionally log, got {sorted(spec)}")
    if name not in _REAL_OPTIONS:
        raise ConfigError(f"{key}: '{name}' is not a real-valued option; give a list of values")
    low, high, log = spec["low"], spec["high"], spec.get("log", False)
    for part, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{key}.{part}: must be a finite number, got {value!r}")
        _check_value(method, name, float(value), f"{key}.{part}")
    if not isinstance(log, bool):
        raise ConfigError(f"{key}.log: must be true or false, got {log!r}")
    if not low < high:
        raise ConfigError(f"{key}: low must be < high, got low={low!r}, high={high!r}")
    if log and low <= 0:
        raise ConfigError(f"{key}.low: must be > 0 for a log range, got {low!r}")
    return Range(float(low), float(high), log)


def _check_value(method: str, name: str, value, key: str) -> None:
    """Let TrainConfig judge the value alone (other options at their defaults)."""
    try:
        TrainConfig.from_mapping({"method": method, name: value})
    except ConfigError as exc:
        # Restate TrainConfig's message under the space's key; keep its own key if it names another
        # option (e.g. init_low above the default init_high).
        message = str(exc)
        detail = message.removeprefix(f"{name}: ")
        raise ConfigError(f"{key}: {detail}") from None


def space_to_json(space: Space) -> dict:
    """The canonical, JSON-serialisable form of a parsed space (sorted keys)."""
    return {name: space[name].to_json() for name in sorted(space)}
