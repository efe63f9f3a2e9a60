"""Dragging rows of the queue to a new place: the model side (what is dragged, where it lands).

The dragged rows' job ids travel in a private MIME type; a drop asks for the new order of the whole
queue (``reorder_requested``) and changes nothing itself: the job service stores the order and the
model follows its event, like any other reorder. Files dropped from outside are not handled here
(the window adds them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, Qt

AnyIndex = QModelIndex | QPersistentModelIndex
JOB_IDS_MIME = "application/x-hlsstudio-job-ids"


def dropped_order(order: Sequence[int], moved: Sequence[int], row: int) -> list[int]:
    """The queue ``order`` after the jobs ``moved`` were dropped before row ``row`` (-1: at the end)."""
    chosen = set(moved)
    kept = [job_id for job_id in order if job_id not in chosen]
    before = order[:row] if 0 <= row <= len(order) else order
    at = sum(1 for job_id in before if job_id not in chosen)
    ordered_moved = [job_id for job_id in order if job_id in chosen]
    return kept[:at] + ordered_moved + kept[at:]


class QueueDragMixin:
    """Drag-and-drop of whole rows for a table model with ``job_ids()`` and ``reorder_requested``."""

    reorder_requested: Any

    def job_ids(self) -> list[int]:
        """Every job id, in row order (the model provides it)."""
        raise NotImplementedError

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [JOB_IDS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        ids = self.job_ids()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        data = QMimeData()
        data.setData(JOB_IDS_MIME, json.dumps([ids[r] for r in rows if r < len(ids)]).encode())
        return data

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex
    ) -> bool:
        return action == Qt.DropAction.MoveAction and data.hasFormat(JOB_IDS_MIME)

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex
    ) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        try:
            moved = [int(i) for i in json.loads(bytes(data.data(JOB_IDS_MIME).data()).decode())]
        except (ValueError, TypeError):
            return False
        if row < 0 and parent.isValid():
            row = parent.row()  # dropped onto a row: land before it
        order = self.job_ids()
        new_order = dropped_order(order, [i for i in moved if i in set(order)], row)
        if new_order != order:
            self.reorder_requested.emit(new_order)
        return False  # nothing for the view to remove: the service's reorder event moves the rows
