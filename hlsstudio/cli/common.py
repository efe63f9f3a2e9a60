"""What the CLI's command modules share: options, settings, the toolchain, the destination, and
running jobs through the job service (the same queue, states and job store the desktop app uses).

Command modules import this module and ``output``; this module imports no command module.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from hlsstudio.cli.output import JobsView, load_settings
from hlsstudio.cli.tracks import add_track_options, track_overrides
from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobdb import JobStoreError
from hlsstudio.core.jobowner import process_owner
from hlsstudio.core.jobs.executor import ThreadExecutor
from hlsstudio.core.jobs.service import JobService
from hlsstudio.core.jobstore import DB_NAME, JobRecord, JobStore
from hlsstudio.core.ladder import read_preset
from hlsstudio.core.models import X264_PRESETS, ContentType, EncodeSettings, JobResult, JobState, Ladder
from hlsstudio.core.settings import AppSettings
from hlsstudio.core.storage import Destination, destination_from_settings
from hlsstudio.core.toolchain import Toolchain, locate_toolchain
from hlsstudio.core.tracks.choices import JobTracks

T = TypeVar("T")
MAX_JOBS = 8
WAIT_STEP = 0.2


# ---- options


def add_transcode_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``transcode``, ``run`` and ``convert-existing`` (defaults: saved settings)."""
    parser.add_argument("--segment-duration", type=float, metavar="S", help="segment length, 2-10 s")
    parser.add_argument("--preset", choices=X264_PRESETS, help="x264 preset (default: from settings)")
    parser.add_argument("--encoder", choices=("auto", "libx264", "nvenc"), help="video encoder")
    parser.add_argument(
        "--ladder",
        type=Path,
        metavar="PRESET.json|per-title|fixed",
        help="a ladder preset file; or per-title: rungs chosen for each title from measured trial "
        "encodes, under the ladder's caps (fixed: the ladder as it is)",
    )
    parser.add_argument("--thumbnail-interval", type=float, metavar="S", help="seconds between thumbnails")
    parser.add_argument(
        "--no-subtitles",
        dest="subtitles",
        action="store_false",
        default=None,
        help="carry none of the source's subtitles (default: every text track, and files named after it)",
    )
    parser.add_argument(
        "--no-quality",
        dest="measure_quality",
        action="store_false",
        default=None,
        help="do not measure each rung's quality (VMAF on a sample of the title; on by default)",
    )
    add_track_options(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def transcode_args(parser: argparse.ArgumentParser) -> None:
    """The transcode options plus ``--out-dir`` (``run`` and ``convert-existing``)."""
    add_transcode_options(parser)
    parser.add_argument("--out-dir", type=Path, help="where the package is written before publishing")
    parser.add_argument(
        "--publish-nonconformant",
        action="store_true",
        default=None,
        help="publish even when the package fails a MUST rule of its conformance report (recorded)",
    )


def content_args(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """``--content-type`` and ``--content-id``."""
    parser.add_argument(
        "--content-type",
        type=ContentType,
        choices=list(ContentType),
        required=required,
        help="publish as a movie (hls/movies/…) or an episode (hls/episodes/…)",
    )
    parser.add_argument(
        "--content-id", required=required, metavar="ID", help="letters, digits, '-' and '_' (1-128)"
    )


def job_count(text: str) -> int:
    """``--jobs``: a whole number from 1 to ``MAX_JOBS``."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_JOBS}")
    return value


LADDER_MODES = ("per-title", "fixed")


def request_settings(args: argparse.Namespace) -> tuple[Ladder, EncodeSettings]:
    """The ladder and encode settings for a job: saved settings overridden by the ladder preset's
    default languages, and those by the command line.

    Raises LadderError for a bad ladder preset and HlsStudioError for out-of-range options.
    """
    saved = load_settings()
    ladder = Ladder(rungs=saved.ladder)
    preset_languages: dict[str, str] = {}
    mode = str(args.ladder) if args.ladder is not None and str(args.ladder) in LADDER_MODES else None
    if args.ladder and mode is None:
        preset = read_preset(args.ladder)
        ladder = preset.ladder
        for key, value in (
            ("default_audio_language", preset.languages.audio),
            ("default_subtitle_language", preset.languages.subtitles),
        ):
            if value is not None:
                preset_languages[key] = value
    overrides = {
        key: value
        for key, value in (
            ("segment_duration", args.segment_duration),
            ("preset", args.preset),
            ("encoder", args.encoder),
            ("thumbnail_interval", args.thumbnail_interval),
            ("publish_nonconformant", getattr(args, "publish_nonconformant", None)),
            ("subtitles", getattr(args, "subtitles", None)),
            ("measure_quality", getattr(args, "measure_quality", None)),
            ("ladder_mode", mode),
        )
        if value is not None
    }
    overrides.update(track_overrides(args))
    try:
        fields = {**saved.encode.model_dump(), **preset_languages, **overrides}
        settings = EncodeSettings.model_validate(fields)
    except ValueError as exc:
        raise HlsStudioError(f"invalid option: {str(exc).splitlines()[-1].strip()}", str(exc)) from exc
    return ladder, settings


# ---- toolchain, destination, cancelling


def toolchain_from_settings(refresh: bool = False) -> Toolchain:
    """Locate ffmpeg/ffprobe honouring the paths saved in the app settings."""
    settings = load_settings()
    return locate_toolchain(settings.ffmpeg_path or None, settings.ffprobe_path or None, refresh=refresh)


def open_destination(settings: AppSettings, verb: str) -> Destination:
    """The configured destination; announces the local-folder fallback on stderr."""
    destination = destination_from_settings(settings.destination)
    if destination.kind == "local":
        where = destination.description.removeprefix("local folder ")
        print(f"no bucket configured: {verb} local folder {where}", file=sys.stderr)
    return destination


def cancellable(work: Callable[[threading.Event], T]) -> T:
    """Run ``work(cancel)`` in a thread; Ctrl-C sets ``cancel``, waits for it to stop, re-raises."""
    cancel = threading.Event()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work(cancel)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="hlsstudio-work", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(WAIT_STEP)
    except KeyboardInterrupt:
        cancel.set()
        print("\ncancelling…", file=sys.stderr)
        thread.join()
        raise
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


# ---- jobs through the job service


@contextlib.contextmanager
def open_job_store() -> Iterator[JobStore]:
    """The app's job store, shared with the desktop app and other command lines (nothing is
    recovered here: that is the app's start-up work). When it cannot be used, a throw-away store
    with one warning on stderr: the jobs still run, only their history is not kept."""
    with contextlib.ExitStack() as stack:
        try:
            store = JobStore.open(recover=False)
        except JobStoreError as exc:
            print(f"warning: {exc.message}; these jobs are not kept in the job history", file=sys.stderr)
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="hlsstudio-jobs-"))
            store = JobStore.open(Path(scratch) / DB_NAME, recover=False)
        stack.callback(store.close)  # closed before the throw-away folder goes
        yield store


@dataclass(frozen=True)
class Batch:
    """Sources to run as jobs of the queue, and how.

    ``out_dirs`` (one per source) are the package folders; without them a job writes
    ``output folder / content id`` as in the app. ``content`` sets the jobs' content type and id;
    ``publish`` publishes each job while it encodes (the destination of the settings).
    """

    sources: Sequence[Path]
    ladder: Ladder
    encode: EncodeSettings
    out_dirs: Sequence[Path] | None = None
    content: tuple[ContentType, str] | None = None
    publish: bool = False
    jobs: int = 1
    replace: bool = False
    """The jobs' publish may replace a title that is already live (``--replace``)."""
    tracks: Sequence[JobTracks | None] | None = None
    """One per source: the files attached to its job (``--audio``/``--subtitle``), None: none."""
    farm: bool = False
    """The jobs encode on the render farm (``--farm``); this process checks and publishes them."""


def service_settings(saved: AppSettings, batch: Batch) -> AppSettings:
    """The settings the CLI's job service runs with: the saved ones with the command line's choices.

    The package is always kept on disk after a publish, as ``run`` always did.
    """
    return saved.model_copy(
        update={
            "encode": batch.encode,
            "concurrent_jobs": batch.jobs,
            "auto_publish": batch.publish,
            "keep_local_after_publish": True,
        }
    )


def result_of(record: JobRecord | None, source: Path, blocker: str | None) -> JobResult:
    """A finished job's result; a job that failed before it ran (its probe) gets one from its error."""
    if record is not None and record.result is not None:
        return record.result
    if record is None:
        return JobResult(status="failed", source=str(source), error="the job was removed from the queue")
    if record.state.is_terminal:
        status = "cancelled" if record.state is JobState.CANCELLED else "failed"
        error = record.error or record.state.value
        return JobResult(status=status, source=record.source, error=error, error_detail=record.error_detail)
    return JobResult(status="failed", source=record.source, error=blocker or "the job did not run")


def _wait(service: JobService, ids: list[int]) -> None:
    """Wait for the service's work; Ctrl-C cancels these jobs, waits for them to stop, re-raises."""
    try:
        while not service.wait_idle(WAIT_STEP):
            pass
    except KeyboardInterrupt:
        service.cancel(ids)
        print("\ncancelling…", file=sys.stderr)
        service.wait_idle()
        raise


def run_batch(batch: Batch, view: JobsView) -> list[JobResult]:
    """Run the sources as jobs of the shared queue (``batch.jobs`` at once); their results in order.

    The jobs are stored with this process as their owner, so the app and ``hlsstudio-cli queue``
    see them while they run, and ``history`` after. Raises ToolchainError (before any job is added)
    when FFmpeg cannot be found.
    """
    toolchain_from_settings()  # a missing FFmpeg fails the command at once, as before
    settings = service_settings(load_settings(), batch)
    with open_job_store() as store:
        executor = ThreadExecutor(encode_threads=batch.jobs)
        service = JobService(store, executor, settings, owner=process_owner(), adopt=False)
        farm = on_farm(service, settings) if batch.farm else None
        service.set_ladder(list(batch.ladder.rungs))
        service.replace_live = batch.replace
        unsubscribe = service.subscribe(view.on_event)
        ids: list[int] = []
        try:
            service.locate_toolchain()
            content_type = batch.content[0] if batch.content else None
            records = service.add(list(batch.sources), content_type, out_dirs=batch.out_dirs)
            ids = [r.id for r in records]
            if farm is not None:
                service.set_runs_on(ids, "farm")
            if batch.content is not None:
                for job_id in ids:
                    service.update(job_id, content_id=batch.content[1])
            for job_id, tracks in zip(ids, batch.tracks or [None] * len(ids), strict=True):
                if tracks is not None:  # the source's own tracks are added when the job is planned
                    service.update(job_id, tracks=tracks)
            service.start()
            _wait(service, ids)
            blockers = service.start_blockers()
            found = {r.id: r for r in store.get_many(ids)}
            return [
                result_of(found.get(i), s, blockers[0] if blockers else None)
                for i, s in zip(ids, batch.sources, strict=True)
            ]
        finally:
            # whatever ended the run (Ctrl-C, an error), no job of it is left waiting in the queue
            service.cancel([r.id for r in store.get_many(ids) if not r.state.is_terminal])
            service.wait_idle()
            unsubscribe()
            view.close()
            executor.shutdown()
            if farm is not None:
                farm.reset()  # its connections


def on_farm(service: JobService, settings: AppSettings) -> Any:
    """Make every job of ``service`` encode on the render farm (``--farm``); the farm session."""
    from hlsstudio.farm.session import FarmSession  # Celery loads only for --farm

    return FarmSession(service, lambda: settings, every_job=True)
