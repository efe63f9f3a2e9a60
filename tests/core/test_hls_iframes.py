"""I-frame playlists and the master's I-frame entries, on packages ffmpeg really made (transport
streams built byte by byte are in ``test_hls_iframes_bytes``).

Every byte range is parsed back without the code under test: it must start a TS packet that begins
a video PES holding an IDR (with its SPS), and cover that whole PES.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import m3u8
import pytest

from hlsstudio.core import layout
from hlsstudio.core.errors import ValidationFailed
from hlsstudio.core.hls.facts import gather_package
from hlsstudio.core.hls.iframes import (
    index_variant,
    render_iframe_playlist,
)
from hlsstudio.core.hls.master import MasterVariantSpec, finalize_master
from tests.hlsfixtures import TWO_RENDITIONS, Rendition, build_package, ffprobe_json, segments_of

TS = 188
SPECS = [
    MasterVariantSpec(
        name=r.name, playlist=f"stream_{r.name}.m3u8", width=r.width, height=r.height, frame_rate=25
    )
    for r in TWO_RENDITIONS
]
STREAM_INF_ATTRIBUTES = {
    "BANDWIDTH",
    "AVERAGE-BANDWIDTH",
    "CODECS",
    "RESOLUTION",
    "FRAME-RATE",
    "VIDEO-RANGE",
    "CLOSED-CAPTIONS",
}


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("iframes")
    return {
        # two IDRs per 2 s segment (keyframes forced every second)
        "two_per_segment": build_package(root / "two", duration=4.0, segment=2.0, keyframe_every=1.0),
        # B-frames (High profile), a 0.8 s GOP left to x264: segments of 2.4 s and 1.6 s
        "bframes": build_package(
            root / "bframes",
            renditions=(Rendition("180p", 320, 180, 300),),
            duration=4.0,
            segment=2.0,
            gop=20,
            profile="high",
            preset="veryfast",
        ),
    }


@pytest.fixture
def package(packages: dict[str, Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(packages["two_per_segment"], tmp_path / "pkg"))


# --- reading TS back without the code under test ------------------------------------------------


def pid_of(packet: bytes) -> int:
    return ((packet[1] & 0x1F) << 8) | packet[2]


def payload_of(packet: bytes) -> bytes:
    control = (packet[3] >> 4) & 0x3
    start = 5 + packet[4] if control & 0x2 else 4
    return packet[start:] if control & 0x1 else b""


def _videopid_of(segment: Path) -> int:
    (video,) = ffprobe_json(segment, "-select_streams", "v")["streams"]
    return int(video["id"], 16)


def nal_types(es: bytes) -> list[int]:
    return [es[m.end()] & 0x1F for m in re.finditer(b"\x00\x00\x01", es) if m.end() < len(es)]


def _assert_whole_idr_pes(segment: Path, offset: int, length: int) -> None:
    data = segment.read_bytes()
    pid = _videopid_of(segment)
    assert offset % TS == 0 and length % TS == 0 and length > 0
    packets = [data[i : i + TS] for i in range(offset, offset + length, TS)]
    assert all(p[0] == 0x47 for p in packets)
    first, last = packets[0], packets[-1]
    assert pid_of(first) == pid and first[1] & 0x40, "the range starts the video PES, not PAT/PMT"
    assert pid_of(last) == pid
    video = [p for p in packets if pid_of(p) == pid]
    assert [bool(p[1] & 0x40) for p in video] == [True] + [False] * (len(video) - 1), "one PES only"
    after = [
        data[i : i + TS] for i in range(offset + length, len(data), TS) if pid_of(data[i : i + TS]) == pid
    ]
    assert not after or after[0][1] & 0x40, "the range covers the whole PES"
    pes = b"".join(payload_of(p) for p in video)
    assert pes[:3] == b"\x00\x00\x01"
    types = nal_types(pes[9 + pes[8] :])
    assert 5 in types and 7 in types and types.index(7) < types.index(5)


def _keyframe_times(segment: Path) -> list[float]:
    probe = ffprobe_json(segment, "-select_streams", "v", "-show_packets")
    return sorted(float(p["pts_time"]) for p in probe["packets"] if "K" in p["flags"])


def _ffprobe_frames(path: Path) -> list[str]:
    args = ["-v", "error", "-select_streams", "v", "-show_entries", "frame=pict_type", "-of", "csv=p=0"]
    done = subprocess.run(
        ["ffprobe", *args, str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    return [line.strip().strip(",") for line in done.stdout.splitlines() if line.strip()]


def _recompute_rates(playlist: Path) -> tuple[int, int]:
    """(peak, average) bit/s of an I-frame playlist from its own text: range length * 8 / EXTINF."""
    parsed = m3u8.load(str(playlist))
    pairs = [(int(str(s.byterange).split("@")[0]), float(s.duration)) for s in parsed.segments]
    peak = max(size * 8 / duration for size, duration in pairs)
    average = sum(size for size, _ in pairs) * 8 / sum(duration for _, duration in pairs)
    return math.ceil(peak), math.ceil(average)


# --- real ffmpeg packages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rung"), [("two_per_segment", "180p"), ("two_per_segment", "360p"), ("bframes", "180p")]
)
def test_every_keyframe_is_listed_as_its_whole_pes(packages: dict[str, Path], name: str, rung: str) -> None:
    package = packages[name]
    index = index_variant(package / f"stream_{rung}.m3u8")
    segments = segments_of(package, rung)
    keyframes = [(segment.name, t) for segment in segments for t in _keyframe_times(segment)]
    assert [f.uri for f in index.iframes] == [uri for uri, _ in keyframes]
    origin = keyframes[0][1]
    for frame, (_, pts) in zip(index.iframes, keyframes, strict=True):
        _assert_whole_idr_pes(package / frame.uri, frame.offset, frame.length)
        assert frame.start == pytest.approx(pts - origin, abs=0.002)
    playlist_duration = sum(
        float(s.duration) for s in m3u8.load(str(package / f"stream_{rung}.m3u8")).segments
    )
    assert sum(f.duration for f in index.iframes) == pytest.approx(playlist_duration, abs=1e-9)
    assert index.duration == pytest.approx(playlist_duration)
    for frame, following in zip(index.iframes, index.iframes[1:], strict=False):
        assert frame.duration == pytest.approx(following.start - frame.start)
    assert not index.captions and index.video_codec is not None


def test_gop_shorter_than_the_segment_lists_every_idr(packages: dict[str, Path]) -> None:
    two = index_variant(packages["two_per_segment"] / "stream_180p.m3u8")
    assert [f.uri for f in two.iframes] == ["stream_180p_000.ts"] * 2 + ["stream_180p_001.ts"] * 2
    assert [round(f.duration, 3) for f in two.iframes] == [1.0, 1.0, 1.0, 1.0]
    bframes = index_variant(packages["bframes"] / "stream_180p.m3u8")
    assert [round(f.duration, 3) for f in bframes.iframes] == [0.8] * 5


def test_iframe_playlist_parses_back(packages: dict[str, Path]) -> None:
    index = index_variant(packages["two_per_segment"] / "stream_360p.m3u8")
    text = render_iframe_playlist(index)
    assert text.splitlines()[:7] == [
        "#EXTM3U",
        "#EXT-X-VERSION:4",
        "#EXT-X-TARGETDURATION:2",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-I-FRAMES-ONLY",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    parsed = m3u8.loads(text)
    assert parsed.is_i_frames_only and parsed.is_endlist and parsed.is_independent_segments
    assert (parsed.version, parsed.target_duration, parsed.playlist_type) == (4, 2, "vod")
    assert [(s.uri, s.byterange) for s in parsed.segments] == [
        (f.uri, f"{f.length}@{f.offset}") for f in index.iframes
    ]
    assert all(round(float(s.duration)) <= 2 for s in parsed.segments)


def test_an_extracted_iframe_decodes_to_one_i_frame(packages: dict[str, Path], tmp_path: Path) -> None:
    package = packages["bframes"]
    index = index_variant(package / "stream_180p.m3u8")
    first, middle = index.iframes[0], index.iframes[1]
    assert middle.uri == first.uri and middle.offset > first.offset
    data = (package / first.uri).read_bytes()
    init = data[: first.offset]  # what players take as the Media Initialization Section (RFC 8216)
    assert {pid_of(init[i : i + TS]) for i in range(0, len(init), TS)} >= {0}
    for number, frame in enumerate((first, middle)):
        alone = tmp_path / f"alone_{number}.ts"
        alone.write_bytes(data[frame.offset : frame.offset + frame.length])
        as_played = tmp_path / f"played_{number}.ts"
        as_played.write_bytes(init + data[frame.offset : frame.offset + frame.length])
        assert _ffprobe_frames(alone) == ["I"]
        assert _ffprobe_frames(as_played) == ["I"]


def test_finalize_master_lists_iframe_streams_after_the_variants(package: Path) -> None:
    results = finalize_master(package, SPECS)
    text = (package / "master.m3u8").read_text()
    lines = text.splitlines()
    stream_lines = [i for i, line in enumerate(lines) if line.startswith("#EXT-X-STREAM-INF:")]
    iframe_lines = [i for i, line in enumerate(lines) if line.startswith("#EXT-X-I-FRAME-STREAM-INF:")]
    assert len(stream_lines) == len(iframe_lines) == 2
    assert max(stream_lines) < min(iframe_lines)
    assert lines[1] == "#EXT-X-VERSION:4" and "#EXT-X-INDEPENDENT-SEGMENTS" in lines
    for i in stream_lines:
        names = set(re.findall(r'(?:^|,)([A-Z-]+)=(?:"[^"]*"|[^,]*)', lines[i].split(":", 1)[1]))
        assert names == STREAM_INF_ATTRIBUTES
        assert "VIDEO-RANGE=SDR" in lines[i] and "CLOSED-CAPTIONS=NONE" in lines[i]

    parsed = m3u8.loads(text)
    assert [p.stream_info.bandwidth for p in parsed.playlists] == sorted(r.bandwidth for r in results)
    assert [p.uri for p in parsed.iframe_playlists] == ["iframes_180p.m3u8", "iframes_360p.m3u8"]
    for entry, result in zip(parsed.iframe_playlists, results, strict=True):
        info = entry.iframe_stream_info
        assert (info.bandwidth, info.average_bandwidth) == _recompute_rates(package / entry.uri)
        assert info.codecs == result.codecs.split(",")[0] and info.codecs.startswith("avc1.")
        assert f"{info.resolution[0]}x{info.resolution[1]}" == result.resolution
        assert info.video_range == "SDR"
        assert m3u8.load(str(package / entry.uri)).is_i_frames_only
    assert sorted(p.name for p in package.iterdir() if p.name.startswith(".")) == []


def test_the_stage_names_are_the_layouts(package: Path) -> None:
    specs = [
        MasterVariantSpec(
            name=s.name,
            playlist=layout.playlist_name(s.name),
            iframe_playlist=layout.iframe_playlist_name(s.name),
            width=s.width,
            height=s.height,
        )
        for s in SPECS
    ]
    finalize_master(package, specs)
    assert (package / "iframes_180p.m3u8").is_file() and (package / "iframes_360p.m3u8").is_file()
    assert 'URI="iframes_180p.m3u8"' in (package / "master.m3u8").read_text()


def test_a_segment_that_cannot_be_indexed_keeps_the_old_master(package: Path) -> None:
    before = (package / "master.m3u8").read_text()
    segment = package / "stream_360p_001.ts"
    segment.write_bytes(segment.read_bytes()[:-100])  # no longer whole TS packets
    with pytest.raises(ValidationFailed, match=r"stream_360p_001\.ts"):
        finalize_master(package, SPECS)
    assert (package / "master.m3u8").read_text() == before
    assert not list(package.glob("iframes_*.m3u8"))


def test_layout_names_and_final_while_encoding() -> None:
    assert layout.iframe_playlist_name("360p") == "iframes_360p.m3u8"
    assert layout.variant_of_iframe_playlist("iframes_1080p.m3u8") == "1080p"
    assert layout.variant_of_iframe_playlist("stream_1080p.m3u8") is None
    assert layout.variant_of_playlist(layout.iframe_playlist_name("360p")) is None
    assert not layout.is_final_while_encoding(layout.iframe_playlist_name("360p"))


def test_validator_without_master_skips_iframe_playlists(package: Path) -> None:
    finalize_master(package, SPECS)
    (package / "master.m3u8").unlink()
    facts = gather_package(package)
    assert [r.uri for r in facts.renditions] == ["stream_180p.m3u8", "stream_360p.m3u8"]
