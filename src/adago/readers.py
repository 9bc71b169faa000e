"""Read the raw rating files of the data sets into a :class:`~adago.dataset.RatingMatrix`.

Three formats (``fmt``):

``"movielens"``
    GroupLens ``ratings.dat``: one rating per line, ``UserID::MovieID::Rating::Timestamp``, latin-1.
``"csv"``
    A delimited text file with a header row naming at least ``user``, ``item`` and ``rating``
    (case-insensitive; other columns such as ``timestamp`` are ignored). The delimiter is ``\\t`` for
    ``.tsv`` files, otherwise sniffed from the header among ``,``, ``\\t`` and ``;``. Every row has
    exactly as many fields as the header. Ids may be integers or strings: an id whose text is an
    integer is that integer (``007`` = ``7``), any other id is its text without surrounding
    whitespace, and a blank id is an error.
``"monti-mat"``
    The MATLAB v7.3 (= HDF5) files of Monti et al. (2017), e.g. Douban ``training_test_dataset.mat``:
    dense matrices ``M`` (ratings, 0 = unknown), ``Otraining`` and ``Otest`` (0/1 masks). Read with
    h5py only, never with a code-executing loader. HDF5 stores MATLAB matrices transposed, so every
    matrix is transposed back to MATLAB's users x items orientation. The result carries
    ``fixed_test`` = the ``Otest`` mask.

Text files are parsed with pandas' C engine in chunks of about a million rows (ML-1M in about a
second) and validated column-wise; ids are turned into integer codes chunk by chunk, so memory grows
with the number of ratings (16 bytes each) and of distinct ids, not with the length of the id text.
When something is wrong, the offending row's 1-based line number in the file is recovered from the
row index, so errors read like ``ratings.dat:17: rating 'x' is not a number``.

Duplicate (user, item) pairs are an error by default (a rating file with two different ratings for one
pair is ambiguous; silently keeping either would change the data); ``duplicates=`` chooses
``"keep-last"``, ``"keep-first"`` or ``"mean"`` instead, and the :class:`ReadReport` says how many
rows were dropped.
"""

from __future__ import annotations

import csv
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
    check_rating_path(path)
    if fmt == "monti-mat":
        return _read_monti_mat(path, rating_range)
    return _read_text(path, fmt, rating_range, duplicates)


def check_rating_path(path: str | os.PathLike) -> None:
    """Raise RatingFileError saying what ``path`` is if it is not a readable regular file (missing,
    a broken link, a directory, a device such as /dev/null, a pipe, unreadable)."""
    path = Path(path)
    if not path.exists():
        what = "no such file" + (f" (a broken symbolic link to {os.readlink(path)})" if path.is_symlink() else "")
    elif path.is_dir():
        what = "is a directory, not a rating file"
    elif not path.is_file():
        what = "is not a regular file (a device, pipe or socket), not a rating file"
    elif not os.access(path, os.R_OK):
        what = "is not readable (permission denied)"
    else:
        return
    raise RatingFileError(f"{path}: {what}")


# --------------------------------------------------------------------------------------------------
# text formats


# Rows parsed at a time. pandas turns every text field into a Python string (about 90 bytes for a
# 32-character id); chunking bounds that to one chunk, so the memory of a read is the compact result
# (4 + 4 + 8 bytes per rating) plus a constant, whatever the id type.
_CHUNK_ROWS = 1 << 20
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_INT64_MAX = np.iinfo(np.int64).max


def _read_text(path: Path, fmt: str, rating_range, duplicates: str) -> tuple[RatingMatrix, ReadReport]:
    source = "declared"
    if rating_range is None and DEFAULT_RATING_RANGE[fmt] is not None:
        rating_range, source = DEFAULT_RATING_RANGE[fmt], "format default"
    integer = fmt == "movielens"
    if integer:
        chunks, first_line = _movielens_chunks(path), 1
    else:
        chunks, first_line = _csv_chunks(path), 2  # line 1 is the header
    users, items = _IdCodes("user id", integer), _IdCodes("item id", integer)
    parts: dict[str, list[np.ndarray]] = {"user": [], "item": [], "rating": []}
    blank: list[np.ndarray] = []
    for df, empty in chunks:
        # Row index i of df is line first_line + i of the file: blank lines are kept as all-NaN rows
        # (so the index counts them) and dropped here, remembered for the line numbers of later errors.
        if empty.any():
            blank.append(df.index.to_numpy()[empty])
            df = df[~empty]
        if df.empty:
            continue
        lines = df.index.to_numpy() + first_line
        parts["user"].append(users.codes(path, df["user"], lines))
        parts["item"].append(items.codes(path, df["item"], lines))
        ratings = _rating_column(path, df["rating"], lines)
        if rating_range is not None:
            _check_in_range(path, ratings, lines, rating_range, source)
        if integer:  # unused, but a non-integer here means the columns are not what we think
            _check_integers(path, df["timestamp"], lines, "timestamp")
        parts["rating"].append(ratings)
    if not parts["rating"]:
        raise RatingFileError(f"{path}: empty file, no ratings")
    u, i, r = (_concatenate(parts.pop(k)) for k in ("user", "item", "rating"))
    if rating_range is None:
        rating_range, source = (float(r.min()), float(r.max())), "data"
    line_of = _LineNumbers(blank, first_line)
    user_ids, user_rank = users.sorted_ids()
    item_ids, item_rank = items.sorted_ids()
    # codes in sorted order of the original ids, as from_triples; in place ('clip' avoids the
    # buffer numpy would allocate for mode='raise'): no second copy of the code arrays
    np.take(user_rank, u, out=u, mode="clip")
    np.take(item_rank, i, out=i, mode="clip")
    rows = len(r)
    u, i, r, dropped = _apply_duplicates(path, u, i, r, user_ids, item_ids, line_of, duplicates)
    data = RatingMatrix(user=u, item=i, rating=r, n_users=len(user_ids), n_items=len(item_ids),
                        user_ids=user_ids, item_ids=item_ids, rating_min=float(rating_range[0]),
                        rating_max=float(rating_range[1]), range_declared=source != "data")
    report = ReadReport(str(path), fmt, rows, data.n_ratings, rating_range, source, duplicates, dropped)
    return data, report


def _concatenate(arrays: list[np.ndarray]) -> np.ndarray:
    out = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
    arrays.clear()  # the chunks are garbage as soon as the result exists
    return out


def _movielens_chunks(path: Path):
    """Parse ``u::i::r::t`` lines. Splitting on single ':' keeps pandas' fast C engine: the separator
    '::' becomes two separators around an empty field, so a good line has 7 fields with 1, 3, 5 empty."""
    names = ["user", "_a", "item", "_b", "rating", "_c", "timestamp"]
    _check_first_row(path, 1, ":", 7, "latin-1", _movielens_error)
    for df in _pandas_chunks(path, _movielens_error, sep=":", header=None, names=names, encoding="latin-1"):
        present = df.notna()
        all_missing = ~present.any(axis=1)
        bad_sep = present[["_a", "_b", "_c"]].any(axis=1)
        too_few = present.any(axis=1) & ~present[["user", "item", "rating", "timestamp"]].all(axis=1)
        bad = (bad_sep | too_few) & ~all_missing
        if bad.any():
            line = int(df.index[np.flatnonzero(bad.to_numpy())[0]]) + 1
            raise _movielens_error(path, line)
        yield df[["user", "item", "rating", "timestamp"]], all_missing.to_numpy()


def _movielens_error(path: Path, line: int, *_) -> RatingFileError:
    return RatingFileError(
        f"{path}:{line}: expected 4 fields 'UserID::MovieID::Rating::Timestamp', "
        f"got {_raw_line(path, line, 'latin-1')!r}"
    )


def _csv_chunks(path: Path):
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
    n = len(columns)

    def field_count_error(path, line, got, text):
        return RatingFileError(f"{path}:{line}: expected {n} fields ({sep!r}-separated), got {got}: {text!r}")

    _check_first_row(path, 2, sep, n, "utf-8-sig", field_count_error)
    options = dict(sep=sep, header=0, names=columns, encoding="utf-8-sig")
    dtype = _text_ids_as_categories(path, options)
    for df in _pandas_chunks(path, field_count_error, dtype=dtype, **options):
        # pandas fills missing trailing fields with NaN instead of failing: count them ourselves.
        present = df.notna()
        some = present.any(axis=1)
        short = some & ~present.all(axis=1)
        if short.any():
            line = int(df.index[np.flatnonzero(short.to_numpy())[0]]) + 2
            text = _raw_line(path, line, "utf-8")
            got = _field_count(text, sep)
            if got != n:
                raise field_count_error(path, line, got, text)
            # right field count but an empty value: reported by the column checks
        yield df, ~some.to_numpy()


def _text_ids_as_categories(path: Path, options: dict) -> dict:
    """``dtype`` for read_csv: id columns whose first rows are not integers are parsed as categories.

    pandas then hashes the id text in C while parsing and hands over codes and the distinct ids,
    instead of one Python string per row (2-3x faster and far smaller for 32-character ids; slower
    for integer ids, which are therefore left to pandas' integer parser).
    """
    try:
        head = pd.read_csv(path, engine="c", nrows=1000, keep_default_na=False, na_values=[""], **options)
    except (ValueError, UnicodeDecodeError):  # reported with file and line by the real read
        return {}
    return {c: "category" for c in ("user", "item") if not pd.api.types.is_integer_dtype(head[c])}


def _check_first_row(path: Path, line: int, sep: str, expected: int, encoding: str, error) -> None:
    """pandas reads a first data row with more fields than the header as "the first column is the
    index" and shifts every column of the file by one (a rating column of timestamps). Later rows
    with too many fields are pandas' own "Expected n fields" error; this one we check before parsing."""
    text = _raw_line(path, line, encoding)
    if text.strip() and _field_count(text, sep) > expected:
        raise error(path, line, _field_count(text, sep), text)


def _field_count(text: str, sep: str) -> int:
    if not text.strip():
        return 0
    return len(next(csv.reader([text], delimiter=sep))) if sep != ":" else text.count(":") + 1


def _pandas_chunks(path: Path, error, **kwargs):
    """pandas.read_csv with the C engine, in chunks; its "too many fields" error is turned into ours."""
    try:
        # Only an empty field is missing: 'NA' or 'nan' text is kept as text, so that a user called 'NA'
        # stays a user and a 'nan' rating is reported as such instead of as a missing field.
        with pd.read_csv(path, engine="c", skip_blank_lines=False, keep_default_na=False, na_values=[""],
                         chunksize=_CHUNK_ROWS, **kwargs) as reader:
            yield from reader
    except pd.errors.EmptyDataError:
        raise RatingFileError(f"{path}: empty file, no ratings") from None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            line = int(m.group(2))
            raise error(path, line, int(m.group(3)), _raw_line(path, line, kwargs["encoding"])) from None
        raise RatingFileError(f"{path}: cannot parse: {exc}".strip()) from None
    except UnicodeDecodeError as exc:
        raise RatingFileError(f"{path}: not valid {kwargs.get('encoding')} text: {exc}") from None


class _IdCodes:
    """Ids of one column, factorised chunk by chunk: ``codes`` maps a chunk's ids to integer codes
    (first-seen order), ``sorted_ids`` gives the distinct ids and each code's rank among them.

    An id whose text is an integer (within int64) is that integer, so ``007`` and ``7`` are one
    user, in every chunk alike; any other id is its text without surrounding whitespace. If every id
    is an integer the ids are int64, otherwise all are text (never an object array, which could not
    be saved without pickle). ``integer`` demands integers (GroupLens ids, timestamps).
    """

    def __init__(self, label: str, integer: bool):
        self.label, self.integer = label, integer
        self.known: dict = {}  # id -> code
        self.seen: dict = {}  # value as parsed (text, int or float) -> code

    def codes(self, path: Path, col: pd.Series, lines: np.ndarray) -> np.ndarray:
        if isinstance(col.dtype, pd.CategoricalDtype):  # factorised by the parser already
            local, uniques = col.cat.codes.to_numpy(), col.cat.categories
        else:
            local, uniques = pd.factorize(col, use_na_sentinel=True)
        if (local < 0).any():
            raise RatingFileError(f"{path}:{lines[np.argmax(local < 0)]}: missing {self.label}")
        mapping = np.empty(len(uniques), dtype=np.int32)
        seen, known = self.seen, self.known
        for k, raw in enumerate(np.asarray(uniques).tolist()):  # distinct values of the chunk only
            code = seen.get(raw)
            if code is None:
                canonical = self._canonical(raw, lambda k=k: f"{path}:{lines[np.argmax(local == k)]}")
                code = seen[raw] = known.setdefault(canonical, len(known))
            mapping[k] = code
        return mapping[local]

    def _canonical(self, raw, where):
        if isinstance(raw, int) and not isinstance(raw, bool) and abs(raw) <= _INT64_MAX:
            return raw
        if isinstance(raw, float):
            if raw == round(raw) and abs(raw) < 2**53:
                return int(raw)
            text = f"{raw:g}"
        else:
            text = str(raw).strip()
            if _INTEGER_TEXT.fullmatch(text) and abs(int(text)) <= _INT64_MAX:
                return int(text)
            if not text:
                raise RatingFileError(f"{where()}: {self.label} is blank (only whitespace)")
        if self.integer:
            raise RatingFileError(f"{where()}: {self.label} {text!r} is not an integer")
        return text

    def sorted_ids(self) -> tuple[np.ndarray, np.ndarray]:
        """(distinct ids in sorted order, rank of each code), so ``ids[rank[code]]`` is the code's id."""
        keys = list(self.known)
        if all(type(k) is int for k in keys):
            ids = np.array(keys, dtype=np.int64)
        else:  # text ids: the integer ones are written as integers
            ids = np.array([str(k) for k in keys], dtype=str)
        order = np.argsort(ids, kind="stable")
        rank = np.empty(len(ids), dtype=np.int32)
        rank[order] = np.arange(len(ids), dtype=np.int32)
        return ids[order], rank


def _check_integers(path: Path, col: pd.Series, lines: np.ndarray, label: str) -> None:
    if pd.api.types.is_integer_dtype(col):
        return
    values = pd.to_numeric(col.astype(str).str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    bad = ~(values == np.round(values))  # NaN (not a number) included
    if bad.any():
        i = int(np.argmax(bad))
        raise RatingFileError(f"{path}:{lines[i]}: {label} {str(col.iloc[i]).strip()!r} is not an integer")


class _LineNumbers:
    """File line of the k-th kept row, given the row indices of the blank lines that were dropped."""

    def __init__(self, blank: list[np.ndarray], first_line: int):
        rows = np.concatenate(blank) if blank else np.empty(0, dtype=np.int64)
        # a blank line at row b comes after (b - number of earlier blank rows) kept rows
        self.after = rows - np.arange(len(rows))
        self.first_line = first_line

    def __call__(self, k: int) -> int:
        return int(k) + int(np.searchsorted(self.after, k, side="right")) + self.first_line


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


def _apply_duplicates(path: Path, users, items, ratings, user_ids, item_ids, line_of, policy: str):
    """Resolve repeated (user, item) pairs by ``policy``; returns (users, items, ratings, n_dropped).

    Works on the integer codes: one int64 key per rating, sorted in place when there is no duplicate
    (the usual case), so the check costs 8 bytes per rating.
    """
    n_items = max(len(item_ids), 1)
    key = users.astype(np.int64) * n_items + items
    key.sort()
    if not (key[1:] == key[:-1]).any():
        return users, items, ratings, 0
    key = users.astype(np.int64) * n_items + items
    order = np.argsort(key, kind="stable")  # equal keys stay in file order
    same_as_previous = key[order[1:]] == key[order[:-1]]
    del key
    first = np.concatenate([[True], ~same_as_previous])  # first occurrence of each pair, in sorted order
    last = np.concatenate([~same_as_previous, [True]])
    n_dropped = int(len(ratings) - first.sum())
    if policy == "error":
        dup = np.zeros(len(ratings), dtype=bool)
        dup[order[~first]] = True
        later = int(np.argmax(dup))  # the first row, in file order, that repeats an earlier pair
        group = np.cumsum(first) - 1
        where = np.empty(len(ratings), dtype=np.int64)
        where[order] = group
        earliest = int(order[np.flatnonzero(first)[where[later]]])
        raise RatingFileError(
            f"{path}:{line_of(later)}: duplicate rating for user {_show(user_ids[users[later]])}, "
            f"item {_show(item_ids[items[later]])} (first at line {line_of(earliest)}); "
            f"{n_dropped} duplicate row(s) in total. Choose a duplicates policy: keep-last, keep-first or mean"
        )
    if policy in ("keep-first", "keep-last"):
        keep = np.zeros(len(ratings), dtype=bool)
        keep[order[first if policy == "keep-first" else last]] = True
        return users[keep], items[keep], ratings[keep], n_dropped
    # mean: one entry per pair, at the pair's first occurrence
    group = np.cumsum(first) - 1
    sums = np.bincount(group, weights=ratings[order])
    counts = np.bincount(group)
    at = order[first]  # row of each pair's first occurrence
    by_row = np.argsort(at)
    at = at[by_row]
    return users[at], items[at], (sums / counts)[by_row], n_dropped


def _show(value) -> str:
    """An id for a message: ``151`` or ``'alice'``, never ``np.int64(151)``."""
    value = value.item() if isinstance(value, np.generic) else value
    return repr(value) if isinstance(value, str) else str(value)


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
