"""Peak memory of a 1080p job: the app's Python process and its ffmpeg child, reported separately.

The job is the app's whole ``run_job``: probe, the one ffmpeg process (default ladder: 360p, 480p,
720p, 1080p for a 1080p source), poster, master, validation, install, and publishing while encoding
to moto's ThreadedMotoServer on 127.0.0.1 (a child process of its own, not counted).

Python process: its ``VmHWM`` is reset just before the job (``5`` written to /proc/self/clear_refs),
so the VmHWM read after the job is the peak during the job; the lifetime peak
(``getrusage(RUSAGE_SELF).ru_maxrss``, including imports and set-up) is recorded too. ffmpeg: a
thread polls /proc/<pid>/status of this process's ffmpeg children every 20 ms while they run: the
last ``VmHWM`` seen (the kernel's own peak) and the largest ``VmRSS`` polled.

Default: the 1080p source of 12 s (Big Buck Bunny looped and scaled, prepared once into bench/.cache;
memory peaks within the first seconds), the app's default x264 preset fast (its lookahead is what a
user's job holds), 6 s segments; 3 rounds (one job each), medians reported. About 2 to 3 minutes on
2 cores. No goal: the figures are there to watch.

Run: ``.venv/bin/python bench/memory_peak.py [--rounds 3] [--seconds 12] [--preset fast]``.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from common import CACHE_DIR, machine_info, machine_line, print_table, write_results
from common_io import (
    FIGURE_HEADERS,
    ChildMemorySampler,
    Figure,
    bench_source,
    create_bucket,
    empty_prefix,
    isolate_app_home,
    mib,
    moto_server,
    reset_peak_rss,
    s3_client,
    s3_destination,
    settle,
    status_kib,
    unique_id,
)

from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import ContentType, EncodeSettings
from hlsstudio.core.pipeline import JobRequest, run_job
from hlsstudio.core.storage.base import content_prefix
from hlsstudio.core.toolchain import locate_toolchain

NAME = "memory_peak"
WORK_DIR = CACHE_DIR / "work-memory"
REPORTED = (
    "python_job_peak_mib",
    "python_before_mib",
    "ffmpeg_peak_mib",
    "ffmpeg_max_rss_polled_mib",
    "wall_s",
)


def one_job(ctx: dict[str, Any], round_no: int) -> dict[str, Any]:
    """Run one job with publishing while memory is watched; the peaks in MiB."""
    content_id = unique_id(f"mem-r{round_no}")
    request = JobRequest(
        source=ctx["source"],
        out_dir=WORK_DIR / content_id,
        ladder=default_ladder(),
        settings=ctx["settings"],
        content_type=ContentType.MOVIE,
        content_id=content_id,
        publish_while_encoding=True,
    )
    destination = s3_destination(ctx["endpoint"], ctx["bucket"])
    settle()
    before = status_kib("self", "VmRSS") or 0
    reset = reset_peak_rss()
    started = time.perf_counter()
    with ChildMemorySampler("ffmpeg") as sampler:
        result = run_job(request, toolchain=ctx["tc"], destination=destination)
    wall = time.perf_counter() - started
    if result.status != "completed":
        raise RuntimeError(f"the job did not complete: {result.error}")
    job_peak = status_kib("self", "VmHWM") or 0
    encode = max(sampler.peaks.values(), key=lambda p: p.hwm_kib, default=None)
    empty_prefix(ctx["client"], ctx["bucket"], content_prefix(ContentType.MOVIE, content_id))
    shutil.rmtree(WORK_DIR / content_id, ignore_errors=True)
    found = {
        "python_before_mib": round(mib(before), 1),
        "python_job_peak_mib": round(mib(job_peak), 1) if reset else None,
        "python_lifetime_peak_mib": round(mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss), 1),
        "ffmpeg_peak_mib": round(mib(encode.hwm_kib), 1) if encode else None,
        "ffmpeg_max_rss_polled_mib": round(mib(encode.max_rss_kib), 1) if encode else None,
        "ffmpeg_polls": encode.samples if encode else 0,
        "ffmpeg_processes": len(sampler.peaks),
        "wall_s": round(wall, 2),
    }
    print(
        f"  round {round_no}: Python {found['python_job_peak_mib']} MiB peak during the job "
        f"({found['python_before_mib']} before), ffmpeg {found['ffmpeg_peak_mib']} MiB peak "
        f"({found['ffmpeg_polls']} polls, {found['ffmpeg_processes']} ffmpeg processes), {wall:.1f} s",
        flush=True,
    )
    return found


def report(ctx: dict[str, Any], rounds: list[dict[str, Any]]) -> None:
    """Print the tables; write the JSON results."""

    def med(key: str) -> float:
        values = [r[key] for r in rounds if r[key] is not None]
        return float(statistics.median(values)) if values else float("nan")

    machine = ctx["machine"]
    print()
    print(f"machine: {machine_line(machine)}")
    print(
        f"job: {ctx['source'].name}, default ladder, preset {ctx['settings'].preset}, published while "
        f"encoding to moto on 127.0.0.1; {len(rounds)} rounds"
    )
    rows = [[key, f"{med(key):.1f}", " ".join(str(r[key]) for r in rounds)] for key in REPORTED]
    print_table(["measure", "median", "rounds"], rows)
    figures = [
        Figure("memory: Python process peak, 1080p job", med("python_job_peak_mib"), " MiB", "—", None),
        Figure("memory: ffmpeg child peak, 1080p job", med("ffmpeg_peak_mib"), " MiB", "—", None),
    ]
    print()
    print_table(FIGURE_HEADERS, [f.row() for f in figures])
    payload = {
        "settings": {
            "source": str(ctx["source"]),
            "preset": ctx["settings"].preset,
            "rounds": len(rounds),
            "poll_interval_s": 0.02,
        },
        "rounds": rounds,
        "median": {k: med(k) for k in (*REPORTED, "python_lifetime_peak_mib")},
        "figures": [f.as_json() for f in figures],
    }
    print(f"results: {write_results(NAME, payload, machine)}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="jobs measured (default 3)")
    parser.add_argument("--seconds", type=int, default=12, help="length of the 1080p source (default 12)")
    parser.add_argument("--source", type=Path, help="another source video instead")
    parser.add_argument("--preset", default="fast", help="x264 preset (default fast, the app's default)")
    args = parser.parse_args(argv)
    args.source = args.source.resolve() if args.source else None  # the app's home becomes the cwd
    return args


def main(argv: list[str] | None = None) -> int:
    """Prepare source and server, run the jobs, report."""
    args = parse_args(argv)
    source = bench_source(args.seconds, args.source)
    isolate_app_home(NAME)
    machine = machine_info()
    with moto_server() as moto:
        client = s3_client(moto.url)
        ctx: dict[str, Any] = {
            "source": source,
            "tc": locate_toolchain(),
            "settings": EncodeSettings(preset=args.preset, encoder="libx264"),
            "endpoint": moto.url,
            "client": client,
            "bucket": create_bucket(client),
            "machine": machine,
        }
        rounds = [one_job(ctx, n + 1) for n in range(args.rounds)]
    report(ctx, rounds)
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
