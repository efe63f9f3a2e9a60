"""What the job service tells its subscribers: typed events, delivered on the thread that caused them.

A subscriber (the desktop app's controller, the CLI's progress line) gets every event and keeps what
it needs; a GUI hands them to its own thread. A subscriber that raises is logged and keeps its
subscription: one broken view never stops the queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import Progress
from hlsstudio.core.toolchain import Toolchain
from hlsstudio.core.uploads import UploadProgress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobsAdded:
    """New jobs at the end of the queue (one event for a whole drop)."""

    records: tuple[JobRecord, ...]


@dataclass(frozen=True)
class JobsChanged:
    """Jobs whose state or fields changed; ``records`` are their new versions."""

    records: tuple[JobRecord, ...]


@dataclass(frozen=True)
class JobsRemoved:
    """Jobs taken out of the queue and the history."""

    ids: frozenset[int]


@dataclass(frozen=True)
class JobsReordered:
    """The queue's new order (every job id, first to last)."""

    ids: tuple[int, ...]


@dataclass(frozen=True)
class EncodeProgress:
    """How far a job's encode is."""

    job_id: int
    progress: Progress


@dataclass(frozen=True)
class UploadReport:
    """How far a job's publish is (per file and for the whole package)."""

    job_id: int
    report: UploadProgress


@dataclass(frozen=True)
class PublishStarted:
    """A job's publish began (as part of its encode, or on its own)."""

    job_id: int


@dataclass(frozen=True)
class PublishFinished:
    """A job's publish ended; its record holds the URL or the reason."""

    job_id: int


@dataclass(frozen=True)
class QueueRunning:
    """The queue was started or paused (or ran out of work)."""

    running: bool


@dataclass(frozen=True)
class QueueFinished:
    """A run of the queue ended with nothing left to do: how many jobs were done and failed in it."""

    done: int
    failed: int


@dataclass(frozen=True)
class ToolchainChanged:
    """FFmpeg was located (``toolchain``) or not (``error``)."""

    toolchain: Toolchain | None
    error: str | None


@dataclass(frozen=True)
class BlockersChanged:
    """What keeps the queue from starting changed (see ``JobService.start_blockers``)."""

    blockers: tuple[str, ...]


@dataclass(frozen=True)
class LogLine:
    """A sentence for the user about the queue (``job_id`` None) or one job."""

    text: str
    job_id: int | None = None


JobEvent = (
    JobsAdded
    | JobsChanged
    | JobsRemoved
    | JobsReordered
    | EncodeProgress
    | UploadReport
    | PublishStarted
    | PublishFinished
    | QueueRunning
    | QueueFinished
    | ToolchainChanged
    | BlockersChanged
    | LogLine
)
Subscriber = Callable[[JobEvent], None]


class EventBus:
    """Thread-safe fan-out of events to subscribers, in the order they subscribed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Start delivering events to ``subscriber``; returns the function that stops it."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    def emit(self, event: JobEvent) -> None:
        """Deliver ``event`` to every subscriber on this thread."""
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(event)
            except Exception:
                log.exception("a job event subscriber failed on %s", type(event).__name__)
