"""Memory the prepare and split steps need, estimated from their input file before they run.

The workflow declares these as ``mem_mb`` (workflow/rules/common.smk), so a scheduler reserves what a
step will use and a large file does not get the same fixed amount as a small one. The constants are
measured peaks (``ru_maxrss`` of the step in a fresh process, bench/prepare_scale.py) with a
margin, and ``tests/test_resources.py`` checks on generated files that the peak stays below the
estimate:

* text (csv, movielens): the reader keeps 16 bytes per rating (two int32 codes, one float64) plus
  transients while concatenating and checking duplicates: 39-40 bytes per rating measured (25M
  ratings with integer ids: 1,077 MB; 5M with 32-character ids: 299 MB). The number of ratings is
  the file size over the mean line length in 16 windows of 16 KiB spread over the file. Distinct ids
  cost about 300 bytes plus 5 per character each (two dict entries, the text, the sorted id array);
  one distinct user or item per 20 ratings is assumed (ML-25M has one per 110, Douban one per 23):
  data with more distinct ids per rating needs a larger ``mem_mb`` (``--set-resources``).
* monti-mat: the dense users x items matrices, read from the HDF5 header (Douban: 3000 x 3000).
* split: the prepared ratings (16 bytes each) and the index arrays: 36 bytes per rating measured.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

BASE_MB = 200  # Python, NumPy, pandas and one parsed chunk of 2^20 rows
TEXT_BYTES_PER_RATING = 48
SPLIT_BYTES_PER_RATING = 44
DISTINCT_IDS_PER_RATING = 1 / 20
MAT_DENSE_COPIES = 5  # M, Otraining, Otest as float64, and masks/temporaries of the same size
MARGIN = 1.25
_WINDOWS, _WINDOW = 16, 16 * 2**10


def prepare_mem_mb(path: str | os.PathLike, fmt: str) -> int:
    """Megabytes the prepare step needs for the rating file ``path`` of format ``fmt``.

    ``BASE_MB`` if the file does not exist yet (Snakemake asks again once it does).
    """
    path = Path(path)
    if not path.is_file():
        return BASE_MB
    if fmt == "monti-mat":
        need = _dense_matrix_bytes(path)
    else:
        ratings, id_length = _text_rows(path)
        per_id = 300 + 5 * id_length
        need = ratings * (TEXT_BYTES_PER_RATING + DISTINCT_IDS_PER_RATING * per_id)
    return int(MARGIN * (BASE_MB + need / 2**20))


def split_mem_mb(prepared: str | os.PathLike) -> int:
    """Megabytes the split step needs for the prepared ``.npz`` (its rating count is in the zip header)."""
    try:
        with zipfile.ZipFile(prepared) as z:
            ratings = max(z.getinfo("rating.npy").file_size - 128, 0) / 8  # float64 after the .npy header
    except (OSError, KeyError, zipfile.BadZipFile):
        return BASE_MB
    return int(MARGIN * (BASE_MB + ratings * SPLIT_BYTES_PER_RATING / 2**20))


def _text_rows(path: Path) -> tuple[float, int]:
    """(estimated number of lines, longest id field seen) from 16 windows spread over ``path``."""
    size = path.stat().st_size
    lengths, id_length = [], 1
    with open(path, "rb") as fh:
        for k in range(_WINDOWS):
            fh.seek(size * k // _WINDOWS)
            lines = fh.read(_WINDOW).split(b"\n")[1:-1]  # whole lines only: the ends may be cut
            lengths += [len(line) + 1 for line in lines]
            for line in lines[:1]:
                first = line.replace(b"\t", b",").replace(b";", b",").replace(b"::", b",").split(b",")[0]
                id_length = max(id_length, len(first))
    mean = sum(lengths) / len(lengths) if lengths else 2.0  # a file of one line: count it as short
    return size / max(mean, 2.0), id_length


def _dense_matrix_bytes(path: Path) -> float:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            n_items, n_users = f["M"].shape  # HDF5 holds the transpose; the product is what matters
    except (OSError, KeyError, TypeError, ValueError):
        return 150 * path.stat().st_size  # unreadable: the step fails fast anyway; a generous guess
    return MAT_DENSE_COPIES * 8.0 * n_users * n_items
