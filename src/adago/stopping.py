"""Early stopping: when a validation metric counts as stalled, and what each metric reports.

Two stall rules (docs/METHODS.md, section 5, has the derivation and the citation):

``authors`` (the rule of the authors' group's published latent-factor code)
    The best value and its epoch move only on an improvement *larger than* ``tol`` against that
    best (``best - v > tol``); smaller gains leave the best where it was. Stalled epochs are counted
    against that best, ``stall = epoch - best_epoch``, and the metric stops once
    ``stall > patience`` - one epoch more than "patience epochs without improvement": the
    off-by-one of their ``(round - minRound) > delayCount`` test, kept on purpose.

``running-best`` (the rule this project used before issue 7)
    The best value moves on *any* improvement; ``stall`` counts the epochs in a row whose value
    improved on the running best by no more than ``tol`` and resets on a larger gain; the metric
    stops once ``stall >= patience``. A run of small gains therefore stops this rule and not theirs.

Two ways of combining validation RMSE and MAE:

``separate`` (the paper's Tables 4 and 5 are separate experiments)
    Each monitored metric is *frozen* - its best value, epoch, seconds and test errors fixed - at the
    first epoch its own rule says stop; training goes on until every monitored metric is frozen (or
    ``max_epochs``). Training never depends on the stop, so each frozen result is exactly what a
    run stopped on that metric alone would report (tested).
``joint``
    Training stops at the first epoch at which every monitored metric's rule says stop at once;
    each metric then reports its best over the whole run.

``monitor`` names the metrics that can stop training (both by default); a metric that is not
monitored reports its best over the run and is never frozen. ``min_epochs`` forbids any stop before
that epoch (the tuned protocol's guard against stopping on the plateau near the initial factors).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields

from adago.optimizers import ConfigError

RULES = ("authors", "running-best")
MODES = ("separate", "joint")
METRICS = ("rmse", "mae")


@dataclass(frozen=True)
class Stopping:
    """How stalls are judged and combined; tol, patience and max_epochs are in TrainConfig.

    rule        'authors' | 'running-best' ['authors']
    mode        'separate' | 'joint' ['separate']
    monitor     metrics that can stop training, a non-empty subset of ('rmse', 'mae') [both]
    min_epochs  no metric stops before this epoch [0]
    """

    rule: str = "authors"
    mode: str = "separate"
    monitor: tuple[str, ...] = METRICS
    min_epochs: int = 0
    _where: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            self._fail("rule", f"must be one of {list(RULES)}, got {self.rule!r}")
        if self.mode not in MODES:
            self._fail("mode", f"must be one of {list(MODES)}, got {self.mode!r}")
        monitor = self.monitor
        if isinstance(monitor, str) or not isinstance(monitor, Sequence) or not monitor:
            self._fail("monitor", f"must be a non-empty list from {list(METRICS)}, got {monitor!r}")
        bad = [m for m in monitor if m not in METRICS]
        if bad or len(set(monitor)) != len(monitor):
            self._fail("monitor", f"must be distinct names from {list(METRICS)}, got {list(monitor)!r}")
        # A fixed order, so that equal settings compare (and hash into Snakemake params) equal.
        object.__setattr__(self, "monitor", tuple(m for m in METRICS if m in monitor))
        if isinstance(self.min_epochs, bool) or not isinstance(self.min_epochs, int) or self.min_epochs < 0:
            self._fail("min_epochs", f"must be an integer >= 0, got {self.min_epochs!r}")

    @classmethod
    def from_mapping(cls, mapping: Mapping, where: str = "") -> Stopping:
        """From a plain mapping (YAML); unknown keys and bad values raise ConfigError naming the key."""
        if not isinstance(mapping, Mapping):
            raise ConfigError(f"{where or 'stopping'}: must be a mapping, got {type(mapping).__name__}")
        known = {f.name for f in fields(cls) if not f.name.startswith("_")}
        for key in mapping:
            if key not in known:
                raise ConfigError(f"{_join(where, str(key))}: unknown key (known: {sorted(known)})")
        options = dict(mapping)
        if "monitor" in options and isinstance(options["monitor"], list):
            options["monitor"] = tuple(options["monitor"])
        return cls(**options, _where=where)

    def to_dict(self) -> dict:
        """Every field, JSON-serialisable (monitor as a list)."""
        return {"rule": self.rule, "mode": self.mode, "monitor": list(self.monitor), "min_epochs": self.min_epochs}

    def _fail(self, key: str, msg: str) -> None:
        raise ConfigError(f"{_join(self._where, key)}: {msg}")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


@dataclass
class MetricStop:
    """One metric's state: its best (value, epoch), stalled epochs, and the epoch its rule stopped it."""

    rule: str
    tol: float
    patience: int
    min_epochs: int = 0
    value: float = math.inf
    epoch: int = 0
    stall: int = 0
    stop_epoch: int | None = None

    @property
    def frozen(self) -> bool:
        return self.stop_epoch is not None

    def says_stop(self, epoch: int, value: float) -> bool:
        """Record the value of ``epoch`` and return whether this metric's rule says stop now."""
        if self.rule == "authors":
            # Best moves only on a gain larger than tol against the best itself (their minRMSE).
            if self.value - value > self.tol:
                self.value, self.epoch = value, epoch
            self.stall = epoch - self.epoch
            stop = self.stall > self.patience  # their off-by-one: '>' where patience means '>='
        else:
            improved_enough = self.value - value > self.tol  # first epoch: inf - v > tol
            if value < self.value:
                self.value, self.epoch = value, epoch
            self.stall = 0 if improved_enough else self.stall + 1
            stop = self.stall >= self.patience
        return stop and epoch >= self.min_epochs


class EarlyStopping:
    """Incremental form of the stopping rule; ``update`` returns True when training must stop."""

    def __init__(self, tol: float, patience: int, stopping: Stopping | None = None):
        self.stopping = stopping or Stopping()
        s = self.stopping
        self.metrics = {m: MetricStop(s.rule, float(tol), int(patience), s.min_epochs) for m in METRICS}

    @property
    def rmse(self) -> MetricStop:
        return self.metrics["rmse"]

    @property
    def mae(self) -> MetricStop:
        return self.metrics["mae"]

    def update(self, epoch: int, val_rmse: float, val_mae: float) -> bool:
        values = {"rmse": val_rmse, "mae": val_mae}
        monitored = self.stopping.monitor
        says = {}
        for name, tracker in self.metrics.items():
            if tracker.frozen:
                continue  # separate mode: a frozen metric ignores every later epoch
            says[name] = tracker.says_stop(epoch, float(values[name]))
        if self.stopping.mode == "separate":
            for name in monitored:
                if says.get(name):
                    self.metrics[name].stop_epoch = epoch
            return all(self.metrics[m].frozen for m in monitored)
        if all(says[m] for m in monitored):
            for name in monitored:
                self.metrics[name].stop_epoch = epoch
            return True
        return False

    def outcome(self) -> dict[str, dict]:
        """Per metric: best epoch and value, the epoch its rule stopped it and why.

        ``stop_reason``: 'converged' (its rule stopped it at ``stop_epoch``), 'max_epochs' (monitored,
        never stopped) or 'not monitored'.
        """
        out = {}
        for name, t in self.metrics.items():
            if name not in self.stopping.monitor:
                reason = "not monitored"
            else:
                reason = "converged" if t.frozen else "max_epochs"
            out[name] = {"epoch": t.epoch, "value": t.value, "stop_epoch": t.stop_epoch, "stop_reason": reason}
        return out


def replay(val_rmse: Sequence[float], val_mae: Sequence[float], *, tol: float, patience: int,
           max_epochs: int, stopping: Stopping | None = None) -> tuple[int, str, dict[str, dict]]:
    """Apply the stopping rule to a whole validation history (epoch k = index k-1).

    Returns (last epoch run, 'converged' | 'max_epochs', :meth:`EarlyStopping.outcome`). ``train``
    makes exactly these decisions one epoch at a time; this pure form is for tests and for
    re-analysing saved histories under another rule.
    """
    rule = EarlyStopping(tol, patience, stopping)
    n = min(len(val_rmse), len(val_mae), max_epochs)
    for epoch in range(1, n + 1):
        if rule.update(epoch, float(val_rmse[epoch - 1]), float(val_mae[epoch - 1])):
            return epoch, "converged", rule.outcome()
    if n < max_epochs:
        raise ValueError(f"history has {n} epochs and did not stop before max_epochs={max_epochs}")
    return n, "max_epochs", rule.outcome()
