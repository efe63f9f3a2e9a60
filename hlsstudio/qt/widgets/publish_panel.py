"""The publish panel: every file of the package being published with its own bar, the total, the URL."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hlsstudio.core.models import JobState
from hlsstudio.core.publish import UploadProgress, UploadState
from hlsstudio.core.storage.config import destination_summary
from hlsstudio.qt import formatting
from hlsstudio.qt.delegates import ProgressDelegate
from hlsstudio.qt.destination_status import soft_wrap
from hlsstudio.qt.icons import icon
from hlsstudio.qt.job_table_model import ProgressRole
from hlsstudio.qt.queue_controller import QueueController

FILE_COLUMN, SIZE_COLUMN, PROGRESS_COLUMN = 0, 1, 2
REFRESH_MS = 100
UPLOAD_LABELS = {
    UploadState.QUEUED: "waiting",
    UploadState.UPLOADING: "",
    UploadState.DONE: "done",
    UploadState.SKIPPED: "already there",
    UploadState.FAILED: "failed",
}


def _wrapping_label() -> QLabel:
    """A label that wraps long text (a publish error, a long path) instead of widening the panel."""
    label = QLabel()
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
    return label


class PublishPanel(QWidget):
    """Follows the latest publish the controller reports (Publish button or auto-publish)."""

    url_copied = Signal(str)

    def __init__(self, controller: QueueController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.job_id: int | None = None
        self._items: dict[str, QTreeWidgetItem] = {}
        self._pending: dict[str, UploadProgress] = {}
        self._latest: UploadProgress | None = None
        self.title = _wrapping_label()
        self.destination = _wrapping_label()
        self.files = QTreeWidget()
        self.files.setHeaderLabels(["File", "Size", "Progress"])
        self.files.setRootIsDecorated(False)
        self.files.setUniformRowHeights(True)
        self.files.setItemDelegateForColumn(PROGRESS_COLUMN, ProgressDelegate(self.files))
        header = self.files.header()
        header.setSectionResizeMode(FILE_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(SIZE_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(PROGRESS_COLUMN, 220)
        self.overall = QProgressBar()
        self.overall.setRange(0, 1000)
        self.overall.setFormat("")
        self.overall.setTextVisible(True)
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.url.setPlaceholderText("The public URL appears here once the master playlist is published")
        self.copy_button = QPushButton(icon("copy-link"), "Copy URL")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy_url)
        url_row = QHBoxLayout()
        url_row.addWidget(self.url, 1)
        url_row.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.destination)
        layout.addWidget(self.files, 1)
        layout.addWidget(self.overall)
        layout.addLayout(url_row)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush)
        controller.publish_started.connect(self.follow)
        controller.upload_progress.connect(self._on_upload)
        controller.publish_finished.connect(self._on_finished)
        self.reset()

    def reset(self) -> None:
        """Nothing being published."""
        self.job_id = None
        self.title.setText("<b>Publish</b> — select finished jobs and press Publish (Ctrl+P)")
        self._clear()
        self.refresh_destination()

    def refresh_destination(self) -> None:
        """Say where packages go (a bucket, or the local folder when no bucket is configured)."""
        is_bucket, where = self.controller_destination()
        self.destination.setText(soft_wrap(("Destination: " if is_bucket else "Publishing to the ") + where))

    def controller_destination(self) -> tuple[bool, str]:
        """(is a bucket, description) of the configured destination."""
        return destination_summary(self.controller.settings.destination)

    def follow(self, job_id: int) -> None:
        """Show the publish of this job from its start."""
        record = self.controller.model.record(job_id)
        self.job_id = job_id
        self._clear()
        name = html.escape(record.name if record else f"job {job_id}")
        ident = f"{record.content_type.value}/{record.content_id}" if record else ""
        if record is not None and record.state is JobState.TRANSCODING:
            self.title.setText(
                f"<b>Uploading {name}</b> as {ident} — finished segments go up while it encodes"
            )
        else:
            self.title.setText(f"<b>Publishing {name}</b> as {ident}")
        self.refresh_destination()

    def _clear(self) -> None:
        self.files.clear()
        self._items.clear()
        self._pending.clear()
        self._latest = None
        self.overall.setValue(0)
        self.overall.setFormat("")
        self.url.clear()
        self.copy_button.setEnabled(False)

    def _on_upload(self, job_id: int, report: UploadProgress) -> None:
        if self.job_id != job_id:
            self.follow(job_id)
        self._pending[report.file] = report
        self._latest = report
        if not self._timer.isActive():
            self._timer.start()

    def _flush(self) -> None:
        for name, report in self._pending.items():
            item = self._items.get(name)
            if item is None:
                item = QTreeWidgetItem([name, formatting.size(report.size), ""])
                item.setTextAlignment(
                    SIZE_COLUMN, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
                self._items[name] = item
                self.files.addTopLevelItem(item)
            fraction = report.bytes_sent / report.size if report.size else 1.0
            if report.state in (UploadState.DONE, UploadState.SKIPPED):
                fraction = 1.0
            label = UPLOAD_LABELS[report.state] or f"{fraction * 100:.0f}%"
            item.setData(PROGRESS_COLUMN, ProgressRole, (fraction, label))
            item.setData(PROGRESS_COLUMN, Qt.ItemDataRole.DisplayRole, label)
        self._pending.clear()
        latest = self._latest
        if latest is not None:
            self.overall.setValue(round(latest.fraction * 1000))
            self.overall.setFormat(
                f"{latest.files_done}/{latest.files_total} files · "
                f"{formatting.size(latest.overall_bytes_sent)} of {formatting.size(latest.overall_bytes)}"
            )

    def _on_finished(self, job_id: int) -> None:
        if self.job_id not in (None, job_id):
            return
        self._flush()
        record = self.controller.model.record(job_id)
        if record is None:
            return
        self.job_id = job_id
        if record.state is JobState.DONE and record.hls_url:
            self.title.setText(f"<b>Published {html.escape(record.name)}</b>")
            self.overall.setValue(1000)
            self.url.setText(record.hls_url)
            self.copy_button.setEnabled(True)
        else:
            reason = html.escape(soft_wrap(record.error or "stopped"))
            self.title.setText(f"<b>Not published: {html.escape(record.name)}</b> — {reason}")

    def copy_url(self) -> None:
        """Put the public URL on the clipboard."""
        if self.url.text():
            QGuiApplication.clipboard().setText(self.url.text())
            self.url_copied.emit(self.url.text())
