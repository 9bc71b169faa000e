"""Where training jobs keep Numba's compiled kernels (adago.numbacache)."""

from __future__ import annotations

import os
import subprocess
import sys

from adago.numbacache import numba_cache_dir


def test_outside_slurm_jobs_share_the_workflow_cache():
    assert numba_cache_dir("results/.numba_cache", environ={}) == "results/.numba_cache"


def test_inside_a_slurm_job_the_cache_is_in_the_nodes_temporary_directory():
    env = {"SLURM_JOB_ID": "42", "TMPDIR": "/local/scratch"}
    assert numba_cache_dir("results/.numba_cache", environ=env) == f"/local/scratch/adago-numba-{os.getuid()}"


def test_a_cache_directory_set_by_the_user_wins():
    env = {"SLURM_JOB_ID": "42", "NUMBA_CACHE_DIR": "/shared/gpfs/numba"}
    assert numba_cache_dir("results/.numba_cache", environ=env) == "/shared/gpfs/numba"


def test_the_choice_is_made_without_importing_numba():
    # Numba reads NUMBA_CACHE_DIR when first imported, so choosing the directory must not import it.
    code = "import sys, adago.numbacache; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
