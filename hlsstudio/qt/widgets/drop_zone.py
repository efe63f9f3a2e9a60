"""Dropping files and folders: the empty-queue invitation and the helpers that read a drop."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hlsstudio.qt.icons import icon


def paths_from_mime(mime: QMimeData) -> list[Path]:
    """Local file and folder paths carried by a drag (other URLs are ignored)."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


class DropZone(QWidget):
    """Shown while the queue is empty: what to do, and buttons for people who do not drag."""

    add_files_clicked = Signal()
    add_folder_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        picture = QLabel()
        picture.setPixmap(icon("drop").pixmap(96, 96))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("<h2>Drop videos or folders here</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(
            "Each file is probed at once; folders are searched for video files.\n"
            "Check the ladder (Ladder tab), then press Start (Ctrl+Return)."
        )
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setEnabled(False)
        files = QPushButton(icon("add-files"), "Add files…")
        folder = QPushButton(icon("add-folder"), "Add folder…")
        files.clicked.connect(self.add_files_clicked)
        folder.clicked.connect(self.add_folder_clicked)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(files)
        buttons.addWidget(folder)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (picture, title, hint):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addStretch(2)
