"""A job's first track list: every audio and subtitle track of its source and the files beside it.

The probe says what the source holds; ``subtitles.sidefiles`` finds the subtitle and audio files
named after it (``film.sw.srt``, ``film.fra.wav``). The settings then choose what is carried
(``audio_tracks``: all, first or languages; ``subtitle_tracks``: all, none or languages) and which
track a player starts with. Everything found is listed, carried or not, so the Tracks tab can show
it and the user can change it. Reads file names only (no file is opened).
"""

from __future__ import annotations

from pathlib import Path

from hlsstudio.core.models import AudioStream, EncodeSettings, MediaInfo
from hlsstudio.core.subtitles.embedded import IMAGE_SUBTITLES_MESSAGE, is_text_codec
from hlsstudio.core.subtitles.languages import normalize_language
from hlsstudio.core.subtitles.sidefiles import (
    AUDIO_SUFFIXES,
    SUBTITLE_SUFFIXES,
    describe_side_file,
    find_side_audio,
    find_side_subtitles,
)
from hlsstudio.core.tracks.choices import JobTracks, TrackChoice, TrackKind
from hlsstudio.core.tracks.selection import apply_defaults, parse_selection, select

STEREO_LAYOUTS = frozenset({"mono", "stereo", "downmix", "1 channels", "2 channels"})


def audio_note(stream: AudioStream) -> str:
    """What the user should know about a source audio track: a downmix, an unknown layout."""
    layout = (stream.channel_layout or "").strip()
    if stream.channels <= 0:
        return "channel count unknown: read as stereo"
    if stream.channels > 2 and (not layout or layout == "unknown" or layout.endswith("channels")):
        return f"{stream.channels} channels with no known layout: mixed down to stereo by channel order"
    if stream.channels > 2:
        return f"{layout} mixed down to stereo"
    return ""


def _embedded_audio(info: MediaInfo) -> list[TrackChoice]:
    return [
        TrackChoice(
            kind="audio",
            origin="embedded",
            index=index,
            language=normalize_language(stream.language or ""),
            default=stream.default,
            codec=stream.codec,
            channels=stream.channels,
            note=audio_note(stream),
        )
        for index, stream in enumerate(info.audio_streams)
    ]


def _embedded_subtitles(info: MediaInfo) -> list[TrackChoice]:
    found = []
    for index, stream in enumerate(info.subtitle_streams):
        text = is_text_codec(stream.codec)
        found.append(
            TrackChoice(
                kind="subtitle",
                origin="embedded",
                index=index,
                language=normalize_language(stream.language or ""),
                codec=stream.codec,
                usable=text,
                include=text,
                note="" if text else IMAGE_SUBTITLES_MESSAGE,
            )
        )
    return found


def file_track(path: Path, kind: TrackKind, origin: str, source: Path | None = None) -> TrackChoice:
    """A track for a subtitle or audio file: its label from its name (after ``source``'s name when
    given, else every dot-separated word of it)."""
    suffixes = SUBTITLE_SUFFIXES if kind == "subtitle" else AUDIO_SUFFIXES
    side = describe_side_file(source, path, suffixes) if source is not None else None
    if side is None:
        side = describe_side_file(Path(path.name.split(".", 1)[0] + ".x"), path, suffixes)
    label = side.model_dump(include={"language", "forced", "sdh"}) if side is not None else {}
    return TrackChoice(
        kind=kind,
        origin="side" if origin == "side" else "attached",
        path=str(path),
        codec=path.suffix.lower().lstrip("."),
        **label,
    )


def discover_tracks(info: MediaInfo, settings: EncodeSettings) -> JobTracks:
    """Every track of ``info``'s source and its side files, with what ``settings`` carries.

    Embedded tracks come first, in stream order, then side files by name. Image subtitles are listed
    but cannot be carried; with ``settings.subtitles`` off no subtitle track is carried.
    """
    source = Path(info.path)
    audio = _embedded_audio(info) + [
        file_track(side.path, "audio", "side", source) for side in find_side_audio(source)
    ]
    subtitles = _embedded_subtitles(info) + [
        file_track(side.path, "subtitle", "side", source) for side in find_side_subtitles(source)
    ]
    audio = select(audio, parse_selection(settings.audio_tracks, "audio"))
    choice = parse_selection(settings.subtitle_tracks if settings.subtitles else "none", "subtitle")
    subtitles = select(subtitles, choice)
    return apply_defaults(
        JobTracks(audio=audio, subtitles=subtitles, discovered=True),
        settings.default_audio_language,
        settings.default_subtitle_language,
    )


def complete_tracks(tracks: JobTracks | None, info: MediaInfo, settings: EncodeSettings) -> JobTracks:
    """The job's track list with the source's own tracks in it: ``tracks`` when already discovered,
    else a discovery of ``info`` followed by the files attached to ``tracks`` so far."""
    if tracks is not None and tracks.discovered:
        return tracks
    found = discover_tracks(info, settings)
    if tracks is None:
        return found
    attached = {t.path: t for t in tracks.audio + tracks.subtitles if t.path}

    def merged(listed: list[TrackChoice], extra: list[TrackChoice]) -> list[TrackChoice]:
        # a file attached by the user wins over the same file found beside the source (its language)
        known = {t.path for t in listed if t.path}
        return [attached.get(t.path, t) if t.path else t for t in listed] + [
            t for t in extra if t.path not in known
        ]

    both = JobTracks(
        audio=merged(found.audio, tracks.audio),
        subtitles=merged(found.subtitles, tracks.subtitles),
        discovered=True,
    )
    return apply_defaults(both, settings.default_audio_language, settings.default_subtitle_language)
