"""What the screenshot scripts share: waiting on the app, letting it settle, small subtitle files."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication

TIMEOUT = 240.0


def wait(app: QApplication, condition: Callable[[], bool], what: str | Callable[[], str]) -> None:
    """Process events until ``condition`` holds; exit with a message after TIMEOUT seconds (``what``
    may be a function, to say how things stand then)."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {what if isinstance(what, str) else what()}")
        app.processEvents()
        time.sleep(0.02)


def settle(app: QApplication, seconds: float = 0.6) -> None:
    """Let pending repaints, frames and layout changes land."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)


def write_srt(path: Path, lines: list[str], *, start: float = 0.0, end: float = 1.5) -> Path:
    """An SRT file: cue n of ``lines`` from 2n + ``start`` to 2n + ``end`` seconds (both under 10)."""

    def stamp(seconds: float) -> str:
        whole = int(seconds)
        return f"00:00:{whole:02d},{round((seconds - whole) * 1000):03d}"

    cues = [
        f"{n + 1}\n{stamp(2 * n + start)} --> {stamp(2 * n + end)}\n{text}\n" for n, text in enumerate(lines)
    ]
    path.write_text("\n".join(cues), encoding="utf-8")
    return path
