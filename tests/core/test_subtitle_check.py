"""The subtitle renditions' conformance check on hand-written packages (no encode needed)."""

from __future__ import annotations

from pathlib import Path

from hlsstudio.core.hls.subtitle_check import check_subtitles

MAP = "X-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000"


def playlist(names: list[str], durations: list[float]) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:6", "#EXT-X-PLAYLIST-TYPE:VOD"]
    for name, duration in zip(names, durations, strict=True):
        lines += [f"#EXTINF:{duration:.6f},", name]
    return "\n".join([*lines, "#EXT-X-ENDLIST", ""])


def package(
    tmp_path: Path, *, language: str = "fr", vtt_head: str = f"WEBVTT\n{MAP}\n", sub_durations=(2.0, 6.0)
) -> Path:
    (tmp_path / "stream_180p.m3u8").write_text(playlist(["v0.ts", "v1.ts"], [2.0, 6.0]))
    names = ["subs_s0_000.vtt", "subs_s0_001.vtt"]
    (tmp_path / "subs_s0.m3u8").write_text(playlist(names, list(sub_durations)))
    for name in names:
        (tmp_path / name).write_text(vtt_head + "\n00:00:01.000 --> 00:00:02.000\nBonjour\n")
    media = (
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Français",'
        f'LANGUAGE="{language}",URI="subs_s0.m3u8"'
    )
    stream = '#EXT-X-STREAM-INF:BANDWIDTH=1000,RESOLUTION=320x180,SUBTITLES="subs"\nstream_180p.m3u8'
    (tmp_path / "master.m3u8").write_text(f"#EXTM3U\n{media}\n{stream}\n")
    return tmp_path


def test_a_complete_rendition_passes(tmp_path: Path) -> None:
    check = check_subtitles(package(tmp_path))
    assert check.ok, check.message
    assert "1 subtitle rendition" in check.message


def test_a_segment_without_its_timestamp_map_fails(tmp_path: Path) -> None:
    check = check_subtitles(package(tmp_path, vtt_head="WEBVTT\n"))
    assert not check.ok and "has no X-TIMESTAMP-MAP" in check.message


def test_segments_out_of_step_with_the_video_fail(tmp_path: Path) -> None:
    check = check_subtitles(package(tmp_path, sub_durations=(4.0, 4.0)))
    assert not check.ok and "do not line up with the video" in check.message


def test_a_bad_language_tag_and_a_missing_playlist_fail(tmp_path: Path) -> None:
    root = package(tmp_path, language="french!")
    assert "is not a language tag" in check_subtitles(root).message
    (root / "subs_s0.m3u8").unlink()
    check = check_subtitles(root)
    assert not check.ok and "its playlist is not in the package" in check.message


def test_a_variant_naming_a_missing_group_fails(tmp_path: Path) -> None:
    root = package(tmp_path)
    text = (root / "master.m3u8").read_text().replace('GROUP-ID="subs"', 'GROUP-ID="other"')
    (root / "master.m3u8").write_text(text)
    check = check_subtitles(root)
    assert not check.ok and "subtitle group 'subs', which has no rendition" in check.message
