"""The seek bar: click or drag to move, hover to see the storyboard's thumbnail of that moment.

Thumbnails come from the sprite sheets the worker read (bytes in memory): a sheet is decoded the
first time the cursor needs it (a small JPEG, no disk or network on the GUI thread) and a few
decoded sheets are kept.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPixmap
from PySide6.QtWidgets import QFrame, QLabel, QSlider, QStyle, QStyleOptionSlider, QVBoxLayout, QWidget

from hlsstudio.core.storyboard_cues import cue_at
from hlsstudio.qt.formatting import clock
from hlsstudio.qt.preview.package import Storyboard

DECODED_SHEETS = 6
TIP_WIDTH = 176  # a 160-pixel tile and its frame


class SheetCache:
    """Tiles of a storyboard as pixmaps, decoding each sprite sheet once (least recently used kept)."""

    def __init__(self, storyboard: Storyboard | None) -> None:
        self.storyboard = storyboard
        self._sheets: OrderedDict[str, QImage] = OrderedDict()

    def tile_at(self, seconds: float) -> QPixmap | None:
        """The thumbnail of the moment ``seconds`` (None: no storyboard, or its sheet is unreadable)."""
        if self.storyboard is None:
            return None
        cue = cue_at(self.storyboard.cues, seconds)
        if cue is None:
            return None
        sheet = self._sheet(cue.image)
        if sheet is None:
            return None
        if cue.whole_picture:
            return QPixmap.fromImage(sheet)
        return QPixmap.fromImage(sheet.copy(cue.x, cue.y, cue.width, cue.height))

    def _sheet(self, image: str) -> QImage | None:
        if image in self._sheets:
            self._sheets.move_to_end(image)
            return self._sheets[image]
        data = self.storyboard.sheets.get(image) if self.storyboard else None
        decoded = QImage.fromData(data) if data else QImage()
        if decoded.isNull():
            return None
        self._sheets[image] = decoded
        while len(self._sheets) > DECODED_SHEETS:
            self._sheets.popitem(last=False)
        return decoded


class ThumbnailTip(QFrame):
    """The thumbnail and time shown above the seek bar while the cursor is over it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.Box)
        self.setStyleSheet("ThumbnailTip { background: palette(window); border: 1px solid palette(mid); }")
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.time = QLabel()
        self.time.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 2)
        layout.setSpacing(2)
        layout.addWidget(self.picture)
        layout.addWidget(self.time)
        self.hide()

    def show_at(self, anchor: QPoint, pixmap: QPixmap | None, seconds: float) -> None:
        """Show ``pixmap`` (or only the time) centred above ``anchor`` (in the parent's coordinates)."""
        self.picture.setVisible(pixmap is not None)
        if pixmap is not None:
            self.picture.setPixmap(pixmap)
        self.time.setText(clock(seconds))
        self.adjustSize()
        parent = self.parentWidget()
        x = anchor.x() - self.width() // 2
        x = max(0, min(x, (parent.width() if parent else x + self.width()) - self.width()))
        self.move(x, anchor.y() - self.height() - 4)
        self.show()
        self.raise_()


class SeekBar(QSlider):
    """A horizontal slider in milliseconds: a click jumps there, hovering reports the moment under it."""

    sought = Signal(int)  # the user moved to this position (ms)
    hovered = Signal(int, int)  # the position (ms) under the cursor, and the cursor's x
    left = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setMouseTracking(True)
        self.setRange(0, 0)
        self.setSingleStep(5000)
        self.setPageStep(30000)
        self.sliderMoved.connect(self.sought)

    def value_at(self, x: int) -> int:
        """The position (ms) at ``x`` pixels along the bar."""
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        groove = self.style().subControlRect(
            QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove, self
        )
        handle = self.style().subControlRect(
            QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, self
        )
        span = max(1, groove.width() - handle.width())
        offset = x - groove.x() - handle.width() // 2
        return QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), offset, span)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.maximum() > 0:
            value = self.value_at(round(event.position().x()))
            self.setValue(value)
            self.sought.emit(value)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if self.maximum() > 0:
            x = round(event.position().x())
            self.hovered.emit(self.value_at(x), x)

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        self.left.emit()
