"""Cost per rating of one training epoch at 1M, 10M and 25M ratings, against cornac and Surprise.

    python bench/scale_speed.py [--quick] [--sizes 1M 10M 25M] [--methods ...] [--epochs 3]
                                     [--no-references] [--csv PATH]

``--quick``: sizes 1M and 10M, 2 epochs (a few minutes). The full run peaks at 1.6 GB (25M, cornac's
float64 copy of the triples); one size is in memory at a time.
Data: bench/skewed_ratings.py - MovieLens-1M, -10M and -25M shapes (users x items) with
log-normal user and item degrees, generated in memory (nothing is written).
Each method runs ``--epochs`` epochs of a real training run (``adago.training._Run``: the same
allocation, reshuffle and epoch kernels as ``train``, JIT compiled beforehand, one thread, rank 20,
float32, default hyperparameters) without the per-epoch evaluation, which is not part of an epoch.
For each epoch the wall clock and this thread's CPU time (``time.thread_time``) are taken; the
table shows the minimum over epochs of each. CPU time is what to compare on a busy machine (other
processes inflate the wall clock, and the CPU time only through shared caches).
Columns: ns per rating (CPU); ``vs 1M``: the same method's CPU ns per rating relative to the first
size (the linear-cost target is <= 1.3); ``vs cornac``: CPU time relative to cornac MF on the same
data in the same run; ``shuffle``: CPU ns per rating of the reshuffle this size uses (bucketed
above adago.optimizers.shared.FISHER_YATES_MAX ratings), timed alone on a copy of the triples;
``FY``: plain Fisher-Yates timed the same way; ``epoch w/ FY``: the epoch's CPU ns per rating with
the bucketed shuffle's time replaced by Fisher-Yates' (what the epoch cost before).
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

import numpy as np

from adago.optimizers import TrainConfig
from adago.optimizers import shared as K
from adago.training import _Run, _triples, warm_up_kernels
from skewed_ratings import SHAPES, skewed_ratings

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


def time_method(options: dict, data, n_users: int, n_items: int, epochs: int):
    """(min wall s, min CPU s per epoch, CPU s of the shipped shuffle, CPU s of Fisher-Yates)."""
    cfg = TrainConfig(**options, max_epochs=epochs)
    dtype = np.dtype(cfg.dtype)
    warm_up_kernels(cfg, dtype, with_test=False)
    tr = _triples(data, "train", n_users, n_items, dtype)
    val = tuple(a[:1000] for a in tr)
    run = _Run(tr, val, None, n_users, n_items, cfg, 0, (1.0, 5.0), None)
    wall, cpu = [], []
    for epoch in range(1, epochs + 1):
        w, c = time.perf_counter(), time.thread_time()
        if cfg.batch == "rating":
            run._epoch_rating()
        else:
            run._epoch_full(epoch)
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
    shuffle = fy = None
    if cfg.batch == "rating":
        shuffle = min(_time_shuffle(run, run.shuffle) for _ in range(2))
        fy = min(_time_shuffle(run, lambda t, s: K.fisher_yates(*t, s)) for _ in range(2))
    del run, tr
    gc.collect()
    return min(wall), min(cpu), shuffle, fy


def _time_shuffle(run, shuffle) -> float:
    """CPU seconds of one ``shuffle(triples, state)`` of a copy of the run's training triples."""
    triples = tuple(a.copy() for a in run.tr)
    state = run.rng_state.copy()
    c = time.thread_time()
    shuffle(triples, state)
    return time.thread_time() - c


def time_cornac(data, n_users, n_items, epochs):
    """Min (wall, CPU) seconds of one cornac MF iteration, or None if cornac is not installed."""
    try:
        from cornac.data import Dataset
        from cornac.models import MF
    except ImportError:
        return None
    users, items, ratings = data
    # Built from the arrays directly: Dataset.from_uir would hold 25M Python tuples.
    train_set = Dataset(n_users, n_items, {k: k for k in range(n_users)}, {k: k for k in range(n_items)},
                        (users.astype(np.int64), items.astype(np.int64), ratings.astype(np.float64)),
                        seed=0)
    model = MF(k=20, max_iter=1, use_bias=False, num_threads=1, seed=0)
    wall, cpu = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Model is already fitted": re-fitting is the point
        model.fit(train_set)
        for _ in range(epochs):
            w, c = time.perf_counter(), time.thread_time()
            model.fit(train_set)
            cpu.append(time.thread_time() - c)
            wall.append(time.perf_counter() - w)
    return min(wall), min(cpu)


def time_surprise(data, epochs):
    """Min (wall, CPU) seconds of one Surprise SVD epoch, or None if Surprise is not installed."""
    try:
        import pandas as pd
        from surprise import SVD, Dataset, Reader
    except ImportError:
        return None
    users, items, ratings = data
    frame = pd.DataFrame({"u": users, "i": items, "r": ratings.astype(np.float64)})
    trainset = Dataset.load_from_df(frame, Reader(rating_scale=(1, 5))).build_full_trainset()
    del frame
    wall, cpu = [], []
    for _ in range(epochs):
        w, c = time.perf_counter(), time.thread_time()
        SVD(n_factors=20, n_epochs=1, biased=False, random_state=0).fit(trainset)
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
    return min(wall), min(cpu)


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
        timed = []
        for method in args.methods:
            timed.append((method, *time_method(METHODS[method], data, n_users, n_items, epochs)))
            print(f"  {method}: {timed[-1][2]:.3f} s CPU per epoch (load {load():.1f})", flush=True)
        if not args.no_references:
            for name in ("cornac MF", "Surprise SVD"):
                if name == "Surprise SVD" and size != sizes[0]:
                    continue  # 1M only: at 10M it would take minutes per epoch
                ref = (time_cornac(data, n_users, n_items, epochs) if name == "cornac MF"
                       else time_surprise(data, epochs))
                print(f"  {name}: " + ("not installed" if ref is None else f"{ref[1]:.3f} s CPU"), flush=True)
                if ref is not None:
                    timed.append((name, *ref, None, None))
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

    print(f"\nCPU time, one thread, rank 20, float32; load average (1 min) at the end {load():.2f}"
          " (absolute numbers are under that load; ratios are measured side by side in this run)\n")
    print(markdown(rows))
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, COLUMNS)
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
