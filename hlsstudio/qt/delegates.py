"""Item delegates of the queue: a progress bar per row and editors for content type and id."""

from __future__ import annotations

import re

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

from hlsstudio.core.models import ContentType
from hlsstudio.qt.job_table_model import ProgressRole

AnyIndex = QModelIndex | QPersistentModelIndex
PROGRESS_STEPS = 1000
CONTENT_ID_CHAR = re.compile(r"[A-Za-z0-9_-]")
MAX_CONTENT_ID = 128
CONTENT_ID_RULE = "use letters, digits, '-' or '_' (up to 128)"


class ReasonDelegate(QStyledItemDelegate):
    """Text cut at the end, not in the middle: a reason reads from its start ("not a media file…")."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


class ProgressDelegate(QStyledItemDelegate):
    """Paints ``ProgressRole`` (fraction, text) as the style's progress bar."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        value = index.data(ProgressRole)
        if value is None:
            super().paint(painter, option, index)
            return
        fraction, text = value
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 3, -3, -3)
        bar.palette = option.palette
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        bar.minimum = 0
        bar.maximum = PROGRESS_STEPS
        bar.progress = round(max(0.0, min(1.0, fraction)) * PROGRESS_STEPS)
        bar.text = option.fontMetrics.elidedText(text, Qt.TextElideMode.ElideRight, bar.rect.width() - 8)
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)


class ContentTypeDelegate(QStyledItemDelegate):
    """A combo box of content types (Movie / Episode)."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex) -> QWidget:
        combo = QComboBox(parent)
        for kind in ContentType:
            combo.addItem(kind.value.capitalize(), kind.value)
        return combo

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        value = index.data(Qt.ItemDataRole.EditRole)
        editor.setCurrentIndex(max(0, editor.findData(value)))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class ContentIdEdit(QLineEdit):
    """A line edit for a content id: spaces become '-', other characters a content id cannot hold
    are refused with a sentence saying why (shown beside the field), never dropped silently."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMaxLength(MAX_CONTENT_ID)
        self.setToolTip(CONTENT_ID_RULE)
        self.refusal = ""
        """The last sentence about refused characters ('' when none were refused)."""
        self.textEdited.connect(self._clean)

    def _clean(self, text: str) -> None:
        cleaned, refused = clean_content_id(text)
        if not refused:
            return
        cursor = self.cursorPosition() - (len(text) - len(cleaned))
        self.setText(cleaned)
        self.setCursorPosition(max(0, cursor))
        shown = " ".join(f"'{c}'" for c in dict.fromkeys(refused))
        self.refusal = (
            f"{shown} can't be used in a content id (it becomes part of the URL): {CONTENT_ID_RULE}"
        )
        QToolTip.showText(self.mapToGlobal(self.rect().bottomLeft()), self.refusal, self)


def clean_content_id(text: str) -> tuple[str, str]:
    """(``text`` with spaces as '-' and without what a content id cannot hold, the refused characters)."""
    kept, refused = [], []
    for char in text.replace(" ", "-"):
        (kept if CONTENT_ID_CHAR.fullmatch(char) else refused).append(char)
    return "".join(kept), "".join(refused)


class ContentIdDelegate(QStyledItemDelegate):
    """A ``ContentIdEdit`` for the queue's Content ID column."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex) -> QWidget:
        return ContentIdEdit(parent)
