"""The kinds of bug issue 10 found passing the suite, put in one at a time: each must fail its tests.

    python mutation/known_bugs.py [K ...]      # every bug, or only bugs number K

Each bug is a textual edit of one module in a scratch copy of src/ and tests/ (the working tree is
never touched), tested with a fresh Numba cache and the package imported from the copy (checked by
mutation/pytest_mutation.py). Prints CAUGHT or NOT CAUGHT per bug with the failing tests; exit
status 1 if any bug is not caught. These are the hand-written counterparts of mutation/run.py's
random mutants: the bugs the issue named, checked by name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHUFFLE = "K.shuffle_triples(*self.tr, self.rng_state)"

# (what the bug is, module, [(text, replacement), ...], the tests that must catch it)
BUGS = [
    ("MAE sums squared errors", "src/adago/metrics.py",
     [("ab += abs(e)", "ab += e * e")], ["tests/test_metrics.py"]),
    ("Sattolo's shuffle (j < k: only cyclic permutations)", "src/adago/optimizers/shared.py",
     [("j = _below(k + 1, state)", "j = _below(k, state)")], ["tests/test_shuffle.py"]),
    ("shuffled in the first epoch only", "src/adago/training.py",
     [(SHUFFLE, f"if not hasattr(self, 'once'):\n            {SHUFFLE}\n            self.once = True")],
     ["tests/test_shuffle.py"]),
    ("the same permutation every epoch (generator state not advanced)", "src/adago/training.py",
     [(SHUFFLE, "K.shuffle_triples(*self.tr, self.rng_state.copy())")], ["tests/test_shuffle.py"]),
    ("Tables 4-5: time mean from the epoch column", "src/adago/tables.py",
     [('"time_mean": g[f"{metric}_seconds"].mean()', '"time_mean": g[f"{metric}_epoch"].mean()')],
     ["tests/test_table_values.py"]),
    ("Tables 4-5: time std with ddof=0", "src/adago/tables.py",
     [('"time_std": g[f"{metric}_seconds"].std(ddof=1)', '"time_std": g[f"{metric}_seconds"].std(ddof=0)')],
     ["tests/test_table_values.py"]),
    ("md5 skipped when sha256 is given", "src/adago/download.py",
     [('(("sha256", sha256), ("md5", md5))', '(("sha256", sha256), ("md5", None if sha256 else md5))')],
     ["tests/test_checksums.py"]),
    ("reported loss with regulariser weight reg instead of reg/2", "src/adago/optimizers/shared.py",
     [("return 0.5 * sq + 0.5 * reg * (", "return 0.5 * sq + reg * (")], ["tests/test_training_properties.py"]),
    ("global mean from the validation ratings", "src/adago/training.py",
     [("self.mu = f(tr[2].astype(np.float64).mean())", "self.mu = f(va[2].astype(np.float64).mean())")],
     ["tests/test_training_properties.py"]),
    ("Table significance: the t-test's p as the Wilcoxon p", "src/adago/tables.py",
     [("w_p = float(stats.wilcoxon(diff).pvalue)", "w_p = float(stats.ttest_1samp(diff, 0.0).pvalue)")],
     ["tests/test_table_values.py"]),
    ("claims: the t-test's p as the Wilcoxon p", "src/adago/claims.py",
     [("out.update(wilcoxon_p=float(stats.wilcoxon(d).pvalue))",
       "out.update(wilcoxon_p=float(stats.ttest_1samp(d, 0.0).pvalue))")], ["tests/test_claims.py"]),
    ("train() trains on the caller's ratings array (no copy)", "src/adago/training.py",
     [("r = np.array(t[2], dtype=dtype, copy=True)", "r = np.asarray(t[2], dtype=dtype)")],
     ["tests/test_training_properties.py"]),
    ("figure error bars: population std (ddof=0)", "src/adago/figures.py",
     [("std = values.std(ddof=1) if len(values) > 1", "std = values.std(ddof=0) if len(values) > 1")],
     ["tests/test_figure_data.py"]),
    ("figure markers: the median instead of the mean", "src/adago/figures.py",
     [("ax.errorbar(here, values.mean(), yerr=std", "ax.errorbar(here, np.median(values), yerr=std")],
     ["tests/test_figure_data.py"]),
]


def check(k: int, name: str, path: str, edits: list[tuple[str, str]], tests: list[str]) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix="known-bug-"))
    try:
        for d in ("src", "tests"):
            shutil.copytree(REPO / d, tmp / d, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy2(REPO / "pyproject.toml", tmp)
        text = (tmp / path).read_text()
        for old, new in edits:
            if text.count(old) != 1:
                sys.exit(f"bug {k} ({name}): {path} has {text.count(old)} copies of {old!r}; update BUGS")
            text = text.replace(old, new)
        (tmp / path).write_text(text)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp / "src"), str(HERE)]),
               "ADAGO_MUTATION_SRC": str(tmp / "src"), "NUMBA_CACHE_DIR": str(tmp / "numba"),
               "PYTHONDONTWRITEBYTECODE": "1"}
        for var in ("ADAGO_MIRROR", "NUMBA_DISABLE_JIT"):
            env.pop(var, None)
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "pytest_mutation",
                               "--tb=no", *tests], cwd=tmp, env=env, capture_output=True, text=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    caught = proc.returncode == 1
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr.strip()[-300:]
    print(f"{k:2d} {name}: {'CAUGHT' if caught else f'NOT CAUGHT (pytest exit {proc.returncode})'}; {last}",
          flush=True)
    for line in proc.stdout.splitlines():
        if line.startswith("FAILED"):
            print(f"      {line[:150]}", flush=True)
    return caught


def main(argv: list[str]) -> int:
    chosen = {int(a) for a in argv} or set(range(len(BUGS)))
    missed = [k for k, bug in enumerate(BUGS) if k in chosen and not check(k, *bug)]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
