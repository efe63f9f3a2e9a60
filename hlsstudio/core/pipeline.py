"""One job end to end: probe -> plan -> transcode -> measure + master -> validate -> install -> publish.

Work happens in a hidden folder next to the destination and is moved into place only when the
package is complete and valid; whatever happens, the partial folder is removed. ``transcode``
raises HlsStudioError subclasses; ``run_job`` never raises for a job's failure and returns a
JobResult whose ``status``/``error`` say what happened, so a queue can go on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from hlsstudio.core import layout
from hlsstudio.core.command import EncodePlan, build_hls_command, build_poster_command
from hlsstudio.core.errors import (
    CancelledError,
    HlsStudioError,
    TranscodeError,
    ValidationFailed,
)
from hlsstudio.core.hls.master import MasterVariantSpec, finalize_master, measure_playlist
from hlsstudio.core.hls.validate import validate_package
from hlsstudio.core.install import clear_work_dir, install_package, package_entries, work_dir_for
from hlsstudio.core.livepublish import LivePublisher
from hlsstudio.core.models import (
    ContentType,
    EncodeSettings,
    JobResult,
    JobState,
    Ladder,
    MediaInfo,
    Progress,
)
from hlsstudio.core.ownership import check_output_target, new_token, remove_owned
from hlsstudio.core.planning import build_plan, choose_encoder
from hlsstudio.core.probe import probe_file
from hlsstudio.core.proc import TimedOut, run_bounded
from hlsstudio.core.runner import RunOutcome, run_ffmpeg
from hlsstudio.core.storage.base import Destination
from hlsstudio.core.toolchain import Toolchain

log = logging.getLogger(__name__)

POSTER_TIMEOUT = 60.0
TRUNCATION_TOLERANCE = 0.02  # share of the duration
TRUNCATION_MIN_SECONDS = 1.0


def _ignore(_: Any) -> None:
    return None


@dataclass
class JobCallbacks:
    """Where a job reports. Called from the job's own thread (never the GUI thread)."""

    on_state: Callable[[JobState], None] = _ignore
    on_progress: Callable[[Progress], None] = _ignore
    on_upload: Callable[[Any], None] = _ignore


@dataclass
class JobTrace:
    """What a job did so far, kept for the result even when it fails."""

    command: list[str] = field(default_factory=list)
    encoder: str | None = None
    warnings: list[str] = field(default_factory=list)
    info: MediaInfo | None = None


class JobRequest(BaseModel):
    """One source to turn into a package (and publish, when content type and id are given)."""

    source: Path
    out_dir: Path
    ladder: Ladder
    settings: EncodeSettings
    content_type: ContentType | None = None
    content_id: str | None = None
    publish_while_encoding: bool = True
    job: str = Field(default_factory=new_token)
    """Who made the package folder: written into its ownership marker (the app's job id)."""


def _ffmpeg_reason(outcome: RunOutcome) -> str:
    lines = [ln.strip() for ln in outcome.stderr_tail.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower() or "invalid" in ln.lower()]
    last = (errors or lines or [f"exit code {outcome.returncode}"])[-1]
    return f"ffmpeg failed: {last}"


@dataclass
class _Run:
    """The fixed parts of one transcode, passed together through its steps."""

    toolchain: Toolchain
    info: MediaInfo
    settings: EncodeSettings
    callbacks: JobCallbacks
    cancel: threading.Event
    trace: JobTrace
    live: LivePublisher | None = None


def _encode(plan: EncodePlan, run: _Run) -> EncodePlan:
    """Run the encode; an NVENC run that fails before any progress is retried once with libx264."""
    run.trace.command = build_hls_command(plan, run.toolchain.ffmpeg)
    run.trace.encoder = plan.encoder
    if run.live is not None:
        run.live.watch(plan.out_dir)
    try:
        outcome = run_ffmpeg(
            run.trace.command,
            duration=run.info.duration,
            on_progress=run.callbacks.on_progress,
            cancel=run.cancel,
            stall_timeout=run.settings.stall_timeout,
        )
    finally:
        if run.live is not None:
            run.live.stop_watching(plan.out_dir if not run.cancel.is_set() else None)
    if outcome.returncode != 0 and plan.encoder == "h264_nvenc" and not outcome.progress_seen:
        reason = _ffmpeg_reason(outcome).removeprefix("ffmpeg failed: ")
        run.trace.warnings.append(f"NVENC failed at start ({reason}): re-encoded with libx264")
        clear_work_dir(plan.out_dir)
        return _encode(plan.model_copy(update={"encoder": "libx264"}), run)
    if outcome.returncode != 0:
        raise TranscodeError(_ffmpeg_reason(outcome), outcome.stderr_tail)
    return plan


def _make_poster(plan: EncodePlan, info: MediaInfo, toolchain: Toolchain) -> str | None:
    """The encode wrote the poster; only when it did not (a source that decodes short of the poster
    time) is it taken by seeking. Returns why there is no poster, or None."""
    poster = plan.out_dir / layout.POSTER
    if poster.is_file() or not plan.poster_width:
        return None
    cmd = build_poster_command(plan, info, poster, plan.poster_width, toolchain.ffmpeg)
    try:
        done = run_bounded(cmd, POSTER_TIMEOUT)
    except (OSError, TimedOut) as exc:
        return f"no poster: {exc}"
    if done.returncode != 0 or not poster.exists():
        return "no poster: ffmpeg could not extract a frame"
    return None


def _check_truncation(plan: EncodePlan, info: MediaInfo, settings: EncodeSettings, trace: JobTrace) -> float:
    """The duration the package should have; raises TranscodeError for a truncated source."""
    produced = measure_playlist(plan.out_dir / layout.playlist_name(plan.rungs[0].name)).duration
    missing = info.duration - produced
    if missing <= max(TRUNCATION_MIN_SECONDS, info.duration * TRUNCATION_TOLERANCE):
        return info.duration
    message = (
        f"source ends early: only {produced:.1f} s of {info.duration:.1f} s could be decoded "
        "(file truncated or damaged)"
    )
    if not settings.accept_truncated:
        raise TranscodeError(message)
    trace.warnings.append(message)
    return produced


def _finish(
    plan: EncodePlan, info: MediaInfo, toolchain: Toolchain, settings: EncodeSettings, trace: JobTrace
) -> tuple[list[Any], Any]:
    poster_problem = _make_poster(plan, info, toolchain)
    if poster_problem:
        trace.warnings.append(poster_problem)
    expected = _check_truncation(plan, info, settings, trace)
    specs = [
        MasterVariantSpec(
            name=r.name,
            playlist=layout.playlist_name(r.name),
            width=r.width,
            height=r.height,
            frame_rate=float(plan.frame_rate),
        )
        for r in plan.rungs
    ]
    variants = finalize_master(plan.out_dir, specs)
    report = validate_package(
        plan.out_dir,
        segment_duration=plan.segment_duration,
        expected_duration=expected,
        expected_variants=[s.name for s in specs],
    )
    if not report.ok:
        raise ValidationFailed(f"package failed validation: {report.errors[0]}", "\n".join(report.errors))
    return variants, report


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
    hold the source: anything else fails with FolderNotOursError before any work, and is never touched.
    Returns a completed JobResult. Raises ProbeError, LadderError, TranscodeError (incl. StallError),
    ValidationFailed or CancelledError; on any of them no partial output remains and ``out_dir``
    is untouched. With ``live``, finished segments and thumbnails are uploaded while ffmpeg runs;
    a failure or cancel removes what was uploaded (``finish`` the publisher after success).
    """
    callbacks = callbacks or JobCallbacks()
    cancel = cancel or threading.Event()
    trace = trace or JobTrace()
    started = time.monotonic()
    check_output_target(out_dir, [source])
    if info is None:
        callbacks.on_state(JobState.PROBING)
        info = probe_file(toolchain.ffprobe, source)
    trace.info = info
    trace.warnings.extend(info.warnings)
    encoder, notes = choose_encoder(settings.encoder, toolchain.capabilities)
    trace.warnings.extend(notes)
    work = work_dir_for(out_dir, job or new_token())
    try:
        plan, notes = build_plan(
            info, ladder, settings, toolchain.capabilities, out_dir=work, encoder=encoder
        )
        trace.warnings.extend(notes)
        callbacks.on_state(JobState.TRANSCODING)
        plan = _encode(plan, _Run(toolchain, info, settings, callbacks, cancel, trace, live))
        if cancel.is_set():
            raise CancelledError()
        callbacks.on_progress(Progress(fraction=1.0, out_time=info.duration, eta=0.0, done=True))
        callbacks.on_state(JobState.VALIDATING)
        variants, report = _finish(plan, info, toolchain, settings, trace)
        entries = package_entries(work)
        files = [p.relative_to(work).as_posix() for p in entries]
        total = sum(p.stat().st_size for p in entries)
        if live is not None:
            live.drain()  # uploads read from the working folder: let them end before it moves
        install_package(work, out_dir, [source])
    except BaseException:
        if live is not None:
            removed = live.abort()
            if removed:
                trace.warnings.append(f"{removed} files uploaded while encoding were removed again")
        raise
    finally:
        remove_owned(work)
    return JobResult(
        status="completed",
        source=str(source),
        output_dir=str(out_dir),
        duration=info.duration,
        variants=variants,
        files=files,
        total_size_bytes=total,
        processing_time_seconds=round(time.monotonic() - started, 3),
        encoder=plan.encoder,
        warnings=trace.warnings,
        validation=report,
        command=trace.command,
    )


def _failed(
    status: str, exc: BaseException, request: JobRequest, trace: JobTrace, started: float
) -> JobResult:
    if isinstance(exc, HlsStudioError):
        message, detail = exc.message, exc.detail
    else:
        message, detail = f"internal error: {type(exc).__name__}: {exc}", ""
    return JobResult(
        status="cancelled" if status == "cancelled" else "failed",
        source=str(request.source),
        duration=trace.info.duration if trace.info else None,
        processing_time_seconds=round(time.monotonic() - started, 3),
        encoder=trace.encoder,
        warnings=trace.warnings,
        error=message,
        error_detail=detail or None,
        command=trace.command,
    )


def _publish(result: JobResult, live: LivePublisher, callbacks: JobCallbacks, keep_local: bool) -> JobResult:
    assert result.output_dir
    callbacks.on_state(JobState.PUBLISHING)
    try:
        published = live.finish(Path(result.output_dir))
    except CancelledError:
        removed = live.abort()
        note = f"; {removed} uploaded files removed" if removed else ""
        return result.model_copy(update={"status": "cancelled", "error": f"publishing cancelled{note}"})
    except HlsStudioError as exc:
        return result.model_copy(
            update={
                "status": "failed",
                "error": f"publishing failed: {exc.message}",
                "error_detail": exc.detail,
            }
        )
    update: dict[str, Any] = {"publish": published, "hls_url": published.hls_url}
    if not keep_local and remove_owned(Path(result.output_dir)):
        update["output_dir"] = None
    return result.model_copy(update=update)


def _live_publisher(
    request: JobRequest, destination: Destination | None, callbacks: JobCallbacks, cancel: threading.Event
) -> LivePublisher | None:
    if destination is None or not request.content_type or not request.content_id:
        return None
    return LivePublisher(
        destination,
        request.content_type,
        request.content_id,
        on_progress=callbacks.on_upload,
        cancel=cancel,
        stream=request.publish_while_encoding,
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
    callbacks = callbacks or JobCallbacks()
    cancel = cancel or threading.Event()
    trace = JobTrace()
    started = time.monotonic()
    try:
        live = _live_publisher(request, destination, callbacks, cancel)
        result = transcode(
            request.source,
            request.out_dir,
            ladder=request.ladder,
            settings=request.settings,
            toolchain=toolchain,
            info=info,
            callbacks=callbacks,
            cancel=cancel,
            trace=trace,
            live=live,
            job=request.job,
        )
        if live is not None:
            result = _publish(result, live, callbacks, keep_local)
    except CancelledError as exc:
        callbacks.on_state(JobState.CANCELLED)
        return _failed("cancelled", exc, request, trace, started)
    except HlsStudioError as exc:
        callbacks.on_state(JobState.FAILED)
        return _failed("failed", exc, request, trace, started)
    except Exception as exc:  # a bug must fail its own job, not the queue
        log.exception("job for %s failed unexpectedly", request.source)
        callbacks.on_state(JobState.FAILED)
        return _failed("failed", exc, request, trace, started)
    final = {"completed": JobState.DONE, "cancelled": JobState.CANCELLED}.get(result.status, JobState.FAILED)
    callbacks.on_state(final)
    return result.model_copy(update={"processing_time_seconds": round(time.monotonic() - started, 3)})
