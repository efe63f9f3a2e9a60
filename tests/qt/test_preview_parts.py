"""The preview's Qt-free parts: which rung Auto shows, subtitle cues at a position, package addresses."""

from __future__ import annotations

from pathlib import Path

import pytest

from hlsstudio.qt.preview.cues import Cue, CueIndex, segment_cues, segment_uris
from hlsstudio.qt.preview.location import Location
from hlsstudio.qt.preview.package import PreviewAudio, PreviewPackage, PreviewRung, auto_rung

# the default ladder's order: the cellular rung first, then up
RUNGS = (
    PreviewRung("cellular", 416, 234, 190_000, "a-64"),
    PreviewRung("360p", 640, 360, 900_000, "a-96"),
    PreviewRung("720p", 1280, 720, 3_000_000, "a-128"),
    PreviewRung("1080p", 1920, 1080, 6_000_000, "a-128"),
)


@pytest.mark.parametrize(
    ("area", "name"),
    [
        ((1280, 720), "720p"),
        ((1200, 700), "720p"),  # a little smaller than 720p still shows 720p
        ((640, 720), "360p"),  # a narrow area shows the picture 360 high
        ((1920, 1200), "1080p"),
        ((3840, 2160), "1080p"),  # larger than every rung: the largest
        ((200, 100), "cellular"),
    ],
)
def test_auto_shows_the_smallest_rung_that_fills_the_picture_area(area: tuple[int, int], name: str) -> None:
    assert RUNGS[auto_rung(RUNGS, *area)].name == name


def test_auto_for_portrait_rungs_and_for_none() -> None:
    portrait = (PreviewRung("a", 180, 320, None, None), PreviewRung("b", 360, 640, None, None))
    assert auto_rung(portrait, 300, 400) == 1  # shown 225x400: over 320 high
    assert auto_rung(portrait, 1000, 300) == 0
    assert auto_rung((), 1280, 720) == -1


def test_sound_choices_follow_the_shown_rungs_audio_group() -> None:
    audio = (
        PreviewAudio("English", "en", "a-40", True),
        PreviewAudio("Français", "fr", "a-40", False),
        PreviewAudio("English", "en", "a-96", True),
        PreviewAudio("Français", "fr", "a-96", False),
    )
    package = PreviewPackage("t", Location("/p/master.m3u8"), RUNGS, audio)
    assert [a.name for a in package.languages("a-96")] == ["English", "Français"]
    assert package.audio_index("a-96", 1) == 3
    assert package.audio_index("a-40", 1) == 1
    assert package.audio_index("a-40", 2) is None
    assert package.audio_index("none", 0) is None


def test_cues_active_at_a_position() -> None:
    index = CueIndex((Cue(0, 2000, "one"), Cue(1500, 4000, "two"), Cue(90_000, 95_000, "late")))
    assert index.text_at(0) == "one"
    assert index.text_at(1800) == "one\ntwo"
    assert index.text_at(2000) == "two"
    assert index.text_at(4000) == ""
    assert index.text_at(94_999) == "late"
    assert CueIndex(()).text_at(10) == ""


def test_a_webvtt_segment_and_its_playlist() -> None:
    segment = (
        b"WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n\n"
        b"00:00:04.000 --> 00:00:08.000\nFish &amp; chips\n<i>tonight</i>\n"
    )
    assert segment_cues(segment, "subs_s0_002.vtt") == [Cue(4000, 8000, "Fish & chips\ntonight")]
    assert segment_cues(b"WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n\n", "empty.vtt") == []
    playlist = "#EXTM3U\n#EXTINF:2.0,\nsubs_000.vtt\n\n#EXTINF:2.0,\nsubs_001.vtt\n#EXT-X-ENDLIST\n"
    assert segment_uris(playlist) == ["subs_000.vtt", "subs_001.vtt"]


def test_addresses_in_a_local_folder_and_at_a_url(tmp_path: Path) -> None:
    local = Location.folder(tmp_path / "film")
    assert not local.remote and local.where == str(tmp_path / "film")
    assert local.resolve("subs_s0.m3u8") == str(tmp_path / "film" / "subs_s0.m3u8")
    assert local.resolve("subs_s0_000.vtt", local.resolve("subs_s0.m3u8")) == str(
        tmp_path / "film" / "subs_s0_000.vtt"
    )
    remote = Location("https://cdn.example.com/hls/movies/film/master.m3u8")
    assert remote.remote and remote.where == remote.master
    playlist = remote.resolve("b-20250101T000000Z-0123456789ab/subs_s0.m3u8")
    assert playlist == "https://cdn.example.com/hls/movies/film/b-20250101T000000Z-0123456789ab/subs_s0.m3u8"
    assert remote.resolve("subs_s0_003.vtt", playlist).endswith(
        "/b-20250101T000000Z-0123456789ab/subs_s0_003.vtt"
    )
