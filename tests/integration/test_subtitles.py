"""Subtitles in real jobs: a source's text subtitle track and the subtitle files beside it become
segmented WebVTT renditions of the package.

The source is a 14 s 320x180 Matroska clip with an English SubRip track muxed in; beside it
``film.fr.srt`` (Windows-1252, curly quotes and accents) and ``film.de.srt`` (binary garbage). With
6 s segments and the 2 s fast start the video is cut 2+2+2+4+4 s, so subtitle playlists have uneven
durations to follow, and a cue at 10.000 starts exactly on a segment boundary. Checked from the
package files themselves: the master's EXT-X-MEDIA lines and SUBTITLES groups, each subtitle
playlist's EXTINF list against the video's, each WebVTT file's header and X-TIMESTAMP-MAP against the
first video PTS read from the TS segment, the cues' text and times. Also: the broken file is left out
with one warning, the conformance report has no failed MUST, ``subtitles=False`` carries none, and a
source whose timestamps start at 11.4 s still gets cues timed from the start of the video.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import m3u8
import pytest

from hlsstudio.core.hls.tsinfo import read_segment_info
from hlsstudio.core.models import EncodeSettings, JobResult, Ladder, Rung
from hlsstudio.core.pipeline import transcode
from hlsstudio.core.toolchain import Toolchain, locate_toolchain
from tests.mediagen import first_video_stream, run_ffmpeg

DURATION = 14.0
# a cellular rung (its peak under 192 kb/s with its sound, so no MUST rule fails) and one above it
LADDER = Ladder(
    rungs=[
        Rung(name="144p", height=144, video_kbps=80, audio_kbps=40),
        Rung(name="180p", height=180, video_kbps=300, audio_kbps=64),
    ]
)
SETTINGS = EncodeSettings(segment_duration=6.0, preset="ultrafast", thumbnail_interval=5.0, stall_timeout=60)
MPEGTS_HZ = 90_000
MPEGTS_WRAP = 1 << 33
FRAME = 1 / 25  # the clips' frame duration

Cue = tuple[float, float, str]  # start s, end s, text
ENGLISH: list[Cue] = [(1.0, 2.5, "Hello there"), (7.0, 8.0, "Second line")]
FRENCH: list[Cue] = [
    (3.0, 4.0, "Déjà vu “café”"),
    (6.0, 7.5, "Ça commence à l’hôtel, où l’été est doux."),
    (10.0, 11.0, "À dix heures pile."),
]
AT_TEN = "00:00:10.000 --> 00:00:11.000"


# ---------------------------------------------------------------------------------------------------------
# Sources


def srt_text(cues: list[Cue]) -> str:
    """SubRip text of ``cues``, Windows line ends (as subtitle sites hand them out)."""

    def stamp(seconds: float) -> str:
        ms = round(seconds * 1000)
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    blocks = [f"{n}\r\n{stamp(a)} --> {stamp(b)}\r\n{text}\r\n" for n, (a, b, text) in enumerate(cues, 1)]
    return "\r\n".join(blocks)


def make_source(path: Path, *, english_track: bool, ts_offset: float = 0.0) -> Path:
    """A DURATION s 320x180 25 fps H.264 + AAC clip at ``path`` (container from the extension); with
    ``english_track`` the ENGLISH cues muxed in as SubRip tagged ``eng``; ``ts_offset`` shifts every
    timestamp (``-output_ts_offset``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    args = [
        "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={DURATION}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={DURATION}",
    ]  # fmt: skip
    maps = ["-map", "0:v", "-map", "1:a"]
    if english_track:
        srt = path.with_name(f".{path.stem}.eng.srt")  # a hidden name: not a side file of the source
        srt.write_text(srt_text(ENGLISH), encoding="utf-8", newline="")
        args += ["-i", str(srt)]
        maps += ["-map", "2:s", "-c:s", "srt", "-metadata:s:s:0", "language=eng"]
    args += maps
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"]
    if ts_offset:
        args += ["-output_ts_offset", f"{ts_offset:g}"]
    run_ffmpeg([*args, str(path)])
    return path


def make_package(source: Path, out: Path, toolchain: Toolchain, **settings: object) -> JobResult:
    result = transcode(
        source, out, ladder=LADDER, settings=SETTINGS.model_copy(update=settings), toolchain=toolchain
    )
    assert result.status == "completed", result.error
    return result


# ---------------------------------------------------------------------------------------------------------
# Reading the package


@dataclass(frozen=True)
class VttFile:
    name: str
    header: list[str]  # the lines before the first blank line
    cues: list[tuple[str, str, str]]  # (start, end, text) as written


def media_lines(master: str) -> list[dict[str, str]]:
    """The attributes of every subtitle ``#EXT-X-MEDIA`` line of the master's text, quotes removed."""
    found = []
    for line in master.splitlines():
        if line.startswith("#EXT-X-MEDIA:"):
            pairs = re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', line.removeprefix("#EXT-X-MEDIA:"))
            attrs = {key: value.strip('"') for key, value in pairs}
            if attrs.get("TYPE") == "SUBTITLES":
                found.append(attrs)
    return found


def stream_infs(master: str) -> list[str]:
    return [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF:")]


def variant_playlists(out: Path) -> list[Path]:
    return [out / p.uri for p in m3u8.load(str(out / "master.m3u8")).playlists]


def subtitle_playlists(out: Path) -> list[Path]:
    return [out / media["URI"] for media in media_lines((out / "master.m3u8").read_text(encoding="utf-8"))]


def extinfs(playlist: Path) -> list[float]:
    return [segment.duration for segment in m3u8.load(str(playlist)).segments]


def read_vtt(path: Path) -> VttFile:
    text = path.read_text(encoding="utf-8")
    header, _, body = text.partition("\n\n")
    cues = []
    for block in body.split("\n\n"):
        lines = [line for line in block.split("\n") if line]
        if not lines:
            continue
        timing = re.fullmatch(r"(\S+) --> (\S+)(?: .*)?", lines[0])
        assert timing, f"{path.name}: not a cue timing line: {lines[0]!r}"
        cues.append((timing.group(1), timing.group(2), "\n".join(lines[1:])))
    return VttFile(path.name, header.split("\n"), cues)


def vtt_segments(playlist: Path) -> list[VttFile]:
    return [read_vtt(playlist.parent / segment.uri) for segment in m3u8.load(str(playlist)).segments]


def all_cues(playlist: Path) -> list[tuple[str, str, str]]:
    """Every cue of a subtitle track once (a cue over a boundary is repeated in each segment), in order."""
    return sorted({cue for vtt in vtt_segments(playlist) for cue in vtt.cues})


def first_video_mpegts(variant: Path) -> int:
    """90 kHz PTS of the first video frame of the first segment of ``variant``."""
    first = m3u8.load(str(variant)).segments[0].uri
    pts = read_segment_info(variant.parent / first, audio=False).video_pts
    assert pts is not None, f"{first}: no video PTS"
    return round(pts * MPEGTS_HZ) % MPEGTS_WRAP


def seconds(stamp: str) -> float:
    hours, minutes, rest = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def vtt_stamp(value: float) -> str:
    ms = round(value * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def track_by_language(out: Path, language: str) -> Path:
    found = [
        m for m in media_lines((out / "master.m3u8").read_text(encoding="utf-8")) if m["LANGUAGE"] == language
    ]
    assert len(found) == 1, f"{len(found)} subtitle renditions in {language}"
    return out / found[0]["URI"]


def assert_aligned_and_mapped(out: Path) -> None:
    """Every subtitle playlist has the video's EXTINF list and target duration, and every WebVTT file
    starts with WEBVTT then the X-TIMESTAMP-MAP of the first video PTS to local time 0."""
    variants = variant_playlists(out)
    video = [extinfs(v) for v in variants]
    assert all(durations == video[0] for durations in video), video
    starts = {first_video_mpegts(v) for v in variants}
    assert len(starts) == 1, f"the variants start at different PTS: {starts}"
    mpegts = starts.pop()
    target = m3u8.load(str(variants[0])).target_duration
    subtitles = subtitle_playlists(out)
    assert subtitles
    for playlist in subtitles:
        parsed = m3u8.load(str(playlist))
        assert extinfs(playlist) == video[0], playlist.name
        assert parsed.target_duration == target and parsed.is_endlist, playlist.name
        for vtt in vtt_segments(playlist):
            assert vtt.header[0] == "WEBVTT", vtt
            assert vtt.header[1] == f"X-TIMESTAMP-MAP=MPEGTS:{mpegts},LOCAL:00:00:00.000", vtt


def segments_covering(out: Path, start: float, end: float) -> list[int]:
    """Indexes of the video segments that the interval [start, end) overlaps."""
    found, at = [], 0.0
    for index, duration in enumerate(extinfs(variant_playlists(out)[0])):
        if at < end - 1e-6 and at + duration > start + 1e-6:
            found.append(index)
        at += duration
    return found


def segments_with(playlist: Path, timing: str) -> list[int]:
    """Indexes of the WebVTT segments of ``playlist`` with a cue whose timing line is ``timing``."""
    return [
        index
        for index, vtt in enumerate(vtt_segments(playlist))
        if any(f"{a} --> {b}" == timing for a, b, _ in vtt.cues)
    ]


# ---------------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def toolchain() -> Toolchain:
    return locate_toolchain()


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """film.mkv (English SubRip track) with film.fr.srt (Windows-1252) and film.de.srt (garbage)."""
    folder = tmp_path_factory.mktemp("film")
    source = make_source(folder / "film.mkv", english_track=True)
    (folder / "film.fr.srt").write_bytes(srt_text(FRENCH).encode("cp1252"))
    (folder / "film.de.srt").write_bytes(random.Random(7).randbytes(4096))
    return source


@pytest.fixture(scope="module")
def package(
    film: Path, toolchain: Toolchain, tmp_path_factory: pytest.TempPathFactory
) -> tuple[JobResult, Path]:
    out = tmp_path_factory.mktemp("package") / "pkg"
    return make_package(film, out, toolchain), out


# ---------------------------------------------------------------------------------------------------------
# Tests


def test_master_lists_the_embedded_track_and_the_readable_side_file(package: tuple[JobResult, Path]) -> None:
    _, out = package
    master = (out / "master.m3u8").read_text(encoding="utf-8")
    media = media_lines(master)
    assert [(m["TYPE"], m["GROUP-ID"], m["NAME"], m["LANGUAGE"]) for m in media] == [
        ("SUBTITLES", "subs", "English", "en"),
        ("SUBTITLES", "subs", "Français", "fr"),
    ], master
    for m in media:
        assert (out / m["URI"]).is_file(), m["URI"]
    variants = stream_infs(master)
    assert len(variants) == len(LADDER.rungs)
    assert all('SUBTITLES="subs"' in line for line in variants), master


def test_subtitle_playlists_follow_the_video_and_map_to_its_first_pts(
    package: tuple[JobResult, Path],
) -> None:
    _, out = package
    assert extinfs(variant_playlists(out)[0])[:4] == [2.0, 2.0, 2.0, 4.0]  # uneven: fast start, 4 s, then 6 s
    assert_aligned_and_mapped(out)


def test_side_file_in_windows_1252_keeps_its_text(package: tuple[JobResult, Path]) -> None:
    _, out = package
    expected = [(vtt_stamp(a), vtt_stamp(b), text) for a, b, text in FRENCH]
    assert all_cues(track_by_language(out, "fr")) == expected


def test_a_cue_at_10_s_is_in_the_segment_covering_10_s(package: tuple[JobResult, Path]) -> None:
    _, out = package
    covering = segments_covering(out, 10.0, 11.0)
    assert len(covering) == 1  # 10 s is a segment boundary: only the segment starting there
    assert segments_with(track_by_language(out, "fr"), AT_TEN) == covering


def test_the_embedded_track_keeps_its_text_and_times(package: tuple[JobResult, Path]) -> None:
    _, out = package
    cues = all_cues(track_by_language(out, "en"))
    assert [text for _, _, text in cues] == [text for _, _, text in ENGLISH]
    for (start, end, _), (want_start, want_end, _) in zip(cues, ENGLISH, strict=True):
        # on the video's timeline, as written: the track is extracted on the file's timeline (which
        # starts with the sound, ~21 ms earlier here) and moved by the video's delay
        assert abs(seconds(start) - want_start) <= 0.002 and abs(seconds(end) - want_end) <= 0.002, cues


def test_a_broken_side_file_is_left_out_with_one_warning(package: tuple[JobResult, Path]) -> None:
    result, out = package
    assert result.status == "completed" and result.validation is not None and result.validation.ok
    assert len([w for w in result.warnings if "film.de.srt" in w]) == 1, result.warnings
    master = (out / "master.m3u8").read_text(encoding="utf-8")
    assert not any(m["LANGUAGE"] == "de" for m in media_lines(master))


def test_conformance_has_no_failed_must(package: tuple[JobResult, Path]) -> None:
    result, _ = package
    report = result.conformance
    assert report is not None
    assert report.must_failures == [], report.must_failures
    subtitle_rules = [f for f in report.findings if f.rule == "subtitle-renditions"]
    assert [f.verdict for f in subtitle_rules] == ["pass"], subtitle_rules


def test_subtitles_off_carries_none(film: Path, toolchain: Toolchain, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    result = make_package(film, out, toolchain, subtitles=False)
    master = (out / "master.m3u8").read_text(encoding="utf-8")
    assert "TYPE=SUBTITLES" not in master and "SUBTITLES=" not in master, master
    assert not list(out.glob("subs_*")), sorted(p.name for p in out.iterdir())
    assert not [w for w in result.warnings if "film.de.srt" in w or "subtitle" in w.lower()], result.warnings


def test_a_source_starting_late_keeps_cues_timed_from_the_video_start(
    toolchain: Toolchain, tmp_path: Path
) -> None:
    source = make_source(tmp_path / "late" / "film.ts", english_track=False, ts_offset=10.0)
    assert float(first_video_stream(source)["start_time"]) >= 10.0  # the source really starts late
    (source.parent / "film.fr.srt").write_text(srt_text(FRENCH), encoding="utf-16")  # UTF-16, BOM
    out = tmp_path / "pkg"
    result = make_package(source, out, toolchain)

    assert [m["LANGUAGE"] for m in media_lines((out / "master.m3u8").read_text(encoding="utf-8"))] == ["fr"]
    assert_aligned_and_mapped(out)  # LOCAL 0 is the first video PTS of the package
    french = track_by_language(out, "fr")
    assert segments_with(french, AT_TEN) == segments_covering(out, 10.0, 11.0)
    assert all_cues(french) == [(vtt_stamp(a), vtt_stamp(b), text) for a, b, text in FRENCH]
    assert result.conformance is not None and result.conformance.must_failures == []
