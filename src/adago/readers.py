"""Read the raw rating files of the data sets into a :class:`~adago.dataset.RatingMatrix`.

Three formats (``fmt``):

``"movielens"``
    GroupLens ``ratings.dat``: one rating per line, ``UserID::MovieID::Rating::Timestamp``, latin-1.
``"csv"``
    A delimited text file with a header row naming at least ``user``, ``item`` and ``rating``
    (case-insensitive; other columns such as ``timestamp`` are ignored). The delimiter is ``\\t`` for
    ``.tsv`` files, otherwise sniffed from the header among ``,``, ``\\t`` and ``;``. Ids may be
    integers or strings.
``"monti-mat"``
    The MATLAB v7.3 (= HDF5) files of Monti et al. (2017), e.g. Douban ``training_test_dataset.mat``:
    dense matrices ``M`` (ratings, 0 = unknown), ``Otraining`` and ``Otest`` (0/1 masks). Read with
    h5py only, never with a code-executing loader. HDF5 stores MATLAB matrices transposed, so every
    matrix is transposed back to MATLAB's users x items orientation. The result carries
    ``fixed_test`` = the ``Otest`` mask.

Text files are parsed in one vectorised pass with pandas' C engine (ML-1M in about a second) and
validated column-wise; when something is wrong, the offending row's 1-based line number in the file is
recovered from the row index, so errors read like ``ratings.dat:17: rating 'x' is not a number``.

Duplicate (user, item) pairs are an error by default (a rating file with two different ratings for one
pair is ambiguous; silently keeping either would change the data); ``duplicates=`` chooses
``"keep-last"``, ``"keep-first"`` or ``"mean"`` instead, and the :class:`ReadReport` says how many
rows were dropped.
"""

from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from adago.dataset import RatingMatrix, from_triples

log = logging.getLogger(__name__)

FORMATS = ("csv", "movielens", "monti-mat")
DUPLICATE_POLICIES = ("error", "keep-last", "keep-first", "mean")
DEFAULT_RATING_RANGE = {"movielens": (1.0, 5.0), "monti-mat": (1.0, 5.0), "csv": None}
_CSV_DELIMITERS = (",", "\t", ";")
_REQUIRED_COLUMNS = ("user", "item", "rating")


class RatingFileError(ValueError):
    """A rating file cannot be read; the message names the file and, where it applies, the line."""


@dataclass(frozen=True)
class ReadReport:
    """What :func:`read_ratings_report` did, for the workflow's log."""

    path: str
    fmt: str
    rows: int  # data rows/entries read before removing duplicates
    ratings: int  # entries in the returned RatingMatrix
    rating_range: tuple[float, float]
    rating_range_source: str  # "declared", "format default" or "data"
    duplicates: str  # the policy
    duplicates_dropped: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One log line, e.g. ``ratings.csv (csv): 1000 ratings; duplicates: kept last, 12 dropped``."""
        verb = {"error": "none allowed", "keep-last": "kept last", "keep-first": "kept first", "mean": "averaged"}
        dup = verb[self.duplicates]
        if self.duplicates != "error":
            dup += f", {self.duplicates_dropped} dropped"
        lo, hi = self.rating_range
        text = (
            f"{self.path} ({self.fmt}): {self.ratings} ratings from {self.rows} rows; "
            f"rating range [{lo:g}, {hi:g}] ({self.rating_range_source}); duplicates: {dup}"
        )
        return "; ".join([text, *self.notes])


def read_ratings(
    path: str | os.PathLike,
    fmt: str,
    *,
    rating_range: tuple[float, float] | None = None,
    duplicates: str = "error",
) -> RatingMatrix:
    """Read a rating file; see :func:`read_ratings_report` (this logs the report at INFO)."""
    data, report = read_ratings_report(path, fmt, rating_range=rating_range, duplicates=duplicates)
    log.info(report.summary())
    return data


def read_ratings_report(
    path: str | os.PathLike,
    fmt: str,
    *,
    rating_range: tuple[float, float] | None = None,
    duplicates: str = "error",
) -> tuple[RatingMatrix, ReadReport]:
    """Read ``path`` in format ``fmt`` into a RatingMatrix (ids remapped by ``from_triples``).

    rating_range : (min, max) every rating must lie in; default (1, 5) for movielens and monti-mat,
        the data's own min/max for csv.
    duplicates : "error" | "keep-last" | "keep-first" | "mean", for repeated (user, item) pairs.
    Raises RatingFileError (a ValueError) naming the file and line for bad input; ValueError for a bad
    ``fmt``/``duplicates``/``rating_range`` argument.
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    if duplicates not in DUPLICATE_POLICIES:
        raise ValueError(f"duplicates must be one of {DUPLICATE_POLICIES}, got {duplicates!r}")
    if rating_range is not None:
        rating_range = _check_range_argument(rating_range)
    if not path.is_file():
        raise RatingFileError(f"{path}: no such file")
    if fmt == "monti-mat":
        return _read_monti_mat(path, rating_range)
    return _read_text(path, fmt, rating_range, duplicates)


# --------------------------------------------------------------------------------------------------
# text formats


def _read_text(path: Path, fmt: str, rating_range, duplicates: str) -> tuple[RatingMatrix, ReadReport]:
    if fmt == "movielens":
        df, first_line = _parse_movielens(path), 1
    else:
        df, first_line = _parse_csv(path), 2  # line 1 is the header
    # Row index i of df is line first_line + i of the file (blank lines are kept as all-NaN rows and
    # dropped here, so the index still counts them).
    df = df.dropna(how="all")
    if df.empty:
        raise RatingFileError(f"{path}: empty file, no ratings")
    lines = df.index.to_numpy() + first_line
    users = _id_column(path, df["user"], lines, "user", integer=fmt == "movielens")
    items = _id_column(path, df["item"], lines, "item", integer=fmt == "movielens")
    ratings = _rating_column(path, df["rating"], lines)
    if fmt == "movielens":  # unused, but a non-integer here means the columns are not what we think
        _id_column(path, df["timestamp"], lines, "timestamp", integer=True)

    source = "declared"
    if rating_range is None and DEFAULT_RATING_RANGE[fmt] is not None:
        rating_range, source = DEFAULT_RATING_RANGE[fmt], "format default"
    elif rating_range is None:
        rating_range, source = (float(ratings.min()), float(ratings.max())), "data"
    _check_in_range(path, ratings, lines, rating_range, source)

    rows = len(ratings)
    users, items, ratings, dropped = _apply_duplicates(path, users, items, ratings, lines, duplicates)
    data = from_triples(users, items, ratings, rating_range=rating_range)
    report = ReadReport(str(path), fmt, rows, data.n_ratings, rating_range, source, duplicates, dropped)
    return data, report


def _parse_movielens(path: Path) -> pd.DataFrame:
    """Parse ``u::i::r::t`` lines. Splitting on single ':' keeps pandas' fast C engine: the separator
    '::' becomes two separators around an empty field, so a good line has 7 fields with 1, 3, 5 empty."""
    names = ["user", "_a", "item", "_b", "rating", "_c", "timestamp"]
    df = _pandas_read(path, sep=":", header=None, names=names, encoding="latin-1", expected=7)
    present = df.notna()
    all_missing = ~present.any(axis=1)
    bad_sep = present[["_a", "_b", "_c"]].any(axis=1)
    too_few = present.any(axis=1) & ~present[["user", "item", "rating", "timestamp"]].all(axis=1)
    bad = (bad_sep | too_few) & ~all_missing
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise RatingFileError(
            f"{path}:{row + 1}: expected 4 fields 'UserID::MovieID::Rating::Timestamp', "
            f"got {_raw_line(path, row + 1, 'latin-1')!r}"
        )
    return df[["user", "item", "rating", "timestamp"]]


def _parse_csv(path: Path) -> pd.DataFrame:
    header = _first_line(path)
    if not header.strip():
        raise RatingFileError(f"{path}: empty file, no ratings")
    sep = "\t" if path.suffix.lower() == ".tsv" else _sniff_delimiter(header)
    columns = [c.strip().strip('"').lower() for c in header.rstrip("\r\n").split(sep)]
    missing = [c for c in _REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise RatingFileError(
            f"{path}:1: header {header.strip()!r} lacks column(s) {', '.join(missing)} "
            f"(a header row naming user, item, rating is required)"
        )
    if len(set(columns)) != len(columns):
        raise RatingFileError(f"{path}:1: duplicate column names in header {header.strip()!r}")
    df = _pandas_read(path, sep=sep, header=0, names=columns, encoding="utf-8-sig", expected=len(columns))
    # pandas fills missing trailing fields with NaN instead of failing: count them ourselves.
    present = df.notna()
    short = present.any(axis=1) & ~present.all(axis=1)
    if short.any():
        row = int(np.flatnonzero(short.to_numpy())[0])
        line = _raw_line(path, row + 2, "utf-8")
        n_fields = len(line.split(sep)) if line.strip() else 0
        if n_fields != len(columns):
            raise RatingFileError(
                f"{path}:{row + 2}: expected {len(columns)} fields ({sep!r}-separated), got {n_fields}: {line!r}"
            )
        # right field count but an empty value: reported by the column checks below
    return df


def _pandas_read(path: Path, *, expected: int, **kwargs) -> pd.DataFrame:
    """pandas.read_csv with the C engine; its "too many fields" error is turned into ours."""
    try:
        # Only an empty field is missing: 'NA' or 'nan' text is kept as text, so that a user called 'NA'
        # stays a user and a 'nan' rating is reported as such instead of as a missing field.
        return pd.read_csv(
            path, engine="c", skip_blank_lines=False, keep_default_na=False, na_values=[""], **kwargs
        )
    except pd.errors.EmptyDataError:
        raise RatingFileError(f"{path}: empty file, no ratings") from None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m and kwargs.get("sep") == ":":  # ':'-field counts would confuse: show the line instead
            line = int(m.group(2))
            raw = _raw_line(path, line, "latin-1")
            raise RatingFileError(
                f"{path}:{line}: expected 4 fields 'UserID::MovieID::Rating::Timestamp', got {raw!r}"
            ) from None
        if m:
            raise RatingFileError(f"{path}:{m.group(2)}: expected {expected} fields, got {m.group(3)}") from None
        raise RatingFileError(f"{path}: cannot parse: {exc}".strip()) from None
    except UnicodeDecodeError as exc:
        raise RatingFileError(f"{path}: not valid {kwargs.get('encoding')} text: {exc}") from None


def _id_column(path: Path, col: pd.Series, lines: np.ndarray, name: str, *, integer: bool) -> np.ndarray:
    """Ids as int64 when every id is an integer, otherwise as str (never an object array, which
    could not be saved without pickle). ``integer`` demands integers (GroupLens ids, timestamps)."""
    name = name if name == "timestamp" else f"{name} id"
    missing = col.isna().to_numpy()
    if missing.any():
        raise RatingFileError(f"{path}:{lines[np.argmax(missing)]}: missing {name}")
    if pd.api.types.is_integer_dtype(col):
        return col.to_numpy(dtype=np.int64)
    if pd.api.types.is_float_dtype(col):
        values = col.to_numpy(dtype=np.float64)
        frac = values != np.round(values)
        if not frac.any():
            return values.astype(np.int64)
        if integer:
            raise RatingFileError(f"{path}:{lines[np.argmax(frac)]}: {name} {values[frac][0]:g} is not an integer")
        return col.astype(str).to_numpy(dtype=str)
    text = col.astype(str).str.strip()
    if integer:
        as_int = pd.to_numeric(text, errors="coerce")
        bad = (as_int.isna() | (as_int != np.round(as_int))).to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise RatingFileError(f"{path}:{lines[i]}: {name} {text.iloc[i]!r} is not an integer")
        return as_int.to_numpy(dtype=np.int64)
    return text.to_numpy(dtype=str)


def _rating_column(path: Path, col: pd.Series, lines: np.ndarray) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(col):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    else:  # some entry is not a number: find the first one for the message
        numeric = pd.to_numeric(col, errors="coerce")
        bad = (numeric.isna() & col.notna()).to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raw = str(col.iloc[i]).strip()
            # 'nan'/'inf' spelled out are numbers to pandas but still not ratings
            if raw.lower().lstrip("+-") not in ("nan", "inf", "infinity"):
                raise RatingFileError(f"{path}:{lines[i]}: rating {raw!r} is not a number")
        values = pd.to_numeric(col.astype(str).str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        # pandas reads an empty field and the text 'nan' alike as NaN; both are errors
        what = "missing or NaN" if np.isnan(values[i]) else f"{values[i]:g} is not finite"
        raise RatingFileError(f"{path}:{lines[i]}: rating {what}")
    return values


def _check_range_argument(rating_range) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in rating_range)
    except (TypeError, ValueError):
        raise ValueError(f"rating_range must be (min, max), got {rating_range!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ValueError(f"rating_range must be finite with min <= max, got {rating_range!r}")
    return lo, hi


def _check_in_range(path: Path, ratings: np.ndarray, lines, rating_range, source: str) -> None:
    lo, hi = rating_range
    bad = (ratings < lo) | (ratings > hi)
    if bad.any():
        i = int(np.argmax(bad))
        where = f"{path}:{lines[i]}" if lines is not None else str(path)
        raise RatingFileError(f"{where}: rating {ratings[i]:g} outside the {source} range [{lo:g}, {hi:g}]")


def _apply_duplicates(path: Path, users, items, ratings, lines, policy: str):
    """Resolve repeated (user, item) pairs by ``policy``; returns (users, items, ratings, n_dropped)."""
    pairs = pd.DataFrame({"u": users, "i": items})
    dup = pairs.duplicated(keep="first").to_numpy()
    if not dup.any():
        return users, items, ratings, 0
    n_dropped = int(dup.sum())
    if policy == "error":
        later = int(np.argmax(dup))
        same = np.flatnonzero((users == users[later]) & (items == items[later]))
        raise RatingFileError(
            f"{path}:{lines[later]}: duplicate rating for user {users[later]!r}, item {items[later]!r} "
            f"(first at line {lines[same[0]]}); {n_dropped} duplicate row(s) in total. "
            f"Choose a duplicates policy: keep-last, keep-first or mean"
        )
    if policy in ("keep-first", "keep-last"):
        keep = ~pairs.duplicated(keep="first" if policy == "keep-first" else "last").to_numpy()
        return users[keep], items[keep], ratings[keep], n_dropped
    # mean: one entry per pair, at the pair's first occurrence
    pairs["r"] = ratings
    mean = pairs.groupby(["u", "i"], sort=False)["r"].mean()
    u = mean.index.get_level_values(0).to_numpy()
    i = mean.index.get_level_values(1).to_numpy()
    return u.astype(users.dtype), i.astype(items.dtype), mean.to_numpy(dtype=np.float64), n_dropped


def _first_line(path: Path) -> str:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return fh.readline()
    except UnicodeDecodeError as exc:
        raise RatingFileError(f"{path}: not valid utf-8 text: {exc}") from None


def _sniff_delimiter(header: str) -> str:
    counts = {sep: header.count(sep) for sep in _CSV_DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _raw_line(path: Path, lineno: int, encoding: str) -> str:
    """Line ``lineno`` (1-based) of ``path`` for an error message; only called on failure."""
    with open(path, encoding=encoding, errors="replace") as fh:
        for n, line in enumerate(fh, start=1):
            if n == lineno:
                return line.rstrip("\r\n")
    return ""


# --------------------------------------------------------------------------------------------------
# Monti et al. MATLAB v7.3 / HDF5


def _read_monti_mat(path: Path, rating_range) -> tuple[RatingMatrix, ReadReport]:
    import h5py  # imported here so the text readers do not need it

    if not h5py.is_hdf5(path):
        raise RatingFileError(
            f"{path}: not an HDF5 file, so not a MATLAB v7.3 .mat "
            f"(older .mat versions are not read: their loaders are not restricted to plain arrays)"
        )
    try:
        with h5py.File(path, "r") as f:
            M = _mat_matrix(path, f, "M")
            train = _mat_matrix(path, f, "Otraining")
            test = _mat_matrix(path, f, "Otest")
            ignored = sorted(k for k in f.keys() if k not in ("M", "Otraining", "Otest") and not k.startswith("#"))
            _check_orientation(path, f, M.shape)
    except OSError as exc:  # truncated or corrupt HDF5
        raise RatingFileError(f"{path}: cannot read HDF5 file: {exc}") from None

    if not (M.shape == train.shape == test.shape):
        raise RatingFileError(
            f"{path}: shapes differ: M {M.shape}, Otraining {train.shape}, Otest {test.shape}"
        )
    for name, mask in (("Otraining", train), ("Otest", test)):
        if not np.isin(mask, (0, 1)).all():
            raise RatingFileError(f"{path}: {name} is not a 0/1 mask")
    train, test = train.astype(bool), test.astype(bool)
    overlap = int((train & test).sum())
    if overlap:
        raise RatingFileError(f"{path}: Otraining and Otest overlap in {overlap} entries")

    known = train | test
    users, items = np.nonzero(known)  # row-major: entries sorted by (user, item)
    ratings = M[users, items]
    source = "declared"
    if rating_range is None:
        rating_range, source = DEFAULT_RATING_RANGE["monti-mat"], "format default"
    if not np.isfinite(ratings).all():
        raise RatingFileError(f"{path}: M has non-finite values at known entries")
    lo, hi = rating_range
    bad = (ratings < lo) | (ratings > hi)
    if bad.any():
        k = int(np.argmax(bad))
        raise RatingFileError(
            f"{path}: M[{users[k]}, {items[k]}] = {ratings[k]:g} (a masked entry) outside the {source} "
            f"range [{lo:g}, {hi:g}]"
        )
    if len(ratings) == 0:
        raise RatingFileError(f"{path}: no ratings (masks are empty)")
    unmasked = int(((M != 0) & ~known).sum())
    n_users, n_items = M.shape
    # Keep the file's full id range (0-based row/column numbers): users or items without ratings still
    # exist in the data set (and in its graphs), and Table 2 counts them.
    data = from_triples(
        users, items, ratings, rating_range=rating_range, fixed_test=test[users, items],
        user_universe=np.arange(n_users), item_universe=np.arange(n_items),
    )
    notes = [f"fixed split: {int(train.sum())} training + {int(test.sum())} test"]
    if ignored:
        notes.append(f"ignored datasets: {', '.join(ignored)}")
    if unmasked:
        notes.append(f"{unmasked} nonzero entries of M outside both masks ignored")
    report = ReadReport(str(path), "monti-mat", len(ratings), data.n_ratings, rating_range, source, "error", 0, notes)
    return data, report


def _mat_matrix(path: Path, f, name: str) -> np.ndarray:
    """A dense 2-D MATLAB matrix, transposed back from HDF5's storage order."""
    import h5py

    link = f.get(name, getlink=True)
    if link is None:
        raise RatingFileError(f"{path}: no dataset {name!r} (found: {', '.join(sorted(f.keys()))})")
    if not isinstance(link, h5py.HardLink):
        # an external or soft link would make us read some other file or object
        raise RatingFileError(f"{path}: {name!r} is a link, not a dataset stored in the file")
    obj = f[name]
    if not isinstance(obj, h5py.Dataset):
        raise RatingFileError(f"{path}: {name!r} is not a dense matrix (sparse MATLAB matrices are not supported)")
    if obj.ndim != 2 or obj.dtype.kind not in "fiub":
        raise RatingFileError(f"{path}: {name!r} is not a 2-D numeric matrix (shape {obj.shape}, dtype {obj.dtype})")
    return np.asarray(obj[()], dtype=np.float64).T


def _check_orientation(path: Path, f, shape: tuple[int, int]) -> None:
    """Monti's files carry user/item graphs; their sizes confirm which axis is users."""
    import h5py

    for name, axis in (("W_users", 0), ("W_movies", 1), ("W_items", 1)):
        if not isinstance(f.get(name, getlink=True), h5py.HardLink) or not isinstance(f[name], h5py.Dataset):
            continue  # absent, a link, or a group: not ours to read
        n = f[name].shape[0]
        if f[name].shape == (n, n) and n != shape[axis]:
            raise RatingFileError(
                f"{path}: {name} is {n}x{n} but M has {shape[axis]} "
                f"{'users (rows)' if axis == 0 else 'items (columns)'}: wrong orientation?"
            )
