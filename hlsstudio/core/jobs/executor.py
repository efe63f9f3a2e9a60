"""Where a job's work runs: behind one small interface, so the service never knows which.

Two lanes: ``ENCODE`` runs whole jobs (ffmpeg, minutes to hours; the service starts at most
"concurrent jobs" of them) and ``IO`` runs the short, plentiful work (probes, publishes, locating
FFmpeg) so a long encode never holds up a probe. Implementations: ``ThreadExecutor`` (plain thread
pools: the CLI), ``InlineExecutor`` (runs on the caller's thread: deterministic tests), and the
desktop app's QThreadPool executor (``hlsstudio.qt.pools``). Remote workers would be another.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

Work = Callable[[], None]
ENCODE_THREADS = 8
IO_THREADS = 4


class Lane(StrEnum):
    """Which kind of work: whole jobs, or short I/O-bound tasks."""

    ENCODE = "encode"
    IO = "io"


@dataclass(frozen=True)
class JobWork:
    """A whole job's work on the encode lane, and where its encode runs (``JobRequest.runs_on``): an
    executor that knows a render farm sends the encode of a ``farm`` job there; any other executor
    simply runs it."""

    work: Work
    runs_on: str = "local"

    def __call__(self) -> None:
        """Run the job."""
        self.work()


class Executor(Protocol):
    """Runs the service's work somewhere. ``work`` never raises (the service catches everything)."""

    def submit(self, lane: Lane, work: Work) -> None:
        """Run ``work`` on ``lane`` (now or soon)."""
        ...

    def set_capacity(self, lane: Lane, count: int) -> None:
        """How many works of ``lane`` may run at once."""
        ...

    def discard_pending(self) -> None:
        """Forget works submitted but not started (shutting down)."""
        ...

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every submitted work has ended; False when ``timeout`` s passed first."""
        ...


class ThreadExecutor:
    """Plain thread pools, one per lane (the command line's executor)."""

    def __init__(self, encode_threads: int = 1, io_threads: int = IO_THREADS) -> None:
        self._pools = {
            Lane.ENCODE: ThreadPoolExecutor(max(1, encode_threads), thread_name_prefix="job"),
            Lane.IO: ThreadPoolExecutor(max(1, io_threads), thread_name_prefix="job-io"),
        }
        self._lock = threading.Lock()
        self._futures: set[Future[None]] = set()

    def submit(self, lane: Lane, work: Work) -> None:
        """Run ``work`` on the lane's pool."""
        future = self._pools[lane].submit(work)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def set_capacity(self, lane: Lane, count: int) -> None:
        """Fixed at creation here: the service itself never starts more than its limit."""

    def discard_pending(self) -> None:
        """Cancel works that have not started."""
        with self._lock:
            pending = list(self._futures)
        for future in pending:
            future.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for every submitted work (including works they submit meanwhile)."""
        while True:
            with self._lock:
                pending = list(self._futures)
            if not pending:
                return True
            _done, not_done = wait_futures(pending, timeout=timeout)
            if not_done:
                return False

    def shutdown(self) -> None:
        """Stop the pools after their works end."""
        for pool in self._pools.values():
            pool.shutdown(wait=True)


class InlineExecutor:
    """Runs every work at once on the calling thread; a work submitted by a running work runs right
    after it, so the stack never grows and the order is the submission order."""

    def __init__(self) -> None:
        self._pending: deque[Work] = deque()
        self._running = False

    def submit(self, lane: Lane, work: Work) -> None:
        """Run ``work`` now (or right after the one running)."""
        self._pending.append(work)
        if self._running:
            return
        self._running = True
        try:
            while self._pending:
                self._pending.popleft()()
        finally:
            self._running = False

    def set_capacity(self, lane: Lane, count: int) -> None:
        """Nothing to size: everything runs on the caller's thread."""

    def discard_pending(self) -> None:
        """Forget works queued behind the one running."""
        self._pending.clear()

    def wait(self, timeout: float | None = None) -> bool:
        """Always done: work finished before ``submit`` returned."""
        return True
