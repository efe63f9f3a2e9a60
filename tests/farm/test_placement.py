"""Local or Farm per job, through the job service: the executor sends only farm jobs' encodes to the
farm, a running job keeps its place, and a farm job goes on when the app closes and is followed,
checked and finished by the next start (or stays Interrupted, saying why, when the farm lost it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hlsstudio.core.jobs.executor import InlineExecutor
from hlsstudio.core.jobs.service import JobService
from hlsstudio.core.jobstore import JobStore
from hlsstudio.core.models import EncodeSettings, JobState, Rung
from hlsstudio.core.settings import AppSettings, FarmSettings
from hlsstudio.farm.session import NOT_SET_UP, FarmSession
from tests.farm.conftest import Farm
from tests.farm.farmjobs import RUNGS, app_session, encode_settings, send_to_farm
from tests.farm.farmlab import wait_until
from tests.mediasamples import MediaSet


def small_settings(out: Path, **extra: object) -> AppSettings:
    return AppSettings(
        encode=EncodeSettings(preset="ultrafast", segment_duration=2, measure_quality=False),
        ladder=[Rung(name="180p", height=180, video_kbps=80, audio_kbps=40)],
        output_dir=str(out),
        **extra,  # type: ignore[arg-type]
    )


def test_local_jobs_encode_here_and_farm_jobs_need_a_farm(
    media: MediaSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HLSSTUDIO_REDIS_URL", raising=False)
    clip = media.clip(duration=2.0, width=320, height=180)
    settings = small_settings(tmp_path / "out", farm=FarmSettings(send_new_jobs_to_farm=True))
    service = JobService(JobStore.open(), InlineExecutor(), settings)
    FarmSession(service, lambda: service.settings)
    try:
        service.load()
        farm_id, local_id = (r.id for r in service.add([clip, clip]))
        assert [r.runs_on for r in service.store.get_many([farm_id, local_id])] == ["farm", "farm"]
        assert [r.id for r in service.set_runs_on([local_id], "local")] == [local_id]
        with pytest.raises(ValueError):
            service.set_runs_on([local_id], "moon")
        assert service.start()
        farm_job, local_job = service.store.get_many([farm_id, local_id])
    finally:
        service.store.close()
    assert local_job.state is JobState.DONE, local_job.error
    assert farm_job.state is JobState.FAILED and NOT_SET_UP in (farm_job.error or "")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_farm_job_survives_the_app_closing_and_is_finished_by_the_next_start(
    farm: Farm, title: Path, tmp_path: Path
) -> None:
    settings = AppSettings(encode=encode_settings(), ladder=RUNGS, output_dir=str(tmp_path / "out"))
    with app_session(settings, farm.client) as (service, session):
        job_id = send_to_farm(service, title)
        assert service.set_runs_on([job_id], "local") == []  # it runs: it keeps its place
        wait_until(lambda: any(s.fraction > 0 for s in session.statuses.values()), 120, "farm progress")
        session.close()  # the app closes

    store = JobStore.open()
    try:
        record = store.get(job_id)
        assert record is not None and record.state is JobState.INTERRUPTED
        assert record.runs_on == "farm" and record.farm_job
        farm_job = record.farm_job
        assert farm.client.board.status(farm_job) is not None  # not cancelled: it goes on
        lost_id = store.add([title])[0].id  # a job whose farm job the farm lost meanwhile
        store.update(lost_id, farm_job="long-gone-job", runs_on="farm")
        store.transition(lost_id, JobState.INTERRUPTED, error="interrupted: the app was closed")
    finally:
        store.close()

    with app_session(settings, farm.client) as (service, session):
        assert service.wait_idle(120)
        assert session.follow_again() == ([job_id], [lost_id])
        assert service.wait_idle(300)
        record, lost = service.store.get(job_id), service.store.get(lost_id)
    assert record is not None and record.state is JobState.DONE, (record and record.error, farm.logs())
    assert record.farm_job is None and record.result is not None
    assert record.result.validation is not None and record.result.validation.ok
    assert farm.keys(f"farm/{farm_job}/") == []  # collected: the farm's work files are removed
    assert lost is not None and lost.state is JobState.INTERRUPTED
    assert "the farm no longer has its work" in (lost.error or "") and lost.farm_job is None
