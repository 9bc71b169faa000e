"""Seconds per training epoch of our optimisers against scikit-surprise SVD and cornac MF.

    python bench/epoch_speed.py [--epochs 7] [--douban PATH] [--threads 1] [--methods ...]

Data: (a) a synthetic matrix shaped like MovieLens-1M (6,040 x 3,952, 1,000,209 ratings, rank 20
model), (b) Douban's 123,202 training ratings (from $ADAGO_MIRROR/douban/ or ../shared/data/douban/;
skipped with a message if the file is missing).
Ours: epochs timed by ``adago.training.train`` itself (its ``seconds`` column: reshuffle + pass, or
for ALS a user sweep + an item sweep; evaluation excluded, JIT compilation done beforehand by
train's warm-up); the median of ``--epochs`` epochs. Rows ending in "-2-threads" run with two
Numba threads (only ALS and full-batch kernels use them; per-rating passes are sequential).
References, same data, one thread: ``surprise.SVD(n_factors=20, n_epochs=1,
biased=False).fit(trainset)`` and ``cornac.models.MF(k=20, max_iter=1, use_bias=False,
num_threads=1).fit(train_set)`` per epoch (trainset building excluded; cornac's one iteration is
one pass over all ratings in a fixed order, no shuffle; Surprise re-initialises its factors in
every fit, which is included). Both are optional: "not installed" is printed if absent.
Benchmark-only dependencies: ``pip install -e .[bench]`` (or a separate venv, see docs/METHODS.md).
Prints wall-clock seconds; on a busy machine the numbers rise for every library alike, compare ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from adago.optimizers import TrainConfig
from adago.sources import resolve_mirror
from adago.synthetic import low_rank_ratings
from adago.training import train

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


def time_ours(method, data, epochs, threads):
    users, items, ratings, n_users, n_items = data
    # A small validation set keeps the (untimed) per-epoch evaluation short; no early stopping.
    val = (users[:1000], items[:1000], ratings[:1000])
    options = dict(METHODS[method])
    threads = options.pop("threads", threads)
    cfg = TrainConfig(**options, max_epochs=epochs, patience=epochs + 1)
    result = train((users, items, ratings), val, None, n_users=n_users, n_items=n_items,
                   config=cfg, seed=0, threads=threads)
    per_epoch = np.diff(np.concatenate([[0.0], result.history["seconds"].to_numpy()]))
    return statistics.median(per_epoch)


def time_surprise(data, epochs):
    try:
        import pandas as pd
        from surprise import SVD, Dataset, Reader
    except ImportError:
        return None
    users, items, ratings, _, _ = data
    df = pd.DataFrame({"u": users, "i": items, "r": ratings})
    trainset = Dataset.load_from_df(df, Reader(rating_scale=(1, 5))).build_full_trainset()
    times = []
    for _ in range(epochs):
        algo = SVD(n_factors=20, n_epochs=1, biased=False, random_state=0)
        start = time.perf_counter()
        algo.fit(trainset)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_cornac(data, epochs):
    try:
        from cornac.data import Dataset as CornacDataset
        from cornac.models import MF
    except ImportError:
        return None
    users, items, ratings, _, _ = data
    train_set = CornacDataset.from_uir(zip(users.tolist(), items.tolist(), ratings.tolist()), seed=0)
    model = MF(k=20, max_iter=1, use_bias=False, num_threads=1, seed=0)
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Model is already fitted": re-fitting is the point
        model.fit(train_set)  # first call allocates the factors; later fits continue training
        for _ in range(epochs):
            start = time.perf_counter()
            model.fit(train_set)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def ratio(ours, ref):
    return "n/a" if ref is None else f"{ours / ref:.3f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=7, help="epochs timed per method (median)")
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

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"threads={args.threads} epochs={args.epochs} load average (1 min) {load:.2f}")
    rows = []
    for name, data in datasets:
        refs = {"surprise": None, "cornac": None}
        if not args.skip_references:
            refs["surprise"] = time_surprise(data, args.epochs)
            refs["cornac"] = time_cornac(data, args.epochs)
        for method in args.methods:
            sec = time_ours(method, data, args.epochs, args.threads)
            rows.append((name, method, sec, ratio(sec, refs["surprise"]), ratio(sec, refs["cornac"])))
            print(f"  {name} {method}: {sec:.4f} s/epoch", flush=True)
        for ref, sec in refs.items():
            label = "Surprise SVD" if ref == "surprise" else "cornac MF"
            if sec is None:
                rows.append((name, label, None, "not installed", ""))
            else:
                rows.append((name, label, sec, ratio(sec, refs["surprise"]), ratio(sec, refs["cornac"])))

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
