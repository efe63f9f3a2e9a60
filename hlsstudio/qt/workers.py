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
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Signal

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.publish import UploadProgress
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
