"""What the window's queue actions do with the selected rows, and the questions they ask first.

Start and Retry ask before a job's automatic publish replaces a live title; Publish asks before
replacing one; Cancel asks before throwing away a long encode; Remove asks always. Answers come from
the window's ``confirm`` (a yes/no dialog), so tests can answer them.
"""

from __future__ import annotations

import time
from typing import Protocol

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication

from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import JobState
from hlsstudio.qt.formatting import clock
from hlsstudio.qt.job_status import retry_kind
from hlsstudio.qt.live_titles import keep_confirmed, replacing
from hlsstudio.qt.queue_controller import QueueController

LONG_ENCODE_S = 60.0
"""An encode that has run this long is only cancelled after a yes."""


class RowWindow(Protocol):
    """What the commands need from the window."""

    controller: QueueController

    def selected_records(self) -> list[JobRecord]: ...

    def confirm(self, title: str, text: str) -> bool: ...

    def say(self, text: str) -> None: ...


class RowCommands:
    """The queue's actions on the selected (or all) jobs."""

    def __init__(self, window: RowWindow) -> None:
        self.window = window

    @property
    def controller(self) -> QueueController:
        """The window's queue controller."""
        return self.window.controller

    def _confirmed(self, records: list[JobRecord]) -> list[JobRecord]:
        """``records`` less those whose publish would replace a live title and the user said no; the
        ones confirmed may replace it."""
        live = self.controller.live
        kept = keep_confirmed(records, live, self.window.confirm)
        kept_ids = {r.id for r in kept}
        self.controller.allow_replace([r.id for r in replacing(kept, live)])
        self.controller.withhold_replace([r.id for r in replacing(records, live) if r.id not in kept_ids])
        return kept

    def start(self) -> bool:
        """Start the queue; with automatic publishing, ask first for each job that replaces a live title
        (a job not confirmed still encodes, then waits for Publish)."""
        if self.controller.settings.auto_publish:
            waiting = (JobState.QUEUED, JobState.PROBING, JobState.READY)
            self._confirmed([r for r in self.controller.model.records() if r.state in waiting])
        return self.controller.start()

    def retry(self) -> int:
        """Retry the selected jobs (publish only, or encode again: the action's words say which)."""
        records = self.window.selected_records()
        publishes = self.controller.settings.auto_publish
        asked = [r for r in records if publishes or retry_kind(r) == "publish"]
        refused = {r.id for r in asked} - {r.id for r in self._confirmed(asked)}
        return self.controller.retry([r.id for r in records if r.id not in refused])

    def publish(self) -> int:
        """Publish the selected (or all unpublished) jobs; ask before replacing a live title."""
        records = self.window.selected_records() or self.controller.model.unpublished()
        ids = [r.id for r in self._confirmed(records)]
        queued = self.controller.publish(ids) if ids else 0
        if queued:
            self.window.say(f"Publishing {queued} job(s)")
        return queued

    def cancel(self) -> None:
        """Cancel the selected jobs; an encode that has run a while is cancelled after a yes."""
        records = self.window.selected_records()
        long_ones = [(r, s) for r in records if (s := self.encoding_for(r.id)) >= LONG_ENCODE_S]
        if long_ones:
            names = ", ".join(f"{r.name} ({clock(s)})" for r, s in long_ones[:3])
            more = f" and {len(long_ones) - 3} more" if len(long_ones) > 3 else ""
            text = f"Encoding has run for a while: {names}{more}. Cancelling throws that work away."
            if not self.window.confirm("Cancel the encode?", text):
                return
        self.controller.cancel([r.id for r in records])

    def encoding_for(self, job_id: int) -> float:
        """Seconds this job has been encoding (0 when it is not encoding)."""
        row = self.controller.model.job_row(job_id)
        if row is None or row.encode_started is None or row.record.state is not JobState.TRANSCODING:
            return 0.0
        return time.monotonic() - row.encode_started

    def remove(self) -> None:
        """Remove the selected jobs after a yes (running ones are cancelled; folders are kept)."""
        records = self.window.selected_records()
        if not records:
            return
        running = sum(r.state.is_active for r in records)
        text = f"Remove {len(records)} job(s) from the queue and the history? Output folders are kept."
        if running:
            text += f"\n\n{running} of them are running and will be cancelled."
        if self.window.confirm("Remove jobs", text):
            self.controller.remove([r.id for r in records])

    def open_folder(self) -> None:
        """Show the selected job's package folder in the file manager."""
        if (records := self.window.selected_records()) and records[0].out_dir:
            QDesktopServices.openUrl(QUrl.fromLocalFile(records[0].out_dir))

    def copy_url(self) -> None:
        """Copy the selected jobs' public master URLs."""
        urls = [r.hls_url for r in self.window.selected_records() if r.hls_url]
        if urls:
            QGuiApplication.clipboard().setText("\n".join(urls))
            self.window.say(f"Copied {len(urls)} URL(s)")
