"""The inputs of a tune job: the prepared data and the saved splits of the tuning seeds, checked."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from adago.dataset import RatingMatrix, load_ratings
from adago.download import sha256_file
from adago.splitting import Split, load_split


def load_tuning_inputs(data_path: str | os.PathLike, seeds: Sequence[int], split_paths: Sequence,
                       manifest_paths: Sequence) -> tuple[RatingMatrix, dict[int, Split]]:
    """The data and seed -> Split, each split checked against its manifest's checksum and against
    the checksum of the data it indexes (a split of other data fails naming both files)."""
    if not len(seeds) == len(split_paths) == len(manifest_paths):
        raise ValueError(f"{len(seeds)} tuning seeds but {len(split_paths)} splits and "
                         f"{len(manifest_paths)} manifests")
    data_sha = sha256_file(data_path)
    splits = {}
    for seed, split_path, manifest_path in zip(seeds, split_paths, manifest_paths):
        with open(manifest_path, encoding="utf-8") as fh:
            manifest = json.load(fh)
        if manifest.get("source_sha256") not in (None, data_sha):
            raise ValueError(f"{split_path} indexes prepared data with sha256 {manifest['source_sha256']}, "
                             f"but {data_path} has {data_sha}: re-run split_dataset")
        splits[int(seed)] = load_split(split_path, expected_sha256=manifest["sha256"])
    return load_ratings(data_path), splits
