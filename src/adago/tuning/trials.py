"""Trial generation: a seeded random search, optionally refined around the first round's best.

Every value of trial ``k`` comes from its own quantile

    u(seed, round, k, option) in [0, 1),   drawn from PCG64(SeedSequence([seed, round, k, key(option)]))

and is ``space[option].at(u)`` (adago.tuning.space). So a trial depends only on (seed, round, k, the
option's own dimension):

* the same seed and space give the same trials, in any process, on any machine;
* trial k stays the same when the budget grows from n to n + m, so a larger budget runs only the
  new trials;
* a method's trials depend only on its own space: editing one method's space leaves the others';
* methods that share an option and its range draw the same values of it (common random numbers;
  AdaGO's omega counts as Adam's beta2): with a small budget no method is luckier than another
  in where its trials fell.

Round 2 (optional) spends part of the same budget around round 1's best values: each range is
narrowed to ``shrink`` of its width (log width for log ranges) around the best value, and each list
is fixed at its best value (:func:`refine`). It needs only round 1's best.json, so a round-2 trial can
be computed inside its own job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np

from adago.optimizers import ConfigError
from adago.tuning.space import Space

# Fraction of each range's (log) width searched around the round-1 best in round 2.
SHRINK = 0.25

# Options that play the same part in different methods share their quantiles: AdaGO's omega is the
# decay of its second moment, like Adam's beta2.
_SAME_PART = {"omega": "beta2"}


def _option_key(name: str) -> int:
    """A stable 64-bit integer for an option name (Python's hash() changes between processes)."""
    name = _SAME_PART.get(name, name)
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")


def quantile(seed: int, round_: int, k: int, option: str) -> float:
    """u(seed, round, k, option): a uniform number in [0, 1) that depends on nothing else."""
    for name, value in (("seed", seed), ("round", round_), ("trial", k)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    entropy = np.random.SeedSequence([int(seed), int(round_), int(k), _option_key(option)])
    return float(np.random.Generator(np.random.PCG64(entropy)).random())


def sample(space: Space, *, seed: int, round_: int, k: int) -> dict:
    """Trial ``k`` of round ``round_``: one value per option of ``space`` (in 1-5 star units)."""
    return {name: space[name].at(quantile(seed, round_, k, name)) for name in sorted(space)}


def round1_trial(space: Space, *, seed: int, k: int) -> dict:
    """Trial ``k`` (0-based) of the random search over ``space``."""
    return sample(space, seed=seed, round_=1, k=k)


def refine(space: Space, centre: Mapping, shrink: float = SHRINK) -> Space:
    """The round-2 space: every dimension narrowed to ``shrink`` of its width around ``centre``.

    ``centre`` holds round 1's best value of every option (1-5 star units). Raises ConfigError if it
    misses an option or holds a value ``space`` cannot produce (a best.json from another space).
    """
    if not 0 < shrink <= 1:
        raise ValueError(f"shrink must be in (0, 1], got {shrink!r}")
    missing = sorted(set(space) - set(centre))
    if missing:
        raise ConfigError(f"round-1 best has no value for {missing}: it was chosen from another space")
    for name, dim in space.items():
        if not dim.contains(centre[name]):
            raise ConfigError(f"round-1 best {name}={centre[name]!r} lies outside the space "
                              f"{dim.to_json()}: it was chosen from another space")
    return {name: dim.window(centre[name], shrink) for name, dim in space.items()}


def round2_trial(space: Space, centre: Mapping, *, seed: int, k: int, shrink: float = SHRINK) -> dict:
    """Trial ``k`` (0-based) of round 2, around round 1's best values ``centre``."""
    return sample(refine(space, centre, shrink), seed=seed, round_=2, k=k)


def rounds(trials: int, refine_trials: int = 0) -> tuple[int, int]:
    """Split a method's budget: (round-1 trials, round-2 trials) = (trials - refine, refine).

    Every method gets the same ``trials``; round 2 needs a round 1 to refine, so refine < trials.
    """
    for name, value in (("tuning.trials", trials), ("tuning.refine_trials", refine_trials)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name}: must be an integer, got {value!r}")
    if trials < 1:
        raise ConfigError(f"tuning.trials: must be >= 1, got {trials}")
    if not 0 <= refine_trials < trials:
        raise ConfigError(f"tuning.refine_trials: must be in 0..{trials - 1} (tuning.trials - 1), "
                          f"got {refine_trials}")
    return trials - refine_trials, refine_trials


def trial_id(round_: int, k: int) -> str:
    """The name of trial ``k`` of a round in file names and tables: 'r1t03'."""
    return f"r{round_}t{k:02d}"


def trial_ids(trials: int, refine_trials: int = 0) -> list[str]:
    """Every trial of a budget, round 1 first."""
    n1, n2 = rounds(trials, refine_trials)
    return [trial_id(1, k) for k in range(n1)] + [trial_id(2, k) for k in range(n2)]
