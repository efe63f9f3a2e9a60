"""A worker finishes and publishes the title when the job publishes to the farm's own bucket: the
job's own finalize, validate, measure and publish stages run on the farm (real Redis, two real
``hlsstudio-worker`` processes, moto as the bucket).

Without a local copy nothing comes back to the desktop but the result: the title is published,
measured (the worker reads the source through its signed URL), with its subtitle tracks (a side
file, and a track embedded in the source, which the desktop extracts); a broken subtitle file is
left out with one line, and no work file or uploaded source stays in the bucket. A title that
is live is not replaced without a yes: the job ends "not published" with the package brought home,
the live master untouched, and publishing it from the desktop afterwards replaces it. A title sent
before the app closed is published by the farm while the app is closed, and the next start takes the
worker's result (it is published once).
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hlsstudio.core import layout
from hlsstudio.core.jobs.service import JobService
from hlsstudio.core.jobstore import JobStore
from hlsstudio.core.models import EncodeSettings, JobState
from hlsstudio.core.settings import AppSettings, DestinationSettings
from tests.farm.conftest import Farm, publishing_farm
from tests.farm.farmjobs import RUNGS, app_session, encode_settings, farm_service, send_to_farm
from tests.farm.farmlab import wait_until
from tests.mediasamples import MediaSet

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ENGLISH = (
    "1\n00:00:01,000 --> 00:00:03,000\nHello from the side file\n\n"
    "2\n00:00:09,000 --> 00:00:11,000\nStill here\n"
)


@pytest.fixture(scope="module")
def publishing(
    tmp_path_factory: pytest.TempPathFactory, moto_server: tuple[str, int]
) -> Iterator[tuple[Farm, Path, DestinationSettings]]:
    """A farm whose bucket is also where jobs publish."""
    folder = tmp_path_factory.mktemp("farm-publish")
    with publishing_farm(folder, moto_server) as (farm, destination):
        yield farm, folder, destination


def read_key(farm: Farm, key: str) -> str:
    body: Any = farm.moto.get_object(Bucket=farm.bucket, Key=key)["Body"]
    return str(body.read().decode("utf-8"))


def run_one(service: JobService, source: Path, content_id: str | None = None) -> int:
    job_id = service.add([source])[0].id
    assert service.wait_idle(120)
    if content_id is not None:
        service.update(job_id, content_id=content_id)
    assert service.start()
    assert service.wait_idle(300), "the job did not end in time"
    return job_id


def test_published_on_the_farm_without_a_local_copy_with_its_subtitles(
    publishing: tuple[Farm, Path, DestinationSettings], media: MediaSet
) -> None:
    farm, folder, destination = publishing
    source = folder / "film" / "film.mkv"
    source.parent.mkdir()
    shutil.copy(
        media.clip(".mkv", duration=12.0, width=320, height=180, fps=25, subtitle_language="fra"), source
    )
    (source.parent / "film.en.srt").write_text(ENGLISH, encoding="utf-8")
    (source.parent / "film.de.srt").write_bytes(random.Random(7).randbytes(4096))  # garbage
    measuring = EncodeSettings(preset="fast", segment_duration=4, measure_quality=True)
    with farm_service(
        farm.client, folder / "out", encoding=measuring, destination=destination, keep_local=False
    ) as run:
        record = run.service.store.get(run_one(run.service, source))
        statuses = run.statuses
    assert record is not None and record.state is JobState.DONE, record and (
        record.error,
        record.error_detail,
    )
    assert record.result is not None and record.result.output_dir is None  # nothing came home
    assert not (folder / "out" / record.content_id).exists()
    assert statuses[-1].finish is not None and statuses[-1].finish.state == "done"
    assert record.hls_url and record.hls_url.endswith(f"/{record.content_id}/{layout.MASTER}")
    master_key = f"hls/movies/{record.content_id}/{layout.MASTER}"
    master = read_key(farm, master_key)
    subtitles = [line for line in master.splitlines() if "TYPE=SUBTITLES" in line]
    assert len(subtitles) == 2, master  # the side file and the embedded track; the garbage left out
    assert any('LANGUAGE="en"' in line for line in subtitles), subtitles
    assert any('LANGUAGE="fr' in line for line in subtitles), subtitles
    assert len([w for w in record.result.warnings if "film.de.srt" in w]) == 1, record.result.warnings
    published = farm.keys("hls/movies/")
    cues = [k for k in published if k.endswith(".vtt")]
    assert cues and any("Hello from the side file" in read_key(farm, k) for k in cues)
    quality = record.result.quality  # measured on the worker, the source read through its URL
    assert quality is not None and not quality.problems, quality
    assert sorted(r.rung for r in quality.rungs) == ["144p", "180p"]
    assert all(r.mean > 20 for r in quality.rungs), quality.rungs
    assert farm.keys("farm/") == []
    assert farm.keys("sources/") == []  # the uploaded source went with its last job


def test_a_live_title_is_not_replaced_without_a_yes_and_comes_home_to_be_published(
    publishing: tuple[Farm, Path, DestinationSettings], media: MediaSet
) -> None:
    farm, folder, destination = publishing
    clip = media.clip(duration=8.0, width=320, height=180, fps=25)
    first, second = folder / "a" / "show.mp4", folder / "b" / "show.mp4"
    for path in (first, second):
        path.parent.mkdir()
        shutil.copy(clip, path)
    with farm_service(farm.client, folder / "out-live", destination=destination) as run:
        one = run.service.store.get(run_one(run.service, first))
        assert one is not None and one.state is JobState.DONE, (one.error, one.error_detail)
        master_key = f"hls/movies/{one.content_id}/{layout.MASTER}"
        live = read_key(farm, master_key)
        two_id = run_one(run.service, second, content_id=one.content_id)  # the same title again
        two = run.service.store.get(two_id)
        assert two is not None and two.content_id == one.content_id
        assert two.state is JobState.PUBLISH_FAILED, (two.state, two.error)
        assert two.error and "is live" in two.error
        assert read_key(farm, master_key) == live  # the viewers' title is untouched
        assert two.result is not None and two.result.output_dir
        assert (Path(two.result.output_dir) / layout.MASTER).is_file()  # the package came home
        run.service.allow_replace([two_id])
        assert run.service.publish([two_id]) == 1
        assert run.service.wait_idle(120)
        two = run.service.store.get(two_id)
    assert two is not None and two.state is JobState.DONE, (two.state, two.error)
    assert read_key(farm, master_key) != live
    assert farm.keys("farm/") == []


def test_a_title_sent_before_the_app_closed_is_published_by_the_farm_and_taken_at_the_next_start(
    publishing: tuple[Farm, Path, DestinationSettings], media: MediaSet
) -> None:
    farm, folder, destination = publishing
    source = folder / "closing" / "evening.mp4"
    source.parent.mkdir()
    shutil.copy(media.clip(duration=12.0, width=320, height=180, fps=25), source)
    settings = AppSettings(
        encode=encode_settings(), ladder=RUNGS, output_dir=str(folder / "out-closing"),
        destination=destination, auto_publish=True, keep_local_after_publish=False,
    )  # fmt: skip
    with app_session(settings, farm.client) as (service, session):
        job_id = send_to_farm(service, source)
        session.close()  # the app closes while its title encodes on the farm
    store = JobStore.open()
    try:
        record = store.get(job_id)
        assert record is not None and record.state is JobState.INTERRUPTED and record.farm_job
        farm_job, content_id = record.farm_job, record.content_id
    finally:
        store.close()
    master_key = f"hls/movies/{content_id}/{layout.MASTER}"
    wait_until(lambda: master_key in farm.keys("hls/"), 300, "the farm to publish the title")  # app closed

    with app_session(settings, farm.client) as (service, session):
        assert service.wait_idle(120)
        assert session.follow_again() == ([job_id], [])
        assert service.wait_idle(300)
        record = service.store.get(job_id)
    assert record is not None and record.state is JobState.DONE, (record.state, record.error)
    assert record.hls_url and record.hls_url.endswith(master_key)
    assert record.result is not None and record.result.output_dir is None  # no local copy wanted
    status = farm.client.board.status(farm_job)
    assert status is not None and status.finish is not None and status.finish.attempts == 1  # published once
    assert farm.keys("farm/") == [] and farm.keys("sources/") == []
