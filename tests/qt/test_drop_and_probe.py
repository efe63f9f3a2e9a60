"""Files arrive by drag-and-drop (real QDragEnter/QDrop events), folders are scanned, probing starts."""

from __future__ import annotations

import shutil
from pathlib import Path

from pytestqt.qtbot import QtBot

from hlsstudio.core.models import JobState
from hlsstudio.qt.job_table_model import Column, ProgressRole
from tests.qt.helpers import WindowFactory, drop, record_named, wait_ready, wait_state


def test_dropped_files_become_rows_and_a_bad_file_fails_in_its_own_row(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path, bad_file: Path
) -> None:
    window = make_window()
    assert window.queue_stack.currentWidget() is window.drop_zone

    entered, dropped = drop(window, [good_clip, bad_file])

    assert entered and dropped
    model = window.controller.model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=30_000)
    assert window.queue_stack.currentWidget() is window.table
    good = wait_state(qtbot, window, record_named(window, good_clip.name).id, JobState.READY)
    bad = wait_state(qtbot, window, record_named(window, bad_file.name).id, JobState.FAILED)
    good_row, bad_row = model.row_of(good.id), model.row_of(bad.id)
    assert good.info is not None and (good.info.width, good.info.height) == (320, 180)
    assert model.index(good_row, Column.DURATION).data() == "0:02"
    assert model.index(good_row, Column.RESOLUTION).data().startswith("320×180")
    assert model.index(good_row, Column.CONTENT_ID).data() == good_clip.stem
    assert bad.error and "media" in bad.error
    assert model.index(bad_row, Column.OUTCOME).data() == bad.error
    assert model.index(bad_row, Column.STATE).data() == "Failed"

    # the failed row does not hold up the queue: the good file runs to the end
    wait_ready(qtbot, window)
    assert window.commands.start.isEnabled()
    window.commands.start.trigger()
    done = wait_state(qtbot, window, good.id, JobState.DONE, JobState.FAILED)
    assert done.state is JobState.DONE, done.error
    assert model.index(good_row, Column.PROGRESS).data(ProgressRole) == (1.0, "100%")
    assert record_named(window, bad_file.name).state is JobState.FAILED


def test_a_dropped_folder_is_searched_for_videos_only(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    (folder / "season 1" / "extras").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    shutil.copy(good_clip, folder / "season 1" / "ep01.mp4")
    shutil.copy(good_clip, folder / "season 1" / "extras" / "Making Of.MOV")
    shutil.copy(good_clip, folder / ".hidden" / "secret.mp4")
    (folder / "notes.txt").write_text("not a video")
    (folder / "season 1" / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    window = make_window()

    drop(window, [folder])

    model = window.controller.model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=30_000)
    assert sorted(r.name for r in model.records()) == ["Making Of.MOV", "ep01.mp4"]
    assert sorted(r.content_id for r in model.records()) == ["Making-Of", "ep01"]
    for record in model.records():
        wait_state(qtbot, window, record.id, JobState.READY)


def test_a_drag_without_local_files_is_refused(make_window: WindowFactory) -> None:
    window = make_window()

    entered, dropped = drop(window, [])

    assert not entered and not dropped
    assert window.controller.model.rowCount() == 0


def test_dropping_a_file_already_waiting_does_not_queue_it_twice(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path
) -> None:
    window = make_window()
    drop(window, [good_clip])
    qtbot.waitUntil(lambda: window.controller.model.rowCount() == 1, timeout=30_000)

    drop(window, [good_clip])

    qtbot.waitUntil(lambda: "Nothing new" in window.statusBar().currentMessage(), timeout=30_000)
    assert window.controller.model.rowCount() == 1
