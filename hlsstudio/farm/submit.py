"""A desktop's handle on the farm: which queues have live workers, send a job, resume it, cancel it.

The farm is offered only when a worker serves the encode queue and one serves the I/O queue
(``live_queues``: the workers answer a broadcast). A job is sent as one task per part; each task id
is kept on the board so a cancel can revoke the ones not started, while the cancel key stops the
running ones (their ffmpeg included). When Redis forgot a job (restarted without persistence),
``resume`` rebuilds its board from the bucket: parts whose copy is stored are done, the rest are sent
again, a title whose chunks are all stored is stitched, and a stitched title a worker should finish is
sent to be finished (unless its result is stored already).
"""

from __future__ import annotations

import uuid
from functools import cached_property
from typing import Any

from kombu.exceptions import OperationalError

from hlsstudio.core.errors import TranscodeError
from hlsstudio.core.storage.base import Destination
from hlsstudio.farm import store as farm_files
from hlsstudio.farm.app import make_app
from hlsstudio.farm.config import FarmConfig
from hlsstudio.farm.finish import result_key
from hlsstudio.farm.parts import done_key
from hlsstudio.farm.progress import AUDIO, REDIS_ERRORS, FarmBoard
from hlsstudio.farm.spec import FarmJob, Queue
from hlsstudio.farm.tasks import ENCODE_AUDIO, ENCODE_CHUNK, MANIFEST, send_finish, send_stitch

INSPECT_TIMEOUT = 1.5
JOB_FILE = "job.json"
BROKER_ERRORS: tuple[type[Exception], ...] = (*REDIS_ERRORS, OperationalError)


class FarmUnreachable(TranscodeError):
    """The farm's Redis cannot be reached (down, wrong address, refused password)."""

    def __init__(self, config: FarmConfig, exc: BaseException) -> None:
        super().__init__(f"the farm's Redis ({config.redis_address}) cannot be reached: {exc}")


class FarmClient:
    """Sends jobs to the farm of ``config`` and follows them; files go through ``store``."""

    def __init__(self, config: FarmConfig, store: Destination) -> None:
        self.config, self.store = config, store
        self.board = FarmBoard(config.redis_url)

    @cached_property
    def app(self) -> Any:
        """The Celery app (made on first use)."""
        return make_app(self.config)

    def close(self) -> None:
        """Drop the connections."""
        self.board.close()

    def live_queues(self, timeout: float = INSPECT_TIMEOUT) -> dict[str, list[str]]:
        """Each queue with live workers, and their names (empty: no worker answered). Raises
        FarmUnreachable."""
        try:
            replies = self.app.control.inspect(timeout=timeout).active_queues() or {}
        except BROKER_ERRORS as exc:
            raise FarmUnreachable(self.config, exc) from None
        queues: dict[str, list[str]] = {}
        for worker, served in replies.items():
            for queue in served:
                queues.setdefault(queue["name"], []).append(worker)
        return {name: sorted(workers) for name, workers in queues.items()}

    def choose_queue(self, encoder_choice: str, live: dict[str, list[str]] | None = None) -> Queue:
        """The encode queue for a job: GPU when a GPU worker is live (unless x264 is asked for), else
        CPU. Raises TranscodeError when no worker could take the job."""
        live = self.live_queues() if live is None else live
        if "io" not in live:
            raise TranscodeError(
                "no farm worker serves the I/O queue: start one with --queues io (or cpu,io)"
            )
        if "gpu" in live and encoder_choice != "libx264":
            return "gpu"
        if "cpu" in live:
            return "cpu"
        raise TranscodeError("no farm worker can encode: start one serving the cpu (or gpu) queue")

    def submit(self, spec: FarmJob) -> None:
        """Store the job (``job``), record it on the board and send every part. Raises StorageError,
        redis errors."""
        farm_files.put_json(
            self.store, farm_files.job_prefix(spec.job) + JOB_FILE, spec.model_dump(mode="json")
        )
        self.board.create(spec.job, spec.weights())
        self.dispatch(spec, spec.parts)

    def job(self, job: str) -> FarmJob | None:
        """A sent job read back from the store (re-attaching after the app was closed), or None."""
        document = farm_files.get_json(self.store, farm_files.job_prefix(job) + JOB_FILE)
        return FarmJob.model_validate(document) if document is not None else None

    def dispatch(self, spec: FarmJob, parts: list[str]) -> None:
        """Send the tasks of ``parts`` (chunks to the job's queue, the sound to the I/O queue)."""
        doc = spec.model_dump(mode="json")
        sent: list[str] = []
        for part in parts:
            task_id = f"{spec.job}:{part}:{uuid.uuid4().hex[:8]}"
            sent.append(task_id)
            if part == AUDIO:
                self.app.send_task(ENCODE_AUDIO, args=[doc], queue="io", task_id=task_id)
            else:
                index = next(c.index for c in spec.chunks if c.part == part)
                self.app.send_task(ENCODE_CHUNK, args=[doc, index], queue=spec.queue, task_id=task_id)
        self.board.add_tasks(spec.job, sent)

    def resume(self, spec: FarmJob, times: int = 1) -> list[str]:
        """Rebuild a job Redis forgot (for the ``times``-th time), from what the bucket holds; returns
        the parts sent again."""
        self.board.create(spec.job, spec.weights(), resumed=times)
        manifest = farm_files.stitched_prefix(spec.job) + MANIFEST
        if spec.finish is not None and self.store.head(result_key(spec.job)) is not None:
            self.board.set_finished(spec.job, result_key(spec.job))
            return []
        if self.store.head(manifest) is not None:
            self.board.set_stitched(spec.job, manifest)
            if spec.finish is not None and self.board.claim_finish(spec.job):
                send_finish(self.app, self.board, spec)
            return []
        missing: list[str] = []
        for part in spec.parts:
            report = farm_files.get_json(self.store, done_key(spec.job, part))
            if report is None:
                missing.append(part)
            else:
                self.board.mark_done(spec.job, part, str(report.get("attempt", "")))
        if missing:
            self.dispatch(spec, missing)
        elif self.board.claim_stitch(spec.job):
            send_stitch(self.app, self.board, spec)
        return missing

    def cancel(self, spec: FarmJob) -> None:
        """Stop the job: the cancel key stops running parts (their ffmpeg too), revoke drops the rest."""
        self.board.cancel(spec.job)
        task_ids = self.board.task_ids(spec.job)
        if task_ids:
            self.app.control.revoke(task_ids)

    def manifest(self, key: str) -> dict[str, str]:
        """The stitched title's files: package file name -> key. Raises TranscodeError when missing."""
        document = farm_files.get_json(self.store, key)
        if document is None:
            raise TranscodeError(f"the farm's stitched title is missing from the store ({key})")
        files: dict[str, str] = document["files"]
        return files

    def cleanup(self, job: str) -> None:
        """Remove the job's work files from the store and let its board records expire."""
        farm_files.remove_prefix(self.store, farm_files.job_prefix(job))
        self.board.forget(job)
