"""Encode and publish stay apart, and a live title is never replaced without a yes.

Real ffmpeg on a generated clip, the real job store and the local destination: a publish that
fails leaves the encode good (publish-failed, retry publishes only); an automatic publish whose
title is already live stops before the master, the live title untouched, until the job is allowed to
replace it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hlsstudio.core import layout
from hlsstudio.core.jobs import work
from hlsstudio.core.models import JobResult, JobState, ValidationReport
from tests.integration.test_job_service import (  # noqa: F401  (the autouse fixture applies here too)
    get,
    history,
    local_destination,
    make_service,
    no_outside_destination,
)
from tests.mediasamples import MediaSet

S = JobState


@pytest.fixture
def clip(media: MediaSet) -> Path:
    return media.clip(duration=2.0, width=320, height=180)


def test_final_state_keeps_a_good_encode_apart_from_its_publish(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / layout.MASTER).write_text("#EXTM3U\n")
    good = JobResult(status="completed", output_dir=str(package), validation=ValidationReport(ok=True))

    assert work.final_state(good) is S.DONE
    failed_publish = good.model_copy(update={"status": "failed", "error": "publishing failed: x"})
    assert work.final_state(failed_publish) is S.PUBLISH_FAILED
    cancelled_publish = good.model_copy(update={"status": "cancelled"})
    assert work.final_state(cancelled_publish) is S.DONE  # encoded, not published
    assert work.final_state(JobResult(status="failed", error="moov atom not found")) is S.FAILED
    assert work.final_state(JobResult(status="cancelled")) is S.CANCELLED
    invalid = failed_publish.model_copy(update={"validation": ValidationReport(ok=False)})
    assert work.final_state(invalid) is S.FAILED
    (package / layout.MASTER).unlink()
    assert work.final_state(failed_publish) is S.FAILED  # the package is gone: nothing to keep


def test_an_automatic_publish_does_not_replace_a_live_title_until_allowed(clip: Path, tmp_path: Path) -> None:
    destination = local_destination(tmp_path)
    service, _ = make_service(tmp_path, destination=destination, auto_publish=True)
    try:
        first = service.add([clip])[0].id
        service.update(first, content_id="live-film")
        assert service.start()
        assert get(service, first).state is S.DONE and get(service, first).hls_url
        master = next((tmp_path / "published").rglob(layout.MASTER))
        live_master = master.read_bytes()

        # a second job with the same id: it encodes, then stops before replacing the live title
        second = service.add([clip])[0].id
        service.update(second, content_id="live-film")
        assert service.start()
        record = get(service, second)
        assert record.state is S.PUBLISH_FAILED, record.error
        assert record.error and "'live-film' is live" in record.error and "Publish" in record.error
        assert master.read_bytes() == live_master
        assert work.intact_package(record) is not None  # the encode is kept

        # allowed (the user said yes): retry publishes only, and replaces the title
        service.allow_replace([second])
        assert service.retry([second]) == 1
        record = get(service, second)
        assert record.state is S.DONE, record.error
        assert master.read_bytes() != live_master
        assert history(service, second).count(S.TRANSCODING) == 1
    finally:
        service.store.close()


def test_the_job_that_published_a_title_may_publish_it_again(clip: Path, tmp_path: Path) -> None:
    service, _ = make_service(tmp_path, destination=local_destination(tmp_path), auto_publish=True)
    try:
        job_id = service.add([clip])[0].id
        service.update(job_id, content_id="own-film")
        assert service.start()
        assert get(service, job_id).hls_url
        assert service.publish([job_id]) == 1
        record = get(service, job_id)
        assert record.state is S.DONE and record.error is None
    finally:
        service.store.close()
