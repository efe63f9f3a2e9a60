"""Conformance checks beyond the validator: what phones, TVs and web players need of a package.

These never fail a job (the validator's ``checks`` do that); they feed the conformance report
(``report``): one ValidationCheck each, named after the rule it judges. The master playlist is read a
second time with the ``m3u8`` parser for the attributes the validator does not keep (VIDEO-RANGE,
CLOSED-CAPTIONS, the I-frame playlists); sizes, rates and segment starts come from the package facts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import m3u8

from hlsstudio.core import layout
from hlsstudio.core.hls.checks import summarize
from hlsstudio.core.hls.facts import PackageFacts, RenditionFacts
from hlsstudio.core.hls.playlists import is_local_uri, resolve_uri
from hlsstudio.core.hls.storyboard_check import check_storyboard
from hlsstudio.core.hls.subtitle_check import check_subtitles
from hlsstudio.core.models import ValidationCheck

CELLULAR_PEAK = 192_000
"""HLS Authoring Spec 9.21 (iOS): a variant whose peak BANDWIDTH is at most this, in bit/s."""
RATE_TOLERANCE = 0.10
PEAK_TO_AVERAGE = 2.0
TS_PACKET = 188
TS_SYNC = 0x47
IFRAMES_VERSION = 4
"""RFC 8216 section 7: EXT-X-I-FRAMES-ONLY and EXT-X-BYTERANGE need EXT-X-VERSION 4."""
VIDEO_RANGES = ("SDR", "PQ", "HLG")
VIDEO_CODECS = ("avc1", "avc3", "hvc1", "hev1", "dvh1", "dvhe", "av01")
_BYTERANGE = re.compile(r"^\s*(?P<length>\d+)(?:@(?P<offset>\d+))?\s*$")


@dataclass(frozen=True)
class IFrameEntry:
    """One EXT-X-I-FRAME-STREAM-INF of the master; attributes missing from the tag are None."""

    uri: str | None
    bandwidth: int | None
    codecs: str | None
    resolution: tuple[int, int] | None


@dataclass
class MasterExtras:
    """What the conformance checks read from the master besides the validator's facts."""

    video_ranges: dict[str, str | None] = field(default_factory=dict)
    closed_captions: dict[str, str | None] = field(default_factory=dict)
    caption_groups: set[str] = field(default_factory=set)
    """GROUP-IDs of EXT-X-MEDIA TYPE=CLOSED-CAPTIONS tags that carry a LANGUAGE."""
    iframes: list[IFrameEntry] = field(default_factory=list)


def _read(path: Path) -> Any | None:
    try:
        return m3u8.loads(path.read_text(encoding="utf-8"))
    except Exception:  # unreadable or unparseable: the validator already says so
        return None


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def gather_extras(facts: PackageFacts) -> MasterExtras:
    """Read the master's VIDEO-RANGE, CLOSED-CAPTIONS and I-frame entries (never raises)."""
    extras = MasterExtras()
    parsed = _read(facts.package_dir / facts.master_name) if facts.master is not None else None
    if parsed is None:
        return extras
    for variant in parsed.playlists:
        info = variant.stream_info
        extras.video_ranges[str(variant.uri)] = info.video_range
        extras.closed_captions[str(variant.uri)] = info.closed_captions
    extras.caption_groups = {
        str(m.group_id).strip('"') for m in parsed.media if m.type == "CLOSED-CAPTIONS" and m.language
    }
    for entry in parsed.iframe_playlists:
        info = entry.iframe_stream_info
        size = info.resolution
        extras.iframes.append(
            IFrameEntry(
                uri=str(entry.uri) if entry.uri else None,
                bandwidth=_int(info.bandwidth),
                codecs=str(info.codecs) if info.codecs else None,
                resolution=(int(size[0]), int(size[1])) if size else None,
            )
        )
    return extras


def _check(name: str, offenders: list[str], success: str) -> ValidationCheck:
    if offenders:
        return ValidationCheck(name=name, ok=False, message=summarize(offenders))
    return ValidationCheck(name=name, ok=True, message=success)


def _no_master(name: str, facts: PackageFacts) -> ValidationCheck:
    return ValidationCheck(name=name, ok=False, message=f"not checked: {facts.master_name} is unusable")


def _kbps(bits: int) -> str:
    return f"{math.ceil(bits / 1000)} kb/s"


def _rates(rendition: RenditionFacts) -> tuple[int, int] | None:
    """(measured peak, average) bit/s of a variant with its sound, or None when a segment is missing."""
    return rendition.rates()


def _is_video(codecs: str | None, resolution: tuple[int, int] | None) -> bool:
    if codecs is None:
        return resolution is not None
    return any(c.strip().lower().startswith(VIDEO_CODECS) for c in codecs.split(","))


def check_declared(facts: PackageFacts, attribute: str, name: str) -> ValidationCheck:
    """Every variant's EXT-X-STREAM-INF carries ``attribute`` (RESOLUTION and FRAME-RATE: video only)."""
    if facts.master is None:
        return _no_master(name, facts)
    field_of = {
        "CODECS": "codecs",
        "RESOLUTION": "resolution",
        "FRAME-RATE": "frame_rate",
        "AVERAGE-BANDWIDTH": "average_bandwidth",
    }[attribute]
    video_only = attribute in ("RESOLUTION", "FRAME-RATE")
    offenders = [
        f"{e.uri} has no {attribute}"
        for e in facts.master.variants
        if getattr(e, field_of) is None and not (video_only and not _is_video(e.codecs, e.resolution))
    ]
    return _check(name, offenders, f"every variant declares {attribute}")


Judge = Callable[[RenditionFacts, int, int], str | None]
"""(variant, measured peak, measured average) -> what is wrong, or None."""


def _measured(facts: PackageFacts, name: str, judge: Judge, success: str) -> ValidationCheck:
    if facts.master is None:
        return _no_master(name, facts)
    offenders: list[str] = []
    for rendition in facts.renditions:
        rates = _rates(rendition)
        if rates is None:
            offenders.append(f"{rendition.uri}: cannot be measured (segments missing)")
        elif (problem := judge(rendition, *rates)) is not None:
            offenders.append(problem)
    return _check(name, offenders, success)


def _off(declared: int, measured: int) -> bool:
    return measured <= 0 or abs(declared - measured) / measured > RATE_TOLERANCE


def check_peak_bandwidth(facts: PackageFacts) -> ValidationCheck:
    """Each BANDWIDTH is within 10 % of the peak segment rate measured on disk."""

    def pick(r: RenditionFacts, peak: int, average: int) -> str | None:
        declared = r.entry.bandwidth if r.entry else None
        if declared is None:
            return f"{r.uri} has no BANDWIDTH"
        return f"{r.uri} says {_kbps(declared)}, measured {_kbps(peak)}" if _off(declared, peak) else None

    return _measured(facts, "peak_bandwidth", pick, "every BANDWIDTH is within 10 % of the measured peak")


def check_average_bandwidth(facts: PackageFacts) -> ValidationCheck:
    """Each AVERAGE-BANDWIDTH is within 10 % of the average rate measured on disk."""

    def pick(r: RenditionFacts, peak: int, average: int) -> str | None:
        declared = r.entry.average_bandwidth if r.entry else None
        if declared is None:
            return None  # its absence is the 'average_bandwidth_declared' check
        return (
            f"{r.uri} says {_kbps(declared)}, measured {_kbps(average)}" if _off(declared, average) else None
        )

    success = "every AVERAGE-BANDWIDTH is within 10 % of the measured average"
    return _measured(facts, "average_bandwidth", pick, success)


def check_peak_to_average(facts: PackageFacts) -> ValidationCheck:
    """The measured peak of each variant is at most twice its measured average."""

    def pick(r: RenditionFacts, peak: int, average: int) -> str | None:
        if average > 0 and peak <= PEAK_TO_AVERAGE * average:
            return None
        return f"{r.uri} peaks at {_kbps(peak)}, {peak / max(average, 1):.1f}× its {_kbps(average)} average"

    return _measured(facts, "peak_to_average", pick, "no variant peaks above twice its average")


def check_independent_segments(facts: PackageFacts) -> ValidationCheck:
    """The master says EXT-X-INDEPENDENT-SEGMENTS (every segment starts with a keyframe)."""
    if facts.master is None:
        return _no_master("independent_segments", facts)
    offenders = [] if facts.master.independent_segments else [f"{facts.master_name} does not say it"]
    return _check("independent_segments", offenders, f"{facts.master_name} says EXT-X-INDEPENDENT-SEGMENTS")


def check_video_range(facts: PackageFacts, extras: MasterExtras) -> ValidationCheck:
    """Every variant declares VIDEO-RANGE as SDR, PQ or HLG."""
    if facts.master is None:
        return _no_master("video_range", facts)
    offenders = [
        f"{uri} has {'no VIDEO-RANGE' if value is None else f'VIDEO-RANGE={value}'}"
        for uri, value in extras.video_ranges.items()
        if value not in VIDEO_RANGES
    ]
    return _check("video_range", offenders, "every variant declares VIDEO-RANGE")


def check_closed_captions(facts: PackageFacts, extras: MasterExtras) -> ValidationCheck:
    """Every variant says CLOSED-CAPTIONS=NONE, or names a caption group declared with a LANGUAGE."""
    if facts.master is None:
        return _no_master("closed_captions", facts)
    offenders: list[str] = []
    for uri, value in extras.closed_captions.items():
        if value is None:
            offenders.append(f"{uri} has no CLOSED-CAPTIONS")
        elif value != "NONE" and value.strip('"') not in extras.caption_groups:
            offenders.append(f"{uri}: caption group {value} is not declared with a LANGUAGE")
    return _check("closed_captions", offenders, "every variant says whether it carries closed captions")


def check_no_audio_only(facts: PackageFacts) -> ValidationCheck:
    """No variant of the master is sound without picture."""
    if facts.master is None:
        return _no_master("no_audio_only", facts)
    offenders = [
        f"{e.uri} has no video ({e.codecs or 'no CODECS'})"
        for e in facts.master.variants
        if not _is_video(e.codecs, e.resolution)
    ]
    return _check("no_audio_only", offenders, "every variant has picture and sound")


def check_first_lowest(facts: PackageFacts) -> ValidationCheck:
    """The first variant listed has the lowest BANDWIDTH."""
    if facts.master is None or not facts.master.variants:
        return _no_master("first_lowest", facts)
    first = facts.master.variants[0]
    rates = [e.bandwidth for e in facts.master.variants if e.bandwidth is not None]
    if first.bandwidth is not None and first.bandwidth <= min(rates):
        return ValidationCheck(name="first_lowest", ok=True, message=f"{first.uri} is listed first")
    lowest = min(facts.master.variants, key=lambda e: e.bandwidth if e.bandwidth is not None else math.inf)
    return ValidationCheck(name="first_lowest", ok=False, message=f"{first.uri} is first, not {lowest.uri}")


def check_cellular(facts: PackageFacts) -> ValidationCheck:
    """A variant peaks at 192 kb/s or less, sound included (declared BANDWIDTH, else measured)."""
    if facts.master is None:
        return _no_master("cellular", facts)
    peaks: list[tuple[int, str]] = []
    for rendition in facts.renditions:
        declared = rendition.entry.bandwidth if rendition.entry else None
        rates = _rates(rendition)
        peak = declared if declared is not None else (rates[0] if rates else None)
        if peak is not None:
            peaks.append((peak, rendition.uri))
    if not peaks:
        return ValidationCheck(name="cellular", ok=False, message="no variant has a known peak rate")
    peak, uri = min(peaks)
    limit = _kbps(CELLULAR_PEAK)
    if peak <= CELLULAR_PEAK:
        return ValidationCheck(
            name="cellular", ok=True, message=f"{uri} peaks at {_kbps(peak)} (limit {limit})"
        )
    return ValidationCheck(
        name="cellular", ok=False, message=f"the lowest, {uri}, peaks at {_kbps(peak)} (limit {limit})"
    )


def check_iframe_streams(facts: PackageFacts, extras: MasterExtras) -> ValidationCheck:
    """The master lists I-frame playlists with BANDWIDTH, CODECS, RESOLUTION and URI, and every
    ``iframes_*.m3u8`` in the package is one of them."""
    if facts.master is None:
        return _no_master("iframe_streams", facts)
    if not extras.iframes:
        return ValidationCheck(name="iframe_streams", ok=False, message=f"{facts.master_name} lists none")
    offenders: list[str] = []
    for number, entry in enumerate(extras.iframes, 1):
        present = {"BANDWIDTH": entry.bandwidth, "CODECS": entry.codecs, "RESOLUTION": entry.resolution}
        missing = [attribute for attribute, value in present.items() if value is None]
        label = entry.uri or f"I-frame entry {number}"
        if entry.uri is None:
            missing.append("URI")
        if missing:
            offenders.append(f"{label} lacks {', '.join(missing)}")
    listed = {e.uri for e in extras.iframes}
    folder = sorted(p.name for p in facts.package_dir.iterdir() if layout.variant_of_iframe_playlist(p.name))
    offenders += [f"{name} is not listed in {facts.master_name}" for name in folder if name not in listed]
    return _check("iframe_streams", offenders, f"{len(extras.iframes)} I-frame playlist(s) listed")


def _ts_start(path: Path, offset: int) -> bool:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read(1) == bytes([TS_SYNC])


def _range_problem(playlist: Path, target: str, offset: int, end: int) -> str | None:
    """What is wrong with bytes ``offset``..``end`` of ``target`` as one I-frame, or None."""
    path = resolve_uri(playlist, target)
    if not is_local_uri(target) or not path.is_file():
        return f"{target} is missing"
    if end > path.stat().st_size:
        return f"bytes {offset}-{end} run past the end of {target}"
    if offset % TS_PACKET or not _ts_start(path, offset):
        return f"the range at byte {offset} of {target} does not start a TS packet"
    return None


def _iframe_playlist_offenders(package: Path, uri: str) -> list[str]:
    if not is_local_uri(uri):
        return [f"{uri} is outside the package"]
    parsed = _read(package / uri)
    if parsed is None or parsed.is_variant:
        return [f"{uri} is missing or not a media playlist"]
    problems: list[str] = []
    if not parsed.is_i_frames_only:
        problems.append(f"{uri} lacks EXT-X-I-FRAMES-ONLY")
    if (_int(parsed.version) or 1) < IFRAMES_VERSION:
        problems.append(f"{uri} has EXT-X-VERSION {parsed.version or 'missing'} (needs {IFRAMES_VERSION})")
    if not parsed.segments:
        problems.append(f"{uri} lists no I-frames")
    previous: tuple[str, int] | None = None  # RFC 8216 4.3.2.2: no offset goes on from the last range
    for segment in parsed.segments:
        target = str(segment.uri)
        match = _BYTERANGE.match(str(segment.byterange or ""))
        if match is None:
            problems.append(f"{uri}: {target} has no EXT-X-BYTERANGE")
            previous = None
            continue
        if match["offset"] is not None:
            offset = int(match["offset"])
        elif previous is not None and previous[0] == target:
            offset = previous[1]
        else:
            problems.append(f"{uri}: a range of {target} has no offset")
            continue
        end = offset + int(match["length"])
        previous = (target, end)
        if (problem := _range_problem(package / uri, target, offset, end)) is not None:
            problems.append(f"{uri}: {problem}")
    return problems


def check_iframe_playlists(facts: PackageFacts, extras: MasterExtras) -> ValidationCheck:
    """Each listed I-frame playlist says EXT-X-I-FRAMES-ONLY, and each I-frame is a byte range that
    starts a TS packet inside an existing segment file."""
    uris = [e.uri for e in extras.iframes if e.uri]
    offenders = [text for uri in uris for text in _iframe_playlist_offenders(facts.package_dir, uri)]
    success = f"{len(uris)} I-frame playlist(s) point into the segments" if uris else "none to check"
    return _check("iframe_playlists", offenders, success)


def mobile_checks(facts: PackageFacts) -> list[ValidationCheck]:
    """Every conformance check that the validator does not make, in a fixed order."""
    extras = gather_extras(facts)
    return [
        check_declared(facts, "CODECS", "codecs_declared"),
        check_declared(facts, "RESOLUTION", "resolution_declared"),
        check_declared(facts, "FRAME-RATE", "frame_rate_declared"),
        check_declared(facts, "AVERAGE-BANDWIDTH", "average_bandwidth_declared"),
        check_peak_bandwidth(facts),
        check_average_bandwidth(facts),
        check_peak_to_average(facts),
        check_independent_segments(facts),
        check_video_range(facts, extras),
        check_closed_captions(facts, extras),
        check_no_audio_only(facts),
        check_first_lowest(facts),
        check_cellular(facts),
        check_iframe_streams(facts, extras),
        check_iframe_playlists(facts, extras),
        check_storyboard(facts.package_dir),
        check_subtitles(facts.package_dir, facts.master_name),
    ]
