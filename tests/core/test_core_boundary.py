"""The core/Qt boundary: nothing under hlsstudio/core imports Qt, directly or through another module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import hlsstudio

PACKAGE = Path(hlsstudio.__file__).resolve().parent
CORE = PACKAGE / "core"
FORBIDDEN = ("PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "qtpy", "hlsstudio.qt", "pytestqt")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level and node.module:
            names.add(node.module)
    return names


def forbidden(name: str) -> bool:
    return any(name == bad or name.startswith(f"{bad}.") for bad in FORBIDDEN)


def test_no_core_source_file_imports_qt() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) >= 10
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(n for n in imported_modules(path) if forbidden(n))
        for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_whole_core_imports_with_qt_unavailable() -> None:
    # a fresh interpreter where any Qt import fails, as in an environment without PySide6
    script = f"""
import importlib, importlib.abc, pkgutil, sys
FORBIDDEN = {FORBIDDEN!r}
class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN):
            raise ImportError(f"{{name}} is not available to hlsstudio.core")
        return None
sys.meta_path.insert(0, NoQt())
import hlsstudio.core
loaded = []
for module in pkgutil.walk_packages(hlsstudio.core.__path__, "hlsstudio.core."):
    importlib.import_module(module.name)
    loaded.append(module.name)
leaked = sorted(m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in FORBIDDEN))
print(len(loaded), leaked)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    count, leaked = done.stdout.split(" ", 1)
    assert int(count) >= 10
    assert leaked.strip() == "[]"


def test_the_checker_would_catch_an_offender(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text(
        "import os\nfrom PySide6.QtCore import QObject\nimport hlsstudio.qt.app\n", encoding="utf-8"
    )
    assert sorted(n for n in imported_modules(sample) if forbidden(n)) == [
        "PySide6.QtCore",
        "PySide6.QtCore.QObject",
        "hlsstudio.qt.app",
    ]
