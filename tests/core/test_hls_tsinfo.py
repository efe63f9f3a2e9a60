"""read_segment_info on real ffmpeg segments, cross-checked against ffprobe and ffmpeg's own master."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hlsstudio.core.hls.tsinfo import (
    TS_PACKET_SIZE,
    SegmentReadError,
    pts_difference,
    read_segment_info,
)
from tests.hlsfixtures import Rendition, build_package, ffprobe_json, segments_of

PROFILE_IDC = {"Constrained Baseline": 66, "Baseline": 66, "Main": 77, "High": 100}
CONSTRAINT_SET1 = 0x40


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tsinfo")
    one = (Rendition("180p", 320, 180, 300),)
    return {
        "base": build_package(root / "base"),
        "high": build_package(
            root / "high",
            renditions=(Rendition("360p", 640, 360, 800),),
            audio=False,
            profile="high",
            preset="veryfast",
        ),
        "midgop": build_package(root / "midgop", renditions=one, segment=1.0, gop=250, split_by_time=True),
    }


def _first_video_packet(segment: Path) -> dict[str, str]:
    probe = ffprobe_json(segment, "-select_streams", "v:0", "-show_packets", "-read_intervals", "%+#1")
    packet: dict[str, str] = probe["packets"][0]
    return packet


def _ffmpeg_master_codecs(package: Path) -> dict[str, str]:
    """variant name -> CODECS as ffmpeg's HLS muxer wrote them (from its codec extradata)."""
    text = (package / "master.m3u8").read_text()
    pairs = re.findall(r'CODECS="([^"]+)"\s*\n(stream_(\w+)\.m3u8)', text)
    return {name: codecs for codecs, _, name in pairs}


def test_segments_start_with_idr_at_the_pts_ffprobe_reports(packages: dict[str, Path]) -> None:
    for name in ("180p", "360p"):
        segments = segments_of(packages["base"], name)
        assert len(segments) == 3
        for segment in segments:
            info = read_segment_info(segment)
            packet = _first_video_packet(segment)
            assert info.starts_with_idr, segment.name
            assert info.random_access, segment.name
            assert "K" in packet["flags"]
            assert info.video_pts == pytest.approx(float(packet["pts_time"]), abs=1e-5)


def test_codec_strings_match_ffprobe_and_ffmpeg_master(packages: dict[str, Path]) -> None:
    ffmpeg_codecs = _ffmpeg_master_codecs(packages["base"])
    assert set(ffmpeg_codecs) == {"180p", "360p"}
    for name, declared in ffmpeg_codecs.items():
        segment = segments_of(packages["base"], name)[0]
        info = read_segment_info(segment)
        video, audio = (s for s in ffprobe_json(segment)["streams"])
        assert video["codec_type"] == "video" and audio["codec_type"] == "audio"
        assert info.profile_idc == PROFILE_IDC[video["profile"]]
        assert info.level_idc == video["level"]
        assert info.constraint_flags is not None
        assert bool(info.constraint_flags & CONSTRAINT_SET1) == (video["profile"] == "Constrained Baseline")
        assert audio["profile"] == "LC"
        assert info.audio_codec == "mp4a.40.2"
        assert info.codecs == declared


def test_high_profile_with_b_frames_and_no_audio(packages: dict[str, Path]) -> None:
    for segment in segments_of(packages["high"], "360p"):
        info = read_segment_info(segment)
        packet = _first_video_packet(segment)
        video = ffprobe_json(segment)["streams"][0]
        assert video["profile"] == "High"
        assert info.video_codec == f"avc1.64{info.constraint_flags:02x}{video['level']:02x}"
        # B-frames: the IDR is decoded first but presented after its DTS; PTS is what counts.
        assert float(packet["pts_time"]) > float(packet["dts_time"])
        assert info.video_pts == pytest.approx(float(packet["pts_time"]), abs=1e-5)
        assert info.starts_with_idr
        assert info.audio_pid is None and info.audio_codec is None
        assert info.codecs == info.video_codec
    assert _ffmpeg_master_codecs(packages["high"])["360p"] == info.codecs


def test_segments_cut_mid_gop_do_not_start_with_idr(packages: dict[str, Path]) -> None:
    segments = segments_of(packages["midgop"], "180p")
    assert len(segments) >= 3
    first = read_segment_info(segments[0])
    assert first.starts_with_idr and first.random_access
    for segment in segments[1:]:
        info = read_segment_info(segment, audio=False)
        assert "K" not in _first_video_packet(segment)["flags"]
        assert not info.starts_with_idr, segment.name
        assert not info.random_access
        assert info.video_pts == pytest.approx(float(_first_video_packet(segment)["pts_time"]), abs=1e-5)


def _packet_fields(packet: bytes) -> tuple[int, bool, bytes]:
    pid = ((packet[1] & 0x1F) << 8) | packet[2]
    control = (packet[3] >> 4) & 0x3
    start = 5 + packet[4] if control & 0x2 else 4
    return pid, bool(packet[1] & 0x40), packet[start:]


def _nal_types(payload: bytes) -> list[int]:
    types, pos = [], payload.find(b"\x00\x00\x01")
    while pos != -1 and pos + 3 < len(payload):
        types.append(payload[pos + 3] & 0x1F)
        pos = payload.find(b"\x00\x00\x01", pos + 3)
    return types


def _pcr_only_packet(pid: int) -> bytes:
    """A PCR-only TS packet (adaptation field, no payload) for ``pid``, as some muxers write."""
    header = bytes([0x47, (pid >> 8) & 0x1F, pid & 0xFF, 0x20])
    adaptation = bytes([183, 0x10]) + bytes(6)
    return header + adaptation + b"\xff" * (TS_PACKET_SIZE - len(header) - len(adaptation))


def test_pes_across_packets_and_pcr_only_packets(packages: dict[str, Path], tmp_path: Path) -> None:
    # The first segment carries x264's long SEI before the IDR slice.
    segment = segments_of(packages["base"], "360p")[0]
    data = segment.read_bytes()
    original = read_segment_info(segment)
    packets = [data[i : i + TS_PACKET_SIZE] for i in range(0, len(data), TS_PACKET_SIZE)]
    first_video = next(
        i
        for i, p in enumerate(packets)
        if _packet_fields(p)[0] == original.video_pid and _packet_fields(p)[1]
    )
    # The first access unit's IDR slice is not in the PES's first packet: the reader had to collect.
    assert 5 not in _nal_types(_packet_fields(packets[first_video])[2])
    assert original.video_pid is not None
    doctored = packets[:first_video] + [_pcr_only_packet(original.video_pid)] * 2 + packets[first_video:]
    copy = tmp_path / "pcr.ts"
    copy.write_bytes(b"".join(doctored))
    assert read_segment_info(copy) == original


def test_audio_false_reads_the_same_video_facts(packages: dict[str, Path]) -> None:
    segment = segments_of(packages["base"], "180p")[2]
    full, video_only = read_segment_info(segment), read_segment_info(segment, audio=False)
    assert video_only.audio_codec is None and full.audio_codec == "mp4a.40.2"
    assert (video_only.video_pts, video_only.starts_with_idr, video_only.video_codec) == (
        full.video_pts,
        full.starts_with_idr,
        full.video_codec,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"#EXTM3U\n#EXT-X-VERSION:3\n" * 20, "not an MPEG-TS file"),
        (b"\xff\xd8\xff\xe0" + bytes(600), "not an MPEG-TS file"),
        (b"", "empty"),
        (b"\x47\x1f\xff\x10" + b"\xff" * (TS_PACKET_SIZE - 4), "no MPEG-TS program tables"),
    ],
    ids=["text", "jpeg", "empty", "no-tables"],
)
def test_non_ts_files_raise(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.ts"
    path.write_bytes(content)
    with pytest.raises(SegmentReadError, match=message) as caught:
        read_segment_info(path)
    assert "bad.ts" in caught.value.message


def test_lost_sync_mid_file_raises(packages: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(segments_of(packages["base"], "180p")[0].read_bytes())
    data[TS_PACKET_SIZE * 2] = 0x00
    path = tmp_path / "cut.ts"
    path.write_bytes(bytes(data))
    with pytest.raises(SegmentReadError, match=f"offset {TS_PACKET_SIZE * 2}"):
        read_segment_info(path)


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(SegmentReadError, match="cannot read"):
        read_segment_info(tmp_path / "nope.ts")


def test_pts_difference_handles_the_33_bit_wrap() -> None:
    wrap = (1 << 33) / 90_000
    assert pts_difference(0.5, wrap - 0.5) == pytest.approx(1.0)
    assert pts_difference(wrap - 0.5, 0.5) == pytest.approx(-1.0)
    assert pts_difference(3.0, 1.0) == pytest.approx(2.0)
