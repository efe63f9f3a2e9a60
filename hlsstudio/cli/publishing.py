"""Publishing commands: ``publish``, ``run``, ``convert-existing``, ``delete``, ``list``.

Without a configured bucket every command works on the local publishing folder and says so
with one line on stderr. Failures print one line on stderr and exit 1; credentials are never
printed (they are registered for redaction and kept out of every message).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hlsstudio.cli.common import (
    Batch,
    cancellable,
    content_args,
    open_destination,
    request_settings,
    run_batch,
    toolchain_from_settings,
    transcode_args,
)
from hlsstudio.cli.farm import add_farm_option, refuse_without_farm
from hlsstudio.cli.output import JobLine, JobsView, ProgressBar, fail, format_bytes, load_settings, print_json
from hlsstudio.cli.tracks import attached_tracks, usage_error
from hlsstudio.core import paths
from hlsstudio.core.manage import (
    SOURCE_PREFIX,
    DownloadProgress,
    convert_existing,
    execute_delete,
    list_published,
    list_source_videos,
    plan_delete,
)
from hlsstudio.core.models import ContentType, JobResult, Progress, PublishResult
from hlsstudio.core.pipeline import JobCallbacks, JobRequest, run_job
from hlsstudio.core.publish import PublishOptions, UploadProgress, publish_package
from hlsstudio.core.settings import AppSettings
from hlsstudio.core.storage import Destination, content_prefix, validate_content_id
from hlsstudio.core.sweep import live_since, live_title
from hlsstudio.core.tracks.attach import TrackFileError
from hlsstudio.core.tracks.choices import JobTracks

REDRAW_SECONDS = 0.2


class ByteBar:
    """A TTY progress bar for byte transfers; thread-safe and throttled (callbacks come from workers)."""

    def __init__(self, label: str, enabled: bool) -> None:
        self._bar = ProgressBar(label, enabled=enabled and sys.stderr.isatty())
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._last = 0.0

    def show(self, done: int, total: int, final: bool = False) -> None:
        """Draw ``done`` of ``total`` bytes (at most every REDRAW_SECONDS unless ``final``)."""
        with self._lock:
            now = time.monotonic()
            if not final and now - self._last < REDRAW_SECONDS:
                return
            self._last = now
            fraction = done / total if total else 1.0
            elapsed = max(now - self._started, 1e-6)
            rate = done / elapsed
            eta = (total - done) / rate if rate > 0 else None
            self._bar.update(Progress(fraction=fraction, eta=eta))

    def upload(self, report: UploadProgress) -> None:
        """Callback for ``publish_package``."""
        self.show(report.overall_bytes_sent, report.overall_bytes, report.files_done == report.files_total)

    def download(self, report: DownloadProgress) -> None:
        """Callback for ``convert_existing``."""
        self.show(report.bytes_received, report.size, report.bytes_received >= report.size)

    def close(self) -> None:
        """End the bar's line."""
        with self._lock:
            self._bar.close()


def register(sub: Any) -> None:
    """Add the publishing sub-commands to the CLI parser."""
    publish = sub.add_parser("publish", help="upload a finished HLS package folder")
    publish.add_argument("package", type=Path, metavar="DIR")
    content_args(publish)
    replace_arg(publish)
    publish.add_argument("--json", action="store_true", help="print the result as JSON")
    publish.set_defaults(handler=cmd_publish)

    run = sub.add_parser("run", help="transcode a source video, then publish it")
    run.add_argument("source", type=Path, metavar="FILE")
    content_args(run)
    replace_arg(run)
    transcode_args(run)
    add_farm_option(run)
    run.set_defaults(handler=cmd_run)

    convert = sub.add_parser("convert-existing", help="transcode and publish a source video already stored")
    convert.add_argument("key", nargs="?", metavar="KEY", help="object key of the source video")
    convert.add_argument("--list", action="store_true", help="list the source videos instead")
    convert.add_argument(
        "--prefix", default=SOURCE_PREFIX, help=f"where sources are (default {SOURCE_PREFIX})"
    )
    content_args(convert, required=False)
    replace_arg(convert)
    transcode_args(convert)
    convert.set_defaults(handler=cmd_convert_existing)

    delete = sub.add_parser("delete", help="delete a published title")
    content_args(delete)
    delete.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.add_argument("--json", action="store_true", help="print the report as JSON")
    delete.set_defaults(handler=cmd_delete)

    listing = sub.add_parser("list", help="list published titles and their URLs")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(handler=cmd_list)


def _print_publish(result: PublishResult) -> None:
    print(f"published {result.master_key} to {result.destination}")
    print(f"  url       {result.hls_url}")
    print(
        f"  files     {result.files_uploaded} uploaded ({format_bytes(result.bytes_uploaded)}), "
        f"{result.files_skipped} unchanged, {result.files_removed} removed, "
        f"{result.publish_time_seconds:.1f} s"
    )
    if result.build:
        kept = (
            f"; {result.old_builds_waiting} replaced build(s) kept for viewers"
            if result.old_builds_waiting
            else ""
        )
        print(f"  build     {result.build}{kept}")
    if result.storyboard_url:
        print(f"  scrub     {result.storyboard_url}")
    if result.webhook:
        print(f"  webhook   {result.webhook}")


EXIT_LIVE = 3
"""Exit status when a command refuses to replace a live title (``--replace`` not given)."""


def replace_arg(parser: argparse.ArgumentParser) -> None:
    """``--replace``: a title that is already live may be replaced."""
    parser.add_argument(
        "--replace",
        action="store_true",
        help="replace the title if it is already live (atomically: its viewers keep the old build)",
    )


def refuse_live(destination: Destination, content_type: ContentType, content_id: str, replace: bool) -> bool:
    """True (with one line on stderr) when the title is live and ``--replace`` was not given."""
    live = None if replace else live_title(destination, content_prefix(content_type, content_id))
    if live is None:
        return False
    print(
        f"error: {live.prefix}master.m3u8 is live (published {live_since(live)}): "
        "add --replace to replace it",
        file=sys.stderr,
    )
    return True


def cmd_publish(args: argparse.Namespace) -> int:
    """Upload a package folder; print where it is playable."""
    content_id = validate_content_id(args.content_id)
    settings = load_settings()
    destination = open_destination(settings, "publishing to")
    if refuse_live(destination, args.content_type, content_id, args.replace):
        return EXIT_LIVE
    options = PublishOptions.from_settings(settings.destination)
    bar = ByteBar(f"upload {content_id}", enabled=not args.json)
    try:
        result = cancellable(
            lambda cancel: publish_package(
                args.package,
                destination,
                args.content_type,
                content_id,
                options=options,
                on_progress=bar.upload,
                cancel=cancel,
            )
        )
    finally:
        bar.close()
    if args.json:
        print_json(result)
    else:
        _print_publish(result)
    return 0


def _job_runner(
    args: argparse.Namespace,
    settings: AppSettings,
    destination: Destination,
    cancel: threading.Event,
    tracks: JobTracks | None = None,
) -> Callable[[Path], JobResult]:
    """A callable that transcodes a downloaded source and publishes it (``convert-existing``: the
    source is a temporary download, so the job is not one of the queue's). ``tracks``: the files
    attached with ``--audio``/``--subtitle`` (the download's own tracks are added when planned)."""
    ladder, encode = request_settings(args)
    toolchain = toolchain_from_settings()
    out_dir = getattr(args, "out_dir", None) or settings.resolved_output_dir() / args.content_id
    line = JobLine(args.content_id, enabled=False if args.json else None)

    def run(source: Path) -> JobResult:
        request = JobRequest(
            source=source,
            out_dir=Path(out_dir),
            ladder=ladder,
            settings=encode,
            content_type=args.content_type,
            content_id=args.content_id,
            tracks=tracks,
        )
        callbacks = JobCallbacks(on_progress=line.encode, on_upload=line.upload)
        try:
            return run_job(
                request, toolchain=toolchain, destination=destination, callbacks=callbacks, cancel=cancel
            )
        finally:
            line.close()

    return run


def _report_job(result: JobResult, args: argparse.Namespace) -> int:
    if args.json:
        print_json(result)
    if result.status != "completed":
        return fail(result.error or result.status, (result.error_detail or "") if args.verbose else "")
    if not args.json:
        print(f"{result.status}: {result.source}")
        if result.publish is not None:
            _print_publish(result.publish)
        elif result.hls_url:
            print(f"  url       {result.hls_url}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Transcode FILE and publish the package while it encodes, as a job of the shared queue.
    ``--audio``/``--subtitle`` files are attached to its job (exit 2, nothing run, when one cannot be)."""
    content_id = validate_content_id(args.content_id)
    source: Path = args.source
    try:
        tracks = attached_tracks(args, source)
    except TrackFileError as exc:
        return usage_error(exc.message)
    destination = open_destination(load_settings(), "publishing to")
    if refuse_live(destination, args.content_type, content_id, args.replace):
        return EXIT_LIVE
    refused = refuse_without_farm() if args.farm else None
    if refused is not None:
        return refused
    ladder, encode = request_settings(args)
    batch = Batch(
        [source],
        ladder,
        encode,
        out_dirs=[args.out_dir] if args.out_dir else None,
        content=(args.content_type, content_id),
        publish=True,
        replace=args.replace,
        tracks=[tracks],
        farm=args.farm,
    )
    (result,) = run_batch(batch, JobsView(content_id, enabled=False if args.json else None))
    return _report_job(result, args)


def _list_sources(args: argparse.Namespace, destination: Destination) -> int:
    videos = list_source_videos(destination, args.prefix)
    if args.json:
        print_json([{"key": v.key, "size": v.size} for v in videos])
        return 0
    if not videos:
        print(f"no source videos under {args.prefix} in {destination.description}")
    for video in videos:
        print(f"{format_bytes(video.size):>10}  {video.key}")
    return 0


def cmd_convert_existing(args: argparse.Namespace) -> int:
    """List source videos in the bucket, or download one, transcode it and publish it."""
    settings = load_settings()
    if args.list:
        return _list_sources(args, open_destination(settings, "using"))
    if not args.key or args.content_type is None or args.content_id is None:
        return fail("convert-existing needs KEY, --content-type and --content-id (or --list)")
    validate_content_id(args.content_id)
    try:
        tracks = attached_tracks(args, None)  # labelled from their own names: the source is a key
    except TrackFileError as exc:
        return usage_error(exc.message)
    destination = open_destination(settings, "using")
    if refuse_live(destination, args.content_type, args.content_id, args.replace):
        return EXIT_LIVE
    download_bar = ByteBar("download", enabled=not args.json)

    def work(cancel: threading.Event) -> JobResult:
        run = _job_runner(args, settings, destination, cancel, tracks)
        try:
            return convert_existing(
                args.key,
                destination,
                work_dir=paths.cache_dir() / "convert",
                run=run,
                on_download=download_bar.download,
                cancel=cancel,
            )
        finally:
            download_bar.close()

    result = cancellable(work).model_copy(update={"source": args.key})
    return _report_job(result, args)


def cmd_delete(args: argparse.Namespace) -> int:
    """Delete a published title after confirmation (``--yes`` skips it; ``--dry-run`` only lists)."""
    content_id = validate_content_id(args.content_id)
    destination = open_destination(load_settings(), "using")
    plan = plan_delete(destination, args.content_type, content_id)
    doc = {"prefix": plan.prefix, "count": plan.count, "total_bytes": plan.total_bytes, "deleted": False}
    size = format_bytes(plan.total_bytes)
    if plan.count == 0 or args.dry_run:
        if args.json:
            print_json({**doc, "keys": [o.key for o in plan.objects]})
        elif plan.count == 0:
            print(f"nothing published under {plan.prefix} in {destination.description}")
        else:
            for obj in plan.objects:
                print(obj.key)
            print(f"dry run: would delete {plan.count} objects ({size}) under {plan.prefix}")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            return fail(
                f"refusing to delete {plan.count} objects without confirmation (no terminal): add --yes"
            )
        answer = input(
            f"delete {plan.count} objects ({size}) under {plan.prefix} from {destination.description}? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted", file=sys.stderr)
            return 1
    report = execute_delete(destination, plan)
    if args.json:
        print_json({**doc, "count": report.count, "deleted": True})
    else:
        print(f"deleted {report.count} objects ({size}) under {plan.prefix}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """List published titles with their master playlist URLs."""
    destination = open_destination(load_settings(), "using")
    titles = list_published(destination)
    if args.json:
        print_json(
            [
                {
                    "content_type": str(t.content_type),
                    "content_id": t.content_id,
                    "master_key": t.master_key,
                    "hls_url": t.hls_url,
                    "live_build": t.live_build,
                    "old_builds": t.old_builds,
                }
                for t in titles
            ]
        )
        return 0
    if not titles:
        print(f"nothing published in {destination.description}")
    for title in titles:
        waiting = f", {title.old_builds} old build(s) kept" if title.old_builds else ""
        build = f"  [{title.live_build or 'single build'}{waiting}]"
        print(f"{title.content_type!s:8} {title.content_id:30} {title.hls_url}{build}")
    return 0
