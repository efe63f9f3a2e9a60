"""The farm's Celery tasks: encode a chunk (GPU or CPU queue), encode the sound, stitch, and finish and
publish the title (I/O queue).

Reliability comes from Celery's own mechanisms (``app.make_app``): a task is acknowledged only when it
ends, a worker that dies gives its task back, and a worker takes one task at a time. On top of that
each task is safe to run twice: a part already finished is skipped, each run writes under its own
attempt, and the first finished copy is the one that counts (``parts``). Only passing I/O errors (the
store, Redis) are retried, a few times with growing pauses; an ffmpeg failure fails the job with its
reason, and so does a chunk that keeps stopping its workers (``max_attempts`` starts). The last part
to finish sends the stitch, once (``FarmBoard.claim_stitch``); the stitch sends the finish, once, when
the job asks for it (``farm.finish``).
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from hlsstudio.core.errors import CancelledError, HlsStudioError, StorageError
from hlsstudio.farm import store as farm_files
from hlsstudio.farm.config import FarmConfig
from hlsstudio.farm.finish import finish_title
from hlsstudio.farm.heartbeat import Heartbeat
from hlsstudio.farm.parts import done_key, host_name, run_audio, run_chunk
from hlsstudio.farm.progress import AUDIO, REDIS_ERRORS, FarmBoard, chunk_part
from hlsstudio.farm.spec import FarmJob
from hlsstudio.farm.stitch import join

log = logging.getLogger(__name__)

ENCODE_CHUNK = "hlsstudio.farm.encode_chunk"
ENCODE_AUDIO = "hlsstudio.farm.encode_audio"
STITCH = "hlsstudio.farm.stitch"
FINISH = "hlsstudio.farm.finish"
IO_RETRIES = 3
TRANSIENT: tuple[type[Exception], ...] = (StorageError, OSError, *REDIS_ERRORS)
MANIFEST = farm_files.MANIFEST


def register(app: Any) -> None:
    """Add the farm's tasks to the Celery ``app`` (acknowledged late, given back by a lost worker)."""
    options = {"bind": True, "acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}
    app.task(name=ENCODE_CHUNK, **options)(encode_chunk)
    app.task(name=ENCODE_AUDIO, **options)(encode_audio)
    app.task(name=STITCH, **options)(stitch)
    app.task(name=FINISH, **options)(finish)


def _config(task: Any) -> FarmConfig:
    config: FarmConfig = task.app.farm_config
    return config


def encode_chunk(task: Any, spec_doc: dict[str, Any], index: int) -> str:
    """Celery task: encode chunk ``index`` of the job; returns what happened (for the worker's log)."""
    return _run_part(task, spec_doc, chunk_part(index), index)


def encode_audio(task: Any, spec_doc: dict[str, Any]) -> str:
    """Celery task: encode the job's sound once for the whole title."""
    return _run_part(task, spec_doc, AUDIO, None)


def _fail(board: FarmBoard, spec: FarmJob, part: str, error: str) -> str:
    log.warning("farm job %s: %s failed: %s", spec.job, part, error)
    board.report(spec.job, part, state="failed", error=error)
    name = "the sound" if part == AUDIO else f"chunk {int(part[1:]) + 1} of {len(spec.chunks)}"
    board.fail_job(spec.job, f"{name} failed: {error}")
    return "failed"


def _run_part(task: Any, spec_doc: dict[str, Any], part: str, index: int | None) -> str:
    config, spec = _config(task), FarmJob.model_validate(spec_doc)
    board = FarmBoard(config.redis_url)
    try:
        return _attempt(task, config, board, spec, part=part, index=index)
    except TRANSIENT as exc:  # the board itself could not be reached: try again later
        if task.request.retries >= IO_RETRIES:
            raise
        raise task.retry(exc=exc, countdown=2 ** (task.request.retries + 1)) from None
    finally:
        board.close()


def _attempt(
    task: Any, config: FarmConfig, board: FarmBoard, spec: FarmJob, *, part: str, index: int | None
) -> str:
    if board.cancelled(spec.job):
        board.report(spec.job, part, state="cancelled")
        return "cancelled"
    if board.is_done(spec.job, part):
        return "finished already"
    device = "GPU" if spec.queue == "gpu" and part != AUDIO else "CPU"
    encoder = "aac" if part == AUDIO else str(spec.plan.get("encoder", ""))
    attempts = board.start_part(spec.job, part, {"host": host_name(), "device": device, "encoder": encoder})
    starts = attempts - task.request.retries
    if starts > config.max_attempts:
        return _fail(board, spec, part, f"started {starts - 1} times and stopped each time (worker lost)")
    attempt = f"{host_name()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    frames = 0
    if index is not None:
        chunk = spec.chunks[index]
        total = chunk.end_frame if chunk.end_frame is not None else round(spec.duration * spec.rate)
        frames = max(total - chunk.starts[0], 1)
    store = farm_files.farm_store(config)
    rate = float(spec.rate) if index is not None else 0.0
    with Heartbeat(board, spec.job, part, frames, rate) as beat:
        try:
            report = (
                run_chunk(store, spec, index, attempt, beat)
                if index is not None
                else run_audio(store, spec, attempt, beat)
            )
        except CancelledError:
            board.report(spec.job, part, state="cancelled")
            return "cancelled"
        except TRANSIENT as exc:
            if task.request.retries >= IO_RETRIES:
                return _fail(board, spec, part, f"storage kept failing: {exc}")
            board.count_retry(spec.job, part, str(exc))
            raise task.retry(exc=exc, countdown=2 ** (task.request.retries + 1)) from None
        except HlsStudioError as exc:
            return _fail(board, spec, part, exc.message)
    stats = {k: report.get(k, 0) for k in ("cpu_seconds", "encode_seconds", "upload_seconds")}
    _won, finished = board.finish_part(spec.job, part, attempt, **stats)
    if finished and board.claim_stitch(spec.job):
        send_stitch(task.app, board, spec)
    return "done"


def send_stitch(app: Any, board: FarmBoard, spec: FarmJob) -> None:
    """Queue the job's stitch on the I/O queue."""
    task_id = f"{spec.job}:stitch:{uuid.uuid4().hex[:8]}"
    board.add_tasks(spec.job, [task_id])
    app.send_task(STITCH, args=[spec.model_dump(mode="json")], queue="io", task_id=task_id)


def send_finish(app: Any, board: FarmBoard, spec: FarmJob) -> None:
    """Queue the title's finish and publish on the I/O queue."""
    task_id = f"{spec.job}:finish:{uuid.uuid4().hex[:8]}"
    board.add_tasks(spec.job, [task_id])
    app.send_task(FINISH, args=[spec.model_dump(mode="json")], queue="io", task_id=task_id)


def finish(task: Any, spec_doc: dict[str, Any]) -> str:
    """Celery task: finish the stitched title and publish it, with the job's own stages."""
    config, spec = _config(task), FarmJob.model_validate(spec_doc)
    board = FarmBoard(config.redis_url)
    try:
        return finish_title(config, board, spec, task.request.retries)
    except TRANSIENT as exc:
        if task.request.retries >= IO_RETRIES:
            board.fail_job(spec.job, f"the title could not be published: storage kept failing: {exc}")
            return "failed"
        raise task.retry(exc=exc, countdown=2 ** (task.request.retries + 1)) from None
    finally:
        board.close()


def stitch(task: Any, spec_doc: dict[str, Any]) -> str:
    """Celery task: join the finished chunks into the variant playlists and write the manifest."""
    config, spec = _config(task), FarmJob.model_validate(spec_doc)
    board = FarmBoard(config.redis_url)
    try:
        if board.cancelled(spec.job):
            return "cancelled"
        store = farm_files.farm_store(config)
        reports = [farm_files.get_json(store, done_key(spec.job, c.part)) for c in spec.chunks]
        missing = [i + 1 for i, report in enumerate(reports) if report is None]
        if missing:
            board.fail_job(spec.job, f"chunk {missing[0]} has no finished copy to join")
            return "failed"
        audio = farm_files.get_json(store, done_key(spec.job, AUDIO)) if AUDIO in spec.parts else None
        prefix = farm_files.stitched_prefix(spec.job)
        joined = join(spec, [r for r in reports if r is not None], audio, prefix)
        with tempfile.TemporaryDirectory(prefix="hlsstudio-stitch-") as tmp:
            for name, text in joined.playlists.items():
                (Path(tmp) / name).write_text(text, encoding="utf-8")
            farm_files.upload_folder(store, Path(tmp), prefix)
        farm_files.put_json(store, prefix + MANIFEST, {"files": joined.files})
        board.set_stitched(spec.job, prefix + MANIFEST)
        if spec.finish is not None and board.claim_finish(spec.job):
            send_finish(task.app, board, spec)
        return "stitched"
    except TRANSIENT as exc:
        if task.request.retries >= IO_RETRIES:
            board.fail_job(spec.job, f"the chunks could not be joined: storage kept failing: {exc}")
            return "failed"
        raise task.retry(exc=exc, countdown=2 ** (task.request.retries + 1)) from None
    except HlsStudioError as exc:
        board.fail_job(spec.job, f"the chunks could not be joined: {exc.message}")
        return "failed"
    finally:
        board.close()
