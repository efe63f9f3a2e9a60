"""The audio renditions' check: every ``EXT-X-MEDIA TYPE=AUDIO`` of the master has its playlist in the
package, lasts as long as the video and cuts its segments where the video does; every group a
variant names exists and every group is named by a variant; the groups offer the same languages
(a viewer keeps theirs when the player changes rung); one default per group; valid language tags and
a CHANNELS count (Media3 and Apple's players read both).
"""

from __future__ import annotations

import itertools
import re

from hlsstudio.core.hls.checks import CheckOptions, summarize
from hlsstudio.core.hls.facts import PackageFacts
from hlsstudio.core.hls.playlists import MediaEntry, PlaylistError, is_local_uri, read_media_playlist
from hlsstudio.core.models import ValidationCheck

NAME = "audio"
BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
BOUNDARY_TOLERANCE = 0.1  # s: an AAC frame is 21 ms; a boundary further off is a different cut
DURATION_TOLERANCE = 0.5  # s
LAST_SLIVER = 0.25  # s: cuts this close to the end are not compared


def _boundaries(durations: list[float]) -> list[float]:
    return list(itertools.accumulate(durations))


def _timing_problems(uri: str, audio: list[float], video: list[float] | None) -> list[str]:
    if video is None:
        return []
    problems: list[str] = []
    if sum(audio) < sum(video) - DURATION_TOLERANCE:
        problems.append(f"{uri} lasts {sum(audio):.2f} s, the video {sum(video):.2f} s")
    # a last sliver of either (one video frame past the sound's end) is not a cut to line up with
    end = min(sum(audio), sum(video)) - LAST_SLIVER
    cuts = [c for c in _boundaries(audio)[:-1] if c < end]
    video_cuts = [c for c in _boundaries(video)[:-1] if c < end]
    apart = len(cuts) != len(video_cuts) or any(
        abs(a - v) > BOUNDARY_TOLERANCE for a, v in zip(cuts, video_cuts, strict=True)
    )
    if apart:
        problems.append(f"{uri}: its segments do not start where the video's do")
    return problems


def _rendition_problems(facts: PackageFacts, media: MediaEntry, video: list[float] | None) -> list[str]:
    label = media.uri or media.name or "?"
    problems: list[str] = []
    if media.language is not None and not BCP47.match(media.language):
        problems.append(f"{label}: LANGUAGE {media.language!r} is not a language tag")
    if media.language is None:
        problems.append(f"{label} has no LANGUAGE")
    if media.channels is None:
        problems.append(f"{label} has no CHANNELS")
    if not media.uri or not is_local_uri(media.uri):
        return [*problems, f"{label}: its playlist is not in the package"]
    try:
        playlist = read_media_playlist(facts.package_dir / media.uri)
    except PlaylistError as exc:
        return [*problems, f"{media.uri}: {exc.message}"]
    missing = [s.uri for s in playlist.segments if not (facts.package_dir / s.uri).is_file()]
    if missing:
        problems.append(f"{media.uri}: segment {missing[0]} is missing")
    return problems + _timing_problems(media.uri, [s.duration for s in playlist.segments], video)


def _group_problems(audio: list[MediaEntry], named: set[str]) -> list[str]:
    groups: dict[str, list[MediaEntry]] = {}
    for media in audio:
        groups.setdefault(media.group_id, []).append(media)
    problems = [
        f"a variant names audio group {g!r}, which has no rendition" for g in sorted(named - set(groups))
    ]
    problems += [f"audio group {g!r} is named by no variant" for g in sorted(set(groups) - named)]
    offers = {g: sorted((m.language or "", m.name) for m in members) for g, members in groups.items()}
    if len({tuple(o) for o in offers.values()}) > 1:
        problems.append("the audio groups do not offer the same languages and names")
    for group, members in groups.items():
        defaults = sum(m.default for m in members)
        if defaults != 1:
            problems.append(f"audio group {group!r} has {defaults} default renditions (one is needed)")
    return problems


def check_audio(facts: PackageFacts, options: CheckOptions) -> ValidationCheck:
    """Every audio rendition is present, as long as the video and cut where it is (see the module)."""
    if facts.master is None:
        return ValidationCheck(name=NAME, ok=True, message="no master playlist to read audio from")
    audio = [m for m in facts.master.media if m.type == "AUDIO"]
    named = {v.audio for v in facts.master.variants if v.audio}
    if not audio and not named:
        return ValidationCheck(name=NAME, ok=True, message="no separate audio renditions")
    first = facts.renditions[0] if facts.renditions else None
    video = [s.duration for s in first.segments] if first is not None and first.segments else None
    problems = _group_problems(audio, named)
    for media in audio:
        problems += _rendition_problems(facts, media, video)
    if problems:
        return ValidationCheck(name=NAME, ok=False, message=summarize(problems))
    languages = sorted({m.language or "und" for m in audio})
    return ValidationCheck(
        name=NAME,
        ok=True,
        message=f"{len(audio)} audio rendition(s) in {len(languages)} language(s), aligned with the video",
    )
