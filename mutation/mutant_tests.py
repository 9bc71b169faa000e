"""The test command cosmic-ray runs for each mutant: the module's stages, each in a fresh process.

    python mutation/mutant_tests.py SESSION_DIR MODULE [--baseline] [--only-stage K]

Reads SESSION_DIR/modules.json (written by mutation/run.py) for MODULE's stages. Each stage is
``pytest -x`` on its test files with the package imported from SESSION_DIR/tree/src (the copy that
cosmic-ray mutates), and either

* jit: NUMBA_CACHE_DIR is a new temporary directory holding a copy of the cache warmed by the
  baseline run on the unmutated code, minus the entries of the mutated module and of the modules
  that import it (their kernels embed its machine code; see ``stale_stems``). The others load
  their unmutated machine code; no mutant can
  read a cache entry written by another mutant, and the copy is deleted afterwards.
* pure Python: NUMBA_DISABLE_JIT=1 (no cache involved).

Exit status: 0 every stage passed (the mutant survived), 1 a stage failed or crashed (killed; the
output says which; a mutated kernel writing out of bounds can abort the process), 99 harness error (the package came from elsewhere, no tests collected, ...), which
mutation/run.py reports instead of counting it as a kill. ``--baseline`` runs the unmutated code,
warms the cache in place and records each test's duration (tests then run fastest first).
``--only-stage K`` runs stage K alone (mutation/run.py crosscheck).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# pytest exit codes that mean "the tests ran and some failed" (1) or "a test module could not be
# imported", which for a mutant means the mutant broke the import (2, interrupted). 3-5 are internal
# errors, usage errors and "no tests collected": problems of the harness, not verdicts.
_KILLED = {1, 2}
HARNESS_ERROR = 99


def stale_stems(src: Path, mutated: str) -> set[str]:
    """File stems of the mutated module and of every module that imports it, directly or not.

    Numba's cache is keyed on each file's own mtime and size only: a cached kernel of adam.py that
    calls a kernel of shared.py carries shared's machine code inside it and would still be loaded
    after shared.py was mutated. Such entries are left out of the mutant's cache copy.
    """
    import ast

    modules = {}
    for path in src.rglob("*.py"):
        name = ".".join(path.relative_to(src).with_suffix("").parts).removesuffix(".__init__")
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                imported.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
        modules[name] = imported
    target = ".".join(Path(mutated).relative_to("src").with_suffix("").parts)
    stale, grew = {target}, True
    while grew:
        new = {n for n, imp in modules.items() if n not in stale and imp & stale}
        stale |= new
        grew = bool(new)
    return {n.rsplit(".", 1)[-1] for n in stale}


def run_stage(session: Path, module: str, k: int, stage: dict, baseline: bool, mutated: str = "") -> int:
    tree = session / "tree"
    cache_template = session / "cache" / f"{module}-{k}"
    durations = session / "durations" / f"{module}-{k}.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree / "src"), str(HERE)]),
           "ADAGO_MUTATION_SRC": str(tree / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    # Results must not depend on the caller's environment: no JIT switch, no Douban mirror
    # (the tests that need it skip, in the baseline and in every mutant alike).
    for var in ("NUMBA_DISABLE_JIT", "NUMBA_CACHE_DIR", "ADAGO_MIRROR"):
        env.pop(var, None)
    tmp = None
    if not stage["jit"]:
        env["NUMBA_DISABLE_JIT"] = "1"
    elif baseline:
        cache_template.mkdir(parents=True, exist_ok=True)
        env["NUMBA_CACHE_DIR"] = str(cache_template)
    else:
        tmp = tempfile.mkdtemp(prefix=f"numba-{module}-")
        stale = stale_stems(tree / "src", mutated)
        shutil.copytree(cache_template, tmp, dirs_exist_ok=True,
                        ignore=lambda d, names: [n for n in names if n.split(".")[0] in stale])
        env["NUMBA_CACHE_DIR"] = tmp
    if baseline:
        durations.parent.mkdir(parents=True, exist_ok=True)
        env["ADAGO_MUTATION_RECORD"] = str(durations)
    else:
        env["ADAGO_MUTATION_DURATIONS"] = str(durations)
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "--tb=line", "-p", "no:cacheprovider",
           "-p", "pytest_mutation", "-W", "ignore::RuntimeWarning", *stage["tests"]]
    try:
        proc = subprocess.run(cmd, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    mode = "jit" if stage["jit"] else "pure-python"
    tail = "\n".join(proc.stdout.strip().splitlines()[-15:])
    print(f"--- stage {k} ({mode}): pytest exit {proc.returncode}\n{tail}")
    return proc.returncode


def main(argv: list[str]) -> int:
    baseline = "--baseline" in argv
    only = int(argv[argv.index("--only-stage") + 1]) if "--only-stage" in argv else None
    session, module = (Path(a) if i == 0 else a for i, a in enumerate(x for x in argv if not x.startswith("--")
                                                                        and x != str(only)))
    spec = json.loads((session / "modules.json").read_text())["modules"][module]
    for k, stage in enumerate(spec["stages"]):
        if only is not None and k != only:
            continue
        code = run_stage(session.resolve(), module, k, stage, baseline, spec["path"])
        if code in _KILLED or code < 0:  # < 0: the mutant crashed the process (a signal)
            print(f"KILLED in stage {k}" + (f" (crashed, signal {-code})" if code < 0 else ""))
            return 1
        if code != 0:
            print(f"HARNESS ERROR: pytest exit {code} in stage {k}")
            return HARNESS_ERROR
    print("SURVIVED")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
