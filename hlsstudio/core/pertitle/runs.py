"""Running the analysis's FFmpeg processes: cancellable, bounded, and each one's CPU time measured.

Every child starts through ``proc.spawn`` (tied to the app's life). Its stderr goes to a file (nothing
to drain), its progress to another (``-progress FILE``) read while it runs. On POSIX the child is reaped
with ``os.wait4``, which reports the CPU time of that child alone: the analysis's cost is the sum over
its own children, untouched by other jobs' processes ending meanwhile (a whole-process
``RUSAGE_CHILDREN`` delta would count them). Where ``wait4`` does not exist (Windows) the cost reads 0.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hlsstudio.core.errors import CancelledError, TranscodeError
from hlsstudio.core.proc import forget, spawn

POLL_SECONDS = 0.1
STDERR_TAIL_CHARS = 4000
PROGRESS_TAIL_BYTES = 2048


@dataclass(frozen=True)
class ChildRun:
    """How one child ended: exit code, the end of its stderr, its CPU time (user + system, s)."""

    returncode: int
    stderr: str
    cpu_seconds: float

    def last_line(self) -> str:
        """The last non-empty stderr line (what FFmpeg says went wrong), or "no message"."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else "no message"


class CpuMeter:
    """The CPU time the analysis's children used so far (thread-safe sum)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seconds = 0.0

    def add(self, seconds: float) -> None:
        with self._lock:
            self._seconds += seconds

    @property
    def seconds(self) -> float:
        with self._lock:
            return self._seconds


def progress_seconds(path: Path) -> float | None:
    """The last ``out_time_us`` of an FFmpeg ``-progress`` file, in seconds (None before the first)."""
    try:
        with path.open("rb") as stream:
            stream.seek(0, os.SEEK_END)
            stream.seek(max(0, stream.tell() - PROGRESS_TAIL_BYTES))
            text = stream.read().decode("utf-8", "replace")
    except OSError:
        return None
    for line in reversed(text.splitlines()):
        key, _, value = line.partition("=")
        if key.strip() == "out_time_us" and value.strip().lstrip("-").isdigit():
            return max(0, int(value)) / 1e6
    return None


def _reap(proc: subprocess.Popen[bytes], block: bool) -> float | None:
    """Reap ``proc`` if it ended (or wait when ``block``): its CPU seconds, None while it runs."""
    if hasattr(os, "wait4"):
        try:
            pid, status, usage = os.wait4(proc.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere: it has ended, its figures are lost
            proc.returncode = -1 if proc.returncode is None else proc.returncode
            return 0.0
        if pid == 0:
            return None
        proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for it again
        return usage.ru_utime + usage.ru_stime
    if block:
        proc.wait()
    return 0.0 if proc.poll() is not None else None


def _kill(proc: subprocess.Popen[bytes]) -> float:
    """Kill ``proc`` unless it was reaped already, reap it, and return its CPU seconds."""
    if proc.returncode is not None:
        return 0.0
    with contextlib.suppress(OSError):  # it has just exited: reaped below all the same
        proc.kill()
    return _reap(proc, block=True) or 0.0


def run_child(
    args: list[str],
    *,
    cancel: threading.Event,
    timeout: float,
    stderr_path: Path,
    meter: CpuMeter | None = None,
    progress_path: Path | None = None,
    on_position: Callable[[float], None] | None = None,
) -> ChildRun:
    """Run ``args`` to its end and return how it ended (a non-zero exit is the caller's to judge).

    ``progress_path``: the file ``args`` gives FFmpeg's ``-progress``; ``on_position`` then gets the
    output position (s) as it grows. The child's CPU time is added to ``meter``. Raises CancelledError
    as soon as ``cancel`` is set, TranscodeError when it runs past ``timeout`` s or cannot start; the
    child is killed and reaped before any of these is raised.
    """
    if cancel.is_set():
        raise CancelledError()
    with stderr_path.open("wb") as stderr:
        try:
            proc = spawn(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
        except OSError as exc:
            raise TranscodeError(f"cannot start {Path(args[0]).name}: {exc}") from exc
    deadline = time.monotonic() + timeout
    cpu: float | None = None
    try:
        while cpu is None:
            if cancel.wait(POLL_SECONDS):
                raise CancelledError()
            if time.monotonic() > deadline:
                raise TranscodeError(f"{Path(args[0]).name} did not finish within {timeout:g} s")
            if progress_path is not None and on_position is not None:
                position = progress_seconds(progress_path)
                if position is not None:
                    on_position(position)
            cpu = _reap(proc, block=False)
    except BaseException:
        spent = _kill(proc)
        if meter is not None:
            meter.add(spent)
        raise
    finally:
        forget(proc)
    if meter is not None:
        meter.add(cpu)
    try:
        text = stderr_path.read_bytes()[-STDERR_TAIL_CHARS:].decode("utf-8", "replace")
    except OSError:
        text = ""
    return ChildRun(proc.returncode if proc.returncode is not None else -1, text, cpu)
