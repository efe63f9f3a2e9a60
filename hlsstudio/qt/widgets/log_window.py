"""The "Show log" window: the tail of the log file, read in a worker and followed as it grows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QTimer
from PySide6.QtGui import QFontDatabase, QShowEvent, QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.qt import tasks
from hlsstudio.qt.pools import Pool
from hlsstudio.qt.workers import CallWorker

RELOAD_DELAY_MS = 300


class LogWindow(QWidget):
    """A separate, non-modal window; never reads the file on the GUI thread."""

    def __init__(self, log_path: Path, pool: Pool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_path = log_path
        self.pool = pool
        self._workers: dict[int, CallWorker] = {}
        self.setWindowTitle("HLS Studio — log")
        self.resize(900, 520)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setMaximumBlockCount(20_000)
        self.path_label = QLabel(str(log_path))
        self.path_label.setEnabled(False)
        reload_button = QPushButton("Reload")
        reload_button.clicked.connect(self.reload)
        row = QHBoxLayout()
        row.addWidget(self.path_label, 1)
        row.addWidget(reload_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addLayout(row)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(RELOAD_DELAY_MS)
        self._debounce.timeout.connect(self.reload)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(lambda _p: self._debounce.start())
        self.watch()

    def watch(self) -> None:
        """Follow the log file (again: a rotated file is a new file)."""
        if self.log_path.exists() and str(self.log_path) not in self.watcher.files():
            self.watcher.addPath(str(self.log_path))

    def reload(self) -> None:
        """Read the tail of the file in a worker; the text is replaced when it arrives."""
        worker = CallWorker(str(self.log_path), tasks.read_tail, self.log_path)
        worker.signals.done.connect(self._on_text)
        worker.signals.failed.connect(self._on_failed)
        worker.signals.released.connect(self._release)
        self._workers[worker.serial] = worker
        self.pool.start(worker)

    def _release(self, serial: int) -> None:
        self._workers.pop(serial, None)

    def _on_text(self, _tag: object, content: str) -> None:
        at_end = self.text.verticalScrollBar().value() >= self.text.verticalScrollBar().maximum() - 2
        self.text.setPlainText(content or "The log is empty.")
        if at_end:
            self.text.moveCursor(QTextCursor.MoveOperation.End)
        self.watch()

    def _on_failed(self, _tag: object, error: HlsStudioError) -> None:
        self.text.setPlainText(f"Cannot read the log: {error.message}")

    def showEvent(self, event: QShowEvent) -> None:
        self.reload()
        super().showEvent(event)
