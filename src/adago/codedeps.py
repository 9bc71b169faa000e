"""Which modules of the package a rule script runs, found from its imports, and a hash of them.

Snakemake re-runs a job when its script changes, but it cannot see the modules that script imports.
Each rule therefore gets, as a param, :func:`code_hash` of the package files its script imports,
directly or through other package modules: an edit to any of them re-runs the rule; an edit to a
module it never imports (or a new module, whatever its name) does not.

The import graph is read statically (``ast``), never by importing: every ``import`` and
``from ... import`` statement anywhere in a file counts, also inside functions and ``try`` blocks,
so a lazy import is a dependency too. Importing ``pkg.a.b`` runs ``pkg/__init__.py`` and
``pkg/a/__init__.py`` first, so those are dependencies as well; ``from pkg.a import b`` adds
``pkg/a/b.py`` when ``b`` is a submodule. Modules outside the package (numpy, the standard
library) are left out: their versions are recorded per run, not hashed.
"""

from __future__ import annotations

import ast
import hashlib
import os
from pathlib import Path


def module_file(name: str, root: Path, package: str) -> Path | None:
    """The file of module ``name`` (``package.x.y``) under ``root`` (the package directory), or None."""
    parts = name.split(".")
    if parts[0] != package:
        return None
    base = root.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")) if len(parts) > 1 else (root / "__init__.py",):
        if candidate.is_file():
            return candidate
    return None


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[: k + 1]) for k in range(len(parts))]


def _module_name(path: Path, root: Path, package: str) -> str:
    rel = path.relative_to(root).with_suffix("").parts
    if rel[-1] == "__init__":
        rel = rel[:-1]
    return ".".join((package, *rel))


def imports_of(path: Path, current: str | None, root: Path, package: str) -> set[str]:
    """Names of the package's modules that the file at ``path`` imports (``current``: its own module
    name, for relative imports; None for a script). A file that does not parse imports nothing here:
    the job that runs it reports the syntax error itself."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError:
        return set()
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.update(_with_parents(alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if current is None:
                    continue  # a relative import in a script is not a package import
                anchor = current.split(".")
                # In a module, level 1 is its package; in a package's __init__, the package itself.
                keep = len(anchor) - node.level + (1 if is_package else 0)
                if keep < 1:
                    continue
                base = ".".join(anchor[:keep] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.update(_with_parents(base))
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return {name for name in found if module_file(name, root, package) is not None}


def imported_files(script: str | os.PathLike, root: str | os.PathLike, package: str = "adago") -> list[Path]:
    """Every file of ``package`` (its directory is ``root``) that running ``script`` imports,
    directly or transitively, sorted."""
    root = Path(root)
    seen: dict[str, Path] = {}
    todo = sorted(imports_of(Path(script), None, root, package))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_file(name, root, package)
        seen[name] = path
        todo.extend(sorted(imports_of(path, _module_name(path, root, package), root, package) - seen.keys()))
    return sorted(set(seen.values()))


def code_hash(script: str | os.PathLike, root: str | os.PathLike, package: str = "adago") -> str:
    """sha256 (first 16 hex digits) over the relative path and content of every package file
    ``script`` imports (:func:`imported_files`): a param that changes exactly when that code does."""
    root = Path(root)
    digest = hashlib.sha256()
    for path in imported_files(script, root, package):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
