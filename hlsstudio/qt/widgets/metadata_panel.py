"""What ffprobe says about the selected source, its warnings, a poster frame and the rungs it gets."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFormLayout, QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import MediaInfo
from hlsstudio.qt import formatting, tasks
from hlsstudio.qt.queue_controller import QueueController
from hlsstudio.qt.workers import CallWorker

POSTER_WIDTH = 260
WARNING_STYLE = "color: #c2410c;"
MUTED_STYLE = "color: palette(mid);"


def fact_rows(info: MediaInfo) -> list[tuple[str, str]]:
    """(label, value) lines describing a source."""
    video = info.video_codec + (f" ({info.profile})" if info.profile else "")
    rows = [
        ("Container", info.container),
        ("Duration", f"{formatting.clock(info.duration)} ({info.duration:.2f} s)"),
        ("Size", formatting.size(info.size) + (f", {info.bit_rate // 1000} kb/s" if info.bit_rate else "")),
        ("Video", video),
        ("Display size", f"{info.width}×{info.height}" + (" portrait" if info.portrait else "")),
        ("Frame rate", f"{info.fps:g} fps" + (" (variable)" if info.vfr else "")),
        (
            "Pixels",
            f"{info.pix_fmt or '?'}, {info.bit_depth}-bit" + (", interlaced" if info.interlaced else ""),
        ),
    ]
    if (info.coded_width, info.coded_height) != (info.width, info.height):
        rows.insert(5, ("Coded size", f"{info.coded_width}×{info.coded_height}"))
    if info.rotation:
        rows.append(("Rotation", f"{info.rotation}°"))
    if info.hdr or info.color_transfer:
        colour = ", ".join(c for c in (info.color_primaries, info.color_transfer) if c)
        rows.append(("Colour", colour + (" (HDR)" if info.hdr else "")))
    for n, audio in enumerate(info.audio_streams, start=1):
        layout = audio.channel_layout or f"{audio.channels} ch"
        extra = "".join(f", {x}" for x in (audio.language,) if x) + (" (default)" if audio.default else "")
        rows.append((f"Audio {n}", f"{audio.codec}, {layout}, {audio.sample_rate or '?'} Hz{extra}"))
    if not info.audio_streams:
        rows.append(("Audio", "none"))
    if info.subtitle_streams:
        rows.append(("Subtitles", ", ".join(s.language or s.codec for s in info.subtitle_streams)))
    return rows


def source_flags(info: MediaInfo) -> list[str]:
    """The warnings to show: the probe's own, plus VFR/interlaced/HDR/rotation when it did not say so."""
    flags = list(info.warnings)
    said = " ".join(flags).lower()
    for present, word, text in (
        (info.vfr, "variable", "variable frame rate: converted to constant frame rate"),
        (info.interlaced, "interlac", "interlaced: deinterlaced before scaling"),
        (info.hdr, "hdr", "HDR: tone-mapped to SDR"),
        (bool(info.rotation), "rotat", f"rotated {info.rotation}° by metadata: output is upright"),
    ):
        if present and word not in said:
            flags.append(text)
    return flags


class MetadataPanel(QScrollArea):
    """Shows the selected job's source; the poster frame is extracted in a worker and cached."""

    def __init__(self, controller: QueueController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._record: JobRecord | None = None
        self._workers: dict[int, CallWorker] = {}
        self._poster_for: str | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.poster = QLabel()
        self.poster.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.poster.setMinimumHeight(90)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.facts = QFormLayout()
        self.facts.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(WARNING_STYLE)
        self.rungs = QLabel()
        self.rungs.setWordWrap(True)
        self.rungs.setTextFormat(Qt.TextFormat.RichText)
        self.poster.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        details = QVBoxLayout()
        details.addWidget(self.status)
        details.addLayout(self.facts)
        details.addWidget(self.warnings)
        details.addStretch(1)
        layout = QGridLayout(body)
        layout.addWidget(self.title, 0, 0, 1, 2)
        layout.addWidget(self.poster, 1, 0)
        layout.addLayout(details, 1, 1)
        layout.addWidget(self.rungs, 2, 0, 1, 2)
        layout.setColumnStretch(1, 1)
        layout.setRowStretch(3, 1)
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
            self.title.setText(
                f"<b>{html.escape(record.name)}</b><br><small>{html.escape(record.source)}</small>"
            )
            self.status.setText(self._status_text(record))
        self._fill_facts(record.info if record else None)
        self._show_rungs()
        if not same_source:
            self.poster.clear()
            self._poster_for = None
        self._request_poster()

    @staticmethod
    def _status_text(record: JobRecord) -> str:
        if record.info is None and record.error:
            return f"Cannot use this file: {record.error}"
        if record.info is None:
            return "Probing…" if record.state.value in ("queued", "probing") else ""
        return ""

    def _fill_facts(self, info: MediaInfo | None) -> None:
        while self.facts.rowCount():
            self.facts.removeRow(0)
        if info is None:
            self.warnings.clear()
            self.warnings.hide()
            return
        for label, value in fact_rows(info):
            text = QLabel(value)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addRow(f"{label}:", text)
        flags = source_flags(info)
        self.warnings.setText("\n".join(f"⚠ {w}" for w in flags))
        self.warnings.setVisible(bool(flags))

    def _show_rungs(self) -> None:
        record = self._record
        if record is None or record.info is None:
            self.rungs.clear()
            return
        if self.controller.ladder is None:
            self.rungs.setText("<b>Rungs:</b> the ladder is invalid (see the Ladder tab)")
            return
        planned = formatting.planned_rungs(record.info, self.controller.ladder)
        lines = "".join(f"<li>{html.escape(formatting.rung_line(r))}</li>" for r in planned)
        self.rungs.setText(f"<b>This source gets {len(planned)} rung(s):</b><ul>{lines}</ul>")

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
