"""Seconds per training epoch of our optimisers against scikit-surprise SVD and cornac MF.

    python bench/epoch_speed.py [--epochs 7] [--douban PATH] [--threads 1] [--methods ...]

Data: (a) a synthetic matrix shaped like MovieLens-1M (6,040 x 3,952, 1,000,209 ratings, rank 20
model), (b) Douban's 123,202 training ratings (from $ADAGO_MIRROR/douban/ or ../shared/data/douban/;
skipped with a message if the file is missing).
Ours: epochs of a real training run (bench/scale_speed.MethodTimer: ``adago.training._Run``, the
same allocation, reshuffle and epoch kernels as ``train``, JIT compiled beforehand, evaluation not
included; for ALS a user sweep + an item sweep). Rows ending in "-2-threads" run with two Numba
threads (only ALS and full-batch kernels use them; per-rating passes are sequential).
References, same data, one thread: ``surprise.SVD(n_factors=20, n_epochs=1,
biased=False).fit(trainset)`` and ``cornac.models.MF(k=20, max_iter=1, use_bias=False,
num_threads=1).fit(train_set)`` per epoch (trainset building excluded; cornac's one iteration is
one pass over all ratings in a fixed order, no shuffle; Surprise re-initialises its factors in
every fit, which is included). Both are optional: "not installed" is printed if absent.
Every method and reference takes its epochs in turn (one of each, then the next of each), and the
minimum wall time per epoch is kept: this shared machine's speed drifts over minutes, and taking
turns exposes all of them to the same drift.
Benchmark-only dependencies: ``pip install -e .[bench]`` (or a separate venv, see docs/METHODS.md).
Prints wall-clock seconds; compare the ratios, which are measured side by side.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from adago.sources import resolve_mirror
from adago.synthetic import low_rank_ratings
from scale_speed import CornacTimer, MethodTimer, SurpriseTimer, load, time_round_robin

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DOUBAN = (resolve_mirror() or REPO.parent / "shared" / "data") / "douban" / "training_test_dataset.mat"
# name -> TrainConfig fields (and "threads"); "sgd-plain" is the like-for-like comparison with
# cornac's plain SGD.
METHODS = {
    "sgd": {"method": "sgd"},
    "sgd-plain": {"method": "sgd", "sgd_variant": "plain"},
    "adam": {"method": "adam"},
    "adago": {"method": "adago"},
    "adahessian": {"method": "adahessian"},
    "als": {"method": "als"},
    "als-2-threads": {"method": "als", "threads": 2},
}


def load_douban(path: Path):
    """(users, items, ratings, n_users, n_items) of Douban's fixed training ratings."""
    try:
        from adago.readers import read_ratings
    except ImportError:
        read_ratings = None
    if read_ratings is not None:
        d = read_ratings(path, "monti-mat")
        keep = ~d.fixed_test
        return d.user[keep], d.item[keep], d.rating[keep], d.n_users, d.n_items
    import h5py  # fallback: the file is MATLAB v7.3 = HDF5; the matrices are square (3000 x 3000)

    with h5py.File(path, "r") as f:
        M = np.asarray(f["M"]).T
        mask = np.asarray(f["Otraining"]).T
    users, items = np.nonzero(M * mask)
    return users.astype(np.int32), items.astype(np.int32), M[users, items], M.shape[0], M.shape[1]


def epoch_times(data, methods, epochs, threads, references) -> dict:
    """{name: min wall seconds per epoch} of our methods (and the references), epochs taken in turn."""
    users, items, ratings, n_users, n_items = data
    triples = (users, items, ratings)
    timers = {}
    for method in methods:
        options = dict(METHODS[method])
        timers[method] = MethodTimer(options, triples, n_users, n_items, epochs,
                                     threads=options.pop("threads", threads))
    if references:
        for label, timer in (("Surprise SVD", SurpriseTimer.make(triples)),
                             ("cornac MF", CornacTimer.make(triples, n_users, n_items))):
            if timer is None:
                print(f"  {label}: not installed", flush=True)
            else:
                timers[label] = timer
    return {name: wall for name, (wall, _cpu) in time_round_robin(timers, epochs).items()}


def ratio(ours, ref):
    return "n/a" if ref is None else f"{ours / ref:.3f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=7, help="epochs timed per method, taken in turn (minimum)")
    ap.add_argument("--douban", type=Path, default=DEFAULT_DOUBAN, help="Douban .mat file")
    ap.add_argument("--threads", type=int, default=1, help="Numba threads for our runs")
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    ap.add_argument("--skip-references", action="store_true", help="do not time Surprise/cornac")
    args = ap.parse_args(argv)

    datasets = []
    print("building synthetic ML-1M-shaped matrix (6040 x 3952, 1,000,209 ratings)...", flush=True)
    ml = low_rank_ratings(6040, 3952, 1_000_209, rank=20, noise_std=0.5, seed=0, rating_range=(1, 5))
    datasets.append(("synthetic-ml1m", (ml.user, ml.item, ml.rating, ml.n_users, ml.n_items)))
    douban = args.douban if args.douban.is_absolute() else (Path.cwd() / args.douban)
    if douban.is_file():
        datasets.append(("douban", load_douban(douban)))
    else:
        print(f"Douban file not found at {douban}: skipping that data set", flush=True)

    print(f"threads={args.threads} epochs={args.epochs} load average (1 min) {load():.2f}")
    rows = []
    for name, data in datasets:
        times = epoch_times(data, args.methods, args.epochs, args.threads, not args.skip_references)
        refs = {ref: times.get(ref) for ref in ("Surprise SVD", "cornac MF")}
        for method, sec in times.items():
            rows.append((name, method, sec, ratio(sec, refs["Surprise SVD"]), ratio(sec, refs["cornac MF"])))
            print(f"  {name} {method}: {sec:.4f} s/epoch", flush=True)
        for label, sec in refs.items():
            if sec is None and not args.skip_references:
                rows.append((name, label, None, "not installed", ""))

    print()
    header = f"{'dataset':<16} {'method':<14} {'s/epoch':>9} {'vs Surprise SVD':>16} {'vs cornac MF':>13}"
    print(header)
    print("-" * len(header))
    for name, method, sec, r_s, r_c in rows:
        s = "-" if sec is None else f"{sec:.4f}"
        print(f"{name:<16} {method:<14} {s:>9} {r_s:>16} {r_c:>13}")
    print("\nratios are ours / reference: < 1 means faster than the reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
