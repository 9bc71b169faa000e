"""Where a training job keeps Numba's compiled kernels: one directory per machine.

Jobs warm the cache up under an exclusive ``flock`` (:mod:`adago.warmup`), so that only one of them
compiles and the others load. That lock is only trustworthy on a node-local file system: on the
shared storage of a cluster ``flock`` may fail outright (Lustre mounted without ``-o flock``),
lock only within one node (Lustre ``-o localflock``, BeeGFS by default, NFS with ``local_lock``),
or work (NFSv4, GPFS) — and Numba itself only promises safe concurrent use of a cache whose file
replacement is atomic, which NFS client caching does not guarantee. So a job inside a SLURM
allocation keeps its cache in the node's temporary directory (``$TMPDIR``, else ``/tmp``), shared
only by the jobs on that node (a group submission), where the lock works; a job outside SLURM uses
the workflow's own directory. ``NUMBA_CACHE_DIR`` set by the user wins over both.

Inside whichever directory is chosen, the kernels live in a subdirectory named for a digest of the
package's source (``kernels-<digest>``). Numba checks a cached kernel against the modification time
of its own file only: a kernel in ``adam.py`` that calls a function of ``shared.py`` keeps its cached
machine code after ``shared.py`` changes (Numba's documented limit on caching across files). Snakemake
re-runs training after such an edit (the rule's ``code`` param), and without the digest the re-run
would silently load the old kernel. With it, any change of the package's source starts a fresh cache.

Outside the workflow (the test suite, ``bench/`` scripts, a notebook on a checkout) Numba keeps the
kernels in the package's own ``__pycache__`` directories, with the same blind spot. There
:func:`drop_stale_kernels`, called by ``tests/conftest.py`` and the bench scripts before any kernel
runs, deletes those cached kernels whenever the package's source digest differs from the one they
were compiled from.

No Numba import here: Numba reads ``NUMBA_CACHE_DIR`` when it is first imported, so the choice has
to be made before.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# Beside the in-tree kernels: the source digest they were compiled from.
DIGEST_FILE = "numba-source-digest"


def source_digest(package_dir: Path = PACKAGE_DIR) -> str:
    """16 hex digits of sha256 over every ``.py`` file of the package (relative path and bytes, sorted
    by path): a kernel's cache is valid only for the exact source it was compiled from."""
    h = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def numba_cache_dir(workflow_cache: str, environ: Mapping[str, str] | None = None,
                    package_dir: Path = PACKAGE_DIR) -> str:
    """The cache directory for this process: ``<base>/kernels-<source digest>``, where base is
    ``$NUMBA_CACHE_DIR`` if set; inside a SLURM job (``$SLURM_JOB_ID`` set) ``<tmp>/adago-numba-<uid>``
    on the node; else ``workflow_cache``. A base that already is this digest's directory is kept."""
    env = os.environ if environ is None else environ
    if env.get("NUMBA_CACHE_DIR"):
        base = env["NUMBA_CACHE_DIR"]
    elif env.get("SLURM_JOB_ID"):
        base = os.path.join(env.get("TMPDIR") or tempfile.gettempdir(), f"adago-numba-{os.getuid()}")
    else:
        base = workflow_cache
    leaf = f"kernels-{source_digest(package_dir)}"
    return base if os.path.basename(os.path.normpath(base)) == leaf else os.path.join(base, leaf)


def drop_stale_kernels(package_dir: Path = PACKAGE_DIR, environ: Mapping[str, str] | None = None) -> bool:
    """Delete Numba's in-tree cache of the package (``__pycache__/*.nbi``, ``*.nbc``) unless it was
    written from the package's current source; returns whether it deleted.

    For processes that do not choose a cache directory with :func:`numba_cache_dir` (tests, bench
    scripts): there Numba caches beside the source and, after an edit of ``shared.py`` alone, would
    load ``sgd.py``'s kernels compiled from the old ``shared.py``. The digest of the source the cache
    belongs to is kept in ``<package>/__pycache__/numba-source-digest``, written after the deletion, so
    an interrupted call deletes again next time. Must run before the first kernel is called (Numba
    loads a cached kernel at its first call, not at import). Does nothing when ``NUMBA_CACHE_DIR`` is
    set (Numba then does not use the in-tree cache; the workflow's directories are digest-named
    already) or when the package's directories are not writable (an installed package, whose source
    does not change under it).
    """
    env = os.environ if environ is None else environ
    if env.get("NUMBA_CACHE_DIR"):
        return False
    digest = source_digest(package_dir)
    stamp = package_dir / "__pycache__" / DIGEST_FILE
    try:
        if stamp.read_text() == digest:
            return False
    except OSError:
        pass  # no stamp yet: whatever is cached is of unknown source
    try:
        for pattern in ("*.nbi", "*.nbc"):
            for cached in package_dir.rglob(f"__pycache__/{pattern}"):
                cached.unlink(missing_ok=True)
        stamp.parent.mkdir(exist_ok=True)
        tmp = stamp.with_name(f"{DIGEST_FILE}.{os.getpid()}.tmp")
        tmp.write_text(digest)
        os.replace(tmp, stamp)
    except OSError:
        return False
    return True
