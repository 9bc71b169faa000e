"""The locked versions (requirements.lock), the conda environment (envs/adago.yaml) and pyproject.toml agree."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from workflow_helpers import REPO

# conda-forge names that differ from PyPI's.
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib"}
# Run by Snakemake itself, not inside the rules' environment.
NOT_IN_RULE_ENV = {"snakemake"}


def locked() -> dict[str, str]:
    """name -> version of every ``name==version`` line, each of which must carry a hash."""
    text = (REPO / "requirements.lock").read_text()
    pins = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        if match:
            assert "--hash=sha256:" in block, f"requirements.lock: {match.group(1)} has no hash"
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((REPO / "envs" / "adago.yaml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9._-]+) =(\S+)", dep)
        assert match, f"envs/adago.yaml: {dep!r} is not pinned to one version ('name =X.Y.Z')"
        pins[canonicalize_name(CONDA_TO_PYPI.get(match.group(1), match.group(1)))] = match.group(2)
    return pins


def test_every_locked_package_is_pinned_to_one_version_with_hashes():
    pins = locked()
    assert len(pins) > 20 and "numpy" in pins


@pytest.mark.parametrize("requirement", pyproject()["project"]["dependencies"])
def test_each_dependency_of_pyproject_is_locked_at_a_version_it_allows(requirement):
    req = Requirement(requirement)
    pins = locked()
    name = canonicalize_name(req.name)
    assert name in pins, f"requirements.lock lacks {req.name} (pyproject.toml asks for {requirement})"
    assert req.specifier.contains(pins[name], prereleases=True), (
        f"requirements.lock has {req.name}=={pins[name]}, outside pyproject.toml's {requirement}")


def test_the_reports_extra_brings_pygments_into_the_lock():
    # `snakemake --report` stops without pygments; only snakemake's `reports` extra pulls it in.
    assert "pygments" in locked()


def test_the_conda_environment_pins_the_locked_versions():
    pins, conda = locked(), conda_pins()
    python = conda.pop("python")
    assert python == pyproject()["project"]["requires-python"].removeprefix(">=")
    assert (REPO / "requirements.lock").read_text().startswith(f"# The exact versions behind the README's numbers "
                                                               f"(Python {python},")
    mismatched = {name: (version, pins.get(name)) for name, version in conda.items() if pins.get(name) != version}
    assert not mismatched, f"envs/adago.yaml vs requirements.lock (conda, lock): {mismatched}"


def test_the_conda_environment_holds_every_runtime_dependency_the_rules_import():
    wanted = {canonicalize_name(Requirement(r).name) for r in pyproject()["project"]["dependencies"]}
    missing = wanted - NOT_IN_RULE_ENV - set(conda_pins())
    assert not missing, f"envs/adago.yaml lacks {sorted(missing)} (dependencies in pyproject.toml)"


def test_the_readme_installs_from_the_lock_with_hashes():
    readme = (REPO / "README.md").read_text()
    assert "pip install --require-hashes -r requirements.lock && pip install --no-deps -e ." in readme
