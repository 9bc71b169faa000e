"""Padded against unpadded factor rows: CPU ns per rating of one epoch, both in one process.

    python bench/padding_speed.py [--size 1M] [--ranks 20] [--methods sgd-plain sgd adam adago]
                                  [--epochs 7]

The per-rating momentum-SGD and Adam-family passes store each row's R columns rounded up to a
multiple of 8 (adago.optimizers.shared.padded_rank), so that their update loop runs over whole AVX2
vectors. This script times each method twice on the same skewed ratings (bench/skewed_ratings.py,
MovieLens shapes): once as shipped and once with ``padded_rank`` replaced by the identity, which
stores exactly R columns. Both runs compute the same numbers (tests/test_rank_padding.py); only the
time differs. The runs take their epochs in turn and the minimum CPU time is kept, as in
bench/scale_speed.py. Plain SGD pads no row as shipped (the padding did not pay for it), so its two
rows are the same code and show the noise of the measurement.
"""

from __future__ import annotations

import argparse
import sys

from adago.optimizers import adam as A
from adago.optimizers import sgd as S
from scale_speed import METHODS, MethodTimer, load, time_round_robin
from skewed_ratings import SHAPES, skewed_ratings


def _unpadded(rank: int) -> int:
    return rank


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1M", choices=list(SHAPES))
    ap.add_argument("--ranks", nargs="+", type=int, default=[20])
    ap.add_argument("--methods", nargs="+", default=["sgd-plain", "sgd", "adam", "adago"],
                    choices=list(METHODS))
    ap.add_argument("--epochs", type=int, default=7)
    args = ap.parse_args(argv)
    n, n_users, n_items = SHAPES[args.size]
    print(f"{args.size}: generating {n:,} ratings ({n_users:,} users x {n_items:,} items)...", flush=True)
    data = skewed_ratings(n, n_users, n_items)
    shipped = A.padded_rank
    timers = {}
    try:
        for rank in args.ranks:
            for method in args.methods:
                for padded in (True, False):
                    A.padded_rank = S.padded_rank = shipped if padded else _unpadded
                    timers[(rank, method, padded)] = MethodTimer(
                        {**METHODS[method], "rank": rank}, data, n_users, n_items, args.epochs)
    finally:
        A.padded_rank = S.padded_rank = shipped
    times = time_round_robin(timers, args.epochs)
    print(f"\nCPU ns per rating, one thread, float32, min over {args.epochs} epochs taken in turn; "
          f"load average (1 min) at the end {load():.2f}\n")
    print("| size | rank | method | stored columns | as shipped | unpadded | ratio |")
    print("|---|---|---|---|---|---|---|")
    for rank in args.ranks:
        for method in args.methods:
            stored = timers[(rank, method, True)].run.U.shape[2]
            ns = [times[(rank, method, p)][1] / n * 1e9 for p in (True, False)]
            print(f"| {args.size} | {rank} | {method} | {stored} | {ns[0]:.1f} | {ns[1]:.1f} "
                  f"| {ns[0] / ns[1]:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
