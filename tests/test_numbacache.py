"""Where training jobs keep Numba's compiled kernels (adago.numbacache)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from adago.numbacache import DIGEST_FILE, drop_stale_kernels, numba_cache_dir, source_digest

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


def _package_with_cached_kernels(root):
    package = root / "adago"
    (package / "optimizers" / "__pycache__").mkdir(parents=True)
    (package / "optimizers" / "shared.py").write_text("X = 1\n")
    cached = [package / "optimizers" / "__pycache__" / name
              for name in ("sgd.epoch-96.py311.nbi", "sgd.epoch-96.py311.1.nbc")]
    for path in cached:
        path.write_bytes(b"machine code")
    bytecode = package / "optimizers" / "__pycache__" / "shared.cpython-311.pyc"
    bytecode.write_bytes(b"bytecode")
    return package, cached, bytecode


def test_in_tree_kernels_of_another_source_are_deleted_once(tmp_path):
    package, cached, bytecode = _package_with_cached_kernels(tmp_path)
    # No digest recorded: the cache's source is unknown, so it goes.
    assert drop_stale_kernels(package, environ={}) is True
    assert not any(path.exists() for path in cached) and bytecode.exists()
    assert (package / "__pycache__" / DIGEST_FILE).read_text() == source_digest(package)
    # Kernels compiled from this source stay.
    for path in cached:
        path.write_bytes(b"machine code")
    assert drop_stale_kernels(package, environ={}) is False
    assert all(path.exists() for path in cached)
    # An edit of any module makes every kernel stale, not only those of the edited file.
    (package / "optimizers" / "shared.py").write_text("X = 2\n")
    assert drop_stale_kernels(package, environ={}) is True
    assert not any(path.exists() for path in cached)


def test_a_cache_directory_set_by_the_user_is_not_touched(tmp_path):
    package, cached, _ = _package_with_cached_kernels(tmp_path)
    assert drop_stale_kernels(package, environ={"NUMBA_CACHE_DIR": str(tmp_path / "elsewhere")}) is False
    assert all(path.exists() for path in cached)
    assert not (package / "__pycache__" / DIGEST_FILE).exists()


def test_a_kernel_inlining_an_edited_module_is_recompiled(tmp_path):
    # The hazard itself, with Numba's in-tree cache: kern.py's cached kernel inlines lib.f, and
    # Numba checks the cache against kern.py alone.
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "kern.py").write_text(textwrap.dedent("""\
        from numba import njit
        from pkg.lib import f

        @njit(cache=True)
        def g():
            return f()
        """))
    run = textwrap.dedent(f"""\
        from pathlib import Path
        from adago.numbacache import drop_stale_kernels
        drop_stale_kernels(Path({str(package)!r}))
        from pkg.kern import g
        print(g())
        """)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    results = []
    for value in (1, 2):
        (package / "lib.py").write_text(f"from numba import njit\n\n@njit(inline='always')\ndef f():\n"
                                        f"    return {value}\n")
        out = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, check=True, env=env)
        results.append(int(out.stdout))
    assert list(package.glob("__pycache__/kern.g-*.nbi")), "the kernel was cached in the tree"
    assert results == [1, 2]
