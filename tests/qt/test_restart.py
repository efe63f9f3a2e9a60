"""After a quit, a crash or a kill, a new window over the same home brings the queue and history back."""

from __future__ import annotations

import shutil
from pathlib import Path

from pytestqt.qtbot import QtBot

from hlsstudio.core.jobstore import JobStore, partial_folders
from hlsstudio.core.models import JobState
from hlsstudio.core.ownership import FolderKind, write_marker
from hlsstudio.core.paths import default_output_dir
from hlsstudio.core.probe import probe_file
from hlsstudio.core.settings import load_settings
from hlsstudio.qt.job_table_model import Column
from tests.proctools import ffmpeg_children
from tests.qt.helpers import WindowFactory, run_until, select_ids, wait_ready, wait_state


def test_a_job_left_transcoding_is_interrupted_its_partial_output_removed_and_it_can_be_retried(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path, tmp_path: Path
) -> None:
    other = tmp_path / "second.mp4"
    shutil.copy(good_clip, other)
    store = JobStore.open()
    running, waiting = store.add([good_clip, other])
    info = probe_file(shutil.which("ffprobe") or "ffprobe", good_clip)
    out_dir = default_output_dir() / running.content_id
    partial = out_dir.parent / f".{out_dir.name}.partial-0badc0de"
    partial.mkdir(parents=True)
    write_marker(partial, FolderKind.WORK, "job")  # the encode marks the working folders it makes
    (partial / "stream_180p_000.ts").write_bytes(b"\x47" * 188 * 10)
    store.transition(running.id, JobState.TRANSCODING, info=info, out_dir=str(out_dir))
    store.transition(waiting.id, JobState.READY, info=info.model_copy(update={"path": str(other)}))
    store.update(waiting.id, content_id="second-title")
    store.close()  # the process dies here: nothing else is written

    window = make_window()

    model = window.controller.model
    assert [r.id for r in model.records()] == [running.id, waiting.id]
    interrupted = model.record(running.id)
    assert interrupted is not None and interrupted.state is JobState.INTERRUPTED
    assert "interrupted while transcoding" in (interrupted.error or "")
    assert model.index(0, Column.STATE).data() == "Interrupted"
    assert not partial.exists()
    assert model.record(waiting.id).content_id == "second-title"  # type: ignore[union-attr]
    assert "interrupted" in window.statusBar().currentMessage()

    select_ids(window, [running.id])
    assert window.commands.retry.isEnabled()
    window.commands.retry.trigger()
    assert model.record(running.id).state is JobState.READY  # type: ignore[union-attr]
    wait_ready(qtbot, window)
    window.commands.start.trigger()
    done = wait_state(qtbot, window, running.id, JobState.DONE, JobState.FAILED)
    assert done.state is JobState.DONE, done.error
    assert (out_dir / "master.m3u8").is_file()


def test_quitting_keeps_the_queue_its_order_and_edits(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path, bad_file: Path
) -> None:
    window = make_window()
    first, second = window.controller.add_files([good_clip, bad_file])
    wait_state(qtbot, window, first.id, JobState.READY)
    wait_state(qtbot, window, second.id, JobState.FAILED)
    model = window.controller.model
    assert model.setData(model.index(model.row_of(first.id), Column.CONTENT_ID), "title-42")
    assert model.setData(model.index(model.row_of(first.id), Column.CONTENT_TYPE), "episode")
    select_ids(window, [second.id])
    window.commands.move_top.trigger()
    window.resize(760, 700)
    qtbot.wait(50)  # laid out at the new size: the splitter knows how small each pane may be
    window.main_splitter.setSizes([280, 336])  # room for both panes, and not what the window would pick
    size, side = (window.width(), window.height()), window.main_splitter.sizes()[1]
    assert side == 336
    window.close()

    again = make_window(load_settings())

    records = again.controller.model.records()
    assert [r.id for r in records] == [second.id, first.id]
    assert records[0].state is JobState.FAILED and records[0].error
    assert records[1].state is JobState.READY
    assert records[1].content_id == "title-42" and records[1].content_type.value == "episode"
    assert records[1].info is not None and records[1].info.duration > 0
    assert (again.width(), again.height()) == size != (1280, 800)
    assert again.main_splitter.sizes()[1] == side


def test_closing_with_a_running_job_asks_and_records_it_as_interrupted(
    qtbot: QtBot, make_window: WindowFactory, long_clip: Path
) -> None:
    window = make_window()
    questions: list[str] = []

    def confirm(title: str, text: str) -> bool:
        questions.append(text)
        return len(questions) > 1  # refuse the first time, accept the second

    window.confirm = confirm  # type: ignore[method-assign]
    job = run_until(qtbot, window, long_clip, JobState.TRANSCODING)

    assert not window.close()
    assert window.isVisible() and "running" in questions[0]
    assert window.close()

    assert not ffmpeg_children()
    out_dir = Path(window.controller.model.record(job.id).out_dir)  # type: ignore[union-attr,arg-type]
    assert partial_folders(out_dir) == []
    again = make_window()
    record = again.controller.model.record(job.id)
    assert record is not None and record.state is JobState.INTERRUPTED
