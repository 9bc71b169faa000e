"""Write a large MovieLens-like rating CSV for the prepare/split scale benchmark (not committed data).

    python bench/make_large_ratings.py OUT.csv --ratings 25000000 [--ids int|string] [--timestamp]

Shape and skew follow MovieLens-25M scaled to ``--ratings``: about 153 ratings per user and 420 per
item on average (ML-25M: 162,541 users, 59,047 items), user and item degrees log-normal (a few
blockbusters, a long tail; no item rated by more than 40% of the users), distinct (user, item)
pairs, half-star ratings 0.5-5. Rows are sorted by user, as in the GroupLens files. ``--ids string``
writes 32-character hexadecimal ids (as hashed ids in exported logs), ``--ids int`` 1-based
integers; ``--timestamp`` adds a fourth column. Deterministic in ``--seed``; 25M rows take about
3.5 CPU minutes and 380 MB (integer ids). See bench/prepare_scale.py.
"""

from __future__ import annotations

import argparse
import hashlib
import time

import numpy as np
import pandas as pd

from adago.atomic import atomic_open

RATINGS_PER_USER = 153.0
RATINGS_PER_ITEM = 420.0
_CHUNK = 1 << 20


def skewed_pairs(rng: np.random.Generator, n_users: int, n_items: int, n: int) -> np.ndarray:
    """``n`` distinct cells ``user * n_items + item`` (sorted), user and item degrees log-normal.

    No user is expected to rate more than 40% of the items, no item to be rated by more than 40% of
    the users (ML-25M's most rated film has 50% of the users), so pairs can stay distinct.
    """
    user_p = _capped(rng.lognormal(0.0, 1.0, n_users), 0.4 * n_items / n)
    item_p = _capped(rng.lognormal(0.0, 1.6, n_items), 0.4 * n_users / n)
    cells = np.empty(0, dtype=np.int64)
    accepted = 1.0  # share of the last draw that was new: draw enough to fill the gap in one round
    while len(cells) < n:
        m = int((n - len(cells)) / max(accepted, 0.05) * 1.02) + 1000
        u = rng.choice(n_users, size=m, p=user_p)
        i = rng.choice(n_items, size=m, p=item_p)
        before = len(cells)
        cells = np.union1d(cells, u.astype(np.int64) * n_items + i)
        accepted = (len(cells) - before) / m
    drop = rng.choice(len(cells), size=len(cells) - n, replace=False)
    return np.delete(cells, drop)


def _capped(weights: np.ndarray, cap: float) -> np.ndarray:
    """Probabilities proportional to ``weights``, none above ``cap`` (the excess spread over the rest)."""
    p = weights / weights.sum()
    for _ in range(20):
        over = p > cap
        if not over.any():
            break
        p[over] = cap
        p[~over] *= (1 - cap * over.sum()) / p[~over].sum()
    return p


def hex_ids(prefix: str, n: int) -> np.ndarray:
    """n distinct 32-character hexadecimal ids (md5 of prefix + number)."""
    return np.array([hashlib.md5(f"{prefix}{k}".encode()).hexdigest() for k in range(n)], dtype=object)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="CSV to write (user,item,rating[,timestamp])")
    ap.add_argument("--ratings", type=int, default=25_000_000)
    ap.add_argument("--ids", choices=("int", "string"), default="int")
    ap.add_argument("--timestamp", action="store_true", help="add a timestamp column")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    start = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    n_users = max(2, round(args.ratings / RATINGS_PER_USER))
    n_items = max(2, round(args.ratings / RATINGS_PER_ITEM))
    cells = skewed_pairs(rng, n_users, n_items, args.ratings)
    users, items = cells // n_items, cells % n_items
    del cells
    stars = (rng.integers(1, 11, size=args.ratings) / 2).astype(np.float32)
    if args.ids == "string":
        user_names, item_names = hex_ids("user", n_users), hex_ids("item", n_items)
    with atomic_open(args.out, "w", encoding="utf-8", newline="") as fh:
        for start_row in range(0, args.ratings, _CHUNK):
            rows = slice(start_row, min(start_row + _CHUNK, args.ratings))
            u, i = users[rows], items[rows]
            frame = pd.DataFrame({
                "user": user_names[u] if args.ids == "string" else u + 1,
                "item": item_names[i] if args.ids == "string" else i + 1,
                "rating": stars[rows],
            })
            if args.timestamp:
                frame["timestamp"] = 1_000_000_000 + rng.integers(0, 500_000_000, size=len(frame))
            frame.to_csv(fh, index=False, header=start_row == 0, float_format="%g")
    print(f"wrote {args.ratings} ratings ({n_users} users x {n_items} items, {args.ids} ids) to {args.out} "
          f"in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
