"""The two named protocols a run follows: what each fixes, what it leaves to validation data, and
how it stops and evaluates.

``paper``
    Everything the paper and its authors' conventions fix: rank 20, L2 0.03, initial factors
    U[0, 0.004], one step per training rating, at most 500 epochs, tol 1e-5, patience 10, the
    authors' stall rule, separate stopping for RMSE and for MAE, errors on raw predictions (eq. 15,
    no clipping). Only what the paper leaves open may be set, and it must come from validation
    data: the learning rate, and AdaGO's damping a and decay omega (:data:`PAPER_OPEN`).
    Every other optimiser constant keeps the core's documented default (docs/METHODS.md).

``tuned``
    This project's best practice: every TrainConfig option may be chosen on validation data; the
    epoch cap, tol, patience, the stopping rule (``training.stopping``) and clipping
    (``evaluation.clip``) are config options.

A run's full settings are :func:`run_settings` (what ``train`` needs besides the data), built
from the protocol, the config's ``hyperparameters.<protocol>`` blocks and, once the tuning stage has
run, its ``best.json`` (``tuned=``), which wins over the config.
"""

from __future__ import annotations

from collections.abc import Mapping

from adago.optimizers import ALGORITHMS, METHODS, ConfigError, TrainConfig
from adago.stopping import Stopping

PROTOCOLS = ("paper", "tuned")

# What the paper protocol fixes: TrainConfig fields and the stopping rule and evaluation.
PAPER_FIXED = {
    "rank": 20, "reg": 0.03, "init_low": 0.0, "init_high": 0.004, "batch": "rating", "use_bias": False,
    "max_epochs": 500, "tol": 1e-5, "patience": 10,
}
PAPER_STOPPING = Stopping(rule="authors", mode="separate")
PAPER_CLIP = False
# What the paper leaves open, per algorithm; one not listed has only its learning rate open. A
# method never gets a key its name fixes (AdaGO's ablations) or a learning rate it has not (ALS).
PAPER_OPEN = {"adago": ("lr", "damping", "omega"), "adam": ("lr",), "sgd": ("lr",)}
# Set once for every run of a protocol (by top-level keys in the tuned protocol), never per method.
RUN_LEVEL_KEYS = {"max_epochs": "max_epochs", "tol": "training.tol", "patience": "training.patience"}


def open_keys(protocol: str, method: str) -> tuple[str, ...] | None:
    """The options a config or the tuning stage may set for ``method``; None means every
    TrainConfig option except the run-level ones."""
    if protocol == "paper":
        spec = METHODS[method]
        keys = PAPER_OPEN.get(spec.algorithm, ("lr",))
        return tuple(k for k in keys if k not in spec.fixed
                     and (k != "lr" or ALGORITHMS[spec.algorithm].learning_rate))
    return None


def paper_fixed(method: str) -> dict:
    """PAPER_FIXED as it applies to ``method``: a setting the method's name fixes (adago-full's
    full batch) or a step granularity its algorithm lacks (ALS has no per-rating steps) wins."""
    spec = METHODS[method]
    return {k: v for k, v in PAPER_FIXED.items()
            if k not in spec.fixed and (k != "batch" or v in ALGORITHMS[spec.algorithm].batches)}


def check_options(protocol: str, method: str, options: Mapping, where: str) -> None:
    """Reject options the protocol does not leave open, naming the key (``where``.key)."""
    if "method" in options:
        raise ConfigError(f"config key '{where}.method': set by the block name")
    allowed = open_keys(protocol, method)
    for key in options:
        if allowed is not None and key not in allowed:
            fixed = f"fixed to {PAPER_FIXED[key]!r}" if key in PAPER_FIXED else "fixed to the core default"
            raise ConfigError(f"config key '{where}.{key}': {fixed} by the paper protocol "
                              f"(open for {method}: {', '.join(allowed)})")
        if key in RUN_LEVEL_KEYS:
            raise ConfigError(f"config key '{where}.{key}': set for every run by config key "
                              f"'{RUN_LEVEL_KEYS[key]}'")


def evaluation(cfg: Mapping, protocol: str) -> dict:
    """How runs of ``protocol`` stop and evaluate: {'clip': bool, 'stopping': Stopping.to_dict()}."""
    if protocol == "paper":
        return {"clip": PAPER_CLIP, "stopping": PAPER_STOPPING.to_dict()}
    stopping = Stopping.from_mapping(cfg["training"]["stopping"], where="training.stopping")
    return {"clip": bool(cfg["evaluation"]["clip"]), "stopping": stopping.to_dict()}


def run_settings(cfg: Mapping, protocol: str, dataset: str, method: str, tuned: Mapping | None = None) -> dict:
    """Full, validated TrainConfig options of one run: the core's defaults < the protocol's fixed
    values < ``hyperparameters.<protocol>.default.<method>`` < ``...<dataset>.<method>`` < ``tuned``.

    ``tuned`` is the tuning stage's choice (best.json); it may set only the protocol's open keys.
    Only this slice of the config reaches a training job, so editing another protocol's, data set's
    or method's settings does not re-run it.
    """
    if protocol not in PROTOCOLS:
        raise ConfigError(f"config key 'protocol': unknown protocol {protocol!r}; use one of {list(PROTOCOLS)}")
    blocks = cfg["hyperparameters"].get(protocol, {})
    tuned = dict(tuned or {})
    check_options(protocol, method, tuned, f"results/tuning/{protocol}/{dataset}/{method}/best.json")
    if protocol == "paper":
        base = paper_fixed(method)
    else:
        base = {"max_epochs": cfg["max_epochs"], "tol": cfg["training"]["tol"],
                "patience": cfg["training"]["patience"]}
    merged = {
        "method": method,
        **{k: v for k, v in base.items() if k not in RUN_LEVEL_KEYS},
        **blocks.get("default", {}).get(method, {}),
        **blocks.get(dataset, {}).get(method, {}),
        **tuned,
        **{k: v for k, v in base.items() if k in RUN_LEVEL_KEYS},
    }
    where = f"hyperparameters.{protocol}.{dataset}.{method}"
    return TrainConfig.from_mapping(merged, where=where).to_dict()
