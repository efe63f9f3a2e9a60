"""Segmented WebVTT aligned with the video, its playlist, and the master's subtitle renditions."""

from __future__ import annotations

from pathlib import Path

import pytest
from pysubs2 import SSAEvent, SSAFile

from hlsstudio.core.hls.tsinfo import read_segment_info
from hlsstudio.core.subtitles.reading import SubtitleError
from hlsstudio.core.subtitles.renditions import SubtitleRendition, media_lines, unique_names
from hlsstudio.core.subtitles.timeline import read_video_timeline
from hlsstudio.core.subtitles.webvtt import vtt_timestamp, webvtt_cue_text, write_webvtt_track
from tests.hlsfixtures import Rendition, build_package

SEGMENTS = [(0.0, 2.0), (2.0, 2.0), (4.0, 2.0), (6.0, 6.0), (12.0, 6.0)]
HEADER = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n"


def cues(*spans: tuple[int, int, str]) -> SSAFile:
    subs = SSAFile()
    subs.events = [SSAEvent(start=start, end=end, text=text) for start, end, text in spans]
    return subs


def test_cues_land_in_every_segment_they_overlap(tmp_path: Path) -> None:
    subs = cues((5900, 6200, "across"), (1000, 2500, "first\\Nline"), (12000, 13000, "{\\i1}last{\\i0}"))
    track = write_webvtt_track(subs, tmp_path, "en", SEGMENTS, mpegts_start=126000, target_duration=6)
    names = [f"subs_en_{i:03d}.vtt" for i in range(5)]
    assert (track.playlist, track.segments) == ("subs_en.m3u8", names)
    first = "00:00:01.000 --> 00:00:02.500\nfirst\nline\n"
    across = "00:00:05.900 --> 00:00:06.200\nacross\n"
    last = "00:00:12.000 --> 00:00:13.000\n<i>last</i>\n"
    expected = [[first], [first], [across], [across], [last]]
    for name, blocks in zip(names, expected, strict=True):
        assert (tmp_path / name).read_text(encoding="utf-8") == "\n".join([HEADER, *blocks])
    assert (tmp_path / "subs_en.m3u8").read_text(encoding="utf-8") == (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        "#EXTINF:2.000000,\nsubs_en_000.vtt\n#EXTINF:2.000000,\nsubs_en_001.vtt\n#EXTINF:2.000000,\nsubs_en_002.vtt\n"
        "#EXTINF:6.000000,\nsubs_en_003.vtt\n#EXTINF:6.000000,\nsubs_en_004.vtt\n#EXT-X-ENDLIST\n"
    )


def test_every_segment_exists_even_without_cues(tmp_path: Path) -> None:
    subs = cues((30000, 31000, "after the video"), (100, 200, "early"))
    track = write_webvtt_track(subs, tmp_path, "pt-BR", SEGMENTS, mpegts_start=900)
    texts = [(tmp_path / name).read_text(encoding="utf-8") for name in track.segments]
    assert all(text.startswith("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900,LOCAL:00:00:00.000\n") for text in texts)
    assert ["early" in text for text in texts] == [True, False, False, False, False]
    assert not any("after the video" in text for text in texts)
    playlist = (tmp_path / track.playlist).read_text(encoding="utf-8")
    assert "#EXT-X-TARGETDURATION:6\n" in playlist
    assert [line for line in playlist.splitlines() if not line.startswith("#")] == track.segments


def test_cue_text_is_escaped_and_keeps_only_simple_styling() -> None:
    subs = cues(
        (0, 1, "Tom & Jerry <3 --> {\\b1}bold{\\b0}\\N{\\pos(1,2)\\u1}under{\\u0}\\h!"),
        (0, 1, "{\\p1}m 0 0 l 10 10{\\p0}words\\N\\N\\Nafter blanks"),
    )
    assert [webvtt_cue_text(e, subs) for e in subs] == [
        "Tom &amp; Jerry &lt;3 --&gt; <b>bold</b>\n<u>under</u> !",
        "words\nafter blanks",
    ]


@pytest.mark.parametrize(
    ("ms", "text"),
    [(0, "00:00:00.000"), (1, "00:00:00.001"), (61_234, "00:01:01.234"), (3_600_000 * 101, "101:00:00.000")],
)
def test_webvtt_timestamps(ms: int, text: str) -> None:
    assert vtt_timestamp(ms) == text


@pytest.mark.parametrize(
    ("track", "segments", "mpegts"),
    [("../en", SEGMENTS, 0), ("en", [], 0), ("en", [(0.0, 2.0), (1.0, 2.0)], 0), ("en", [(0.0, 0.0)], 0),
     ("en", SEGMENTS, -1), ("en", SEGMENTS, 1 << 33)],
)  # fmt: skip
def test_bad_arguments_are_refused(
    tmp_path: Path, track: str, segments: list[tuple[float, float]], mpegts: int
) -> None:
    with pytest.raises(SubtitleError):
        write_webvtt_track(cues((0, 1000, "x")), tmp_path, track, segments, mpegts_start=mpegts)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_folder_is_a_subtitle_error(tmp_path: Path) -> None:
    with pytest.raises(SubtitleError, match="cannot write"):
        write_webvtt_track(cues((0, 1000, "x")), tmp_path / "gone", "en", SEGMENTS, mpegts_start=0)


def test_the_timeline_comes_from_the_video_variant(tmp_path: Path) -> None:
    package = build_package(tmp_path / "pkg", renditions=(Rendition("180p", 320, 180, 300),), audio=False)
    timeline = read_video_timeline(package / "stream_180p.m3u8")
    assert [start for start, _ in timeline.segments] == [0.0, 2.0, 4.0]
    assert sum(duration for _, duration in timeline.segments) == pytest.approx(5.0, abs=0.05)
    assert timeline.target_duration == 2
    pts = read_segment_info(package / "stream_180p_000.ts", audio=False).video_pts
    assert pts is not None
    assert timeline.mpegts_start == round(pts * 90_000)
    track = write_webvtt_track(
        cues((500, 4500, "x")), package, "en", timeline.segments,
        mpegts_start=timeline.mpegts_start, target_duration=timeline.target_duration,
    )  # fmt: skip
    assert len(track.segments) == 3


def test_a_broken_variant_has_no_timeline(tmp_path: Path) -> None:
    playlist = tmp_path / "stream_x.m3u8"
    with pytest.raises(SubtitleError, match=r"^stream_x\.m3u8: cannot read"):
        read_video_timeline(playlist)
    playlist.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nstream_x_000.ts\n", "utf-8")
    with pytest.raises(SubtitleError, match=r"^stream_x_000\.ts: "):
        read_video_timeline(playlist)
    playlist.write_text("#EXTM3U\n", "utf-8")
    with pytest.raises(SubtitleError, match="no segments"):
        read_video_timeline(playlist)


def test_master_lines_for_plain_forced_and_sdh_tracks() -> None:
    renditions = [
        SubtitleRendition(language="en", uri="subs_en.m3u8", default=True),
        SubtitleRendition(language="fr", forced=True, uri="subs_fr.m3u8"),
        SubtitleRendition(language="sw", sdh=True, uri="subs_sw.m3u8"),
        SubtitleRendition(language=None, uri="subs_und.m3u8", default=True),
    ]
    assert media_lines(renditions) == [
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,'
        'FORCED=NO,URI="subs_en.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Français (forced)",LANGUAGE="fr",DEFAULT=NO,'
        'AUTOSELECT=YES,FORCED=YES,URI="subs_fr.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Kiswahili (SDH)",LANGUAGE="sw",DEFAULT=NO,'
        'AUTOSELECT=YES,FORCED=NO,CHARACTERISTICS="public.accessibility.describes-music-and-sound,'
        'public.accessibility.transcribes-spoken-dialog",URI="subs_sw.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Subtitles",LANGUAGE="und",DEFAULT=NO,'
        'AUTOSELECT=YES,FORCED=NO,URI="subs_und.m3u8"',
    ]


def test_names_are_unique_within_the_group() -> None:
    assert unique_names(["English", "English", "english", "English 2", "Français"]) == [
        "English", "English 2", "english 3", "English 2 2", "Français",
    ]  # fmt: skip
    lines = media_lines([
        SubtitleRendition(language="en", uri="a.m3u8"),
        SubtitleRendition(language="en", uri="b.m3u8"),
        SubtitleRendition(language="en", uri="c.m3u8", name='Director "cut"\ncommentary'),
    ])  # fmt: skip
    assert [line.split(",")[2] for line in lines] == [
        'NAME="English"',
        'NAME="English 2"',
        "NAME=\"Director 'cut' commentary\"",
    ]
