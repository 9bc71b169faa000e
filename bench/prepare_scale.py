"""Wall time and peak memory of the prepare and split steps on a large rating file.

    python bench/make_large_ratings.py /tmp/r25m.csv --ratings 25000000
    python bench/prepare_scale.py /tmp/r25m.csv [--out DIR] [--rating-range 0.5 5]

Each step runs as the workflow runs it (``adago.steps.prepare.prepare_dataset`` / ``adago.steps.split.split_dataset``, one
seed, default ratios and cold-start policy) in a fresh Python process; its peak resident memory is
that child's ``ru_maxrss`` (``os.wait4``), its time the wall clock around the process, so imports
count. Also printed: the memory the prepare rule declares for this file
(``adago.resources.prepare_mem_mb``) and the load average, since the clock means little on a busy
machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from adago.resources import prepare_mem_mb, split_mem_mb

PREPARE = """
from adago.steps.prepare import prepare_dataset
prepare_dataset({raw!r}, {out!r} + "/data.npz", {out!r} + "/data.json", name="bench", fmt={fmt!r},
                rating_range={rating_range!r}, log=lambda m: None)
"""
SPLIT = """
from adago.steps.split import split_dataset
split_dataset({out!r} + "/data.npz", {out!r} + "/split.npz", {out!r} + "/split.json", name="bench", seed=1,
              ratios=[0.7, 0.1, 0.2])
"""


def measure(code: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of ``python -c code`` in a fresh process.

    ru_maxrss of a child includes its parent's RSS at fork; this script stays small, so it is the
    step's own peak (tests/test_resources.py, run inside pytest, reads the child's VmHWM instead).
    """
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code])
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"step failed (status {status}):\n{code}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("raw", help="rating file (csv with user,item,rating header)")
    ap.add_argument("--fmt", default="csv")
    ap.add_argument("--rating-range", type=float, nargs=2, default=(0.5, 5.0))
    ap.add_argument("--out", help="directory for the prepared data and split (default: a temporary one)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or tmp
        Path(out).mkdir(parents=True, exist_ok=True)
        size_mb = os.path.getsize(args.raw) / 2**20
        print(f"{args.raw}: {size_mb:.0f} MB; load average before {os.getloadavg()[0]:.2f}", flush=True)
        t_prep, c_prep, m_prep = measure(PREPARE.format(raw=args.raw, out=out, fmt=args.fmt,
                                                        rating_range=tuple(args.rating_range)))
        stats = json.loads(Path(out, "data.json").read_text())
        print(f"prepare: {t_prep:.1f} s wall, {c_prep:.1f} s CPU, peak {m_prep:.0f} MB "
              f"(declared {prepare_mem_mb(args.raw, args.fmt)} MB); "
              f"{stats['ratings']} ratings, {stats['users']} users, {stats['items']} items", flush=True)
        t_split, c_split, m_split = measure(SPLIT.format(out=out))
        print(f"split:   {t_split:.1f} s wall, {c_split:.1f} s CPU, peak {m_split:.0f} MB "
              f"(declared {split_mem_mb(Path(out, 'data.npz'))} MB)")
        print(f"prepare + split: {t_prep + t_split:.1f} s wall, {c_prep + c_split:.1f} s CPU, "
              f"peak {max(m_prep, m_split):.0f} MB; load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
