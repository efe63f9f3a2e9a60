"""Run one ffmpeg process: progress through a callback, cancel, stall timeout, no orphans.

stdout carries ``-progress pipe:1`` blocks, stderr is drained by its own thread into a bounded
tail (never read one pipe while the other fills), stdin is a pipe so ``q`` stops ffmpeg cleanly;
a kill follows when it does not stop in time. ffmpeg is started by ``proc.spawn``: it is registered
while it runs (an exiting interpreter kills what is left) and tied to the app's life, so it dies
with the app even after a ``kill -9`` (see ``hlsstudio.core.proc``).
"""

from __future__ import annotations

import collections
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from hlsstudio.core.errors import CancelledError, StallError, TranscodeError
from hlsstudio.core.models import Progress
from hlsstudio.core.proc import forget, spawn
from hlsstudio.core.progress import ProgressParser

STDERR_TAIL_LINES = 200
QUIT_GRACE_SECONDS = 5.0
POLL_SECONDS = 0.2


@dataclass
class RunOutcome:
    """How ffmpeg ended: exit code, the kept stderr tail and the last progress seen."""

    returncode: int
    stderr_tail: str
    last_progress: Progress | None = None
    progress_seen: bool = False
    elapsed: float = 0.0


@dataclass
class _Watch:
    last_activity: float = field(default_factory=time.monotonic)
    last_progress: Progress | None = None
    progress_seen: bool = False


def with_progress_args(args: list[str]) -> list[str]:
    """``args`` with ``-progress pipe:1 -nostats`` inserted right after the binary."""
    return [args[0], "-progress", "pipe:1", "-nostats", *args[1:]]


def _drain_stderr(stream: IO[bytes], tail: collections.deque[str]) -> None:
    for raw in iter(stream.readline, b""):
        tail.append(raw.decode("utf-8", "replace").rstrip())


def _read_progress(
    stream: IO[bytes], parser: ProgressParser, watch: _Watch, on_progress: Callable[[Progress], None] | None
) -> None:
    for raw in iter(stream.readline, b""):
        progress = parser.feed(raw.decode("utf-8", "replace"))
        if progress is None:
            continue
        previous = watch.last_progress
        # a block repeating the same position is not progress: ffmpeg writes one every 0.5 s regardless
        if previous is None or progress.out_time > previous.out_time or progress.done:
            watch.last_activity = time.monotonic()
        watch.last_progress = progress
        watch.progress_seen = watch.progress_seen or progress.out_time > 0
        if on_progress is not None:
            on_progress(progress)


def _unless_cancelled(
    on_progress: Callable[[Progress], None] | None, cancel: threading.Event
) -> Callable[[Progress], None] | None:
    # after 'q' ffmpeg still writes a final "progress=end" block: a cancelled job must not show 100%
    if on_progress is None:
        return None

    def forward(progress: Progress) -> None:
        if not cancel.is_set():
            on_progress(progress)

    return forward


def stop_process(proc: subprocess.Popen[bytes], grace: float = QUIT_GRACE_SECONDS) -> None:
    """Ask ffmpeg to quit ('q' on stdin), then kill it if it has not exited after ``grace`` s."""
    if proc.poll() is not None:
        return
    try:
        if proc.stdin is not None:
            proc.stdin.write(b"q\n")
            proc.stdin.flush()
    except OSError:
        pass  # stdin already closed: go straight to the kill
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_ffmpeg(
    args: list[str],
    *,
    duration: float,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    stall_timeout: float = 120.0,
) -> RunOutcome:
    """Run ffmpeg ``args`` (progress options are added here) until it exits.

    Returns the outcome (non-zero exit codes are the caller's to judge). Raises CancelledError when
    ``cancel`` is set (ffmpeg is stopped first), StallError when the output position did not advance
    for ``stall_timeout`` s, TranscodeError when ffmpeg cannot be started. The process is always
    gone when this returns or raises.
    """
    cancel = cancel or threading.Event()
    if cancel.is_set():
        raise CancelledError()
    try:
        # this thread waits for ffmpeg below: on Linux ffmpeg gets SIGKILL when the thread that
        # started it ends, so it must not be started from a thread that returns before it exits
        proc = spawn(
            with_progress_args(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except OSError as exc:
        raise TranscodeError(f"cannot start ffmpeg: {exc}") from exc
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    watch = _Watch()
    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        threading.Thread(target=_drain_stderr, args=(proc.stderr, tail), daemon=True),
        threading.Thread(
            target=_read_progress,
            args=(proc.stdout, ProgressParser(duration), watch, _unless_cancelled(on_progress, cancel)),
            daemon=True,
        ),
    ]
    for reader in readers:
        reader.start()
    started = time.monotonic()
    try:
        _wait(proc, cancel, watch, stall_timeout)
    finally:
        if proc.poll() is None:
            stop_process(proc, grace=1.0)
        for reader in readers:
            reader.join(timeout=5.0)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        forget(proc)
    return RunOutcome(
        returncode=proc.returncode,
        stderr_tail="\n".join(tail),
        last_progress=watch.last_progress,
        progress_seen=watch.progress_seen,
        elapsed=time.monotonic() - started,
    )


def _wait(proc: subprocess.Popen[bytes], cancel: threading.Event, watch: _Watch, stall: float) -> None:
    while proc.poll() is None:
        if cancel.wait(POLL_SECONDS):
            stop_process(proc)
            raise CancelledError()
        if time.monotonic() - watch.last_activity > stall:
            proc.kill()
            proc.wait()
            raise StallError(f"ffmpeg made no progress for {stall:g} s and was stopped")
