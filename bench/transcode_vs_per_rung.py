"""HLS Studio's one-process transcode versus the per-rung design, on the same rungs and settings.

Side A (``app``) is the whole job as the app runs it: ``hlsstudio.core.pipeline.transcode`` (probe,
ONE ffmpeg process that decodes once and encodes every rung plus the thumbnails, poster, master
playlist, validation, install). Side B (``per-rung``) is the usual per-rung service: one ffmpeg per
rung, each decoding the source again, run one after the other, then a master written by hand; its
thumbnails need one more pass over the source, timed separately so the ratio is given with and
without it. Both sides take their sizes, bitrates, profile/level, GOP and keyframe rule from the
same plan (``build_plan``). ``engine`` (optional) runs only the app's ffmpeg command.

Run: ``.venv/bin/python bench/transcode_vs_per_rung.py [--rounds 3] [--source FILE]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common import (
    CACHE_DIR,
    Sample,
    Timings,
    fresh_dir,
    machine_info,
    machine_line,
    prepare_source,
    print_table,
    run_checked,
    timed,
    wait_until_quiet,
    write_results,
)

from hlsstudio.core.command import AUDIO_SAMPLE_RATE, EncodePlan, build_hls_command, gop_frames
from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import EncodeSettings, Ladder, MediaInfo, PlannedRung
from hlsstudio.core.planning import build_plan
from hlsstudio.core.probe import probe_file
from hlsstudio.core.toolchain import Toolchain, locate_toolchain

NAME = "transcode_vs_per_rung"
TARGET_RATIO = 0.75
DEFAULT_RUNGS = "360p,480p,720p,1080p"
SIDES = ("app", "per-rung", "engine")
WORK_DIR = CACHE_DIR / "work"


# --- setup ------------------------------------------------------------------------------------


def bench_ladder(names: list[str]) -> Ladder:
    """The default ladder with exactly the rungs named in ``names`` enabled."""
    ladder = default_ladder()
    unknown = set(names) - {r.name for r in ladder.rungs}
    if unknown:
        raise SystemExit(f"not in the default ladder: {', '.join(sorted(unknown))}")
    rungs = [r.model_copy(update={"enabled": r.name in names}) for r in ladder.rungs]
    return Ladder(rungs=rungs)


def make_plan(info: MediaInfo, ladder: Ladder, settings: EncodeSettings, toolchain: Toolchain) -> EncodePlan:
    """The app's own plan for this source (libx264): what both sides encode."""
    plan, _ = build_plan(info, ladder, settings, toolchain.capabilities, out_dir=WORK_DIR, encoder="libx264")
    return plan


# --- side B: one ffmpeg per rung ---------------------------------------------------------------


def _scale_filter(rung: PlannedRung) -> str:
    """What a per-rung service writes: fix the short side, let ffmpeg derive the other (even)."""
    if rung.width >= rung.height:
        return f"scale=-2:{rung.height}"
    return f"scale={rung.width}:-2"


def per_rung_command(plan: EncodePlan, rung: PlannedRung, out: Path, ffmpeg: str = "ffmpeg") -> list[str]:
    """One rung's own ffmpeg: decode the source, scale, x264 + AAC, HLS with the app's GOP rule."""
    gop = str(gop_frames(plan))
    args = [
        ffmpeg, "-hide_banner", "-loglevel", "warning", "-nostdin", "-y",
        "-i", str(plan.source), "-map", "0:v:0",
        "-vf", _scale_filter(rung),
        "-c:v", "libx264", "-preset", plan.preset,
        "-b:v", f"{rung.video_kbps}k", "-maxrate", f"{rung.maxrate_kbps}k",
        "-bufsize", f"{rung.bufsize_kbps}k",
        "-profile:v", rung.profile, "-level:v", rung.level,
        "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
        "-force_key_frames", f"expr:gte(t,n_forced*{plan.segment_duration:g})",
    ]  # fmt: skip
    if plan.audio_index is not None:
        args += ["-map", f"0:a:{plan.audio_index}", "-c:a", "aac", "-b:a", f"{rung.audio_kbps}k",
                 "-ac", "2", "-ar", str(AUDIO_SAMPLE_RATE)]  # fmt: skip
    return [
        *args,
        "-f", "hls", "-hls_time", f"{plan.segment_duration:g}", "-hls_playlist_type", "vod",
        "-hls_segment_filename", str(out / f"stream_{rung.name}_%03d.ts"),
        str(out / f"stream_{rung.name}.m3u8"),
    ]  # fmt: skip


def thumbnail_command(plan: EncodePlan, out: Path, ffmpeg: str = "ffmpeg") -> list[str]:
    """The per-rung design's separate thumbnail pass: one JPEG every N seconds, app's width."""
    interval = plan.thumbnail_interval or 10.0
    return [
        ffmpeg, "-hide_banner", "-loglevel", "warning", "-nostdin", "-y",
        "-i", str(plan.source), "-map", "0:v:0",
        "-vf", f"fps=1/{interval:g},scale={plan.thumbnail_width}:-2",
        "-q:v", "4", "-start_number", "0", str(out / "thumb_%03d.jpg"),
    ]  # fmt: skip


def write_simple_master(plan: EncodePlan, out: Path) -> None:
    """The few lines a per-rung service writes: one STREAM-INF per rung from the requested rates."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for rung in plan.rungs:
        bandwidth = (rung.maxrate_kbps + rung.audio_kbps) * 1000
        lines += [f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={rung.width}x{rung.height}",
                  f"stream_{rung.name}.m3u8"]  # fmt: skip
    (out / "master.m3u8").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_per_rung(plan: EncodePlan, out: Path, ffmpeg: str) -> dict[str, Sample]:
    """Side B: the rungs one after the other, then the master, then the thumbnail pass; times per step."""
    steps: dict[str, Sample] = {}
    for rung in plan.rungs:
        steps[rung.name] = timed(lambda r=rung: run_checked(per_rung_command(plan, r, out, ffmpeg)))
    steps["master"] = timed(lambda: write_simple_master(plan, out))
    steps["thumbnails"] = timed(lambda: run_checked(thumbnail_command(plan, out, ffmpeg)))
    return steps


# --- side A: the app ---------------------------------------------------------------------------


def run_app(source: Path, out: Path, ladder: Ladder, settings: EncodeSettings, toolchain: Toolchain) -> None:
    """Side A: the app's full job (pipeline imported here, so side B runs even when it cannot be)."""
    from hlsstudio.core.pipeline import transcode

    result = transcode(source, out, ladder=ladder, settings=settings, toolchain=toolchain)
    if result.status != "completed":
        raise RuntimeError(f"app transcode did not complete: {result.error}")


def run_engine(plan: EncodePlan, out: Path, ffmpeg: str) -> None:
    """The app's one ffmpeg command alone (no probe, poster, master or validation)."""
    run_checked(build_hls_command(plan.model_copy(update={"out_dir": out}), ffmpeg))


# --- checks ------------------------------------------------------------------------------------


def segment_sizes(out: Path, plan: EncodePlan, ffprobe: str) -> dict[str, str]:
    """Each rung's picture size as ffprobe reads it from its first segment ("WxH")."""
    sizes: dict[str, str] = {}
    for rung in plan.rungs:
        first = min(out.glob(f"stream_{rung.name}_*.ts"))
        cmd = [ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
               "-of", "json", str(first)]  # fmt: skip
        stream = json.loads(subprocess.run(cmd, capture_output=True, check=True).stdout)["streams"][0]
        sizes[rung.name] = f"{stream['width']}x{stream['height']}"
    return sizes


def output_summary(out: Path, plan: EncodePlan, ffprobe: str) -> dict[str, Any]:
    """What a side produced: segment and thumbnail counts, bytes of video segments, rung sizes."""
    segments = list(out.glob("stream_*.ts"))
    return {
        "segments": len(segments),
        "segment_bytes": sum(p.stat().st_size for p in segments),
        "thumbnails": len(list(out.glob("thumb_*.jpg"))),
        "sizes": segment_sizes(out, plan, ffprobe),
    }


# --- the rounds --------------------------------------------------------------------------------


@dataclass
class Bench:
    """What every run of a side needs, decided once."""

    plan: EncodePlan
    info: MediaInfo
    ladder: Ladder
    settings: EncodeSettings
    toolchain: Toolchain
    sides: list[str]
    rounds: int
    quiet_share: float
    quiet_timeout: float
    tag: str = ""
    timings: Timings = field(default_factory=Timings)
    outputs: dict[str, Any] = field(default_factory=dict)
    quiet: list[float] = field(default_factory=list)


def _record_per_rung(bench: Bench, steps: dict[str, Sample]) -> None:
    """Per-step samples, the per-rung total without thumbnails and the total with them."""
    timings = bench.timings
    for step, sample in steps.items():
        timings.add(f"per-rung:{step}", sample)
    without = [sample for step, sample in steps.items() if step != "thumbnails"]
    timings.add("per-rung", sum(without[1:], without[0]))
    timings.add("per-rung+thumbs", timings.samples["per-rung"][-1] + steps["thumbnails"])


def _print_sample(bench: Bench, side: str, share: float) -> None:
    last = bench.timings.samples[side][-1]
    extra = ""
    if side == "per-rung":
        extra = f", + thumbnail pass {bench.timings.samples['per-rung:thumbnails'][-1].wall:.1f} s"
    print(
        f"  {side:<9} {last.wall:7.1f} s wall {last.cpu:7.1f} s CPU; others used {last.others:6.1f} s CPU "
        f"(busy share before: {share:.0%}){extra}",
        flush=True,
    )


def run_side(bench: Bench, side: str, round_no: int) -> None:
    """Wait for a quiet machine, run one side once into a fresh folder, record its samples and output."""
    plan, tc = bench.plan, bench.toolchain
    out = fresh_dir(WORK_DIR / f"{side}-{round_no}")
    share = wait_until_quiet(bench.quiet_share, bench.quiet_timeout) if bench.quiet_timeout > 0 else 0.0
    bench.quiet.append(round(share, 3))
    if side == "app":
        out.rmdir()  # the app installs its package at out_dir itself
        bench.timings.add("app", timed(lambda: run_app(plan.source, out, bench.ladder, bench.settings, tc)))
    elif side == "engine":
        bench.timings.add("engine", timed(lambda: run_engine(plan, out, tc.ffmpeg)))
    else:
        _record_per_rung(bench, run_per_rung(plan, out, tc.ffmpeg))
    bench.outputs[side] = output_summary(out, plan, tc.ffprobe)
    shutil.rmtree(out, ignore_errors=True)
    _print_sample(bench, side, share)


def run_rounds(bench: Bench) -> None:
    """``bench.rounds`` rounds, the side order reversed every other round (A,B then B,A)."""
    for round_no in range(bench.rounds):
        order = bench.sides if round_no % 2 == 0 else list(reversed(bench.sides))
        print(f"round {round_no + 1}/{bench.rounds}: {', '.join(order)}", flush=True)
        for side in order:
            run_side(bench, side, round_no)


# --- report ------------------------------------------------------------------------------------

LABELS = {
    "app": "A  app: one process (full job)",
    "engine": "A' app's ffmpeg command alone",
    "per-rung": "B  per-rung: 1 process/rung + master",
    "per-rung+thumbs": "B+ per-rung + thumbnail pass",
    "per-rung:thumbnails": "   thumbnail pass alone",
}
ONE_PROCESS = ("app", "engine")


def table_rows(bench: Bench) -> list[list[object]]:
    """One row per measured series: label, median wall, every wall, median CPU, others, output size."""
    timings, rows = bench.timings, []
    for key, label in LABELS.items():
        if key not in timings.samples:
            continue
        runs = " ".join(f"{s:.1f}" for s in timings.walls(key))
        others = statistics.median(s.others for s in timings.samples[key])
        out = bench.outputs.get(key) if key in (*ONE_PROCESS, "per-rung") else None
        size = f"{out['segment_bytes'] / 1e6:.1f}" if out else ""
        row = [
            label,
            f"{timings.median(key):.1f}",
            runs,
            f"{timings.min_wall(key):.1f}",
            f"{timings.median_cpu(key):.1f}",
            f"{others:.1f}",
            size,
        ]
        rows.append(row)
    return rows


def ratios(timings: Timings, measure: Callable[[str], float]) -> dict[str, float]:
    """Each one-process series over the per-rung series, with and without the thumbnail pass."""
    found: dict[str, float] = {}
    for a in ONE_PROCESS:
        if a in timings.samples and "per-rung" in timings.samples:
            found[f"{a}/per-rung"] = measure(a) / measure("per-rung")
            found[f"{a}/per-rung+thumbs"] = measure(a) / measure("per-rung+thumbs")
    return found


def round_ratios(timings: Timings) -> dict[str, list[float]]:
    """Wall ratios within each round (the two runs of a round are minutes apart, so a slow drift of
    the machine's speed cancels out)."""
    found: dict[str, list[float]] = {}
    for a in ONE_PROCESS:
        for b in ("per-rung", "per-rung+thumbs"):
            if a in timings.samples and b in timings.samples:
                pairs = zip(timings.walls(a), timings.walls(b), strict=True)
                found[f"{a}/{b}"] = [round(x / y, 4) for x, y in pairs]
    return found


def print_report(bench: Bench, machine: dict[str, Any], found: dict[str, dict[str, float]]) -> None:
    """The setup, the table and the ratios, as Markdown-friendly text."""
    plan, info = bench.plan, bench.info
    print()
    print(f"machine: {machine_line(machine)}")
    print(
        f"source: {plan.source.name} ({info.width}x{info.height}, {info.duration:.1f} s), "
        f"rungs {', '.join(r.name for r in plan.rungs)}, preset {plan.preset}, "
        f"segment {plan.segment_duration:g} s, {bench.rounds} rounds"
    )
    headers = [
        "series",
        "median wall s",
        "wall s per run",
        "min wall s",
        "median CPU s",
        "others' CPU s",
        "segments MB",
    ]
    print_table(headers, table_rows(bench))
    per_round = round_ratios(bench.timings)
    for name, value in found["wall"].items():
        verdict = "meets" if value <= TARGET_RATIO else "misses"
        rounds = " ".join(f"{r:.3f}" for r in per_round[name])
        print(
            f"ratio {name:<24} median wall {value:.3f} ({verdict} target {TARGET_RATIO:.2f}); "
            f"per round {rounds}; median CPU {found['cpu'][name]:.3f}"
        )


def report(bench: Bench, machine: dict[str, Any]) -> None:
    """Print the table and ratios, and write the JSON results."""
    timings, plan = bench.timings, bench.plan
    found = {
        "wall": ratios(timings, timings.median),
        "min_wall": ratios(timings, timings.min_wall),
        "cpu": ratios(timings, timings.median_cpu),
    }
    print_report(bench, machine, found)
    payload = {
        "settings": {
            "source": str(plan.source),
            "rungs": [r.model_dump() for r in plan.rungs],
            "preset": plan.preset,
            "segment_duration": plan.segment_duration,
            "rounds": bench.rounds,
            "sides": bench.sides,
        },
        "median_wall": {k: round(timings.median(k), 3) for k in timings.samples},
        "median_cpu": {k: round(timings.median_cpu(k), 3) for k in timings.samples},
        "samples": {k: [asdict(s) for s in v] for k, v in timings.samples.items()},
        "busy_share_before_runs": bench.quiet,
        "ratios": {kind: {k: round(v, 4) for k, v in values.items()} for kind, values in found.items()},
        "wall_ratios_per_round": round_ratios(timings),
        "target_ratio": TARGET_RATIO,
        "outputs": bench.outputs,
    }
    name = f"{NAME}-{bench.tag}" if bench.tag else NAME
    print(f"results: {write_results(name, payload, machine)}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--source", type=Path, help="source video (default: cached 1080p 30 s footage)")
    add("--rounds", type=int, default=3, help="rounds, side order alternating (default 3)")
    add("--rungs", default=DEFAULT_RUNGS, help=f"default-ladder rungs (default {DEFAULT_RUNGS})")
    add("--preset", default="fast", help="x264 preset (default fast)")
    add("--segment", type=float, default=6.0, help="segment length in seconds (default 6)")
    add("--sides", default="app,per-rung", help=f"comma list of {', '.join(SIDES)} (default app,per-rung)")
    add("--quiet-share", type=float, default=0.15, help="before each run, wait until other processes use "
        "at most this share of the cores (default 0.15)")  # fmt: skip
    add("--quiet-timeout", type=float, default=300, help="longest wait for that, s (default 300; 0: no wait)")
    add("--tag", default="", help="write bench/results/transcode_vs_per_rung-TAG.json instead")
    args = parser.parse_args(argv)
    args.sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    if not args.sides or set(args.sides) - set(SIDES):
        parser.error(f"--sides takes a comma list of {', '.join(SIDES)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Prepare, run the alternating rounds, report."""
    args = parse_args(argv)
    source = prepare_source(args.source)
    toolchain = locate_toolchain()
    info = probe_file(toolchain.ffprobe, source)
    ladder = bench_ladder([n.strip() for n in args.rungs.split(",")])
    settings = EncodeSettings(preset=args.preset, segment_duration=args.segment, encoder="libx264")
    bench = Bench(
        plan=make_plan(info, ladder, settings, toolchain),
        info=info,
        ladder=ladder,
        settings=settings,
        toolchain=toolchain,
        sides=args.sides,
        rounds=args.rounds,
        quiet_share=args.quiet_share,
        quiet_timeout=args.quiet_timeout,
        tag=args.tag,
    )
    machine = machine_info()
    run_rounds(bench)
    report(bench, machine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
