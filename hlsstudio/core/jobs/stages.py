"""The stages of a job, each one step with one interface: ``run(ctx)`` reads what earlier stages left
in the JobContext and adds its own; it raises an HlsStudioError to fail the job.

A job is a list of these (``TRANSCODE_STAGES``, ``JOB_STAGES``, ``PUBLISH_STAGES``), run in order by
``run_stages``; the clean-up runs after them whatever happened. Adding a stage (subtitles, per-title
analysis, trick play) is one function here and one entry in a list.

Publishing is one stage however it is reached. With a destination, the publisher is opened before the
encode (``open_publisher``) and finished segments stream to it while ffmpeg runs; the publish stage
then sends what is left and the master. A manual publish or a retry that only publishes runs the same
stage on a finished package (``PUBLISH_STAGES``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from hlsstudio.core import layout
from hlsstudio.core.command import EncodePlan, build_hls_command, build_poster_command
from hlsstudio.core.errors import (
    CancelledError,
    HlsStudioError,
    LiveTitleError,
    TranscodeError,
    ValidationFailed,
)
from hlsstudio.core.hls.master import MasterVariantSpec, finalize_master, measure_playlist
from hlsstudio.core.hls.report import allow_anyway, publish_refusal, summary_line
from hlsstudio.core.hls.validate import check_package
from hlsstudio.core.install import clear_work_dir, install_package, package_entries, work_dir_for
from hlsstudio.core.jobs.analysis_stage import analyse
from hlsstudio.core.jobs.context import JobContext
from hlsstudio.core.jobs.quality_stage import measure_quality
from hlsstudio.core.models import JobResult, JobState, Progress
from hlsstudio.core.outputs import complete_playlists, make_storyboard
from hlsstudio.core.ownership import check_output_target, new_token, remove_owned
from hlsstudio.core.planning import build_plan, choose_encoder
from hlsstudio.core.probe import probe_file
from hlsstudio.core.proc import TimedOut, run_bounded
from hlsstudio.core.quality.rungs import children_cpu_seconds
from hlsstudio.core.runner import RunOutcome, run_ffmpeg
from hlsstudio.core.subtitles.tracks import write_subtitles
from hlsstudio.core.tracks.audio import audio_group
from hlsstudio.core.tracks.audiofiles import prepare_tracks
from hlsstudio.core.tracks.renditions import audio_results, audio_specs

log = logging.getLogger(__name__)

POSTER_TIMEOUT = 60.0
TRUNCATION_TOLERANCE = 0.02  # share of the duration
TRUNCATION_MIN_SECONDS = 1.0


@dataclass(frozen=True)
class Stage:
    """One step of a job: its name, the job state it shows (None: keep the current one), its work."""

    name: str
    state: JobState | None
    run: Callable[[JobContext], None]


def probe(ctx: JobContext) -> None:
    """What ffprobe says about the source (skipped when the job already has it)."""
    if ctx.info is None:
        ctx.state(JobState.PROBING)
        ctx.info = probe_file(ctx.toolchain.ffprobe, ctx.request.source)
    ctx.trace.info = ctx.info
    ctx.trace.warnings.extend(ctx.info.warnings)


def plan(ctx: JobContext) -> None:
    """Check the package folder may be written, make the working folder, plan rungs and encoder."""
    request, info = ctx.request, ctx.need_info()
    check_output_target(request.out_dir, [request.source])
    encoder, notes = choose_encoder(request.settings.encoder, ctx.toolchain.capabilities)
    ctx.trace.warnings.extend(notes)
    ctx.tracks, notes = prepare_tracks(
        request.tracks, info, request.settings, ctx.toolchain.ffprobe, ctx.toolchain.ffmpeg
    )
    ctx.trace.warnings.extend(notes)
    ctx.work = work_dir_for(request.out_dir, request.job or new_token())
    ctx.plan, notes = build_plan(
        info,
        request.ladder,
        request.settings,
        ctx.toolchain.capabilities,
        out_dir=ctx.work,
        encoder=encoder,
        tracks=ctx.tracks,
        per_title=ctx.per_title,
    )
    ctx.trace.warnings.extend(notes)


def _ffmpeg_reason(outcome: RunOutcome) -> str:
    lines = [ln.strip() for ln in outcome.stderr_tail.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower() or "invalid" in ln.lower()]
    last = (errors or lines or [f"exit code {outcome.returncode}"])[-1]
    return f"ffmpeg failed: {last}"


def _run_encode(ctx: JobContext, encode_plan: EncodePlan) -> EncodePlan:
    """One ffmpeg run; an NVENC run that fails before any progress is retried once with libx264."""
    ctx.trace.command = build_hls_command(encode_plan, ctx.toolchain.ffmpeg)
    ctx.trace.encoder = encode_plan.encoder
    if ctx.publisher is not None:
        ctx.publisher.watch(encode_plan.out_dir)
    try:
        outcome = run_ffmpeg(
            ctx.trace.command,
            duration=ctx.need_info().duration,
            on_progress=ctx.callbacks.on_progress,
            cancel=ctx.cancel,
            stall_timeout=ctx.request.settings.stall_timeout,
        )
    finally:
        if ctx.publisher is not None:
            ctx.publisher.stop_watching(encode_plan.out_dir if not ctx.cancel.is_set() else None)
    if outcome.returncode != 0 and encode_plan.encoder == "h264_nvenc" and not outcome.progress_seen:
        reason = _ffmpeg_reason(outcome).removeprefix("ffmpeg failed: ")
        ctx.trace.warnings.append(f"NVENC failed at start ({reason}): re-encoded with libx264")
        clear_work_dir(encode_plan.out_dir)
        return _run_encode(ctx, encode_plan.model_copy(update={"encoder": "libx264"}))
    if outcome.returncode != 0:
        raise TranscodeError(_ffmpeg_reason(outcome), outcome.stderr_tail)
    return encode_plan


def encode(ctx: JobContext) -> None:
    """Run the one ffmpeg process of the plan (finished files stream to the publisher, if any)."""
    cpu = children_cpu_seconds()
    ctx.plan = _run_encode(ctx, ctx.need_plan())
    ctx.encode_cpu_seconds = children_cpu_seconds() - cpu
    if ctx.cancel.is_set():
        raise CancelledError()
    duration = ctx.need_info().duration
    ctx.callbacks.on_progress(Progress(fraction=1.0, out_time=duration, eta=0.0, done=True))


def _make_poster(ctx: JobContext) -> str | None:
    """The encode wrote the poster; only when it did not (a source that decodes short of the poster
    time) is it taken by seeking. Returns why there is no poster, or None."""
    encode_plan = ctx.need_plan()
    poster = encode_plan.out_dir / layout.POSTER
    if poster.is_file() or not encode_plan.poster_width:
        return None
    cmd = build_poster_command(
        encode_plan, ctx.need_info(), poster, encode_plan.poster_width, ctx.toolchain.ffmpeg
    )
    try:
        done = run_bounded(cmd, POSTER_TIMEOUT)
    except (OSError, TimedOut) as exc:
        return f"no poster: {exc}"
    if done.returncode != 0 or not poster.exists():
        return "no poster: ffmpeg could not extract a frame"
    return None


def _expected_duration(ctx: JobContext) -> float:
    """The duration the package should have; raises TranscodeError for a truncated source."""
    encode_plan, info = ctx.need_plan(), ctx.need_info()
    produced = measure_playlist(
        encode_plan.out_dir / layout.playlist_name(encode_plan.rungs[0].name)
    ).duration
    missing = info.duration - produced
    if missing <= max(TRUNCATION_MIN_SECONDS, info.duration * TRUNCATION_TOLERANCE):
        return info.duration
    message = (
        f"source ends early: only {produced:.1f} s of {info.duration:.1f} s could be decoded "
        "(file truncated or damaged)"
    )
    if not ctx.request.settings.accept_truncated:
        raise TranscodeError(message)
    ctx.trace.warnings.append(message)
    return produced


def finalize(ctx: JobContext) -> None:
    """Poster (if the encode could not make it), truncation check, complete fast-start playlists, the
    storyboard, subtitle renditions, measured master playlist."""
    poster_problem = _make_poster(ctx)
    if poster_problem:
        ctx.trace.warnings.append(poster_problem)
    complete_playlists(ctx.need_plan())  # before the duration is measured from a playlist
    ctx.expected_duration = _expected_duration(ctx)
    encode_plan = ctx.need_plan()
    ctx.storyboard, storyboard_problem = make_storyboard(
        encode_plan, ctx.expected_duration, ctx.toolchain.ffmpeg
    )
    if storyboard_problem:
        ctx.trace.warnings.append(storyboard_problem)
    first_playlist = encode_plan.out_dir / layout.playlist_name(encode_plan.rungs[0].name)
    subtitles = write_subtitles(
        encode_plan.subtitles, encode_plan.out_dir, first_playlist, ctx.toolchain.ffmpeg, encode_plan.source
    )
    ctx.trace.warnings.extend(subtitles.warnings)
    audio = audio_specs(encode_plan)
    specs = [
        MasterVariantSpec(
            name=r.name,
            playlist=layout.playlist_name(r.name),
            iframe_playlist=layout.iframe_playlist_name(r.name),
            width=r.width,
            height=r.height,
            frame_rate=float(encode_plan.frame_rate),
            audio_group=audio_group(r.audio_kbps) if audio else None,
        )
        for r in encode_plan.rungs
    ]
    ctx.variants = finalize_master(encode_plan.out_dir, specs, media=subtitles.media, audio=audio)
    ctx.renditions = audio_results(encode_plan.out_dir, audio) + subtitles.renditions


def validate(ctx: JobContext) -> None:
    """RFC 8216 and Apple's authoring rules on the finished working folder; fails the job when broken.

    The same reading gives the conformance report (kept for the result): a failed MUST rule stops the
    publish stage unless the settings allow publishing anyway, which the report then records.
    """
    encode_plan = ctx.need_plan()
    verdict = check_package(
        encode_plan.out_dir,
        segment_duration=encode_plan.segment_duration,
        expected_duration=ctx.expected_duration,
        expected_variants=[r.name for r in encode_plan.rungs],
    )
    ctx.report = verdict.validation
    ctx.conformance = allow_anyway(verdict.conformance, ctx.request.settings.publish_nonconformant)
    if not ctx.report.ok:
        errors = ctx.report.errors
        raise ValidationFailed(f"package failed validation: {errors[0]}", "\n".join(errors))


def install(ctx: JobContext) -> None:
    """Move the valid package into its folder and describe it in the job's result."""
    assert ctx.work is not None
    request, encode_plan = ctx.request, ctx.need_plan()
    sizes = {p.relative_to(ctx.work).as_posix(): p.stat().st_size for p in package_entries(ctx.work)}
    if ctx.publisher is not None:
        ctx.publisher.drain()  # uploads read from the working folder: let them end before it moves
    install_package(ctx.work, request.out_dir, [request.source])
    ctx.result = JobResult(
        status="completed",
        source=str(request.source),
        output_dir=str(request.out_dir),
        duration=ctx.need_info().duration,
        variants=ctx.variants,
        files=list(sizes),
        total_size_bytes=sum(sizes.values()),
        encoder=encode_plan.encoder,
        warnings=ctx.trace.warnings,
        validation=ctx.report,
        conformance=ctx.conformance,
        command=ctx.trace.command,
        storyboard=ctx.storyboard,
        renditions=ctx.renditions,
        quality=ctx.quality,
        per_title=ctx.per_title,
    )


def publish(ctx: JobContext) -> None:
    """Send what is left of the package and the master (the publisher may have streamed the rest).

    A publish that fails or is cancelled leaves the encode as it is: the result records why, and the
    package stays local so a retry only publishes. A package that breaks a MUST rule of its
    conformance report is not published at all (no master is written) unless that was allowed.
    """
    if ctx.publisher is None or ctx.result is None or not ctx.result.output_dir:
        return
    package = Path(ctx.result.output_dir)
    conformance = ctx.result.conformance
    if conformance is not None and conformance.blocks_publishing:
        ctx.publisher.close(package)  # what streamed stays for the publish that is allowed later
        refusal = publish_refusal(conformance)
        refused = {"status": "failed", "error": refusal.message, "error_detail": refusal.detail}
        ctx.result = ctx.result.model_copy(update=refused)
        return
    ctx.state(JobState.PUBLISHING)
    try:
        published = ctx.publisher.finish(package)
    except CancelledError:
        removed = ctx.publisher.abort()
        note = f"; {removed} uploaded files removed" if removed else ""
        ctx.result = ctx.result.model_copy(
            update={"status": "cancelled", "error": f"publishing cancelled{note}"}
        )
        return
    except Exception as exc:
        message, detail = _described(exc)
        failed = {
            "status": "failed",
            "error": message if isinstance(exc, LiveTitleError) else f"publishing failed: {message}",
            "error_detail": detail or None,
        }
        ctx.result = ctx.result.model_copy(update=failed)
        return
    update: dict[str, object] = {"publish": published, "hls_url": published.hls_url}
    if published.renditions:
        update["renditions"] = published.renditions
    if conformance is not None and conformance.overridden:
        note = f"published although it breaks rules players need ({summary_line(conformance)})"
        update["warnings"] = [*ctx.result.warnings, note]
    if not ctx.keep_local and remove_owned(package):
        update["output_dir"] = None
    ctx.result = ctx.result.model_copy(update=update)


def _described(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, HlsStudioError):
        return exc.message, exc.detail
    log.exception("publishing failed unexpectedly")
    return f"internal error: {type(exc).__name__}: {exc}", ""


def cleanup(ctx: JobContext, failed: bool) -> None:
    """Always last: remove the working folder; after a failure, remove what was streamed."""
    if failed and ctx.publisher is not None:
        removed = ctx.publisher.abort()
        if removed:
            ctx.trace.warnings.append(f"{removed} files uploaded while encoding were removed again")
    if ctx.work is not None:
        remove_owned(ctx.work)


TRANSCODE_STAGES: tuple[Stage, ...] = (
    Stage("probe", None, probe),
    Stage("analyse", None, analyse),
    Stage("plan", None, plan),
    Stage("encode", JobState.TRANSCODING, encode),
    Stage("finalize", JobState.VALIDATING, finalize),
    Stage("validate", None, validate),
    Stage("measure", None, measure_quality),
    Stage("install", None, install),
)
"""Source to a valid package on disk."""

JOB_STAGES: tuple[Stage, ...] = (*TRANSCODE_STAGES, Stage("publish", None, publish))
"""A whole job: the package, then publishing it (when the job has a publisher)."""

PUBLISH_STAGES: tuple[Stage, ...] = (Stage("publish", None, publish),)
"""Publishing a package that is already finished (the Publish button, a retry that only publishes)."""


_replaced: ContextVar[Mapping[str, Callable[[JobContext], None]]] = ContextVar(
    "replaced_stages", default=MappingProxyType({})
)


@contextmanager
def stages_replaced(replacements: Mapping[str, Callable[[JobContext], None]]) -> Iterator[None]:
    """Inside the block, on this thread, the stages named in ``replacements`` run those functions
    instead (where remote execution plugs in: the render farm's executor replaces ``encode``)."""
    token = _replaced.set(dict(replacements))
    try:
        yield
    finally:
        _replaced.reset(token)


def run_stages(ctx: JobContext, stages: Sequence[Stage]) -> None:
    """Run ``stages`` in order (those after a stage that finished the job elsewhere are skipped), then
    the clean-up (also when one raises; the exception goes on)."""
    failed = True
    replaced = _replaced.get()
    try:
        for stage in stages:
            if ctx.finished_remotely:
                break
            if stage.state is not None:
                ctx.state(stage.state)
            log.debug("job %s: %s", ctx.request.job, stage.name)
            replaced.get(stage.name, stage.run)(ctx)
        failed = False
    finally:
        cleanup(ctx, failed)
