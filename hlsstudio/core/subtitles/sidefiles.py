"""Subtitle files beside a source video, and what their names say about them.

A side file's name is the source's name without its extension, then optional dot-separated words,
then a subtitle extension, the convention media servers and subtitle downloaders share::

    My.Film.2024.mp4
    My.Film.2024.srt              language undetermined
    My.Film.2024.fr.srt           French
    My.Film.2024.pt-BR.forced.srt Brazilian Portuguese, forced
    My.Film.2024.en.sdh.srt       English, for the deaf and hard of hearing
    My.Film.2024.eng.hi.vtt       the same ("hi" after a language: hearing impaired)
    My.Film.2024.hi.srt           Hindi ("hi" alone is the language)

Words are matched without regard to case; a word that is neither a language nor a flag (``director``,
``commentary``) is ignored. A file that also starts with the name of a longer video beside it
(``film.extended.srt`` beside ``film.mp4`` and ``film.extended.mp4``) belongs to that video.
"""

from __future__ import annotations

import logging
from pathlib import Path

from hlsstudio.core.subtitles.languages import TrackLabel, normalize_language

log = logging.getLogger(__name__)

SUBTITLE_SUFFIXES = {".srt": "srt", ".vtt": "vtt", ".ass": "ass", ".ssa": "ssa", ".sub": "microdvd"}
"""Side-file extensions -> the format they hold (pysubs2's format names)."""
AUDIO_SUFFIXES = {
    s: s[1:] for s in (".m4a", ".aac", ".wav", ".mp3", ".flac", ".ac3", ".eac3", ".opus", ".ogg", ".mka")
}
"""Audio side-file (dub) extensions -> the format they hold (ffmpeg reads them; the name is shown)."""

FORCED_WORDS = frozenset({"forced", "foreign"})
SDH_WORDS = frozenset({"sdh", "cc"})
HEARING_IMPAIRED = "hi"
"""SDH after a language ("film.en.hi.srt"); alone, the language Hindi ("film.hi.srt")."""

VIDEO_SUFFIXES = frozenset(
    {".mp4", ".mov", ".mkv", ".m4v", ".avi", ".webm", ".mxf", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg"}
    | {".wmv", ".flv"}
)
MAX_FOLDER_ENTRIES = 20_000
"""A folder with more entries than this is not searched past them (a share with every file in it)."""


class SideSubtitle(TrackLabel):
    """A subtitle file beside a source: where it is, what format, and its label from its name."""

    path: Path
    format: str
    """pysubs2's name of the format the extension promises: srt, vtt, ass, ssa, microdvd."""


def _tail(stem: str, name: str) -> str | None:
    """What follows ``stem`` in ``name`` ("fr.srt" for "film" in "Film.fr.srt"), None when it does not
    start with the stem followed by a dot."""
    if len(name) <= len(stem) + 1 or name[: len(stem)].lower() != stem.lower() or name[len(stem)] != ".":
        return None
    return name[len(stem) + 1 :]


def label_from_words(words: list[str]) -> TrackLabel:
    """The label dot-separated name words give ("pt-BR", "forced" -> Brazilian Portuguese, forced).

    The first word that names a language sets it; later ones are ignored, as are unknown words.
    """
    language: str | None = None
    forced = sdh = hearing_impaired = False
    for word in words:
        lowered = word.lower()
        if lowered in FORCED_WORDS:
            forced = True
        elif lowered in SDH_WORDS:
            sdh = True
        elif lowered == HEARING_IMPAIRED:
            hearing_impaired = True
        elif language is None:
            language = normalize_language(word)
    if hearing_impaired:
        if language is None:
            language = "hi"
        else:
            sdh = True
    return TrackLabel(language=language, forced=forced, sdh=sdh)


def describe_side_file(
    source: Path, candidate: Path, suffixes: dict[str, str] = SUBTITLE_SUFFIXES
) -> SideSubtitle | None:
    """``candidate`` as a side file of ``source`` (by name only), or None when it is not one: not one
    of ``suffixes`` (subtitle extensions unless told), or not named after the source."""
    suffix = candidate.suffix.lower()
    if suffix not in suffixes:
        return None
    base = candidate.name[: -len(suffix)]
    if base.lower() == source.stem.lower():
        words: list[str] = []
    else:
        tail = _tail(source.stem, base)
        if tail is None:
            return None
        words = [word for word in tail.split(".") if word]
    label = label_from_words(words)
    return SideSubtitle(path=candidate, format=suffixes[suffix], **label.model_dump())


def _folder_entries(folder: Path) -> list[Path]:
    """The plain files in ``folder`` (at most MAX_FOLDER_ENTRIES entries read; [] when unreadable)."""
    found: list[Path] = []
    try:
        for count, entry in enumerate(folder.iterdir()):
            if count >= MAX_FOLDER_ENTRIES:
                log.warning("%s: more than %d entries, side subtitles past them not searched", folder, count)
                break
            if entry.is_file():
                found.append(entry)
    except OSError as exc:
        log.warning("cannot list %s for side subtitles: %s", folder, exc)
    return found


def _claimed_by_longer_video(subtitle: Path, source: Path, videos: list[Path]) -> bool:
    """Whether another video beside ``source``, with a longer name, is the one ``subtitle`` is named
    after ("film.extended.fr.srt" and "film.extended.mkv" when the source is "film.mkv")."""
    for video in videos:
        stem = video.stem
        if len(stem) > len(source.stem) and video != source:
            tail = _tail(stem, subtitle.name)
            if tail is not None:
                return True
    return False


def find_side_subtitles(source: Path) -> list[SideSubtitle]:
    """The subtitle files beside ``source`` named after it, sorted by name (see the module docstring).

    A ``.sub`` beside an ``.idx`` of the same name is a VobSub image pair, not MicroDVD text: left out.
    An unreadable folder gives [] (logged). Reads names only, never the files.
    """
    return find_side_files(source, SUBTITLE_SUFFIXES)


def find_side_audio(source: Path) -> list[SideSubtitle]:
    """The audio files (dubs) beside ``source`` named after it (``film.sw.m4a``, ``film.fra.wav``),
    sorted by name; their label says the language. Reads names only."""
    return find_side_files(source, AUDIO_SUFFIXES)


def find_side_files(source: Path, suffixes: dict[str, str]) -> list[SideSubtitle]:
    """The files beside ``source`` named after it with one of ``suffixes``, sorted by name."""
    entries = _folder_entries(source.parent)
    lowered = {entry.name.lower() for entry in entries}
    videos = [entry for entry in entries if entry.suffix.lower() in VIDEO_SUFFIXES]
    found: list[SideSubtitle] = []
    for entry in entries:
        side = describe_side_file(source, entry, suffixes)
        if side is None or _claimed_by_longer_video(entry, source, videos):
            continue
        if side.format == "microdvd" and f"{entry.name[: -len(entry.suffix)]}.idx".lower() in lowered:
            continue
        found.append(side)
    return sorted(found, key=lambda side: side.path.name.lower())
