"""House rules as tests: the core never imports Qt, ruff is clean, mypy strict on the core is clean."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "hlsstudio" / "core"
QT_MODULES = (
    "PySide6",
    "PySide2",
    "PyQt5",
    "PyQt6",
    "shiboken6",
    "shiboken2",
    "qtpy",
    "pytestqt",
    "hlsstudio.qt",
)
LINTED = [name for name in ("hlsstudio", "tests", "bench", "scripts") if (ROOT / name).is_dir()]

# Run in a fresh interpreter: record every attempt to import a Qt module while importing modules.
IMPORT_WATCH = """
import importlib, importlib.abc, pkgutil, sys
QT = {qt!r}
attempts = []
class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == q or name.startswith(q + ".") for q in QT):
            attempts.append(name)
        return None
sys.meta_path.insert(0, Watch())
import hlsstudio.core
names = [m.name for m in pkgutil.walk_packages(hlsstudio.core.__path__, "hlsstudio.core.")] + sys.argv[1:]
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if any(m == q or m.startswith(q + ".") for q in QT))
print(len(names), sorted(set(attempts)), loaded)
"""


def is_qt(name: str) -> bool:
    return any(name == qt or name.startswith(f"{qt}.") for qt in QT_MODULES)


def imported_names(path: Path, package: str | None = None) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved in ``package``)."""
    package = package or ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (
                importlib.util.resolve_name("." * node.level + (node.module or ""), package)
                if node.level
                else node.module
            )
            names.add(base or "")
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            names.update(
                arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            )
    return names


def watch_imports(*extra: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_WATCH.format(qt=QT_MODULES), *extra],
        capture_output=True, text=True, timeout=180, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    count, rest = done.stdout.strip().split(" ", 1)
    attempts, loaded = rest.split("] [")
    return int(count), attempts + "]", "[" + loaded


def test_no_core_module_imports_qt_statically() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) >= 10
    offenders = {str(p.relative_to(ROOT)): sorted(filter(is_qt, imported_names(p))) for p in files}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_static_check_catches_offenders(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    text = (
        "import os\nfrom PySide6.QtCore import QObject\nfrom .. import qt\nimportlib.import_module('qtpy')\n"
    )
    sample.write_text(text, encoding="utf-8")
    found = sorted(filter(is_qt, imported_names(sample, package="hlsstudio.core")))
    assert found == ["PySide6.QtCore", "PySide6.QtCore.QObject", "hlsstudio.qt", "qtpy"]


def test_importing_the_whole_core_never_touches_qt() -> None:
    count, attempts, loaded = watch_imports()
    assert count >= 10
    assert (attempts, loaded) == ("[]", "[]")


@pytest.mark.skipif(importlib.util.find_spec("PySide6") is None, reason="PySide6 is not installed")
def test_the_import_watch_sees_a_qt_import() -> None:
    _count, attempts, loaded = watch_imports("PySide6.QtCore")
    assert "PySide6" in attempts and "PySide6.QtCore" in loaded


def tool_available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.mark.skipif(not tool_available("ruff"), reason="ruff is not installed (pip install -e '.[dev]')")
def test_ruff_check_is_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", *LINTED],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not tool_available("mypy"), reason="mypy is not installed (pip install -e '.[dev]')")
def test_mypy_strict_on_core_is_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "hlsstudio/core"],
        capture_output=True, text=True, timeout=600, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
