"""The data steps of the workflow, prepare and split, as functions the rule scripts only call.

Each step also checks that what it hands on can be trained on, so a data set that cannot give a
meaningful run fails here, once, naming the data set and what to change, instead of in every
training job (once per method and seed) with a message about the symptom:

* prepare: at least 2 users, 2 items and 2 distinct rating values (:func:`check_trainable`);
* split: train, validation and test all non-empty after the cold-start policy, and, for a data set
  without a declared rating range, a training range with high > low (:func:`check_split`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable

import numpy as np

from adago.atomic import atomic_open
from adago.dataset import RatingMatrix, load_ratings, rating_range_policy, save_ratings
from adago.download import sha256_file
from adago.readers import read_ratings_report
from adago.splitting import Split, make_split, save_split, write_manifest


class DataSetError(ValueError):
    """A data set (or one seed's split of it) that no training run could use; says what to change."""


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


def split_dataset(data_path: str | os.PathLike, split_path: str | os.PathLike,
                  manifest_path: str | os.PathLike, *, name: str, seed: int, cold_start: str = "drop",
                  **options) -> dict:
    """Split the prepared data for ``seed`` (``options``: ``ratios`` or ``validation_fraction``), check
    the result (:func:`check_split`), write the split and its manifest; returns the manifest."""
    data = load_ratings(data_path)
    split = make_split(data, seed=seed, cold_start=cold_start, **options)
    check_split(data, split, name)
    manifest = save_split(split_path, split, source_sha256=sha256_file(data_path))
    write_manifest(manifest_path, manifest)
    return manifest


def check_split(data: RatingMatrix, split: Split, name: str) -> None:
    """Raise :class:`DataSetError` if a part of ``split`` is empty or the training range is degenerate."""
    info, counts = split.info, split.counts()
    where = f"data set '{name}', seed {info.get('seed')}"
    empty = [part for part in ("train", "validation", "test") if counts[part] == 0]
    if empty:
        removed = _removed_by_cold_start(info)
        shares = (f"ratios {info['ratios']}" if info.get("kind") == "random"
                  else f"validation_fraction {info.get('validation_fraction')}")
        raise DataSetError(
            f"{where}: the {' and '.join(empty)} part{'s are' if len(empty) > 1 else ' is'} empty "
            f"(train {counts['train']}, validation {counts['validation']}, test {counts['test']} of "
            f"{data.n_ratings} ratings; {shares}{removed}). Early stopping needs validation ratings and "
            f"Tables 4-5 need test ratings: use a larger data set, "
            f"{'larger validation/test ratios' if info.get('kind') == 'random' else 'a larger validation_fraction'}"
            f"{', or cold_start: keep' if removed else ''}"
        )
    if data.declared_range is None:
        try:
            rating_range_policy(None, data.rating[split.train])
        except ValueError as exc:
            raise DataSetError(
                f"{where}: {exc} (the data set declares no rating_range, so the training ratings' range "
                f"is used): declare rating_range for it"
            ) from None


def _removed_by_cold_start(info: dict) -> str:
    """``'; cold_start 'drop' removed 3 validation and 5 test entries'``, or '' if it removed none."""
    policy = info.get("cold_start")
    verb = {"drop": "dropped", "move-to-train": "moved"}.get(policy)
    if verb is None:
        return ""
    n_val, n_test = info.get(f"{verb}_validation", 0), info.get(f"{verb}_test", 0)
    if not (n_val or n_test):
        return ""
    what = "removed" if policy == "drop" else "moved to train"
    return (f"; cold_start '{policy}' {what} {n_val} validation and {n_test} test entries whose user or "
            f"item has no training rating")
