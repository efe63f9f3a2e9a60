"""The job service end to end: real ffmpeg on generated clips, the real SQLite job store, events.

Most tests use the InlineExecutor, so every probe, encode and publish has finished when the call
that caused it returns; the last one runs the queue on real threads (ThreadExecutor).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from hlsstudio.core import layout
from hlsstudio.core.jobowner import owner_alive, owner_of_pid, process_owner
from hlsstudio.core.jobs import events as ev
from hlsstudio.core.jobs.executor import Executor, InlineExecutor, ThreadExecutor
from hlsstudio.core.jobs.service import JobService
from hlsstudio.core.jobstore import JobRecord, JobStore
from hlsstudio.core.models import EncodeSettings, JobState, Rung
from hlsstudio.core.ownership import FolderKind, write_marker
from hlsstudio.core.settings import AppSettings, DestinationSettings
from hlsstudio.core.storage.config import DESTINATION_ENV
from tests.mediasamples import MediaSet

S = JobState
ENCODING = frozenset({S.TRANSCODING, S.VALIDATING})
E = TypeVar("E")


def small_ladder() -> list[Rung]:
    """A cellular rung and two more (as the desktop tests use): a real package, quick to encode."""
    return [
        Rung(name="180p", height=180, video_kbps=80, audio_kbps=40),
        Rung(name="240p", height=240, video_kbps=400, audio_kbps=64),
        Rung(name="360p", height=360, video_kbps=800, audio_kbps=96),
    ]


def fast_settings(tmp_path: Path, **changes: object) -> AppSettings:
    settings = AppSettings(
        encode=EncodeSettings(preset="ultrafast", segment_duration=2),
        ladder=small_ladder(),
        output_dir=str(tmp_path / "out"),
    )
    return settings.model_copy(update=changes)


def local_destination(tmp_path: Path) -> DestinationSettings:
    return DestinationSettings(local_dir=str(tmp_path / "published"))


def broken_destination() -> DestinationSettings:
    """A bucket without an endpoint or keys: building the destination fails."""
    return DestinationSettings(bucket="films")


@pytest.fixture
def clip(media: MediaSet) -> Path:
    return media.clip(duration=2.0, width=320, height=180)


@pytest.fixture(autouse=True)
def no_outside_destination(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only the settings choose the destination: no R2_* variables, no ``./.env``."""
    for name in DESTINATION_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


class Recorder:
    """Every event the service announces, in order."""

    def __init__(self) -> None:
        self.events: list[ev.JobEvent] = []

    def __call__(self, event: ev.JobEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    def states_of(self, job_id: int) -> list[JobState]:
        """The states announced for a job, in order (repeats of one state collapsed)."""
        states: list[JobState] = []
        for event in self.of(ev.JobsChanged):
            for record in event.records:
                if record.id == job_id and (not states or states[-1] is not record.state):
                    states.append(record.state)
        return states

    def clear(self) -> None:
        self.events.clear()


def make_service(
    tmp_path: Path, executor: Executor | None = None, **changes: object
) -> tuple[JobService, Recorder]:
    service = JobService(JobStore.open(), executor or InlineExecutor(), fast_settings(tmp_path, **changes))
    recorder = Recorder()
    service.subscribe(recorder)
    service.load()
    return service, recorder


@pytest.fixture
def inline(tmp_path: Path) -> Iterator[tuple[JobService, Recorder]]:
    service, recorder = make_service(tmp_path)
    assert service.toolchain is not None, service.toolchain_error
    try:
        yield service, recorder
    finally:
        service.store.close()


def history(service: JobService, job_id: int) -> list[JobState]:
    return [state for _, state, _ in service.store.history(job_id)]


def get(service: JobService, job_id: int) -> JobRecord:
    record = service.store.get(job_id)
    assert record is not None
    return record


def package_of(service: JobService, job_id: int) -> Path:
    """The job's finished package folder (its result's output folder)."""
    result = get(service, job_id).result
    assert result is not None and result.output_dir
    return Path(result.output_dir)


def run_to_done(service: JobService, source: Path) -> int:
    job_id = service.add([source])[0].id
    assert get(service, job_id).state is S.READY
    assert service.start()
    record = get(service, job_id)
    assert record.state is S.DONE, record.error
    return job_id


# ---- (a) a job run by the service


def test_a_clip_is_encoded_to_a_valid_package_and_a_missing_file_fails(
    inline: tuple[JobService, Recorder], clip: Path, tmp_path: Path
) -> None:
    service, recorder = inline
    missing = tmp_path / "not-there.mp4"

    clip_job, missing_job = (r.id for r in service.add([clip, missing]))

    assert get(service, clip_job).state is S.READY
    assert get(service, clip_job).info is not None
    failed = get(service, missing_job)
    assert failed.state is S.FAILED
    assert failed.error and "not found" in failed.error and missing.name in failed.error
    assert history(service, missing_job) == [S.QUEUED, S.FAILED]

    assert service.start() is True

    record = get(service, clip_job)
    assert record.state is S.DONE, record.error
    assert record.error is None
    result = record.result
    assert result is not None and result.status == "completed"
    assert result.validation is not None and result.validation.ok
    assert result.output_dir and (Path(result.output_dir) / layout.MASTER).is_file()
    assert Path(result.output_dir).parent == tmp_path / "out"
    assert record.out_dir == result.output_dir
    assert history(service, clip_job) == [S.QUEUED, S.READY, S.TRANSCODING, S.VALIDATING, S.DONE]
    assert get(service, missing_job).state is S.FAILED  # not touched by the run

    added = recorder.of(ev.JobsAdded)
    assert len(added) == 1 and [r.id for r in added[0].records] == [clip_job, missing_job]
    assert recorder.states_of(clip_job) == [S.PROBING, S.READY, S.TRANSCODING, S.VALIDATING, S.DONE]
    progress = [e for e in recorder.of(ev.EncodeProgress) if e.job_id == clip_job]
    assert progress and all(0.0 <= e.progress.fraction <= 1.0 for e in progress)
    assert [e.running for e in recorder.of(ev.QueueRunning)] == [True, False]
    assert recorder.of(ev.QueueFinished) == [ev.QueueFinished(done=1, failed=0)]
    assert service.running is False
    # the queue's events come in the order things happened
    kinds = [type(e) for e in recorder.events]
    assert kinds.index(ev.JobsAdded) < kinds.index(ev.QueueRunning) < kinds.index(ev.EncodeProgress)
    assert kinds.index(ev.EncodeProgress) < kinds.index(ev.QueueFinished)


def test_start_with_nothing_to_run_says_so_and_finishes_without_a_count(
    inline: tuple[JobService, Recorder],
) -> None:
    service, recorder = inline
    assert service.start() is True
    assert any("Nothing to run" in e.text for e in recorder.of(ev.LogLine))
    assert recorder.of(ev.QueueFinished) == []
    assert service.running is False


# ---- (b) cancel and retry


def test_cancel_of_a_waiting_job_and_retry_of_a_probed_one(
    inline: tuple[JobService, Recorder], clip: Path
) -> None:
    service, recorder = inline
    job_id = service.add([clip])[0].id
    assert get(service, job_id).state is S.READY

    service.cancel([job_id])

    assert get(service, job_id).state is S.CANCELLED
    assert history(service, job_id) == [S.QUEUED, S.READY, S.CANCELLED]
    recorder.clear()

    assert service.retry([job_id]) == 1

    # it was probed already: back to READY with what the probe found, not probed a second time
    record = get(service, job_id)
    assert record.state is S.READY and record.info is not None and record.error is None
    assert recorder.states_of(job_id) == [S.READY]
    assert service.retry([job_id]) == 0  # only failed, cancelled or interrupted jobs are retried


def test_retry_of_a_job_cancelled_before_its_probe_probes_it(
    inline: tuple[JobService, Recorder], clip: Path
) -> None:
    service, recorder = inline
    # a queued job whose probe has not run yet (as the stored queue is before ``load``)
    job_id = service.store.add([clip])[0].id

    service.cancel([job_id])

    record = get(service, job_id)
    assert record.state is S.CANCELLED and record.info is None
    recorder.clear()

    assert service.retry([job_id]) == 1

    record = get(service, job_id)
    assert record.state is S.READY and record.info is not None
    assert recorder.states_of(job_id) == [S.QUEUED, S.PROBING, S.READY]
    assert history(service, job_id) == [S.QUEUED, S.CANCELLED, S.QUEUED, S.READY]


def test_retry_of_a_job_whose_source_is_missing_fails_again(
    inline: tuple[JobService, Recorder], tmp_path: Path
) -> None:
    service, _ = inline
    job_id = service.add([tmp_path / "gone.mp4"])[0].id
    assert get(service, job_id).state is S.FAILED

    assert service.retry([job_id]) == 1

    assert get(service, job_id).state is S.FAILED
    assert history(service, job_id) == [S.QUEUED, S.FAILED, S.QUEUED, S.FAILED]


# ---- (c) publishing, and a retry that only publishes


def test_a_failed_publish_is_retried_by_publishing_only(
    inline: tuple[JobService, Recorder], clip: Path, tmp_path: Path
) -> None:
    service, recorder = inline
    job_id = run_to_done(service, clip)
    package = package_of(service, job_id)
    assert service.update(job_id, content_id="film-1") is not None
    service.apply_settings(fast_settings(tmp_path, destination=local_destination(tmp_path)))

    # publish to the local folder
    assert service.publish([job_id]) == 1

    record = get(service, job_id)
    assert record.state is S.DONE, record.error
    assert record.hls_url and record.hls_url.endswith("/film-1/" + layout.MASTER)
    published = next((tmp_path / "published").rglob(layout.MASTER))
    assert published.parent.name == "film-1"
    assert record.result is not None and record.result.publish is not None
    assert package_of(service, job_id) == package  # kept (keep_local_after_publish)
    assert history(service, job_id)[-2:] == [S.PUBLISHING, S.DONE]
    assert [e.job_id for e in recorder.of(ev.PublishStarted)] == [job_id]
    assert [e.job_id for e in recorder.of(ev.PublishFinished)] == [job_id]

    # the destination breaks: publishing again fails with the reason, the package stays
    service.apply_settings(fast_settings(tmp_path, destination=broken_destination()))
    assert service.publish([job_id]) == 1

    record = get(service, job_id)
    assert record.state is S.PUBLISH_FAILED
    assert record.error and record.error.startswith("publishing failed:")
    assert "bucket" in record.error
    assert (package / layout.MASTER).is_file()

    # retrying with the destination still broken fails the same way, without encoding
    recorder.clear()
    assert service.retry([job_id]) == 1
    assert get(service, job_id).state is S.PUBLISH_FAILED
    assert recorder.states_of(job_id) == [S.PUBLISHING, S.PUBLISH_FAILED]

    # fixed: the retry publishes again, it does not encode again
    service.apply_settings(fast_settings(tmp_path, destination=local_destination(tmp_path)))
    recorder.clear()
    encodes_before = history(service, job_id).count(S.TRANSCODING)

    assert service.retry([job_id]) == 1

    record = get(service, job_id)
    assert record.state is S.DONE, record.error
    assert record.error is None and record.hls_url and record.hls_url.endswith("/film-1/" + layout.MASTER)
    assert recorder.states_of(job_id) == [S.PUBLISHING, S.DONE]
    assert recorder.of(ev.EncodeProgress) == []
    assert history(service, job_id).count(S.TRANSCODING) == encodes_before == 1
    assert history(service, job_id)[-3:] == [S.PUBLISH_FAILED, S.PUBLISHING, S.DONE]


def test_publish_refuses_jobs_without_a_valid_content_id_or_not_done(
    inline: tuple[JobService, Recorder], clip: Path, tmp_path: Path
) -> None:
    service, recorder = inline
    service.apply_settings(fast_settings(tmp_path, destination=local_destination(tmp_path)))
    job_id = run_to_done(service, clip)
    waiting = service.add([clip])[0].id
    service.update(job_id, content_id="not a valid id!")
    recorder.clear()

    assert service.publish([job_id, waiting]) == 0

    assert get(service, job_id).state is S.DONE and get(service, waiting).state is S.READY
    lines = [e.text for e in recorder.of(ev.LogLine)]
    assert any("content id" in text for text in lines)
    assert any("only encoded jobs" in text for text in lines)
    assert recorder.of(ev.JobsChanged) == []


def test_a_job_whose_package_is_gone_is_encoded_again_on_retry(
    inline: tuple[JobService, Recorder], clip: Path, tmp_path: Path
) -> None:
    service, _ = inline
    job_id = run_to_done(service, clip)
    service.update(job_id, content_id="film-2")
    service.apply_settings(fast_settings(tmp_path, destination=broken_destination()))
    assert service.publish([job_id]) == 1
    assert get(service, job_id).state is S.PUBLISH_FAILED
    shutil.rmtree(package_of(service, job_id))

    assert service.retry([job_id]) == 1  # made READY again; the queue is not running

    assert get(service, job_id).state is S.READY
    assert service.start()
    record = get(service, job_id)
    assert record.state is S.DONE, record.error
    assert history(service, job_id).count(S.TRANSCODING) == 2
    assert (package_of(service, job_id) / layout.MASTER).is_file()


# ---- (d) crash recovery


def dead_owner() -> str:
    """The owner id of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        owner = owner_of_pid(child.pid)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
    assert not owner_alive(owner)
    return owner


def partial_folder(out_dir: Path, job_id: int) -> Path:
    """The marked working folder an encode of ``out_dir`` leaves beside it."""
    folder = out_dir.parent / f".{out_dir.name}.partial-{job_id}"
    folder.mkdir(parents=True)
    write_marker(folder, FolderKind.WORK, str(job_id))
    (folder / "stream_240p_000.ts").write_bytes(b"\0" * 188)
    return folder


def test_a_dead_owners_transcoding_job_is_interrupted_on_open_and_a_live_ones_is_not(
    clip: Path, tmp_path: Path
) -> None:
    store = JobStore.open()
    out = tmp_path / "out"
    dead = store.add([clip], owner=dead_owner())[0].id
    live = store.add([clip], owner=process_owner())[0].id
    for job_id, name in ((dead, "dead"), (live, "live")):
        store.transition(job_id, S.READY)
        store.transition(job_id, S.TRANSCODING, out_dir=str(out / name))
    dead_partial, live_partial = partial_folder(out / "dead", dead), partial_folder(out / "live", live)
    store.close()

    reopened = JobStore.open(recover=True)
    try:
        assert reopened.recovered == [dead]
        record = reopened.get(dead)
        assert record is not None and record.state is S.INTERRUPTED
        assert record.owner is None
        assert record.error and "transcoding" in record.error
        assert [s for _, s, _ in reopened.history(dead)][-2:] == [S.TRANSCODING, S.INTERRUPTED]
        assert not dead_partial.exists()

        kept = reopened.get(live)
        assert kept is not None and kept.state is S.TRANSCODING
        assert kept.owner == process_owner() and kept.error is None
        assert [s for _, s, _ in reopened.history(live)] == [S.QUEUED, S.READY, S.TRANSCODING]
        assert live_partial.is_dir()
    finally:
        reopened.close()


def test_an_interrupted_job_is_retried_by_the_service(clip: Path, tmp_path: Path) -> None:
    store = JobStore.open()
    job_id = store.add([clip], owner=dead_owner())[0].id
    store.transition(job_id, S.PROBING)
    store.close()

    service, _ = make_service(tmp_path)
    try:
        assert service.store.recovered == [job_id]
        assert get(service, job_id).state is S.INTERRUPTED

        assert service.retry([job_id]) == 1  # never probed: probed first, then the queue runs it
        assert get(service, job_id).state is S.READY
        assert service.start()
        assert get(service, job_id).state is S.DONE
    finally:
        service.store.close()


# ---- (e) on real threads


def test_two_clips_on_threads_run_one_at_a_time(clip: Path, tmp_path: Path) -> None:
    sources = [tmp_path / "first.mp4", tmp_path / "second.mp4"]
    for source in sources:
        shutil.copyfile(clip, source)
    executor = ThreadExecutor(encode_threads=1)
    service, recorder = make_service(tmp_path, executor, concurrent_jobs=1)
    try:
        ids = [r.id for r in service.add(sources)]
        # probes and locating FFmpeg run on the I/O lane; let them end so only the queue schedules
        assert service.wait_idle(120)
        assert [get(service, i).state for i in ids] == [S.READY, S.READY]
        assert service.toolchain is not None, service.toolchain_error

        assert service.start()
        assert service.wait_idle(120)

        for job_id in ids:
            record = get(service, job_id)
            assert record.state is S.DONE, record.error
            assert record.result is not None and record.result.validation is not None
            assert record.result.validation.ok
        assert len({package_of(service, i) for i in ids}) == 2

        # never two encodes at once: replay the announced states
        current: dict[int, JobState] = {}
        most = 0
        for event in recorder.of(ev.JobsChanged):
            for record in event.records:
                current[record.id] = record.state
            most = max(most, sum(state in ENCODING for state in current.values()))
        assert most == 1
        # and in queue order: the second starts after the first is done
        announced = [
            (record.id, record.state) for event in recorder.of(ev.JobsChanged) for record in event.records
        ]
        assert announced.index((ids[0], S.DONE)) < announced.index((ids[1], S.TRANSCODING))
        first, second = (history(service, i) for i in ids)
        assert first == second == [S.QUEUED, S.READY, S.TRANSCODING, S.VALIDATING, S.DONE]
        assert recorder.of(ev.QueueFinished) == [ev.QueueFinished(done=2, failed=0)]
        assert service.running is False
    finally:
        executor.shutdown()
        service.store.close()
