"""Run the real workflow in a temporary copy of the repository's workflow files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
_COPIED = ("Snakefile", "workflow", "config", "profiles", "envs", "src")


def mirror() -> Path | None:
    """The Douban mirror: $ADAGO_MIRROR, else ../shared/data beside the repository."""
    env = os.environ.get("ADAGO_MIRROR")
    for candidate in ([Path(env)] if env else []) + [SHARED_DATA]:
        if (candidate / "douban" / "training_test_dataset.mat").is_file():
            return candidate
    return None


def make_workdir(root: Path, config: dict) -> Path:
    """A copy of the workflow under ``root`` (so tests may touch its code) with ``config.yaml``.

    The shipped config tunes before training (tuning.enabled); a test config without a ``tuning``
    block trains with its ``hyperparameters`` instead, so that only the tests of the tune stage
    (tests/test_tuning_workflow.py) pay for trials."""
    config = {"tuning": {"enabled": False}, **config}
    for name in _COPIED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, root / name)
    (root / "test-config.yaml").write_text(yaml.safe_dump(config))
    return root


def snakemake(workdir: Path, *args: str, env: dict | None = None, overrides: dict | None = None,
              timeout: float = 900, cores: str | None = "2", directory: bool = True) -> subprocess.CompletedProcess:
    """Run snakemake on ``workdir``; ``env`` entries set to None are removed from the environment;
    ``overrides`` is one more config file layered over ``test-config.yaml``; ``cores=None`` leaves
    ``--cores`` to the profile; ``directory=False`` starts it in ``workdir`` without ``--directory``,
    as a user would, so that config key ``output_dir`` takes effect."""
    configs = [str(workdir / "test-config.yaml")]
    if overrides is not None:
        (workdir / "overrides.yaml").write_text(yaml.safe_dump(overrides))
        configs.append(str(workdir / "overrides.yaml"))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(workdir / "Snakefile"),
           *(["--directory", str(workdir)] if directory else []),
           *(["--cores", cores] if cores else []), *args, "--configfile", *configs]
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return subprocess.run(cmd, cwd=workdir, env=full_env, capture_output=True, text=True, timeout=timeout)


def planned_rules(dry_run_output: str) -> set[str]:
    """Rule names a ``snakemake -n`` run lists as jobs to run."""
    return set(re.findall(r"^(?:local)?rule (\w+):", dry_run_output, flags=re.M))


def nothing_to_do(result: subprocess.CompletedProcess) -> bool:
    return "Nothing to be done" in result.stdout + result.stderr
