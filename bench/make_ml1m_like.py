"""Write an ML-1M-shaped synthetic rating file (6,040 x 3,952, 1,000,209 ratings, 1-5 stars) as CSV.

MovieLens-1M cannot be downloaded on machines without internet access; this stands in for it when
measuring the wall time of the full reproduction, through the workflow's custom-dataset path:

    python bench/make_ml1m_like.py data/custom/ml1m_like.csv
    snakemake --cores 2 --configfile config/ml1m_like.yaml
"""

import argparse

import numpy as np
import pandas as pd

from adago.atomic import atomic_open
from adago.synthetic import low_rank_ratings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="CSV to write (user,item,rating)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    data = low_rank_ratings(6040, 3952, 1_000_209, rank=10, noise_std=0.8, seed=args.seed)
    # Whole stars in 1..5, as in ratings.dat.
    stars = np.clip(np.rint(data.rating), 1, 5).astype(np.int8)
    frame = pd.DataFrame({"user": data.user + 1, "item": data.item + 1, "rating": stars})
    with atomic_open(args.out) as fh:
        frame.to_csv(fh, index=False)
    print(f"wrote {len(frame)} ratings to {args.out}; mean {stars.mean():.3f}, "
          f"histogram {np.bincount(stars, minlength=6)[1:].tolist()}")


if __name__ == "__main__":
    main()
