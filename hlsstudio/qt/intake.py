"""Taking files in: scan dropped folders and probe every new file, all in workers, several at once.

A file that cannot be used fails in its own row as soon as its probe answers; it never holds up
the others or the queue.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import ContentType, JobState, MediaInfo
from hlsstudio.qt import tasks
from hlsstudio.qt.workers import CallWorker

if TYPE_CHECKING:
    from hlsstudio.qt.queue_controller import QueueController

PROBE_STATES = (JobState.QUEUED, JobState.PROBING)


class Intake(QObject):
    """Adds jobs to the queue and probes them; owned by the QueueController."""

    def __init__(self, controller: QueueController) -> None:
        super().__init__(controller)
        self._controller = controller

    def add_paths(self, paths: list[Path]) -> None:
        """Scan files and folders in a worker, then add what was found."""
        if not paths:
            return
        worker = CallWorker("scan", tasks.scan_paths, list(paths))
        worker.signals.done.connect(self._on_scanned)
        worker.signals.failed.connect(self._on_scan_failed)
        self._controller.run_call(worker)

    def _on_scanned(self, _tag: object, files: list[Path]) -> None:
        if not self._controller.closing:
            self.add_files(files)

    def _on_scan_failed(self, _tag: object, error: HlsStudioError) -> None:
        self._controller.message.emit(error.message)

    def add_files(self, files: list[Path]) -> list[JobRecord]:
        """Append jobs for ``files`` in one batch (skipping ones already waiting or running); probe each."""
        c = self._controller
        pending = {r.source for r in c.model.records() if not r.state.is_terminal}
        new = [f for f in dict.fromkeys(str(f) for f in files) if f not in pending]
        if not new:
            c.message.emit("Nothing new to add" if files else "No video files found")
            return []
        records = c.store.add(new, ContentType(c.settings.default_content_type))
        c.model.append_records(records)
        skipped = len(files) - len(new)
        c.message.emit(f"Added {len(records)} file(s)" + (f", {skipped} already queued" if skipped else ""))
        for record in records:
            self.probe(record)
        return records

    def probe(self, record: JobRecord) -> None:
        """ffprobe the job's source in a worker."""
        ffprobe = self._controller.settings.ffprobe_path
        worker = CallWorker(record.id, tasks.probe_source, Path(record.source), ffprobe)
        worker.signals.started.connect(self._on_started)
        worker.signals.done.connect(self._on_probed)
        worker.signals.failed.connect(self._on_failed)
        self._controller.run_call(worker)

    def _still_wanted(self, job_id: int) -> bool:
        record = self._controller.model.record(job_id)
        return record is not None and record.state in PROBE_STATES and not self._controller.closing

    def _on_started(self, job_id: int) -> None:
        record = self._controller.model.record(job_id)
        if record is not None and record.state is JobState.QUEUED and not self._controller.closing:
            self._controller.transition(job_id, JobState.PROBING)

    def _on_probed(self, job_id: int, info: MediaInfo) -> None:
        if self._still_wanted(job_id):  # not cancelled or removed meanwhile
            self._controller.transition(job_id, JobState.READY, info=info)
            self._controller.schedule()

    def _on_failed(self, job_id: int, error: HlsStudioError) -> None:
        if self._still_wanted(job_id):
            detail = error.detail or None
            self._controller.transition(job_id, JobState.FAILED, error=error.message, error_detail=detail)
            self._controller.check_finished()
