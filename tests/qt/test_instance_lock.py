"""The data folder's lock: only the app that holds it opens (and recovers) the job store."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDir, QLockFile
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hlsstudio.core.jobdb import NewerStoreError, StoreUnavailableError
from hlsstudio.core.jobstore import JobStore, db_path
from hlsstudio.core.models import JobState
from hlsstudio.core.ownership import FolderKind, write_marker
from hlsstudio.qt import app as app_module
from hlsstudio.qt.app import accept_later_starts, open_store, run
from hlsstudio.qt.single_instance import InstanceLock, lock_path, server_name
from tests.qt.helpers import WindowFactory

START_TIMEOUT = 90
HOLD_LOCK = """
import sys, time
from PySide6.QtCore import QLockFile
lock = QLockFile(sys.argv[1])
lock.setStaleLockTime(0)
assert lock.tryLock(0)
print("locked", flush=True)
time.sleep(120)
"""


def start_app(*arguments: str) -> subprocess.Popen[str]:
    """``python -m hlsstudio ARGS`` as a user or a file manager would start it (same home)."""
    return subprocess.Popen(
        [sys.executable, "-m", "hlsstudio", *arguments],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> str:
    """Wait for ``process``; its output. Killed (and the test failed) when it does not end."""
    try:
        output, _ = process.communicate(timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"the start did not end within {START_TIMEOUT} s (it opened a window?): {output}")
    return output


def job_left_running(tmp_path: Path) -> tuple[int, Path]:
    """A job the running app is encoding: TRANSCODING, with its marked working folder."""
    store = JobStore.open()
    job = store.add(["/media/film.mp4"])[0]
    out_dir = tmp_path / "out" / job.content_id
    partial = out_dir.parent / f".{out_dir.name}.partial-5e5e5e5e"
    partial.mkdir(parents=True)
    write_marker(partial, FolderKind.WORK, str(job.id))
    (partial / "stream_360p_000.ts").write_bytes(b"\x47" * 188)
    store.transition(job.id, JobState.TRANSCODING, out_dir=str(out_dir))
    store.close()
    return job.id, partial


def stored_state(job_id: int) -> str:
    """The state column as stored (read without recovering anything)."""
    with sqlite3.connect(db_path()) as db:
        return str(db.execute("SELECT state FROM jobs WHERE id=?", (job_id,)).fetchone()[0])


@pytest.fixture
def held_lock() -> Iterator[QLockFile]:
    """The running app's lock on the data folder, held by this test process."""
    lock = QLockFile(str(lock_path()))
    lock_path().parent.mkdir(parents=True, exist_ok=True)
    lock.setStaleLockTime(0)
    assert lock.tryLock(0)
    yield lock
    lock.unlock()


def test_only_one_holder_at_a_time() -> None:
    first, second = InstanceLock(), InstanceLock()
    assert first.acquire()
    try:
        assert not second.acquire()
        assert second.holder() == os.getpid()
    finally:
        first.release()
    assert second.acquire()
    second.release()


def test_a_lock_left_by_a_killed_app_is_taken_over() -> None:
    lock_path().parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock_path())], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert not InstanceLock().acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert lock_path().exists()  # a kill leaves the file behind
    lock = InstanceLock()
    assert lock.acquire()
    lock.release()


@pytest.mark.skipif(sys.platform == "win32", reason="a Unix socket stands in for the hung app")
def test_a_start_locked_out_by_a_hung_app_never_opens_the_store(
    held_lock: QLockFile, tmp_path: Path, good_clip: Path
) -> None:
    job_id, partial = job_left_running(tmp_path)
    hung = socket.socket(socket.AF_UNIX)
    hung.bind(str(Path(QDir.tempPath()) / server_name()))
    hung.listen(8)  # connections are accepted by the system, but nobody ever answers
    try:
        second = start_app(str(good_clip))
        output = finish(second)
    finally:
        hung.close()
        (Path(QDir.tempPath()) / server_name()).unlink(missing_ok=True)

    assert second.returncode == 1, output
    assert "already running but does not answer" in output
    assert stored_state(job_id) == JobState.TRANSCODING.value
    assert (partial / "stream_360p_000.ts").is_file()


def test_a_second_start_hands_over_and_leaves_the_running_jobs_alone(
    held_lock: QLockFile, qtbot: QtBot, make_window: WindowFactory, tmp_path: Path, good_clip: Path
) -> None:
    window = make_window()  # the running app (it holds the lock above)
    job_id, partial = job_left_running(tmp_path)  # … and is encoding this job
    server = accept_later_starts(window)
    try:
        second = start_app(str(good_clip))
        qtbot.waitUntil(lambda: window.controller.model.rowCount() == 1, timeout=START_TIMEOUT * 1000)
        output = finish(second)
    finally:
        server.close()

    assert second.returncode == 0, output
    assert "already running" in output
    assert stored_state(job_id) == JobState.TRANSCODING.value
    assert (partial / "stream_360p_000.ts").is_file()


def test_the_self_test_runs_while_the_app_holds_the_lock(held_lock: QLockFile, hlsstudio_home: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hlsstudio", "--self-test"],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("self-test passed")


def test_a_locked_job_database_is_neither_moved_nor_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    store = JobStore.open()
    store.add(["/media/film.mp4"])
    store.close()
    other = sqlite3.connect(db_path(), isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    other.execute("COMMIT")
    monkeypatch.setattr("hlsstudio.core.jobdb.BUSY_TIMEOUT", 0.3)
    try:
        with pytest.raises(StoreUnavailableError, match="in use"):
            open_store()
    finally:
        other.close()
    assert not list(db_path().parent.glob("jobs-damaged-*"))
    again = JobStore.open(recover=False)
    try:
        assert [j.source for j in again.jobs()] == ["/media/film.mp4"]
    finally:
        again.close()


def test_a_damaged_job_database_is_set_aside_where_the_message_says() -> None:
    db_path().parent.mkdir(parents=True, exist_ok=True)
    db_path().write_bytes(b"garbage " * 512)

    store, problem = open_store()
    try:
        assert store.jobs() == []
    finally:
        store.close()
    (aside,) = db_path().parent.glob("jobs-damaged-*.sqlite3")
    assert problem is not None and "set aside" in problem and str(aside) in problem
    assert aside.read_bytes() == b"garbage " * 512


@pytest.mark.timeout(120)
def test_the_app_does_not_start_over_a_database_from_a_newer_version(
    qapp: QApplication, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JobStore.open()
    store.add(["/media/film.mp4"])
    store.close()
    with sqlite3.connect(db_path()) as db:
        db.execute("PRAGMA user_version=99")
    monkeypatch.setattr(app_module, "HANDOVER_WAIT_S", 1.0)

    assert run(["hlsstudio"]) == 1

    assert "newer HLS Studio" in capsys.readouterr().err
    with sqlite3.connect(db_path()) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 99
    with pytest.raises(NewerStoreError):
        JobStore.open()
    lock = InstanceLock()
    assert lock.acquire()  # the refused start gave the lock back
    lock.release()
