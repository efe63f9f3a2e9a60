"""Thread pools the app runs work on, and a synchronous stand-in for deterministic tests.

Two pools: ``encode`` runs transcodes (sized by "concurrent jobs"); ``io`` runs everything short
and plentiful — probes, folder scans, thumbnails, uploads, connection tests, log reads — so a long
encode never holds up a probe.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QRunnable, QThread, QThreadPool

from hlsstudio.core.jobs.executor import Lane, Work

IO_THREADS = 4


class Pool(Protocol):
    """The part of QThreadPool the app uses."""

    def start(self, runnable: QRunnable, priority: int = 0) -> None: ...

    def setMaxThreadCount(self, count: int) -> None: ...

    def maxThreadCount(self) -> int: ...

    def activeThreadCount(self) -> int: ...

    def waitForDone(self, msecs: int = -1) -> bool: ...

    def clear(self) -> None: ...


class SyncPool:
    """Runs each runnable at once on the calling thread (Picard-style fake pool for tests).

    A runnable started while another runs (a worker's signal handler starting the next one) is
    queued and run right after, so the stack never grows and the order is the start order.
    """

    def __init__(self) -> None:
        self._pending: deque[QRunnable] = deque()
        self._running = False
        self._max = 1

    def start(self, runnable: QRunnable, priority: int = 0) -> None:
        """Run ``runnable`` now (or right after the one running)."""
        self._pending.append(runnable)
        if self._running:
            return
        self._running = True
        try:
            while self._pending:
                self._pending.popleft().run()
        finally:
            self._running = False

    def setMaxThreadCount(self, count: int) -> None:
        """Remembered only; everything runs on the caller's thread."""
        self._max = count

    def maxThreadCount(self) -> int:
        """The last value set."""
        return self._max

    def activeThreadCount(self) -> int:
        """1 while a runnable runs, else 0."""
        return 1 if self._running else 0

    def waitForDone(self, msecs: int = -1) -> bool:
        """Always done: work finished before ``start`` returned."""
        return True

    def clear(self) -> None:
        """Forget runnables queued behind the one running."""
        self._pending.clear()


@dataclass
class Pools:
    """The encode pool and the probe/upload pool."""

    encode: Pool
    io: Pool

    def wait(self, msecs: int) -> bool:
        """Wait for both pools (at most ``msecs`` each); True when both finished."""
        return self.encode.waitForDone(msecs) and self.io.waitForDone(msecs)


def thread_pools(concurrent_jobs: int = 1) -> Pools:
    """Real QThreadPools: ``concurrent_jobs`` encode threads and a few io threads."""
    encode = QThreadPool()
    encode.setMaxThreadCount(max(1, concurrent_jobs))
    io = QThreadPool()
    io.setMaxThreadCount(max(IO_THREADS, QThread.idealThreadCount()))
    return Pools(encode=encode, io=io)


def sync_pools() -> Pools:
    """Both pools synchronous (tests where determinism matters)."""
    return Pools(encode=SyncPool(), io=SyncPool())


class _Work(QRunnable):
    """One piece of the job service's work as a runnable (the service never lets it raise)."""

    def __init__(self, work: Work, done: Callable[[_Work], None]) -> None:
        super().__init__()
        self._work, self._done = work, done

    def run(self) -> None:
        try:
            self._work()
        finally:
            self._done(self)


class QtExecutor:
    """The job service's executor in the desktop app: its lanes are the app's QThreadPools
    (``Lane.ENCODE`` -> ``pools.encode``, ``Lane.IO`` -> ``pools.io``)."""

    def __init__(self, pools: Pools) -> None:
        self.pools = pools
        self._lock = threading.Lock()
        self._alive: set[_Work] = set()  # Python must hold a runnable until it has run

    def _pool(self, lane: Lane) -> Pool:
        return self.pools.encode if lane is Lane.ENCODE else self.pools.io

    def submit(self, lane: Lane, work: Work) -> None:
        """Start ``work`` on the lane's pool."""
        runnable = _Work(work, self._forget)
        with self._lock:
            self._alive.add(runnable)
        self._pool(lane).start(runnable)

    def _forget(self, runnable: _Work) -> None:
        with self._lock:
            self._alive.discard(runnable)

    def set_capacity(self, lane: Lane, count: int) -> None:
        """Size the lane's pool (``Lane.ENCODE``: the "concurrent jobs" setting)."""
        self._pool(lane).setMaxThreadCount(max(1, count))

    def discard_pending(self) -> None:
        """Drop runnables that have not started."""
        self.pools.io.clear()
        self.pools.encode.clear()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for both pools (``timeout`` s each; None: as long as it takes)."""
        return self.pools.wait(-1 if timeout is None else int(timeout * 1000))
