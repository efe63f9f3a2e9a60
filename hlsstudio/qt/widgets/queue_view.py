"""The queue's table view: row selection, editors for content type and id, a progress bar per row,
rows dragged to a new place in the queue."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from hlsstudio.qt.columns import Column
from hlsstudio.qt.delegates import ContentIdDelegate, ContentTypeDelegate, ProgressDelegate, ReasonDelegate
from hlsstudio.qt.job_table_model import JobTableModel

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


class QueueView(QTableView):
    """A table over the JobTableModel; the context menu is the window's to fill."""

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
