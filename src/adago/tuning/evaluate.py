"""Score one trial on validation data only, averaged over the tuning seeds.

For each tuning seed the model is trained on that seed's training part and stopped on its validation
part; the trainer gets ``test=None``, and nothing here reads a split's test indices, so no test entry
can influence a trial (not even through the clipping range, which comes from the training ratings
when the data set declares none). The trial's score is

    val_rmse = (1/|S|) sum_{s in S} min_epoch val_RMSE_s(epoch)      (and val_mae likewise)

over the tuning seeds S, each value taken at that metric's best-validation epoch. A trial that
diverges on any seed scores inf and is marked diverged; its remaining seeds are skipped (the
setting is unstable whatever they would give) and the search goes on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

import numpy as np

from adago.dataset import RatingMatrix, rating_range_policy
from adago.optimizers import TrainConfig
from adago.splitting import Split
from adago.stopping import Stopping
from adago.training import DivergenceError, train


def _part(data: RatingMatrix, idx: np.ndarray):
    return data.user[idx], data.item[idx], data.rating[idx]


def train_keywords(train_options: Mapping | None) -> dict:
    """``train()``'s keyword options from their config form: a protocol's ``evaluation`` block
    ({clip, stopping}) with ``stopping`` as a mapping (JSON-able, as Snakemake params and trial records
    hold it) becomes an adago.stopping.Stopping; everything else passes unchanged."""
    keywords = dict(train_options or {})
    if isinstance(keywords.get("stopping"), Mapping):
        keywords["stopping"] = Stopping.from_mapping(keywords["stopping"], where="training.stopping")
    return keywords


def score_seed(data: RatingMatrix, split: Split, config: TrainConfig, seed: int, *,
               declared_range=None, train_options: Mapping | None = None, threads: int = 1,
               log: Callable[[str], None] | None = None) -> dict:
    """Train once on ``split.train``, stop on ``split.validation``; the seed's record.

    Returns {seed, val_rmse, val_mae, epoch, epoch_mae, epochs_run, stop_reason, seconds, diverged,
    detail, rating_range}: ``epoch``/``epoch_mae`` are the best-validation epochs of RMSE/MAE,
    ``seconds`` the training time up to the best-RMSE epoch, ``rating_range`` the clipping range
    (adago.dataset.rating_range_policy). A diverged run has val_rmse = val_mae = inf.
    """
    train_part = _part(data, split.train)
    rating_range = rating_range_policy(declared_range, train_part[2])
    try:
        result = train(train_part, _part(data, split.validation), None, n_users=data.n_users,
                       n_items=data.n_items, config=config, seed=seed, rating_range=rating_range,
                       threads=threads, log=log, **train_keywords(train_options))
    except DivergenceError as exc:
        return {"seed": int(seed), "val_rmse": math.inf, "val_mae": math.inf, "epoch": exc.epoch,
                "epoch_mae": exc.epoch, "epochs_run": exc.epoch, "stop_reason": "diverged",
                "seconds": math.nan, "diverged": True, "detail": str(exc.detail),
                "rating_range": list(rating_range)}
    best = result.best
    return {"seed": int(seed), "val_rmse": float(best["rmse"]["val_rmse"]),
            "val_mae": float(best["mae"]["val_mae"]), "epoch": int(best["rmse"]["epoch"]),
            "epoch_mae": int(best["mae"]["epoch"]), "epochs_run": int(result.epochs_run),
            "stop_reason": str(result.stop_reason), "seconds": float(best["rmse"]["seconds"]),
            "diverged": False, "detail": "", "rating_range": list(rating_range)}


def evaluate_trial(data: RatingMatrix, splits: Mapping[int, Split], options: Mapping, *,
                   declared_range=None, train_options: Mapping | None = None, threads: int = 1,
                   log: Callable[[str], None] | None = None) -> dict:
    """Score fully resolved TrainConfig ``options`` on every seed of ``splits`` (seed -> Split).

    ``train_options`` are passed to ``adago.training.train`` (:func:`train_keywords`): the protocol's
    stopping rule and clipping (adago.protocols.evaluation), in their JSON form. Returns {options, seeds: [per-seed records, see :func:`score_seed`],
    val_rmse, val_mae, epochs (mean best-RMSE epoch), diverged, wall_seconds}; seeds after a
    diverging one are not run.
    """
    if not splits:
        raise ValueError("a trial needs at least one tuning seed")
    config = TrainConfig.from_mapping(options, where="trial")
    start = time.perf_counter()
    records = []
    for seed in splits:
        records.append(score_seed(data, splits[seed], config, seed, declared_range=declared_range,
                                  train_options=train_options, threads=threads, log=log))
        if records[-1]["diverged"]:
            break
    diverged = records[-1]["diverged"]
    return {
        "options": config.to_dict(),
        "seeds": records,
        "val_rmse": math.inf if diverged else float(np.mean([r["val_rmse"] for r in records])),
        "val_mae": math.inf if diverged else float(np.mean([r["val_mae"] for r in records])),
        "epochs": math.nan if diverged else float(np.mean([r["epoch"] for r in records])),
        "diverged": diverged,
        "wall_seconds": time.perf_counter() - start,
    }
