"""A job's full story: first in plain words (what happened, what to do next), then one click away the
rules players need and how the package did (conformance), the technical detail (FFmpeg's own words),
the ffmpeg command, the validator's checks and the history."""

from __future__ import annotations

import shlex
from datetime import datetime

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QTabWidget, QVBoxLayout, QWidget

from hlsstudio.core.hls.report import finding_lines, summary_line
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import JobResult, JobState
from hlsstudio.core.quality.words import cost_words, metric_label, rung_figure
from hlsstudio.qt import formatting
from hlsstudio.qt.job_status import status_text
from hlsstudio.qt.plain_terms import failure_title, next_step
from hlsstudio.qt.widgets.plan_summary import NOT_MEASURED, bd_rate_words, metric_words

TECHNICAL = "Technical detail"
CONFORMANCE = "Conformance"
_VERDICT_ORDER = {"fail": 0, "warn": 1, "pass": 2}


def summary_text(record: JobRecord) -> str:
    """The overview tab: what happened and what to do next first, then the file, content, output and
    warnings."""
    lines = []
    if record.error:
        lines += [failure_title(record) or status_text(record), record.error]
        if step := next_step(record):
            lines.append(f"What to do: {step}")
        lines += [f"The technical story is on the {TECHNICAL} tab.", ""]
    lines += [
        f"File:        {record.source}",
        f"Status:      {status_text(record)}",
        f"Content:     {record.content_type.value} / {record.content_id}",
    ]
    result = record.result
    if record.out_dir:
        lines.append(f"Output:      {record.out_dir}")
    if record.hls_url:
        lines.append(f"Public URL:  {record.hls_url}")
    if result is not None and result.status == "completed":
        lines.append(
            f"Package:     {len(result.files)} files, {formatting.size(result.total_size_bytes)}, "
            f"{result.processing_time_seconds:.1f} s with {result.encoder}"
        )
        measured = {r.rung: r for r in result.quality.rungs} if result.quality else {}
        for variant in result.variants:
            figure = f"   {rung_figure(measured[variant.quality])}" if variant.quality in measured else ""
            lines.append(
                f"  {variant.quality:>6} {variant.resolution:>10} {variant.bandwidth // 1000} kb/s{figure}"
            )
        lines += quality_lines(result)
    warnings = list(result.warnings) if result else list(record.info.warnings if record.info else [])
    if warnings:
        lines += ["", "Warnings:", *(f"  • {w}" for w in warnings)]
    return "\n".join(lines)


def quality_lines(result: JobResult) -> list[str]:
    """The ladder (per-title or fixed) and how quality was measured: VMAF, or SSIM and why VMAF was
    not available, or not at all."""
    plan, report = result.per_title, result.quality
    if plan is None:
        lines = ["Ladder:      fixed"]
    else:
        rungs, trials = len(plan.rungs), len(plan.points)
        lines = [f"Ladder:      per-title, {rungs} rungs chosen from {trials} trial encodes"]
        if plan.predicted_bd_rate is not None:
            lines.append(f"  {bd_rate_words(plan.predicted_bd_rate)}")
    if report is None:
        return [*lines, f"Quality:     {NOT_MEASURED}"]
    label = metric_label(report) if report.metric == "vmaf" else metric_words(report.metric, report.note)
    lines.append(f"Quality:     {label}, at {report.compared_at} on {cost_words(report)}")
    return lines + [f"  not measured: {problem}" for problem in report.problems]


def validation_text(record: JobRecord) -> str:
    """Every check of the validator, passed or not."""
    report = record.result.validation if record.result else None
    if report is None:
        return "No validation report: the package was not finished."
    lines = [f"Package {'passed' if report.ok else 'FAILED'} validation", ""]
    for check in report.checks:
        lines.append(
            f"{'✓' if check.ok else '✗'} {check.name}" + (f": {check.message}" if check.message else "")
        )
    return "\n".join(lines)


def conformance_text(record: JobRecord) -> str:
    """Every rule players need, problems first: ✓/⚠/✗, what it asks and how the package did, where
    the rule comes from, and what to do."""
    report = record.result.conformance if record.result else None
    if report is None:
        return "No conformance report: the package was not finished."
    count = len(report.must_failures)
    rules = f"{count} rule{'' if count == 1 else 's'} players need"
    lines = [f"Conformance: {summary_line(report)}"]
    if report.overridden:
        lines.append(f"The package breaks {rules}; publishing it anyway is allowed in Settings.")
    elif count:
        lines += [
            f"The package breaks {rules}, so it is not published.",
            "Fix what the ✗ rules say, or allow publishing anyway in Settings.",
        ]
    lines += ["Key: ✓ passed   ⚠ should be fixed   ✗ must be fixed", ""]
    for finding in sorted(report.findings, key=lambda f: _VERDICT_ORDER[f.verdict]):
        lines += finding_lines(finding)
    return "\n".join(lines)


def history_text(history: list[tuple[float, JobState, str | None]]) -> str:
    """The job's state transitions with times."""
    lines = []
    for at, state, error in history:
        when = datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{when}  {formatting.STATE_LABELS[state]}" + (f" — {error}" if error else ""))
    return "\n".join(lines) or "No history."


class DetailsDialog(QDialog):
    """Non-modal window with one tab per aspect of the job."""

    def __init__(
        self,
        record: JobRecord,
        history: list[tuple[float, JobState, str | None]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Details — {record.name}")
        self.resize(860, 560)
        self.tabs = QTabWidget()
        command = record.result.command if record.result else []
        detail = record.error_detail or (record.result.error_detail if record.result else None)
        self.tabs.addTab(self._text(summary_text(record)), "Summary")
        self.tabs.addTab(self._text(conformance_text(record)), CONFORMANCE)
        self.tabs.addTab(self._text(detail or "No technical detail."), TECHNICAL)
        self.tabs.addTab(
            self._text(shlex.join(command) if command else "No command was run."), "FFmpeg command"
        )
        self.tabs.addTab(self._text(validation_text(record)), "Validation")
        self.tabs.addTab(self._text(history_text(history)), "History")
        self.tabs.setCurrentIndex(0)  # the plain summary first, whatever happened
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)

    @staticmethod
    def _text(content: str) -> QPlainTextEdit:
        view = QPlainTextEdit(content)
        view.setReadOnly(True)
        view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        return view

    def tab_text(self, title: str) -> str:
        """The text of the tab called ``title`` (for tests and copy)."""
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i) == title:
                widget = self.tabs.widget(i)
                assert isinstance(widget, QPlainTextEdit)
                return widget.toPlainText()
        raise KeyError(title)
