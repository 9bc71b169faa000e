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

No Numba import here: Numba reads ``NUMBA_CACHE_DIR`` when it is first imported, so the choice has
to be made before.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping


def numba_cache_dir(workflow_cache: str, environ: Mapping[str, str] | None = None) -> str:
    """The cache directory for this process: ``$NUMBA_CACHE_DIR`` if set; inside a SLURM job
    (``$SLURM_JOB_ID`` set) ``<tmp>/adago-numba-<uid>`` on the node; else ``workflow_cache``."""
    env = os.environ if environ is None else environ
    if env.get("NUMBA_CACHE_DIR"):
        return env["NUMBA_CACHE_DIR"]
    if env.get("SLURM_JOB_ID"):
        tmp = env.get("TMPDIR") or tempfile.gettempdir()
        return os.path.join(tmp, f"adago-numba-{os.getuid()}")
    return workflow_cache
