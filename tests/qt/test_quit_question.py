"""Quitting while jobs run asks a question that tells jobs on this computer (cancelled, retried next
time) from jobs encoding on the farm (they go on, and the app follows them again when it opens).

The window test uses a real farm without workers: a loopback ``redis-server`` and a shared folder as
the bucket. A job of the last run was sent there (its parts wait in the farm's queue) and left
Interrupted when the app closed; the new window follows it again on its own, without starting the
rest of the queue, and a local job started with Start runs beside it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hlsstudio.core.jobs import stages
from hlsstudio.core.jobs.context import JobContext, JobRequest
from hlsstudio.core.jobstore import JobStore
from hlsstudio.core.models import EncodeSettings, JobState, Ladder
from hlsstudio.core.probe import probe_file
from hlsstudio.core.settings import AppSettings
from hlsstudio.core.toolchain import locate_toolchain
from hlsstudio.farm.config import load_config
from hlsstudio.farm.remote import FarmEncode
from hlsstudio.farm.store import farm_store
from hlsstudio.farm.submit import FarmClient
from hlsstudio.qt.quit_question import quit_words
from tests.farm.farmlab import REDIS_SERVER, RedisServer
from tests.qt.helpers import WindowFactory, small_ladder, wait_ready, wait_state

CLOSED = "interrupted: the app was closed"


def test_the_question_tells_jobs_on_this_computer_from_jobs_on_the_farm() -> None:
    assert quit_words(0, 0) is None  # nothing runs: no question
    assert quit_words(1, 0) == (
        "1 job is running on this computer and will be cancelled (it can be retried next time). Quit now?"
    )
    assert quit_words(3, 0) == (
        "3 jobs are running on this computer and will be cancelled (they can be retried next time). Quit now?"
    )
    assert quit_words(0, 1) == (
        "1 job encoding on the farm goes on without HLS Studio, which picks it up again the next time "
        "you open it. Quit now?"
    )
    both = quit_words(1, 2)
    assert both == (
        "1 job is running on this computer and will be cancelled (it can be retried next time). "
        "2 jobs encoding on the farm go on without HLS Studio, which picks them up again the next time "
        "you open it. Quit now?"
    )


@pytest.fixture
def farm_without_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FarmClient]:
    """A farm nobody works for yet (Redis and a shared folder), set up for the app; its client."""
    if not (shutil.which("redis-server") or Path(REDIS_SERVER).exists()):
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: scripts/setup.sh --test installs it")
        pytest.skip("redis-server is not installed (scripts/setup.sh --test installs it)")
    redis = RedisServer(tmp_path / "redis").start()
    monkeypatch.setenv("HLSSTUDIO_REDIS_URL", redis.url)
    monkeypatch.setenv("HLSSTUDIO_FARM_FOLDER", str(tmp_path / "farm-folder"))
    config = load_config()
    client = FarmClient(config, farm_store(config))
    try:
        yield client
    finally:
        client.close()
        redis.stop()


def send_to_farm(client: FarmClient, source: Path, job: str, work: Path) -> str:
    """Send ``source``'s encode to the farm as the app does for job ``job``; the farm job's id. Its
    parts wait in the farm's queue: no worker takes them."""
    client.choose_queue = lambda *_args, **_kw: "cpu"  # type: ignore[method-assign]  # no live worker asked
    request = JobRequest(
        source=source,
        out_dir=work / "sent",
        ladder=Ladder(rungs=small_ladder()),
        settings=EncodeSettings(preset="ultrafast"),
        job=job,
    )
    ctx = JobContext(request, locate_toolchain())
    stages.probe(ctx)
    stages.plan(ctx)
    spec = FarmEncode(client).prepare(ctx)
    client.submit(spec)
    return spec.job


def test_quitting_with_a_job_here_and_one_on_the_farm_says_which_goes_on(
    qtbot: QtBot,
    make_window: WindowFactory,
    *,
    farm_without_workers: FarmClient,
    good_clip: Path,
    long_clip: Path,
    fast_settings: AppSettings,
    tmp_path: Path,
) -> None:
    client = farm_without_workers
    ffprobe = shutil.which("ffprobe") or "ffprobe"
    store = JobStore.open()  # the last run: one job sent to the farm, one waiting for Start
    on_farm, here = store.add([good_clip, long_clip])
    farm_job = send_to_farm(client, good_clip, str(on_farm.id), tmp_path)
    store.update(on_farm.id, runs_on="farm", farm_job=farm_job)
    store.transition(on_farm.id, JobState.INTERRUPTED, info=probe_file(ffprobe, good_clip), error=CLOSED)
    store.transition(here.id, JobState.READY, info=probe_file(ffprobe, long_clip))
    store.close()

    settings = fast_settings.model_copy(update={"concurrent_jobs": 2, "output_dir": str(tmp_path / "out")})
    window = make_window(settings)
    questions: list[str] = []

    def confirm(_title: str, text: str) -> bool:
        questions.append(text)
        return len(questions) > 1  # refuse the first time, accept the second

    window.confirm = confirm  # type: ignore[method-assign]
    wait_ready(qtbot, window)
    wait_state(qtbot, window, on_farm.id, JobState.TRANSCODING)  # followed again on its own
    waiting = window.controller.model.record(here.id)
    assert waiting is not None and waiting.state is JobState.READY  # the queue waits for Start
    assert not window.controller.running
    assert window.commands.start.isEnabled() and not window.commands.pause.isEnabled()

    window.controller.start()  # the user starts the queue: the local job runs beside the farm one
    wait_state(qtbot, window, here.id, JobState.TRANSCODING)
    assert not window.close()
    assert window.isVisible() and questions == [quit_words(1, 1)]
    assert questions[0].startswith("1 job is running on this computer and will be cancelled")
    assert "1 job encoding on the farm goes on without HLS Studio" in questions[0]
    assert window.close()

    store = JobStore.open()
    try:
        followed, local = store.get_many([on_farm.id, here.id])
    finally:
        store.close()
    assert followed.state is JobState.INTERRUPTED and followed.farm_job == farm_job  # followed next time
    status = client.board.status(farm_job)
    assert client.job(farm_job) is not None and status is not None and not status.cancelled  # it goes on
    assert local.state is JobState.INTERRUPTED and local.error == CLOSED
