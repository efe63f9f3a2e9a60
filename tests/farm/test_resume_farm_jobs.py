"""Following farm jobs again on start runs only those jobs: the rest of the queue waits for Start, and
the queue's running state (Start/Pause, ``QueueRunning``) stays as the user left it.

The services here run on plain executors (no farm): ``resume_farm_jobs`` is what the farm session's
``follow_again`` calls, and where a job runs does not matter to which jobs start.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hlsstudio.core.jobs import events as ev
from hlsstudio.core.jobs.executor import Executor, InlineExecutor, ThreadExecutor
from hlsstudio.core.jobs.service import JobService
from hlsstudio.core.jobstore import JobStore
from hlsstudio.core.models import EncodeSettings, JobState, Rung
from hlsstudio.core.settings import AppSettings
from tests.mediasamples import MediaSet

FARM_JOB = "7-a1b2c3d4e5"
CLOSED = "interrupted: the app was closed"


def small_settings(out: Path) -> AppSettings:
    return AppSettings(
        encode=EncodeSettings(preset="ultrafast", segment_duration=2, measure_quality=False),
        ladder=[Rung(name="180p", height=180, video_kbps=80, audio_kbps=40)],
        output_dir=str(out),
    )


@contextmanager
def service_of(executor: Executor, settings: AppSettings) -> Iterator[tuple[JobService, list[ev.JobEvent]]]:
    """A service on the shared store with ``executor``, and every event it announces."""
    service = JobService(JobStore.open(), executor, settings)
    seen: list[ev.JobEvent] = []
    service.subscribe(seen.append)
    try:
        yield service, seen
    finally:
        service.shutdown(wait_s=30)
        if isinstance(executor, ThreadExecutor):
            executor.shutdown()
        service.store.close()


def left_on_the_farm(store: JobStore, job_id: int) -> None:
    """What closing the app leaves of a job encoding on the farm: Interrupted, its farm job kept."""
    store.update(job_id, runs_on="farm", farm_job=FARM_JOB)
    store.transition(job_id, JobState.INTERRUPTED, error=CLOSED)


def queue_events(seen: list[ev.JobEvent]) -> list[ev.JobEvent]:
    return [e for e in seen if isinstance(e, ev.QueueRunning | ev.QueueFinished)]


def test_following_a_farm_job_again_runs_only_it_and_leaves_the_queue_stopped(
    media: MediaSet, tmp_path: Path
) -> None:
    settings = small_settings(tmp_path / "out")
    clips = [media.clip(duration=2.0, width=320, height=180), media.clip(duration=2.5, width=320, height=180)]
    executor = ThreadExecutor(encode_threads=2)
    with service_of(executor, settings) as (service, _seen):  # the last run: both probed, one sent
        service.load()
        farm_id, other_id = (r.id for r in service.add(clips))
        assert service.wait_idle(120)
        assert [r.state for r in service.store.get_many([farm_id, other_id])] == [JobState.READY] * 2
    store = JobStore.open()
    try:
        left_on_the_farm(store, farm_id)
    finally:
        store.close()

    executor = ThreadExecutor(encode_threads=2)
    with service_of(executor, settings.model_copy(update={"concurrent_jobs": 2})) as (service, seen):
        service.load()  # the next start
        assert service.wait_idle(120)
        assert service.farm_jobs_left()[0].id == farm_id
        assert service.resume_farm_jobs([farm_id]) == 1
        assert service.wait_idle(120)
        followed, other = service.store.get_many([farm_id, other_id])
        assert followed.state is JobState.DONE, followed.error
        assert other.state is JobState.READY and other.result is None  # it waits for Start
        assert not service.running and queue_events(seen) == []  # Start/Pause as the user left them

        assert service.start()  # the user presses Start: the rest of the queue runs as ever
        assert service.wait_idle(120)
        other = service.store.get(other_id)
        assert other is not None and other.state is JobState.DONE, other and other.error
        assert queue_events(seen) == [ev.QueueRunning(True), ev.QueueRunning(False), ev.QueueFinished(1, 0)]


def test_a_job_cancelled_before_it_was_followed_again_does_not_start_by_itself_later(
    media: MediaSet, tmp_path: Path
) -> None:
    clip = media.clip(duration=2.0, width=320, height=180)
    with service_of(InlineExecutor(), small_settings(tmp_path / "out")) as (service, seen):
        added = service.add([clip])[0]  # probed at once; FFmpeg not located yet: nothing starts
        job_id = added.id
        assert [r.state for r in service.store.get_many([job_id])] == [JobState.READY]
        left_on_the_farm(service.store, job_id)
        assert service.resume_farm_jobs([job_id]) == 1  # waits for FFmpeg
        service.cancel([job_id])
        assert service.retry([job_id]) == 1  # ready again, for the next Start
        service.locate_toolchain()  # FFmpeg found: jobs may start now
        record = service.record(job_id)
        assert record is not None and record.state is JobState.READY, record.error
        assert not service.running and queue_events(seen) == []
