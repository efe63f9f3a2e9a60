"""The publish line: finished packages are published one at a time on the I/O lane.

This is the publish stage on its own (the Publish button, a retry that only publishes); a job that
publishes as part of its encode runs the same stage inside its own run.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobs.executor import Executor, Lane
from hlsstudio.core.models import PublishResult

log = logging.getLogger(__name__)

PublishWork = Callable[[int, threading.Event], PublishResult]
Outcome = Callable[[int, PublishResult | BaseException], None]


def described(exc: BaseException) -> tuple[str, str]:
    """(one-line message, technical detail) of any exception."""
    if isinstance(exc, HlsStudioError):
        return exc.message, exc.detail
    return f"internal error: {type(exc).__name__}: {exc}", ""


class PublishLine:
    """Runs ``work(job_id, cancel)`` for one job at a time and reports each ``outcome``."""

    def __init__(self, executor: Executor, work: PublishWork, outcome: Outcome) -> None:
        self._executor, self._work, self._outcome = executor, work, outcome
        self._lock = threading.RLock()
        self._line: deque[int] = deque()
        self._current: dict[int, threading.Event] = {}

    @property
    def busy(self) -> bool:
        """True while a publish runs or waits."""
        with self._lock:
            return bool(self._line or self._current)

    @property
    def running(self) -> int:
        """Publishes running now (0 or 1)."""
        return len(self._current)

    def handles(self, job_id: int) -> bool:
        """True when this job is being or waiting to be published."""
        with self._lock:
            return job_id in self._current or job_id in self._line

    def waiting(self, job_id: int) -> bool:
        """True when this job waits for its turn."""
        with self._lock:
            return job_id in self._line

    def add(self, job_id: int) -> None:
        """Publish this job after the ones already waiting."""
        with self._lock:
            self._line.append(job_id)
        self._next()

    def cancel(self, job_id: int) -> bool:
        """Cancel a running or waiting publish; False when this job is not being published."""
        with self._lock:
            if job_id in self._current:
                self._current[job_id].set()
                return True
            if job_id in self._line:
                self._line.remove(job_id)
                return True
        return False

    def cancel_all(self) -> list[int]:
        """Cancel everything; returns the ids that were running."""
        with self._lock:
            self._line.clear()
            for event in self._current.values():
                event.set()
            return list(self._current)

    def _next(self) -> None:
        with self._lock:
            if self._current or not self._line:
                return
            job_id = self._line.popleft()
            cancel = threading.Event()
            self._current[job_id] = cancel
        self._executor.submit(Lane.IO, lambda: self._run(job_id, cancel))

    def _run(self, job_id: int, cancel: threading.Event) -> None:
        outcome: PublishResult | BaseException
        try:
            outcome = self._work(job_id, cancel)
        except Exception as exc:
            if not isinstance(exc, HlsStudioError):
                log.exception("publishing job %s failed unexpectedly", job_id)
            outcome = exc
        with self._lock:
            self._current.pop(job_id, None)
        try:
            self._outcome(job_id, outcome)
        finally:
            self._next()
