"""A worker finishes and publishes a stitched title: the job's own stages, on the farm.

The desktop asks for it (``FarmJob.finish``) when the job publishes to the farm's own bucket. After
the stitch, the I/O task ``finish`` downloads the stitched files and the subtitle files into a folder
of its own and runs the job's finalize, validate, measure, install and publish stages: the same
functions as a local job (the quality measure reads the source through its signed URL) and the same
``LivePublisher`` (a new build, the master last, a live title replaced at once), with this worker's
keys and webhook. So the package never travels through the desktop, and a title sent before the
desktop closed is published all the same.

The job's result goes to ``farm/<job>/finished/result.json`` with every package file's key. Files the
stages wrote (master, playlists, subtitles, storyboard) are stored beside it when the desktop keeps a
local package, or when the title was not published (the desktop then has the package, and a retry
only publishes); otherwise the chunks are removed at once. A failed check fails the farm job with its
reason; a cancel stops the uploads and removes what was sent, as a local publish does.
"""

from __future__ import annotations

import functools
import logging
import tempfile
from collections.abc import Callable
from itertools import dropwhile
from pathlib import Path
from typing import Any

from hlsstudio.core.errors import CancelledError, HlsStudioError
from hlsstudio.core.install import package_entries, work_dir_for
from hlsstudio.core.jobs.context import JobCallbacks, JobContext, JobRequest
from hlsstudio.core.jobs.quality_stage import measure_quality
from hlsstudio.core.jobs.stages import JOB_STAGES, run_stages, stages_replaced
from hlsstudio.core.livepublish import LivePublisher
from hlsstudio.core.models import JobResult, JobState
from hlsstudio.core.publish import PublishOptions
from hlsstudio.core.settings import DestinationSettings
from hlsstudio.core.storage.base import Destination
from hlsstudio.core.storage.s3 import S3Destination
from hlsstudio.farm import store as farm_files
from hlsstudio.farm.config import FarmConfig
from hlsstudio.farm.heartbeat import Heartbeat
from hlsstudio.farm.parts import host_name, worker_toolchain
from hlsstudio.farm.progress import FINISH, FarmBoard
from hlsstudio.farm.spec import FarmJob, FinishSpec

log = logging.getLogger(__name__)
RESULT = "result.json"
FINISH_STAGES = tuple(dropwhile(lambda stage: stage.name != "encode", JOB_STAGES))[1:]
"""Every stage after the encode: finalize, validate, measure, install, then publish."""
Stamps = dict[str, tuple[int, int]]


def result_key(job: str) -> str:
    """Where the worker that finished farm job ``job`` stores its result."""
    return farm_files.finished_prefix(job) + RESULT


def finish_title(config: FarmConfig, board: FarmBoard, spec: FarmJob, retries: int = 0) -> str:
    """Finish and publish the stitched title of ``spec`` (see the module docstring); what happened.
    ``retries``: how many times the task was retried after a passing error (not a lost worker).
    Raises StorageError and redis errors (passing: the task retries)."""
    finish = spec.finish
    assert finish is not None, "only a job that asks for it is finished on the farm"
    if board.cancelled(spec.job):
        board.report(spec.job, FINISH, state="cancelled")
        return "cancelled"
    store = farm_files.farm_store(config)
    key = result_key(spec.job)
    if store.head(key) is not None:  # a copy finished already (this task ran twice)
        board.set_finished(spec.job, key)
        return "finished already"
    if store.description != finish.store:
        reason = f"this worker's bucket is {store.description}, the job publishes to {finish.store}"
        return _failed(board, spec, f"the title could not be published on the farm: {reason}")
    starts = board.start_part(spec.job, FINISH, {"host": host_name(), "device": "CPU", "encoder": ""})
    if starts > config.max_attempts:
        return _failed(
            board, spec, f"publishing started {starts - 1} times and stopped each time (worker lost)"
        )
    status = board.status(spec.job)
    cpu = sum(p.cpu_seconds for p in status.parts) if status is not None else 0.0
    with Heartbeat(board, spec.job, FINISH) as beat:
        try:
            result, files = finish_package(store, spec, finish, cpu, beat)
        except CancelledError:
            board.report(spec.job, FINISH, state="cancelled")
            return "cancelled"
        except HlsStudioError as exc:
            return _failed(board, spec, exc.message)
    farm_files.put_json(store, key, {"result": result.model_dump(mode="json"), "files": files})
    board.report(spec.job, FINISH, state="done", fraction=1.0, step="")
    board.set_finished(spec.job, key)
    log.info("farm job %s: finished on this worker: %s", spec.job, result.hls_url or result.error)
    return "published" if result.hls_url else "finished"


def _failed(board: FarmBoard, spec: FarmJob, error: str) -> str:
    log.warning("farm job %s: finishing failed: %s", spec.job, error)
    board.report(spec.job, FINISH, state="failed", error=error)
    board.fail_job(spec.job, error)
    return "failed"


def finish_package(
    store: Destination, spec: FarmJob, finish: FinishSpec, cpu_seconds: float, beat: Heartbeat
) -> tuple[JobResult, dict[str, str]]:
    """Run the stages after the encode on the stitched title in a folder of this worker's; the job's
    result and every package file's key. Raises HlsStudioError (the title cannot be finished),
    CancelledError."""
    stitched = farm_files.get_json(store, farm_files.stitched_prefix(spec.job) + farm_files.MANIFEST)
    if stitched is None:
        raise HlsStudioError("the stitched title is missing from the store")
    with tempfile.TemporaryDirectory(prefix="hlsstudio-finish-") as tmp:
        root = Path(tmp)
        out_dir = root / "package"
        work = work_dir_for(out_dir, finish.job)
        farm_files.download_files(store, stitched["files"], work, beat.cancel)
        before = stamps(work)
        ctx = worker_context(spec, finish, out_dir, work, beat)
        ctx.plan = ctx.need_plan().model_copy(
            update={"subtitles": fetch_subtitles(store, finish, root / "subtitles", beat)}
        )
        ctx.encode_cpu_seconds = cpu_seconds
        measure = functools.partial(measure_quality, source=farm_files.readable_location(store, spec.source))
        with stages_replaced({"measure": measure}):
            run_stages(ctx, FINISH_STAGES[:-1])
        ctx.publisher = publisher_for(store, finish, beat)  # opened now: its time is the publish's own
        run_stages(ctx, FINISH_STAGES[-1:])
        assert ctx.result is not None
        if ctx.result.status == "cancelled" or beat.cancel.is_set():
            raise CancelledError()
        files = package_keys(spec.job, out_dir, stitched["files"], before)
        keep = finish.keep_package or ctx.result.status != "completed"
        if keep:
            upload_written(store, spec.job, out_dir, files, beat)
        else:
            remove_work(store, spec.job)
        return ctx.result, files


def worker_context(
    spec: FarmJob, finish: FinishSpec, out_dir: Path, work: Path, beat: Heartbeat
) -> JobContext:
    """The job's context on this worker: its request, probe and plan, the stitched title in ``work``."""
    source = out_dir.parent / "source" / Path(spec.source).name  # never read: the URL is
    request = JobRequest(
        source=source,
        out_dir=out_dir,
        ladder=finish.ladder,
        settings=finish.settings,
        content_type=finish.content_type,
        content_id=finish.content_id,
        publish_while_encoding=False,
        replace_live=finish.replace_live,
        job=finish.job,
        runs_on="farm",
    )
    callbacks = JobCallbacks(on_state=_step_reporter(beat), on_upload=_upload_reporter(beat))
    ctx = JobContext(request, worker_toolchain(), callbacks=callbacks, cancel=beat.cancel)
    ctx.info, ctx.work = finish.info, work
    ctx.plan = spec.plan_for(work, str(source)).model_copy(update={"storyboard": finish.storyboard})
    ctx.trace.encoder = ctx.plan.encoder
    return ctx


def _step_reporter(beat: Heartbeat) -> Callable[[JobState], None]:
    steps: list[str] = []

    def step(state: JobState) -> None:
        if state.value not in steps:
            steps.append(state.value)
        beat.note(step=state.value, steps=",".join(steps))  # every step, for a desktop that polls late

    return step


def _upload_reporter(beat: Heartbeat) -> Callable[[Any], None]:
    def upload(progress: Any) -> None:
        beat.note(
            sent=progress.overall_bytes_sent,
            total=progress.overall_bytes,
            files_done=progress.files_done,
            files=progress.files_total,
            fraction=round(progress.fraction, 4),
        )

    return upload


def publisher_for(store: Destination, finish: FinishSpec, beat: Heartbeat) -> LivePublisher:
    """The job's publisher on this worker: the farm's bucket (under the desktop's public URL), this
    worker's upload settings and webhook. Raises ConfigError, StorageError."""
    if isinstance(store, S3Destination) and finish.public_base:
        store.public_base = finish.public_base.rstrip("/")
    return LivePublisher(
        store,
        finish.content_type,
        finish.content_id,
        options=PublishOptions.from_settings(DestinationSettings()),
        on_progress=_upload_reporter(beat),
        cancel=beat.cancel,
        stream=False,
        replace_live=finish.replace_live,
    )


def fetch_subtitles(store: Destination, finish: FinishSpec, folder: Path, beat: Heartbeat) -> list[Any]:
    """The job's subtitle tracks as files of this worker's (the desktop stored each one)."""
    tracks = []
    for item in finish.subtitles:
        if item.path is None:
            continue
        local = folder / item.track / Path(item.path).name
        farm_files.download_files(store, {local.name: item.path.as_posix()}, local.parent, beat.cancel)
        tracks.append(item.model_copy(update={"path": local}))
    return tracks


def stamps(folder: Path) -> Stamps:
    """Each file's size and modification time (what the stages rewrote shows as changed)."""
    found: Stamps = {}
    for path in package_entries(folder):
        stat = path.stat()
        found[path.relative_to(folder).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return found


def package_keys(job: str, package: Path, stitched: dict[str, str], before: Stamps) -> dict[str, str]:
    """Every file of the finished package and its key: the stitched copy when the stages left it
    as it was, else its place among the finished files."""
    now = stamps(package)
    prefix = farm_files.finished_prefix(job)
    return {
        name: stitched[name] if name in stitched and before.get(name) == stamp else prefix + name
        for name, stamp in now.items()
    }


def upload_written(
    store: Destination, job: str, package: Path, files: dict[str, str], beat: Heartbeat
) -> None:
    """Store the files the stages wrote or changed, for the desktop to download."""
    prefix = farm_files.finished_prefix(job)
    written = {package / name: key for name, key in files.items() if key.startswith(prefix)}
    farm_files.upload_files(store, written, beat.cancel)


def remove_work(store: Destination, job: str) -> None:
    """The title is published and nobody needs its package: remove its chunks, sound and stitch."""
    for prefix in (farm_files.job_prefix(job) + "chunks/", farm_files.job_prefix(job) + "audio/",
                   farm_files.stitched_prefix(job)):  # fmt: skip
        farm_files.remove_prefix(store, prefix)
