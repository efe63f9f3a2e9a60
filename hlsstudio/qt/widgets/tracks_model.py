"""One kind of a job's tracks (audio or subtitles) as an editable table: carried or not, language,
name, default, forced, SDH; where each comes from and what to know about it.

The model holds ``TrackChoice`` rows and changes them as the user edits; ``edited`` fires after each
change (the Tracks tab stores it through the job service). Checking Default clears it on the other
rows: one default per kind. A language is typed as a code or a name ("fr", "French", "français") and
kept as its BCP 47 tag; one that names no language is refused with a sentence (``refused``).
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from hlsstudio.core.subtitles.languages import language_name, normalize_language
from hlsstudio.core.tracks.choices import TrackChoice, TrackKind

AnyIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
CHANNELS = {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}
NAME_TIP = "The name in the player's menu; empty: made from the language and flags"


class Col(IntEnum):
    """The columns of a track table."""

    INCLUDE = 0
    LANGUAGE = 1
    NAME = 2
    DEFAULT = 3
    FORCED = 4
    SDH = 5
    SOURCE = 6
    NOTE = 7


HEADERS = {
    Col.INCLUDE: ("Include", "Carried in the package"),
    Col.LANGUAGE: ("Language", "A language code or name: en, fr, pt-BR, French…"),
    Col.NAME: ("Name", NAME_TIP),
    Col.DEFAULT: ("Default", "The track a player starts with (one per kind)"),
    Col.FORCED: ("Forced", "Shown even when subtitles are off (signs, foreign dialogue)"),
    Col.SDH: ("SDH", "Subtitles for the deaf and hard of hearing"),
    Col.SOURCE: ("Source", "Where the track comes from"),
    Col.NOTE: ("Note", "What to know about the track"),
}
CHECKS = {Col.INCLUDE: "include", Col.DEFAULT: "default", Col.FORCED: "forced", Col.SDH: "sdh"}
SUBTITLE_ONLY = (Col.FORCED, Col.SDH)


def language_text(tag: str | None) -> str:
    """How a language shows in the table: "fr — Français"; "not set" for none."""
    if not tag:
        return "not set"
    name = language_name(tag)
    return tag if name == tag else f"{tag} — {name}"


def source_text(track: TrackChoice) -> str:
    """Where a track comes from: "in the file, track 2 · aac 5.1", "beside the source: film.sw.srt",
    "added: dub.wav"."""
    if track.origin == "side":
        return f"beside the source: {track.describe()}"
    if track.origin == "attached":
        return f"added: {track.describe()}"
    channels = CHANNELS.get(track.channels, f"{track.channels} ch") if track.channels else ""
    what = " ".join(part for part in (track.codec, channels) if part)
    return f"in the file, track {(track.index or 0) + 1}" + (f" · {what}" if what else "")


class TracksModel(QAbstractTableModel):
    """A job's audio or subtitle tracks; ``edited`` after each change, ``refused(sentence)`` for an
    edit that cannot be taken. Read-only until ``set_tracks(..., editable=True)``."""

    edited = Signal()
    refused = Signal(str)

    def __init__(self, kind: TrackKind, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self._rows: list[TrackChoice] = []
        self._editable = False

    def set_tracks(self, tracks: list[TrackChoice], editable: bool) -> None:
        """Show these tracks (editable or not); nothing is reset when they are what is shown."""
        if tracks == self._rows and editable == self._editable:
            return
        self.beginResetModel()
        self._rows, self._editable = list(tracks), editable
        self.endResetModel()

    def tracks(self) -> list[TrackChoice]:
        """The tracks as edited."""
        return list(self._rows)

    # ---- Qt model interface

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(Col)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or section not in range(len(Col)):
            return None
        title, tip = HEADERS[Col(section)]
        if role == Qt.ItemDataRole.DisplayRole:
            return title
        return tip if role == Qt.ItemDataRole.ToolTipRole else None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        track, column = self._rows[index.row()], Col(index.column())
        base = Qt.ItemFlag.ItemIsSelectable
        if column == Col.INCLUDE and not track.usable:
            return base  # image subtitles: shown, never carried
        base |= Qt.ItemFlag.ItemIsEnabled
        if not self._editable:
            return base
        if column in CHECKS and (column != Col.DEFAULT or track.carried):
            return base | Qt.ItemFlag.ItemIsUserCheckable
        if column in (Col.LANGUAGE, Col.NAME):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        track, column = self._rows[index.row()], Col(index.column())
        if column in CHECKS:
            if role == Qt.ItemDataRole.CheckStateRole:
                on = bool(getattr(track, CHECKS[column])) and (column == Col.INCLUDE or track.carried)
                return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
            if role == Qt.ItemDataRole.ToolTipRole and column == Col.INCLUDE and not track.usable:
                return track.note
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(track, column)
        if role == Qt.ItemDataRole.EditRole:
            return {Col.LANGUAGE: track.language or "", Col.NAME: track.name or ""}.get(column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(track, column)
        if column == Col.NAME and not track.name:  # the name players show, greyed: not typed
            if role == Qt.ItemDataRole.ForegroundRole:
                return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setItalic(True)
                return font
        return None

    @staticmethod
    def _text(track: TrackChoice, column: Col) -> str:
        if column == Col.LANGUAGE:
            return language_text(track.language)
        if column == Col.NAME:
            return track.display_name()
        if column == Col.SOURCE:
            return source_text(track)
        return track.note if column == Col.NOTE else ""

    @staticmethod
    def _tip(track: TrackChoice, column: Col) -> str | None:
        if column == Col.SOURCE and track.path:
            return str(Path(track.path))
        if column == Col.NAME:
            return NAME_TIP
        return track.note or None if column == Col.NOTE else None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        checking = role == Qt.ItemDataRole.CheckStateRole
        needed = Qt.ItemFlag.ItemIsUserCheckable if checking else Qt.ItemFlag.ItemIsEditable
        if not index.isValid() or not self.flags(index) & needed:
            return False
        row, column = index.row(), Col(index.column())
        if column in CHECKS and checking:
            update: dict[str, Any] = {CHECKS[column]: Qt.CheckState(value) == Qt.CheckState.Checked}
        elif column == Col.LANGUAGE and role == Qt.ItemDataRole.EditRole:
            text = str(value or "").strip()
            tag = normalize_language(text) if text else None
            if text and tag is None:
                self.refused.emit(f"“{text}” is not a language: type a code such as en, fr, pt-BR, or a name")
                return False
            update = {"language": tag}
        elif column == Col.NAME and role == Qt.ItemDataRole.EditRole:
            update = {"name": " ".join(str(value or "").split()) or None}
        else:
            return False
        return self._change(row, update)

    def _change(self, row: int, update: dict[str, Any]) -> bool:
        track = self._rows[row].model_copy(update=update)
        if track == self._rows[row]:
            return False
        if not track.carried:
            track = track.model_copy(update={"default": False})
        self._rows[row] = track
        if update.get("default"):  # one default per kind
            self._rows = [
                t if n == row else t.model_copy(update={"default": False}) for n, t in enumerate(self._rows)
            ]
        self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(Col) - 1))
        self.edited.emit()
        return True
