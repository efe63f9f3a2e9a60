"""The queue controller and its model with the synchronous pool: deterministic, step by step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hlsstudio.core.jobstore import JobStore
from hlsstudio.core.models import ContentType, JobState, Progress
from hlsstudio.core.settings import AppSettings
from hlsstudio.qt.job_table_model import Column
from hlsstudio.qt.pools import SyncPool, sync_pools
from hlsstudio.qt.queue_controller import QueueController


@pytest.fixture
def controller(qtbot: QtBot, fast_settings: AppSettings) -> Iterator[QueueController]:
    store = JobStore.open()
    made = QueueController(store, fast_settings, sync_pools())
    made.load()  # sync pools: the toolchain is located before load() returns
    yield made
    made.shutdown()
    store.close()


def text_files(folder: Path, count: int, content: str = "not a video") -> list[Path]:
    """``count`` files named like videos that are not (empty ones fail before ffprobe runs)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for n in range(count):
        path = folder / f"clip {n:03d}.mp4"
        path.write_text(content)
        files.append(path)
    return files


def test_sync_pool_runs_nested_starts_in_order_without_recursion() -> None:
    from PySide6.QtCore import QRunnable

    pool, order = SyncPool(), []

    class Step(QRunnable):
        def __init__(self, n: int) -> None:
            super().__init__()
            self.n = n

        def run(self) -> None:
            order.append(("start", self.n))
            if self.n < 3:
                pool.start(Step(self.n + 1))
            order.append(("end", self.n))

    pool.start(Step(1))

    assert order == [("start", 1), ("end", 1), ("start", 2), ("end", 2), ("start", 3), ("end", 3)]


def test_two_hundred_files_arrive_in_one_insert_and_each_fails_in_its_row(
    controller: QueueController, tmp_path: Path
) -> None:
    inserts: list[tuple[int, int]] = []
    controller.model.rowsInserted.connect(lambda _parent, first, last: inserts.append((first, last)))

    controller.add_paths(text_files(tmp_path / "drop", 200, content=""))

    assert inserts == [(0, 199)]
    records = controller.model.records()
    assert len(records) == 200
    assert {r.state for r in records} == {JobState.FAILED}
    assert all(r.error == "empty file (0 bytes)" for r in records)
    assert [r.content_id for r in records[:2]] == ["clip-000", "clip-001"]
    assert controller.toolchain is not None


def test_move_up_down_and_to_top_are_kept_in_the_store(controller: QueueController, tmp_path: Path) -> None:
    a, b, c, d = controller.add_files(text_files(tmp_path, 4))

    controller.move([c.id], "up")
    assert [r.id for r in controller.model.records()] == [a.id, c.id, b.id, d.id]
    controller.move([a.id, c.id], "down")  # a block moves together
    assert [r.id for r in controller.model.records()] == [b.id, a.id, c.id, d.id]
    controller.move([d.id, c.id], "top")
    assert [r.id for r in controller.model.records()] == [c.id, d.id, b.id, a.id]
    controller.move([c.id], "up")  # already first: nothing moves
    assert [r.id for r in controller.store.jobs()] == [c.id, d.id, b.id, a.id]


def test_content_edits_are_validated_and_stored(controller: QueueController, tmp_path: Path) -> None:
    job = controller.add_files(text_files(tmp_path, 1))[0]
    model = controller.model
    id_cell, type_cell = model.index(0, Column.CONTENT_ID), model.index(0, Column.CONTENT_TYPE)

    assert not model.setData(id_cell, "has spaces")
    assert not model.setData(id_cell, "../escape")
    assert not model.setData(type_cell, "documentary")
    assert model.setData(id_cell, "title_7-b")
    assert model.setData(type_cell, "episode")

    stored = controller.store.get(job.id)
    assert stored is not None
    assert stored.content_id == "title_7-b" and stored.content_type is ContentType.EPISODE
    assert model.index(0, Column.CONTENT_TYPE).data() == "Episode"


def test_cancel_and_retry_of_waiting_jobs(controller: QueueController, tmp_path: Path) -> None:
    job = controller.add_files(text_files(tmp_path, 1))[0]
    assert controller.model.record(job.id).state is JobState.FAILED  # type: ignore[union-attr]

    assert controller.retry([job.id]) == 1  # re-probed at once (sync pool): fails again
    assert controller.model.record(job.id).state is JobState.FAILED  # type: ignore[union-attr]
    history = [state for _, state, _ in controller.store.history(job.id)]
    # "Probing" is shown in the row but never stored: a restart probes a Queued job again
    assert history == [JobState.QUEUED, JobState.FAILED, JobState.QUEUED, JobState.FAILED]

    controller.store.transition(job.id, JobState.READY)
    controller.model.update_record(controller.store.get(job.id))  # type: ignore[arg-type]
    controller.cancel([job.id])
    assert controller.model.record(job.id).state is JobState.CANCELLED  # type: ignore[union-attr]
    assert controller.retry([job.id]) == 1  # never probed successfully: probed again
    assert controller.model.record(job.id).state is JobState.FAILED  # type: ignore[union-attr]
    assert controller.store.history(job.id)[-2][1] is JobState.QUEUED


def test_progress_repaints_are_throttled(qtbot: QtBot, controller: QueueController, tmp_path: Path) -> None:
    job = controller.add_files(text_files(tmp_path, 1))[0]
    controller.store.transition(job.id, JobState.TRANSCODING)
    controller.model.update_record(controller.store.get(job.id))  # type: ignore[arg-type]
    repaints: list[int] = []
    controller.model.dataChanged.connect(lambda first, _last: repaints.append(first.column()))

    for n in range(1, 501):
        controller.model.set_progress(job.id, Progress(fraction=n / 500, speed=2.0, eta=10 - n / 50))

    assert repaints == []
    qtbot.waitUntil(lambda: bool(repaints), timeout=5_000)
    assert repaints == [Column.PROGRESS]
    assert controller.model.index(0, Column.PROGRESS).data() == "100% · 2.0× · ETA 0:00"


def test_remove_deletes_rows_and_history(controller: QueueController, tmp_path: Path) -> None:
    a, b = controller.add_files(text_files(tmp_path, 2))

    controller.remove([a.id])

    assert [r.id for r in controller.model.records()] == [b.id]
    assert controller.store.get(a.id) is None
