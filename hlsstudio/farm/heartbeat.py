"""A running part's link to the board: its progress every second, and the cancel key every half second.

The cancel key is what stops a running chunk: Celery's ``revoke(terminate=True)`` would kill the pool
process and leave its ffmpeg running, so the task itself watches the key and stops its ffmpeg through
the runner (``q``, then a kill). A Redis that cannot be reached only pauses the reports: the encode
goes on, and what it finishes is kept in the bucket.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from hlsstudio.core.models import Progress
from hlsstudio.farm.progress import REDIS_ERRORS, FarmBoard

log = logging.getLogger(__name__)
CANCEL_POLL = 0.5
REPORT_EVERY = 1.0


class Heartbeat:
    """Reports one part's progress and watches its job's cancel key, on its own thread, while open."""

    def __init__(self, board: FarmBoard, job: str, part: str, frames: int = 0, rate: float = 0.0) -> None:
        """``frames``: how many frames the part encodes (0: judge by time, as for the sound);
        ``rate``: their frame rate (the speed from frames per second when ffmpeg gives none)."""
        self.board, self.job, self.part = board, job, part
        self.frames, self.rate = frames, rate
        self.cancel = threading.Event()
        self._stop = threading.Event()
        self._latest: Progress | None = None
        self._sent: Progress | None = None
        self._fields: dict[str, object] = {}
        self._fields_sent: dict[str, object] = {}
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{part}", daemon=True)

    def progress(self, progress: Progress) -> None:
        """The runner's callback: keep the latest progress (sent by the heartbeat's thread)."""
        self._latest = progress

    def note(self, **fields: object) -> None:
        """Keep fields to show on the part's record (a step, bytes sent), sent with the next report."""
        self._fields = {**self._fields, **fields}

    def speed(self, progress: Progress) -> float | None:
        """× real time: ffmpeg's figure, else frames per second over the frame rate (a chunk's ffmpeg
        says ``speed=N/A`` while an output, its thumbnails, has no frame yet)."""
        if progress.speed:
            return progress.speed
        return round(progress.fps / self.rate, 3) if progress.fps and self.rate > 0 else None

    def fraction(self, progress: Progress) -> float:
        """How far the part is, from frames encoded (a chunk's times are the title's, not its own)."""
        if progress.done:
            return 1.0
        if self.frames <= 0:
            return progress.fraction
        return min((progress.frame or 0) / self.frames, 1.0)

    def _run(self) -> None:
        ticks = 0
        while not self._stop.wait(CANCEL_POLL):
            ticks += 1
            try:
                if self.board.cancelled(self.job):
                    self.cancel.set()
                latest = self._latest
                if latest is not None and latest is not self._sent and ticks * CANCEL_POLL >= REPORT_EVERY:
                    ticks = 0
                    self._sent = latest
                    fraction = round(self.fraction(latest), 4)
                    self.board.report(
                        self.job, self.part, fraction=fraction, speed=self.speed(latest), fps=latest.fps
                    )
                fields = self._fields
                if fields != self._fields_sent:
                    self._fields_sent = fields
                    self.board.report(self.job, self.part, **fields)
            except REDIS_ERRORS as exc:
                log.debug("farm board unreachable for %s/%s: %s", self.job, self.part, exc)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
        if self._fields != self._fields_sent:  # noted after the last tick: sent now, never lost
            try:
                self.board.report(self.job, self.part, **self._fields)
            except REDIS_ERRORS as error:
                log.debug("farm board unreachable for %s/%s: %s", self.job, self.part, error)
