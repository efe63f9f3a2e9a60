"""Taking files in: scan dropped folders and probe every new file in workers, a few at a time.

A file that cannot be used fails in its own row as soon as its probe answers; it never holds up
the others or the queue.

Hundreds of files dropped at once must not freeze the window, so:

- probes wait in a line and at most ``probe_slots()`` run at once (one core stays for the GUI
  thread), each ffprobe at a lower CPU priority;
- "Probing" is shown in the row only (it is not worth a database write: a restart probes again);
- answers are stored and shown in batches: one transaction and one repaint per batch.

A file whose name is not valid text (bytes that are not UTF-8, which Linux allows) cannot be
stored or handed on; it gets its own failed row, under a readable form of its name, with the reason.
"""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, QTimer

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import ContentType, JobState, MediaInfo
from hlsstudio.qt import tasks
from hlsstudio.qt.workers import CallWorker

if TYPE_CHECKING:
    from hlsstudio.qt.queue_controller import QueueController

PROBE_STATES = (JobState.QUEUED, JobState.PROBING)
MAX_PROBE_SLOTS = 4
BATCH_MS = 100  # answers arriving within this time are stored and shown together

Answer = tuple[int, JobState, dict[str, Any]]
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


def probe_slots() -> int:
    """How many probes run at once: all cores but one (at least 1, at most ``MAX_PROBE_SLOTS``)."""
    return max(1, min(MAX_PROBE_SLOTS, QThread.idealThreadCount() - 1))


class Intake(QObject):
    """Adds jobs to the queue and probes them; owned by the QueueController."""

    def __init__(self, controller: QueueController) -> None:
        super().__init__(controller)
        self._controller = controller
        self._line: deque[int] = deque()
        self._running: set[int] = set()
        self._answers: list[Answer] = []
        self._batch = QTimer(self)
        self._batch.setSingleShot(True)
        self._batch.setInterval(BATCH_MS)
        self._batch.timeout.connect(self._store_answers)
        self.slots = probe_slots()

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
        stored = [storable_source(f) for f in new]
        records = c.store.add([text for text, _ in stored], ContentType(c.settings.default_content_type))
        c.model.append_records(records)
        problems = {r.id: p for r, (_, p) in zip(records, stored, strict=True) if p}
        if problems:
            failed = [(i, JobState.FAILED, {"error": p, "error_detail": None}) for i, p in problems.items()]
            updated = {r.id: r for r in c.transition_many(failed)}
            records = [updated.get(r.id, r) for r in records]
        skipped = len(files) - len(new)
        c.message.emit(
            f"Added {len(records)} file(s)"
            + (f", {skipped} already queued" if skipped else "")
            + (f", {len(problems)} with a name that is not valid text" if problems else "")
        )
        self.probe_all([r for r in records if r.id not in problems])
        c.check_finished()
        return records

    # ---- the probe line

    def probe(self, record: JobRecord) -> None:
        """Probe the job's source in a worker (after the probes already waiting)."""
        self.probe_all([record])

    def probe_all(self, records: list[JobRecord]) -> None:
        """Line these jobs up for probing and start as many probes as there are slots."""
        self._line.extend(r.id for r in records)
        self._start_probes()

    @property
    def probing(self) -> int:
        """Probes waiting or running."""
        return len(self._line) + len(self._running)

    def _start_probes(self) -> None:
        c = self._controller
        while self._line and len(self._running) < self.slots and not c.closing:
            job_id = self._line.popleft()
            if not self._still_wanted(job_id):
                continue
            record = c.model.record(job_id)
            assert record is not None
            self._running.add(job_id)
            worker = CallWorker(job_id, tasks.probe_source, Path(record.source), c.settings.ffprobe_path)
            worker.signals.started.connect(self._on_started)
            worker.signals.done.connect(self._on_probed)
            worker.signals.failed.connect(self._on_failed)
            c.run_call(worker)

    def _still_wanted(self, job_id: int) -> bool:
        record = self._controller.model.record(job_id)
        return record is not None and record.state in PROBE_STATES and not self._controller.closing

    def _on_started(self, job_id: int) -> None:
        record = self._controller.model.record(job_id)
        if record is not None and record.state is JobState.QUEUED and not self._controller.closing:
            self._controller.model.update_record(record.model_copy(update={"state": JobState.PROBING}))

    def _on_probed(self, job_id: int, info: MediaInfo) -> None:
        self._answer(job_id, (job_id, JobState.READY, {"info": info}))

    def _on_failed(self, job_id: int, error: HlsStudioError) -> None:
        fields = {"error": error.message, "error_detail": error.detail or None}
        self._answer(job_id, (job_id, JobState.FAILED, fields))

    def _answer(self, job_id: int, answer: Answer) -> None:
        self._running.discard(job_id)
        if self._still_wanted(job_id):  # not cancelled or removed meanwhile
            self._answers.append(answer)
        self._start_probes()
        if not self.probing:
            self._store_answers()  # the last one: no reason to wait
        elif not self._batch.isActive():
            self._batch.start()

    def _store_answers(self) -> None:
        """Store and show the answers gathered so far, in one transaction."""
        self._batch.stop()
        answers = [a for a in self._answers if self._still_wanted(a[0])]
        self._answers.clear()
        if not answers or self._controller.closing:
            return
        self._controller.transition_many(answers)
        if any(state is JobState.READY for _, state, _ in answers):
            self._controller.schedule()
        self._controller.check_finished()
