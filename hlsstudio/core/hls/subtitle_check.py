"""The subtitle renditions' conformance check: every ``EXT-X-MEDIA TYPE=SUBTITLES`` of the master has
a playlist in the package, aligned with the video's segments, whose WebVTT segments exist and carry the
``X-TIMESTAMP-MAP`` that lines their cues up with the MPEG-TS video; groups named by a variant exist,
and every LANGUAGE is a well-formed BCP 47 tag. Reads the master's text once and each segment's first
lines only.
"""

from __future__ import annotations

import re
from pathlib import Path

from hlsstudio.core.hls.checks import summarize
from hlsstudio.core.hls.playlists import PlaylistError, read_media_playlist
from hlsstudio.core.models import ValidationCheck

NAME = "subtitles"
_MEDIA = re.compile(r"^#EXT-X-MEDIA:(?P<attrs>.*)$")
_ATTR = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
_GROUP_REF = re.compile(r'SUBTITLES="([^"]*)"')
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_MAP = re.compile(r"^X-TIMESTAMP-MAP=(MPEGTS:\d+,LOCAL:[\d:.]+|LOCAL:[\d:.]+,MPEGTS:\d+)$")
HEAD_BYTES = 512


def _attributes(text: str) -> dict[str, str]:
    return {key: value.strip('"') for key, value in _ATTR.findall(text)}


def _subtitle_media(master: str) -> list[dict[str, str]]:
    found = []
    for line in master.splitlines():
        if (match := _MEDIA.match(line.strip())) is not None:
            attrs = _attributes(match.group("attrs"))
            if attrs.get("TYPE") == "SUBTITLES":
                found.append(attrs)
    return found


def _first_video_playlist(master: str) -> str | None:
    lines = [line.strip() for line in master.splitlines()]
    for at, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF") and at + 1 < len(lines):
            return lines[at + 1]
    return None


def _entries(playlist: Path) -> list[tuple[float, str]] | None:
    """(duration, uri) of every segment of a media playlist, or None when it cannot be read."""
    try:
        return [(s.duration, s.uri) for s in read_media_playlist(playlist).segments]
    except PlaylistError:
        return None


def _durations(playlist: Path) -> list[float] | None:
    entries = _entries(playlist)
    return None if entries is None else [duration for duration, _ in entries]


def _segment_problem(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES).decode("utf-8", "replace").lstrip("\ufeff").splitlines()
    except OSError:
        return f"{path.name} is missing"
    if not head or not head[0].startswith("WEBVTT"):
        return f"{path.name} is not WebVTT"
    if not any(_MAP.match(line.strip()) for line in head[1:4]):
        return f"{path.name} has no X-TIMESTAMP-MAP"
    return None


def _rendition_problems(package: Path, attrs: dict[str, str], video: list[float] | None) -> list[str]:
    uri, problems = attrs.get("URI", ""), []
    language = attrs.get("LANGUAGE")
    if language is not None and not _BCP47.match(language):
        problems.append(f"{uri or attrs.get('NAME', '?')}: LANGUAGE {language!r} is not a language tag")
    playlist = package / uri
    if not uri or not playlist.is_file():
        return [*problems, f"{uri or attrs.get('NAME', '?')}: its playlist is not in the package"]
    entries = _entries(playlist)
    if entries is None:
        return [*problems, f"{uri}: cannot be read"]
    if video is not None and [round(d, 3) for d, _ in entries] != [round(d, 3) for d in video]:
        problems.append(f"{uri}: its segments do not line up with the video's")
    problems += [p for _, name in entries if (p := _segment_problem(playlist.parent / name)) is not None]
    return problems


def check_subtitles(package: Path, master_name: str = "master.m3u8") -> ValidationCheck:
    """Every subtitle rendition is present, aligned with the video and mapped to its timestamps."""
    try:
        master = (package / master_name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ValidationCheck(name=NAME, ok=True, message="no master playlist to read subtitles from")
    media = _subtitle_media(master)
    groups = {attrs.get("GROUP-ID", "") for attrs in media}
    problems = [f"a variant names subtitle group {g!r}, which has no rendition"
                for g in sorted(set(_GROUP_REF.findall(master)) - groups)]  # fmt: skip
    if not media:
        ok = not problems
        return ValidationCheck(name=NAME, ok=ok, message=summarize(problems) if problems else "no subtitles")
    video_uri = _first_video_playlist(master)
    video = _durations(package / video_uri) if video_uri else None
    for attrs in media:
        problems += _rendition_problems(package, attrs, video)
    if problems:
        return ValidationCheck(name=NAME, ok=False, message=summarize(problems))
    return ValidationCheck(
        name=NAME, ok=True, message=f"{len(media)} subtitle rendition(s), aligned and mapped"
    )
