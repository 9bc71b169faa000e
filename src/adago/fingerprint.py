"""A cheap identity of an input data file, passed to the prepare rule as a param.

Snakemake re-runs a job when an input is *newer* than its outputs. A rating file replaced by another
with an older modification time (``cp -p``, ``mv`` of an older download, a symbolic link re-pointed
to an older file) is not newer, so the prepared data, the splits, every run and every table would
keep describing the old data without a word. Snakemake also re-runs a job whose params changed, so a
param that changes whenever the data does closes that gap.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from pathlib import Path

# Up to this size the whole content is hashed (64 MiB: about 0.1 s, done when Snakemake builds its DAG).
FULL_HASH_MAX_BYTES = 64 * 2**20
EDGE_BYTES = 2**20


def file_fingerprint(path: str | os.PathLike) -> str:
    """What identifies the data in ``path`` (symbolic links followed), as a short string.

    * up to 64 MiB: ``size=<bytes> sha256=<hash of the content>``. The content alone decides, so a
      ``touch`` or a copy of the same bytes re-runs nothing while any other file does;
    * larger: ``size mtime_ns inode device`` plus the sha256 of the first and last MiB. Hashing
      gigabytes at every ``snakemake`` call would cost more than it saves; any replacement changes
      the inode or the modification time, an edit in place the time (or the size or the edges).

    ``"absent"`` if there is no file yet (a download or generator will make it; Snakemake evaluates
    params again before it runs the job), ``"not a regular file"`` for a directory or device (the
    prepare step then says what it is).
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "absent"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    return _fingerprint(str(Path(path).resolve()), st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


@functools.lru_cache(maxsize=64)  # Snakemake evaluates params more than once per invocation
def _fingerprint(path: str, size: int, mtime_ns: int, inode: int, device: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        if size <= FULL_HASH_MAX_BYTES:
            for block in iter(lambda: fh.read(2**20), b""):
                digest.update(block)
            return f"size={size} sha256={digest.hexdigest()}"
        digest.update(fh.read(EDGE_BYTES))
        fh.seek(size - EDGE_BYTES)
        digest.update(fh.read(EDGE_BYTES))
    return f"size={size} mtime_ns={mtime_ns} inode={inode} device={device} edges_sha256={digest.hexdigest()}"
