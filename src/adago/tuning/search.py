"""One trial from its id to its record, and a whole search in one process (the command line).

:func:`run_trial` is what a tune job does: draw the trial's values from the space (round 2: around
round 1's best.json), convert them and the fixed options from 1-5 stars to the data's scale, score
them on validation data (adago.tuning.evaluate) and return the record to write. The workflow runs it
once per job; :func:`search` runs every trial of a budget in one process and selects the best.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from adago.dataset import RatingMatrix, rating_range_policy
from adago.splitting import Split
from adago.tuning.evaluate import evaluate_trial
from adago.tuning.records import parse_trial_id, select_best, trial_record
from adago.tuning.scale import rating_scale, scale_options
from adago.tuning.space import Space, space_to_json
from adago.tuning.trials import round1_trial, round2_trial, trial_ids
from adago.warmup import warm_up


def data_scale(data: RatingMatrix, splits: Mapping[int, Split], declared_range=None) -> float:
    """The scale c of adago.tuning.scale for this data set: from the declared rating range, else
    from the range of the tuning seeds' training ratings (never validation or test entries)."""
    train_ratings = np.concatenate([data.rating[splits[s].train] for s in splits])
    return rating_scale(rating_range_policy(declared_range, train_ratings))


def trial_values(space: Space, trial_id: str, *, sampling_seed: int, round1_best: Mapping | None = None) -> dict:
    """The values (1-5 star units) of trial ``trial_id``; a round-2 trial needs round 1's best.json."""
    round_, k = parse_trial_id(trial_id)
    if round_ == 1:
        return round1_trial(space, seed=sampling_seed, k=k)
    if round1_best is None:
        raise ValueError(f"trial {trial_id} is a round-2 trial: it needs round 1's best.json")
    return round2_trial(space, round1_best["reference_values"], seed=sampling_seed, k=k)


def run_trial(data: RatingMatrix, splits: Mapping[int, Split], *, method: str, space: Space,
              trial_id: str, base: Mapping | None = None, sampling_seed: int = 0,
              round1_best: Mapping | None = None, declared_range=None,
              train_options: Mapping | None = None, context: Mapping | None = None,
              threads: int = 1, numba_cache: str | None = None,
              log: Callable[[str], None] | None = None) -> dict:
    """Draw, convert, score: the record of one trial (adago.tuning.records.trial_record).

    base : fixed TrainConfig options of every trial (protocol conventions, max_epochs, ...), in 1-5
        star units like the space; the drawn values override them.
    splits : tuning seed -> Split; only the train and validation parts are read.
    numba_cache : compile (or load) the trial's kernels under this cache directory's lock first, so
        that parallel jobs do not race on the cache files (adago.warmup).
    """
    values = trial_values(space, trial_id, sampling_seed=sampling_seed, round1_best=round1_best)
    scale = data_scale(data, splits, declared_range)
    options = scale_options({**dict(base or {}), "method": method, **values}, scale)
    if numba_cache is not None:
        warm_up(options, numba_cache)
    result = evaluate_trial(data, splits, options, declared_range=declared_range,
                            train_options=train_options, threads=threads, log=log)
    return trial_record(trial_id=trial_id, method=method, sampling_seed=sampling_seed, values=values,
                        scale=scale, space=space_to_json(space), result=result,
                        train_options=train_options, context=context)


def search(data: RatingMatrix, splits: Mapping[int, Split], *, method: str, space: Space,
           trials: int, refine_trials: int = 0, metric: str = "val_rmse",
           progress: Callable[[dict], None] | None = None, **trial_options) -> tuple[list[dict], dict]:
    """Every trial of a budget in this process (round 1, then round 2 around its best), and the
    best.json content of all of them. ``trial_options`` go to :func:`run_trial`."""
    records = []
    ids = trial_ids(trials, refine_trials)
    round1_best = None
    for tid in ids:
        if tid.startswith("r2") and round1_best is None:
            round1_best = select_best(records, metric)
        records.append(run_trial(data, splits, method=method, space=space, trial_id=tid,
                                 round1_best=round1_best, **trial_options))
        if progress is not None:
            progress(records[-1])
    return records, select_best(records, metric)
