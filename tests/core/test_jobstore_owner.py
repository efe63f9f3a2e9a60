"""Job owners: recovery leaves a live process's jobs alone, claims, polling for changes, schema 1 → 2."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hlsstudio.core import jobdb
from hlsstudio.core.jobowner import owner_alive, owner_of_pid, parse_owner, process_owner
from hlsstudio.core.jobstore import JobStore, db_path
from hlsstudio.core.models import JobState
from hlsstudio.core.ownership import FolderKind, write_marker

SLEEPER = "import time; time.sleep(30)"


def start_sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", SLEEPER])


def end(child: subprocess.Popen[bytes]) -> None:
    child.kill()
    child.wait(timeout=10)


@pytest.fixture
def live_owner() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Another running process on this machine (as a second app or a command line run would be)."""
    child = start_sleeper()
    try:
        yield child, owner_of_pid(child.pid)
    finally:
        end(child)


@pytest.fixture
def dead_owner() -> str:
    """The owner id of a process that has ended (and been reaped)."""
    child = start_sleeper()
    owner = owner_of_pid(child.pid)
    end(child)
    return owner


def with_partial(tmp_path: Path, job_id: int, content_id: str) -> tuple[Path, Path]:
    out_dir = tmp_path / "out" / content_id
    partial = out_dir.parent / f".{out_dir.name}.partial-0a0b0c0d"
    partial.mkdir(parents=True)
    write_marker(partial, FolderKind.WORK, str(job_id))
    return out_dir, partial


def test_the_process_owner_names_this_host_and_pid_and_is_alive() -> None:
    owner = process_owner()
    assert owner == process_owner()  # cached
    assert parse_owner(owner) == (socket.gethostname(), os.getpid(), owner.rsplit(":", 1)[1])
    assert owner == owner_of_pid(os.getpid())
    assert owner_alive(owner)


def test_owner_alive_for_dead_reused_foreign_and_malformed_owners(
    live_owner: tuple[subprocess.Popen[bytes], str], dead_owner: str
) -> None:
    child, owner = live_owner
    host, pid, start = owner.rsplit(":", 2)
    assert owner_alive(owner)
    assert not owner_alive(dead_owner)
    if Path(f"/proc/{child.pid}/stat").exists():  # the start time is checked: a reused pid is not the owner
        assert not owner_alive(f"{host}:{pid}:{int(start) + 1}")
    assert not owner_alive(f"{host}:{os.getpid()}:0")  # this pid, but an earlier process
    assert owner_alive(f"{host}-elsewhere.example:{pid}:{start}")  # another machine: cannot tell
    for malformed in (None, "", "nonsense", "host:pid:1", f"{host}:0:1", f":{pid}:{start}", f"{host}:{pid}:"):
        assert not owner_alive(malformed)


def test_recovery_leaves_a_live_owners_job_alone_and_interrupts_a_dead_owners(
    tmp_path: Path, live_owner: tuple[subprocess.Popen[bytes], str], dead_owner: str
) -> None:
    child, owner = live_owner
    store = JobStore.open()
    running = store.add(["/m/running.mp4"], owner=owner)[0]
    orphan = store.add(["/m/orphan.mp4"], owner=dead_owner)[0]
    running_out, running_partial = with_partial(tmp_path, running.id, running.content_id)
    orphan_out, orphan_partial = with_partial(tmp_path, orphan.id, orphan.content_id)
    store.transition(running.id, JobState.TRANSCODING, out_dir=str(running_out))
    store.transition(orphan.id, JobState.TRANSCODING, out_dir=str(orphan_out))
    before = store.get(running.id)
    store.close()

    reopened = JobStore.open()
    try:
        assert reopened.recovered == [orphan.id]
        assert reopened.get(running.id) == before  # exactly as it was: state, owner, updated_at
        assert running_partial.is_dir()
        recovered = reopened.get(orphan.id)
        assert recovered is not None and recovered.state is JobState.INTERRUPTED
        assert recovered.owner is None
        assert recovered.error == "interrupted while transcoding: the app stopped; retry to run it again"
        assert not orphan_partial.exists()
    finally:
        reopened.close()

    end(child)  # the other process ends without finishing its job
    last = JobStore.open()
    try:
        assert last.recovered == [running.id]
        record = last.get(running.id)
        assert record is not None and record.state is JobState.INTERRUPTED and record.owner is None
        assert not running_partial.exists()
    finally:
        last.close()


def test_claim_takes_free_own_and_orphaned_jobs_only(
    live_owner: tuple[subprocess.Popen[bytes], str], dead_owner: str
) -> None:
    _, other = live_owner
    me = process_owner()
    host, pid, start = other.rsplit(":", 2)
    elsewhere = f"{host}-elsewhere.example:{pid}:{start}"
    store = JobStore.open()
    try:
        free, mine, orphaned, theirs, remote = store.add([f"/m/{n}.mp4" for n in range(5)])
        for job, owner in ((mine, me), (orphaned, dead_owner), (theirs, other), (remote, elsewhere)):
            store.update(job.id, owner=owner)
        every = [free.id, mine.id, orphaned.id, theirs.id, remote.id, 999]

        assert store.claim(every, me) == [free.id, mine.id, orphaned.id]
        assert {r.id: r.owner for r in store.jobs()} == {
            free.id: me,
            mine.id: me,
            orphaned.id: me,
            theirs.id: other,
            remote.id: elsewhere,
        }
        assert store.claim([theirs.id], me) == []
        assert store.claim([], me) == []

        store.release(every, me)
        assert {r.id: r.owner for r in store.jobs()} == {
            free.id: None,
            mine.id: None,
            orphaned.id: None,
            theirs.id: other,
            remote.id: elsewhere,
        }
    finally:
        store.close()


def test_add_records_the_owner_and_it_survives_reopening() -> None:
    store = JobStore.open()
    job = store.add(["/m/a.mp4"], owner=process_owner())[0]
    unowned = store.add(["/m/b.mp4"])[0]
    store.transition(job.id, JobState.TRANSCODING)
    store.close()

    again = JobStore.open()  # this process is alive: its transcoding job is not recovered
    try:
        assert again.recovered == []
        owners = {r.id: r.owner for r in again.jobs()}
        assert owners == {job.id: process_owner(), unowned.id: None}
        assert [r.state for r in again.jobs()] == [JobState.TRANSCODING, JobState.QUEUED]
    finally:
        again.close()


def test_another_connection_sees_changes_and_removals_by_polling() -> None:
    app = JobStore.open()
    cli = JobStore.open(recover=False)
    try:
        first, second, third = cli.add(["/m/a.mp4", "/m/b.mp4", "/m/c.mp4"], owner=process_owner())
        seen = app.jobs()
        assert [r.id for r in seen] == [first.id, second.id, third.id]
        newest = max(r.updated_at for r in seen)
        assert app.changed_since(newest) == []

        cli.transition(third.id, JobState.PROBING)
        cli.transition(first.id, JobState.PROBING)
        changed = app.changed_since(newest)
        assert [r.id for r in changed] == [first.id, third.id]  # queue order
        assert all(r.state is JobState.PROBING for r in changed)

        newest = max(r.updated_at for r in changed)
        cli.reorder([second.id, first.id, third.id])
        assert {r.id for r in app.changed_since(newest)} == {first.id, second.id}

        assert app.ids() == {first.id, second.id, third.id}
        cli.remove([second.id])
        assert app.ids() == {first.id, third.id}
    finally:
        cli.close()
        app.close()


def test_a_schema_1_database_keeps_its_jobs_and_gains_an_empty_owner() -> None:
    path = db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        jobdb.MIGRATIONS[0](db)
        db.execute("PRAGMA user_version=1")
        for n, state in enumerate(("queued", "transcoding", "done"), start=1):
            db.execute(
                "INSERT INTO jobs(position, source, state, content_id, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?)",
                (n, f"/m/{n}.mp4", state, f"clip-{n}", 100.0 + n, 100.0 + n),
            )
    db.close()

    store = JobStore.open()
    try:
        jobs = store.jobs()
        assert [(r.source, r.content_id, r.owner) for r in jobs] == [
            ("/m/1.mp4", "clip-1", None),
            ("/m/2.mp4", "clip-2", None),
            ("/m/3.mp4", "clip-3", None),
        ]
        assert [r.state for r in jobs] == [JobState.QUEUED, JobState.INTERRUPTED, JobState.DONE]
        assert store.recovered == [jobs[1].id]  # no owner: nothing drives it any more
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == jobdb.SCHEMA_VERSION == 4
        columns = {row[1]: row[2] for row in db.execute("PRAGMA table_info(jobs)")}
    db.close()
    assert columns["owner"] == "TEXT"
