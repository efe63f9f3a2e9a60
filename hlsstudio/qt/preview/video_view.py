"""A video picture with a caption above it and subtitles drawn over it.

The picture is a QGraphicsVideoItem in a QGraphicsView: it is painted like any other widget, so it
also shows in screenshots and offscreen tests (QVideoWidget draws into a native window that
``grab()`` does not see). Subtitles are a label over the picture's lower part, fed by the window.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSizeF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QResizeEvent
from PySide6.QtMultimediaWidgets import QGraphicsVideoItem
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QLabel, QSizePolicy, QWidget

SUBTITLE_STYLE = (
    "QLabel { color: white; background: rgba(0, 0, 0, 170); border-radius: 4px; padding: 3px 10px; "
    "font-size: %dpx; }"
)
CAPTION_STYLE = "QLabel { color: white; background: rgba(0, 0, 0, 140); padding: 2px 8px; }"
MARGIN = 12


class VideoView(QGraphicsView):
    """Shows one player's picture, fitted and centred on black, with a caption and subtitles."""

    def __init__(self, caption: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsVideoItem()
        self.item.setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
        self.scene().addItem(self.item)
        self.setBackgroundBrush(QBrush(QColor("black")))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 160)
        self.caption = QLabel(caption, self.viewport())
        self.caption.setStyleSheet(CAPTION_STYLE)
        self.subtitles = QLabel(self.viewport())
        self.subtitles.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitles.setWordWrap(True)
        self.subtitles.hide()
        self._placed: tuple[str, QRect] = ("", QRect())

    def set_caption(self, text: str) -> None:
        """The words above the picture ("Package · 360p · 640×360")."""
        if text == self.caption.text():
            return
        self.caption.setText(text)
        self.caption.adjustSize()

    def show_subtitles(self, text: str) -> None:
        """Draw ``text`` over the picture's lower part ('' hides it); called on every tick."""
        placed = (text, self.picture_rect())
        if placed == self._placed:
            return
        self._placed = placed
        self.subtitles.setText(text)
        self.subtitles.setVisible(bool(text))
        if text:
            self._place_subtitles()

    def picture_rect(self) -> QRect:
        """Where the picture is drawn in the view (the whole view before the first picture)."""
        area = self.viewport().rect()
        shown = self.mapFromScene(self.item.boundingRect()).boundingRect() & area
        return shown if shown.height() > MARGIN * 4 else area

    def _place_subtitles(self) -> None:
        picture = self.picture_rect()
        font_px = max(14, min(34, picture.height() // 16))
        if self.subtitles.property("font_px") != font_px:
            self.subtitles.setStyleSheet(SUBTITLE_STYLE % font_px)
            self.subtitles.setProperty("font_px", font_px)
        width = min(self.subtitles.sizeHint().width(), int(picture.width() * 0.9))
        height = self.subtitles.heightForWidth(width)
        height = height if height > 0 else self.subtitles.sizeHint().height()
        left = picture.left() + (picture.width() - width) // 2
        self.subtitles.setGeometry(left, picture.bottom() - height - MARGIN, width, height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        size = self.viewport().size()
        self.item.setSize(QSizeF(size))
        self.scene().setSceneRect(QRectF(0, 0, size.width(), size.height()))
        self.caption.move(MARGIN // 2, MARGIN // 2)

    def picture_size(self) -> tuple[int, int]:
        """The view's size in device pixels (what the Auto rung is chosen for)."""
        ratio = self.devicePixelRatioF()
        return round(self.viewport().width() * ratio), round(self.viewport().height() * ratio)
