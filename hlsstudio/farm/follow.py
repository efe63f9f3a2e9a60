"""Waiting for a farm job on the desktop: progress as the job's own events, cancel, and never a hang.

``follow`` polls the board twice a second. It turns the parts' progress into the job's ``Progress``
(and hands the whole status, the per-chunk grid, to ``on_status``). It ends when the title is
stitched, and raises when a part failed for good, when the job was cancelled here, when Redis
stays unreachable past ``redis_grace``, or when no worker has reported anything for longer than a
lost task takes to be handed to another worker (visibility timeout plus a sweep). A Redis that came
back without the job (restarted without persistence) gets it again from the bucket (``resume``),
a few times at most.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from hlsstudio.core.errors import CancelledError, TranscodeError
from hlsstudio.core.models import Progress
from hlsstudio.farm.progress import REDIS_ERRORS, FarmStatus
from hlsstudio.farm.spec import FarmJob
from hlsstudio.farm.submit import BROKER_ERRORS, FarmClient

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5
MAX_RESUMES = 3
STALL_MARGIN = 120.0
STOP_WAIT = 15.0

StatusCallback = Callable[[FarmStatus], None]


def ignore_status(_: FarmStatus) -> None:
    """A status callback that does nothing."""
    return None


def stall_limit(client: FarmClient) -> float:
    """How long a job may go without any report before it is given up."""
    return client.config.visibility_timeout + 2 * client.config.restore_interval + STALL_MARGIN


def progress_of(status: FarmStatus, duration: float, started: float) -> Progress:
    """The job's progress from its parts': share done, the sum of running speeds, an ETA."""
    fraction = status.fraction
    speeds = [p.speed for p in status.parts if p.state == "running" and p.speed]
    elapsed = time.monotonic() - started
    eta = elapsed * (1 - fraction) / fraction if fraction > 0.01 else None
    return Progress(
        fraction=fraction,
        out_time=fraction * duration,
        speed=sum(speeds) or None,
        eta=eta,
        detail=progress_words(status),
    )


def progress_words(status: FarmStatus) -> str:
    """The farm job in a few words: "3 of 6 chunks · 2 encoding", "publishing on vm-a"."""
    if status.finish is not None and status.finish.state == "running":
        step = status.finish.step or "finishing"
        host = status.finish.host.rpartition("@")[2]
        return f"{step} on {host}" if host else step
    chunks = status.chunks
    if status.manifest:
        return f"{len(chunks)} chunks joined"
    finished = sum(p.state == "done" for p in chunks)
    running = sum(p.state == "running" for p in chunks)
    words = f"{finished} of {len(chunks)} chunk{'s' if len(chunks) != 1 else ''}"
    return words + (f" · {running} encoding" if running else "")


class Follower:
    """Follows one farm job until it is stitched (see the module docstring)."""

    def __init__(self, client: FarmClient, spec: FarmJob, cancel: threading.Event) -> None:
        self.client, self.spec, self.cancel = client, spec, cancel
        self.resumes = 0
        self.outage_since: float | None = None
        self.last_change = time.monotonic()
        self.seen_change = 0.0

    def _read(self) -> tuple[bool, FarmStatus | None]:
        """(Redis answered, the status: None when Redis forgot the job)."""
        try:
            status = self.client.board.status(self.spec.job)
        except REDIS_ERRORS as exc:
            now = time.monotonic()
            self.outage_since = self.outage_since or now
            if now - self.outage_since > self.client.config.redis_grace:
                raise TranscodeError(
                    f"the farm's Redis ({self.client.config.redis_address}) cannot be reached: {exc}",
                    f"unreachable for {now - self.outage_since:.0f} s",
                ) from None
            return False, None
        self.outage_since = None
        return True, status

    def _resume(self) -> None:
        if self.resumes >= MAX_RESUMES:
            raise TranscodeError("the farm's Redis keeps losing this job: it was restarted without saving")
        self.resumes += 1
        try:
            sent = self.client.resume(self.spec, self.resumes)
        except REDIS_ERRORS:
            return  # gone again: the next poll decides
        log.warning("farm job %s: Redis had forgotten it; %d parts sent again", self.spec.job, len(sent))
        self.last_change = time.monotonic()

    def _check_stall(self, status: FarmStatus) -> None:
        if status.last_change > self.seen_change:
            self.seen_change, self.last_change = status.last_change, time.monotonic()
        idle = time.monotonic() - self.last_change
        if idle <= stall_limit(self.client):
            return
        live = self.client.live_queues()
        if self.spec.queue in live and "io" in live:
            self.last_change = time.monotonic()  # workers are there: the job waits its turn
            return
        minutes = f"{idle / 60:.0f} minutes"
        raise TranscodeError(
            f"no farm worker has worked on this title for {minutes} and none serves its queue now:"
            " start the workers"
        )

    def run(
        self, duration: float, on_progress: Callable[[Progress], None], on_status: StatusCallback
    ) -> FarmStatus:
        """Wait until the title is stitched (finished and published, when a worker does that); returns
        the last status. Raises CancelledError,
        TranscodeError (a part failed, Redis unreachable, nothing happening)."""
        started = time.monotonic()
        while True:
            if self.cancel.is_set():
                raise CancelledError()
            answered, status = self._read()
            if answered and status is None:
                self._resume()
            elif status is not None:
                on_status(status)
                on_progress(progress_of(status, duration, started))
                if status.state == "failed":
                    what = "finish" if status.manifest else "encode"
                    raise TranscodeError(f"the farm could not {what} this title: {status.error}")
                if status.result or (status.manifest and self.spec.finish is None):
                    return status
                self._check_stall(status)
            self.cancel.wait(POLL_SECONDS)

    def stop(self) -> None:
        """Cancel the job on the farm and wait (a little) until no part is running any more."""
        try:
            self.client.cancel(self.spec)
            deadline = time.monotonic() + STOP_WAIT
            while time.monotonic() < deadline:
                status = self.client.board.status(self.spec.job)
                if status is None:
                    return
                working = [*status.parts, *([status.finish] if status.finish is not None else [])]
                if not any(p.state == "running" for p in working):  # the publishing worker too
                    return
                time.sleep(POLL_SECONDS)
        except BROKER_ERRORS as exc:
            log.warning("farm job %s: cancel could not reach Redis: %s", self.spec.job, exc)
