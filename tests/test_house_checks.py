"""The house rules as tests, so `make test` and CI enforce them: ruff lint and format, mypy strict on core."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINTED = [p for p in ("hlsstudio", "tests", "bench", "scripts") if (ROOT / p).is_dir()]


def tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.is_file() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=ROOT, check=False, capture_output=True, text=True, timeout=600)


def test_ruff_lint_is_clean() -> None:
    done = run(tool("ruff"), "check", "--no-cache", *LINTED)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_clean() -> None:
    done = run(tool("ruff"), "format", "--check", "--no-cache", *LINTED)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_on_core_is_clean() -> None:
    done = run(tool("mypy"), "hlsstudio/core")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "strict" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
