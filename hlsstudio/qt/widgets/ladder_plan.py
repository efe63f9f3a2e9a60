"""The selected job's ladder under the ladder editor: its rungs' planned and measured bitrate and quality.

A heading says what is shown ("Per-title plan for …", "Fixed ladder for …", or a plain sentence
when there is nothing measured to show), then a compact table (one row per rung; the per-title
reason is the row's tooltip), what the analysis and the measuring cost, the analysis's notes, and a
small plot of bitrate against quality (``hull_chart``). Everything comes from the record already in
memory (``plan_summary``): the panel never reads a file and never waits.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hlsstudio.core.jobstore import JobRecord
from hlsstudio.qt.widgets.hull_chart import MIN_WIDTH as CHART_MIN_WIDTH
from hlsstudio.qt.widgets.hull_chart import HullChart
from hlsstudio.qt.widgets.metadata_panel import wrapping_label
from hlsstudio.qt.widgets.plan_summary import LadderView, PlanRow, ladder_view

# the table's columns: header, tooltip, the PlanRow field shown, whether only a per-title plan has it
COLUMNS = (
    ("Rung", "The rung's name in the package", "name", False),
    ("Size", "Picture size in pixels", "size", False),
    ("Planned\nkb/s", "Predicted average bitrate, sound included", "planned_kbps", True),
    ("Planned\n{metric}", "Quality the analysis predicted from its trial encodes", "planned_quality", True),
    ("Actual\nkb/s", "Measured average bitrate of the rung, sound included", "measured_kbps", False),
    ("Actual\n{metric}", "Average quality measured on the encoded rung", "measured_quality", False),
    ("Worst\n5 %", "5 % of the frames measured score below this", "low", False),
)


def _plain(label: QLabel) -> QLabel:
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def _muted(label: QLabel) -> QLabel:
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class LadderPlanPanel(QWidget):
    """Shows one job's ladder (``show_job``); every label, row and series is replaced on each call."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = LadderView("")
        self.heading = wrapping_label()
        self.status = _plain(wrapping_label())
        self.metric_line = _muted(_plain(wrapping_label()))
        self.table = QTableWidget(0, len(COLUMNS))
        self.cost = _plain(wrapping_label())
        self.notes = _muted(_plain(wrapping_label()))
        self.chart = HullChart()
        self._set_up_table()
        details = QVBoxLayout()
        details.setContentsMargins(0, 0, 0, 0)
        for widget in (self.table, self.cost, self.notes):
            details.addWidget(widget)
        details.addStretch(1)
        self.body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.addLayout(details)
        self.body.addWidget(self.chart, 1, Qt.AlignmentFlag.AlignTop)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(6, 6, 6, 6)
        self.outer.setSpacing(4)
        for widget in (self.heading, self.status, self.metric_line):
            self.outer.addWidget(widget)
        self.outer.addLayout(self.body)
        self.outer.addStretch(1)
        self.show_job(None)

    def _set_up_table(self) -> None:
        table = self.table
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.setWordWrap(False)
        table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)

    # ---- what is shown

    def view(self) -> LadderView:
        """What the panel shows now (its words, rows and plot)."""
        return self._view

    def show_job(self, record: JobRecord | None, selected_count: int = 1) -> None:
        """Show this job's ladder (None: nothing selected); several selected: a sentence only."""
        view = ladder_view(record, selected_count)
        self._view = view
        self.heading.setText(f"<b>{html.escape(view.heading, quote=False)}</b>")
        self._line(self.status, view.status)
        self._line(self.metric_line, f"Quality in {view.metric}" if view.metric else "")
        self._fill_table(view)
        self._line(self.cost, " ".join(view.cost))
        self._line(self.notes, "\n".join(f"• {note}" for note in view.notes))
        self.chart.show_plot(view.plot)

    @staticmethod
    def _line(label: QLabel, text: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))

    def _fill_table(self, view: LadderView) -> None:
        table = self.table
        table.setRowCount(0)
        metric = "SSIM" if view.metric.startswith("SSIM") else "VMAF"
        for column, (header, tip, _field, per_title_only) in enumerate(COLUMNS):
            item = QTableWidgetItem(header.format(metric=metric))
            item.setToolTip(tip)
            table.setHorizontalHeaderItem(column, item)
            table.setColumnHidden(column, per_title_only and not view.per_title)
        table.setRowCount(len(view.rows))
        for row, rung in enumerate(view.rows):
            self._fill_row(row, rung)
        table.setVisible(bool(view.rows))

    def _fill_row(self, row: int, rung: PlanRow) -> None:
        for column, (_header, _tip, field, _only) in enumerate(COLUMNS):
            item = QTableWidgetItem(str(getattr(rung, field)))
            item.setToolTip(rung.tip)
            if column >= 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, item)

    # ---- narrow: the plot under the table

    def resizeEvent(self, event: QResizeEvent) -> None:
        margins = self.outer.contentsMargins()
        needed = self.table.sizeHint().width() + CHART_MIN_WIDTH + margins.left() + margins.right() + 6
        wide = self.width() >= needed
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.body.direction() != direction:
            self.body.setDirection(direction)
        super().resizeEvent(event)
