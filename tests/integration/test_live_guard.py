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


def test_a_yes_is_for_one_title_and_can_be_taken_back(clip: Path, tmp_path: Path) -> None:
    service, _ = make_service(tmp_path, destination=local_destination(tmp_path), auto_publish=True)
    try:
        ids = [service.add([clip])[0].id for _ in range(2)]
        for job_id, name in zip(ids, ("film-a", "film-b"), strict=True):
            service.update(job_id, content_id=name)
        assert service.start()
        a, b = ids
        assert get(service, a).hls_url and get(service, b).hls_url
        master_b = next(p for p in (tmp_path / "published").rglob(layout.MASTER) if p.parent.name == "film-b")
        live_b = master_b.read_bytes()

        # a published job renamed to another live title: its own URL is no permission for that one
        service.update(a, content_id="film-b")
        assert not work.publishes_own_title(get(service, a))
        assert service.publish([a]) == 1
        record = get(service, a)
        assert record.state is S.PUBLISH_FAILED and record.error and "'film-b' is live" in record.error
        assert master_b.read_bytes() == live_b

        # a yes given for film-b does not carry over to another id, and can be taken back
        service.allow_replace([a])
        service.update(a, content_id="film-c")
        service.update(a, content_id="film-b")  # back to the confirmed title: still confirmed
        service.withhold_replace([a])
        assert service.publish([a]) == 1
        assert get(service, a).state is S.PUBLISH_FAILED and master_b.read_bytes() == live_b
        service.allow_replace([a])
        assert service.publish([a]) == 1
        assert get(service, a).state is S.DONE and master_b.read_bytes() != live_b
    finally:
        service.store.close()
