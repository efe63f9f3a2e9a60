"""The Ladder tab: the ladder editor for jobs not yet started above, the selected job's ladder below.

A "Rungs:" line on top chooses fixed or per-title rungs for new jobs (the same setting as Settings ▸
Encoding ▸ Rungs). A pick is reported as the editor reports a preset's defaults (``languages_chosen``
with a ``ladder_mode``), so the window stores it in one place; the line shows the stored setting
again whenever the tab is shown or a preset sets it.

The two share the tab in a vertical splitter, and each scrolls when the tab is short (at 1280x720
both do not fit whole). The lower part never takes more height than its content needs, so the
editor keeps the room a short sentence ("Select a finished job …") leaves; the user can drag the
handle either way. With a controller, the lower part follows changes
to the job it shows (a retry, a finished encode).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QVBoxLayout, QWidget

from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.ladder import LadderMode, PresetLanguages
from hlsstudio.qt.queue_controller import QueueController
from hlsstudio.qt.widgets.ladder_editor import LadderEditor
from hlsstudio.qt.widgets.ladder_mode import LadderModeRow
from hlsstudio.qt.widgets.ladder_plan import LadderPlanPanel

QT_MAX_HEIGHT = 16_777_215  # QWIDGETSIZE_MAX
EDITOR_MIN_HEIGHT = 90  # px: the editor's heading and a row or two, however far the handle is dragged


class LadderTab(QWidget):
    """``editor`` (the existing ``LadderEditor``) over a ``LadderPlanPanel`` for the selected job."""

    def __init__(
        self, editor: LadderEditor, controller: QueueController | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.editor = editor
        self.controller = controller
        self.panel = LadderPlanPanel()
        self._record: JobRecord | None = None
        self._selected = 0
        self.plan_area = QScrollArea()
        self.plan_area.setWidgetResizable(True)
        self.plan_area.setFrameShape(QFrame.Shape.NoFrame)
        self.plan_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.plan_area.setWidget(self.panel)
        self.editor_area = QScrollArea()  # a short tab: the editor scrolls rather than hiding the plan
        self.editor_area.setWidgetResizable(True)
        self.editor_area.setFrameShape(QFrame.Shape.NoFrame)
        self.editor_area.setMinimumHeight(EDITOR_MIN_HEIGHT)
        self.editor_area.setWidget(editor)
        editor.show()  # shown even when it comes out of a tab page that was hidden
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.editor_area)
        self.splitter.addWidget(self.plan_area)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.mode_row = LadderModeRow(controller.settings.encode.ladder_mode if controller else "fixed")
        self.mode_row.mode_chosen.connect(self._on_mode_chosen)
        editor.languages_chosen.connect(self._on_preset_defaults)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.mode_row)
        layout.addWidget(self.splitter)
        self.panel.installEventFilter(self)  # its layout settles later (shown, resized): fit again then
        if controller is not None:
            controller.job_updated.connect(self._on_job_updated)
        self.show_job(None, 0)

    def _on_mode_chosen(self, mode: str) -> None:
        """The user picked a mode: new jobs use it, and a preset saved now keeps it."""
        chosen: LadderMode = "per-title" if mode == "per-title" else "fixed"
        self.editor.preset_languages = replace(self.editor.preset_languages, ladder_mode=chosen)
        self.editor.languages_chosen.emit(PresetLanguages(ladder_mode=chosen))

    def _on_preset_defaults(self, defaults: PresetLanguages) -> None:
        if defaults.ladder_mode:
            self.mode_row.show_mode(defaults.ladder_mode)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.controller is not None:  # Settings ▸ Encoding may have changed it meanwhile
            self.mode_row.show_mode(self.controller.settings.encode.ladder_mode)

    def show_job(self, record: JobRecord | None, count: int = 1) -> None:
        """Show this job's ladder below the editor (None: nothing selected; ``count`` jobs selected)."""
        self._record, self._selected = record, count
        self.panel.show_job(record, count)
        self.fit_plan()

    def _on_job_updated(self, job_id: int) -> None:
        if self.controller is not None and self._record is not None and self._record.id == job_id:
            self.show_job(self.controller.model.record(job_id), self._selected)

    def fit_plan(self) -> None:
        """Let the lower part grow no taller than its content (at the width it has now)."""
        layout = self.panel.outer
        width = self.plan_area.viewport().width()
        if layout.hasHeightForWidth() and width > 0:
            needed = layout.totalHeightForWidth(width)
        else:
            needed = layout.totalSizeHint().height()
        self.plan_area.setMaximumHeight(needed + 2 if needed > 0 else QT_MAX_HEIGHT)

    def plan_height(self) -> int:
        """The height the plan part needs now (what the screenshot gives it)."""
        return self.plan_area.maximumHeight()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.panel and event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Resize):
            self.fit_plan()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_plan()
