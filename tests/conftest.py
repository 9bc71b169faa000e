"""Test-wide guard: no test may leave a changed process environment behind.

Rule scripts set variables for their own process (``tune_trial.py`` and ``train.py`` point
``NUMBA_CACHE_DIR`` at the job's kernel cache before Numba is imported). A test that runs such a script
in-process would otherwise hand that variable to every later test's subprocesses: a Snakemake run in
a later test then compiled its kernels into the first test's directory instead of its own, and the
failure showed only when the tests ran in one session, in that order.

Before any test, Numba's in-tree kernel cache is dropped if it was compiled from other source
(adago.numbacache.drop_stale_kernels): Numba checks a cached kernel against its own file only, so
after an edit of shared.py alone the tests would run sgd.py's kernels compiled from the old one.
"""

from __future__ import annotations

import os

import pytest

from adago.numbacache import drop_stale_kernels

drop_stale_kernels()


@pytest.fixture(autouse=True)
def _environment_is_left_as_found():
    before = dict(os.environ)
    yield
    after = dict(os.environ)
    # pytest itself sets PYTEST_CURRENT_TEST per test phase.
    changed = sorted(k for k in before.keys() | after.keys()
                     if before.get(k) != after.get(k) and k != "PYTEST_CURRENT_TEST")
    if not changed:
        return
    for key in changed:
        if key in before:
            os.environ[key] = before[key]
        else:
            del os.environ[key]
    pytest.fail(f"the test left the process environment changed ({', '.join(changed)}); "
                "use monkeypatch.setenv or restore it", pytrace=False)
