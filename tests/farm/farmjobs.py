"""Running jobs through the job service on the farm, and reading packages back independently.

``farm_service`` is the desktop's ``JobService`` whose executor encodes on the farm (``FarmExecutor``
around a ``ThreadExecutor``); ``local_package`` makes the reference package of the same title and
settings with the one-process pipeline. ``segment_starts`` reads a playlist's EXTINF durations and,
with ffprobe (not the code under test), the first video timestamp of every segment.
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import m3u8

from hlsstudio.core.jobs import events as ev
from hlsstudio.core.jobs.executor import ThreadExecutor
from hlsstudio.core.jobs.service import JobService
from hlsstudio.core.jobstore import JobRecord, JobStore
from hlsstudio.core.models import EncodeSettings, JobState, Ladder, Rung
from hlsstudio.core.pipeline import transcode
from hlsstudio.core.settings import AppSettings, DestinationSettings
from hlsstudio.core.toolchain import locate_toolchain
from hlsstudio.farm.progress import FarmStatus
from hlsstudio.farm.remote import FarmEncode, FarmExecutor
from hlsstudio.farm.session import FarmSession
from hlsstudio.farm.submit import FarmClient
from tests.farm.farmlab import wait_until
from tests.mediagen import ffprobe_path

RUNGS = [
    Rung(name="180p", height=180, video_kbps=300, audio_kbps=64),
    Rung(name="144p", height=144, video_kbps=60, audio_kbps=32),
]
JOB_TIMEOUT = 300.0


def encode_settings() -> EncodeSettings:
    """Small and quick: 4 s segments after 2 s fast-start ones, x264 "fast" (B-frames), no quality measure."""
    return EncodeSettings(preset="fast", segment_duration=4, measure_quality=False)


@dataclass
class FarmRun:
    """A service whose jobs encode on the farm, and every farm status it saw."""

    service: JobService
    executor: ThreadExecutor
    encode: FarmEncode
    statuses: list[FarmStatus] = field(default_factory=list)
    states: list[JobState] = field(default_factory=list)  # every state the service gave a job, in order
    uploads: int = 0  # upload reports the service passed on

    def start(self, source: Path) -> int:
        """Add ``source`` and start the queue (the job runs on the executor's threads); its id."""
        job_id = self.service.add([source])[0].id
        assert self.service.wait_idle(120)
        assert self.service.start()
        return job_id

    def finish(self, job_id: int, timeout: float = JOB_TIMEOUT) -> JobRecord:
        """Wait until the queue is idle; the job's record."""
        assert self.service.wait_idle(timeout), "the job did not end in time"
        record = self.service.store.get(job_id)
        assert record is not None
        return record

    def run(self, source: Path, timeout: float = JOB_TIMEOUT) -> JobRecord:
        """Add ``source``, run the queue until it is idle; the job's record."""
        return self.finish(self.start(source), timeout)

    def latest(self) -> FarmStatus | None:
        return self.statuses[-1] if self.statuses else None

    def chunk_count(self) -> int:
        return max((len(s.chunks) for s in self.statuses), default=0)


@contextmanager
def farm_service(
    client: FarmClient,
    out_dir: Path,
    *,
    encoding: EncodeSettings | None = None,
    destination: DestinationSettings | None = None,
    keep_local: bool = True,
) -> Iterator[FarmRun]:
    """A job service (real store, real threads) whose encodes run on the farm of ``client``; with a
    ``destination`` its jobs publish there (keeping their local package when ``keep_local``)."""
    settings = AppSettings(
        encode=encoding or encode_settings(),
        ladder=RUNGS,
        output_dir=str(out_dir),
        destination=destination or DestinationSettings(),
        auto_publish=destination is not None,
        keep_local_after_publish=keep_local,
    )
    executor = ThreadExecutor(encode_threads=1)
    statuses: list[FarmStatus] = []
    encode = FarmEncode(client, on_status=statuses.append)
    service = JobService(JobStore.open(), FarmExecutor(executor, encode), settings)
    service.load()
    run = FarmRun(service, executor, encode, statuses)
    service.subscribe(functools.partial(_seen, run))
    try:
        yield run
    finally:
        service.shutdown(wait_s=30)
        executor.shutdown()
        service.store.close()


@contextmanager
def app_session(settings: AppSettings, client: FarmClient) -> Iterator[tuple[JobService, FarmSession]]:
    """A desktop app's job service (real store, real threads) with its farm session, loaded as the app
    does at start; at the end it shuts down as the app does when it closes (close the session first
    to leave farm jobs running)."""
    executor = ThreadExecutor(encode_threads=1)
    service = JobService(JobStore.open(), executor, settings)
    session = FarmSession(service, lambda: settings, client=client)
    try:
        service.load()
        yield service, session
    finally:
        service.shutdown(wait_s=30)
        executor.shutdown()
        service.store.close()


def send_to_farm(service: JobService, source: Path) -> int:
    """Add ``source``, place it on the farm and start the queue; its id, once it sent its farm job."""
    job_id = service.add([source])[0].id
    service.set_runs_on([job_id], "farm")
    assert service.wait_idle(120)
    assert service.start()
    wait_until(lambda: bool(getattr(service.store.get(job_id), "farm_job", None)), 120, "a farm job")
    return job_id


def _seen(run: FarmRun, event: object) -> None:
    if isinstance(event, ev.JobsChanged):
        run.states.extend(r.state for r in event.records if not run.states or run.states[-1] is not r.state)
    elif isinstance(event, ev.UploadReport):
        run.uploads += 1


def local_package(source: Path, out_dir: Path, settings: EncodeSettings | None = None) -> Path:
    """The one-process package of ``source`` with the farm tests' settings (or ``settings``)."""
    result = transcode(
        source,
        out_dir,
        ladder=Ladder(rungs=RUNGS),
        settings=settings or encode_settings(),
        toolchain=locate_toolchain(),
    )
    assert result.status == "completed", result.error
    return out_dir


def first_pts(segment: Path, stream: str = "v:0") -> float:
    """The first packet's presentation time of ``stream`` in a TS segment, read with ffprobe."""
    done = subprocess.run(
        [ffprobe_path(), "-v", "error", "-select_streams", stream, "-read_intervals", "%+#1",
         "-show_entries", "packet=pts_time", "-of", "csv=p=0", str(segment)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return float(done.stdout.split()[0].strip(","))


def segment_starts(playlist: Path, stream: str = "v:0") -> list[tuple[str, float, float]]:
    """(segment name, EXTINF duration, first PTS by ffprobe) of each segment of ``playlist``."""
    parsed = m3u8.load(str(playlist))
    return [
        (seg.uri, float(seg.duration), first_pts(playlist.parent / seg.uri, stream))
        for seg in parsed.segments
    ]


def done(record: JobRecord) -> Path:
    """The package of a job that must have ended DONE."""
    assert record.state is JobState.DONE, f"{record.state}: {record.error}\n{record.error_detail}"
    assert record.result is not None and record.result.output_dir
    return Path(record.result.output_dir)
