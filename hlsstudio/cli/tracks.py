"""The track options of ``transcode``, ``run`` and ``convert-existing``.

``--audio FILE[:LANG]`` / ``--subtitle FILE[:LANG]`` attach files to the job (one source only);
``--audio-tracks`` / ``--subtitle-tracks`` choose which of the source's tracks are carried;
``--default-audio`` / ``--default-subtitles`` choose what a player starts with. Words that are not
selections or languages are usage errors (exit 2) before anything runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from hlsstudio.core.subtitles.languages import normalize_language
from hlsstudio.core.tracks.attach import TrackFileError, attach_file, kind_of, split_file_language
from hlsstudio.core.tracks.choices import JobTracks, TrackKind
from hlsstudio.core.tracks.selection import SelectionError, parse_selection

EXIT_USAGE = 2
ONE_SOURCE = "--subtitle/--audio need exactly one source file"

TrackFile = tuple[Path, str | None]
"""A ``FILE[:LANG]`` argument: the file and its language tag (None: from the file's name)."""


def _selection(kind: TrackKind) -> Callable[[str], str]:
    def parse(text: str) -> str:
        try:
            parse_selection(text, kind)
        except SelectionError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text

    return parse


def language(text: str) -> str:
    """A language option's value as a BCP 47 tag ("fra" -> "fr"). Raises ArgumentTypeError."""
    tag = normalize_language(text)
    if tag is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a language code (use e.g. en, fr, pt-BR)")
    return tag


def track_file(text: str) -> TrackFile:
    """A ``FILE[:LANG]`` argument. Raises ArgumentTypeError for a language code that is not one."""
    try:
        return split_file_language(text)
    except TrackFileError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def add_track_options(parser: argparse.ArgumentParser) -> None:
    """Add the track options (defaults: the saved settings; files: none)."""
    parser.add_argument(
        "--audio-tracks",
        type=_selection("audio"),
        metavar="WHICH",
        help="audio tracks to carry: all, first (the source's default track) or languages such as en,fr "
        "(default: from settings, normally all)",
    )
    parser.add_argument(
        "--subtitle-tracks",
        type=_selection("subtitle"),
        metavar="WHICH",
        help="subtitle tracks to carry: all (every text track), none or languages such as en,sw "
        "(default: from settings, normally all)",
    )
    parser.add_argument(
        "--default-audio",
        type=language,
        metavar="LANG",
        help="the audio language players start with (default: the source's default track)",
    )
    parser.add_argument(
        "--default-subtitles",
        type=language,
        metavar="LANG",
        help="show subtitles in LANG from the start (default: subtitles start off)",
    )
    parser.add_argument(
        "--audio",
        type=track_file,
        action="append",
        default=[],
        metavar="FILE[:LANG]",
        help="add an audio file (a dub) as a track; LANG when its name does not say (repeatable)",
    )
    parser.add_argument(
        "--subtitle",
        type=track_file,
        action="append",
        default=[],
        metavar="FILE[:LANG]",
        help="add a subtitle file (.srt, .vtt, .ass…) as a track; LANG as for --audio (repeatable)",
    )


def track_overrides(args: argparse.Namespace) -> dict[str, str]:
    """The encode settings the track options set (only those given)."""
    fields = {
        "audio_tracks": getattr(args, "audio_tracks", None),
        "subtitle_tracks": getattr(args, "subtitle_tracks", None),
        "default_audio_language": getattr(args, "default_audio", None),
        "default_subtitle_language": getattr(args, "default_subtitles", None),
    }
    return {key: value for key, value in fields.items() if value is not None}


def has_track_files(args: argparse.Namespace) -> bool:
    """True when ``--audio`` or ``--subtitle`` was given."""
    return bool(getattr(args, "audio", None) or getattr(args, "subtitle", None))


def attached_tracks(args: argparse.Namespace, source: Path | None) -> JobTracks | None:
    """The job's track list holding the ``--audio`` and ``--subtitle`` files (labelled from their
    names after ``source``'s, or by their ``:LANG``); None when none was given. The source's own
    tracks are added when the job is planned (``discovered`` False).

    Raises TrackFileError for a missing file, a file that is not audio or subtitles, or an audio
    file given as ``--subtitle`` (and the other way round).
    """
    if not has_track_files(args):
        return None
    tracks = JobTracks(discovered=False)
    given: list[tuple[TrackKind, TrackFile]] = [
        *(("audio", item) for item in args.audio),
        *(("subtitle", item) for item in args.subtitle),
    ]
    for kind, (path, tag) in given:
        found = kind_of(path)
        if found is not None and found != kind:
            what, option = ("an audio file", "--audio") if found == "audio" else ("subtitles", "--subtitle")
            raise TrackFileError(f"{path.name} is {what}: give it with {option}")
        tracks = attach_file(tracks, path.absolute(), tag, source)
    return tracks


def usage_error(message: str) -> int:
    """Print ``error: message`` on stderr; return the usage exit status (2)."""
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE
