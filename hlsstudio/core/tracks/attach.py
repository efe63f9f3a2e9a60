"""Adding a subtitle or audio file to a job (the Tracks tab's "Add file…", a drop on a row, the
CLI's ``--subtitle FILE[:LANG]`` / ``--audio FILE[:LANG]``)."""

from __future__ import annotations

from pathlib import Path

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.subtitles.languages import normalize_language
from hlsstudio.core.subtitles.sidefiles import AUDIO_SUFFIXES, SUBTITLE_SUFFIXES
from hlsstudio.core.tracks.choices import JobTracks, TrackKind
from hlsstudio.core.tracks.discover import file_track


class TrackFileError(HlsStudioError):
    """A file that cannot be attached as a track (not a subtitle or audio file, no such file)."""


def kind_of(path: Path) -> TrackKind | None:
    """ "subtitle" or "audio" from a file's extension, None for anything else."""
    suffix = path.suffix.lower()
    if suffix in SUBTITLE_SUFFIXES:
        return "subtitle"
    if suffix in AUDIO_SUFFIXES:
        return "audio"
    return None


def split_file_language(text: str) -> tuple[Path, str | None]:
    """``FILE[:LANG]`` -> (file, language tag or None). A colon that is part of the path (``C:\\``,
    a name with a colon) is kept when what follows is not a language.

    Raises TrackFileError when the part after the last colon looks like a language code but is
    not one ("film.srt:xx").
    """
    head, sep, tail = text.rpartition(":")
    if not sep or not head or "/" in tail or "\\" in tail or "." in tail:
        return Path(text), None
    tag = normalize_language(tail)
    if tag is None:
        if len(tail) <= 8 and tail.replace("-", "").isalpha():
            raise TrackFileError(f"{tail!r} after {head!r} is not a language code (use e.g. en, fr, pt-BR)")
        return Path(text), None
    return Path(head), tag


def attach_file(
    tracks: JobTracks, path: Path, language: str | None = None, source: Path | None = None
) -> JobTracks:
    """``tracks`` with ``path`` added (included), labelled from its name after ``source``'s unless
    ``language`` is given. A file already listed is not added twice (its language is updated).

    Raises TrackFileError for a file that is missing or is neither subtitles nor audio.
    """
    kind = kind_of(path)
    if kind is None:
        known = ", ".join(sorted({*SUBTITLE_SUFFIXES, *AUDIO_SUFFIXES}))
        raise TrackFileError(f"{path.name} is not a subtitle or audio file ({known})")
    if not path.is_file():
        raise TrackFileError(f"{path.name}: no such file")
    track = file_track(path, kind, "attached", source)
    if language is not None:
        tag = normalize_language(language)
        if tag is None:
            raise TrackFileError(f"{language!r} is not a language code (use e.g. en, fr, pt-BR)")
        track = track.model_copy(update={"language": tag})
    listed = tracks.audio if kind == "audio" else tracks.subtitles
    kept = [t for t in listed if t.path is None or Path(t.path) != path]
    if len(kept) < len(listed):
        old = next(t for t in listed if t.path is not None and Path(t.path) == path)
        track = old.model_copy(update={"include": True, "language": track.language or old.language})
    updated = [*kept, track]
    if kind == "audio":
        return tracks.model_copy(update={"audio": updated})
    return tracks.model_copy(update={"subtitles": updated})
