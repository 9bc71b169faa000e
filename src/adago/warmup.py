"""Compile the Numba kernels a training configuration uses, once per cache, before timing starts.

Parallel training jobs that each compile with ``cache=True`` race on the cache files. Each job
therefore first trains its configuration for two epochs on a tiny matrix while holding an
exclusive lock on the cache directory: the first job compiles and writes the cache, the others wait
a moment and then only load it. The lock is released before the real training starts, so the runs
themselves stay parallel, and compilation never counts as training time.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from adago.optimizers import TrainConfig
from adago.synthetic import low_rank_ratings
from adago.training import DivergenceError, train


@contextlib.contextmanager
def cache_lock(cache_dir: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``cache_dir`` (created if missing)."""
    path = Path(cache_dir)
    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def warm_up(options: Mapping, cache_dir: str | os.PathLike | None = None) -> None:
    """Train ``options`` for two epochs on a tiny matrix (under the cache lock if a directory is given)."""
    data = low_rank_ratings(40, 30, 600, rank=2, noise_std=0.1, seed=0)
    part = (data.user, data.item, data.rating)
    cfg = TrainConfig.from_mapping({**options, "max_epochs": 2}, where="warm-up")
    lock = cache_lock(cache_dir) if cache_dir is not None else contextlib.nullcontext()
    with lock:
        try:
            train(part, part, part, n_users=data.n_users, n_items=data.n_items, config=cfg, seed=0,
                  rating_range=(data.rating_min, data.rating_max))
        except DivergenceError:
            pass  # the kernels were compiled before the tiny run diverged, which is all we need
