"""The SQLite job store: queue order, transitions, persistence across opens, crash recovery."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from hlsstudio.core import paths
from hlsstudio.core.jobstore import (
    JobStore,
    db_path,
    partial_folders,
    suggest_content_id,
)
from hlsstudio.core.models import ContentType, JobResult, JobState, MediaInfo
from hlsstudio.core.ownership import FolderKind, write_marker


def info(path: str = "/media/a.mp4") -> MediaInfo:
    return MediaInfo(
        path=path,
        container="mp4",
        duration=12.5,
        size=1000,
        video_codec="h264",
        coded_width=320,
        coded_height=180,
        width=320,
        height=180,
        fps=25.0,
    )


@pytest.fixture
def store() -> Iterator[JobStore]:
    opened = JobStore.open()
    yield opened
    opened.close()


def test_database_lives_under_the_data_dir(hlsstudio_home: Path) -> None:
    assert db_path().parent == paths.data_dir()
    assert str(db_path()).startswith(str(hlsstudio_home))


@pytest.mark.parametrize(
    ("name", "taken", "expected"),
    [
        ("My Film (2024).mov", (), "My-Film-2024"),
        ("Harbour Lights - trailer.mov", (), "Harbour-Lights-trailer"),
        ("episode_01.mkv", (), "episode_01"),
        ("été à Paris.mp4", (), "ete-a-Paris"),
        ("...mp4", (), "video"),
        ("clip.mp4", ("clip",), "clip-2"),
        ("clip.mp4", ("clip", "clip-2"), "clip-3"),
    ],
)
def test_suggested_content_ids_are_safe_and_unique(name: str, taken: tuple[str, ...], expected: str) -> None:
    assert suggest_content_id(f"/x/{name}", taken) == expected


def test_add_keeps_order_and_suggests_unique_ids(store: JobStore) -> None:
    added = store.add(["/m/b.mp4", "/m/a.mp4", "/other/a.mp4"], ContentType.EPISODE)
    assert [j.source for j in added] == ["/m/b.mp4", "/m/a.mp4", "/other/a.mp4"]
    assert [j.content_id for j in added] == ["b", "a", "a-2"]
    assert all(j.state is JobState.QUEUED and j.content_type is ContentType.EPISODE for j in added)
    assert [j.id for j in store.jobs()] == [j.id for j in added]


def test_transitions_persist_across_opens(store: JobStore) -> None:
    job = store.add(["/m/a.mp4"])[0]
    store.transition(job.id, JobState.READY, info=info())
    result = JobResult(status="failed", source="/m/a.mp4", error="ffmpeg failed: boom", error_detail="tail")
    store.transition(job.id, JobState.FAILED, error="ffmpeg failed: boom", error_detail="tail", result=result)
    store.close()

    again = JobStore.open()
    try:
        loaded = again.get(job.id)
        assert loaded is not None
        assert loaded.state is JobState.FAILED
        assert loaded.info is not None and loaded.info.duration == 12.5
        assert loaded.result is not None and loaded.result.error_detail == "tail"
        assert loaded.error == "ffmpeg failed: boom"
        states = [state for _, state, _ in again.history(job.id)]
        assert states == [JobState.QUEUED, JobState.READY, JobState.FAILED]
        assert again.recovered == []
    finally:
        again.close()


def test_update_and_reorder(store: JobStore) -> None:
    a, b, c = store.add(["/m/a.mp4", "/m/b.mp4", "/m/c.mp4"])
    store.update(b.id, content_id="bee", content_type="episode")
    store.reorder([c.id, a.id])
    jobs = store.jobs()
    assert [j.id for j in jobs] == [c.id, a.id, b.id]
    assert jobs[2].content_id == "bee" and jobs[2].content_type is ContentType.EPISODE
    with pytest.raises(TypeError):
        store.update(a.id, state="done")


def test_remove_deletes_job_and_history(store: JobStore) -> None:
    a, b = store.add(["/m/a.mp4", "/m/b.mp4"])
    store.remove([a.id])
    assert [j.id for j in store.jobs()] == [b.id]
    assert store.history(a.id) == []


def test_open_marks_active_jobs_interrupted_and_removes_partials(tmp_path: Path) -> None:
    first = JobStore.open()
    running, publishing, ready, done = first.add(["/m/a.mp4", "/m/b.mp4", "/m/c.mp4", "/m/d.mp4"])
    out_dir = tmp_path / "out" / running.content_id
    partial = out_dir.parent / f".{out_dir.name}.partial-1a2b3c4d"
    (partial / "sub").mkdir(parents=True)
    write_marker(partial, FolderKind.WORK, "job")  # the encode marks the working folders it makes
    (partial / "sub" / "stream_360p_000.ts").write_bytes(b"x" * 188)
    neighbour = out_dir.parent / "other-title"
    neighbour.mkdir()
    first.transition(running.id, JobState.TRANSCODING, out_dir=str(out_dir))
    first.transition(publishing.id, JobState.PUBLISHING)
    first.transition(ready.id, JobState.READY, info=info())
    first.transition(done.id, JobState.DONE, hls_url="https://cdn/x/master.m3u8")
    first._db.close()  # a kill: no orderly close

    second = JobStore.open()
    try:
        assert sorted(second.recovered) == sorted([running.id, publishing.id])
        states = {j.id: j.state for j in second.jobs()}
        assert states == {
            running.id: JobState.INTERRUPTED,
            publishing.id: JobState.INTERRUPTED,
            ready.id: JobState.READY,
            done.id: JobState.DONE,
        }
        interrupted = second.get(running.id)
        assert interrupted is not None and "interrupted while transcoding" in (interrupted.error or "")
        assert not partial.exists()
        assert partial_folders(out_dir) == []
        assert neighbour.is_dir()
    finally:
        second.close()


def test_open_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "jobs.sqlite3"
    bogus.write_text("not a database " * 100)
    with pytest.raises(sqlite3.DatabaseError):
        JobStore.open(bogus)
