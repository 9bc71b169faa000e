"""Grid search of hyperparameters on validation data only.

Every candidate is trained with ``test=None``: the test entries are never passed to the trainer,
so no choice can be influenced by them. A candidate's score is its best validation RMSE averaged
over the given seeds (each seed its own split and initialisation); a diverging candidate scores inf.

Command line (writes one CSV row per candidate, best first)::

    python -m adago.tuning results/prepared/douban.npz --method adago --seeds 1 2 \\
        --grid lr=0.00025,0.0005,0.001 reg=0.02,0.03,0.05 --out tuning_douban_adago.csv
"""

from __future__ import annotations

import argparse
import itertools
import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from adago.dataset import RatingMatrix, load_ratings
from adago.optimizers import METHODS, TrainConfig
from adago.splitting import make_split
from adago.training import DivergenceError, train
from adago.warmup import warm_up


def candidates(grid: Mapping[str, Sequence]) -> list[dict]:
    """Every combination of the grid's values, in a stable order."""
    keys = sorted(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def validation_score(data: RatingMatrix, options: Mapping, seeds: Sequence[int], split_options: Mapping) -> dict:
    """Mean best validation RMSE (and MAE, epochs) of ``options`` over ``seeds``; test data unused."""
    cfg = TrainConfig.from_mapping(options, where="tuning")
    rmse, mae, epochs = [], [], []
    for seed in seeds:
        split = make_split(data, seed=seed, **split_options)
        part = lambda idx: (data.user[idx], data.item[idx], data.rating[idx])  # noqa: E731
        try:
            result = train(part(split.train), part(split.validation), None, n_users=data.n_users,
                           n_items=data.n_items, config=cfg, seed=seed,
                           rating_range=(data.rating_min, data.rating_max))
        except DivergenceError:
            return {**options, "val_rmse": math.inf, "val_mae": math.inf, "epoch": math.nan, "diverged": True}
        rmse.append(result.best["rmse"]["val_rmse"])
        mae.append(result.best["mae"]["val_mae"])
        epochs.append(result.best["rmse"]["epoch"])
    return {**options, "val_rmse": float(np.mean(rmse)), "val_mae": float(np.mean(mae)),
            "epoch": float(np.mean(epochs)), "diverged": False}


def grid_search(data: RatingMatrix, base: Mapping, grid: Mapping[str, Sequence], seeds: Sequence[int],
                split_options: Mapping | None = None, workers: int = 1) -> pd.DataFrame:
    """Score every candidate (``base`` updated by a grid point); rows sorted by validation RMSE."""
    split_options = dict(split_options or {})
    jobs = [{**base, **c} for c in candidates(grid)]
    if workers > 1:
        # Compile every kernel variant here first: parallel workers compiling at once race on
        # the Numba cache files (adago.warmup).
        for job in jobs:
            warm_up(job)
        with ProcessPoolExecutor(workers) as pool:
            rows = list(pool.map(validation_score, itertools.repeat(data), jobs, itertools.repeat(seeds),
                                 itertools.repeat(split_options)))
    else:
        rows = [validation_score(data, job, seeds, split_options) for job in jobs]
    return pd.DataFrame(rows).sort_values("val_rmse", kind="stable", ignore_index=True)


def _parse_grid(items: Sequence[str]) -> dict[str, list]:
    grid = {}
    for item in items:
        key, _, values = item.partition("=")
        if not values:
            raise SystemExit(f"--grid expects key=v1,v2,..., got {item!r}")
        grid[key] = [_number(v) for v in values.split(",")]
    return grid


def _number(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Grid search on validation data only (test data never used).")
    ap.add_argument("data", help="prepared data set (.npz from the prepare_dataset rule)")
    ap.add_argument("--method", required=True, choices=list(METHODS))
    ap.add_argument("--grid", nargs="+", required=True, help="key=v1,v2,... (TrainConfig options)")
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--validation-fraction", type=float, default=0.1)
    ap.add_argument("--ratios", nargs=3, type=float, default=[0.7, 0.1, 0.2])
    ap.add_argument("--max-epochs", type=int, default=500)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", required=True, help="CSV of all candidates, best first")
    args = ap.parse_args(argv)
    data = load_ratings(args.data)
    table = grid_search(data, {"method": args.method, "max_epochs": args.max_epochs}, _parse_grid(args.grid),
                        args.seeds, {"validation_fraction": args.validation_fraction, "ratios": tuple(args.ratios)},
                        workers=args.workers)
    table.to_csv(args.out, index=False)
    print(table.head(10).to_string(index=False))


if __name__ == "__main__":
    main()
