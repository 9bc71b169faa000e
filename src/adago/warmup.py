"""Compile the Numba kernels that a set of training configurations will use, before the runs start.

Parallel training jobs that each compile with ``cache=True`` race on the cache files; a short
training of every distinct configuration on a tiny matrix, in one process, fills the cache first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from adago.optimizers import TrainConfig
from adago.synthetic import low_rank_ratings
from adago.training import DivergenceError, train


def warm_up(variants: Iterable[Mapping]) -> list[dict]:
    """Train each distinct configuration for two epochs on a tiny matrix; return those trained."""
    data = low_rank_ratings(40, 30, 600, rank=2, noise_std=0.1, seed=0)
    part = (data.user, data.item, data.rating)
    seen: dict[str, dict] = {}
    for v in variants:
        options = {**v, "max_epochs": 2}
        key = json.dumps(options, sort_keys=True)
        if key in seen:
            continue
        cfg = TrainConfig.from_mapping(options, where="warm-up")
        try:
            train(part, part, part, n_users=data.n_users, n_items=data.n_items, config=cfg, seed=0,
                  rating_range=(data.rating_min, data.rating_max))
        except DivergenceError:
            pass  # the kernels were compiled before the tiny run diverged, which is all we need
        seen[key] = options
    return list(seen.values())
