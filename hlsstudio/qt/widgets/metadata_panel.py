"""What ffprobe says about the selected source, its warnings, a poster frame and the rungs it gets."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import JobState, MediaInfo
from hlsstudio.qt import formatting, plain_terms, tasks
from hlsstudio.qt.queue_controller import QueueController
from hlsstudio.qt.workers import CallWorker

POSTER_WIDTH = 260
WARNING_STYLE = "color: #c2410c;"
FAILURE_STYLE = "QLabel { color: #b91c1c; border: 1px solid #fca5a5; border-radius: 4px; padding: 6px; }"
NOTE_STYLE = "QLabel { color: #c2410c; border: 1px solid #fdba74; border-radius: 4px; padding: 6px; }"


def source_flags(info: MediaInfo) -> list[tuple[str, str]]:
    """The warnings to show, as (plain sentence, raw warning): the probe's own, plus VFR, interlaced,
    HDR and rotation when it did not mention them."""
    flags = list(info.warnings)
    said = " ".join(flags).lower()
    out_fps = plain_terms.output_fps(info.fps, True)
    hdr_kind = plain_terms.HDR_KINDS.get(info.color_transfer or "", "HDR")
    for present, word, text in (
        (info.vfr, "variable", f"variable frame rate: output will be constant {out_fps} fps"),
        (info.interlaced, "interlac", "interlaced: will be deinterlaced"),
        (info.hdr, "hdr", f"HDR ({hdr_kind}): will be tone-mapped to SDR"),
        (bool(info.rotation), "rotat", f"rotated {info.rotation}° by metadata: output will be upright"),
    ):
        if present and word not in said:
            flags.append(text)
    return [(plain_terms.warning_sentence(flag), flag) for flag in flags]


def wrapping_label(text: str = "", *, selectable: bool = True) -> QLabel:
    """A label that wraps its text and never asks for more width than it is given."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setMinimumWidth(0)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class MetadataPanel(QScrollArea):
    """Shows the selected job's source; the poster frame is extracted in a worker and cached.

    A job that failed shows why at the top, with a next step where one is obvious. Technical terms
    are shown in plain words; the raw term is in each line's tooltip.
    """

    def __init__(self, controller: QueueController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._record: JobRecord | None = None
        self._workers: dict[int, CallWorker] = {}
        self._poster_for: str | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        self.title = wrapping_label()
        self.failure = wrapping_label()
        self.failure.setTextFormat(Qt.TextFormat.RichText)
        self.poster = QLabel()
        self.poster.setWordWrap(True)
        self.poster.setMaximumWidth(POSTER_WIDTH)
        self.poster.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.poster.setMinimumHeight(90)
        self.status = wrapping_label()
        self.facts = QFormLayout()
        self.facts.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.facts.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.warnings = wrapping_label()
        self.warnings.setTextFormat(Qt.TextFormat.PlainText)
        self.warnings.setStyleSheet(WARNING_STYLE)
        self.rungs = wrapping_label()
        self.rungs.setTextFormat(Qt.TextFormat.RichText)
        details = QVBoxLayout()
        details.addWidget(self.status)
        details.addLayout(self.facts)
        details.addWidget(self.warnings)
        details.addStretch(1)
        layout = QGridLayout(body)
        layout.addWidget(self.title, 0, 0, 1, 2)
        layout.addWidget(self.failure, 1, 0, 1, 2)
        layout.addWidget(self.poster, 2, 0)
        layout.addLayout(details, 2, 1)
        layout.addWidget(self.rungs, 3, 0, 1, 2)
        layout.setColumnStretch(1, 1)
        layout.setRowStretch(4, 1)
        self.setWidget(body)
        controller.job_updated.connect(self._on_job_updated)
        controller.toolchain_changed.connect(self._request_poster)
        controller.blockers_changed.connect(self._show_rungs)
        self.show_job(None)

    def show_job(self, record: JobRecord | None) -> None:
        """Describe this job's source (None: nothing selected)."""
        same_source = record is not None and self._record is not None and record.source == self._record.source
        self._record = record
        if record is None:
            self.title.setText("<b>No file selected</b>")
            self.status.setText("Select a row of the queue to see what is known about its source.")
        else:
            path = html.escape(plain_terms.breakable(record.source))
            self.title.setText(
                f"<b>{html.escape(plain_terms.breakable(record.name))}</b><br><small>{path}</small>"
            )
            self.title.setToolTip(record.source)
            self.status.setText(self._status_text(record))
        self.status.setVisible(bool(self.status.text()))
        self._show_failure(record)
        self._fill_facts(record.info if record else None)
        self._show_tracks(record)
        self._show_rungs()
        if not same_source:
            self.poster.clear()
            self._poster_for = None
        self._request_poster()

    @staticmethod
    def _status_text(record: JobRecord) -> str:
        if record.info is None and record.state in (JobState.QUEUED, JobState.PROBING):
            return "Reading the file…"
        return ""

    def _show_failure(self, record: JobRecord | None) -> None:
        """Why the job failed, in full, and what to do next; hidden when nothing went wrong."""
        title = plain_terms.failure_title(record) if record else ""
        error = record.error if record else None
        if record is None or not (title or error):
            self.failure.clear()
            self.failure.hide()
            return
        lines = [f"<b>{html.escape(title or 'Note')}</b>"]
        if error:
            lines.append(html.escape(plain_terms.breakable(error)))
        step = plain_terms.next_step(record)
        if step:
            lines.append(f"<i>{html.escape(step)}</i>")
        self.failure.setText("<br>".join(lines))
        style = FAILURE_STYLE if record.state in (JobState.FAILED, JobState.PUBLISH_FAILED) else NOTE_STYLE
        self.failure.setStyleSheet(style)
        self.failure.setToolTip("Details… (Ctrl+I) shows the technical story" if record.error_detail else "")
        self.failure.show()

    def _fill_facts(self, info: MediaInfo | None) -> None:
        while self.facts.rowCount():
            self.facts.removeRow(0)
        if info is None:
            self.warnings.clear()
            self.warnings.hide()
            return
        for fact in plain_terms.source_facts(info):
            text = wrapping_label(fact.value)
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.setToolTip(fact.raw)
            self.facts.addRow(f"{fact.label}:", text)
        flags = source_flags(info)
        self.warnings.setText("\n".join(f"⚠ {plain_terms.breakable(plain)}" for plain, _ in flags))
        self.warnings.setToolTip("\n".join(raw for _, raw in flags))
        self.warnings.setVisible(bool(flags))

    def _show_tracks(self, record: JobRecord | None) -> None:
        tracks = record.tracks if record is not None else None
        if tracks is not None and tracks.discovered:
            text = wrapping_label(tracks.summary())
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.setToolTip("The audio and subtitle tracks the package carries (Tracks tab)")
            self.facts.addRow("Carried tracks:", text)

    def _show_rungs(self) -> None:
        record = self._record
        if record is None or record.info is None:
            self.rungs.clear()
            self.rungs.setToolTip("")
            return
        if self.controller.ladder is None:
            self.rungs.setText("<b>Rungs:</b> the ladder is invalid (see the Ladder tab)")
            self.rungs.setToolTip("")
            return
        planned = formatting.planned_rungs(record.info, self.controller.ladder)
        lines = "".join(f"<li>{html.escape(plain_terms.rung_sentence(r))}</li>" for r in planned)
        noun = "rung" if len(planned) == 1 else "rungs"
        self.rungs.setText(f"<b>This source gets {len(planned)} {noun} (quality levels):</b><ul>{lines}</ul>")
        self.rungs.setToolTip(
            "\n".join(
                f"{formatting.rung_line(r)} — {plain_terms.profile_label('h264', r.profile, r.level)}"
                for r in planned
            )
        )

    def _on_job_updated(self, job_id: int) -> None:
        if self._record is not None and self._record.id == job_id:
            self.show_job(self.controller.model.record(job_id))

    # ---- poster frame

    def _request_poster(self) -> None:
        record, toolchain = self._record, self.controller.toolchain
        if record is None or record.info is None or toolchain is None or self._poster_for == record.source:
            return  # nothing to show yet, or already shown / on its way
        self._poster_for = record.source
        worker = CallWorker(record.source, tasks.make_thumbnail, toolchain, record.info)
        worker.signals.done.connect(self._on_poster)
        worker.signals.failed.connect(self._on_poster_failed)
        worker.signals.released.connect(self._release)
        self._workers[worker.serial] = worker
        self.controller.pools.io.start(worker)

    def _release(self, serial: int) -> None:
        self._workers.pop(serial, None)

    def _on_poster(self, source: str, path: Path) -> None:
        if self._record is None or self._record.source != source:
            return
        pixmap = QPixmap(str(path))
        if not pixmap.isNull():
            width = min(POSTER_WIDTH, max(120, self.viewport().width() // 2 - 24))
            self.poster.setPixmap(pixmap.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation))

    def _on_poster_failed(self, source: str, error: HlsStudioError) -> None:
        if self._record is not None and self._record.source == source:
            self.poster.setText(error.message)
