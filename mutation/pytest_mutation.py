"""pytest plugin for mutant runs: fail fast in a useful order, and refuse to test the wrong code.

Loaded with ``-p pytest_mutation`` by mutation/mutant_tests.py (never by the normal suite).

* ``ADAGO_MUTATION_SRC``: the package must be imported from this directory (the session's copy of
  ``src``); anything else is a harness error (pytest usage error, exit code 4), because a mutant
  tested against the unmutated installed package would always "survive".
* ``ADAGO_MUTATION_DURATIONS`` (read): tests run in increasing order of their baseline duration, so a
  mutant killed by a quick test is not first made to wait for the slow ones (``-x`` stops at the
  first failure). Tests do not depend on each other's state (docs/TESTING.md, "Every test runs
  alone"), so reordering cannot change a verdict.
* ``ADAGO_MUTATION_RECORD`` (write): the baseline run records each test's duration there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


def pytest_configure(config):
    want = os.environ.get("ADAGO_MUTATION_SRC")
    if want:
        import adago

        got = Path(adago.__file__).resolve().parent
        if got != (Path(want) / "adago").resolve():
            raise pytest.UsageError(f"HARNESS ERROR: adago imported from {got}, expected {want}/adago")


def pytest_collection_modifyitems(session, config, items):
    path = os.environ.get("ADAGO_MUTATION_DURATIONS")
    if not path or not Path(path).is_file():
        return
    durations = json.loads(Path(path).read_text())
    slowest = max(durations.values(), default=0.0)
    items.sort(key=lambda item: durations.get(item.nodeid, slowest))  # stable: ties keep file order


_DURATIONS: dict[str, float] = {}


def pytest_runtest_logreport(report):
    _DURATIONS[report.nodeid] = _DURATIONS.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("ADAGO_MUTATION_RECORD")
    if path:
        Path(path).write_text(json.dumps(_DURATIONS, indent=1, sort_keys=True))
