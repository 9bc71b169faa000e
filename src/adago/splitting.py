"""Train / validation / test splits of a RatingMatrix's entries, saved with a checksum manifest.

A :class:`Split` holds three sorted, disjoint int64 arrays of indices into the entries of one
RatingMatrix (``data.user[idx]``, ``data.item[idx]``, ``data.rating[idx]``).

* Without a fixed test set (ML-1M) the entries are permuted with ``numpy.random.Generator(PCG64(seed))``
  and cut by ``ratios`` (default 0.7/0.1/0.2, one of the two splits the authors' group uses).
* With a fixed test set (Douban) the file's test entries are the test set, and ``validation_fraction``
  of the file's training entries, drawn with the seed, are the validation set.

Cold start: an entry of validation/test whose user or item never occurs in train cannot be predicted
by a latent-factor model beyond its random initial factors. ``cold_start`` decides what happens to them:

``"drop"`` (default)
    remove them from validation/test and count them in ``info``. The metric then measures what the
    paper's models can do; the count says how much was left out.
``"move-to-train"``
    move every validation/test entry of a cold user or item to train (which makes it warm), so no
    rating is wasted but those users/items are not evaluated.
``"keep"``
    leave them in place (counted in ``info``): the metric includes predictions from untrained factors.
``"error"``
    raise :class:`ColdStartError` if there is any.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from adago.atomic import atomic_open, atomic_path
from adago.dataset import RatingMatrix
from adago.checksums import sha256_file

COLD_START_POLICIES = ("drop", "move-to-train", "keep", "error")
SPLIT_FORMAT_VERSION = 1
_PARTS = ("train", "validation", "test")


class ColdStartError(ValueError):
    """cold_start="error" and validation/test contain users or items absent from train."""


class SplitFileError(ValueError):
    """A saved split is unreadable, malformed, or does not have the expected checksum."""


@dataclass
class Split:
    """Index arrays (int64, sorted, disjoint) into a RatingMatrix's entries, plus how they were made."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    info: dict = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {name: int(len(getattr(self, name))) for name in _PARTS}


def make_split(
    data: RatingMatrix,
    *,
    seed: int,
    ratios: tuple[float, float, float] = (0.7, 0.1, 0.2),
    validation_fraction: float = 0.1,
    cold_start: str = "drop",
) -> Split:
    """Split ``data``'s entries; deterministic for a given ``seed``.

    ratios : (train, validation, test) fractions for data without ``fixed_test``; must sum to 1.
    validation_fraction : share of the file's training entries used for validation when ``fixed_test``
        is set (0 <= f < 1).
    cold_start : "drop" | "move-to-train" | "keep" | "error" (see the module docstring).
    Raises ValueError naming the bad argument, ColdStartError for cold_start="error".
    """
    if cold_start not in COLD_START_POLICIES:
        raise ValueError(f"cold_start must be one of {COLD_START_POLICIES}, got {cold_start!r}")
    rng = np.random.Generator(np.random.PCG64(seed))
    n = data.n_ratings
    info: dict = {"seed": int(seed), "cold_start": cold_start, "n_ratings": n}
    if data.fixed_test is None:
        ratios = _check_ratios(ratios)
        train, validation, test = _random_split(n, ratios, rng)
        info.update(kind="random", ratios=list(ratios))
    else:
        _check_fraction(validation_fraction)
        train, validation, test = _fixed_split(data.fixed_test, validation_fraction, rng)
        info.update(kind="fixed-test", validation_fraction=float(validation_fraction))

    train, validation, test, cold = _apply_cold_start(data, train, validation, test, cold_start)
    split = Split(np.sort(train), np.sort(validation), np.sort(test), info)
    info.update(cold)
    info["counts"] = split.counts()
    return split


def _check_ratios(ratios) -> tuple[float, float, float]:
    try:
        r = tuple(float(x) for x in ratios)
    except (TypeError, ValueError):
        raise ValueError(f"ratios must be three numbers (train, validation, test), got {ratios!r}") from None
    if len(r) != 3 or not all(math.isfinite(x) and x >= 0 for x in r):
        raise ValueError(f"ratios must be three finite numbers >= 0 (train, validation, test), got {ratios!r}")
    if abs(sum(r) - 1.0) > 1e-9:
        raise ValueError(f"ratios must sum to 1, got {ratios!r} (sum {sum(r)!r})")
    if r[0] <= 0:
        raise ValueError(f"ratios: the train share must be > 0, got {ratios!r}")
    return r


def _check_fraction(f) -> None:
    if not (isinstance(f, (int, float)) and math.isfinite(f) and 0 <= f < 1):
        raise ValueError(f"validation_fraction must be in [0, 1), got {f!r}")


def _random_split(n: int, ratios, rng: np.random.Generator):
    perm = rng.permutation(n).astype(np.int64)
    n_train = int(round(ratios[0] * n))
    n_val = min(int(round(ratios[1] * n)), n - n_train)
    return perm[:n_train], perm[n_train : n_train + n_val], perm[n_train + n_val :]


def _fixed_split(fixed_test: np.ndarray, fraction: float, rng: np.random.Generator):
    test = np.flatnonzero(fixed_test).astype(np.int64)
    pool = np.flatnonzero(~fixed_test).astype(np.int64)
    n_val = int(round(fraction * len(pool)))
    chosen = np.zeros(len(pool), dtype=bool)
    chosen[rng.choice(len(pool), size=n_val, replace=False)] = True
    return pool[~chosen], pool[chosen], test


def _cold_mask(data: RatingMatrix, train: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """True for entries ``idx`` whose user or item has no entry in ``train``."""
    warm_u = np.zeros(data.n_users, dtype=bool)
    warm_i = np.zeros(data.n_items, dtype=bool)
    warm_u[data.user[train]] = True
    warm_i[data.item[train]] = True
    return ~(warm_u[data.user[idx]] & warm_i[data.item[idx]])


def _apply_cold_start(data: RatingMatrix, train, validation, test, policy: str):
    cold_val = _cold_mask(data, train, validation)
    cold_test = _cold_mask(data, train, test)
    n_val, n_test = int(cold_val.sum()), int(cold_test.sum())
    counts = {"cold_validation": n_val, "cold_test": n_test}
    if policy == "error" and (n_val or n_test):
        raise ColdStartError(
            f"{n_val} validation and {n_test} test entries have a user or item absent from train "
            f"(cold_start='error'; choose drop, move-to-train or keep)"
        )
    if policy == "drop":
        validation, test = validation[~cold_val], test[~cold_test]
        counts.update(dropped_validation=n_val, dropped_test=n_test)
    elif policy == "move-to-train":
        # Moving these entries makes their users/items warm; every other val/test entry of such a user
        # or item was itself cold, so it moves too and nothing cold remains.
        train = np.concatenate([train, validation[cold_val], test[cold_test]])
        validation, test = validation[~cold_val], test[~cold_test]
        counts.update(moved_validation=n_val, moved_test=n_test)
    return train, validation, test, counts


# --------------------------------------------------------------------------------------------------
# persistence


def save_split(path: str | os.PathLike, split: Split, *, source_sha256: str | None = None) -> dict:
    """Write ``split`` to ``path`` (.npz, no pickle) atomically; return its manifest.

    The manifest holds the file's sha256, the counts, the seed and policy from ``split.info`` and
    ``source_sha256`` (the checksum of the data the indices refer to), for :func:`write_manifest`.
    """
    path = Path(path)
    info = dict(split.info)
    if source_sha256 is not None:
        info["source_sha256"] = source_sha256
    arrays = {name: np.ascontiguousarray(getattr(split, name), dtype=np.int64) for name in _PARTS}
    arrays["format_version"] = np.array(SPLIT_FORMAT_VERSION)
    arrays["info_json"] = np.array(json.dumps(info, sort_keys=True))  # a str array, not an object
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    return {
        "file": path.name,
        "sha256": sha256_file(path),
        "format_version": SPLIT_FORMAT_VERSION,
        "counts": split.counts(),
        "seed": info.get("seed"),
        "cold_start": info.get("cold_start"),
        "source_sha256": source_sha256,
        "info": info,
    }


def write_manifest(path: str | os.PathLike, manifest: dict) -> None:
    """Write ``manifest`` as indented, key-sorted JSON, atomically."""
    with atomic_open(path, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2, sort_keys=True)
        fh.write("\n")


def load_split(path: str | os.PathLike, *, expected_sha256: str | None = None) -> Split:
    """Read a split written by :func:`save_split`, checking the file's sha256 first if given.

    Raises SplitFileError (a ValueError) naming the file on a checksum mismatch, a missing or
    object (pickle-only) array, or indices that are not sorted, disjoint int64 arrays.
    """
    path = Path(path)
    if expected_sha256 is not None:
        actual = sha256_file(path)
        if actual != expected_sha256.lower():
            raise SplitFileError(f"{path}: checksum mismatch: expected sha256 {expected_sha256}, got {actual}")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ("format_version", *_PARTS, "info_json") if k not in z.files]
            if missing:
                raise SplitFileError(f"{path}: not a split file, missing array(s) {', '.join(missing)}")
            version = int(z["format_version"])
            if version != SPLIT_FORMAT_VERSION:
                raise SplitFileError(f"{path}: split format {version}, this code reads {SPLIT_FORMAT_VERSION}")
            parts = {name: z[name] for name in _PARTS}
            info = json.loads(str(z["info_json"]))
    except SplitFileError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:  # object arrays, truncation
        raise SplitFileError(f"{path}: refused to load: {type(exc).__name__}: {exc}") from None
    _check_parts(path, parts)
    return Split(parts["train"], parts["validation"], parts["test"], info)


def _check_parts(path: Path, parts: dict) -> None:
    for name, a in parts.items():
        if a.dtype != np.int64 or a.ndim != 1:
            raise SplitFileError(f"{path}: {name} must be a 1-D int64 array, got {a.dtype} {a.shape}")
        if len(a) and (np.any(np.diff(a) <= 0) or a[0] < 0):
            raise SplitFileError(f"{path}: {name} indices must be sorted, unique and >= 0")
    merged = np.concatenate(list(parts.values()))
    if len(np.unique(merged)) != len(merged):
        raise SplitFileError(f"{path}: train, validation and test overlap")
