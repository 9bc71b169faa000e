"""The split step: split the prepared data for one seed, check every part can serve, write the split
and its checksum manifest."""

from __future__ import annotations

import os

from adago.checksums import sha256_file
from adago.dataset import RatingMatrix, load_ratings, rating_range_policy
from adago.splitting import Split, make_split, save_split, write_manifest
from adago.steps import DataSetError


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
