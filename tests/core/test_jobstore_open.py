"""Opening the job store: damaged vs. locked vs. newer databases, migrations, unknown states, cleanup."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hlsstudio.core import jobdb
from hlsstudio.core.jobdb import (
    SCHEMA_VERSION,
    DamagedStoreError,
    NewerStoreError,
    StoreUnavailableError,
)
from hlsstudio.core.jobstore import JobStore, db_path, partial_folders
from hlsstudio.core.models import JobState
from hlsstudio.core.ownership import FolderKind, write_marker

SHORT_WAIT = 0.3


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


@pytest.fixture
def filled() -> Path:
    """A closed job database with a few hundred jobs (several pages), as a previous run left it."""
    store = JobStore.open()
    store.add([f"/media/clip-{n:04d}-{'x' * 200}.mp4" for n in range(400)])
    store.close()
    return db_path()


@pytest.fixture
def held_exclusively(filled: Path) -> Iterator[sqlite3.Connection]:
    """Another program holding the database with an exclusive lock (no one else may even read it)."""
    other = sqlite3.connect(filled, isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    other.execute("UPDATE jobs SET position = position")
    other.execute("COMMIT")  # in exclusive locking mode the lock stays after the commit
    yield other
    other.close()


def test_a_file_that_is_not_a_database_is_reported_damaged(tmp_path: Path) -> None:
    bogus = tmp_path / "jobs.sqlite3"
    bogus.write_text("not a database " * 100)
    with pytest.raises(DamagedStoreError, match="damaged") as caught:
        JobStore.open(bogus)
    assert isinstance(caught.value, sqlite3.DatabaseError)
    assert bogus.read_text() == "not a database " * 100  # nothing written


def test_a_database_with_damaged_pages_is_reported_damaged(filled: Path) -> None:
    data = bytearray(filled.read_bytes())
    page = 4096
    assert len(data) > 6 * page, "the fixture should span several pages"
    for start in range(2 * page, len(data) - page, page):
        data[start + 8 : start + page - 8] = b"\xa5" * (page - 16)  # pages 3..n: garbage
    filled.write_bytes(bytes(data))

    with pytest.raises(DamagedStoreError):
        JobStore.open(filled)


def test_a_locked_database_is_unavailable_not_damaged(
    filled: Path, held_exclusively: sqlite3.Connection
) -> None:
    before = filled.read_bytes()
    with pytest.raises(StoreUnavailableError, match="in use by another program") as caught:
        JobStore.open(filled, busy_timeout=SHORT_WAIT)
    assert not isinstance(caught.value, sqlite3.DatabaseError)
    assert filled.read_bytes() == before


def test_a_path_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    in_the_way = tmp_path / "jobs.sqlite3"
    in_the_way.mkdir()  # a folder where the file should be: SQLite cannot open it
    with pytest.raises(StoreUnavailableError, match="cannot be opened"):
        JobStore.open(in_the_way)


def test_a_database_from_a_newer_app_is_refused_and_left_alone(filled: Path) -> None:
    with sqlite3.connect(filled) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    with pytest.raises(NewerStoreError, match="newer HLS Studio"):
        JobStore.open(filled)
    assert user_version(filled) == SCHEMA_VERSION + 5
    with sqlite3.connect(filled) as db:
        assert db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 400


def test_a_new_database_gets_the_current_schema_version(tmp_path: Path) -> None:
    store = JobStore.open(tmp_path / "new.sqlite3")
    store.close()
    assert user_version(tmp_path / "new.sqlite3") == SCHEMA_VERSION


def test_an_older_database_is_migrated_step_by_step(filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def add_priority(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")

    monkeypatch.setattr(jobdb, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(jobdb.MIGRATIONS, SCHEMA_VERSION, add_priority)

    store = JobStore.open(filled)
    try:
        assert len(store.jobs()) == 400
    finally:
        store.close()
    assert user_version(filled) == SCHEMA_VERSION + 1
    with sqlite3.connect(filled) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(jobs)")]
    assert "priority" in columns

    again = JobStore.open(filled)  # already migrated: opening again changes nothing
    again.close()
    assert user_version(filled) == SCHEMA_VERSION + 1


def set_raw_state(job_id: int, state: str, out_dir: str | None = None) -> None:
    with sqlite3.connect(db_path()) as db:
        db.execute("UPDATE jobs SET state=?, out_dir=? WHERE id=?", (state, out_dir, job_id))
        db.execute("INSERT INTO transitions(job_id, at, state) VALUES (?,?,?)", (job_id, time.time(), state))


def test_a_state_this_version_does_not_know_reads_as_interrupted(tmp_path: Path) -> None:
    store = JobStore.open()
    job, other = store.add(["/m/a.mp4", "/m/b.mp4"])
    store.close()
    out_dir = tmp_path / "out" / job.content_id
    partial = out_dir.parent / f".{out_dir.name}.partial-0f0f0f0f"
    partial.mkdir(parents=True)
    write_marker(partial, FolderKind.WORK, str(job.id))
    set_raw_state(job.id, "archiving-in-the-cloud", str(out_dir))  # a newer app's state

    reader = JobStore.open(recover=False)
    try:
        record = reader.get(job.id)
        assert record is not None and record.state is JobState.INTERRUPTED
        assert "archiving-in-the-cloud" in (record.error or "")
        assert reader.history(job.id)[-1][1] is JobState.INTERRUPTED
        assert [r.state for r in reader.jobs()] == [JobState.INTERRUPTED, JobState.QUEUED]
    finally:
        reader.close()

    recovering = JobStore.open()
    try:
        assert recovering.recovered == [job.id]
        assert not partial.exists()
    finally:
        recovering.close()
    with sqlite3.connect(db_path()) as db:
        stored = dict(db.execute("SELECT id, state FROM jobs").fetchall())
    assert stored == {job.id: "interrupted", other.id: "queued"}


def test_recovery_removes_only_the_partial_folders_the_app_made(tmp_path: Path) -> None:
    store = JobStore.open()
    job = store.add(["/m/a.mp4"])[0]
    out_dir = tmp_path / "out" / job.content_id
    ours = out_dir.parent / f".{out_dir.name}.partial-1a2b3c4d"
    theirs = out_dir.parent / f".{out_dir.name}.partial-user-notes"
    for folder in (ours, theirs):
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "file.ts").write_bytes(b"\x47" * 188)
    write_marker(ours, FolderKind.WORK, str(job.id))
    store.transition(job.id, JobState.TRANSCODING, out_dir=str(out_dir))
    store.close()

    again = JobStore.open()
    try:
        assert again.recovered == [job.id]
        assert not ours.exists()
        assert (theirs / "sub" / "file.ts").is_file()
        assert partial_folders(out_dir) == [theirs]
    finally:
        again.close()
