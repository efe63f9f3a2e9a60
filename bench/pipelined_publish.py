"""Transcode + publish in one job: uploading each finished segment while ffmpeg goes on (pipelined)
versus uploading the finished package afterwards (sequential), over a shared 10 Mbit/s uplink.

Both sides are ``hlsstudio.core.pipeline.run_job`` with a destination, the only difference being
``JobRequest.publish_while_encoding`` (True: pipelined, False: sequential). The destination is
moto's ThreadedMotoServer on 127.0.0.1 (a child process) behind ``bench/throttle.py`` (another child
process): one token bucket shared by all connections limits the request bodies, i.e. every upload
together, to 10 Mbit/s. Downloads and requests without a body are not limited.

The figure means something only when encoding and uploading take similar times (if one dominates,
overlapping them cannot save much): the encode alone and the upload alone are measured first and
printed. Default: Big Buck Bunny looped to 48 s at its own 720p (prepared once into bench/.cache),
the default ladder (360p, 480p, 720p: about 5.7 Mbit/s of video + audio, so the upload alone takes
about 0.57 s per second of content), x264 preset faster (on 2 cores, about as long to encode:
30 s against 27 s of upload),
6 s segments (8 of them: overlapping can hide all but about one segment's upload, so the best
possible ratio is near 0.5 + 0.5/8); 3 rounds of A,B / B,A. About 6 minutes on 2 cores.
Figure: median wall pipelined / sequential (goal ≤ 0.6).

Run: ``.venv/bin/python bench/pipelined_publish.py [--rounds 3] [--seconds 48] [--preset faster]
[--mbit 10]``.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from common import CACHE_DIR, Sample, Timings, machine_info, machine_line, print_table, timed, write_results
from common_io import (
    FIGURE_HEADERS,
    at_most,
    create_bucket,
    empty_prefix,
    isolate_app_home,
    median,
    moto_server,
    package_stats,
    real_720p_source,
    round_order,
    s3_client,
    s3_destination,
    sample_json,
    sample_line,
    settle,
    stored,
    throttle_proxy,
    unique_id,
)

from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import ContentType, EncodeSettings, JobResult, JobState
from hlsstudio.core.pipeline import JobCallbacks, JobRequest, run_job
from hlsstudio.core.planning import build_plan
from hlsstudio.core.probe import probe_file
from hlsstudio.core.publish import PublishOptions, publish_package
from hlsstudio.core.storage.base import content_prefix
from hlsstudio.core.toolchain import locate_toolchain

NAME = "pipelined_publish"
GOAL = 0.6
SIDES = ("pipelined", "sequential")
WORK_DIR = CACHE_DIR / "work-pipelined"
CONCURRENCY = 8  # the app's default upload_concurrency


class StateClock:
    """When the job entered each state (from its own callbacks)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.marks: dict[str, float] = {}

    def on_state(self, state: JobState) -> None:
        """Record the first time the job entered ``state``."""
        self.marks.setdefault(state.value, time.perf_counter())

    def phases(self, end: float) -> dict[str, float]:
        """Seconds until ffmpeg ended (probe + encode) and from then to the end (finish + publish)."""
        encoded = self.marks.get(JobState.VALIDATING.value, end)
        return {"until_encoded": encoded - self.start, "after_encoded": end - encoded}


def segment_bound(encode: float, upload: float, duration: float, segment: float) -> float:
    """The best pipelined/sequential ratio when whole segments are uploaded once finished.

    The first segments exist only after ``segment / duration`` of the encode, and the last ones
    (``duration`` modulo ``segment`` of content, or a whole segment) only when it ends; the uplink
    is shared, so pipelined >= max(encode + last upload, first segment + whole upload).
    """
    count = math.ceil(duration / segment - 1e-9)
    last = duration - (count - 1) * segment
    pipelined = max(encode + upload * last / duration, encode * segment / duration + upload)
    return pipelined / (encode + upload)


def job_request(ctx: dict[str, Any], side: str, content_id: str | None) -> JobRequest:
    """The job both sides run; only ``publish_while_encoding`` differs."""
    return JobRequest(
        source=ctx["source"],
        out_dir=WORK_DIR / (content_id or "encode-alone"),
        ladder=ctx["ladder"],
        settings=ctx["settings"],
        content_type=ContentType.MOVIE if content_id else None,
        content_id=content_id,
        publish_while_encoding=side == "pipelined",
    )


def run_side(ctx: dict[str, Any], side: str, content_id: str) -> tuple[Sample, JobResult, dict[str, float]]:
    """One job with publishing, timed; its result and phases."""
    clock = StateClock()
    results: list[JobResult] = []
    destination = s3_destination(ctx["proxy_url"], ctx["bucket"])
    request = job_request(ctx, side, content_id)
    callbacks = JobCallbacks(on_state=clock.on_state)
    sample = timed(
        lambda: results.append(
            run_job(request, toolchain=ctx["tc"], destination=destination, callbacks=callbacks)
        )
    )
    end = clock.start + sample.wall
    result = results[0]
    if result.status != "completed" or result.publish is None:
        raise RuntimeError(f"{side} job did not complete: {result.error} {result.error_detail or ''}")
    return sample, result, clock.phases(end)


def check_and_clean(ctx: dict[str, Any], result: JobResult, content_id: str) -> None:
    """Every file of the package is stored (same size); then the prefix and the local package go."""
    prefix = content_prefix(ContentType.MOVIE, content_id)
    found = stored(ctx["client"], ctx["bucket"], prefix)
    assert result.output_dir is not None
    folder = Path(result.output_dir)
    expected = {prefix + name: (folder / name).stat().st_size for name in result.files}
    if found != expected:
        raise RuntimeError(f"{content_id}: stored objects differ from the package")
    empty_prefix(ctx["client"], ctx["bucket"], prefix)
    shutil.rmtree(folder, ignore_errors=True)


def measure_alone(ctx: dict[str, Any]) -> dict[str, Any]:
    """The encode alone (the same job, no destination) and the upload alone of its package."""
    settle()
    results: list[JobResult] = []
    request = job_request(ctx, "sequential", None)
    encode = timed(lambda: results.append(run_job(request, toolchain=ctx["tc"])))
    result = results[0]
    if result.status != "completed" or result.output_dir is None:
        raise RuntimeError(f"the encode alone failed: {result.error}")
    package = Path(result.output_dir)
    print(sample_line("encode", encode, "  (run_job without a destination)"), flush=True)
    content_id = unique_id("upload-alone")
    destination = s3_destination(ctx["proxy_url"], ctx["bucket"])
    options = PublishOptions(upload_concurrency=CONCURRENCY)
    settle()
    upload = timed(
        lambda: publish_package(package, destination, ContentType.MOVIE, content_id, options=options)
    )
    print(sample_line("upload", upload, f"  (publish_package at {ctx['mbit']:g} Mbit/s)"), flush=True)
    stats = package_stats(package)
    check_and_clean(ctx, result, content_id)
    return {"encode": encode, "upload": upload, "package": stats}


def run_rounds(ctx: dict[str, Any], rounds: int) -> tuple[Timings, dict[str, list[dict[str, float]]]]:
    """``rounds`` rounds, side order alternating; each job to a fresh prefix, checked, then removed."""
    timings = Timings()
    phases: dict[str, list[dict[str, float]]] = {side: [] for side in SIDES}
    for round_no in range(rounds):
        order = round_order(SIDES, round_no)
        print(f"round {round_no + 1}/{rounds}: {', '.join(order)}", flush=True)
        for side in order:
            content_id = unique_id(f"{side}-r{round_no + 1}")
            settle()
            sample, result, phase = run_side(ctx, side, content_id)
            check_and_clean(ctx, result, content_id)
            timings.add(side, sample)
            phases[side].append(phase)
            extra = f"  (ffmpeg done at {phase['until_encoded']:.1f} s, then {phase['after_encoded']:.1f} s)"
            print(sample_line(side, sample, extra), flush=True)
    return timings, phases


def report(ctx: dict[str, Any], alone: dict[str, Any], timings: Timings, phases: dict[str, Any]) -> None:
    """Print the tables and the ratio; write the JSON results."""
    machine: dict[str, Any] = ctx["machine"]
    encode, upload = alone["encode"].wall, alone["upload"].wall
    ratio = timings.median("pipelined") / timings.median("sequential")
    bound = max(encode, upload) / (encode + upload)
    best = segment_bound(encode, upload, ctx["info"].duration, ctx["settings"].segment_duration)
    package = alone["package"]
    print()
    print(f"machine: {machine_line(machine)}")
    print(
        f"source: {ctx['source'].name} ({ctx['info'].duration:.1f} s), rungs {', '.join(ctx['rungs'])}, "
        f"preset {ctx['settings'].preset}; package {package['files']} files, "
        f"{package['bytes'] / 1e6:.1f} MB; "
        f"uplink {ctx['mbit']:g} Mbit/s shared; {ctx['rounds']} rounds"
    )
    print(
        f"alone: encode {encode:.1f} s, upload {upload:.1f} s (upload/encode {upload / encode:.2f}); "
        f"a perfect overlap would give max/sum = {bound:.2f}; with whole segments at best {best:.2f}"
    )
    rows: list[list[object]] = []
    labels = {
        "pipelined": "A  pipelined (publish_while_encoding)",
        "sequential": "B  sequential (publish after encode)",
    }
    for side, label in labels.items():
        runs = " ".join(f"{w:.1f}" for w in timings.walls(side))
        after = median([p["after_encoded"] for p in phases[side]])
        rows.append(
            [label, f"{timings.median(side):.2f}", runs, f"{timings.median_cpu(side):.1f}", f"{after:.1f}"]
        )
    print_table(["series", "median wall s", "runs wall s", "median CPU s", "after ffmpeg s"], rows)
    note = f"perfect overlap {bound:.2f}, segment-granular best {best:.2f}"
    figure = at_most("pipelined / sequential wall", ratio, GOAL, note=note)
    print()
    print_table(FIGURE_HEADERS, [figure.row()])
    payload = {
        "settings": {
            "source": str(ctx["source"]),
            "source_seconds": ctx["info"].duration,
            "rungs": ctx["rungs"],
            "preset": ctx["settings"].preset,
            "segment_duration": ctx["settings"].segment_duration,
            "uplink_mbit": ctx["mbit"],
            "upload_concurrency": CONCURRENCY,
            "rounds": ctx["rounds"],
        },
        "alone": {
            "encode": sample_json(alone["encode"]),
            "upload": sample_json(alone["upload"]),
            "package": package,
            "perfect_overlap_ratio": round(bound, 4),
            "segment_granular_best_ratio": round(best, 4),
        },
        "median_wall": {k: round(timings.median(k), 3) for k in timings.samples},
        "median_cpu": {k: round(timings.median_cpu(k), 3) for k in timings.samples},
        "samples": {k: [sample_json(s) for s in v] for k, v in timings.samples.items()},
        "phases": {k: [{n: round(t, 3) for n, t in p.items()} for p in v] for k, v in phases.items()},
        "ratio_wall": round(ratio, 4),
        "figures": [figure.as_json()],
    }
    print(f"results: {write_results(NAME, payload, machine)}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds, side order alternating (default 3)")
    parser.add_argument("--seconds", type=int, default=48, help="length of the 720p source (default 48)")
    parser.add_argument("--source", type=Path, help="another source video instead")
    parser.add_argument("--preset", default="faster", help="x264 preset (default faster)")
    parser.add_argument("--mbit", type=float, default=10.0, help="shared uplink in Mbit/s (default 10)")
    args = parser.parse_args(argv)
    args.source = args.source.resolve() if args.source else None  # the app's home becomes the cwd
    return args


def main(argv: list[str] | None = None) -> int:
    """Prepare source and servers, measure each part alone, run the alternating rounds, report."""
    args = parse_args(argv)
    source = args.source or real_720p_source(args.seconds)
    isolate_app_home(NAME)
    toolchain = locate_toolchain()
    info = probe_file(toolchain.ffprobe, source)
    ladder = default_ladder()
    settings = EncodeSettings(preset=args.preset, encoder="libx264")
    plan, _ = build_plan(info, ladder, settings, toolchain.capabilities, out_dir=WORK_DIR, encoder="libx264")
    rungs = [r.name for r in plan.rungs]
    machine = machine_info()
    with moto_server() as moto, throttle_proxy(moto, args.mbit) as proxy:
        client = s3_client(moto.url)
        ctx: dict[str, Any] = {
            "source": source,
            "info": info,
            "tc": toolchain,
            "ladder": ladder,
            "rungs": rungs,
            "settings": settings,
            "proxy_url": proxy.url,
            "client": client,
            "bucket": create_bucket(client),
            "mbit": args.mbit,
            "rounds": args.rounds,
            "machine": machine,
        }
        alone = measure_alone(ctx)
        timings, phases = run_rounds(ctx, args.rounds)
        counters = proxy.stop().strip()
    print(f"proxy counters: {counters}")
    report(ctx, alone, timings, phases)
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
