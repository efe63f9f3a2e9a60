"""Jobs run on the real QThreadPool with real ffmpeg: to Done with a valid package, or cancelled cleanly."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from hlsstudio.core.jobstore import JobStore, partial_folders
from hlsstudio.core.models import JobState
from hlsstudio.core.settings import AppSettings
from hlsstudio.qt.job_table_model import NOT_PUBLISHED, Column, ProgressRole
from tests.proctools import ffmpeg_children
from tests.qt.helpers import WindowFactory, select_ids, small_ladder, wait_ready, wait_state


def test_a_job_reaches_done_at_100_percent_with_a_valid_package(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, good_clip: Path
) -> None:
    window = make_window(fast_settings.model_copy(update={"ladder": small_ladder()}))
    ids = [r.id for r in window.controller.add_files([good_clip])]
    seen: list[float] = []

    def note_progress() -> None:
        row = window.controller.model.job_row(ids[0])
        if row is not None and row.progress is not None:
            seen.append(row.progress.fraction)

    window.controller.model.dataChanged.connect(note_progress)
    wait_state(qtbot, window, ids[0], JobState.READY)
    wait_ready(qtbot, window)

    with qtbot.waitSignal(window.controller.queue_finished, timeout=60_000) as finished:
        window.commands.start.trigger()

    assert finished.args == [1, 0]
    record = window.controller.model.record(ids[0])
    assert record is not None and record.state is JobState.DONE, record
    assert record.result is not None and record.result.validation is not None
    assert record.result.validation.ok
    package = Path(record.result.output_dir or "")
    assert (package / "master.m3u8").is_file()
    assert package.name == record.content_id
    assert seen and max(seen) == 1.0
    row = window.controller.model.row_of(ids[0])
    assert window.controller.model.index(row, Column.PROGRESS).data(ProgressRole) == (1.0, "100%")
    assert window.controller.model.index(row, Column.OUTCOME).data() == NOT_PUBLISHED
    assert window.controller.model.index(row, Column.STATE).data() == "Encoded"
    assert window.notifier.last == ("Queue finished", "1 done")
    assert not partial_folders(package)
    stored = JobStore.open(window.store.path, recover=False)
    try:
        again = stored.get(ids[0])
        assert again is not None and again.state is JobState.DONE
    finally:
        stored.close()


def test_cancel_mid_transcode_leaves_no_partial_folder_and_no_ffmpeg(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, long_clip: Path
) -> None:
    window = make_window(fast_settings.model_copy(update={"ladder": small_ladder()}))
    job_id = window.controller.add_files([long_clip])[0].id
    wait_state(qtbot, window, job_id, JobState.READY)
    wait_ready(qtbot, window)
    window.commands.start.trigger()

    def encoding() -> bool:
        row = window.controller.model.job_row(job_id)
        return row is not None and row.progress is not None and row.progress.fraction > 0

    qtbot.waitUntil(encoding, timeout=60_000)
    assert window.controller.model.record(job_id).state is JobState.TRANSCODING  # type: ignore[union-attr]
    assert ffmpeg_children(), "ffmpeg should be running now"
    select_ids(window, [job_id])
    assert window.commands.cancel.isEnabled()
    window.commands.cancel.trigger()

    record = wait_state(qtbot, window, job_id, JobState.CANCELLED, JobState.DONE, JobState.FAILED)
    assert record.state is JobState.CANCELLED
    assert record.out_dir
    out_dir = Path(record.out_dir)
    assert not out_dir.exists()
    assert partial_folders(out_dir) == []
    qtbot.waitUntil(lambda: not ffmpeg_children(), timeout=10_000)
    assert window.commands.retry.isEnabled()
