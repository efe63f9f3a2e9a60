"""Publishing finished packages, one at a time, on the io pool (the Publish button and retries).

Packages published as part of an encode (auto-publish) go through ``run_job`` instead; both paths
report per-file progress through the same signals so the publish panel shows either.

Once the app is closing, answers of publishes still under way are dropped: the controller has
recorded those jobs as interrupted and the job store may already be closed.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from hlsstudio.core.errors import CancelledError, HlsStudioError
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import JobState, PublishResult
from hlsstudio.core.publish import UploadProgress
from hlsstudio.core.storage.base import CONTENT_ID_RE, MASTER_NAME
from hlsstudio.qt.workers import PublishWorker

if TYPE_CHECKING:
    from hlsstudio.qt.queue_controller import QueueController


def package_dir(record: JobRecord) -> Path | None:
    """The finished local package of a job, if it has one."""
    if record.result is None or not record.result.output_dir:
        return None
    if record.result.validation is not None and not record.result.validation.ok:
        return None
    return Path(record.result.output_dir)


def intact_package(record: JobRecord) -> Path | None:
    """The job's finished local package when it is still complete on disk (its master is there)."""
    folder = package_dir(record)
    return folder if folder is not None and (folder / MASTER_NAME).is_file() else None


def content_id_problem(content_id: str) -> str | None:
    """Why ``content_id`` cannot name a published package (None: it can)."""
    if CONTENT_ID_RE.fullmatch(content_id):
        return None
    if not content_id.strip():
        return "there is no content id: set one (letters, digits, '-' or '_')"
    return f"content id {content_id!r} is not valid: use 1-128 letters, digits, '-' or '_'"


def publish_problem(record: JobRecord) -> str | None:
    """Why this job cannot be published now (None: it can)."""
    if not CONTENT_ID_RE.fullmatch(record.content_id):
        return "set a content id (letters, digits, '-' or '_') before publishing"
    folder = package_dir(record)
    if folder is None:
        return "there is no finished package to publish: run the job first"
    if not (folder / MASTER_NAME).is_file():
        return f"the local package {folder} is gone: retry to encode it again"
    return None


class Publisher(QObject):
    """A queue of publishes; the controller owns it and hands it jobs."""

    started = Signal(int)  # job id
    upload = Signal(int, object)  # job id, UploadProgress
    finished = Signal(int)  # job id (its record holds the URL or the error)

    def __init__(self, controller: QueueController) -> None:
        super().__init__(controller)
        self._controller = controller
        self._queue: deque[int] = deque()
        self._workers: dict[int, PublishWorker] = {}

    @property
    def busy(self) -> bool:
        """True while a publish runs or waits."""
        return bool(self._queue or self._workers)

    def is_handling(self, job_id: int) -> bool:
        """True when this job is being or waiting to be published here."""
        return job_id in self._workers or job_id in self._queue

    def enqueue(self, record: JobRecord) -> bool:
        """Queue a publish of a finished job; False (with a message) when it cannot be published."""
        problem = publish_problem(record)
        if problem:
            self._controller.message.emit(f"{record.name}: {problem}")
            return False
        if self.is_handling(record.id):
            return False
        self._controller.transition(record.id, JobState.PUBLISHING)
        self._queue.append(record.id)
        self._next()
        return True

    def cancel(self, job_id: int) -> bool:
        """Cancel a running or waiting publish; False when this job is not being published here."""
        if job_id in self._workers:
            self._workers[job_id].cancel.set()
            return True
        if job_id in self._queue:
            self._queue.remove(job_id)
            self._controller.transition(job_id, JobState.CANCELLED, error="publishing cancelled")
            self.finished.emit(job_id)
            return True
        return False

    def cancel_all(self) -> list[int]:
        """Cancel everything; returns the ids that were running."""
        for job_id in list(self._queue):
            self.cancel(job_id)
        for worker in self._workers.values():
            worker.cancel.set()
        return list(self._workers)

    def _next(self) -> None:
        if self._workers or not self._queue:
            return
        job_id = self._queue.popleft()
        record = self._controller.model.record(job_id)
        folder = package_dir(record) if record else None
        if record is None or folder is None:
            self._next()
            return
        settings = self._controller.settings
        worker = PublishWorker(
            job_id,
            folder,
            settings.destination,
            record.content_type,
            record.content_id,
            keep_local=settings.keep_local_after_publish,
        )
        worker.signals.upload.connect(self._on_upload)
        worker.signals.finished.connect(self._on_finished)
        worker.signals.failed.connect(self._on_failed)
        self._workers[job_id] = worker
        self.started.emit(job_id)
        self._controller.pools.io.start(worker)

    def _on_upload(self, job_id: int, report: UploadProgress) -> None:
        if self._controller.closing:
            return
        self._controller.model.set_upload(job_id, report)
        self.upload.emit(job_id, report)

    def _on_finished(self, job_id: int, published: PublishResult) -> None:
        self._workers.pop(job_id, None)
        if self._controller.closing:
            return
        record = self._controller.model.record(job_id)
        if record is not None and record.result is not None:
            update: dict[str, object] = {"publish": published, "hls_url": published.hls_url}
            if not self._controller.settings.keep_local_after_publish:
                update["output_dir"] = None
            result = record.result.model_copy(update=update)
            self._controller.transition(job_id, JobState.DONE, result=result, hls_url=published.hls_url)
        self.finished.emit(job_id)
        self._next()
        self._controller.check_finished()

    def _on_failed(self, job_id: int, error: HlsStudioError) -> None:
        self._workers.pop(job_id, None)
        if self._controller.closing:
            return
        if self._controller.model.record(job_id) is not None:
            if isinstance(error, CancelledError):
                self._controller.transition(job_id, JobState.CANCELLED, error="publishing cancelled")
            else:
                message = f"publishing failed: {error.message}"
                self._controller.transition(job_id, JobState.FAILED, error=message, error_detail=error.detail)
        self.finished.emit(job_id)
        self._next()
        self._controller.check_finished()
