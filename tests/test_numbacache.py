"""Where training jobs keep Numba's compiled kernels (adago.numbacache)."""

from __future__ import annotations

import os
import subprocess
import sys

from adago.numbacache import numba_cache_dir, source_digest

LEAF = f"kernels-{source_digest()}"


def test_outside_slurm_jobs_share_the_workflow_cache():
    assert numba_cache_dir("results/.numba_cache", environ={}) == f"results/.numba_cache/{LEAF}"


def test_inside_a_slurm_job_the_cache_is_in_the_nodes_temporary_directory():
    env = {"SLURM_JOB_ID": "42", "TMPDIR": "/local/scratch"}
    assert numba_cache_dir("results/.numba_cache", environ=env) == f"/local/scratch/adago-numba-{os.getuid()}/{LEAF}"


def test_a_cache_directory_set_by_the_user_wins():
    env = {"SLURM_JOB_ID": "42", "NUMBA_CACHE_DIR": "/shared/gpfs/numba"}
    assert numba_cache_dir("results/.numba_cache", environ=env) == f"/shared/gpfs/numba/{LEAF}"
    # A child process that inherits the chosen directory keeps it (no kernels-x/kernels-x).
    assert numba_cache_dir("results/.numba_cache", environ={"NUMBA_CACHE_DIR": f"/shared/gpfs/numba/{LEAF}"}) \
        == f"/shared/gpfs/numba/{LEAF}"


def test_an_edit_to_any_module_of_the_package_moves_the_kernels_to_a_fresh_cache(tmp_path):
    # Numba would keep adam.py's cached kernel after an edit to shared.py, which it calls (its cache
    # checks the kernel's own file only): the directory must change with every source file's bytes.
    package = tmp_path / "adago"
    (package / "optimizers").mkdir(parents=True)
    (package / "optimizers" / "adam.py").write_text("from .shared import predict\n")
    (package / "optimizers" / "shared.py").write_text("def predict(p, q): return p @ q\n")
    before = numba_cache_dir("cache", environ={}, package_dir=package)
    assert numba_cache_dir("cache", environ={}, package_dir=package) == before, "stable for the same source"
    (package / "optimizers" / "shared.py").write_text("def predict(p, q): return -(p @ q)\n")
    after = numba_cache_dir("cache", environ={}, package_dir=package)
    assert after != before and os.path.dirname(after) == "cache"
    (package / "optimizers" / "__pycache__").mkdir()
    (package / "optimizers" / "__pycache__" / "x.py").write_text("compiled leftovers\n")
    assert numba_cache_dir("cache", environ={}, package_dir=package) == after, "__pycache__ is not source"


def test_the_choice_is_made_without_importing_numba():
    # Numba reads NUMBA_CACHE_DIR when first imported, so choosing the directory must not import it.
    code = "import sys, adago.numbacache; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
