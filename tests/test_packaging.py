"""pyproject.toml declares what the code needs and installs what users run."""

from __future__ import annotations

import ast
import importlib
import sys
import tomllib
from importlib.metadata import packages_distributions

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from workflow_helpers import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
# Code that runs in every installation: the package and the workflow's rule scripts.
RUNTIME_CODE = [*(REPO / "src").rglob("*.py"), *(REPO / "workflow" / "scripts").glob("*.py")]


def imported_top_level_modules(paths) -> set[str]:
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_every_third_party_package_the_code_imports_is_a_declared_dependency():
    declared = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    third_party = imported_top_level_modules(RUNTIME_CODE) - set(sys.stdlib_module_names) - {"adago"}
    distributions = packages_distributions()
    undeclared = {m: distributions.get(m) for m in third_party
                  if not {canonicalize_name(d) for d in distributions.get(m, [m])} & declared}
    assert not undeclared, f"imported but not in pyproject.toml's dependencies: {undeclared}"


def test_the_license_file_matches_the_license_field_and_the_backend_reads_it():
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License\n")
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    # A `license` string (SPDX expression, PEP 639) needs setuptools 77 or later.
    setuptools = next(Requirement(r) for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools"))
    assert all(v not in setuptools.specifier for v in ("69", "76.1")) and "77" in SpecifierSet(str(setuptools.specifier))


def test_every_console_command_points_at_a_callable():
    scripts = PYPROJECT["project"]["scripts"]
    assert "adago-tune" in scripts
    for name, target in scripts.items():
        module, _, attr = target.partition(":")
        assert callable(getattr(importlib.import_module(module), attr)), f"{name} -> {target}"


def test_no_test_dependency_goes_unused():
    tests_imports = imported_top_level_modules((REPO / "tests").glob("*.py"))
    for requirement in PYPROJECT["project"]["optional-dependencies"]["test"]:
        name = Requirement(requirement).name
        # pytest and the SLURM executor plugin (loaded by Snakemake by name) are used without an import.
        used = name in ("pytest", "snakemake-executor-plugin-slurm") or name.replace("-", "_") in tests_imports
        assert used, f"test extra {requirement} is not used by the tests"
