"""The farm when things go wrong, on real processes: a worker killed with SIGKILL in the middle of a
chunk, a job cancelled in the middle, Redis restarted (forgetting everything) in the middle."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hlsstudio.core import layout
from hlsstudio.core.models import EncodeSettings, JobState
from hlsstudio.core.settings import DestinationSettings
from hlsstudio.farm.config import load_config
from hlsstudio.farm.submit import FarmClient
from tests.farm.conftest import ACCESS_KEY, PUBLIC_URL, Farm
from tests.farm.farmjobs import done, farm_service, local_package, segment_starts
from tests.farm.farmlab import FarmWorker, alive, command_of, wait_until
from tests.mediasamples import MediaSet

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
BUSY_WAIT = 120.0


def slower_settings() -> EncodeSettings:
    """Chunks that take a few seconds each on this machine (long enough to be caught running)."""
    return EncodeSettings(preset="medium", segment_duration=4, measure_quality=False)


def chunk_encoding(worker: FarmWorker) -> bool:
    """Whether ``worker`` runs a chunk's ffmpeg right now (the segment muxer is the chunk encode's)."""
    return any("segment" in command_of(pid) for pid in worker.ffmpeg_pids())


def encoding_worker(farm: Farm) -> FarmWorker:
    """The first worker seen encoding a chunk (polled every 50 ms)."""
    deadline = time.monotonic() + BUSY_WAIT
    while time.monotonic() < deadline:
        for worker in farm.workers:
            if chunk_encoding(worker):
                return worker
        time.sleep(0.05)
    raise AssertionError(f"no worker encoded a chunk within {BUSY_WAIT:g} s")


def same_structure(package: Path, local: Path) -> None:
    """Every rung has the local encode's segments, once each, starting where the local ones do."""
    for playlist in sorted(p.name for p in local.glob("stream_*.m3u8")):
        ours, theirs = segment_starts(package / playlist), segment_starts(local / playlist)
        assert [(name, pts) for name, _, pts in ours] == [(name, pts) for name, _, pts in theirs], playlist


@pytest.fixture
def big_title(media: MediaSet) -> Path:
    """20 s of 640x360: chunks worth interrupting."""
    return media.clip(duration=20.0, width=640, height=360, fps=25)


def test_worker_killed_mid_chunk_the_chunk_runs_again_and_the_job_completes(
    farm: Farm, big_title: Path, tmp_path: Path
) -> None:
    with farm_service(farm.client, tmp_path / "out", encoding=slower_settings()) as run:
        job_id = run.start(big_title)
        victim = encoding_worker(farm)
        below = victim.kill()
        assert any("segment" in argv for argv in below.values()), below  # killed in the middle of a chunk
        wait_until(
            lambda: not any(alive(pid) for pid in below), 10, "the killed worker's pool and ffmpeg to end"
        )
        record = run.finish(job_id)
        statuses = list(run.statuses)
    package = done(record)
    same_structure(package, local_package(big_title, tmp_path / "local", slower_settings()))
    assert all(p.state == "done" for p in statuses[-1].parts), statuses[-1]
    assert [p for p in statuses[-1].parts if p.attempts >= 2], statuses[-1]  # the killed one ran again


def publishing(farm: Farm, monkeypatch: pytest.MonkeyPatch) -> DestinationSettings:
    """The farm's bucket as the jobs' destination (the secret from the environment)."""
    for name, value in farm.env.items():
        if name.startswith("R2_"):
            monkeypatch.setenv(name, value)
    return DestinationSettings(
        bucket=farm.bucket,
        endpoint_url=farm.env["R2_ENDPOINT_URL"],
        access_key_id=ACCESS_KEY,
        public_url=PUBLIC_URL,
    )


def test_cancel_mid_job_stops_every_ffmpeg_and_publishes_nothing(
    farm: Farm, big_title: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    destination = publishing(farm, monkeypatch)
    with farm_service(
        farm.client, tmp_path / "out", encoding=slower_settings(), destination=destination
    ) as run:
        job_id = run.start(big_title)
        encoding_worker(farm)
        cancelled_at = time.monotonic()
        run.service.cancel([job_id])
        wait_until(lambda: not farm.ffmpeg_pids(), 15, "every ffmpeg of the workers to stop")
        stopped_after = time.monotonic() - cancelled_at
        record = run.finish(job_id)
        time.sleep(3)  # nothing starts later either: queued chunks were revoked
        assert not farm.ffmpeg_pids()
    assert record.state is JobState.CANCELLED, record.error
    assert farm.keys("hls/") == []  # no half package published
    assert farm.keys("farm/") == []
    assert len(farm.keys("sources/")) == 1  # the uploaded source stays for a retry
    assert not (tmp_path / "out" / record.content_id / layout.MASTER).exists()
    seen = run.latest()
    assert seen is not None
    board = farm.client.board.status(seen.job)
    assert board is not None and board.cancelled
    assert not [p for p in board.parts if p.state == "running"], board.parts
    assert [p for p in board.parts if p.state == "cancelled"], board.parts  # the one stopped said so
    assert stopped_after < 15


def test_redis_restarted_mid_job_the_job_resumes(farm: Farm, title: Path, tmp_path: Path) -> None:
    with farm_service(farm.client, tmp_path / "out") as run:
        job_id = run.start(title)

        def midway() -> bool:
            latest = run.latest()
            return latest is not None and any(p.state == "done" for p in latest.parts) and not latest.manifest

        wait_until(midway, BUSY_WAIT, "a part finished and the job not yet stitched")
        farm.redis.restart(down_for=2.0)
        record = run.finish(job_id)
        statuses = list(run.statuses)
    package = done(record)
    assert statuses[-1].resumed >= 1  # Redis forgot the job; it was rebuilt from the bucket
    same_structure(package, local_package(title, tmp_path / "local"))


def test_redis_gone_for_good_fails_the_job_with_the_reason(farm: Farm, title: Path, tmp_path: Path) -> None:
    impatient = FarmClient(load_config(environ={**farm.env, "HLSSTUDIO_FARM_GRACE": "5"}), farm.store)
    with farm_service(impatient, tmp_path / "out") as run:
        job_id = run.start(title)
        wait_until(lambda: bool(run.latest()), BUSY_WAIT, "the job on the farm")
        farm.redis.stop()
        record = run.finish(job_id)
    impatient.close()
    assert record.state is JobState.FAILED
    assert record.error and "Redis (127.0.0.1:" in record.error and "cannot be reached" in record.error
