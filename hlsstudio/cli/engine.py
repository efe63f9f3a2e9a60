"""Engine commands: ``doctor`` (FFmpeg and, with ``--destination``, the destination), ``probe``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hlsstudio.cli.common import toolchain_from_settings
from hlsstudio.cli.output import format_bytes, format_seconds, load_settings, print_json
from hlsstudio.core.errors import ConfigError, HlsStudioError, ProbeError, ToolchainError
from hlsstudio.core.models import EncodeSettings, MediaInfo
from hlsstudio.core.probe import probe_file
from hlsstudio.core.quality.metric import find_quality_tool
from hlsstudio.core.storage.config import destination_from_settings
from hlsstudio.core.storage.cors import (
    CorsVerdict,
    check_cors,
    configured_origins,
    evaluate,
    normalize_origins,
    set_cors,
)
from hlsstudio.core.toolchain import find_binary, platform_name, read_version
from hlsstudio.core.tracks.choices import JobTracks, TrackChoice
from hlsstudio.core.tracks.discover import discover_tracks

EXIT_USAGE = 2
EXIT_DESTINATION = 4
EXIT_CORS = 5
DOCTOR_EPILOG = (
    "exit status: 0 ready; 1 ffmpeg, ffprobe or the libx264 encoder is missing; 2 invalid --origin; "
    "with --destination also 4 the destination cannot be reached and 5 web players cannot load "
    "videos from it (its CORS rules are missing, incomplete or unreadable: --fix-cors sets them). "
    "When several apply, the lowest wins."
)


def register(sub: Any) -> None:
    """Add the engine sub-commands to the CLI parser."""
    doctor = sub.add_parser(
        "doctor",
        help="show which FFmpeg is used and what it can do (and whether the destination works)",
        epilog=DOCTOR_EPILOG,
    )
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.add_argument("--refresh", action="store_true", help="re-test capabilities (ignore the cache)")
    doctor.add_argument(
        "--destination",
        action="store_true",
        help="also check the configured destination: reachable, and whether web players may load "
        "videos from it (CORS)",
    )
    doctor.add_argument(
        "--fix-cors",
        action="store_true",
        help="check the destination (as --destination) and add the web player CORS rule when it "
        "is missing (other rules are kept), or print the JSON to paste into the storage dashboard "
        "when the store refuses; without it, a terminal is asked",
    )
    doctor.add_argument(
        "--origin",
        action="append",
        metavar="ORIGIN",
        help="the web page origin players run on, e.g. https://app.example.com (repeatable; "
        "default * = any site)",
    )
    doctor.set_defaults(handler=cmd_doctor)

    probe = sub.add_parser(
        "probe", help="show what ffprobe says about source files, and their audio and subtitle tracks"
    )
    probe.add_argument("files", nargs="+", type=Path, metavar="FILE")
    probe.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list, one object per file: info (what ffprobe says) and tracks (with the "
        "audio and subtitle files found beside it)",
    )
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
        tool = find_quality_tool(doc["ffmpeg"]["path"])
        doc["quality"] = {"metric": tool.metric, "ffmpeg": tool.ffmpeg, "note": tool.note}
        if not caps.encoders.get("libx264"):
            doc["missing"] = "libx264 encoder (required)"
            ok = False
    doc["ok"] = ok
    return doc, ok


def _offer_fix(args: argparse.Namespace) -> bool:
    if args.fix_cors:
        return True
    if args.json or not sys.stdin.isatty():
        return False
    answer = input("add a CORS rule so web players can load videos from the bucket? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _destination_doc(args: argparse.Namespace, origins: tuple[str, ...]) -> tuple[dict[str, Any], int]:
    """The destination's part of the report and its exit status (0, EXIT_DESTINATION, EXIT_CORS)."""
    doc: dict[str, Any] = {"reachable": False}
    try:
        destination = destination_from_settings(load_settings().destination)
        doc["description"] = destination.description
        doc["message"] = destination.check_access()
    except HlsStudioError as exc:
        doc["error"] = exc.message
        return doc, EXIT_DESTINATION
    doc["reachable"] = True
    verdict: CorsVerdict = check_cors(destination, origins)
    doc["cors"] = verdict.as_dict()
    if verdict.fixable and _offer_fix(args):
        try:
            fix = set_cors(destination, origins)
        except HlsStudioError as exc:
            doc["cors_fix"] = {"outcome": "failed", "message": exc.message, "paste": None}
            return doc, EXIT_CORS
        doc["cors_fix"] = fix.as_dict()
        if fix.applied:
            verdict = evaluate(fix.rules, origins)
            doc["cors"] = verdict.as_dict()
    return doc, 0 if verdict.usable else EXIT_CORS


def _print_destination(doc: dict[str, Any]) -> None:
    where = doc.get("description", "destination")
    if not doc["reachable"]:
        print(f"dest      {where}: NOT REACHABLE — {doc['error']}")
        return
    print(f"dest      {doc['message']}")
    cors = doc["cors"]
    print(f"players   {cors['message']}")
    for line in (*cors["problems"], *(f"note: {n}" for n in cors["notes"])):
        print(f"          {line}")
    fix = doc.get("cors_fix")
    if fix:
        print(f"CORS      {fix['message']}")
        if fix["paste"] is not None:
            print(json.dumps(fix["paste"], indent=2))


def cmd_doctor(args: argparse.Namespace) -> int:
    """Print what was found and what works; exit 1 when something required is missing, and with
    ``--destination`` 4 when the destination is unreachable, 5 when web players cannot load from it."""
    try:
        origins = normalize_origins(args.origin) if args.origin else None
    except ConfigError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    doc, ok = _doctor_doc(args.refresh)
    status = 0 if ok else 1
    if args.destination or args.fix_cors:
        origins = origins or configured_origins(load_settings().destination)
        doc["destination"], dest_status = _destination_doc(args, origins)
        status = status or dest_status
    if args.json:
        print_json(doc)
        return status
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
        print(f"quality   {doc['quality']['note']}")
    if "missing" in doc:
        print(f"MISSING   {doc['missing']}")
    if "destination" in doc:
        _print_destination(doc["destination"])
    verdicts = {
        0: "ready",
        1: "not ready: fix what is MISSING above",
        EXIT_DESTINATION: "not ready: the destination cannot be reached",
        EXIT_CORS: "not ready for web players: add the CORS rule (doctor --destination --fix-cors)",
    }
    print(f"status    {verdicts[status]}")
    return status


def _file_line(track: TrackChoice) -> str:
    language = track.language or "language unknown"
    flags = "".join(f", {word}" for word, on in (("forced", track.forced), ("SDH", track.sdh)) if on)
    return f"{track.describe()} beside the source, {language}{flags}"


def track_lines(info: MediaInfo, tracks: JobTracks) -> list[str]:
    """One line per audio track (codec, channels, language, what happens to it) and per subtitle
    track (codec, language, text or image), the files found beside the source included."""
    lines: list[str] = []
    for number, track in enumerate(tracks.audio, start=1):
        if track.origin != "embedded" or track.index is None:
            lines.append(f"  audio {number:<4} {_file_line(track)}")
            continue
        audio = info.audio_streams[track.index]
        lines.append(
            f"  audio {number:<4} {audio.codec}, {audio.channel_layout or f'{audio.channels} ch'}, "
            f"{audio.sample_rate or '?'} Hz"
            + (f", {audio.language}" if audio.language else "")
            + (" (default)" if audio.default else "")
            + (f": {track.note}" if track.note else "")
        )
    if not tracks.audio:
        lines.append("  audio      none")
    for number, track in enumerate(tracks.subtitles, start=1):
        if track.origin != "embedded" or track.index is None:
            lines.append(f"  subtitle {number:<2}{_file_line(track)}")
            continue
        stream = info.subtitle_streams[track.index]
        kind = "text" if track.usable else f"image: {track.note}"
        lines.append(f"  subtitle {number:<2}{stream.codec}, {stream.language or 'language unknown'}, {kind}")
    return lines


def summary_lines(info: MediaInfo, tracks: JobTracks | None = None) -> list[str]:
    """A readable multi-line summary of a probed source and its tracks (``tracks``: found from
    ``info`` and the files beside the source when not given)."""
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
    lines += track_lines(info, tracks if tracks is not None else discover_tracks(info, EncodeSettings()))
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
        tracks = discover_tracks(info, EncodeSettings())  # the default choice: every track listed
        doc = {"info": info.model_dump(mode="json"), "tracks": tracks.model_dump(mode="json")}
        results.append({"path": str(path), "ok": True, **doc})
        if not args.json:
            print(str(path))
            print("\n".join(summary_lines(info, tracks)))
    if args.json:
        print_json(results)
    return 1 if failed else 0
