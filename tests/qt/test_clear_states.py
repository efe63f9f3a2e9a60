"""The window says what each job is, in words: encode and publish apart, reasons in full under the
queue, blockers in a banner, pause and cancel that show what they do, rows dragged into a new order.

Real encodes of generated clips and the local-folder destination; questions are answered through the
window's ``confirm``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from hlsstudio.core import layout
from hlsstudio.core.models import JobState
from hlsstudio.core.settings import AppSettings, DestinationSettings
from hlsstudio.qt.columns import Column
from hlsstudio.qt.delegates import ContentIdEdit, ReasonDelegate
from hlsstudio.qt.job_status import PUBLISHED
from tests.qt.helpers import WindowFactory, run_until, select_ids, small_ladder, wait_ready, wait_state


def cell(window: object, job_id: int, column: Column) -> str:
    model = window.controller.model  # type: ignore[attr-defined]
    return str(model.index(model.row_of(job_id), column).data())


def settings_with(fast: AppSettings, tmp_path: Path, **changes: object) -> AppSettings:
    return fast.model_copy(update={"ladder": small_ladder(), "output_dir": str(tmp_path / "out"), **changes})


def test_a_failed_publish_keeps_the_encode_and_retry_publishes_only(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, good_clip: Path, tmp_path: Path
) -> None:
    broken = DestinationSettings(bucket="my-bucket")  # a bucket name only: cannot work
    window = make_window(settings_with(fast_settings, tmp_path, destination=broken))
    job = run_until(qtbot, window, good_clip)
    assert cell(window, job.id, Column.STATE) == "Encoded"
    select_ids(window, [job.id])

    window.rows.publish()
    record = wait_state(qtbot, window, job.id, JobState.PUBLISH_FAILED)

    assert cell(window, job.id, Column.STATE) == "Publish failed"
    assert record.error and record.error.startswith("publishing failed")
    assert "Account ID" in record.error and "R2_" not in record.error  # named as the dialog names it
    panel = window.publish_panel
    assert "Not published" in panel.title.text()
    assert panel.minimumSizeHint().width() < 500  # a long reason wraps, it never widens the panel
    assert cell(window, job.id, Column.OUTCOME) == record.error
    assert window.commands.publish.isEnabled()  # publishing stays available
    assert window.commands.retry.isEnabled() and window.commands.retry.text() == "Retry publish"
    message = window.queue_area.message
    assert message.isVisible() and record.error in message.text()
    assert "package is kept" in message.text()

    # the destination is fixed: retry publishes the same package, it does not encode again
    window.apply_settings(
        window.settings.model_copy(
            update={"destination": DestinationSettings(local_dir=str(tmp_path / "published"))}
        )
    )
    with qtbot.waitSignal(window.controller.publish_finished, timeout=60_000):
        window.commands.retry.trigger()
    record = wait_state(qtbot, window, job.id, JobState.DONE)
    assert record.hls_url and cell(window, job.id, Column.STATE) == PUBLISHED
    history = [state for _, state, _ in window.store.history(job.id)]
    assert history.count(JobState.TRANSCODING) == 1


def test_reasons_are_cut_at_their_end_and_read_in_full_under_the_queue(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    long_name = tmp_path / ("a-very-long-name-" * 6 + "broken.mp4")
    long_name.write_text("not a video\n" * 50, encoding="utf-8")
    window = make_window()
    job = window.controller.add_files([long_name])[0]
    record = wait_state(qtbot, window, job.id, JobState.FAILED)
    assert record.error

    model = window.controller.model
    option = QStyleOptionViewItem()
    ReasonDelegate(window.table).initStyleOption(option, model.index(model.row_of(job.id), Column.OUTCOME))
    assert option.textElideMode == Qt.TextElideMode.ElideRight
    select_ids(window, [job.id])
    text = window.queue_area.message.text()
    assert record.error in text and "media player" in text  # the whole reason, then the next step
    assert window.queue_area.message.wordWrap()

    window.table.clearSelection()
    assert not window.queue_area.message.isVisible()


def test_a_start_blocker_is_a_banner_above_the_queue_in_plain_words(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path
) -> None:
    window = make_window()
    job = window.controller.add_files([good_clip])[0]
    wait_state(qtbot, window, job.id, JobState.READY)
    wait_ready(qtbot, window)
    banner = window.queue_area.banner
    assert not banner.isVisible()

    window.controller.set_ladder(None, ["rung '144p' must be at least 16 px tall"])

    assert banner.isVisible()
    assert banner.text() == "Can't start: rung '144p' must be at least 16 px tall"
    assert not window.commands.start.isEnabled()
    assert (
        banner.mapTo(window, banner.rect().topLeft()).y()
        < window.table.mapTo(window, window.table.rect().topLeft()).y()
    )
    model = window.controller.model
    assert "ladder has a problem" in str(model.index(0, Column.RUNGS).data())

    window.controller.set_ladder(small_ladder())
    assert not banner.isVisible() and window.commands.start.isEnabled()
    assert str(model.index(0, Column.RUNGS).data()) == "180p"


def test_pause_says_it_waits_for_the_running_job_then_says_paused(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, long_clip: Path, tmp_path: Path
) -> None:
    window = make_window(settings_with(fast_settings, tmp_path))
    job = run_until(qtbot, window, long_clip, JobState.TRANSCODING)

    window.commands.pause.trigger()

    banner = window.queue_area.banner
    assert banner.isVisible() and banner.text().startswith("Pausing after the current job")
    assert not window.commands.pause.isEnabled() and window.commands.start.isEnabled()
    wait_state(qtbot, window, job.id, JobState.DONE, timeout=120_000)
    qtbot.waitUntil(lambda: banner.text().startswith("Paused"), timeout=10_000)
    assert window.commands.pause.text() == "Paused"

    window.commands.start.trigger()
    assert not banner.isVisible()


def test_cancel_shows_cancelling_at_once_and_asks_before_throwing_away_a_long_encode(
    *,
    qtbot: QtBot,
    make_window: WindowFactory,
    fast_settings: AppSettings,
    long_clip: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window(settings_with(fast_settings, tmp_path))
    questions: list[str] = []
    answer = [False]

    def confirm(title: str, text: str) -> bool:
        questions.append(title)
        return answer[0]

    monkeypatch.setattr(window, "confirm", confirm)
    job = run_until(qtbot, window, long_clip, JobState.TRANSCODING)
    row = window.controller.model.job_row(job.id)
    assert row is not None and row.encode_started is not None
    row.encode_started -= 600  # as if it had run ten minutes
    select_ids(window, [job.id])

    window.commands.cancel.trigger()  # the user says no
    assert questions == ["Cancel the encode?"]
    assert cell(window, job.id, Column.STATE) == "Encoding"

    answer[0] = True
    window.commands.cancel.trigger()
    assert cell(window, job.id, Column.STATE) == "Cancelling…"  # at once, before ffmpeg has stopped
    wait_state(qtbot, window, job.id, JobState.CANCELLED, timeout=60_000)
    assert window.commands.retry.text() == "Retry encode"


def test_rows_dragged_to_a_new_place_change_the_queue_order(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path, tmp_path: Path
) -> None:
    window = make_window()
    sources = []
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        target = tmp_path / name
        target.write_bytes(good_clip.read_bytes())
        sources.append(target)
    a, b, c = window.controller.add_files(sources)
    model = window.controller.model

    data = model.mimeData([model.index(model.row_of(c.id), 0)])
    model.dropMimeData(data, Qt.DropAction.MoveAction, 0, 0, QModelIndex())  # c dropped above a

    qtbot.waitUntil(lambda: model.job_ids() == [c.id, a.id, b.id], timeout=5_000)
    assert [r.id for r in window.store.jobs()] == [c.id, a.id, b.id]
    data = model.mimeData([model.index(0, 0), model.index(1, 0)])
    model.dropMimeData(data, Qt.DropAction.MoveAction, -1, 0, QModelIndex())  # c and a to the end
    qtbot.waitUntil(lambda: model.job_ids() == [b.id, c.id, a.id], timeout=5_000)
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsDragEnabled


def test_actions_with_nothing_to_act_on_are_disabled(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path, tmp_path: Path
) -> None:
    window = make_window()
    a = window.controller.add_files([good_clip])[0]
    wait_state(qtbot, window, a.id, JobState.READY)
    commands = window.commands
    window.table.clearSelection()
    for action in (commands.retry, commands.remove, commands.move_up, commands.move_down, commands.cancel):
        assert not action.isEnabled(), action.text()
    select_ids(window, [a.id])
    assert commands.remove.isEnabled() and commands.cancel.isEnabled()
    assert not commands.move_up.isEnabled() and not commands.move_down.isEnabled()  # the only row
    assert not commands.retry.isEnabled() and not commands.publish.isEnabled()


def test_the_content_id_field_says_why_a_character_was_refused(qtbot: QtBot) -> None:
    edit = ContentIdEdit()
    qtbot.addWidget(edit)

    qtbot.keyClicks(edit, "my film/2024")

    assert edit.text() == "my-film2024"
    assert "'/'" in edit.refusal and "letters, digits" in edit.refusal


def test_start_asks_before_an_automatic_publish_replaces_a_live_title(
    *,
    qtbot: QtBot,
    make_window: WindowFactory,
    fast_settings: AppSettings,
    good_clip: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    destination = DestinationSettings(local_dir=str(tmp_path / "published"))
    window = make_window(settings_with(fast_settings, tmp_path, destination=destination, auto_publish=True))
    questions: list[str] = []
    monkeypatch.setattr(window, "confirm", lambda title, _text: questions.append(title) or False)
    first_source = tmp_path / "first.mp4"
    first_source.write_bytes(good_clip.read_bytes())
    first = run_until(qtbot, window, first_source)
    assert window.controller.model.record(first.id).hls_url  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: ("movie", first.content_id) in window.controller.live, timeout=10_000)
    master = next((tmp_path / "published").rglob(layout.MASTER))
    live = master.read_bytes()

    second_source = tmp_path / "second.mp4"
    second_source.write_bytes(good_clip.read_bytes())
    second = window.controller.add_files([second_source])[0]
    wait_state(qtbot, window, second.id, JobState.READY)
    model = window.controller.model
    assert model.setData(model.index(model.row_of(second.id), Column.CONTENT_ID), first.content_id)
    wait_ready(qtbot, window)
    window.rows.start()  # the user says no to replacing it

    assert questions == [f"Replace the live title '{first.content_id}'?"]
    record = wait_state(qtbot, window, second.id, JobState.PUBLISH_FAILED, timeout=60_000)
    assert record.error and "is live" in record.error
    assert master.read_bytes() == live
    assert cell(window, second.id, Column.STATE) == "Publish failed"
