"""The house rules as tests, so `make test` and CI enforce them.

* ``ruff check`` and ``ruff format --check`` are clean over hlsstudio, tests, bench and scripts.
* ``mypy`` (strict on ``hlsstudio.core``, as pyproject.toml says) is clean on the core.
* The core never imports Qt (PySide6/PyQt/qtpy, or ``hlsstudio.qt``): no core source file names
  one, and importing every core module in a fresh interpreter where Qt imports are blocked works
  and loads no Qt module.

A failing tool check prints the tool's own output.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

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

# Run in a fresh interpreter: import every core module (and any module named on the command line)
# while a meta-path finder refuses, and records, every attempt to import a Qt module.
BLOCKED_QT_IMPORT = """
import importlib, importlib.abc, json, pkgutil, sys
QT = {qt!r}
attempts = []
def is_qt(name):
    return any(name == q or name.startswith(q + ".") for q in QT)
class BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if is_qt(name):
            attempts.append(name)
            raise ImportError(f"{{name}} is not available to hlsstudio.core")
        return None
sys.meta_path.insert(0, BlockQt())
import hlsstudio.core
names = [m.name for m in pkgutil.walk_packages(hlsstudio.core.__path__, "hlsstudio.core.")] + sys.argv[1:]
failed = {{}}
for name in names:
    try:
        importlib.import_module(name)
    except ImportError as exc:
        failed[name] = str(exc)
loaded = sorted(m for m in sys.modules if is_qt(m))
report = {{"count": len(names), "attempts": sorted(set(attempts)), "failed": failed, "loaded": loaded}}
print(json.dumps(report))
"""


def is_qt(name: str) -> bool:
    return any(name == qt or name.startswith(f"{qt}.") for qt in QT_MODULES)


def imported_names(path: Path, package: str | None = None, *, runtime_only: bool = False) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved in ``package``).

    ``runtime_only`` leaves out ``if TYPE_CHECKING:`` blocks, which only type checkers read.
    """
    package = package or ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree) if runtime_only else ():
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
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


def import_core_with_qt_blocked(*extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED_QT_IMPORT.format(qt=QT_MODULES), *extra],
        capture_output=True, text=True, timeout=180, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


# --- the core/Qt boundary -------------------------------------------------------------------------


def test_no_core_module_imports_qt_statically() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) >= 10
    offenders = {str(p.relative_to(ROOT)): sorted(filter(is_qt, imported_names(p))) for p in files}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_static_check_catches_offenders(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nfrom PySide6.QtCore import QObject\nimport hlsstudio.qt.app\nfrom .. import qt\n"
        "importlib.import_module('qtpy')\n",
        encoding="utf-8",
    )
    found = sorted(filter(is_qt, imported_names(sample, package="hlsstudio.core")))
    assert found == ["PySide6.QtCore", "PySide6.QtCore.QObject", "hlsstudio.qt", "hlsstudio.qt.app", "qtpy"]


def test_the_whole_core_imports_with_qt_blocked_and_never_loads_it() -> None:
    report = import_core_with_qt_blocked()
    assert report["count"] >= 10
    assert (report["attempts"], report["failed"], report["loaded"]) == ([], {}, [])


def test_the_blocker_refuses_and_reports_a_qt_import() -> None:
    report = import_core_with_qt_blocked("PySide6.QtCore")
    assert "PySide6" in report["attempts"]
    assert list(report["failed"]) == ["PySide6.QtCore"]
    assert "not available to hlsstudio.core" in report["failed"]["PySide6.QtCore"]
    assert report["loaded"] == []


# --- the tools ----------------------------------------------------------------------------------


def tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.is_file() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return found


def check_clean(*command: str) -> None:
    """Run ``command`` in the project root; fail with its whole output unless it exits 0."""
    done = subprocess.run(list(command), cwd=ROOT, check=False, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        shown = " ".join([Path(command[0]).name, *command[1:]])
        pytest.fail(f"{shown} exited {done.returncode}:\n{done.stdout}{done.stderr}", pytrace=False)


def test_ruff_check_is_clean() -> None:
    check_clean(tool("ruff"), "check", "--no-cache", *LINTED)


def test_ruff_format_is_clean() -> None:
    check_clean(tool("ruff"), "format", "--check", "--no-cache", *LINTED)


def test_mypy_is_strict_on_the_core() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    overrides = config["tool"]["mypy"].get("overrides", [])
    assert any(o.get("module") == "hlsstudio.core.*" and o.get("strict") is True for o in overrides)


def test_mypy_strict_on_core_is_clean() -> None:
    check_clean(tool("mypy"), "hlsstudio/core")


# --- the shape of the house -----------------------------------------------------------------------

PACKAGE = ROOT / "hlsstudio"
MAX_MODULE_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path) -> set[str]:
    """Modules of the project that ``path`` imports when it runs (``if TYPE_CHECKING:`` blocks, which
    only type checkers read, left out; imports inside functions counted: they are circles too)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    names = imported_names(path, package, runtime_only=True)
    return {n for n in names if n.startswith("hlsstudio")}


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {n for n in runtime_imports(path) if n in modules and n != name}
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of ``graph`` (a list of modules, first = last), or [] when there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_no_import_circles_anywhere() -> None:
    graph = import_graph()
    assert len(graph) > 50
    assert find_cycle(graph) == []


def test_the_circle_check_finds_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
