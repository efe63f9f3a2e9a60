"""``transcode``: source files to validated HLS packages, one sub-folder each when there are several.

The files become jobs of the shared queue (``common.run_batch``): the app, ``hlsstudio-cli queue``
and ``history`` see them; ``--jobs N`` encodes N at once.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hlsstudio.cli.common import Batch, add_transcode_options, job_count, request_settings, run_batch
from hlsstudio.cli.farm import add_farm_option, refuse_without_farm
from hlsstudio.cli.output import JobsView, fail, format_bytes, print_json
from hlsstudio.cli.tracks import ONE_SOURCE, attached_tracks, has_track_files, usage_error
from hlsstudio.core.conformance import ConformanceReport
from hlsstudio.core.hls.report import MARKS, summary_line
from hlsstudio.core.install import package_dirs
from hlsstudio.core.models import JobResult
from hlsstudio.core.quality.words import quality_lines
from hlsstudio.core.tracks.attach import TrackFileError


def register(sub: Any) -> None:
    """Add the ``transcode`` sub-command."""
    parser = sub.add_parser("transcode", help="turn source files into HLS packages")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--jobs", type=job_count, default=1, metavar="N", help="how many files to encode at once (1-8)"
    )
    add_transcode_options(parser)
    add_farm_option(parser)
    parser.set_defaults(handler=cmd_transcode)


def output_dirs(files: list[Path], out: Path) -> list[Path]:
    """One FILE: ``out`` itself. Several: one sub-folder of ``out`` each (``core.install.package_dirs``:
    safe names that never collide with each other or with the user's own files and folders)."""
    return [out] if len(files) == 1 else package_dirs(files, out)


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
    if result.quality is not None:
        lines += [f"  {line}" for line in quality_lines(result.quality)]
    if result.conformance is not None:
        lines += conformance_lines(result.conformance)
    lines += [f"  warning: {w}" for w in result.warnings]
    if result.hls_url:
        lines.append(f"  url: {result.hls_url}")
    return "\n".join(lines)


def conformance_lines(conformance: ConformanceReport) -> list[str]:
    """'  conformance: 24 passed, 1 warning, 0 failed', then each rule not passed and what to do."""
    lines = [f"  conformance: {summary_line(conformance)}"]
    for finding in conformance.findings:
        if finding.verdict != "pass":
            lines += [f"    {MARKS[finding.verdict]} {finding.message} [{finding.source}]"]
            lines += [f"      what to do: {finding.fix}"] if finding.fix else []
    return lines


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
    """Transcode each FILE (``--jobs`` at once); a failing file does not stop the others.

    ``--audio``/``--subtitle`` files are attached to the one FILE's job; with several FILEs, or a file
    that cannot be attached, nothing runs (exit 2).
    """
    files: list[Path] = args.files
    if has_track_files(args) and len(files) != 1:
        return usage_error(ONE_SOURCE)
    try:
        tracks = attached_tracks(args, files[0])
    except TrackFileError as exc:
        return usage_error(exc.message)
    refused = refuse_without_farm() if args.farm else None
    if refused is not None:
        return refused
    ladder, encode = request_settings(args)
    out_dirs = output_dirs(files, args.out)
    batch = Batch(files, ladder, encode, out_dirs=out_dirs, jobs=args.jobs, tracks=[tracks] * len(files),
                  farm=args.farm)  # fmt: skip
    results = run_batch(batch, JobsView(jobs=args.jobs))
    return report(results, args.json, args.verbose)
