"""``transcode``: source files to validated HLS packages, one sub-folder each when there are several."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hlsstudio.cli.output import ProgressBar, fail, format_bytes, load_settings, print_json
from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.install import package_dirs
from hlsstudio.core.ladder import load_preset
from hlsstudio.core.models import X264_PRESETS, EncodeSettings, JobResult, Ladder
from hlsstudio.core.pipeline import JobCallbacks, JobRequest, run_job
from hlsstudio.core.toolchain import Toolchain


def add_transcode_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``transcode``, ``run`` and ``convert-existing`` (defaults: saved settings)."""
    parser.add_argument("--segment-duration", type=float, metavar="S", help="segment length, 2-10 s")
    parser.add_argument("--preset", choices=X264_PRESETS, help="x264 preset (default: from settings)")
    parser.add_argument("--encoder", choices=("auto", "libx264", "nvenc"), help="video encoder")
    parser.add_argument("--ladder", type=Path, metavar="PRESET.json", help="ladder preset file")
    parser.add_argument("--thumbnail-interval", type=float, metavar="S", help="seconds between thumbnails")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def request_settings(args: argparse.Namespace) -> tuple[Ladder, EncodeSettings]:
    """The ladder and encode settings for a job: saved settings overridden by the command line.

    Raises LadderError for a bad ladder preset and HlsStudioError for out-of-range options.
    """
    saved = load_settings()
    ladder = Ladder(rungs=saved.ladder)
    if args.ladder:
        _, ladder = load_preset(args.ladder)
    overrides = {
        key: value
        for key, value in (
            ("segment_duration", args.segment_duration),
            ("preset", args.preset),
            ("encoder", args.encoder),
            ("thumbnail_interval", args.thumbnail_interval),
        )
        if value is not None
    }
    try:
        settings = EncodeSettings.model_validate({**saved.encode.model_dump(), **overrides})
    except ValueError as exc:
        raise HlsStudioError(f"invalid option: {str(exc).splitlines()[-1].strip()}", str(exc)) from exc
    return ladder, settings


def register(sub: Any) -> None:
    """Add the ``transcode`` sub-command."""
    parser = sub.add_parser("transcode", help="turn source files into HLS packages")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    add_transcode_options(parser)
    parser.set_defaults(handler=cmd_transcode)


def output_dirs(files: list[Path], out: Path) -> list[Path]:
    """One FILE: ``out`` itself. Several: one sub-folder of ``out`` each (``core.install.package_dirs``:
    safe names that never collide with each other or with the user's own files and folders)."""
    return [out] if len(files) == 1 else package_dirs(files, out)


def run_with_progress(request: JobRequest, toolchain: Toolchain, label: str, **kwargs: Any) -> JobResult:
    """run_job with a terminal progress bar (drawn only on a TTY)."""
    bar = ProgressBar(label)
    try:
        return run_job(request, toolchain=toolchain, callbacks=JobCallbacks(on_progress=bar.update), **kwargs)
    finally:
        bar.close()


def describe(result: JobResult) -> str:
    """Human lines for a finished job."""
    if result.status != "completed":
        return f"{result.source}: {result.error}"
    variants = ", ".join(f"{v.quality} {v.resolution} {v.bandwidth // 1000} kb/s" for v in result.variants)
    lines = [
        f"{result.source} -> {result.output_dir}",
        f"  {len(result.files)} files, {format_bytes(result.total_size_bytes)}, "
        f"{result.processing_time_seconds:.1f} s with {result.encoder}",
        f"  variants: {variants}",
    ]
    lines += [f"  warning: {w}" for w in result.warnings]
    if result.hls_url:
        lines.append(f"  url: {result.hls_url}")
    return "\n".join(lines)


def report(results: list[JobResult], as_json: bool, verbose: bool) -> int:
    """Print results (JSON or text); failures go to stderr; exit 1 when any job did not complete."""
    failed = [r for r in results if r.status != "completed"]
    if as_json:
        print_json(results[0] if len(results) == 1 else results)
    else:
        for result in results:
            if result.status == "completed":
                print(describe(result))
    for result in failed:
        fail(f"{result.source}: {result.error}", (result.error_detail or "") if verbose else "")
    return 1 if failed else 0


def cmd_transcode(args: argparse.Namespace) -> int:
    """Transcode each FILE; a failing file does not stop the others."""
    from hlsstudio.cli.engine import toolchain_from_settings

    ladder, settings = request_settings(args)
    toolchain = toolchain_from_settings()
    results = []
    for source, out_dir in zip(args.files, output_dirs(args.files, args.out), strict=True):
        request = JobRequest(source=source, out_dir=out_dir, ladder=ladder, settings=settings)
        results.append(run_with_progress(request, toolchain, source.name))
    return report(results, args.json, args.verbose)
