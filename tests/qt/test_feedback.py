"""Feedback a person can read at once: a cancelled encode says "Cancelling…" the moment Cancel is
pressed, and a reason in the Outcome column is cut at its end, not in its middle."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from hlsstudio.core.models import JobState
from hlsstudio.core.settings import AppSettings
from hlsstudio.qt.columns import Column
from hlsstudio.qt.pools import sync_pools
from tests.qt.helpers import WindowFactory, select_ids, small_ladder, wait_ready, wait_state


def state_text(window: object, job_id: int) -> str:
    model = window.controller.model  # type: ignore[attr-defined]
    return str(model.index(model.row_of(job_id), Column.STATE).data())


def test_cancel_shows_cancelling_at_once_then_cancelled(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, long_clip: Path
) -> None:
    window = make_window(fast_settings.model_copy(update={"ladder": small_ladder()}))
    job_id = window.controller.add_files([long_clip])[0].id
    wait_state(qtbot, window, job_id, JobState.READY)
    wait_ready(qtbot, window)
    window.controller.start()
    qtbot.waitUntil(lambda: (window.controller.model.job_row(job_id).progress or 0) != 0, timeout=60_000)  # type: ignore[union-attr]
    select_ids(window, [job_id])
    window.commands.cancel.trigger()
    assert state_text(window, job_id) == "Cancelling…"  # before ffmpeg has even been asked to stop
    wait_state(qtbot, window, job_id, JobState.CANCELLED)
    assert state_text(window, job_id) == "Cancelled"


def test_a_reason_is_cut_at_its_end(make_window: WindowFactory, tmp_path: Path) -> None:
    window = make_window(pools=sync_pools())
    bad = tmp_path / "interview take 3.mp4"
    bad.write_text("not a video")
    job = window.controller.add_files([bad])[0]
    model = window.controller.model
    reason = model.index(model.row_of(job.id), Column.OUTCOME)
    assert str(reason.data()).startswith("not a media file")
    option = QStyleOptionViewItem()
    window.table.itemDelegateForColumn(Column.OUTCOME).initStyleOption(option, reason)
    assert option.textElideMode == Qt.TextElideMode.ElideRight
    assert window.table.textElideMode() == Qt.TextElideMode.ElideMiddle  # file names keep both ends
