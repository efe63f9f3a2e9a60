"""Small helpers of the desktop-app tests: real drag-and-drop events, waiting for job states."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import JobState, Rung
from hlsstudio.qt.main_window import MainWindow

WAIT_MS = 60_000
WindowFactory = Callable[..., MainWindow]


def drop(target: QWidget, paths: list[Path], at: QPoint | None = None) -> tuple[bool, bool]:
    """Drag ``paths`` onto ``target`` and drop them at ``at`` (default: its centre), as the window
    system would.

    Returns whether the drag-enter and the drop were accepted.
    """
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = target.rect().center() if at is None else at
    enter = QDragEnterEvent(  # Qt's C++ signature takes a QPoint (6.12's bindings also took QPointF)
        centre,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, enter)
    dropped = QDropEvent(
        QPointF(centre),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, dropped)
    return enter.isAccepted(), dropped.isAccepted()


def record_named(window: MainWindow, name: str) -> JobRecord:
    """The queue's job whose source file is called ``name``."""
    return next(r for r in window.controller.model.records() if r.name == name)


def wait_state(
    qtbot: QtBot, window: MainWindow, job_id: int, *states: JobState, timeout: int = WAIT_MS
) -> JobRecord:
    """Wait until the job is in one of ``states``; returns its record."""

    def reached() -> bool:
        record = window.controller.model.record(job_id)
        return record is not None and record.state in states

    qtbot.waitUntil(reached, timeout=timeout)
    record = window.controller.model.record(job_id)
    assert record is not None
    return record


def select_ids(window: MainWindow, ids: list[int]) -> None:
    """Select the rows of these jobs in the queue."""
    table, model = window.table, window.controller.model
    table.clearSelection()
    selection = table.selectionModel()
    for job_id in ids:
        row = model.row_of(job_id)
        assert row is not None
        selection.select(model.index(row, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows)


def wait_ready(qtbot: QtBot, window: MainWindow) -> None:
    """Wait until the toolchain has been located (a worker does it at start)."""
    qtbot.waitUntil(lambda: window.controller.toolchain is not None, timeout=WAIT_MS)


def run_until(qtbot: QtBot, window: MainWindow, source: Path, *states: JobState) -> JobRecord:
    """Queue ``source``, wait until it is probed and FFmpeg is found, start the queue and wait for one
    of ``states`` (default: Done); returns the job's record then."""
    job = window.controller.add_files([source])[0]
    wait_state(qtbot, window, job.id, JobState.READY)
    wait_ready(qtbot, window)
    window.controller.start()
    return wait_state(qtbot, window, job.id, *(states or (JobState.DONE,)))


def small_ladder() -> list[Rung]:
    """A cellular rung (180p, at most 192 kb/s with its sound: players need one) and two more (240p,
    360p): enough variants for a real package, quick to encode."""
    return [
        Rung(name="180p", height=180, video_kbps=80, audio_kbps=40),
        Rung(name="240p", height=240, video_kbps=400, audio_kbps=64),
        Rung(name="360p", height=360, video_kbps=800, audio_kbps=96),
    ]
