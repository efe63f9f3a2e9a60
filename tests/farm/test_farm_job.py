"""A job from the job service encodes on a real farm (Redis + two ``hlsstudio-worker`` processes):
the 20 s title is split into four chunks and stitched; the package equals a one-process encode in
structure (segment names, EXTINF durations, every segment's first timestamp, the sound), passes the
validator, is published by the job's own publish stage, and plays in hls.js."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hlsstudio.core import layout
from hlsstudio.core.hls.validate import check_package
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import JobState
from hlsstudio.farm.progress import FarmStatus
from tests.farm.conftest import PUBLIC_URL, Farm, publishing_farm
from tests.farm.farmjobs import RUNGS, done, farm_service, local_package, segment_starts
from tests.integration.hlsplayer import HLS_JS, play_package, require_player

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@dataclass
class FarmJobRun:
    farm: Farm
    record: JobRecord
    statuses: list[FarmStatus]
    states: list[JobState]
    package: Path
    local: Path


@pytest.fixture(scope="module")
def farm_job(
    tmp_path_factory: pytest.TempPathFactory, moto_server: tuple[str, int], title: Path
) -> Iterator[FarmJobRun]:
    """One publishing job run on the farm, and the one-process package of the same title."""
    folder = tmp_path_factory.mktemp("farm-job")
    with publishing_farm(folder, moto_server) as (farm, destination):
        with farm_service(farm.client, folder / "out", destination=destination) as run:
            record = run.run(title)
        package = done(record)
        local = local_package(title, folder / "local")
        yield FarmJobRun(farm, record, run.statuses, run.states, package, local)


def test_split_title_stitches_into_the_local_encodes_segments(farm_job: FarmJobRun) -> None:
    package, local = farm_job.package, farm_job.local
    chunks = [p for p in farm_job.statuses[-1].parts if p.part.startswith("c")]
    assert len(chunks) == 4
    assert all(p.state == "done" and p.host and p.device == "CPU" for p in farm_job.statuses[-1].parts)
    for rung in RUNGS:
        ours = segment_starts(package / layout.playlist_name(rung.name))
        theirs = segment_starts(local / layout.playlist_name(rung.name))
        assert [name for name, _, _ in ours] == [name for name, _, _ in theirs]
        assert [pts for _, _, pts in ours] == [pts for _, _, pts in theirs], rung.name
        assert [round(d, 3) for _, d, _ in ours] == [round(d, 3) for _, d, _ in theirs], rung.name
    audio = sorted(p.name for p in local.glob("audio_*.m3u8"))
    assert audio and audio == sorted(p.name for p in package.glob("audio_*.m3u8"))
    for name in audio:  # the sound is encoded once, exactly as the one-process encode does
        assert segment_starts(package / name, "a:0") == segment_starts(local / name, "a:0")
    thumbs = sorted(p.name for p in local.glob("thumb_*.jpg"))
    assert thumbs == sorted(p.name for p in package.glob("thumb_*.jpg"))
    assert (package / layout.POSTER).is_file()


def test_stitched_package_passes_the_validator(farm_job: FarmJobRun) -> None:
    result = farm_job.record.result
    assert result is not None and result.validation is not None and result.validation.ok
    assert result.encoder == "libx264"
    verdict = check_package(
        farm_job.package,
        segment_duration=4,
        expected_duration=20.0,
        expected_variants=[r.name for r in RUNGS],
    )
    assert verdict.validation.ok, verdict.validation.errors


def test_a_worker_publishes_through_the_jobs_publish_stage_and_leaves_no_work_files(
    farm_job: FarmJobRun,
) -> None:
    record, farm = farm_job.record, farm_job.farm
    last = farm_job.statuses[-1]
    assert last.result and last.finish is not None  # a worker finished and published the title
    assert last.finish.state == "done" and last.finish.host
    assert last.finish.steps == "validating,publishing"
    shown = [
        s for s in farm_job.states if s in (JobState.TRANSCODING, JobState.VALIDATING, JobState.PUBLISHING)
    ]
    assert shown == [JobState.TRANSCODING, JobState.VALIDATING, JobState.PUBLISHING]  # as a local job's
    assert record.hls_url and record.hls_url.startswith(PUBLIC_URL)
    assert record.result is not None and record.result.publish is not None
    assert record.result.publish.files_uploaded > 0
    published = farm.keys("hls/")
    assert f"hls/movies/{record.content_id}/master.m3u8" in published
    assert any(key.endswith("/stream_180p_006.ts") for key in published)
    assert farm.keys("farm/") == []  # the job's chunks, sound and stitch are removed
    assert farm.keys("sources/") == []  # the uploaded source goes once no farm job reads it


@pytest.mark.player
def test_stitched_package_plays_in_hls_js(farm_job: FarmJobRun) -> None:
    require_player(HLS_JS)
    report = play_package(farm_job.package, min_time=3.0, timeout=60)
    assert report.ok and report.current_time >= 3.0, report.describe()
