"""The queue's part of the window: a banner above it, the table (or the drop zone), a message line below.

The banner says in plain words why the queue cannot start ("Can't start: rung '144p' must be at
least 16 px tall") or that it is pausing or paused; it is never hidden in a toolbar's overflow. The
message line shows the selected job's whole reason and what to do next, wrapped, so nothing has to
be read from a cut cell or a tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from hlsstudio.core.jobstore import JobRecord
from hlsstudio.qt.job_status import status_text
from hlsstudio.qt.plain_terms import next_step
from hlsstudio.qt.widgets.drop_zone import DropZone
from hlsstudio.qt.widgets.queue_view import QueueView

BLOCKER_STYLE = "background: #fdecea; color: #8a1c1c; border: 1px solid #f5c2c0; padding: 6px 10px;"
PAUSE_STYLE = "background: #fff7e0; color: #6b4e00; border: 1px solid #f1dd9c; padding: 6px 10px;"
MESSAGE_STYLE = "padding: 4px 6px;"
MAX_MESSAGE = 600  # characters of a reason shown in the line; Details has the rest


def _wrapping_label(style: str) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(style)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
    label.hide()
    return label


def message_for(record: JobRecord | None) -> str:
    """The message line for the selected job: its status, its whole reason and the next step."""
    if record is None:
        return ""
    parts = []
    reason = record.error or ""
    if not reason and record.info is not None and record.info.warnings and not record.state.is_terminal:
        reason = "⚠ " + "; ".join(record.info.warnings)
    if reason:
        if len(reason) > MAX_MESSAGE:
            reason = reason[: MAX_MESSAGE - 1] + "… (Details has the rest)"
        parts.append(f"{record.name} — {status_text(record)}: {reason}")
    step = next_step(record)
    if step and "press publish" not in reason.lower():
        parts.append(step)
    return "  ".join(parts)


class QueueArea(QWidget):
    """Banner, queue (or drop zone when empty), message line, stacked top to bottom."""

    def __init__(self, table: QueueView, drop_zone: DropZone, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table, self.drop_zone = table, drop_zone
        self.banner = _wrapping_label(BLOCKER_STYLE)
        self.banner.setObjectName("queue-banner")
        self.message = _wrapping_label(MESSAGE_STYLE)
        self.message.setObjectName("queue-message")
        self.stack = QStackedWidget()
        self.stack.addWidget(drop_zone)
        self.stack.addWidget(table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.message)

    def show_rows(self, any_rows: bool) -> None:
        """The table when there are jobs, else the drop zone."""
        self.stack.setCurrentWidget(self.table if any_rows else self.drop_zone)

    def show_banner(self, blockers: list[str], queue_state: str) -> None:
        """Why the queue cannot start (first), or that it is pausing or paused; hidden when neither."""
        if blockers:
            more = f" (and {len(blockers) - 1} more)" if len(blockers) > 1 else ""
            self.banner.setText(f"Can't start: {blockers[0]}{more}")
            self.banner.setToolTip("\n".join(blockers))
            self.banner.setStyleSheet(BLOCKER_STYLE)
        elif queue_state:
            self.banner.setText(queue_state)
            self.banner.setToolTip("")
            self.banner.setStyleSheet(PAUSE_STYLE)
        self.banner.setVisible(bool(blockers or queue_state))

    def show_message(self, record: JobRecord | None) -> None:
        """The selected job's whole reason and next step (hidden when it has none)."""
        text = message_for(record)
        self.message.setText(text)
        self.message.setVisible(bool(text))
