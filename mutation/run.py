"""Mutation testing of the core modules with cosmic-ray: run, re-check survivors, report.

    python mutation/run.py run     [--out .mutation/run] [--modules shared metrics ...] [--tests-from REV]
    python mutation/run.py recheck --from .mutation/before [--out .mutation/after] [--modules ...]
    python mutation/run.py report  .mutation/run [--markdown FILE]
    python mutation/run.py compare [--base main] [--modules ...]   # before + after + summary, one command
    python mutation/run.py summary --before DIR... --after DIR... [--markdown mutation/RESULTS.md]
    python mutation/run.py crosscheck --from .mutation/run --module kernels [--n 20] [--out ...]

``run`` copies the repository's files (tracked and untracked, not ignored) to OUT/tree and mutates
only that copy, so the working tree is never touched and a killed run leaves nothing mutated
behind. Per module (mutation/modules.toml): cosmic-ray lists every mutant, mutants of excluded
operators or outside ``only`` are skipped, a fixed-seed sample of at most ``sample`` is kept, a
baseline run on the unmutated copy must pass (it warms the Numba cache each mutant gets a private
copy of, and records test durations), then cosmic-ray runs every sampled mutant through
mutation/mutant_tests.py. Interrupted? Run the same command again: finished mutants are kept.

``recheck`` re-runs only the survivors of an earlier session against the current tests (the
mutants it killed stay killed: tests were only added). It refuses a module whose source changed
since that session, because then the mutants are not the same.

``crosscheck`` takes a sample of the mutants a module's first stage killed (pure Python, for the
kernels) and runs each through its second stage alone (compiled): agreement says the fast first
stage does not kill mutants that only a Python-only difference would notice.

``report`` prints the score per module (killed / (killed + survived); a timeout counts as killed)
and every survivor with its diff.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SPEC = HERE / "modules.toml"


# ------------------------------------------------------------------------------------------ setup
def load_spec(names: list[str] | None) -> dict:
    spec = tomllib.loads(SPEC.read_text())
    defaults, modules = spec["defaults"], spec["modules"]
    unknown = sorted(set(names or ()) - set(modules))
    if unknown:
        sys.exit(f"unknown module(s) {unknown}; known: {sorted(modules)} (mutation/modules.toml)")
    chosen = {m: {**defaults, **modules[m]} for m in (names or modules)}
    return {"defaults": defaults, "modules": chosen}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_tree(out: Path, tests_from: str | None = None) -> Path:
    """OUT/tree: the repository's files as the working tree has them (tracked + untracked, not ignored).

    ``tests_from``: a git revision whose ``tests/`` replace the working tree's, to score an older
    suite against today's code (the "before" score: ``--tests-from main``).
    """
    tree = out / "tree"
    if tree.exists():
        return tree
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = REPO / rel
        if src.is_file() and not (tests_from and rel.startswith("tests/")):
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, tree / rel)
    if tests_from:
        archive = subprocess.run(["git", "archive", "--format=tar", tests_from, "tests"], cwd=REPO, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        rev = subprocess.run(["git", "rev-parse", tests_from], cwd=REPO, check=True, capture_output=True,
                             text=True).stdout.strip()
        (out / "tests_from.txt").write_text(f"{tests_from} {rev}\n")
    return tree


def present_tests(tree: Path, name: str, m: dict) -> None:
    """Drop a stage's test files that this tree does not have (an older suite from --tests-from),
    and a stage left without any (an older suite may lack a fast stage's test files)."""
    for stage in m["stages"]:
        missing = [t for t in stage["tests"] if not (tree / t).is_file()]
        if missing:
            print(f"{name}: not in this suite, left out: {' '.join(missing)}", flush=True)
            stage["tests"] = [t for t in stage["tests"] if t not in missing]
    if not any(stage["tests"] for stage in m["stages"]):
        sys.exit(f"{name}: none of the stages' test files exist in {tree}")
    m["stages"] = [stage for stage in m["stages"] if stage["tests"]]


def restore_pristine(out: Path, spec: dict) -> None:
    """Put back any module file a killed run left mutated (cosmic-ray restores it otherwise)."""
    for m in spec["modules"].values():
        src, dst = out / "pristine" / m["path"], out / "tree" / m["path"]
        if not src.exists():
            src.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(dst, src)
        elif sha256(src) != sha256(dst):
            shutil.copy2(src, dst)


def function_lines(path: Path, names: list[str]) -> set[int]:
    """Line numbers of the top-level functions/classes called ``names`` in ``path``."""
    import ast

    lines: set[int] = set()
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
            found.add(node.name)
            lines.update(range(node.lineno, node.end_lineno + 1))
    missing = set(names) - found
    if missing:
        sys.exit(f"{path}: no top-level definition(s) {sorted(missing)} (modules.toml 'only')")
    return lines


def cr_config(out: Path, module: str, m: dict, timeout: float) -> Path:
    cfg = out / f"{module}.toml"
    cmd = f"{sys.executable} {HERE / 'mutant_tests.py'} {out} {module}"
    cfg.write_text(
        "[cosmic-ray]\n"
        f"module-path = {json.dumps(m['path'])}\n"
        f"timeout = {timeout:.0f}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(cmd)}\n"
        "[cosmic-ray.distributor]\n"
        'name = "local"\n'
    )
    return cfg


def cosmic_ray(*args: str, cwd: Path, log: Path) -> None:
    with open(log, "a") as fh:
        fh.write(f"\n$ cosmic-ray {' '.join(args)}\n")
        fh.flush()
        subprocess.run([sys.executable, "-c", "import sys; from cosmic_ray.cli import main; sys.exit(main())",
                        *args], cwd=cwd, check=True, stdout=fh, stderr=subprocess.STDOUT)


def select(db: Path, tree: Path, m: dict) -> dict:
    """Skip mutants of excluded operators or outside ``only``, then all but a fixed-seed sample."""
    con = sqlite3.connect(db)
    rows = con.execute("SELECT job_id, operator_name, start_pos_row, start_pos_col, occurrence "
                       "FROM mutation_specs").fetchall()
    excluded = re.compile("|".join(f"(?:{e})" for e in m["exclude_operators"]))
    keep_lines = function_lines(tree / m["path"], m["only"]) if m.get("only") else None
    population, skipped = [], []
    for job, op, row, col, occ in rows:
        if excluded.match(op) or (keep_lines is not None and row not in keep_lines):
            skipped.append((job, "excluded operator or outside 'only'"))
        else:
            population.append((row, col, op, occ, job))
    population.sort()  # job ids are random; positions and operators are not
    # A fixed-seed random order of the whole population; the sample is its first ``sample`` mutants,
    # so a smaller sample of the same source is a subset of a larger one.
    sample = random.Random(m["seed"]).sample(population, len(population))[:m["sample"]]
    chosen = {p[-1] for p in sample}
    skipped += [(p[-1], "not in the sample") for p in population if p[-1] not in chosen]
    con.executemany("INSERT OR REPLACE INTO work_results (job_id, worker_outcome, output) VALUES (?, 'SKIPPED', ?)",
                    skipped)
    con.commit()
    con.close()
    return {"mutants": len(rows), "population": len(population), "sampled": len(chosen)}


def baseline(out: Path, module: str, log: Path) -> float:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, str(HERE / "mutant_tests.py"), str(out), module, "--baseline"],
                          capture_output=True, text=True)
    seconds = time.monotonic() - start
    with open(log, "a") as fh:
        fh.write(f"\n$ baseline ({seconds:.0f} s)\n{proc.stdout}{proc.stderr}")
    if proc.returncode != 0:
        sys.exit(f"{module}: the unmutated code fails its tests; see {log}")
    return seconds


def prepare(out: Path, spec: dict, tests_from: str | None = None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    tree = copy_tree(out, tests_from)
    restore_pristine(out, spec)
    modules_json = out / "modules.json"
    known = json.loads(modules_json.read_text())["modules"] if modules_json.exists() else {}
    for name, m in spec["modules"].items():
        present_tests(tree, name, m)
        m["source_sha256"] = sha256(tree / m["path"])
        if name in known and known[name]["source_sha256"] != m["source_sha256"]:
            sys.exit(f"{out}: {name} changed since this session started; use a new --out")
    modules_json.write_text(json.dumps({"modules": {**known, **spec["modules"]}}, indent=1))
    return tree


def execute(out: Path, tree: Path, name: str, m: dict) -> None:
    log, db = out / f"{name}.log", out / f"{name}.sqlite"
    seconds = baseline(out, name, log)
    timeout = max(60.0, m["timeout_factor"] * seconds)
    cfg = cr_config(out, name, m, timeout)
    print(f"{name}: baseline {seconds:.0f} s, timeout {timeout:.0f} s", flush=True)
    cosmic_ray("exec", str(cfg), str(db), cwd=tree, log=log)
    print(f"{name}: done; {summary(db)}", flush=True)


# ------------------------------------------------------------------------------------------ commands
def cmd_run(args) -> None:
    spec = load_spec(args.modules)
    for m in spec["modules"].values():
        m["sample"] = args.sample if args.sample is not None else m["sample"]
    out = Path(args.out).resolve()
    tree = prepare(out, spec, args.tests_from)
    for name, m in spec["modules"].items():
        db = out / f"{name}.sqlite"
        if not db.exists():
            log = out / f"{name}.log"
            cfg = cr_config(out, name, m, 60)
            cosmic_ray("init", str(cfg), str(db), cwd=tree, log=log)
            counts = select(db, tree, m)
            (out / f"{name}.counts.json").write_text(json.dumps(counts))
            print(f"{name}: {counts}", flush=True)
        execute(out, tree, name, m)


def cmd_recheck(args) -> None:
    old = Path(getattr(args, "from")).resolve()
    out = Path(args.out).resolve()
    before = json.loads((old / "modules.json").read_text())["modules"]
    spec = load_spec(args.modules or [m for m in before if (old / f"{m}.sqlite").exists()])
    tree = prepare(out, spec)
    for name, m in spec["modules"].items():
        if before[name]["source_sha256"] != m["source_sha256"]:
            sys.exit(f"{name}: {m['path']} changed since {old}; run the full `run` for it instead")
        db = out / f"{name}.sqlite"
        if not db.exists():
            shutil.copy2(old / f"{name}.sqlite", db)
            shutil.copy2(old / f"{name}.counts.json", out / f"{name}.counts.json")
            con = sqlite3.connect(db)
            con.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED' OR output LIKE '%HARNESS ERROR%'")
            con.commit()
            con.close()
        execute(out, tree, name, m)


def cmd_crosscheck(args) -> None:
    from cosmic_ray.mutating import use_mutation
    from cosmic_ray.plugins import get_operator

    old, out, name = Path(getattr(args, "from")).resolve(), Path(args.out).resolve(), args.module
    spec = load_spec([name])
    tree = prepare(out, spec)
    m = spec["modules"][name]
    if json.loads((old / "modules.json").read_text())["modules"][name]["source_sha256"] != m["source_sha256"]:
        sys.exit(f"{name}: {m['path']} changed since {old}")
    con = sqlite3.connect(old / f"{name}.sqlite")
    rows = con.execute("SELECT s.job_id, s.operator_name, s.occurrence, s.start_pos_row, r.diff FROM mutation_specs s "
                       "JOIN work_results r USING (job_id) WHERE r.test_outcome = 'KILLED' "
                       "AND r.output LIKE '%KILLED in stage 0%' ORDER BY s.job_id").fetchall()
    con.close()
    rows = random.Random(m["seed"]).sample(rows, min(args.n, len(rows)))
    log = out / f"{name}.crosscheck.log"
    baseline(out, name, log)
    agree = 0
    for job, op, occ, line, diff in rows:
        with use_mutation(tree / m["path"], get_operator(op)(), occ):
            proc = subprocess.run([sys.executable, str(HERE / "mutant_tests.py"), str(out), name, "--only-stage", "1"],
                                  capture_output=True, text=True)
        killed = proc.returncode == 1
        agree += killed
        changed = " / ".join(x[1:].strip() for x in (diff or "").splitlines() if x[:1] == "+" and x[:3] != "+++")
        print(f"{job[:8]} line {line} {op}: {'killed' if killed else 'SURVIVED'} compiled  ({changed})", flush=True)
        with open(log, "a") as fh:
            fh.write(f"\n=== {job} {op} line {line}\n{proc.stdout}")
    print(f"{name}: {agree} of {len(rows)} stage-1 kills are also killed compiled")


def results(db: Path) -> list[dict]:
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT s.job_id, s.operator_name, s.start_pos_row, s.definition_name, r.worker_outcome, "
        "r.test_outcome, r.output, r.diff FROM mutation_specs s LEFT JOIN work_results r USING (job_id)"
    ).fetchall()
    con.close()
    keys = ("job", "operator", "line", "function", "worker", "test", "output", "diff")
    return [dict(zip(keys, r)) for r in rows]


def verdict(r: dict) -> str:
    if r["worker"] is None:
        return "pending"
    if r["worker"] == "SKIPPED":
        return "skipped"
    out = r["output"] or ""
    if "HARNESS ERROR: pytest exit -" in out:
        return "killed"  # recorded before crashes counted as kills: the mutant aborted the process
    if "HARNESS ERROR" in out:
        return "harness-error"
    if r["test"] == "KILLED":
        return "timeout" if out.strip() == "timeout" else "killed"
    return {"SURVIVED": "survived", "INCOMPETENT": "incompetent"}.get(r["test"], "no-test")


def summary(db: Path) -> dict:
    counts: dict[str, int] = {}
    for r in results(db):
        v = verdict(r)
        counts[v] = counts.get(v, 0) + 1
    return counts


def module_scores(out: Path, name: str) -> dict | None:
    """Counts of one module's session: sizes, verdicts, score and the surviving mutants."""
    db = out / f"{name}.sqlite"
    if not db.exists():
        return None
    rs = results(db)
    c = {v: sum(verdict(r) == v for r in rs) for v in
         ("killed", "timeout", "survived", "pending", "harness-error", "incompetent", "no-test")}
    dead = c["killed"] + c["timeout"]
    return {**json.loads((out / f"{name}.counts.json").read_text()), **c,
            "other": sum(c[k] for k in ("pending", "harness-error", "incompetent", "no-test")),
            "score": 100 * dead / (dead + c["survived"]) if dead + c["survived"] else None,
            "survivors": [r for r in sorted(rs, key=lambda r: (r["line"], r["operator"]))
                          if verdict(r) in ("survived", "harness-error", "incompetent")]}


def survivor_text(name: str, r: dict) -> str:
    diff = "\n".join(x for x in (r["diff"] or "").splitlines() if x[:1] in "+-" and x[:3] not in ("+++", "---"))
    return (f"\n### {name}:{r['line']} {r['function']} {r['operator']} ({verdict(r)}, job {r['job'][:8]})\n"
            f"```diff\n{diff}\n```\n")


def _pct(score: float | None) -> str:
    return "–" if score is None else f"{score:.1f}%"


def cmd_report(args) -> None:
    out = Path(args.session).resolve()
    modules = json.loads((out / "modules.json").read_text())["modules"]
    lines = ["| module | mutants | after filters | run | killed | timeout | survived | other | score |",
             "|---|---|---|---|---|---|---|---|---|"]
    survivors = ""
    for name in modules:
        c = module_scores(out, name)
        if c is None:
            continue
        lines.append(f"| {name} | {c['mutants']} | {c['population']} | {c['sampled']} | {c['killed']} | "
                     f"{c['timeout']} | {c['survived']} | {c['other']} | {_pct(c['score'])} |")
        survivors += "".join(survivor_text(name, r) for r in c["survivors"])
    text = "\n".join(lines) + "\n\n## Survivors\n" + survivors
    if args.markdown:
        Path(args.markdown).write_text(text)
    print(text)


def _sessions(dirs: list[str]) -> dict[str, Path]:
    """module name -> the session directory holding its results (the first that has it)."""
    found: dict[str, Path] = {}
    for d in map(lambda x: Path(x).resolve(), dirs):
        for name in json.loads((d / "modules.json").read_text())["modules"]:
            if (d / f"{name}.sqlite").exists():
                found.setdefault(name, d)
    return found


def cmd_summary(args) -> None:
    """Before/after scores per module and every mutant that survives the current tests, as Markdown."""
    import importlib.metadata

    before, after = _sessions(args.before), _sessions(args.after)
    if args.modules:
        before = {n: d for n, d in before.items() if n in args.modules}
        after = {n: d for n, d in after.items() if n in args.modules}
    def tests_of(d: Path) -> str:
        if (d / "tests_from.txt").exists():
            return "the tests of " + (d / "tests_from.txt").read_text().strip()
        made = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime((d / "tree").stat().st_mtime))
        return f"the working tree's tests of {made}"

    sources = [f"{', '.join(n for n in before if before[n] == d)}: {tests_of(d)}" for d in dict.fromkeys(before.values())]
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                          text=True).stdout.strip()
    lines = [f"# Mutation scores ({time.strftime('%Y-%m-%d', time.gmtime())})", "",
             f"cosmic-ray {importlib.metadata.version('cosmic-ray')}, Python {sys.version.split()[0]}, "
             f"numba {importlib.metadata.version('numba')}; written by `mutation/run.py summary` at {head}.",
             f"Before: {'; '.join(sources)}. After: the survivors of *before* re-run against the current tests "
             "(`recheck`). Score = killed / (killed + survived).", "",
             "| module | mutants | after filters | sampled | before: killed / survived | before | "
             "after: killed / survived | after | other |",
             "|---|---|---|---|---|---|---|---|---|"]
    survivors = ""
    for name in [*before, *(n for n in after if n not in before)]:
        b = module_scores(before[name], name) if name in before else None
        a = module_scores(after[name], name) if name in after else None
        ref = a or b
        cells = [f"{x['killed'] + x['timeout']} / {x['survived']} | {_pct(x['score'])}" if x else "– | –"
                 for x in (b, a)]
        other = (a or b)["other"]
        lines.append(f"| {name} | {ref['mutants']} | {ref['population']} | {ref['sampled']} | {cells[0]} | "
                     f"{cells[1]} | {other or ''} |")
        survivors += "".join(survivor_text(name, r) for r in (a["survivors"] if a else []))
    text = "\n".join(lines) + "\n\n## Mutants that survive the current tests\n" + (survivors or "\nnone\n")
    Path(args.markdown).write_text(text)
    print(text)


def cmd_compare(args) -> None:
    """run (tests of --base) into OUT/before, recheck its survivors into OUT/after, summary."""
    out = Path(args.out).resolve()
    cmd_run(argparse.Namespace(out=str(out / "before"), modules=args.modules, sample=None, tests_from=args.base))
    cmd_recheck(argparse.Namespace(**{"from": str(out / "before"), "out": str(out / "after"),
                                      "modules": args.modules}))
    cmd_summary(argparse.Namespace(before=[str(out / "before")], after=[str(out / "after")],
                                   modules=args.modules, markdown=args.markdown))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a (resumable) mutation-testing session")
    r.add_argument("--out", default=str(REPO / ".mutation" / "run"))
    r.add_argument("--modules", nargs="*")
    r.add_argument("--sample", type=int, help="override every module's sample size")
    r.add_argument("--tests-from", help="git revision whose tests/ to run instead of the working tree's "
                                        "(e.g. main: the suite before these tests were added)")
    r.set_defaults(func=cmd_run)
    c = sub.add_parser("recheck", help="re-run an earlier session's survivors against the current tests")
    c.add_argument("--from", required=True)
    c.add_argument("--out", default=str(REPO / ".mutation" / "recheck"))
    c.add_argument("--modules", nargs="*")
    c.set_defaults(func=cmd_recheck)
    x = sub.add_parser("crosscheck", help="re-run a sample of first-stage kills through the second stage alone")
    x.add_argument("--from", required=True)
    x.add_argument("--module", required=True)
    x.add_argument("--n", type=int, default=20)
    x.add_argument("--out", default=str(REPO / ".mutation" / "crosscheck"))
    x.set_defaults(func=cmd_crosscheck)
    s = sub.add_parser("report", help="score per module and every survivor")
    s.add_argument("session")
    s.add_argument("--markdown")
    s.set_defaults(func=cmd_report)
    m = sub.add_parser("summary", help="before/after scores and the current survivors as Markdown")
    m.add_argument("--before", nargs="+", required=True, help="session(s) run on the older tests")
    m.add_argument("--after", nargs="+", required=True, help="session(s) rechecked on the current tests")
    m.add_argument("--modules", nargs="*", help="only these modules (default: every module in the sessions)")
    m.add_argument("--markdown", default=str(HERE / "RESULTS.md"))
    m.set_defaults(func=cmd_summary)
    b = sub.add_parser("compare", help="the whole measurement in one command: run on --base's tests, "
                                       "recheck on the current tests, write the summary")
    b.add_argument("--base", default="main", help="git revision of the tests to compare against (default: main)")
    b.add_argument("--out", default=str(REPO / ".mutation" / "compare"))
    b.add_argument("--modules", nargs="*")
    b.add_argument("--markdown", default=str(HERE / "RESULTS.md"))
    b.set_defaults(func=cmd_compare)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
