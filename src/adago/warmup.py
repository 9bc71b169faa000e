"""Compile the Numba kernels a training configuration uses, once per cache, before timing starts.

Parallel training jobs that each compile with ``cache=True`` race on the cache files. Each job
therefore first runs its configuration for one epoch on a 2 x 2 matrix while holding an
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

import numpy as np

from adago.optimizers import TrainConfig
from adago.training import warm_up_kernels


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
    """Compile (or load) the kernels of ``options`` under the cache lock if a directory is given."""
    cfg = TrainConfig.from_mapping(options, where="warm-up")
    lock = cache_lock(cache_dir) if cache_dir is not None else contextlib.nullcontext()
    with lock:
        warm_up_kernels(cfg, np.dtype(cfg.dtype), with_test=True)
