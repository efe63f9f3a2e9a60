"""Files arrive by drag-and-drop (real QDragEnter/QDrop events), folders are scanned, probing starts."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hlsstudio.core.jobs import work
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import JobState, MediaInfo
from hlsstudio.qt.intake import probe_slots
from hlsstudio.qt.job_table_model import Column, ProgressRole
from tests.qt.helpers import WindowFactory, drop, record_named, wait_ready, wait_state


def test_dropped_files_become_rows_and_a_bad_file_fails_in_its_own_row(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path, bad_file: Path
) -> None:
    window = make_window()
    assert window.queue_area.stack.currentWidget() is window.drop_zone

    entered, dropped = drop(window, [good_clip, bad_file])

    assert entered and dropped
    model = window.controller.model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=30_000)
    assert window.queue_area.stack.currentWidget() is window.table
    good = wait_state(qtbot, window, record_named(window, good_clip.name).id, JobState.READY)
    bad = wait_state(qtbot, window, record_named(window, bad_file.name).id, JobState.FAILED)
    good_row, bad_row = model.row_of(good.id), model.row_of(bad.id)
    assert good.info is not None and (good.info.width, good.info.height) == (320, 180)
    assert model.index(good_row, Column.DURATION).data() == "0:02"
    assert model.index(good_row, Column.RESOLUTION).data().startswith("320×180")
    assert model.index(good_row, Column.CONTENT_ID).data() == good_clip.stem
    assert bad.error and "media" in bad.error
    assert model.index(bad_row, Column.OUTCOME).data() == bad.error
    assert model.index(bad_row, Column.STATE).data() == "Can't use file"

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


def test_many_dropped_files_are_probed_a_few_at_a_time_and_stored_in_batches(
    qtbot: QtBot,
    make_window: WindowFactory,
    good_clip: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = [tmp_path / f"clip_{n:02d}.mp4" for n in range(12)]
    for path in files:
        shutil.copyfile(good_clip, path)
    bad_file = tmp_path / "notes.mp4"
    bad_file.write_text("not a video at all\n")
    files.append(bad_file)
    running, most = [0], [0]
    lock = threading.Lock()
    real_probe = work.probe_source

    def counting_probe(path: Path, ffprobe_setting: str = "") -> MediaInfo:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            return real_probe(path, ffprobe_setting)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(work, "probe_source", counting_probe)
    window = make_window()
    window.controller.intake.slots = 2
    store = window.controller.store
    transactions = [0]
    real_many = store.transition_many

    def counting_many(changes: list[tuple[int, JobState, dict[str, object]]]) -> list[JobRecord]:
        transactions[0] += 1
        return real_many(changes)

    monkeypatch.setattr(store, "transition_many", counting_many)

    drop(window, files)

    model = window.controller.model
    qtbot.waitUntil(lambda: model.rowCount() == len(files), timeout=30_000)
    probed = (JobState.READY, JobState.FAILED)
    qtbot.waitUntil(lambda: all(r.state in probed for r in model.records()), timeout=60_000)
    assert most[0] == 2  # never more probes at once than slots
    assert 1 <= transactions[0] < len(files)  # answers are stored in batches
    states = {r.name: r.state for r in store.jobs()}
    assert states.pop(bad_file.name) is JobState.FAILED
    assert set(states.values()) == {JobState.READY}
    assert window.controller.intake.probing == 0


def test_probe_slots_leave_a_core_for_the_window() -> None:
    assert 1 <= probe_slots() <= max(1, os.cpu_count() or 1)
