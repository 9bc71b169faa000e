"""The mutation harness (mutation/): a mutant's Numba cache copy must leave out every module whose
compiled kernels could embed the mutated module's code, and nothing it does not need to."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _mutant_tests():
    spec = importlib.util.spec_from_file_location("mutant_tests", REPO / "mutation" / "mutant_tests.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_mutated_shared_kernel_module_invalidates_every_family_that_calls_it():
    stale = _mutant_tests().stale_stems(REPO / "src", "src/adago/optimizers/shared.py")
    assert {"shared", "adam", "sgd", "adahessian", "als", "training"} <= stale
    assert not stale & {"metrics", "tables", "claims", "model"}, "modules that do not import it keep their cache"


def test_a_mutated_module_invalidates_only_itself_and_its_importers():
    mutant_tests = _mutant_tests()
    assert "adam" not in mutant_tests.stale_stems(REPO / "src", "src/adago/metrics.py")
    assert mutant_tests.stale_stems(REPO / "src", "src/adago/optimizers/adam.py") >= {"adam", "adahessian", "training"}
    assert "sgd" not in mutant_tests.stale_stems(REPO / "src", "src/adago/optimizers/adam.py")
