"""QAbstractTableModel over the job list: one row per JobRecord plus its live progress.

The controller feeds it records (after each store transition) and progress reports; the model
only adapts them for the view. Progress repaints are throttled: reports are kept and the affected
rows are repainted together a few times a second, however often workers report.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor

from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import ContentType, JobState, Ladder, PlannedRung, Progress
from hlsstudio.core.publish import UploadProgress
from hlsstudio.core.storage.base import CONTENT_ID_RE
from hlsstudio.qt import formatting
from hlsstudio.qt.columns import HEADERS, PLACES, Column
from hlsstudio.qt.job_status import Tone, status_text, tone
from hlsstudio.qt.queue_drag import QueueDragMixin

AnyIndex = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole
EDIT = Qt.ItemDataRole.EditRole
ProgressRole = Qt.ItemDataRole.UserRole + 1  # (fraction 0..1, text) or None
JobIdRole = Qt.ItemDataRole.UserRole + 2
REPAINT_INTERVAL_MS = 150
EDITABLE_STATES = frozenset(s for s in JobState if not s.is_active)
_ROOT = QModelIndex()
TONE_COLOURS = {
    Tone.PUBLISHED: QColor("#1f9d55"),
    Tone.ENCODED: QColor("#2b6cb0"),
    Tone.FAILED: QColor("#d64545"),
    Tone.WARNING: QColor("#d97706"),
    Tone.MUTED: QColor("#8a8f98"),
}
NOT_PUBLISHED = "Not published yet: Publish sends it"
LADDER_INVALID = "— (ladder has a problem)"


@dataclass
class JobRow:
    """A record plus what only the running app knows: live progress and the planned rungs."""

    record: JobRecord
    progress: Progress | None = None
    upload: UploadProgress | None = None
    rungs: list[PlannedRung] = field(default_factory=list)
    cancelling: bool = False
    encode_started: float | None = None
    """When this app saw the encode start (monotonic seconds), for "cancel a long encode?"."""


class JobTableModel(QueueDragMixin, QAbstractTableModel):
    """The queue as a table. Edits of content type/id are reported through ``record_edited``; rows
    dragged to a new place through ``reorder_requested`` (the new order of every job)."""

    record_edited = Signal(int, str, object)  # job id, field name, new value
    reorder_requested = Signal(list)  # job ids in their new order

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[JobRow] = []
        self._index: dict[int, int] = {}
        self._ladder: Ladder | None = None
        self._live: frozenset[tuple[str, str]] = frozenset()
        self._dupes: set[tuple[str, str]] = set()
        self._dirty: set[int] = set()
        self._timer = QTimer(self)
        self._timer.setInterval(REPAINT_INTERVAL_MS)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush)

    # ---- Qt model interface

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if not index.isValid():
            return base | Qt.ItemFlag.ItemIsDropEnabled
        base |= Qt.ItemFlag.ItemIsDragEnabled
        editable = index.column() in (Column.CONTENT_TYPE, Column.CONTENT_ID)
        if editable and self._rows[index.row()].record.state in EDITABLE_STATES:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = Column(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._display(row, column, edit=role == Qt.ItemDataRole.EditRole)
        if role == ProgressRole and column == Column.PROGRESS:
            return self._progress(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column in (Column.STATE, Column.OUTCOME):
            return TONE_COLOURS.get(tone(row.record))
        if role == Qt.ItemDataRole.ForegroundRole and column == Column.CONTENT_ID and not _id_ok(row.record):
            return QColor("#d64545")
        if role == JobIdRole:
            return row.record.id
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (Column.DURATION, Column.RESOLUTION):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        if not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        row = self._rows[index.row()]
        column = Column(index.column())
        if column == Column.CONTENT_ID:
            text = str(value).strip()
            if not CONTENT_ID_RE.fullmatch(text):
                return False
            row.record = row.record.model_copy(update={"content_id": text})
            self.record_edited.emit(row.record.id, "content_id", text)
        elif column == Column.CONTENT_TYPE:
            try:
                kind = ContentType(str(value).lower())
            except ValueError:
                return False
            row.record = row.record.model_copy(update={"content_type": kind})
            self.record_edited.emit(row.record.id, "content_type", kind)
        else:
            return False
        self.dataChanged.emit(index, index)
        return True

    # ---- cell contents

    def _display(self, row: JobRow, column: Column, edit: bool = False) -> Any:
        record, info = row.record, row.record.info
        if column == Column.FILE:
            return record.name
        if column == Column.DURATION:
            return formatting.clock(info.duration) if info else ""
        if column == Column.RESOLUTION:
            return formatting.resolution(info)
        if column == Column.RUNGS:
            if not row.rungs and info is not None and self._ladder is None:
                return LADDER_INVALID
            return formatting.rungs_summary(row.rungs)
        if column == Column.CONTENT_TYPE:
            return record.content_type.value if edit else record.content_type.value.capitalize()
        if column == Column.CONTENT_ID:
            return record.content_id
        if column == Column.STATE:
            return status_text(record, row.cancelling)
        if column == Column.RUNS_ON:
            return PLACES.get(record.runs_on, record.runs_on)
        if column == Column.PROGRESS:
            progress = self._progress(row)
            return progress[1] if progress else ""
        return self._outcome(row)

    def _outcome(self, row: JobRow) -> str:
        record = row.record
        key = (record.content_type.value, record.content_id)
        if record.state is JobState.DONE and record.hls_url:
            return record.hls_url
        if record.error:
            return record.error
        if key in self._dupes:
            return "⚠ another job has the same content type and id: change one of them"
        if key in self._live:
            return "Replaces the live title when published"
        if record.state is JobState.DONE:
            return NOT_PUBLISHED
        if record.info and record.info.warnings and record.state is JobState.READY:
            return "⚠ " + record.info.warnings[0]
        return ""

    @staticmethod
    def _progress(row: JobRow) -> tuple[float, str] | None:
        state = row.record.state
        if state is JobState.TRANSCODING:
            progress = row.progress or Progress()
            return progress.fraction, formatting.transcode_progress_text(progress)
        if state is JobState.VALIDATING:
            return 1.0, "validating…"
        if state is JobState.PUBLISHING:
            if row.upload is None:
                return 0.0, "publishing…"
            return row.upload.fraction, formatting.upload_progress_text(row.upload)
        if state.is_encoded:
            return 1.0, "100%"
        return None

    def _tooltip(self, row: JobRow, column: Column) -> str | None:
        record = row.record
        if column == Column.FILE:
            return record.source
        if column == Column.RUNGS and row.rungs:
            return "\n".join(formatting.rung_line(r) for r in row.rungs)
        if column == Column.CONTENT_ID and not _id_ok(record):
            return "Content IDs use 1-128 letters, digits, '-' or '_'"
        if column in (Column.OUTCOME, Column.STATE) and record.error:
            return record.error
        if column == Column.OUTCOME:
            return self._outcome(row) or None
        return None

    # ---- feeding the model

    def set_records(self, records: list[JobRecord]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._rows = [self._new_row(r) for r in records]
        self._reindex()
        self.endResetModel()

    def append_records(self, records: list[JobRecord]) -> None:
        """Add rows at the end (one insert for the whole batch)."""
        if not records:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(records) - 1)
        self._rows.extend(self._new_row(r) for r in records)
        self._reindex()
        self.endInsertRows()

    def update_record(self, record: JobRecord) -> None:
        """Show a new version of a job (after a transition or an edit)."""
        row_number = self._index.get(record.id)
        if row_number is None:
            return
        row = self._rows[row_number]
        if record.state is not row.record.state:
            row.cancelling = False
            row.encode_started = time.monotonic() if record.state is JobState.TRANSCODING else None
            if record.state not in (JobState.TRANSCODING, JobState.VALIDATING):
                row.progress = None
            if record.state is not JobState.PUBLISHING:
                row.upload = None
        if record.info is not row.record.info:
            row.rungs = formatting.planned_rungs(record.info, self._ladder)
        row.record = record
        dupes = self._dupes
        self._find_duplicates()
        if dupes != self._dupes:
            self._outcomes_changed()
        self._dirty.discard(row_number)
        self.dataChanged.emit(self.index(row_number, 0), self.index(row_number, len(Column) - 1))

    def set_progress(self, job_id: int, progress: Progress) -> None:
        """Keep an encode progress report; the row repaints at the next throttle tick."""
        row_number = self._index.get(job_id)
        if row_number is not None:
            self._rows[row_number].progress = progress
            self._mark_dirty(row_number)

    def set_upload(self, job_id: int, report: UploadProgress) -> None:
        """Keep an upload progress report; the row repaints at the next throttle tick."""
        row_number = self._index.get(job_id)
        if row_number is not None:
            self._rows[row_number].upload = report
            self._mark_dirty(row_number)

    def remove_ids(self, ids: set[int]) -> None:
        """Drop the rows of these jobs."""
        for row_number in sorted((self._index[i] for i in ids if i in self._index), reverse=True):
            self.beginRemoveRows(QModelIndex(), row_number, row_number)
            del self._rows[row_number]
            self.endRemoveRows()
        self._dirty.clear()
        self._reindex()

    def reorder(self, ids: list[int]) -> None:
        """Put the rows in the order of ``ids`` (ids not listed keep their relative order after)."""
        self.layoutAboutToBeChanged.emit()
        old = {r.record.id: r for r in self._rows}
        persistent = [(p, self._rows[p.row()].record.id) for p in self.persistentIndexList() if p.isValid()]
        listed = [old[i] for i in ids if i in old]
        rest = [r for r in self._rows if r.record.id not in set(ids)]
        self._rows = listed + rest
        self._reindex()
        for index, job_id in persistent:
            self.changePersistentIndex(index, self.index(self._index[job_id], index.column()))
        self._dirty.clear()
        self.layoutChanged.emit()

    def set_ladder(self, ladder: Ladder | None) -> None:
        """Re-plan every row's rungs for a new ladder (None: the ladder is invalid)."""
        self._ladder = ladder
        for row in self._rows:
            row.rungs = formatting.planned_rungs(row.record.info, ladder)
        if self._rows:
            self.dataChanged.emit(self.index(0, Column.RUNGS), self.index(len(self._rows) - 1, Column.RUNGS))

    # ---- reading

    def records(self) -> list[JobRecord]:
        """Every job, in queue order."""
        return [r.record for r in self._rows]

    def job_ids(self) -> list[int]:
        """Every job id, in queue order."""
        return [r.record.id for r in self._rows]

    def record(self, job_id: int) -> JobRecord | None:
        """The job's current record, or None when it is not in the queue."""
        row_number = self._index.get(job_id)
        return None if row_number is None else self._rows[row_number].record

    def record_at(self, row_number: int) -> JobRecord:
        """The record shown in row ``row_number``."""
        return self._rows[row_number].record

    def row_of(self, job_id: int) -> int | None:
        """The row number of a job, or None."""
        return self._index.get(job_id)

    def job_row(self, job_id: int) -> JobRow | None:
        """The full row (record, live progress, planned rungs) of a job."""
        row_number = self._index.get(job_id)
        return None if row_number is None else self._rows[row_number]

    # ---- internals

    def _new_row(self, record: JobRecord) -> JobRow:
        return JobRow(record=record, rungs=formatting.planned_rungs(record.info, self._ladder))

    def _reindex(self) -> None:
        self._index = {row.record.id: n for n, row in enumerate(self._rows)}
        self._find_duplicates()

    def _find_duplicates(self) -> None:
        waiting = (
            r.record for r in self._rows if not r.record.hls_url
        )  # published ones are the live marker's
        counts = Counter((r.content_type.value, r.content_id) for r in waiting)
        self._dupes = {key for key, n in counts.items() if n > 1 and key[1]}

    def mark_cancelling(self, job_id: int) -> None:
        """Show at once that a running job is being stopped (until its next state arrives)."""
        row_number = self._index.get(job_id)
        if row_number is not None and self._rows[row_number].record.state.is_active:
            self._rows[row_number].cancelling = True
            self.dataChanged.emit(self.index(row_number, Column.STATE), self.index(row_number, Column.STATE))

    def unpublished(self) -> list[JobRecord]:
        """Finished jobs that are not published yet, in queue order."""
        return [r.record for r in self._rows if r.record.state.is_encoded and not r.record.hls_url]

    def set_live(self, keys: frozenset[tuple[str, str]]) -> None:
        """The (content type, id) of every title that is live at the destination now."""
        self._live = keys
        self._outcomes_changed()

    def _outcomes_changed(self) -> None:
        if self._rows:
            self.dataChanged.emit(
                self.index(0, Column.OUTCOME), self.index(len(self._rows) - 1, Column.OUTCOME)
            )

    def _mark_dirty(self, row_number: int) -> None:
        self._dirty.add(row_number)
        if not self._timer.isActive():
            self._timer.start()

    def _flush(self) -> None:
        if not self._dirty:
            return
        first, last = min(self._dirty), max(self._dirty)
        self._dirty.clear()
        self.dataChanged.emit(self.index(first, Column.PROGRESS), self.index(last, Column.PROGRESS))


def _id_ok(record: JobRecord) -> bool:
    return bool(CONTENT_ID_RE.fullmatch(record.content_id))
