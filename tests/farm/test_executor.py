"""Where remote execution plugs in: ``stages.stages_replaced`` and the ``FarmExecutor`` that uses it.

The replacement here is the real local encode stage wrapped to record its calls, so the jobs are real
(ffmpeg on a generated clip): the job's encode runs the replacement on the encode lane, and only there.
"""

from __future__ import annotations

import threading
from pathlib import Path

from hlsstudio.core.jobs import stages
from hlsstudio.core.jobs.context import JobContext
from hlsstudio.core.jobs.executor import InlineExecutor
from hlsstudio.core.jobs.service import JobService
from hlsstudio.core.jobstore import JobStore
from hlsstudio.core.models import EncodeSettings, JobState, Rung
from hlsstudio.core.settings import AppSettings
from hlsstudio.farm.remote import FarmExecutor, farm_job_id
from tests.mediasamples import MediaSet


class RecordingEncode:
    """The local encode stage, remembering which job and thread it ran for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, ctx: JobContext) -> None:
        self.calls.append((ctx.request.job, threading.current_thread().name))
        stages.encode(ctx)


def test_the_encode_lane_runs_the_replacement_and_nothing_else_does(media: MediaSet, tmp_path: Path) -> None:
    clip = media.clip(duration=2.0, width=320, height=180)
    encode = RecordingEncode()
    settings = AppSettings(
        encode=EncodeSettings(preset="ultrafast", segment_duration=2, measure_quality=False),
        ladder=[Rung(name="180p", height=180, video_kbps=80, audio_kbps=40)],
        output_dir=str(tmp_path / "out"),
    )
    service = JobService(JobStore.open(), FarmExecutor(InlineExecutor(), encode), settings)
    try:
        service.load()
        job_id = service.add([clip])[0].id
        assert service.start()
        record = service.store.get(job_id)
    finally:
        service.store.close()
    assert record is not None and record.state is JobState.DONE, record and record.error
    assert [job for job, _ in encode.calls] == [str(job_id)]


def test_the_replacement_ends_with_its_block() -> None:
    seen: list[object] = []

    def replacement(ctx: JobContext) -> None:  # pragma: no cover - never run here
        seen.append(ctx)

    with stages.stages_replaced({"encode": replacement}):
        assert stages._replaced.get()["encode"] is replacement
        other: list[object] = []
        thread = threading.Thread(target=lambda: other.append(dict(stages._replaced.get())))
        thread.start()
        thread.join()
        assert other == [{}]  # another thread runs the stages as they are
    assert dict(stages._replaced.get()) == {}


def test_farm_job_ids_are_safe_and_new_for_each_run() -> None:
    first, second = farm_job_id("12"), farm_job_id("12")
    assert first != second and first.startswith("12-")
    assert farm_job_id("a b/c:d").startswith("a-b-c-d-")
