"""The Tracks tab: the selected job's audio and subtitle tracks, what is carried and how it is labelled.

Two tables (audio, subtitles) list every track the job knows of: those in the file, subtitle and
audio files found beside it, and files the user added. Each edit is stored at once through the job
service (``QueueController.set_tracks``), which keeps one default per kind and tidies languages;
the tables then show what was stored. Nothing can change while the job runs or when several jobs
are selected (a line says why). "Add subtitle file…" and "Add audio file…" attach files in a worker
(the controller), and the files refused are listed under the buttons.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hlsstudio.core.jobs.tracking import EDITABLE
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import JobState
from hlsstudio.core.subtitles.sidefiles import AUDIO_SUFFIXES, SUBTITLE_SUFFIXES
from hlsstudio.core.tracks.choices import JobTracks, TrackKind
from hlsstudio.qt.icons import icon
from hlsstudio.qt.queue_controller import QueueController
from hlsstudio.qt.widgets.metadata_panel import wrapping_label
from hlsstudio.qt.widgets.tracks_model import SUBTITLE_ONLY, Col, TracksModel

NOTHING_SELECTED = "Select a job to see its audio and subtitle tracks."
NOT_CHECKED = "Tracks appear once the file has been checked."
UNREADABLE = "The file could not be read, so it has no tracks to choose."
RUNNING = "This job is running: its tracks can't change now."
SAVED_AT_ONCE = "Changes are saved at once and used when the job is encoded."
ENCODED = "Already encoded: changes are used if it is encoded again."
ADDED_SO_FAR = "The files added so far are listed; the file's own tracks appear once it has been checked."
PROBLEM_STYLE = "color: #b91c1c;"
FILTERS = {
    "subtitle": "Subtitles ({})".format(" ".join(f"*{s}" for s in SUBTITLE_SUFFIXES)),
    "audio": "Audio ({})".format(" ".join(f"*{s}" for s in AUDIO_SUFFIXES)),
}


def several_selected(count: int) -> str:
    """The line shown while several jobs are selected."""
    return f"{count} jobs are selected: select one job to change its tracks."


SOURCE_WIDTH = 230  # px: the Source column ("beside the source: <file>") cut in the middle beyond it


def _unreadable(record: JobRecord) -> bool:
    return record.info is None and record.state is JobState.FAILED


def _table(model: TracksModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(
        QAbstractItemView.EditTrigger.DoubleClicked
        | QAbstractItemView.EditTrigger.EditKeyPressed
        | QAbstractItemView.EditTrigger.SelectedClicked
    )
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    # as tall as its rows (both tables and the buttons fit the tab), long file names cut in the middle
    table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
    table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(Col.SOURCE, QHeaderView.ResizeMode.Interactive)
    header.resizeSection(Col.SOURCE, SOURCE_WIDTH)
    header.setStretchLastSection(True)
    if model.kind == "audio":
        for column in SUBTITLE_ONLY:
            table.setColumnHidden(column, True)
    return table


class TracksPanel(QScrollArea):
    """The selected job's tracks, editable while the job waits or has ended (scrolls when short)."""

    def __init__(self, controller: QueueController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._record: JobRecord | None = None
        self._selected = 0
        self.file_dialog: QFileDialog | None = None
        self.audio = TracksModel("audio", self)
        self.subtitles = TracksModel("subtitle", self)
        self.audio_table, self.subtitle_table = _table(self.audio), _table(self.subtitles)
        self.title = wrapping_label()
        self.state_line = wrapping_label()
        self.add_subtitle = QPushButton(icon("add-files"), "Add subtitle file…")
        self.add_audio = QPushButton(icon("add-files"), "Add audio file…")
        self.add_subtitle.setToolTip("Add .srt, .vtt, .ass or .ssa files (or drop them on the job's row)")
        self.add_audio.setToolTip("Add audio files, e.g. a dub (or drop them on the job's row)")
        self.problems = wrapping_label()
        self.problems.setTextFormat(Qt.TextFormat.PlainText)
        self.problems.setStyleSheet(PROBLEM_STYLE)
        self.problems.hide()
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.title)
        layout.addWidget(self.state_line)
        for heading, table in (("Audio", self.audio_table), ("Subtitles", self.subtitle_table)):
            box = QGroupBox(heading)
            QVBoxLayout(box).addWidget(table)
            layout.addWidget(box, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_subtitle)
        buttons.addWidget(self.add_audio)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(self.problems)
        self.setWidget(body)
        self.add_subtitle.clicked.connect(lambda: self.pick_files("subtitle"))
        self.add_audio.clicked.connect(lambda: self.pick_files("audio"))
        for model in (self.audio, self.subtitles):
            model.edited.connect(self._on_edited)
            model.refused.connect(self._show_problems_text)
        controller.job_updated.connect(self._on_job_updated)
        controller.tracks_attached.connect(self._on_attached)
        self.show_job(None)

    # ---- what is shown

    def show_job(self, record: JobRecord | None, selected: int = 1) -> None:
        """Show this job's tracks (None: nothing selected); ``selected`` jobs are selected in all
        (more than one: shown, not editable)."""
        if record is None or self._record is None or record.id != self._record.id:
            self._show_problems_text("")
        self._record, self._selected = record, selected
        tracks = record.tracks if record is not None else None
        editable = self._editable(record)
        self.audio.set_tracks(tracks.audio if tracks else [], editable)
        self.subtitles.set_tracks(tracks.subtitles if tracks else [], editable)
        if record is None:
            self.title.setText(f"<b>{NOTHING_SELECTED}</b>")
        else:
            summary = f" — {tracks.summary()}" if tracks is not None and tracks.discovered else ""
            self.title.setText(f"<b>{html.escape(record.name)}</b>{html.escape(summary)}")
        self.state_line.setText(self._state_text(record))
        self.state_line.setVisible(bool(self.state_line.text()))
        can_add = self._may_add(record)
        self.add_subtitle.setEnabled(can_add)
        self.add_audio.setEnabled(can_add)

    def _editable(self, record: JobRecord | None) -> bool:
        return record is not None and self._selected == 1 and record.state in EDITABLE

    def _may_add(self, record: JobRecord | None) -> bool:
        if record is None or self._selected != 1 or _unreadable(record):
            return False
        return record.state in EDITABLE or record.state is JobState.PROBING

    def _state_text(self, record: JobRecord | None) -> str:
        if record is None:
            return ""
        if self._selected > 1:
            return several_selected(self._selected)
        tracks = record.tracks
        if _unreadable(record):
            return UNREADABLE
        if record.state not in EDITABLE and record.state is not JobState.PROBING:
            return RUNNING
        if tracks is None or not tracks.discovered:
            return ADDED_SO_FAR if tracks and (tracks.audio or tracks.subtitles) else NOT_CHECKED
        if record.state is JobState.PROBING:
            return NOT_CHECKED
        return ENCODED if record.state.is_encoded else SAVED_AT_ONCE

    def _on_job_updated(self, job_id: int) -> None:
        if self._record is not None and self._record.id == job_id:
            self.show_job(self.controller.model.record(job_id), self._selected)

    # ---- edits and files

    def _on_edited(self, *_args: object) -> None:
        record = self._record
        if record is None:
            return
        discovered = record.tracks.discovered if record.tracks is not None else False
        tracks = JobTracks(
            audio=self.audio.tracks(), subtitles=self.subtitles.tracks(), discovered=discovered
        )
        # stored once the edit has finished (the table's editor is closed by then)
        QTimer.singleShot(0, self, lambda: self._store(record.id, tracks))

    def _store(self, job_id: int, tracks: JobTracks) -> None:
        if self.controller.set_tracks(job_id, tracks) is None:
            self._on_job_updated(job_id)  # refused (the job started): show what is stored

    def pick_files(self, kind: TrackKind) -> QFileDialog | None:
        """Ask for subtitle or audio files for the shown job; they are attached when chosen."""
        record = self._record
        if record is None or not self._may_add(record):
            return None
        title = "Add subtitle files" if kind == "subtitle" else "Add audio files"
        dialog = QFileDialog(self, title, str(Path(record.source).parent), f"{FILTERS[kind]};;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(
            lambda names: self.controller.attach_files(record.id, [Path(n) for n in names])
        )
        dialog.finished.connect(dialog.deleteLater)
        dialog.destroyed.connect(self._forget_dialog)
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self) -> None:
        self.file_dialog = None

    def _on_attached(self, job_id: int, refused: list[str]) -> None:
        if self._record is not None and self._record.id == job_id:
            lines = "\n".join(f"Not added: {line}" for line in refused)
            self._show_problems_text(lines)

    def _show_problems_text(self, text: str) -> None:
        self.problems.setText(text)
        self.problems.setVisible(bool(text))
