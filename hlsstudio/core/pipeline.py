"""One job end to end, as a list of stages (``core.jobs.stages``): probe -> plan -> encode -> finalize
-> validate -> install -> publish, then the clean-up.

Work happens in a hidden folder next to the package folder and is moved into place only when the
package is complete and valid; whatever happens, the working folder is removed. ``transcode``
raises HlsStudioError subclasses; ``run_job`` never raises for a job's failure and returns a
JobResult whose ``status``/``error`` say what happened, so a queue can go on. ``publish_package_dir``
publishes a finished package through the same publisher the job's publish stage uses.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from hlsstudio.core.errors import CancelledError, HlsStudioError
from hlsstudio.core.jobs.context import JobCallbacks, JobContext, JobRequest, JobTrace
from hlsstudio.core.jobs.stages import JOB_STAGES, TRANSCODE_STAGES, run_stages
from hlsstudio.core.livepublish import LivePublisher
from hlsstudio.core.models import (
    ContentType,
    EncodeSettings,
    JobResult,
    JobState,
    Ladder,
    MediaInfo,
    PublishResult,
)
from hlsstudio.core.ownership import remove_owned
from hlsstudio.core.publish import ProgressCallback, PublishOptions
from hlsstudio.core.storage.base import Destination
from hlsstudio.core.toolchain import Toolchain

__all__ = [
    "JobCallbacks",
    "JobRequest",
    "JobTrace",
    "publish_package_dir",
    "run_job",
    "transcode",
]

log = logging.getLogger(__name__)
FINAL_STATES = {"completed": JobState.DONE, "cancelled": JobState.CANCELLED}


def transcode(
    source: Path,
    out_dir: Path,
    *,
    ladder: Ladder,
    settings: EncodeSettings,
    toolchain: Toolchain,
    info: MediaInfo | None = None,
    callbacks: JobCallbacks | None = None,
    cancel: threading.Event | None = None,
    trace: JobTrace | None = None,
    live: LivePublisher | None = None,
    job: str = "",
) -> JobResult:
    """Turn ``source`` into a validated HLS package at ``out_dir`` (replacing what was there).

    ``out_dir`` must be new, empty or a package folder the app made (``core.ownership``) and must not
    hold the source: anything else fails with FolderNotOursError, and is never touched.
    Returns a completed JobResult. Raises ProbeError, LadderError, TranscodeError (incl. StallError),
    ValidationFailed or CancelledError; on any of them no partial output remains and ``out_dir``
    is untouched. With ``live``, finished segments and thumbnails are uploaded while ffmpeg runs;
    a failure or cancel removes what was uploaded (``finish`` the publisher after success).
    """
    named = {"job": job} if job else {}
    request = JobRequest(source=source, out_dir=out_dir, ladder=ladder, settings=settings, **named)
    ctx = JobContext(
        request,
        toolchain,
        callbacks=callbacks or JobCallbacks(),
        cancel=cancel or threading.Event(),
        trace=trace or JobTrace(),
        publisher=live,
        info=info,
    )
    run_stages(ctx, TRANSCODE_STAGES)
    assert ctx.result is not None
    return ctx.result.model_copy(update={"processing_time_seconds": _since(ctx.started)})


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)


def _failed(status: str, exc: BaseException, ctx: JobContext) -> JobResult:
    if isinstance(exc, HlsStudioError):
        message, detail = exc.message, exc.detail
    else:
        message, detail = f"internal error: {type(exc).__name__}: {exc}", ""
    trace = ctx.trace
    return JobResult(
        status="cancelled" if status == "cancelled" else "failed",
        source=str(ctx.request.source),
        duration=trace.info.duration if trace.info else None,
        processing_time_seconds=_since(ctx.started),
        encoder=trace.encoder,
        warnings=trace.warnings,
        error=message,
        error_detail=detail or None,
        command=trace.command,
    )


def open_publisher(
    request: JobRequest, destination: Destination | None, callbacks: JobCallbacks, cancel: threading.Event
) -> LivePublisher | None:
    """The publish stage started early: opened before the encode so finished files can stream to it
    (None when the job does not publish). Raises ConfigError, StorageError."""
    if destination is None or not request.content_type or not request.content_id:
        return None
    return LivePublisher(
        destination,
        request.content_type,
        request.content_id,
        on_progress=callbacks.on_upload,
        cancel=cancel,
        stream=request.publish_while_encoding,
        replace_live=request.replace_live,
    )


def run_job(
    request: JobRequest,
    *,
    toolchain: Toolchain,
    destination: Destination | None = None,
    callbacks: JobCallbacks | None = None,
    cancel: threading.Event | None = None,
    info: MediaInfo | None = None,
    keep_local: bool = True,
) -> JobResult:
    """Transcode ``request.source`` and, when a destination, content type and id are given, publish it.

    Publishing overlaps the encode: each finished segment and thumbnail is uploaded while ffmpeg
    goes on (``request.publish_while_encoding``), the master last after validation. A failed or
    cancelled job removes what it uploaded.

    Never raises for the job's own failure: the JobResult's ``status`` is "completed", "failed" or
    "cancelled", with a one-line ``error`` and the technical ``error_detail``. The package stays
    local when publishing fails, so a retry publishes without re-encoding.
    """
    ctx = JobContext(
        request,
        toolchain,
        callbacks=callbacks or JobCallbacks(),
        cancel=cancel or threading.Event(),
        info=info,
        keep_local=keep_local,
    )
    try:
        ctx.publisher = open_publisher(request, destination, ctx.callbacks, ctx.cancel)
        run_stages(ctx, JOB_STAGES)
    except CancelledError as exc:
        ctx.state(JobState.CANCELLED)
        return _failed("cancelled", exc, ctx)
    except HlsStudioError as exc:
        ctx.state(JobState.FAILED)
        return _failed("failed", exc, ctx)
    except Exception as exc:  # a bug must fail its own job, not the queue
        log.exception("job for %s failed unexpectedly", request.source)
        ctx.state(JobState.FAILED)
        return _failed("failed", exc, ctx)
    assert ctx.result is not None
    ctx.state(FINAL_STATES.get(ctx.result.status, JobState.FAILED))
    return ctx.result.model_copy(update={"processing_time_seconds": _since(ctx.started)})


def publish_package_dir(
    package_dir: Path,
    destination: Destination,
    content_type: ContentType,
    content_id: str,
    *,
    options: PublishOptions,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    keep_local: bool = True,
    replace_live: bool = True,
) -> PublishResult:
    """Publish a finished package (the Publish button, a retry that only publishes) with the publisher
    the job's publish stage uses; remove the local package afterwards unless ``keep_local``.
    ``replace_live=False`` refuses (LiveTitleError) to replace a title that is already live.

    A failed or cancelled publish keeps what it uploaded, so publishing again resumes the same build.
    Raises ConfigError, StorageError, CancelledError.
    """
    publisher = LivePublisher(
        destination,
        content_type,
        content_id,
        options=options,
        on_progress=on_progress,
        cancel=cancel,
        stream=False,
        package_dir=package_dir,
        replace_live=replace_live,
    )
    published = publisher.finish(package_dir)
    if not keep_local:
        remove_owned(package_dir)
    return published
