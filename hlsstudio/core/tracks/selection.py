"""Which tracks are carried: ``all``, ``first``/``none`` or a list of languages, and the defaults.

``--audio-tracks all|first|en,fr`` and ``--subtitle-tracks all|none|en,…`` (and the settings of the
same names) are parsed here; ``select`` applies one to a track list, ``apply_defaults`` marks the
track a player starts with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from hlsstudio.core.subtitles.languages import normalize_language
from hlsstudio.core.tracks.choices import JobTracks, TrackChoice, TrackKind

Mode = Literal["all", "first", "none", "languages"]


class SelectionError(ValueError):
    """A track selection that names no mode and no known language."""


@dataclass(frozen=True)
class Selection:
    """A parsed track selection: a mode, and the languages for ``languages``."""

    mode: Mode
    languages: list[str] = field(default_factory=list)


def parse_selection(text: str, kind: TrackKind) -> Selection:
    """``all``, ``first`` (audio), ``none`` (subtitles) or comma-separated languages (``en,pt-BR``).

    Raises SelectionError naming a word that is not a language.
    """
    words = [word.strip() for word in text.split(",") if word.strip()]
    if not words or words == ["all"]:
        return Selection("all")
    single: Mode = "first" if kind == "audio" else "none"
    if words == [single]:
        return Selection(single)
    languages: list[str] = []
    for word in words:
        tag = normalize_language(word)
        if tag is None:
            raise SelectionError(
                f"{word!r} is not a language (use all, {single}, or language codes such as en,fr)"
            )
        languages.append(tag)
    return Selection("languages", languages)


def _matches(track: TrackChoice, languages: list[str]) -> bool:
    if track.language is None:
        return False
    primary = track.language.split("-")[0]
    return track.language in languages or primary in languages


def select(tracks: list[TrackChoice], selection: Selection) -> list[TrackChoice]:
    """``tracks`` with ``include`` set by ``selection`` (tracks that cannot be carried stay out).

    ``first`` keeps the source's default audio track (else the first); a language list keeps the
    tracks in those languages (``pt`` keeps ``pt-BR`` too).
    """
    usable = [t for t in tracks if t.usable]
    keep: set[int]
    if selection.mode == "all":
        keep = {id(t) for t in usable}
    elif selection.mode == "none":
        keep = set()
    elif selection.mode == "first":
        defaults = [t for t in usable if t.default and t.origin == "embedded"]
        first = (defaults or usable)[:1]
        keep = {id(t) for t in first}
    else:
        keep = {id(t) for t in usable if _matches(t, selection.languages)}
    return [t.model_copy(update={"include": id(t) in keep}) for t in tracks]


def _one_default(tracks: list[TrackChoice], language: str | None, fallback: bool) -> list[TrackChoice]:
    carried = [t for t in tracks if t.carried]
    chosen = next((t for t in carried if language and _matches(t, [language])), None)
    if chosen is None and fallback:
        chosen = next((t for t in carried if t.default), carried[0] if carried else None)
    return [t.model_copy(update={"default": t is chosen}) for t in tracks]


def apply_defaults(tracks: JobTracks, audio_language: str | None, subtitle_language: str | None) -> JobTracks:
    """Exactly one carried audio track is the default: one in ``audio_language``, else the source's
    default, else the first. A subtitle track is the default only in ``subtitle_language``."""
    audio_tag = normalize_language(audio_language or "")
    subtitle_tag = normalize_language(subtitle_language or "")
    return tracks.model_copy(
        update={
            "audio": _one_default(tracks.audio, audio_tag, fallback=True),
            "subtitles": _one_default(tracks.subtitles, subtitle_tag, fallback=False),
        }
    )
