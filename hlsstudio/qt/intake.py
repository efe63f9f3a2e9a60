"""Taking files in: dropped or picked files and folders are scanned in a worker and handed to the job
service, which adds and probes them (``core.jobs.probing``: a few probes at a time, at a lower CPU
priority, answers stored in batches, so hundreds of files dropped at once never freeze the window).

A file whose name is not valid text (bytes that are not UTF-8, which Linux allows) cannot be
stored or handed on; it gets its own failed row, under a readable form of its name, with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobs.probing import probe_slots
from hlsstudio.core.jobs.service import JobService
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.qt import tasks
from hlsstudio.qt.workers import CallWorker

__all__ = ["BAD_NAME", "Intake", "probe_slots", "storable_source"]

BAD_NAME = "file name is not valid text (UTF-8): rename it"


def storable_source(source: str) -> tuple[str, str | None]:
    """(text to store for ``source``, None) — or (a readable stand-in, the reason) when the name
    holds bytes that are not UTF-8 (Python keeps them as lone surrogates, which SQLite refuses)."""
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = os.fsencode(source)
        except UnicodeEncodeError:
            raw = source.encode("utf-8", "backslashreplace")
        return raw.decode("utf-8", "backslashreplace"), BAD_NAME
    return source, None


class Intake(QObject):
    """Scans what was dropped and adds it to the service; shows the service's probe line."""

    message = Signal(str)

    def __init__(
        self,
        service: JobService,
        run_call: Callable[[CallWorker], None],
        shown: Callable[[], list[JobRecord]],
        parent: QObject | None = None,
    ) -> None:
        """``shown`` gives the jobs the window shows (what is already queued, without a database read)."""
        super().__init__(parent)
        self._service = service
        self._run_call = run_call
        self._shown = shown

    @property
    def slots(self) -> int:
        """How many probes run at once."""
        return self._service.probes.slots

    @slots.setter
    def slots(self, count: int) -> None:
        self._service.probes.slots = count

    @property
    def probing(self) -> int:
        """Probes waiting or running."""
        return self._service.probes.probing

    def add_paths(self, paths: list[Path], note: str = "") -> None:
        """Scan files and folders in a worker, then add what was found; ``note`` ends the message."""
        if not paths:
            return
        worker = CallWorker(note, tasks.scan_paths, list(paths))
        worker.signals.done.connect(self._on_scanned)
        worker.signals.failed.connect(self._on_scan_failed)
        self._run_call(worker)

    def _on_scanned(self, note: str, files: list[Path]) -> None:
        if not self._service.closing:
            self.add_files(files, note)

    def _on_scan_failed(self, _tag: object, error: HlsStudioError) -> None:
        self.message.emit(error.message)

    def add_files(self, files: list[Path], note: str = "") -> list[JobRecord]:
        """Add jobs for ``files`` in one batch (skipping ones already waiting or running); ``note``
        ends the message that says what was added."""
        pending = {r.source for r in self._shown() if not r.state.is_terminal}
        new = [f for f in dict.fromkeys(str(f) for f in files) if f not in pending]
        end = f"; {note}" if note else ""
        if not new:
            self.message.emit(("Nothing new to add" if files else "No video files found") + end)
            return []
        stored = [storable_source(f) for f in new]
        problems = {text: problem for text, problem in stored if problem}
        records = self._service.add([text for text, _ in stored], failed=problems)
        skipped = len(files) - len(new)
        self.message.emit(
            f"Added {len(records)} file(s)"
            + (f", {skipped} already queued" if skipped else "")
            + (f", {len(problems)} with a name that is not valid text" if problems else "")
            + end
        )
        self._service.check_finished()
        return records
