"""A job's first track list: the source's own tracks (from a MediaInfo built here) and the files named
after it in its folder (real files in tmp_path; only their names are read)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hlsstudio.core.models import AudioStream, EncodeSettings, MediaInfo, SubtitleStream
from hlsstudio.core.subtitles.embedded import IMAGE_SUBTITLES_MESSAGE
from hlsstudio.core.tracks.attach import attach_file
from hlsstudio.core.tracks.choices import JobTracks, TrackChoice
from hlsstudio.core.tracks.discover import audio_note, complete_tracks, discover_tracks

SRT = "1\n00:00:00,000 --> 00:00:01,000\nHabari\n\n"


def media_info(source: Path, audio: list[AudioStream], subtitles: list[SubtitleStream]) -> MediaInfo:
    return MediaInfo(
        path=str(source),
        container="matroska,webm",
        duration=10.0,
        size=1000,
        video_codec="h264",
        coded_width=1920,
        coded_height=1080,
        width=1920,
        height=1080,
        fps=25.0,
        audio_streams=audio,
        subtitle_streams=subtitles,
    )


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """film.mkv with film.sw.srt and film.fra.wav beside it, and film.extended.mkv with its own
    film.extended.fr.srt (which is not film.mkv's)."""
    folder = tmp_path / "films"
    folder.mkdir()
    for name in ("film.mkv", "film.extended.mkv", "film.fra.wav", "notes.txt"):
        (folder / name).write_bytes(b"")
    for name in ("film.sw.srt", "film.extended.fr.srt", "other.en.srt"):
        (folder / name).write_text(SRT, encoding="utf-8")
    return folder / "film.mkv"


@pytest.fixture
def info(source: Path) -> MediaInfo:
    return media_info(
        source,
        [
            AudioStream(codec="ac3", channels=6, channel_layout="5.1(side)", language="eng", default=True),
            AudioStream(codec="aac", channels=2, channel_layout="stereo", language="fre"),
        ],
        [
            SubtitleStream(codec="subrip", language="eng", text=True),
            SubtitleStream(codec="hdmv_pgs_subtitle", language="fre"),
        ],
    )


def summary(tracks: list[TrackChoice]) -> list[tuple[str, str | None, str | None, bool, bool]]:
    """(origin, file name or None, language, included, default) of each track."""
    return [
        (t.origin, Path(t.path).name if t.path else None, t.language, t.include, t.default) for t in tracks
    ]


def test_every_track_of_the_source_and_its_side_files_is_listed(source: Path, info: MediaInfo) -> None:
    tracks = discover_tracks(info, EncodeSettings())
    assert summary(tracks.audio) == [
        ("embedded", None, "en", True, True),
        ("embedded", None, "fr", True, False),
        ("side", "film.fra.wav", "fr", True, False),
    ]
    # film.extended.fr.srt is named after film.extended.mkv, the longer name: not claimed by film.mkv
    assert summary(tracks.subtitles) == [
        ("embedded", None, "en", True, False),
        ("embedded", None, "fr", False, False),
        ("side", "film.sw.srt", "sw", True, False),
    ]
    assert [t.index for t in tracks.audio] == [0, 1, None]
    assert tracks.audio[2].path == str(source.parent / "film.fra.wav")
    assert tracks.audio[2].origin == "side" and tracks.audio[2].note == "" and tracks.audio[2].codec == "wav"


def test_image_subtitles_are_listed_but_cannot_be_carried(info: MediaInfo) -> None:
    image = discover_tracks(info, EncodeSettings()).subtitles[1]
    assert (image.codec, image.usable, image.include, image.carried) == (
        "hdmv_pgs_subtitle",
        False,
        False,
        False,
    )
    assert image.note == IMAGE_SUBTITLES_MESSAGE
    text = discover_tracks(info, EncodeSettings()).subtitles[0]
    assert (text.usable, text.note) == (True, "")
    only_french = discover_tracks(info, EncodeSettings(subtitle_tracks="fr")).subtitles
    assert [t.carried for t in only_french] == [False, False, False]  # asked for, still not usable


def test_audio_notes_say_what_happens_to_surround_and_unknown_layouts(info: MediaInfo) -> None:
    notes = [t.note for t in discover_tracks(info, EncodeSettings()).audio[:2]]
    assert notes == ["5.1(side) mixed down to stereo", ""]
    unknown = AudioStream(codec="pcm_s16le", channels=8, channel_layout="unknown")
    assert audio_note(unknown) == "8 channels with no known layout: mixed down to stereo by channel order"
    assert audio_note(AudioStream(codec="aac", channels=4)).startswith("4 channels with no known layout")
    assert audio_note(AudioStream(codec="aac", channels=0)) == "channel count unknown: read as stereo"
    assert audio_note(AudioStream(codec="aac", channels=1, channel_layout="mono")) == ""


def test_the_settings_choose_what_is_carried_and_the_defaults(info: MediaInfo) -> None:
    settings = EncodeSettings(
        audio_tracks="first",
        subtitle_tracks="sw",
        default_audio_language="fr",
        default_subtitle_language="sw",
    )
    tracks = discover_tracks(info, settings)
    # first: the source's default track only; the default language names no carried track, so the
    # carried one stays the default
    assert summary(tracks.audio) == [
        ("embedded", None, "en", True, True),
        ("embedded", None, "fr", False, False),
        ("side", "film.fra.wav", "fr", False, False),
    ]
    assert summary(tracks.subtitles) == [
        ("embedded", None, "en", False, False),
        ("embedded", None, "fr", False, False),
        ("side", "film.sw.srt", "sw", True, True),
    ]
    french = discover_tracks(info, EncodeSettings(audio_tracks="fr", default_audio_language="fr")).audio
    assert summary(french)[1:] == [
        ("embedded", None, "fr", True, True),
        ("side", "film.fra.wav", "fr", True, False),
    ]


def test_subtitles_off_carries_no_subtitle_track_but_lists_them(info: MediaInfo) -> None:
    tracks = discover_tracks(info, EncodeSettings(subtitles=False, subtitle_tracks="all"))
    assert len(tracks.subtitles) == 3 and not tracks.carried_subtitles()


def test_a_source_alone_in_an_unknown_folder_has_only_its_own_tracks(tmp_path: Path) -> None:
    info = media_info(tmp_path / "gone" / "film.mkv", [AudioStream(codec="aac", channels=2)], [])
    tracks = discover_tracks(info, EncodeSettings())
    assert summary(tracks.audio) == [("embedded", None, None, True, True)]
    assert tracks.subtitles == []


def test_complete_tracks_puts_the_sources_tracks_before_the_attached_files(
    source: Path, info: MediaInfo, tmp_path: Path
) -> None:
    extra = tmp_path / "dub.de.m4a"
    extra.write_bytes(b"")
    subs = tmp_path / "subs.srt"
    subs.write_text(SRT, encoding="utf-8")
    attached = attach_file(JobTracks(), extra, None, source)
    attached = attach_file(attached, subs, "pt-br", source)
    attached = attach_file(attached, source.parent / "film.sw.srt", None, source)  # a side file too
    tracks = complete_tracks(attached, info, EncodeSettings())
    assert summary(tracks.audio) == [
        ("embedded", None, "en", True, True),
        ("embedded", None, "fr", True, False),
        ("side", "film.fra.wav", "fr", True, False),
        ("attached", "dub.de.m4a", "de", True, False),
    ]
    assert summary(tracks.subtitles) == [
        ("embedded", None, "en", True, False),
        ("embedded", None, "fr", False, False),
        ("attached", "film.sw.srt", "sw", True, False),  # listed once, in its place, as the user added it
        ("attached", "subs.srt", "pt-BR", True, False),
    ]
    with_default = complete_tracks(attached, info, EncodeSettings(default_audio_language="de"))
    assert [t.language for t in with_default.audio if t.default] == ["de"]


def test_complete_tracks_keeps_a_discovered_list_and_discovers_without_one(info: MediaInfo) -> None:
    edited = JobTracks(
        audio=[TrackChoice(kind="audio", origin="embedded", index=1, language="fr")], discovered=True
    )
    assert complete_tracks(edited, info, EncodeSettings()) is edited
    assert complete_tracks(None, info, EncodeSettings()) == discover_tracks(info, EncodeSettings())


def test_a_discovered_list_says_so(info: MediaInfo) -> None:
    assert discover_tracks(info, EncodeSettings()).discovered
    assert complete_tracks(JobTracks(), info, EncodeSettings()).discovered


def test_a_file_attached_with_a_language_wins_over_the_same_file_found_beside(
    info: MediaInfo, tmp_path: Path
) -> None:
    side = Path(info.path).with_name("film.sw.srt")
    attached = JobTracks(
        subtitles=[TrackChoice(kind="subtitle", origin="attached", path=str(side), language="en")]
    )
    merged = complete_tracks(attached, info, EncodeSettings())
    mine = [t for t in merged.subtitles if t.path == str(side)]
    assert [(t.origin, t.language) for t in mine] == [("attached", "en")]
