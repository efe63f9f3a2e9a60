"""The validator's rules: RFC 8216 and Apple HLS authoring checks over gathered package facts.

Each rule is one function returning one ValidationCheck; a failed check names the first few
offending files or segments, never one entry per segment.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hlsstudio.core.hls.facts import PackageFacts, RenditionFacts
from hlsstudio.core.hls.master import playlist_name_for
from hlsstudio.core.hls.playlists import MediaPlaylist
from hlsstudio.core.hls.tsinfo import pts_difference
from hlsstudio.core.models import ValidationCheck

MAX_NAMED = 3
SEGMENT_OVERRUN = 0.5
DURATION_TOLERANCE_S = 0.5
DURATION_TOLERANCE_RATIO = 0.01
BANDWIDTH_TOLERANCE = 0.10
DEFAULT_ALIGNMENT_TOLERANCE = 0.020


@dataclass(frozen=True)
class CheckOptions:
    """What the caller expects of the package."""

    segment_duration: float
    expected_duration: float | None = None
    expected_variants: list[str] | None = None


Rule = Callable[[PackageFacts, CheckOptions], ValidationCheck]


def summarize(offenders: list[str]) -> str:
    """The first few offenders joined by '; ', with a count of the rest."""
    named = "; ".join(offenders[:MAX_NAMED])
    rest = len(offenders) - MAX_NAMED
    return f"{named}; and {rest} more" if rest > 0 else named


def _verdict(name: str, offenders: list[str], success: str) -> ValidationCheck:
    if offenders:
        return ValidationCheck(name=name, ok=False, message=summarize(offenders))
    return ValidationCheck(name=name, ok=True, message=success)


def _readable(facts: PackageFacts) -> list[tuple[RenditionFacts, MediaPlaylist]]:
    return [(r, r.playlist) for r in facts.renditions if r.playlist is not None]


def _master_unavailable(name: str, facts: PackageFacts) -> ValidationCheck:
    return ValidationCheck(name=name, ok=False, message=f"not checked: {facts.master_name} is unusable")


def check_master(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """The master playlist exists and parses as a master with at least one variant."""
    if facts.master is None:
        return ValidationCheck(name="master", ok=False, message=facts.master_problem or "no master playlist")
    count = len(facts.master.variants)
    return ValidationCheck(name="master", ok=True, message=f"{facts.master_name} lists {count} variant(s)")


def check_master_attributes(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """INDEPENDENT-SEGMENTS; per variant BANDWIDTH, AVERAGE-BANDWIDTH, CODECS, RESOLUTION, FRAME-RATE."""
    if facts.master is None:
        return _master_unavailable("master_attributes", facts)
    offenders: list[str] = []
    if not facts.master.independent_segments:
        offenders.append(f"{facts.master_name} lacks EXT-X-INDEPENDENT-SEGMENTS")
    for entry in facts.master.variants:
        present = {
            "BANDWIDTH": entry.bandwidth,
            "AVERAGE-BANDWIDTH": entry.average_bandwidth,
            "CODECS": entry.codecs,
            "RESOLUTION": entry.resolution,
            "FRAME-RATE": entry.frame_rate,
        }
        missing = [attribute for attribute, value in present.items() if value is None]
        if missing:
            offenders.append(f"{entry.uri} lacks {', '.join(missing)}")
    return _verdict("master_attributes", offenders, "all required master attributes present")


def check_variants(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """The master lists every expected variant."""
    if facts.master is None:
        return _master_unavailable("variants", facts)
    listed = {entry.uri for entry in facts.master.variants}
    stems = {uri.rsplit("/", 1)[-1].removesuffix(".m3u8") for uri in listed}
    missing = [
        name
        for name in options.expected_variants or []
        if playlist_name_for(name) not in listed and name not in stems
    ]
    offenders = [f"{name} is not listed in {facts.master_name}" for name in missing]
    return _verdict("variants", offenders, f"{len(listed)} variant(s) listed")


def check_playlists(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """Every variant playlist exists and parses as a media playlist with segments."""
    offenders: list[str] = []
    if not facts.renditions:
        offenders.append("no variant playlists found")
    for rendition in facts.renditions:
        if rendition.playlist is None:
            offenders.append(rendition.playlist_problem or f"{rendition.uri} cannot be read")
        elif not rendition.playlist.segments:
            offenders.append(f"{rendition.uri} lists no segments")
    return _verdict("playlists", offenders, f"{len(facts.renditions)} media playlist(s) readable")


def check_playlist_type(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """Every variant playlist declares EXT-X-PLAYLIST-TYPE:VOD."""
    offenders = [
        f"{r.uri} has EXT-X-PLAYLIST-TYPE {p.playlist_type or 'missing'} (expected VOD)"
        for r, p in _readable(facts)
        if p.playlist_type != "VOD"
    ]
    return _verdict("playlist_type", offenders, "every variant playlist is VOD")


def check_endlist(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """Every variant playlist ends with EXT-X-ENDLIST."""
    offenders = [f"{r.uri} lacks EXT-X-ENDLIST" for r, p in _readable(facts) if not p.endlist]
    return _verdict("endlist", offenders, "every variant playlist has EXT-X-ENDLIST")


def check_version(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """Floating-point EXTINF durations need EXT-X-VERSION 3 or higher (RFC 8216 section 7)."""
    offenders: list[str] = []
    for rendition, playlist in _readable(facts):
        fractional = any(s.duration != math.floor(s.duration) for s in playlist.segments)
        if fractional and (playlist.version or 1) < 3:
            offenders.append(
                f"{rendition.uri} has fractional EXTINF but EXT-X-VERSION {playlist.version or 'missing'}"
            )
    return _verdict("version", offenders, "EXT-X-VERSION fits the playlist features")


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def check_target_duration(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """EXT-X-TARGETDURATION is present and every EXTINF, rounded, is at most it."""
    offenders: list[str] = []
    for rendition, playlist in _readable(facts):
        target = playlist.target_duration
        if target is None:
            offenders.append(f"{rendition.uri} lacks EXT-X-TARGETDURATION")
            continue
        offenders += [
            f"{rendition.uri}: {s.uri} EXTINF {s.duration:g} s rounds above TARGETDURATION {target}"
            for s in playlist.segments
            if _round_half_up(s.duration) > target
        ]
    return _verdict("target_duration", offenders, "every EXTINF fits EXT-X-TARGETDURATION")


def check_segment_duration(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """No segment but the last is longer than the segment duration plus half a second."""
    limit = options.segment_duration + SEGMENT_OVERRUN
    offenders: list[str] = []
    for rendition, playlist in _readable(facts):
        offenders += [
            f"{rendition.uri}: {s.uri} lasts {s.duration:g} s (limit {limit:g} s)"
            for s in playlist.segments[:-1]
            if s.duration > limit
        ]
    return _verdict("segment_duration", offenders, f"segments last at most {limit:g} s")


def check_segment_files(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """Every referenced segment exists inside the package and is non-empty."""
    offenders = [
        f"{r.uri}: {s.uri} {s.file_problem}" for r in facts.renditions for s in r.segments if s.file_problem
    ]
    count = sum(len(r.segments) for r in facts.renditions)
    return _verdict("segment_files", offenders, f"{count} segment files present")


def check_keyframes(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """Every segment that exists is MPEG-TS with H.264 and starts with an IDR frame."""
    offenders: list[str] = []
    for rendition in facts.renditions:
        for segment in rendition.segments:
            if segment.read_problem:
                offenders.append(f"{rendition.uri}: {segment.read_problem}")
            elif segment.info is not None and segment.info.video_pid is None:
                offenders.append(f"{rendition.uri}: {segment.uri} has no H.264 video stream")
            elif segment.info is not None and not segment.info.starts_with_idr:
                offenders.append(f"{rendition.uri}: {segment.uri} does not start with an IDR keyframe")
    return _verdict("keyframes", offenders, "every segment starts with an IDR keyframe")


def _alignment_tolerance(facts: PackageFacts) -> float:
    rates = [e.frame_rate for e in facts.master.variants if e.frame_rate] if facts.master else []
    return 0.5 / max(rates) if rates else DEFAULT_ALIGNMENT_TOLERANCE


def check_alignment(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """Renditions have the same segment count and segment start PTS within half a frame."""
    renditions = [r for r, _ in _readable(facts) if r.segments]
    if len(renditions) < 2:
        return ValidationCheck(name="alignment", ok=True, message="one rendition: nothing to align")
    tolerance = _alignment_tolerance(facts)
    reference = renditions[0]
    offenders: list[str] = []
    for other in renditions[1:]:
        counts = (len(reference.segments), len(other.segments))
        if counts[0] != counts[1]:
            offenders.append(f"{reference.uri} has {counts[0]} segments, {other.uri} has {counts[1]}")
        pairs = zip(reference.segments, other.segments, strict=False)
        for index, (ref, seg) in enumerate(pairs):
            ref_pts = ref.info.video_pts if ref.info else None
            seg_pts = seg.info.video_pts if seg.info else None
            if ref_pts is None or seg_pts is None:
                continue
            gap = pts_difference(seg_pts, ref_pts)
            if abs(gap) > tolerance:
                offenders.append(f"segment {index}: {seg.uri} starts {gap * 1000:+.0f} ms from {ref.uri}")
    success = f"{len(renditions)} renditions aligned within {tolerance * 1000:.0f} ms"
    return _verdict("alignment", offenders, success)


def check_duration(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """Each variant's total EXTINF duration matches the expected duration (max(0.5 s, 1%))."""
    expected = options.expected_duration
    if expected is None:
        return ValidationCheck(name="duration", ok=True, message="no expected duration given")
    tolerance = max(DURATION_TOLERANCE_S, DURATION_TOLERANCE_RATIO * expected)
    offenders: list[str] = []
    for rendition, playlist in _readable(facts):
        total = playlist.duration
        if abs(total - expected) > tolerance:
            offenders.append(f"{rendition.uri} lasts {total:.3f} s, expected {expected:.3f} s")
    return _verdict("duration", offenders, f"every variant lasts {expected:.3f} s ± {tolerance:g} s")


def _off_by(declared: int, measured: int) -> float:
    return abs(declared - measured) / measured if measured > 0 else math.inf


def _bandwidth_offenders(rendition: RenditionFacts) -> Iterable[str]:
    entry = rendition.entry
    if entry is None:
        return
    rates = rendition.rates()
    if rates is None:
        missing = (
            rendition.sound.problem if rendition.sound and rendition.sound.problem else "segments missing"
        )
        yield f"{rendition.uri}: cannot measure ({missing})"
        return
    peak, average = rates
    for attribute, declared, measured in (
        ("BANDWIDTH", entry.bandwidth, peak),
        ("AVERAGE-BANDWIDTH", entry.average_bandwidth, average),
    ):
        if declared is not None and _off_by(declared, measured) > BANDWIDTH_TOLERANCE:
            yield f"{rendition.uri}: {attribute} {declared} but measured {measured}"


def check_bandwidth(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """Declared BANDWIDTH and AVERAGE-BANDWIDTH are within 10% of the rates measured on disk."""
    if facts.master is None:
        return _master_unavailable("bandwidth", facts)
    offenders = [text for r in facts.renditions for text in _bandwidth_offenders(r)]
    return _verdict("bandwidth", offenders, "declared bandwidths match the segments within 10%")


def _codec_set(codecs: str) -> set[str]:
    return {c.strip().lower() for c in codecs.split(",") if c.strip()}


def check_codecs(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """Declared CODECS name exactly the codecs found in each variant's first segment."""
    if facts.master is None:
        return _master_unavailable("codecs", facts)
    offenders: list[str] = []
    for rendition in facts.renditions:
        declared = rendition.entry.codecs if rendition.entry else None
        if declared is None or rendition.playlist is None:
            continue
        found = rendition.all_codecs()
        if found is None:
            problem = rendition.codecs_problem or (rendition.sound.problem if rendition.sound else None)
            offenders.append(f"{rendition.uri}: {problem or 'its audio codec cannot be read'}")
        elif _codec_set(declared) != _codec_set(found):
            offenders.append(f'{rendition.uri}: CODECS "{declared}" but segments hold "{found}"')
    return _verdict("codecs", offenders, "declared CODECS match the segments")


RULES: tuple[Rule, ...] = (
    check_master,
    check_master_attributes,
    check_variants,
    check_playlists,
    check_playlist_type,
    check_endlist,
    check_version,
    check_target_duration,
    check_segment_duration,
    check_segment_files,
    check_keyframes,
    check_alignment,
    check_duration,
    check_bandwidth,
    check_codecs,
)
