"""The job service's encode stage on the farm, and the executor that plugs it in.

``FarmEncode`` is a drop-in for ``stages.encode``: the probe, the per-title analysis and the plan ran
here as for any job; this stage uploads the source (and the audio files beside it) once, cuts the
title into chunks on the plan's segment grid, sends the job, follows it (progress as the job's own
``EncodeProgress`` events) and downloads the stitched segments, playlists, sound, thumbnails and
poster into the job's working folder. The job's finalize, validate, install and publish stages then
run as for a local encode: the same validator, the same publisher. A job that publishes to the farm's
own bucket has those stages run by a worker instead (``finishing``, ``finish``): the desktop takes
the worker's result, and downloads the package only when it keeps a local copy. A cancel stops the farm's work
(cancel key and revoke) and nothing is published; the job's files on the farm are removed whatever
happened, unless the app is closing (``detach``): then the farm goes on, and the job, stored with its
files, can be followed again (``FarmClient.job`` + ``collect``).

``FarmExecutor`` wraps the front end's executor: the jobs it runs on the encode lane encode on the
farm (``stages.stages_replaced``): every one (the command line's ``--farm``), or only those whose
place is the farm (``JobWork.runs_on``, the app's per-job Local/Farm choice); everything else runs
as before. ``on_sent`` hears of the farm job a job sent (stored with the job, so a restart follows it
again: a request with ``farm_job`` follows that job instead of sending a new one) and of its end.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path

from hlsstudio.core.errors import CancelledError
from hlsstudio.core.jobs.context import JobContext
from hlsstudio.core.jobs.executor import Executor, Lane, Work
from hlsstudio.core.jobs.stages import stages_replaced
from hlsstudio.core.models import Progress
from hlsstudio.core.ownership import new_token
from hlsstudio.farm import store as farm_files
from hlsstudio.farm.chunkcmd import chunk_command
from hlsstudio.farm.chunks import plan_chunks
from hlsstudio.farm.finishing import finish_spec, relay_steps, take_result
from hlsstudio.farm.follow import Follower, StatusCallback, ignore_status
from hlsstudio.farm.progress import FarmStatus
from hlsstudio.farm.spec import FarmJob
from hlsstudio.farm.submit import BROKER_ERRORS, FarmClient, FarmUnreachable

log = logging.getLogger(__name__)
SentCallback = Callable[[str, str | None], None]
"""(the service's job id, the farm job it sent; None once collected or given up)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def farm_job_id(job: str) -> str:
    """A farm job id for the service's job ``job``: unique per run (a retry is a new farm job)."""
    return f"{_UNSAFE.sub('-', job)[:40] or 'job'}-{new_token()[:10]}"


class FarmEncode:
    """The encode stage run on the farm (see the module docstring)."""

    def __init__(
        self,
        client: FarmClient,
        on_status: StatusCallback | None = None,
        on_sent: SentCallback | None = None,
    ) -> None:
        """``on_status`` gets every status read (the per-chunk grid), on the job's thread;
        ``on_sent`` the farm job a job sent, and None when it was collected or given up."""
        self.client = client
        self.on_status = on_status or ignore_status
        self.on_sent = on_sent or _ignore_sent
        self.detached = threading.Event()

    def prepare(self, ctx: JobContext) -> FarmJob:
        """Upload the inputs and cut the title: the farm job for ``ctx``'s plan. Raises StorageError,
        TranscodeError (no live worker), CancelledError."""
        plan, info = ctx.need_plan(), ctx.need_info()
        queue = self.client.choose_queue(ctx.request.settings.encoder)
        store = self.client.store
        job = farm_job_id(ctx.request.job)
        for path in (plan.source, *plan.audio_inputs):
            self.client.board.use_source(farm_files.source_key(path), job)
        source = farm_files.upload_source(store, plan.source, ctx.cancel)
        audio = [farm_files.upload_source(store, path, ctx.cancel) for path in plan.audio_inputs]
        chunks = plan_chunks(
            plan,
            info.duration,
            chunk_seconds=self.client.config.chunk_seconds,
            split_over=self.client.config.split_over,
        )
        finish = finish_spec(ctx, store, job)
        spec = FarmJob.of(
            job, plan, chunks, source=source, audio_inputs=audio, duration=info.duration, queue=queue,
            finish=finish,
        )  # fmt: skip
        shown = spec.plan_for(Path("<worker folder>"), f"<{source}>")
        ctx.trace.command = chunk_command(shown, chunks[0], str(shown.source), {}, ffmpeg="ffmpeg")
        ctx.trace.encoder = shown.encoder
        return spec

    def __call__(self, ctx: JobContext) -> None:
        """Run the job's encode on the farm; the stitched outputs land in the plan's folder. A job
        that sent a farm job before (``request.farm_job``) follows it when the farm still has it."""
        spec = self.sent_before(ctx)
        if spec is None:
            try:
                spec = self.prepare(ctx)
                log.info("job %s: encoding on the farm as %s (%d chunks, %s queue)", ctx.request.job,
                         spec.job, len(spec.chunks), spec.queue)  # fmt: skip
                self.client.submit(spec)
            except BROKER_ERRORS as exc:
                raise FarmUnreachable(self.client.config, exc) from None
            self.on_sent(ctx.request.job, spec.job)
        self.collect(spec, ctx)

    def sent_before(self, ctx: JobContext) -> FarmJob | None:
        """The farm job this job sent before the app closed, when the farm still has it."""
        farm_job = ctx.request.farm_job
        if not farm_job:
            return None
        spec = self.client.job(farm_job)
        if spec is None:
            log.info("job %s: the farm no longer has %s; sending it again", ctx.request.job, farm_job)
            return None
        log.info("job %s: following %s on the farm again", ctx.request.job, farm_job)
        ctx.trace.encoder = str(spec.plan.get("encoder", ""))
        return spec

    def collect(self, spec: FarmJob, ctx: JobContext) -> None:
        """Follow the sent job ``spec`` to its end and download it into the plan's folder (also how a
        job is re-attached: ``FarmClient.job`` reads a sent job back). Raises CancelledError,
        TranscodeError, StorageError; removes the job's files on the farm unless detached."""
        follower = Follower(self.client, spec, ctx.cancel)
        relayed: list[str] = []

        def seen(status: FarmStatus) -> None:
            self.on_status(status)
            relay_steps(ctx, status, relayed)

        try:
            status = follower.run(ctx.need_info().duration, ctx.callbacks.on_progress, seen)
            if status.result:
                take_result(ctx, self.client.store, status.result)
            else:
                files = self.client.manifest(status.manifest)
                farm_files.download_files(self.client.store, files, ctx.need_plan().out_dir, ctx.cancel)
        except BaseException:  # cancelled or failed: stop what still runs on the farm
            if not self.detached.is_set():
                follower.stop()
            raise
        finally:
            if not self.detached.is_set():
                self._forget(spec.job)
                self.on_sent(ctx.request.job, None)
        self._release_sources(spec)
        ctx.plan = ctx.need_plan().model_copy(update={"encoder": spec.plan["encoder"]})
        ctx.encode_cpu_seconds = sum(p.cpu_seconds for p in status.parts)
        if ctx.cancel.is_set():
            raise CancelledError()
        duration = ctx.need_info().duration
        ctx.callbacks.on_progress(Progress(fraction=1.0, out_time=duration, eta=0.0, done=True))

    def detach(self) -> None:
        """The app is closing: jobs that stop from now on leave their farm work running and stored
        (to be re-attached), instead of cancelling it. Call before the service's shutdown."""
        self.detached.set()

    def _release_sources(self, spec: FarmJob) -> None:
        """The job is done with its uploaded sources: remove each one no other farm job reads (a
        failed job keeps them, for its retry). Only copies this app uploaded (``sources/``) go."""
        uploaded = [k for k in (spec.source, *spec.audio_inputs) if k.startswith(farm_files.SOURCES_PREFIX)]
        try:
            unused = [key for key in uploaded if self.client.board.release_source(key, spec.job)]
            if unused:
                self.client.store.delete_keys(unused)
        except Exception as exc:  # a copy left in the bucket is removed with a later job of the file
            log.warning("farm job %s: its uploaded source could not be removed: %s", spec.job, exc)

    def _forget(self, job: str) -> None:
        try:
            self.client.cleanup(job)
        except Exception as exc:  # a leftover work folder is swept later, never a failed job
            log.warning("farm job %s: its work files could not be removed: %s", job, exc)


def _ignore_sent(_job: str, _farm_job: str | None) -> None:
    return None


class FarmExecutor:
    """An executor whose encode-lane jobs encode on the farm (all of them, or with ``every_job``
    False only those whose place is the farm); it runs everything on ``inner``."""

    def __init__(
        self, inner: Executor, encode: Callable[[JobContext], None], *, every_job: bool = True
    ) -> None:
        self.inner, self.encode, self.every_job = inner, encode, every_job

    def on_farm(self, work: Work) -> bool:
        """Whether ``work`` (a job's) encodes on the farm."""
        return self.every_job or getattr(work, "runs_on", "local") == "farm"

    def _on_farm(self, work: Work) -> None:
        with stages_replaced({"encode": self.encode}):
            work()

    def submit(self, lane: Lane, work: Work) -> None:
        """Run ``work`` on ``inner``; a job's encode stage goes to the farm."""
        farm = lane is Lane.ENCODE and self.on_farm(work)
        self.inner.submit(lane, functools.partial(self._on_farm, work) if farm else work)

    def set_capacity(self, lane: Lane, count: int) -> None:
        """As ``inner``."""
        self.inner.set_capacity(lane, count)

    def discard_pending(self) -> None:
        """As ``inner``."""
        self.inner.discard_pending()

    def wait(self, timeout: float | None = None) -> bool:
        """As ``inner``."""
        return self.inner.wait(timeout)
