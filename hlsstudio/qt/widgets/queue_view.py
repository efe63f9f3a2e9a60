"""The queue's table view: row selection, editors for content type and id, a progress bar per row,
rows dragged to a new place in the queue, files dropped from outside onto a row (``files_dropped``:
the window queues videos and adds subtitle and audio files to the job dropped on)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from hlsstudio.qt.columns import Column
from hlsstudio.qt.delegates import ContentIdDelegate, ContentTypeDelegate, ProgressDelegate, ReasonDelegate
from hlsstudio.qt.job_table_model import JobTableModel
from hlsstudio.qt.queue_drag import JOB_IDS_MIME
from hlsstudio.qt.widgets.drop_zone import paths_from_mime

ROW_HEIGHT = 26
COLUMN_WIDTHS = {
    Column.FILE: 230,
    Column.DURATION: 64,
    Column.RESOLUTION: 120,
    Column.RUNGS: 130,
    Column.CONTENT_TYPE: 72,
    Column.CONTENT_ID: 150,
    Column.STATE: 118,
    Column.PROGRESS: 210,
}


def outside_files(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> list[Path]:
    """The local files a drag from outside the queue carries (none for rows being moved)."""
    mime = event.mimeData()
    return [] if mime.hasFormat(JOB_IDS_MIME) else paths_from_mime(mime)


class QueueView(QTableView):
    """A table over the JobTableModel; the context menu is the window's to fill.

    ``files_dropped(paths, job id or None)``: files dropped from outside, with the job whose row they
    were dropped on.
    """

    files_dropped = Signal(list, object)

    def __init__(self, model: JobTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.setItemDelegateForColumn(Column.PROGRESS, ProgressDelegate(self))
        self.setItemDelegateForColumn(Column.CONTENT_TYPE, ContentTypeDelegate(self))
        self.setItemDelegateForColumn(Column.CONTENT_ID, ContentIdDelegate(self))
        self.setItemDelegateForColumn(Column.OUTCOME, ReasonDelegate(self))
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        for column, width in COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDragDropOverwriteMode(False)
        self.setDropIndicatorShown(True)

    def job_at(self, event: QDragMoveEvent | QDropEvent) -> int | None:
        """The id of the job whose row is under the drag, or None."""
        index = self.indexAt(event.position().toPoint())
        model = self.model()
        return (
            model.record_at(index.row()).id if index.isValid() and isinstance(model, JobTableModel) else None
        )

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if outside_files(event):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if outside_files(event):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = outside_files(event)
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths, self.job_at(event))
        else:
            super().dropEvent(event)
