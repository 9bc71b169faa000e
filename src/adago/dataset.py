"""The one in-memory and on-disk form of a rating data set used by every later stage.

A :class:`RatingMatrix` holds the known entries K of the sparse rating matrix E as coordinate
triples with users and items remapped to ``0..n-1`` (the original ids are kept, index = new id), the
declared rating range, and, for data sets published with their own split (Douban), the mask of the
file's test entries. On disk it is a ``.npz`` written atomically and read with
``allow_pickle=False``: no code-executing format is ever loaded from data.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from adago.atomic import atomic_path

FORMAT_VERSION = 1
_REQUIRED_KEYS = ("format_version", "user", "item", "rating", "shape", "user_ids", "item_ids", "rating_range")


@dataclass(frozen=True)
class RatingMatrix:
    """Known entries of a |I| x |J| rating matrix.

    user, item : int32 arrays of shape (n,), values in 0..n_users-1 / 0..n_items-1
    rating     : float64 array of shape (n,), within [rating_min, rating_max]
    user_ids, item_ids : original ids; ``user_ids[u]`` is the id of remapped user ``u``
    fixed_test : bool array of shape (n,) marking the file's own test entries, or None
    range_declared : True if [rating_min, rating_max] was declared (config, format default); False if
        it is merely the data's own min and max, which training must not use (see
        :func:`rating_range_policy`)
    """

    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray
    n_users: int
    n_items: int
    user_ids: np.ndarray
    item_ids: np.ndarray
    rating_min: float
    rating_max: float
    fixed_test: np.ndarray | None = None
    range_declared: bool = True

    def __post_init__(self) -> None:
        n = len(self.rating)
        if not (len(self.user) == len(self.item) == n):
            raise ValueError("user, item and rating arrays must have the same length")
        if self.fixed_test is not None and len(self.fixed_test) != n:
            raise ValueError("fixed_test mask must have one entry per rating")
        if len(self.user_ids) != self.n_users or len(self.item_ids) != self.n_items:
            raise ValueError("user_ids/item_ids must have n_users/n_items entries")

    @property
    def n_ratings(self) -> int:
        return int(len(self.rating))

    @property
    def declared_range(self) -> tuple[float, float] | None:
        """The declared rating range, or None when the range was only read off the data."""
        return (self.rating_min, self.rating_max) if self.range_declared else None

    def stats(self) -> dict:
        """Table 2 statistics, computed from the data rather than copied from the paper."""
        n = self.n_ratings
        out = {
            "users": int(self.n_users),
            "items": int(self.n_items),
            "ratings": n,
            "density": n / (self.n_users * self.n_items) if n else 0.0,
            "rating_min": float(self.rating_min),
            "rating_max": float(self.rating_max),
            "rating_mean": float(self.rating.mean()) if n else float("nan"),
        }
        if self.fixed_test is not None:
            out["fixed_test_ratings"] = int(self.fixed_test.sum())
        return out


def from_triples(
    user_ids: np.ndarray,
    item_ids: np.ndarray,
    ratings: np.ndarray,
    *,
    rating_range: tuple[float, float],
    fixed_test: np.ndarray | None = None,
    user_universe: np.ndarray | None = None,
    item_universe: np.ndarray | None = None,
    range_declared: bool = True,
) -> RatingMatrix:
    """Remap arbitrary user/item ids to ``0..n-1`` (sorted order of the original ids).

    ``user_universe``/``item_universe`` (optional) list every id of the data set, including ids with no
    rating (Douban has a user without ratings that Table 2 still counts); by default the ids that occur.
    Ids given as Python objects (e.g. strings from pandas) are stored as a fixed-width str array, which
    ``save_ratings`` can write without pickle.
    """
    users, u = _remap(_plain_ids(user_ids), user_universe, "user")
    items, i = _remap(_plain_ids(item_ids), item_universe, "item")
    return RatingMatrix(
        user=u.astype(np.int32),
        item=i.astype(np.int32),
        rating=np.asarray(ratings, dtype=np.float64),
        n_users=len(users),
        n_items=len(items),
        user_ids=users,
        item_ids=items,
        rating_min=float(rating_range[0]),
        rating_max=float(rating_range[1]),
        fixed_test=None if fixed_test is None else np.asarray(fixed_test, dtype=bool),
        range_declared=range_declared,
    )


def rating_range_policy(declared, train_ratings: np.ndarray) -> tuple[float, float]:
    """The range predictions are clipped to: ``declared`` if given, else the training ratings' own.

        [lo, hi] = declared                          if declared is not None
                 = [min_k r_k, max_k r_k], k in train otherwise

    Never the validation or test ratings': their extremes would leak into every prediction. The
    training script and the tuning code both call this, so they clip alike. Raises ValueError if
    the range is not finite with hi > lo (a constant training set cannot be clipped to anything).
    """
    if declared is not None:
        lo, hi = (float(x) for x in declared)
        where = "declared rating range"
    else:
        train_ratings = np.asarray(train_ratings)
        if train_ratings.size == 0:
            raise ValueError("no training ratings to take the rating range from")
        lo, hi = float(train_ratings.min()), float(train_ratings.max())
        where = "training ratings' range"
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f"{where} [{lo:g}, {hi:g}] must be finite with high > low")
    return lo, hi


def _plain_ids(ids) -> np.ndarray:
    ids = np.asarray(ids)
    return ids.astype(str) if ids.dtype == object else ids


def _remap(ids: np.ndarray, universe, what: str) -> tuple[np.ndarray, np.ndarray]:
    if universe is None:
        return np.unique(ids, return_inverse=True)
    universe = np.unique(_plain_ids(universe))
    pos = np.searchsorted(universe, ids)
    pos_clipped = np.minimum(pos, len(universe) - 1)
    outside = universe[pos_clipped] != ids if len(universe) else np.ones(len(ids), bool)
    if np.any(outside):
        raise ValueError(f"{what} id {ids[np.argmax(outside)].item()!r} is not in the given {what}_universe")
    return universe, pos


def save_ratings(path: str | os.PathLike, data: RatingMatrix) -> None:
    """Write ``data`` to ``path`` (.npz) atomically."""
    arrays = {
        "format_version": np.array(FORMAT_VERSION),
        "user": data.user,
        "item": data.item,
        "rating": data.rating,
        "shape": np.array([data.n_users, data.n_items], dtype=np.int64),
        "user_ids": data.user_ids,
        "item_ids": data.item_ids,
        "rating_range": np.array([data.rating_min, data.rating_max], dtype=np.float64),
        "rating_range_declared": np.array(data.range_declared),
    }
    if data.fixed_test is not None:
        arrays["fixed_test"] = data.fixed_test
    for key, value in arrays.items():
        if np.asarray(value).dtype == object:
            raise TypeError(f"{key} has dtype object, which cannot be stored without pickle")
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def load_ratings(path: str | os.PathLike) -> RatingMatrix:
    """Read a file written by :func:`save_ratings` (never unpickles anything).

    Raises ValueError naming ``path`` if the file is not such a file: a missing array, an object
    array (which only pickle could load), or another format version.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in _REQUIRED_KEYS if k not in z.files]
            if missing:
                raise ValueError(f"{path}: not a prepared rating file, missing array(s) {', '.join(missing)}")
            version = int(z["format_version"])
            if version != FORMAT_VERSION:
                raise ValueError(f"{path}: prepared-data format {version}, this code reads {FORMAT_VERSION}")
            n_users, n_items = (int(x) for x in z["shape"])
            lo, hi = (float(x) for x in z["rating_range"])
            return RatingMatrix(
                user=z["user"],
                item=z["item"],
                rating=z["rating"],
                n_users=n_users,
                n_items=n_items,
                user_ids=z["user_ids"],
                item_ids=z["item_ids"],
                rating_min=lo,
                rating_max=hi,
                fixed_test=z["fixed_test"] if "fixed_test" in z.files else None,
                range_declared=bool(z["rating_range_declared"]) if "rating_range_declared" in z.files else True,
            )
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        if str(exc).startswith(str(path)):
            raise
        # e.g. "Object arrays cannot be loaded when allow_pickle=False", or a truncated file
        raise ValueError(f"{path}: refused to load: {type(exc).__name__}: {exc}") from None
