"""The files of one training run: ``history.csv`` and ``summary.json``.

``summary.json`` is what tables trust, so it is written last and atomically: if a job is killed at
any point, either a complete summary exists beside a complete history, or no summary exists and
Snakemake re-runs the job.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata

import pandas as pd

from adago.atomic import atomic_open

_PACKAGES = ("adago", "numpy", "numba", "llvmlite", "pandas", "scipy", "snakemake")


def versions() -> dict:
    """Python, platform and the versions of the packages a result depends on."""
    out = {"python": sys.version.split()[0], "platform": platform.platform(), "machine": platform.machine()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def write_run(history: pd.DataFrame, summary: dict, history_path: str | os.PathLike,
              summary_path: str | os.PathLike) -> None:
    """Write the history, then the summary; each atomically, in that order."""
    with atomic_open(history_path, newline="") as fh:
        # repr-exact floats so that two runs with the same seed compare equal byte for byte
        history.to_csv(fh, index=False, float_format="%.17g")
    with atomic_open(summary_path, encoding="utf-8") as fh:
        json.dump(summary, fh, indent=2, sort_keys=True, allow_nan=True)
        fh.write("\n")
