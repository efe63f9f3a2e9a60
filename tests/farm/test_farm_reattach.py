"""The app closing while a job encodes on the farm: the farm goes on, and the job is collected again.

The first service's encode stage is detached (``FarmEncode.detach``) before the service shuts down:
the job's thread stops, but the farm job is neither cancelled nor removed. A second encode stage (a
new start of the app) reads the job back from the bucket and collects it into a working folder where
the job's own finalize and validate stages make a valid package of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hlsstudio.core.jobs import stages
from hlsstudio.core.jobs.context import JobContext, JobRequest
from hlsstudio.core.jobstore import JobStore
from hlsstudio.core.models import JobState, Ladder
from hlsstudio.core.toolchain import locate_toolchain
from hlsstudio.farm.remote import FarmEncode
from tests.farm.conftest import Farm
from tests.farm.farmjobs import RUNGS, encode_settings, farm_service
from tests.farm.farmlab import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_a_detached_job_goes_on_and_is_collected_after_a_restart(
    farm: Farm, title: Path, tmp_path: Path
) -> None:
    with farm_service(farm.client, tmp_path / "out") as run:
        job_id = run.start(title)
        wait_until(lambda: bool(run.latest()), 120, "the job on the farm")
        run.encode.detach()  # the app is closing
    store = JobStore.open()
    try:
        record = store.get(job_id)
    finally:
        store.close()
    assert record is not None and record.state is JobState.INTERRUPTED
    latest = run.latest()
    assert latest is not None and not latest.manifest
    farm_job = latest.job

    wait_until(
        lambda: bool((farm.client.board.status(farm_job) or latest).manifest), 240, "the farm to finish alone"
    )
    assert farm.keys(f"farm/{farm_job}/stitched/")

    spec = farm.client.job(farm_job)
    assert spec is not None and spec.job == farm_job
    request = JobRequest(
        source=title, out_dir=tmp_path / "again", ladder=Ladder(rungs=RUNGS), settings=encode_settings()
    )
    ctx = JobContext(request, locate_toolchain())
    stages.probe(ctx)
    stages.plan(ctx)
    FarmEncode(farm.client).collect(spec, ctx)
    stages.finalize(ctx)
    stages.validate(ctx)
    assert ctx.report is not None and ctx.report.ok, ctx.report
    assert {v.quality for v in ctx.variants} == {r.name for r in RUNGS}
    assert farm.keys(f"farm/{farm_job}/") == []  # collected: the work files are removed
    stages.cleanup(ctx, failed=False)
