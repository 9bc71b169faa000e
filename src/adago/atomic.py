"""Write files so that a reader never sees a half-written one.

Every output the workflow trusts (downloads, prepared data, splits, run results, tables, figures) goes
through here: the content is written to a temporary file in the destination's own directory (same
file system, so the final ``os.replace`` is atomic) and renamed only once it is complete. An exception
or a kill part-way leaves at most a ``.tmp-*`` file that no rule reads and the next attempt ignores.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it to ``dest`` if the block succeeds.

    ``suffix`` defaults to ``dest``'s own suffix, so libraries that choose a format from the file
    name (matplotlib, ``numpy.savez``) see the right one.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".tmp-{dest.name}-", suffix=dest.suffix if suffix is None else suffix, dir=dest.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600; a result file should get the permissions any other new file would.
    os.chmod(tmp_path, 0o666 & ~_umask())
    try:
        yield tmp_path
        _fsync_file(tmp_path)
        os.replace(tmp_path, dest)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(dest: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file beside ``dest`` for writing; it becomes ``dest`` only on success."""
    if not any(m in mode for m in "wx"):
        raise ValueError(f"atomic_open is for writing, got mode {mode!r}")
    with atomic_path(dest) as tmp:
        with open(tmp, mode.replace("x", "w"), **kwargs) as fh:
            yield fh


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_file(path: Path) -> None:
    # Without fsync a crash right after the rename can leave a complete-looking but empty file.
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())
