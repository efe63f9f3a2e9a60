"""Engine commands: ``doctor``, ``probe``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hlsstudio.cli.common import toolchain_from_settings
from hlsstudio.cli.output import format_bytes, format_seconds, load_settings, print_json
from hlsstudio.core.errors import ProbeError, ToolchainError
from hlsstudio.core.models import MediaInfo
from hlsstudio.core.probe import probe_file
from hlsstudio.core.toolchain import find_binary, platform_name, read_version


def register(sub: Any) -> None:
    """Add the engine sub-commands to the CLI parser."""
    doctor = sub.add_parser("doctor", help="show which FFmpeg is used and what it can do")
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.add_argument("--refresh", action="store_true", help="re-test capabilities (ignore the cache)")
    doctor.set_defaults(handler=cmd_doctor)

    probe = sub.add_parser("probe", help="show what ffprobe says about source files")
    probe.add_argument("files", nargs="+", type=Path, metavar="FILE")
    probe.add_argument("--json", action="store_true", help="print a JSON list, one object per file")
    probe.set_defaults(handler=cmd_probe)


def _doctor_doc(refresh: bool) -> tuple[dict[str, Any], bool]:
    settings = load_settings()
    doc: dict[str, Any] = {"platform": platform_name()}
    ok = True
    for name, explicit in (("ffmpeg", settings.ffmpeg_path), ("ffprobe", settings.ffprobe_path)):
        try:
            path, source = find_binary(name, explicit or None)
            doc[name] = {"found": True, "path": path, "source": source, "version": read_version(path)}
        except ToolchainError as exc:
            doc[name] = {"found": False, "error": exc.message}
            ok = False
    if ok:
        caps = toolchain_from_settings(refresh).capabilities
        doc["encoders"] = caps.encoders
        doc["filters"] = caps.filters
        doc["nvenc"] = {"usable": caps.nvenc_usable, "reason": caps.nvenc_reason}
        if not caps.encoders.get("libx264"):
            doc["missing"] = "libx264 encoder (required)"
            ok = False
    doc["ok"] = ok
    return doc, ok


def cmd_doctor(args: argparse.Namespace) -> int:
    """Print what was found and what works; exit 1 when something required is missing."""
    doc, ok = _doctor_doc(args.refresh)
    if args.json:
        print_json(doc)
        return 0 if ok else 1
    print(f"platform  {doc['platform']}")
    for name in ("ffmpeg", "ffprobe"):
        entry = doc[name]
        if entry["found"]:
            print(f"{name:9} {entry['version']}  {entry['path']}  (from {entry['source']})")
        else:
            print(f"{name:9} MISSING — {entry['error']}")
    if "encoders" in doc:
        yes_no = {True: "yes", False: "no"}
        print("encoders  " + ", ".join(f"{k} {yes_no[v]}" for k, v in doc["encoders"].items()))
        print("filters   " + ", ".join(f"{k} {yes_no[v]}" for k, v in doc["filters"].items()))
        nvenc = doc["nvenc"]
        print("NVENC     " + ("usable" if nvenc["usable"] else f"not usable: {nvenc['reason']}"))
    if "missing" in doc:
        print(f"MISSING   {doc['missing']}")
    print("status    " + ("ready" if ok else "not ready: fix what is MISSING above"))
    return 0 if ok else 1


def summary_lines(info: MediaInfo) -> list[str]:
    """A readable multi-line summary of a probed source."""
    video = f"{info.video_codec}" + (f" ({info.profile})" if info.profile else "")
    lines = [
        f"  container  {info.container}, {format_seconds(info.duration)} ({info.duration:.2f} s), "
        f"{format_bytes(info.size)}" + (f", {info.bit_rate // 1000} kb/s" if info.bit_rate else ""),
        f"  video      {video}, {info.width}x{info.height}"
        + (f" (coded {info.coded_width}x{info.coded_height})" if info.rotation else "")
        + f", {info.fps:g} fps{' VFR' if info.vfr else ''}, {info.pix_fmt or '?'} {info.bit_depth}-bit"
        + (" HDR" if info.hdr else "")
        + (" interlaced" if info.interlaced else "")
        + (f", rotated {info.rotation}°" if info.rotation else ""),
    ]
    if info.audio_streams:
        for i, audio in enumerate(info.audio_streams):
            lines.append(
                f"  audio {i + 1:<4} {audio.codec}, {audio.channel_layout or f'{audio.channels} ch'}, "
                f"{audio.sample_rate or '?'} Hz"
                + (f", {audio.language}" if audio.language else "")
                + (" (default)" if audio.default else "")
            )
    else:
        lines.append("  audio      none")
    if info.subtitle_streams:
        langs = ", ".join(s.language or s.codec for s in info.subtitle_streams)
        lines.append(f"  subtitles  {langs}")
    lines += [f"  warning    {w}" for w in info.warnings]
    return lines


def cmd_probe(args: argparse.Namespace) -> int:
    """Probe each file; a summary per file (or a JSON list); exit 1 if any failed."""
    ffprobe, _ = find_binary("ffprobe", load_settings().ffprobe_path or None)
    results: list[dict[str, Any]] = []
    failed = False
    for path in args.files:
        try:
            info = probe_file(ffprobe, path)
        except ProbeError as exc:
            failed = True
            results.append({"path": str(path), "ok": False, "error": exc.message})
            print(f"{path}: {exc.message}", file=sys.stderr)
            if args.verbose and exc.detail:
                print(exc.detail, file=sys.stderr)
            continue
        results.append({"path": str(path), "ok": True, "info": info.model_dump(mode="json")})
        if not args.json:
            print(str(path))
            print("\n".join(summary_lines(info)))
    if args.json:
        print_json(results)
    return 1 if failed else 0
