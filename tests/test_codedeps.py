"""adago.codedeps: a rule's code dependencies are the package files its script imports, found statically."""

from __future__ import annotations

from pathlib import Path

import pytest

from adago.codedeps import code_hash, imported_files

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "adago"


def _package(root: Path, files: dict[str, str]) -> Path:
    """A package ``pkg`` under ``root`` with ``files`` (relative path -> source)."""
    for rel, text in files.items():
        path = root / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


@pytest.fixture
def pkg(tmp_path):
    return _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg import b\nimport numpy\n",
        "b.py": "def f():\n    from pkg.sub import lazy  # imported inside a function: still a dependency\n",
        "sub/__init__.py": "from . import shared\n",
        "sub/lazy.py": "from .shared import X\nfrom .. import c\n",
        "sub/shared.py": "X = 1\n",
        "c.py": "import pkg.a  # a cycle back to a\n",
        "d.py": "import pkg.sub.shared as s\n",
        "unrelated.py": "",
        "a_like.py": "",  # a name that starts like an imported module's
    })


def _names(files, root):
    return [p.relative_to(root).as_posix() for p in files]


def test_imports_are_followed_transitively_through_functions_relative_imports_and_cycles(pkg, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("from pkg.a import something\n")
    assert _names(imported_files(script, pkg, "pkg"), pkg) == [
        "__init__.py", "a.py", "b.py", "c.py", "sub/__init__.py", "sub/lazy.py", "sub/shared.py"]


def test_importing_a_submodule_includes_every_package_init_on_its_way(pkg, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import pkg.sub.shared\n")
    assert _names(imported_files(script, pkg, "pkg"), pkg) == ["__init__.py", "sub/__init__.py", "sub/shared.py"]


def test_from_package_import_submodule_counts_the_submodule(pkg, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("from pkg import d\n")
    assert "d.py" in _names(imported_files(script, pkg, "pkg"), pkg)


def test_the_hash_follows_imported_code_only(pkg, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("from pkg import a\n")
    before = code_hash(script, pkg, "pkg")
    (pkg / "unrelated.py").write_text("x = 2\n")
    (pkg / "a_like.py").write_text("x = 3\n")
    (pkg / "a_new.py").write_text("x = 4\n")  # a new module whose name starts like an imported one
    assert code_hash(script, pkg, "pkg") == before
    (pkg / "sub/shared.py").write_text("X = 2\n")  # three imports away
    assert code_hash(script, pkg, "pkg") != before


def test_a_file_that_does_not_parse_is_hashed_but_not_followed(pkg, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("from pkg import a\n")
    (pkg / "b.py").write_text("def broken(:\n")
    files = _names(imported_files(script, pkg, "pkg"), pkg)
    assert "b.py" in files and "sub/lazy.py" not in files


def test_the_training_script_depends_on_the_modules_it_reaches_and_not_on_the_plots():
    files = _names(imported_files(REPO / "workflow/scripts/train.py", SRC), SRC)
    # issue 9: dataset and splitting were missing from the hand-kept list
    for module in ("dataset.py", "splitting.py", "training.py", "metrics.py", "stopping.py", "runio.py"):
        assert module in files, module
    for module in ("figures.py", "tables.py", "claims.py", "download.py", "readers.py", "codedeps.py"):
        assert module not in files, module


def test_the_prepare_script_does_not_depend_on_the_splitting_code():
    files = _names(imported_files(REPO / "workflow/scripts/prepare.py", SRC), SRC)
    assert "readers.py" in files and "steps/prepare.py" in files
    assert "splitting.py" not in files and "steps/split.py" not in files
