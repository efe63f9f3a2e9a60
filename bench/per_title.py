"""The per-title ladder against the fixed default ladder, on four kinds of real content.

Each title (``per_title_titles``: animation, live action, a static scene, a fast noisy scene, all made
from /work/shared/media and scaled to 1080p, 30 s each, prepared once into bench/.cache/per-title/) is
packaged twice by the app's own job, ``hlsstudio.core.pipeline.transcode``, with the app's default
ladder and settings; the only difference is ``EncodeSettings.ladder_mode``: ``fixed`` or ``per-title``.
The job's own quality measurement is off (``measure_quality=False``), so the encode's CPU time is the
encode alone, and the encoder is libx264 on both sides. The app runs in a fresh home of its own, so
no per-title plan comes from the cache: every per-title run analyses its title.

Then every rung of both packages is measured here over the WHOLE title: its segments joined, against
the title, both scaled to 1920x1080, with the app's quality tool and command (``quality.metric``:
the imageio-ffmpeg FFmpeg with libvmaf, default and phone models), comparing every ``--subsample``-th
frame from the first to the last (default 3: a third of the CPU of every frame; on two test rungs the
means came out 0.13 VMAF above every frame's, alike on both sides; 1: every frame). Per title and
overall it prints:

- every rung of both ladders side by side: size, video bitrate (segment bytes over duration, sound
  excluded), VMAF, the per-title rung's CRF and the bitrate and VMAF its analysis predicted;
- the BD-rate of the per-title ladder against the fixed one (``pertitle.bdrate``, over the VMAF range
  both cover; the cellular rung left out, see ``per_title_figures``; the figure over every rung and the
  analysis's own prediction beside it);
- video bytes per-title / fixed, each ladder's top-rung VMAF;
- the analysis's CPU time (``JobResult.per_title.analysis_cpu_seconds``) over the per-title run's
  encode CPU time (the children CPU time of this process from the job's TRANSCODING state to its next
  state, which is how the job measures its encode).

Goals: mean BD-rate ≤ −30 %, bytes per-title / fixed < 1, per-title top VMAF ≥ fixed top − 1, analysis
≤ 0.5x the encode's CPU. Which side goes first alternates from title to title. About an hour of CPU
time: 30 minutes on 2 quiet cores, 46 minutes measured beside other work (the titles' one-time
preparation adds 3 to 4 minutes); ``--quick``: two titles of 12 s, one frame in 4 compared, about 6
minutes on quiet cores (21 beside other work). Results: bench/results/per_title.json
(``per_title-TAG.json`` with ``--tag``, ``per_title-quick.json`` with ``--quick``), with the commit and
how many files of hlsstudio/ differed from it: the per-title side is whatever the working tree does.

The app's home and the packages are this process's own (bench/.cache/homes/per_title-PID/ and
bench/.cache/work-per-title-PID/, removed at the end; ``--keep`` keeps the packages): two runs at once
do not disturb each other's files, only each other's CPU figures.

Run: ``.venv/bin/python bench/per_title.py [--quick] [--titles a,b] [--seconds 30] [--subsample 3]
[--preset fast] [--keep] [--tag NAME]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (
    BENCH_DIR,
    CACHE_DIR,
    code_state,
    fresh_dir,
    machine_info,
    machine_line,
    print_table,
    write_results,
)
from common import wait_until_quiet as quiet_cores
from common_io import FIGURE_HEADERS, isolate_app_home, round_order
from per_title_figures import (
    RUNG_HEADERS,
    SUMMARY_HEADERS,
    RungFigures,
    TitleFigures,
    figures,
    overall,
    percent_text,
    rung_table,
    segment_files,
    summary_rows,
    video_bytes_and_seconds,
    vmaf_text,
)
from per_title_titles import TITLES, prepare_title, title_named

from hlsstudio.core.command import picture_chain
from hlsstudio.core.framerate import output_rate
from hlsstudio.core.jobs.context import JobCallbacks
from hlsstudio.core.models import EncodeSettings, JobResult, JobState, Ladder, MediaInfo
from hlsstudio.core.pertitle.models import ChosenRung
from hlsstudio.core.pipeline import transcode
from hlsstudio.core.probe import probe_file
from hlsstudio.core.quality.metric import Excerpt, QualityTool, find_quality_tool, measure
from hlsstudio.core.quality.rungs import children_cpu_seconds
from hlsstudio.core.settings import AppSettings
from hlsstudio.core.toolchain import Toolchain, locate_toolchain

NAME = "per_title"
SIDES = ("fixed", "per-title")
WORK_PREFIX = "work-per-title-"
STALL_TIMEOUT = 1800.0  # a busy machine must not stop an encode; it changes nothing in the output
QUICK_TITLES = ("animation", "live-action")
QUIET_SHARE, QUIET_TIMEOUT = 0.25, 20.0


@dataclass
class Run:
    """One packaging of a title: the job's result, its encode's CPU time, the whole job's CPU and wall
    time, the CPU the rest of the machine used before it started (share of the cores)."""

    result: JobResult
    encode_cpu: float
    job_cpu: float
    wall: float
    others_before: float


class EncodeClock:
    """Children CPU time from the job's TRANSCODING state to the state after it (the encode stage)."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.seconds = 0.0

    def on_state(self, state: JobState) -> None:
        now = children_cpu_seconds()
        if state == JobState.TRANSCODING:
            self.started = now
        elif self.started is not None:
            self.seconds, self.started = now - self.started, None


def settings_for(side: str, preset: str) -> EncodeSettings:
    """The app's default encode settings for ``side``: only the ladder mode differs."""
    base = AppSettings().encode
    return base.model_copy(
        update={
            "ladder_mode": side,
            "measure_quality": False,
            "encoder": "libx264",
            "preset": preset,
            "stall_timeout": STALL_TIMEOUT,
        }
    )


def package(source: Path, out: Path, side: str, preset: str, toolchain: Toolchain) -> Run:
    """Package ``source`` into ``out`` with the app's job, the default ladder and ``side``'s mode."""
    others = quiet_cores(QUIET_SHARE, QUIET_TIMEOUT)
    clock = EncodeClock()
    started, cpu = time.perf_counter(), children_cpu_seconds()
    ladder, settings = Ladder(rungs=list(AppSettings().ladder)), settings_for(side, preset)
    callbacks = JobCallbacks(on_state=clock.on_state)
    result = transcode(
        source, fresh_dir(out), ladder=ladder, settings=settings, toolchain=toolchain, callbacks=callbacks
    )
    if result.status != "completed":
        raise RuntimeError(f"{source.name} {side}: {result.error} {result.error_detail or ''}")
    wall, job_cpu = time.perf_counter() - started, children_cpu_seconds() - cpu
    print(
        f"  {side:<9} packaged in {wall:5.0f} s wall, {job_cpu:5.0f} CPU s (encode {clock.seconds:.0f})",
        flush=True,
    )
    return Run(result, clock.seconds, job_cpu, wall, round(others, 3))


def measure_rungs(
    run: Run, title: Path, info: MediaInfo, tool: QualityTool, subsample: int
) -> list[RungFigures]:
    """Every rung of ``run``'s package against the whole ``title`` at 1920x1080 (or the title's size)."""
    folder = Path(run.result.output_dir or "")
    chain = picture_chain(output_rate(info.fps, info.vfr))
    size = (info.width, info.height)
    chosen = {r.name: r for r in run.result.per_title.rungs} if run.result.per_title else {}
    rungs = []
    for variant in run.result.variants:
        playlist = folder / variant.playlist
        video_bytes, seconds = video_bytes_and_seconds(playlist)
        joined = "concat:" + "|".join(str(path) for path, _ in segment_files(playlist))
        score = measure(
            tool, joined, title, size, distorted_at=Excerpt(0.0, seconds), reference_at=Excerpt(0.0, seconds),
            subsample=subsample, reference_chain=chain,
        )  # fmt: skip
        width, height = (int(v) for v in variant.resolution.split("x"))
        rungs.append(
            RungFigures(
                name=variant.quality, width=width, height=height, video_bytes=video_bytes, seconds=seconds,
                vmaf=round(score.mean, 2), vmaf_phone=_rounded(score.phone_mean), vmaf_p5=round(score.p5, 2),
                frames=score.frames, **_planned(chosen.get(variant.quality)),
            )
        )  # fmt: skip
    return sorted(rungs, key=lambda r: (r.height, r.video_bytes))


def _planned(rung: ChosenRung | None) -> dict[str, Any]:
    """A per-title rung's CRF and the (kbps, VMAF) its analysis predicted (nothing for a fixed rung)."""
    if rung is None:
        return {}
    return {"crf": rung.crf, "predicted": (rung.predicted_kbps, round(rung.predicted_vmaf, 2))}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def bench_title(
    index: int, name: str, args: argparse.Namespace, toolchain: Toolchain, tool: QualityTool
) -> TitleFigures:
    """Prepare, package both ways, measure and print one title."""
    title = title_named(name)
    source = prepare_title(title, args.seconds)
    info = probe_file(toolchain.ffprobe, source)
    print(f"\n## {name}: {title.kind}", flush=True)
    rate = (info.bit_rate or 0) / 1e6
    print(f"   {source.name}: {info.width}x{info.height}, {info.duration:.1f} s, {rate:.1f} Mbit/s")
    runs: dict[str, Run] = {}
    for side in round_order(SIDES, index):
        runs[side] = package(source, args.work / name / side, side, args.preset, toolchain)
    measured, cpu = {}, children_cpu_seconds()
    for side in SIDES:
        measured[side] = measure_rungs(runs[side], source, info, tool, args.subsample)
    count, spent = sum(len(m) for m in measured.values()), children_cpu_seconds() - cpu
    print(f"   measured {count} rungs over the whole title in {spent:.0f} CPU s", flush=True)
    plan = runs["per-title"].result.per_title
    figures_ = TitleFigures(
        title=name,
        fixed=measured["fixed"],
        tuned=measured["per-title"],
        analysis_cpu=plan.analysis_cpu_seconds if plan else 0.0,
        encode_cpu=runs["per-title"].encode_cpu,
        fixed_encode_cpu=runs["fixed"].encode_cpu,
        predicted_bd_rate=plan.predicted_bd_rate if plan else None,
        extra=title_extra(title.kind, source, info, runs),
    )
    print_title(figures_)
    if not args.keep:
        shutil.rmtree(args.work / name, ignore_errors=True)
    return figures_


def title_extra(kind: str, source: Path, info: MediaInfo, runs: dict[str, Run]) -> dict[str, Any]:
    """What the results file records of a title besides its figures: the source and both runs."""
    plan = runs["per-title"].result.per_title
    return {
        "kind": kind,
        "source": {
            "file": source.name,
            "size": f"{info.width}x{info.height}",
            "seconds": info.duration,
            "bit_rate": info.bit_rate,
        },
        "runs": {
            side: {
                "wall_seconds": round(run.wall, 2),
                "job_cpu_seconds": round(run.job_cpu, 2),
                "encode_cpu_seconds": round(run.encode_cpu, 2),
                "others_share_before": run.others_before,
            }
            for side, run in runs.items()
        },
        "analysis": None
        if plan is None
        else {
            "schedule": plan.schedule,
            "trials": len(plan.points),
            "excerpts": plan.excerpts,
            "wall_seconds": plan.analysis_wall_seconds,
            "notes": plan.notes,
        },
    }


def print_title(t: TitleFigures) -> None:
    """The title's side-by-side table and its figures."""
    print()
    print_table(RUNG_HEADERS, rung_table(t.fixed, t.tuned))
    fixed_top, tuned_top = t.top_vmaf
    print(
        f"\n   BD-rate {percent_text(t.bd_rate)} (every rung: {percent_text(t.bd_rate_all_rungs)}; "
        f"the analysis predicted {percent_text(t.predicted_bd_rate)})\n"
        f"   video bytes per-title / fixed {t.bytes_ratio:.3f} "
        f"({t.tuned_bytes / 1e6:.1f} MB / {t.fixed_bytes / 1e6:.1f} MB)\n"
        f"   top rung VMAF: fixed {vmaf_text(fixed_top)}, per-title {vmaf_text(tuned_top)}\n"
        f"   analysis {t.analysis_cpu:.0f} CPU s = {t.analysis_share:.2f}x the per-title encode's "
        f"{t.encode_cpu:.0f} CPU s (the fixed encode: {t.fixed_encode_cpu:.0f} CPU s)",
        flush=True,
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="two titles of 12 s, every 4th frame compared")
    parser.add_argument("--titles", help=f"comma-separated, of: {', '.join(t.name for t in TITLES)}")
    parser.add_argument("--seconds", type=int, help="length of each title (default 30; --quick 12)")
    parser.add_argument("--subsample", type=int, help="compare every N-th frame (default 3; --quick 4)")
    parser.add_argument("--preset", default=AppSettings().encode.preset, help="x264 preset of both sides")
    parser.add_argument(
        "--keep", action="store_true", help="keep the packages (bench/.cache/work-per-title-PID)"
    )
    parser.add_argument("--tag", help="write per_title-TAG.json (default with --quick: quick)")
    args = parser.parse_args(argv)
    default_titles = QUICK_TITLES if args.quick else tuple(t.name for t in TITLES)
    args.titles = [n.strip() for n in args.titles.split(",")] if args.titles else list(default_titles)
    args.seconds = args.seconds or (12 if args.quick else 30)
    args.subsample = max(1, args.subsample or (4 if args.quick else 3))
    args.tag = args.tag or ("quick" if args.quick else None)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in args.titles:
        title_named(name)  # an unknown name stops here, before anything runs
    machine = machine_info()
    # a fresh home (no per-title plan comes from an earlier run's cache) and packages folder, both of
    # this process alone: two runs at once do not share them
    home = isolate_app_home(f"{NAME}-{os.getpid()}")
    args.work = CACHE_DIR / f"{WORK_PREFIX}{os.getpid()}"
    try:
        return bench(args, machine)
    finally:
        os.chdir(BENCH_DIR)
        shutil.rmtree(home, ignore_errors=True)
        if args.keep:
            print(f"packages kept in {args.work}")
        else:
            shutil.rmtree(args.work, ignore_errors=True)


def bench(args: argparse.Namespace, machine: dict[str, Any]) -> int:
    """Every title, the summary and the results file."""
    code = code_state()  # before anything runs: the app's modules are the ones loaded now
    toolchain = locate_toolchain()
    tool = find_quality_tool(toolchain.ffmpeg)
    if tool.metric != "vmaf":
        raise SystemExit(f"this benchmark needs VMAF: {tool.note}")
    compared = "every frame" if args.subsample == 1 else f"one frame in {args.subsample}"
    print(
        f"# per-title vs fixed ladder: {', '.join(args.titles)}; {args.seconds} s each, "
        f"preset {args.preset}, "
        f"{compared} compared\n{machine_line(machine)}\n{tool.note}",
        flush=True,
    )
    started = time.perf_counter()
    titles = [bench_title(i, name, args, toolchain, tool) for i, name in enumerate(args.titles)]
    print("\n## Summary\n")
    print_table(SUMMARY_HEADERS, summary_rows(titles))
    content = f"{', '.join(args.titles)}; {args.seconds} s each at 1080p"
    found = figures(overall(titles), content)
    print()
    print_table(FIGURE_HEADERS, [f.row() for f in found])
    total = overall(titles)
    payload = {
        "settings": {
            "quick": args.quick,
            "titles": args.titles,
            "seconds": args.seconds,
            "preset": args.preset,
            "subsample": args.subsample,
            "quality_tool": tool.note,
        },
        "code": code,
        "overall": {k: (None if v is None else round(v, 4)) for k, v in vars(total).items()},
        "titles": [t.as_json() for t in titles],
        "figures": [f.as_json() for f in found],
        "total_wall_seconds": round(time.perf_counter() - started, 1),
    }
    name = f"{NAME}-{args.tag}" if args.tag else NAME
    print(f"\nwrote {write_results(name, payload, machine)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
