"""The window follows jobs another process (a command-line batch) drives in the same job store, and
never runs, cancels or recovers them itself."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hlsstudio.core.jobowner import owner_of_pid, process_owner
from hlsstudio.core.jobstore import JobStore
from hlsstudio.core.models import JobState
from hlsstudio.core.settings import AppSettings
from tests.qt.helpers import WindowFactory, small_ladder, wait_ready, wait_state


@pytest.fixture
def other_process() -> Iterator[str]:
    """The owner id of a live process that is not this one (a stand-in for a running CLI)."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        yield owner_of_pid(child.pid)
    finally:
        child.kill()
        child.wait()


def test_jobs_of_another_process_appear_and_follow_its_changes(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, other_process: str, tmp_path: Path
) -> None:
    window = make_window(fast_settings)
    wait_ready(qtbot, window)
    window.controller.start()
    other = JobStore.open(window.store.path, recover=False)
    try:
        job = other.add([str(tmp_path / "cli-source.mp4")], owner=other_process)[0]
        other.transition(job.id, JobState.READY)
        model = window.controller.model
        qtbot.waitUntil(lambda: model.record(job.id) is not None, timeout=10_000)
        other.transition(job.id, JobState.TRANSCODING, out_dir=str(tmp_path / "pkg"))
        qtbot.waitUntil(lambda: model.record(job.id).state is JobState.TRANSCODING, timeout=10_000)  # type: ignore[union-attr]

        window.controller.cancel([job.id])  # not ours: the window says so and changes nothing
        assert "another HLS Studio runs this job" in window.statusBar().currentMessage()
        assert other.get(job.id).state is JobState.TRANSCODING  # type: ignore[union-attr]

        other.remove([job.id])
        qtbot.waitUntil(lambda: model.record(job.id) is None, timeout=10_000)
    finally:
        other.close()


def test_a_ready_job_of_another_process_is_not_run_here(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, other_process: str, good_clip: Path
) -> None:
    window = make_window(fast_settings)
    wait_ready(qtbot, window)
    other = JobStore.open(window.store.path, recover=False)
    try:
        job = other.add([str(good_clip)], owner=other_process)[0]
        other.transition(job.id, JobState.READY)
        qtbot.waitUntil(lambda: window.controller.model.record(job.id) is not None, timeout=10_000)
        window.controller.start()
        qtbot.wait(1500)
        assert other.get(job.id).state is JobState.READY  # type: ignore[union-attr]
    finally:
        other.close()


def test_a_ready_job_of_a_process_that_died_is_taken_over_and_run(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, good_clip: Path
) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    dead = owner_of_pid(child.pid)
    child.kill()
    child.wait()
    window = make_window(fast_settings.model_copy(update={"ladder": small_ladder()}))
    wait_ready(qtbot, window)
    other = JobStore.open(window.store.path, recover=False)
    try:
        job = other.add([str(good_clip)], owner=dead)[0]
        other.transition(job.id, JobState.READY)
    finally:
        other.close()
    qtbot.waitUntil(lambda: window.controller.model.record(job.id) is not None, timeout=10_000)
    window.controller.start()
    record = wait_state(qtbot, window, job.id, JobState.DONE, JobState.FAILED)
    assert record.state is JobState.DONE
    assert window.store.get(job.id).owner == process_owner()  # type: ignore[union-attr]
