"""QRunnable workers (superqt style): signals live on a separate QObject, ``run()`` calls the core.

Workers never touch widgets: they emit signals, which Qt queues to the GUI thread because the
signal objects and their receivers live there. Cancellation is a ``threading.Event`` the core
checks. No exception escapes ``run()``: an unexpected one becomes an error for its own item.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Signal

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.models import ContentType, JobResult, JobState, MediaInfo, Progress
from hlsstudio.core.pipeline import JobCallbacks, JobRequest
from hlsstudio.core.publish import UploadProgress
from hlsstudio.core.settings import DestinationSettings
from hlsstudio.core.toolchain import Toolchain
from hlsstudio.qt import tasks

log = logging.getLogger(__name__)
_serials = itertools.count(1)
UPLOAD_REPORT_INTERVAL = 0.1  # seconds between byte-count reports of one file


class UploadThrottle:
    """Passes on upload reports sparingly: every state change, bytes at most every 0.1 s per file.

    Reports carry the package totals, so skipping intermediate byte counts loses nothing on screen,
    while a multi-gigabyte upload no longer floods the GUI thread with a signal per chunk.
    """

    def __init__(
        self, emit: Callable[[UploadProgress], None], interval: float = UPLOAD_REPORT_INTERVAL
    ) -> None:
        self._emit = emit
        self._interval = interval
        self._lock = threading.Lock()
        self._last: dict[str, tuple[str, float]] = {}

    def __call__(self, report: UploadProgress) -> None:
        now = time.monotonic()
        with self._lock:
            state, at = self._last.get(report.file, ("", 0.0))
            if report.state.value == state and now - at < self._interval:
                return
            self._last[report.file] = (report.state.value, now)
        self._emit(report)


class CallSignals(QObject):
    """Signals of a CallWorker: ``tag`` is whatever the caller uses to recognise the answer."""

    started = Signal(object)
    done = Signal(object, object)  # tag, value
    failed = Signal(object, object)  # tag, HlsStudioError
    released = Signal(int)  # the worker's serial, always last


class CallWorker(QRunnable):
    """Runs one blocking function and reports its value or its error (probe, scan, poster …)."""

    def __init__(self, tag: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.tag = tag
        self.serial = next(_serials)
        self.signals = CallSignals()
        self._call = (fn, args, kwargs)

    def run(self) -> None:
        fn, args, kwargs = self._call
        self.signals.started.emit(self.tag)
        try:
            value = fn(*args, **kwargs)
        except Exception as exc:
            if not isinstance(exc, HlsStudioError):
                log.exception("background task %s failed", getattr(fn, "__name__", fn))
            message, detail = tasks.describe_exception(exc)
            self.signals.failed.emit(self.tag, HlsStudioError(message, detail))
        else:
            self.signals.done.emit(self.tag, value)
        self.signals.released.emit(self.serial)


class JobSignals(QObject):
    """Signals of one encode job (the int is the job id)."""

    state = Signal(int, object)  # JobState
    progress = Signal(int, object)  # Progress
    upload = Signal(int, object)  # UploadProgress
    finished = Signal(int, object)  # JobResult


class JobWorker(QRunnable):
    """Transcodes one source (and publishes it when asked) through ``core.pipeline.run_job``."""

    def __init__(
        self,
        job_id: int,
        request: JobRequest,
        *,
        toolchain: Toolchain,
        info: MediaInfo | None,
        destination_settings: DestinationSettings | None,
        keep_local: bool,
        not_published: str | None = None,
    ) -> None:
        super().__init__()
        self.job_id = job_id
        self.request = request
        self.toolchain = toolchain
        self.info = info
        self.destination_settings = destination_settings
        self.keep_local = keep_local
        self.not_published = not_published
        """Why a publish that was wanted cannot happen (the encode still runs; the result says why)."""
        self.cancel = threading.Event()
        self.signals = JobSignals()

    def _callbacks(self) -> JobCallbacks:
        job_id, signals = self.job_id, self.signals

        def on_state(state: JobState) -> None:
            signals.state.emit(job_id, state)

        def on_progress(progress: Progress) -> None:
            signals.progress.emit(job_id, progress)

        def on_upload(report: UploadProgress) -> None:
            signals.upload.emit(job_id, report)

        return JobCallbacks(on_state=on_state, on_progress=on_progress, on_upload=UploadThrottle(on_upload))

    def run(self) -> None:
        try:
            result = tasks.run_encode_job(
                self.request,
                toolchain=self.toolchain,
                info=self.info,
                destination_settings=self.destination_settings,
                keep_local=self.keep_local,
                callbacks=self._callbacks(),
                cancel=self.cancel,
            )
        except Exception as exc:  # run_job does not raise for a job's failure; this is a bug
            log.exception("job %s crashed", self.job_id)
            message, detail = tasks.describe_exception(exc)
            result = JobResult(
                status="failed", source=str(self.request.source), error=message, error_detail=detail
            )
        if self.not_published and result.status == "completed":
            # as when the destination cannot be built: the package is made, a retry only publishes
            error = f"not published: {self.not_published}"
            result = result.model_copy(update={"status": "failed", "error": error, "error_detail": None})
        self.signals.finished.emit(self.job_id, result)


class PublishSignals(QObject):
    """Signals of one publish (the int is the job id)."""

    upload = Signal(int, object)  # UploadProgress
    finished = Signal(int, object)  # PublishResult
    failed = Signal(int, object)  # HlsStudioError (CancelledError when cancelled)


class PublishWorker(QRunnable):
    """Publishes a finished package folder through ``core.publish.publish_package``."""

    def __init__(
        self,
        job_id: int,
        package_dir: Path,
        settings: DestinationSettings,
        content_type: ContentType,
        content_id: str,
        *,
        keep_local: bool,
    ) -> None:
        super().__init__()
        self.job_id = job_id
        self.package_dir = package_dir
        self.settings = settings
        self.content_type = content_type
        self.content_id = content_id
        self.keep_local = keep_local
        self.cancel = threading.Event()
        self.signals = PublishSignals()

    def run(self) -> None:
        job_id, signals = self.job_id, self.signals

        def on_progress(report: UploadProgress) -> None:
            signals.upload.emit(job_id, report)

        try:
            result = tasks.publish_output(
                self.package_dir,
                self.settings,
                self.content_type,
                self.content_id,
                keep_local=self.keep_local,
                on_progress=UploadThrottle(on_progress),
                cancel=self.cancel,
            )
        except Exception as exc:
            if not isinstance(exc, HlsStudioError):
                log.exception("publishing job %s crashed", job_id)
                exc = HlsStudioError(*tasks.describe_exception(exc))
            signals.failed.emit(job_id, exc)
            return
        signals.finished.emit(job_id, result)
