"""The prepare step: read a raw rating file, check it can be trained on, write the prepared data and
the Table 2 statistics."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable

import numpy as np

from adago.atomic import atomic_open
from adago.dataset import RatingMatrix, save_ratings
from adago.readers import read_ratings_report
from adago.steps import DataSetError


def prepare_dataset(raw: str | os.PathLike, data_path: str | os.PathLike, stats_path: str | os.PathLike, *,
                    name: str, fmt: str, rating_range=None, duplicates: str = "error",
                    log: Callable[[str], None] = logging.getLogger(__name__).info) -> dict:
    """Read ``raw``, check it (:func:`check_trainable`), write the prepared ``.npz`` and the Table 2
    statistics (JSON); returns the statistics. Nothing is written if any check fails."""
    data, report = read_ratings_report(raw, fmt, rating_range=rating_range, duplicates=duplicates)
    log(report.summary())
    check_trainable(data, name, raw)
    stats = {"dataset": name, **data.stats(), "rating_range_source": report.rating_range_source,
             "duplicates_dropped": report.duplicates_dropped}
    save_ratings(data_path, data)
    with atomic_open(stats_path) as fh:
        json.dump(stats, fh, indent=2)
    log(f"prepared {stats}")
    return stats


def check_trainable(data: RatingMatrix, name: str, source: str | os.PathLike | None = None) -> None:
    """Raise :class:`DataSetError` unless ``data`` has >= 2 users, >= 2 items and >= 2 rating values."""
    where = f"data set '{name}'" + (f" ({source})" if source is not None else "")
    users_rated = int(np.count_nonzero(np.bincount(data.user, minlength=data.n_users)))
    items_rated = int(np.count_nonzero(np.bincount(data.item, minlength=data.n_items)))
    if users_rated < 2 or items_rated < 2:
        raise DataSetError(
            f"{where}: {data.n_ratings} rating(s) from {users_rated} user(s) on {items_rated} item(s); "
            f"a rating matrix to factorise needs at least 2 users and 2 items with ratings: "
            f"check that the file is the whole data set"
        )
    lo, hi = (float(data.rating.min()), float(data.rating.max())) if data.n_ratings else (np.nan, np.nan)
    if not hi > lo:
        raise DataSetError(
            f"{where}: all {data.n_ratings} ratings are {lo:g}; with a single rating value there is "
            f"nothing to learn and no error to compare: check the rating column"
        )
