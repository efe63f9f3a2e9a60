"""The conformance report: the validator's findings as rules a content person can read.

Each rule says in plain words what a package needs, where that comes from (the section of Apple's
HLS Authoring Specification for Apple Devices, an RFC 8216 section, or the player it protects), how
strong it is (MUST / SHOULD) and what to do when the package falls short. A rule is judged on one or
more checks: the validator's own (``checks``) and the conformance-only ones (``mobile_checks``).

A MUST rule that fails blocks publishing (``ConformanceReport.blocks_publishing``) unless the job was
allowed to publish anyway (``allow_anyway``). Rules HLS Studio's own packages cannot all meet yet are
listed in ``NOT_YET_WRITTEN``: the pipeline reports their failure as a warning, so they do not block
publishing until they can.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hlsstudio.core.conformance import ConformanceFinding, ConformanceReport, Strength
from hlsstudio.core.errors import NonconformantPackage
from hlsstudio.core.models import ValidationCheck

SPEC = "HLS Authoring Spec"
ENCODE_AGAIN = "Encode the video again; if this stays, the Validation tab names the file at fault."
MARKS = {"pass": "✓", "warn": "⚠", "fail": "✗"}


@dataclass(frozen=True)
class Rule:
    """One rule: its stable name, what it asks in plain words, its source and strength, the checks it
    is judged on, and what to do when the package does not meet it."""

    name: str
    asks: str
    source: str
    strength: Strength
    checks: tuple[str, ...]
    fix: str = ENCODE_AGAIN


RULES: tuple[Rule, ...] = (
    Rule("master-playlist", "A master playlist lists every rung", "RFC 8216 4.3.4", "must",
         ("master", "variants")),
    Rule("media-playlists", "Every rung's playlist opens and every segment it lists is in the package",
         "RFC 8216 (every player)", "must", ("playlists", "segment_files"),
         "Encode the video again and keep the package folder whole (copy every file of it)."),
    Rule("playlist-type-vod", "Every rung's playlist says it is video on demand (EXT-X-PLAYLIST-TYPE:VOD)",
         f"{SPEC} 8.6", "must", ("playlist_type",)),
    Rule("endlist", "Every rung's playlist ends with EXT-X-ENDLIST, so players know the video is complete",
         "RFC 8216 4.3.3.4", "must", ("endlist",)),
    Rule("version", "Each playlist's EXT-X-VERSION allows the features it uses", "RFC 8216 7", "must",
         ("version",)),
    Rule("target-duration", "No segment is longer than its playlist's EXT-X-TARGETDURATION",
         "RFC 8216 4.3.3.1", "must", ("target_duration",)),
    Rule("segment-duration", "No segment runs more than half a second past the segment length",
         f"{SPEC} 7.7", "must", ("segment_duration",)),
    Rule("keyframes", "Every segment starts with a keyframe (IDR)", f"{SPEC} 7.4", "must", ("keyframes",)),
    Rule("keyframe-alignment", "All rungs' segments start at the same moments, so players switch cleanly",
         f"{SPEC} 8.22 (MUST on AirPlay 2 TVs) · hls.js, Media3", "must", ("alignment",)),
    Rule("same-duration", "Every rung lasts as long as the video", f"{SPEC} 8.7", "must", ("duration",),
         "Check that the source video plays to its end, then encode it again."),
    Rule("codecs", "Every rung declares CODECS, and they match the picture and sound inside",
         f"{SPEC} 9.1", "must", ("codecs_declared", "codecs")),
    Rule("resolution", "Every rung declares its RESOLUTION", f"{SPEC} 9.2", "must", ("resolution_declared",)),
    Rule("frame-rate", "Every rung declares its FRAME-RATE", f"{SPEC} 9.15", "must",
         ("frame_rate_declared",)),
    Rule("peak-bandwidth", "Each rung's BANDWIDTH is within 10 % of its measured peak bitrate",
         f"{SPEC} 1.27, 9.13", "must", ("peak_bandwidth",)),
    Rule("average-bandwidth", "Each rung declares AVERAGE-BANDWIDTH, within 10 % of its measured average",
         f"{SPEC} 9.14, 1.26", "must", ("average_bandwidth_declared", "average_bandwidth")),
    Rule("peak-to-average", "No rung peaks above twice its average bitrate", f"{SPEC} 1.30", "should",
         ("peak_to_average",),
         "Usually harmless for video on demand; a longer segment length in Settings evens the rate out."),
    Rule("independent-segments", "The master says every segment starts with a keyframe "
         "(EXT-X-INDEPENDENT-SEGMENTS)", f"{SPEC} 9.11", "should", ("independent_segments",)),
    Rule("video-range", "Every rung declares VIDEO-RANGE (SDR, PQ or HLG)",
         f"{SPEC} 9.16 (MUST for HDR)", "should", ("video_range",),
         "Encode the video again: HLS Studio declares VIDEO-RANGE=SDR (players take a picture without "
         "it for SDR, which HLS Studio's H.264 is)."),
    Rule("closed-captions", "Every rung says whether it carries closed captions (CLOSED-CAPTIONS=NONE, "
         "or a caption group declared with its language)", f"{SPEC} 4.4 · RFC 8216 4.3.4.2 · Media3",
         "should", ("closed_captions",),
         "If the video has closed captions (CC), some players will not offer them: HLS Studio does not "
         "declare them yet. Otherwise encode the video again (without the attribute, Android players "
         "may offer an empty captions track)."),
    Rule("no-audio-only", "No rung is sound without picture",
         f"{SPEC} 9.20 (tvOS) · hls.js and Media3 drop such rungs", "must", ("no_audio_only",),
         "Remove the sound-only entries from master.m3u8, or encode the video again with HLS Studio."),
    Rule("first-variant-lowest", "The smallest rung is listed first, so playback starts fast on slow "
         "connections", "hls.js, Safari (start on the first rung listed)", "should", ("first_lowest",),
         "Encode the video again: HLS Studio lists the smallest rung first."),
    Rule("cellular-variant", "A rung of at most 192 kb/s, sound included, for phones on cellular networks",
         f"{SPEC} 9.21 (iOS)", "must", ("cellular",),
         "Turn on the cellular rung in the Ladder tab, or lower its bitrates until it stays at or under "
         "192 kb/s with its sound; then encode the video again."),
    Rule("iframe-playlists", "The master lists I-frame playlists (for fast-forward and seek previews), each "
         "with BANDWIDTH, CODECS, RESOLUTION and URI", f"{SPEC} 6.1, 9.3, 9.4", "must",
         ("iframe_streams",),
         "Encode the video again with an HLS Studio that writes I-frame playlists."),
    Rule("iframe-playlist-contents", "Each I-frame playlist says EXT-X-I-FRAMES-ONLY and points at keyframes "
         "inside the segment files", f"{SPEC} 6.8 · RFC 8216 4.3.2.2", "must", ("iframe_playlists",)),
    Rule("storyboard", "Seek-bar previews: thumbnails.vtt points at tiles of sprite sheets in the package",
         "Shaka, Video.js, JW Player (seek-bar previews)", "should", ("storyboard",),
         "Turn on the storyboard (seek-bar previews) in Settings, then encode the video again."),
    Rule("subtitle-renditions", "Every subtitle track listed in the master is in the package, in step "
         "with the video, with the timestamp map that lines its cues up with the picture, and a valid "
         "language tag",
         "HLS Authoring Spec 5.3 (WebVTT) · RFC 8216 3.5, 4.3.4.1 · hls.js, Media3", "must", ("subtitles",),
         "Encode the video again; if a subtitle file is at fault, fix or remove it first."),
    Rule("audio-renditions", "Every audio track listed in the master is in the package, lasts as long as "
         "the video, starts its segments where the video's start, and every audio group offers the same "
         "languages with one default, a language tag and a channel count",
         f"{SPEC} 8.10, 9.7 · RFC 8216 4.3.4.1 · Media3 (androidx/media #1043)", "must", ("audio",),
         "Encode the video again; if an audio file is at fault, fix or remove it first."),
)  # fmt: skip

NOT_YET_WRITTEN: dict[str, str] = {}
"""Rules the pipeline does not enforce on its own packages yet (rule -> why): their failure is
reported as a warning. Remove an entry once every package HLS Studio makes can meet the rule."""


def _finding(rule: Rule, found: list[ValidationCheck], pending: Mapping[str, str]) -> ConformanceFinding:
    failed = [c for c in found if not c.ok]
    detail = "; ".join(c.message for c in (failed or found) if c.message)
    message = f"{rule.asks}: {detail}" if detail else rule.asks
    if not failed:
        return ConformanceFinding(
            rule=rule.name, source=rule.source, strength=rule.strength, verdict="pass", message=message
        )
    verdict = "fail" if rule.strength == "must" else "warn"
    if verdict == "fail" and rule.name in pending:
        verdict, message = "warn", f"{message} (not blocking publishing yet: {pending[rule.name]})"
    return ConformanceFinding(
        rule=rule.name, source=rule.source, strength=rule.strength, verdict=verdict, message=message,
        fix=rule.fix,
    )  # fmt: skip


def build_report(
    checks: Sequence[ValidationCheck], *, pending: Mapping[str, str] | None = None
) -> ConformanceReport:
    """The conformance report of a package from its checks (validator's and conformance-only).

    ``pending``: rules whose failure is only a warning (rule -> why); None: ``NOT_YET_WRITTEN``.
    A rule none of whose checks was made is left out.
    """
    pending = NOT_YET_WRITTEN if pending is None else pending
    by_name = {check.name: check for check in checks}
    findings = []
    for rule in RULES:
        found = [by_name[name] for name in rule.checks if name in by_name]
        if found:
            findings.append(_finding(rule, found, pending))
    return ConformanceReport(findings=findings)


def allow_anyway(report: ConformanceReport, allowed: bool) -> ConformanceReport:
    """The report marked ``overridden`` when publishing despite failed MUST rules is ``allowed``."""
    if allowed and report.must_failures:
        return report.model_copy(update={"overridden": True})
    return report


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(report: ConformanceReport) -> str:
    """'23 passed, 1 warning, 0 failed' (and ', publishing allowed anyway' when overridden)."""
    verdicts = [f.verdict for f in report.findings]
    text = (
        f"{verdicts.count('pass')} passed, {_plural(verdicts.count('warn'), 'warning')}, "
        f"{verdicts.count('fail')} failed"
    )
    return f"{text}, publishing allowed anyway" if report.overridden else text


def finding_lines(finding: ConformanceFinding) -> list[str]:
    """A finding as text: '✗ what the rule asks: the verdict', its source and strength, what to do."""
    lines = [
        f"{MARKS[finding.verdict]} {finding.message}",
        f"    {finding.strength.upper()} · {finding.source}",
    ]
    if finding.fix:
        lines.append(f"    What to do: {finding.fix}")
    return lines


def _asks(finding: ConformanceFinding) -> str:
    """What the finding's rule asks, starting lower case (to go inside a sentence)."""
    asks = next((r.asks for r in RULES if r.name == finding.rule), finding.rule)
    return asks[:1].lower() + asks[1:]


def publish_refusal(report: ConformanceReport) -> NonconformantPackage:
    """The error a job ends with when its package is not published because MUST rules fail."""
    failures = report.must_failures
    message = (
        f"not published: the package breaks {_plural(len(failures), 'rule')} players need "
        f"(first: {_asks(failures[0])}); see Details ▸ Conformance, or allow publishing "
        "anyway in Settings"
    )
    detail = "\n".join(line for finding in failures for line in finding_lines(finding))
    return NonconformantPackage(message, detail)
