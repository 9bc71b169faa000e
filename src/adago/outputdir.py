"""The directory a run of the workflow writes to when config key ``output_dir`` is set, fixed once.

Snakemake evaluates the Snakefile more than once per process, and a job it spawns on a cluster
evaluates it twice without returning to the directory it started in. A relative ``workdir:``
applied at each evaluation therefore put every SLURM job of the quick demo in ``demo/demo``, where
its inputs are not (tests/test_slurm.py). So the first evaluation fixes ``output_dir`` as an
absolute path, relative to the directory Snakemake was started in, and records it in the
environment; every later evaluation, in the same process or in a job it spawns (jobs inherit the
environment), changes to that same path.

No Snakemake or Numba import here: the Snakefile calls this before any rule is defined.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping

# Where the first evaluation records {"output_dir": <the config value>, "path": <absolute path>}.
ENV = "ADAGO_OUTPUT_DIR"


def output_directory(output_dir: str, environ: MutableMapping[str, str] | None = None,
                     cwd: str | None = None) -> str:
    """The absolute directory for config value ``output_dir``: the one recorded in the environment
    for this same value, else ``output_dir`` resolved against ``cwd`` (default: the current
    directory) and recorded. A record of another value (or one that is not ours) is replaced."""
    env = os.environ if environ is None else environ
    try:
        recorded = json.loads(env.get(ENV, ""))
    except ValueError:
        recorded = None
    if isinstance(recorded, dict) and recorded.get("output_dir") == output_dir and recorded.get("path"):
        return recorded["path"]
    path = os.path.normpath(os.path.join(os.getcwd() if cwd is None else cwd, output_dir))
    env[ENV] = json.dumps({"output_dir": output_dir, "path": path})
    return path
