"""Cost per rating of one training epoch at 1M, 10M and 25M ratings, against cornac and Surprise.

    python bench/scale_speed.py [--quick] [--sizes 1M 10M 25M] [--methods ...] [--epochs 3]
                                     [--no-references] [--csv PATH]

``--quick``: sizes 1M and 10M, 2 epochs (a few minutes). One size is in memory at a time, every
method's run of it at once (the full run peaks at a few GB at 25M).
Data: bench/skewed_ratings.py - MovieLens-1M, -10M and -25M shapes (users x items) with
log-normal user and item degrees, generated in memory (nothing is written).
Each method runs ``--epochs`` epochs of a real training run (``adago.training._Run``: the same
allocation, reshuffle and epoch kernels as ``train``, JIT compiled beforehand, one thread, rank 20,
float32, default hyperparameters) without the per-epoch evaluation, which is not part of an epoch.
The methods and references take their epochs in turn (one epoch of each, then the next of each),
so drifts of the machine's speed reach all of them alike. For each epoch the wall clock and this
thread's CPU time (``time.thread_time``) are taken; the table shows the minimum over epochs of
each. CPU time is what to compare on a busy machine (other processes inflate the wall clock, and
the CPU time only through shared caches).
Columns: ns per rating (CPU); ``vs 1M``: the same method's CPU ns per rating relative to the first
size (the linear-cost target is <= 1.3); ``vs cornac``: CPU time relative to cornac MF on the same
data in the same run; ``shuffle``: CPU ns per rating of the reshuffle this size uses (from
adago.optimizers.shared.FY_PACKED_MIN ratings Fisher-Yates on packed records with look-ahead,
bucketed above FISHER_YATES_MAX), timed alone on a copy of the triples; ``FY``: plain Fisher-Yates
timed the same way; ``epoch w/ FY``: the epoch's CPU ns per rating with the shuffle's time replaced
by plain Fisher-Yates' (what the epoch cost before either).
References (``--no-references`` skips them; absent packages print "not installed"): cornac MF,
one ``fit`` of one iteration over the same triples (plain SGD, fixed order, no shuffle, one
thread), at every size; Surprise SVD (``n_epochs=1, biased=False``) at the first size only (it
takes ~1 us per rating, and a 25M-rating Trainset needs tens of GB).
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import sys
import time
import warnings

import numba
import numpy as np

from adago.numbacache import drop_stale_kernels
from adago.optimizers import TrainConfig
from adago.optimizers import shared as K
from adago.training import _Run, _triples, warm_up_kernels
from skewed_ratings import SHAPES, skewed_ratings

# Before any kernel runs, so that no kernel compiled from older source is timed.
drop_stale_kernels()

# name -> TrainConfig fields; "sgd" is momentum SGD (the method's default variant).
METHODS = {
    "sgd-plain": {"method": "sgd", "sgd_variant": "plain"},
    "sgd": {"method": "sgd"},
    "adam": {"method": "adam"},
    "adago": {"method": "adago"},
    "adahessian": {"method": "adahessian"},
    "als": {"method": "als"},
}
DEFAULT_METHODS = ["sgd-plain", "sgd", "adam", "adago"]
COLUMNS = ["size", "ratings", "method", "wall_s", "cpu_s", "cpu_ns_per_rating", "vs_first_size",
           "vs_cornac", "shuffle_ns", "fisher_yates_ns", "epoch_with_fy_ns", "load"]


def load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


class MethodTimer:
    """One of our methods, ready to run epochs of a real training run (``_Run``) one at a time."""

    def __init__(self, options: dict, data, n_users: int, n_items: int, epochs: int, threads: int = 1):
        self.threads = threads  # Numba threads (only ALS and full-batch kernels use more than one)
        self.cfg = TrainConfig(**options, max_epochs=epochs)
        dtype = np.dtype(self.cfg.dtype)
        warm_up_kernels(self.cfg, dtype, with_test=False)
        tr = _triples(data, "train", n_users, n_items, dtype)
        val = tuple(a[:1000] for a in tr)
        self.run = _Run(tr, val, None, n_users, n_items, self.cfg, 0, (1.0, 5.0), None)
        self.epoch = 0

    def time_epoch(self) -> tuple[float, float]:
        """(wall, CPU) seconds of the run's next epoch."""
        self.epoch += 1
        numba.set_num_threads(self.threads)
        w, c = time.perf_counter(), time.thread_time()
        if self.cfg.batch == "rating":
            self.run._epoch_rating()
        else:
            self.run._epoch_full(self.epoch)
        return time.perf_counter() - w, time.thread_time() - c

    def shuffles(self) -> tuple[float | None, float | None]:
        """CPU seconds of the shipped reshuffle and of plain Fisher-Yates alone (min of 2 each)."""
        if self.cfg.batch != "rating":
            return None, None
        run = self.run
        shuffle = min(_time_shuffle(run, run.shuffle) for _ in range(2))
        fy = min(_time_shuffle(run, lambda t, s: K.fisher_yates(*t, s)) for _ in range(2))
        return shuffle, fy


def _time_shuffle(run, shuffle) -> float:
    """CPU seconds of one ``shuffle(triples, state)`` of a copy of the run's training triples."""
    triples = tuple(a.copy() for a in run.tr)
    state = run.rng_state.copy()
    c = time.thread_time()
    shuffle(triples, state)
    return time.thread_time() - c


class CornacTimer:
    """cornac MF, one ``fit`` of one iteration per epoch; ``None`` from ``make`` if not installed."""

    @staticmethod
    def make(data, n_users, n_items):
        try:
            from cornac.data import Dataset
            from cornac.models import MF
        except ImportError:
            return None
        timer = CornacTimer()
        users, items, ratings = data
        # Built from the arrays directly: Dataset.from_uir would hold 25M Python tuples.
        timer.train_set = Dataset(n_users, n_items, {k: k for k in range(n_users)},
                                  {k: k for k in range(n_items)},
                                  (users.astype(np.int64), items.astype(np.int64), ratings.astype(np.float64)),
                                  seed=0)
        timer.model = MF(k=20, max_iter=1, use_bias=False, num_threads=1, seed=0)
        timer.time_epoch()  # the first fit allocates the model
        return timer

    def time_epoch(self) -> tuple[float, float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Model is already fitted": re-fitting is the point
            w, c = time.perf_counter(), time.thread_time()
            self.model.fit(self.train_set)
            return time.perf_counter() - w, time.thread_time() - c


class SurpriseTimer:
    """Surprise SVD, one ``fit`` with one epoch per epoch; ``None`` from ``make`` if not installed."""

    @staticmethod
    def make(data):
        try:
            import pandas as pd
            from surprise import Dataset, Reader
        except ImportError:
            return None
        timer = SurpriseTimer()
        users, items, ratings = data
        frame = pd.DataFrame({"u": users, "i": items, "r": ratings.astype(np.float64)})
        timer.trainset = Dataset.load_from_df(frame, Reader(rating_scale=(1, 5))).build_full_trainset()
        return timer

    def time_epoch(self) -> tuple[float, float]:
        from surprise import SVD

        w, c = time.perf_counter(), time.thread_time()
        SVD(n_factors=20, n_epochs=1, biased=False, random_state=0).fit(self.trainset)
        return time.perf_counter() - w, time.thread_time() - c


def time_round_robin(timers: dict, epochs: int) -> dict:
    """{name: (min wall, min CPU)} over ``epochs`` epochs of every timer, taken in turn.

    One epoch of each, then the next of each, ...: this machine's speed drifts by up to 1.7x over
    minutes (other tenants), and taking the methods in turn exposes each to the same drift, so the
    ratios of one run compare like with like.
    """
    times = {name: [] for name in timers}
    for _ in range(epochs):
        for name, timer in timers.items():
            times[name].append(timer.time_epoch())
    return {name: (min(w for w, _ in t), min(c for _, c in t)) for name, t in times.items()}


def markdown(rows) -> str:
    def f(v, fmt):
        return "-" if v is None else format(v, fmt)
    lines = ["| size | method | CPU s/epoch | ns/rating | vs first size | vs cornac MF | shuffle ns/r "
             "| Fisher-Yates ns/r | epoch w/ FY ns/r |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['size']} | {r['method']} | {r['cpu_s']:.3f} | {r['cpu_ns_per_rating']:.1f} "
                     f"| {f(r['vs_first_size'], '.2f')} | {f(r['vs_cornac'], '.2f')} "
                     f"| {f(r['shuffle_ns'], '.1f')} | {f(r['fisher_yates_ns'], '.1f')} "
                     f"| {f(r['epoch_with_fy_ns'], '.1f')} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="sizes 1M and 10M, 2 epochs")
    ap.add_argument("--sizes", nargs="+", choices=list(SHAPES))
    ap.add_argument("--methods", nargs="+", default=DEFAULT_METHODS, choices=list(METHODS))
    ap.add_argument("--epochs", type=int, help="epochs timed per method, minimum kept (default 3)")
    ap.add_argument("--no-references", action="store_true", help="skip cornac MF and Surprise SVD")
    ap.add_argument("--csv", help="also write the table as CSV to this path")
    args = ap.parse_args(argv)
    sizes = args.sizes or (["1M", "10M"] if args.quick else list(SHAPES))
    epochs = args.epochs or (2 if args.quick else 3)

    rows = []
    for size in sizes:
        n, n_users, n_items = SHAPES[size]
        print(f"{size}: generating {n:,} ratings ({n_users:,} users x {n_items:,} items)...", flush=True)
        data = skewed_ratings(n, n_users, n_items, seed=0)
        timers = {method: MethodTimer(METHODS[method], data, n_users, n_items, epochs) for method in args.methods}
        if not args.no_references:
            refs = {"cornac MF": CornacTimer.make(data, n_users, n_items)}
            if size == sizes[0]:  # Surprise at the first size only: at 10M it takes minutes per epoch
                refs["Surprise SVD"] = SurpriseTimer.make(data)
            for name, timer in refs.items():
                if timer is None:
                    print(f"  {name}: not installed", flush=True)
                else:
                    timers[name] = timer
        best = time_round_robin(timers, epochs)
        timed = []
        for name, (wall, cpu) in best.items():
            shuf, fy = timers[name].shuffles() if isinstance(timers[name], MethodTimer) else (None, None)
            timed.append((name, wall, cpu, shuf, fy))
            print(f"  {name}: {cpu:.3f} s CPU per epoch", flush=True)
        del timers
        gc.collect()
        cornac = next((t[2] for t in timed if t[0] == "cornac MF"), None)
        def ns(seconds, n=n):
            return None if seconds is None else seconds / n * 1e9

        for method, wall, cpu, shuf, fy in timed:
            rows.append({"size": size, "ratings": n, "method": method, "wall_s": wall, "cpu_s": cpu,
                         "cpu_ns_per_rating": ns(cpu), "vs_first_size": None,
                         "vs_cornac": None if cornac is None else cpu / cornac,
                         "shuffle_ns": ns(shuf), "fisher_yates_ns": ns(fy),
                         "epoch_with_fy_ns": None if shuf is None else ns(cpu - shuf + fy),
                         "load": load()})
        del data
        gc.collect()
    first = {r["method"]: r["cpu_ns_per_rating"] for r in rows if r["size"] == sizes[0]}
    for r in rows:
        if r["method"] in first:
            r["vs_first_size"] = r["cpu_ns_per_rating"] / first[r["method"]]

    print(f"\nCPU time, one thread, rank 20, float32, min over {epochs} epochs taken in turn; load average "
          f"(1 min) at the end {load():.2f} (absolute numbers drift with the machine; ratios are side by side)\n")
    print(markdown(rows))
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, COLUMNS)
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
