"""Item delegates of the queue: a progress bar per row and editors for content type and id."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QRegularExpression, Qt
from PySide6.QtGui import QPainter, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QWidget,
)

from hlsstudio.core.models import ContentType
from hlsstudio.qt.job_table_model import ProgressRole

AnyIndex = QModelIndex | QPersistentModelIndex
PROGRESS_STEPS = 1000
CONTENT_ID_PATTERN = r"[A-Za-z0-9_-]{1,128}"


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
        bar.text = text
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


class ContentIdDelegate(QStyledItemDelegate):
    """A line edit that only accepts what a content id may contain."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex) -> QWidget:
        editor = QLineEdit(parent)
        editor.setValidator(QRegularExpressionValidator(QRegularExpression(CONTENT_ID_PATTERN), editor))
        editor.setToolTip("1-128 letters, digits, '-' or '_' (becomes part of the published URL)")
        return editor
