"""The "Farm" side tab: the selected farm job's overall progress and its per-chunk grid (worker host,
GPU/CPU, progress, speed, starts and retries, last error).

While the tab is visible and a job sent to the farm is selected, the board is read every second in
a worker (``read``: the farm's Redis), never on the GUI thread; one read at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.qt.pools import Pool
from hlsstudio.qt.workers import CallWorker

POLL_MS = 1000
HEADERS = ("Chunk", "Worker", "GPU/CPU", "Progress", "Speed", "Starts / retries", "Last error")
NO_JOB = "Select a job that runs on the farm to see its chunks."
NOT_SENT = "This job runs on the farm; its chunks appear here once it is sent."
STATES = {"queued": "waiting", "running": "encoding", "done": "done", "failed": "failed"}

Reader = Callable[[str], Any]
"""farm job id -> its ``FarmStatus`` (None: the farm does not know it). Blocks: run in a worker."""


def overall_text(status: Any) -> str:
    """ "Encoding on the farm 40 % · 3 of 6 chunks done" (or stitched, failed, cancelled)."""
    chunks = status.chunks
    done = sum(p.state == "done" for p in chunks)
    head = {"failed": "Failed on the farm", "cancelled": "Cancelled on the farm"}.get(
        status.state, _progress_head(status)
    )
    text = f"{head} {status.fraction * 100:.0f} % · {done} of {len(chunks)} chunks done"
    return text + (f" — {status.error}" if status.error else "")


def _progress_head(status: Any) -> str:
    if status.result:
        return "Finished and published on the farm"
    finish = status.finish
    if finish is not None and finish.state == "running":
        where = f" by {finish.host.rpartition('@')[2]}" if finish.host else ""
        return f"{(finish.step or 'finishing').capitalize()} on the farm{where}"
    return "Encoded on the farm" if status.manifest else "Encoding on the farm"


def visible_parts(status: Any) -> list[Any]:
    """The grid's rows: the chunks, the sound, and the worker finishing the title when one does."""
    return [*status.parts, status.finish] if status.finish is not None else list(status.parts)


def part_name(part: str) -> str:
    """``c0002`` -> "chunk 3", ``audio`` -> "sound"."""
    if part == "audio":
        return "sound"
    if part == "finish":
        return "check and publish"
    return f"chunk {int(part[1:]) + 1}" if part[1:].isdigit() else part


def row_cells(part: Any) -> list[str]:
    """One grid row: chunk, worker host, GPU/CPU, progress, speed, starts / retries, last error."""
    name = part_name(part.part)
    state = part.step if part.part == "finish" and part.state == "running" and part.step else part.state
    progress = f"{STATES.get(state, state)} {part.fraction * 100:.0f} %"
    speed = f"{part.speed:.1f}×" if part.speed else ""
    host = part.host.rpartition("@")[2]
    return [name, host, part.device, progress, speed, f"{part.attempts} / {part.retries}", part.error]


class FarmPanel(QWidget):
    """The per-chunk grid of the selected farm job (see the module docstring)."""

    def __init__(self, pool: Pool, read: Reader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool, self.read = pool, read
        self.farm_job: str | None = None
        self._worker: CallWorker | None = None
        self.headline = QLabel(NO_JOB)
        self.headline.setWordWrap(True)
        self.grid = QTableWidget(0, len(HEADERS))
        self.grid.setHorizontalHeaderLabels(list(HEADERS))
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.grid.horizontalHeader().setStretchLastSection(True)
        self.grid.verticalHeader().hide()
        self.grid.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.grid)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.refresh)

    def show_job(self, record: JobRecord | None) -> None:
        """Follow ``record``'s farm job (nothing when it has none)."""
        farm_job = record.farm_job if record is not None and record.runs_on == "farm" else None
        if farm_job != self.farm_job:
            self.grid.setRowCount(0)
        self.farm_job = farm_job
        if farm_job is None:
            self.headline.setText(NOT_SENT if record is not None and record.runs_on == "farm" else NO_JOB)
        self.refresh()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.timer.start()
        self.refresh()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self.timer.stop()

    def refresh(self) -> None:
        """Read the followed job's status in a worker (skipped while a read runs or when hidden)."""
        if self.farm_job is None or self._worker is not None or not self.isVisible():
            return
        worker = CallWorker(self.farm_job, self.read, self.farm_job)
        worker.signals.done.connect(self._show)
        worker.signals.failed.connect(self._failed)
        worker.signals.released.connect(self._released)
        self._worker = worker
        self.pool.start(worker)

    def _show(self, farm_job: object, status: Any) -> None:
        if farm_job != self.farm_job:
            return
        if status is None:
            self.headline.setText("The farm has no record of this job now.")
            return
        self.headline.setText(overall_text(status))
        parts = visible_parts(status)
        self.grid.setRowCount(len(parts))
        for row, part in enumerate(parts):
            for column, text in enumerate(row_cells(part)):
                item = self.grid.item(row, column)
                if item is None:
                    self.grid.setItem(row, column, QTableWidgetItem(text))
                elif item.text() != text:
                    item.setText(text)

    def _failed(self, farm_job: object, error: HlsStudioError) -> None:
        if farm_job == self.farm_job:
            self.headline.setText(f"The farm cannot be read now: {error.message}")

    def _released(self, _serial: int) -> None:
        self._worker = None
