"""The ladder as an editable table, validated cell by cell with the core's Rung and ladder rules."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from hlsstudio.core.models import Rung, ladder_problems, rung_field_problems

AnyIndex = QModelIndex | QPersistentModelIndex
FIELDS = ("name", "height", "video_kbps", "audio_kbps", "enabled")
HEADERS = ("Name", "Height", "Video kbps", "Audio kbps", "On")
ENABLED_COLUMN = FIELDS.index("enabled")
INVALID_BACKGROUND = QColor(214, 69, 69, 70)
STANDARD_RUNGS = {234: 80, 360: 800, 480: 1400, 540: 2000, 720: 2800, 900: 4000, 1080: 5000}
"""Heights Add rung offers (the first one missing) and their video rates; 234p is the cellular rung."""
CELLULAR_AUDIO_KBPS = 40
_ROOT = QModelIndex()


def cell_errors(row: dict[str, Any]) -> dict[str, str]:
    """Field name -> a plain sentence about what is wrong with it, for one raw row (empty: valid)."""
    return rung_field_problems(row)


class LadderModel(QAbstractTableModel):
    """Raw rows (what the user typed) plus their validation; ``changed`` fires after every edit."""

    changed = Signal()

    def __init__(self, rungs: list[Rung], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = [r.model_dump() for r in rungs]

    # ---- Qt model interface

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(FIELDS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section] if orientation == Qt.Orientation.Horizontal else str(section + 1)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = super().flags(index) | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == ENABLED_COLUMN:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base | Qt.ItemFlag.ItemIsEditable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, field = self._rows[index.row()], FIELDS[index.column()]
        error = cell_errors(row).get(field)
        if field == "enabled":
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if row["enabled"] else Qt.CheckState.Unchecked
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return row[field]
        if role == Qt.ItemDataRole.BackgroundRole and error:
            return INVALID_BACKGROUND
        if role == Qt.ItemDataRole.ToolTipRole and error:
            return error
        if role == Qt.ItemDataRole.TextAlignmentRole and field != "name":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        field = FIELDS[index.column()]
        if field == "enabled" and role == Qt.ItemDataRole.CheckStateRole:
            value = Qt.CheckState(value) == Qt.CheckState.Checked
        elif role != Qt.ItemDataRole.EditRole:
            return False
        elif field != "name":
            value = _as_int(value)
        self._rows[index.row()][field] = value
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(FIELDS) - 1))
        self.changed.emit()
        return True

    # ---- editing the list

    def set_rungs(self, rungs: list[Rung]) -> None:
        """Replace every row (reset to default, load a preset)."""
        self.beginResetModel()
        self._rows = [r.model_dump() for r in rungs]
        self.endResetModel()
        self.changed.emit()

    def add_rung(self) -> int:
        """Append a rung at the first standard height not used yet; returns its row."""
        used = {r.get("height") for r in self._rows}
        height = next((h for h in STANDARD_RUNGS if h not in used), max([0, *used_ints(used)]) + 120)
        kbps = STANDARD_RUNGS.get(height, 6000)
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
        self._rows.append(
            {
                "name": f"{height}p",
                "height": height,
                "video_kbps": kbps,
                "audio_kbps": CELLULAR_AUDIO_KBPS if height == min(STANDARD_RUNGS) else 128,
                "enabled": True,
            }
        )
        self.endInsertRows()
        self.changed.emit()
        return len(self._rows) - 1

    def remove_rows(self, rows: list[int]) -> None:
        """Remove these rows."""
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self._rows):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
        self.changed.emit()

    # ---- validation

    def problems(self) -> list[str]:
        """Every problem as a plain sentence naming the rung: invalid cells first, then ladder-wide rules."""
        return ladder_problems(self._rows)

    def rows(self) -> list[dict[str, Any]]:
        """Copies of the raw rows, as typed (compared with presets and the applied ladder)."""
        return [dict(row) for row in self._rows]

    def rungs_or_none(self) -> list[Rung] | None:
        """The rows as Rungs, or None while any cell is invalid."""
        try:
            return [Rung.model_validate(r) for r in self._rows]
        except ValidationError:
            return None

    def invalid_cells(self) -> list[tuple[int, int]]:
        """(row, column) of every invalid cell."""
        return [
            (n, FIELDS.index(field))
            for n, row in enumerate(self._rows)
            for field in cell_errors(row)
            if field in FIELDS
        ]


def _as_int(value: Any) -> Any:
    try:
        return int(str(value).strip())
    except ValueError:
        return value  # kept as typed; validation marks the cell


def used_ints(values: set[Any]) -> list[int]:
    """The integers among ``values``."""
    return [v for v in values if isinstance(v, int)]


def summary(rows: list[dict[str, Any]]) -> str:
    """A one-line summary of raw rows: how many rungs are on, and from which to which."""
    on = [r for r in rows if r.get("enabled") is True]
    names = [str(r.get("name") or "?") for r in sorted(on, key=lambda r: _height_key(r.get("height")))]
    span = f": {names[0]}–{names[-1]}" if len(names) > 1 else (f": {names[0]}" if names else "")
    return f"{len(on)} of {len(rows)} rungs on{span}"


def _height_key(value: Any) -> int:
    return value if isinstance(value, int) else 0
