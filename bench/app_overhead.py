"""What the app adds around ffmpeg: the full transcode job versus its own ffmpeg command run bare.

Side A (``app``) is ``hlsstudio.core.pipeline.transcode``: probe, plan, the ONE ffmpeg process
(through the runner: progress pipe, stderr drain, stall watch), poster, master playlist (measured
from the segments), validation and install. Side B (``bare``) is the exact argument list
``build_hls_command`` makes for the same plan, run with ``subprocess.run`` into a scratch folder:
nothing before, nothing after. The ratio of median wall times is the app's overhead (goal ≤ 1.03).

Default: the 1080p source of 20 s (Big Buck Bunny looped and scaled, prepared once into
bench/.cache), the default ladder (360p, 480p, 720p, 1080p for a 1080p source), x264 preset
veryfast, 6 s segments; 3 rounds of A,B / B,A. About 4 minutes on 2 cores.

Run: ``.venv/bin/python bench/app_overhead.py [--rounds 3] [--seconds 20] [--preset veryfast]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

from common import (
    CACHE_DIR,
    Timings,
    fresh_dir,
    machine_info,
    machine_line,
    print_table,
    timed,
    write_results,
)
from common_io import (
    FIGURE_HEADERS,
    at_most,
    bench_source,
    isolate_app_home,
    round_order,
    sample_json,
    sample_line,
    settle,
)

from hlsstudio.core.command import EncodePlan, build_hls_command
from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import EncodeSettings, JobState, Ladder, MediaInfo
from hlsstudio.core.pipeline import JobCallbacks, transcode
from hlsstudio.core.planning import build_plan
from hlsstudio.core.probe import probe_file
from hlsstudio.core.toolchain import Toolchain, locate_toolchain

NAME = "app_overhead"
GOAL = 1.03
BARE_TIMEOUT = 3600.0
SIDES = ("app", "bare")
WORK_DIR = CACHE_DIR / "work-app-overhead"
PHASES_LINE = "  (before ffmpeg {before:.2f} s, ffmpeg step {encode:.2f} s, after {after:.2f} s)"
LABELS = {"app": "A  app: pipeline.transcode (full job)", "bare": "B  bare ffmpeg, same arguments"}


class PhaseClock:
    """Times the app's phases from its own state callbacks (probe+plan, encode, finish)."""

    def __init__(self) -> None:
        self.marks: dict[str, float] = {"start": time.perf_counter()}

    def on_state(self, state: JobState) -> None:
        """Record when the job entered ``state`` (called from the job's thread)."""
        self.marks.setdefault(state.value, time.perf_counter())

    def phases(self, end: float) -> dict[str, float]:
        """Seconds spent before ffmpeg, in ffmpeg's step, and after it."""
        start = self.marks["start"]
        encode = self.marks.get(JobState.TRANSCODING.value, start)
        finish = self.marks.get(JobState.VALIDATING.value, end)
        return {"before": encode - start, "encode": finish - encode, "after": end - finish}


def run_app(ctx: dict[str, Any], out: Path) -> tuple[list[str], dict[str, float]]:
    """Side A: the app's whole transcode job; its ffmpeg command and its phase times."""
    clock = PhaseClock()
    result = transcode(
        ctx["source"],
        out,
        ladder=ctx["ladder"],
        settings=ctx["settings"],
        toolchain=ctx["tc"],
        callbacks=JobCallbacks(on_state=clock.on_state),
    )
    end = time.perf_counter()
    if result.status != "completed":
        raise RuntimeError(f"app transcode did not complete: {result.error}")
    return result.command, clock.phases(end)


def run_bare(command: list[str]) -> None:
    """Side B: the same ffmpeg argument list, nothing else (stderr kept for the error message)."""
    done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False, timeout=BARE_TIMEOUT)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"bare ffmpeg failed ({done.returncode}): {done.stderr.decode()[-1500:]}")


def same_command(app_command: list[str], bare_command: list[str], bare_dir: Path) -> bool:
    """True when the app ran the bare command's arguments (its working folder in place of ours)."""
    if len(app_command) != len(bare_command):
        return False
    pattern = next((a for a in app_command if a.endswith("stream_%v.m3u8")), "")
    work = str(Path(pattern).parent)
    return [a.replace(work, str(bare_dir)) for a in app_command] == bare_command


def run_rounds(ctx: dict[str, Any], rounds: int) -> tuple[Timings, list[dict[str, float]], bool]:
    """``rounds`` rounds, sides alternating; the timings, the app's phases, whether commands matched."""
    timings = Timings()
    phases: list[dict[str, float]] = []
    matched = True
    plan: EncodePlan = ctx["plan"]
    for round_no in range(rounds):
        order = round_order(SIDES, round_no)
        print(f"round {round_no + 1}/{rounds}: {', '.join(order)}", flush=True)
        for side in order:
            settle()
            out = fresh_dir(WORK_DIR / side)
            if side == "app":
                out.rmdir()  # the app installs its package at out_dir itself
                got: list[tuple[list[str], dict[str, float]]] = []
                sample = timed(partial(lambda o, g: g.append(run_app(ctx, o)), out, got))
                command, phase = got[0]
                phases.append(phase)
                bare = build_hls_command(plan.model_copy(update={"out_dir": out}), ctx["tc"].ffmpeg)
                matched = matched and same_command(command, bare, out)
                extra = PHASES_LINE.format(**phase)
            else:
                command = build_hls_command(plan.model_copy(update={"out_dir": out}), ctx["tc"].ffmpeg)
                sample = timed(partial(run_bare, command))
                extra = ""
            timings.add(side, sample)
            shutil.rmtree(out, ignore_errors=True)
            print(sample_line(side, sample, extra), flush=True)
    return timings, phases, matched


def median_phases(phases: list[dict[str, float]]) -> dict[str, float]:
    """The median of each phase over the app's runs."""
    import statistics

    return {k: round(statistics.median(p[k] for p in phases), 3) for k in phases[0]} if phases else {}


def report(ctx: dict[str, Any], timings: Timings, phases: list[dict[str, float]], matched: bool) -> None:
    """Print the table and the ratio; write the JSON results."""
    machine: dict[str, Any] = ctx["machine"]
    info: MediaInfo = ctx["info"]
    plan: EncodePlan = ctx["plan"]
    ratio = timings.median("app") / timings.median("bare")
    cpu_ratio = timings.median_cpu("app") / timings.median_cpu("bare")
    mph = median_phases(phases)
    print()
    print(f"machine: {machine_line(machine)}")
    print(
        f"source: {Path(info.path).name} ({info.width}x{info.height}, {info.duration:.1f} s), rungs "
        f"{', '.join(r.name for r in plan.rungs)}, preset {plan.preset}, segment "
        f"{plan.segment_duration:g} s, {ctx['rounds']} rounds; same ffmpeg arguments: {matched}"
    )
    rows: list[list[object]] = []
    for side, label in LABELS.items():
        runs = " ".join(f"{w:.1f}" for w in timings.walls(side))
        rows.append([label, f"{timings.median(side):.2f}", runs, f"{timings.median_cpu(side):.1f}"])
    print_table(["series", "median wall s", "runs wall s", "median CPU s"], rows)
    if mph:
        print(f"app phases (median): before ffmpeg {mph['before']:.2f} s, ffmpeg step {mph['encode']:.2f} s, "
              f"after ffmpeg {mph['after']:.2f} s")  # fmt: skip
    figure = at_most("app overhead: app / bare ffmpeg wall", ratio, GOAL)
    print()
    print_table(FIGURE_HEADERS, [figure.row()])
    print(f"CPU ratio app / bare: {cpu_ratio:.3f}")
    payload = {
        "settings": {
            "source": str(ctx["source"]),
            "source_seconds": info.duration,
            "rungs": [r.name for r in plan.rungs],
            "preset": plan.preset,
            "segment_duration": plan.segment_duration,
            "rounds": ctx["rounds"],
            "same_ffmpeg_arguments": matched,
        },
        "median_wall": {k: round(timings.median(k), 3) for k in timings.samples},
        "median_cpu": {k: round(timings.median_cpu(k), 3) for k in timings.samples},
        "samples": {k: [sample_json(s) for s in v] for k, v in timings.samples.items()},
        "app_phases_median": mph,
        "app_phases": [{k: round(v, 3) for k, v in p.items()} for p in phases],
        "ratio_wall": round(ratio, 4),
        "ratio_cpu": round(cpu_ratio, 4),
        "figures": [figure.as_json()],
    }
    print(f"results: {write_results(NAME, payload, machine)}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds, side order alternating (default 3)")
    parser.add_argument("--seconds", type=int, default=20, help="length of the 1080p source (default 20)")
    parser.add_argument("--source", type=Path, help="another source video instead")
    parser.add_argument("--preset", default="veryfast", help="x264 preset (default veryfast)")
    args = parser.parse_args(argv)
    args.source = args.source.resolve() if args.source else None  # the app's home becomes the cwd
    return args


def setup(args: argparse.Namespace) -> dict[str, Any]:
    """Source, toolchain, probe, ladder, settings and the plan both sides run."""
    source = bench_source(args.seconds, args.source)
    isolate_app_home(NAME)
    toolchain: Toolchain = locate_toolchain()
    info = probe_file(toolchain.ffprobe, source)
    ladder: Ladder = default_ladder()
    settings = EncodeSettings(preset=args.preset, encoder="libx264")
    plan, _ = build_plan(info, ladder, settings, toolchain.capabilities, out_dir=WORK_DIR, encoder="libx264")
    return {"source": source, "tc": toolchain, "info": info, "ladder": ladder, "settings": settings,
            "plan": plan, "rounds": args.rounds, "machine": machine_info()}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Prepare, run the alternating rounds, report."""
    args = parse_args(argv)
    ctx = setup(args)
    timings, phases, matched = run_rounds(ctx, args.rounds)
    report(ctx, timings, phases, matched)
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
