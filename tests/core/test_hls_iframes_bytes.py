"""The I-frame scanner on transport streams built byte by byte here: captions in SEI, an SEI split
over two packets, another PID's packets inside and after a PES, PAT/PMT again before an IDR."""

from __future__ import annotations

from pathlib import Path

import m3u8
import pytest

from hlsstudio.core.errors import ValidationFailed
from hlsstudio.core.hls.iframes import access_unit_start, index_variant, scan_segment, sei_has_captions
from hlsstudio.core.hls.master import MasterVariantSpec, finalize_master
from hlsstudio.core.hls.tsinfo import SegmentReadError
from tests.core.test_hls_iframes import TS, nal_types, payload_of, pid_of

VIDEO_PID = 0x100
OTHER_PID = 0x101
SPS = b"\x00\x00\x00\x01\x67\x42\xc0\x0c\xda\x0f\x0a\x68\x40"
PPS = b"\x00\x00\x00\x01\x68\xce\x3c\x80"
AUD = b"\x00\x00\x00\x01\x09\xf0"
CC_DATA = b"\xb5\x00\x31GA94\x03\xc2\xff\xfc\x94\x20\xfc\x94\xae\xff"


def _sei(*messages: tuple[int, bytes]) -> bytes:
    body = b"".join(bytes([kind, len(payload)]) + payload for kind, payload in messages)
    return b"\x00\x00\x00\x01\x06" + body + b"\x80"


UNREGISTERED = (5, bytes(range(16)) + b"x264 options " * 14)  # 198 bytes: the SEI spans two packets
IDR = b"\x00\x00\x00\x01\x65\x88" + b"\xaa" * 600
NON_IDR = b"\x00\x00\x00\x01\x41\x9a" + b"\x55" * 300


def _psi(pid: int, section: bytes) -> bytes:
    payload = b"\x00" + section
    return bytes([0x47, 0x40 | pid >> 8, pid & 0xFF, 0x10]) + payload + b"\xff" * (184 - len(payload))


def _tables() -> bytes:
    pat = bytes([0x00, 0xB0, 13, 0, 1, 0xC1, 0, 0, 0, 1, 0xF0, 0x00]) + b"\0" * 4
    pmt = bytes([0x02, 0xB0, 18, 0, 1, 0xC1, 0, 0, 0xE1, 0x00, 0xF0, 0x00, 0x1B, 0xE1, 0x00, 0xF0, 0x00])
    return _psi(0, pat) + _psi(0x1000, pmt + b"\0" * 4)


def _pts(seconds: float) -> bytes:
    v = round(seconds * 90_000)
    return bytes(
        [
            0x21 | (v >> 29) & 0x0E,
            v >> 22 & 0xFF,
            0x01 | (v >> 14) & 0xFE,
            v >> 7 & 0xFF,
            0x01 | (v << 1) & 0xFE,
        ]
    )


def _pes_packets(pid: int, payload: bytes) -> list[bytes]:
    packets, first = [], True
    while payload:
        head = bytes([0x47, (0x40 if first else 0) | pid >> 8, pid & 0xFF])
        if len(payload) >= 184:
            packets.append(head + b"\x10" + payload[:184])
            payload = payload[184:]
        else:
            stuffing = 183 - len(payload)
            field = bytes([stuffing]) + (b"\x00" + b"\xff" * (stuffing - 1) if stuffing else b"")
            packets.append(head + b"\x30" + field + payload)
            payload = b""
        first = False
    return packets


def _frame(seconds: float, es: bytes) -> list[bytes]:
    return _pes_packets(VIDEO_PID, b"\x00\x00\x01\xe0\x00\x00\x80\x80\x05" + _pts(seconds) + es)


def _other() -> bytes:
    return _pes_packets(OTHER_PID, b"\x00\x00\x01\xc0\x00\x00\x80\x80\x05" + _pts(0) + b"\x11" * 20)[0]


def _handmade(path: Path, *, captions: bool) -> list[tuple[int, int]]:
    """Write a TS of three frames at 1.40, 1.44, 1.48 s (IDR, P, IDR); return the IDRs' ranges.

    The first IDR's SEI crosses a packet boundary and another PID's packet sits inside its PES and
    right after it; the second IDR follows PAT/PMT again, as ffmpeg writes them.
    """
    messages = [UNREGISTERED, (4, CC_DATA)] if captions else [UNREGISTERED]
    first = _frame(1.40, AUD + SPS + PPS + _sei(*messages) + IDR)
    first.insert(2, _other())
    data = _tables() + b"".join(first) + _other()
    start_p = len(data)
    data += b"".join(_frame(1.44, AUD + NON_IDR)) + _tables()
    start_2 = len(data)
    data += b"".join(_frame(1.48, AUD + SPS + PPS + IDR))
    path.write_bytes(data)
    first_start = 2 * TS
    return [(first_start, start_p - TS - first_start), (start_2, len(data) - start_2)]


def test_scan_of_a_handmade_segment(tmp_path: Path) -> None:
    segment = tmp_path / "seg_000.ts"
    ranges = _handmade(segment, captions=False)
    scan = scan_segment(segment)
    assert [(u.offset, u.length) for u in scan.idrs] == ranges
    assert [u.pts for u in scan.idrs] == pytest.approx([1.40, 1.48])
    assert scan.first_pts == pytest.approx(1.40)
    assert (scan.captions, scan.video_codec) == (False, "avc1.42c00c")
    for offset, length in ranges:
        _assert_whole_idr_pes_handmade(segment.read_bytes()[offset : offset + length])
    _handmade(segment, captions=True)
    assert scan_segment(segment).captions


def _assert_whole_idr_pes_handmade(chunk: bytes) -> None:
    assert pid_of(chunk) == VIDEO_PID and chunk[1] & 0x40
    pes = b"".join(
        payload_of(chunk[i : i + TS])
        for i in range(0, len(chunk), TS)
        if pid_of(chunk[i : i + TS]) == VIDEO_PID
    )
    assert 5 in nal_types(pes)


def test_captions_in_the_video_leave_closed_captions_undeclared(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    _handmade(package / "stream_x_000.ts", captions=True)
    (package / "stream_x.m3u8").write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        "#EXTINF:0.120000,\nstream_x_000.ts\n#EXT-X-ENDLIST\n"
    )
    spec = MasterVariantSpec(name="x", playlist="stream_x.m3u8", width=320, height=180, frame_rate=25)
    finalize_master(package, [spec])
    master = (package / "master.m3u8").read_text()
    assert "CLOSED-CAPTIONS" not in master and "VIDEO-RANGE=SDR" in master
    iframes = m3u8.load(str(package / "iframes_x.m3u8"))
    assert [round(float(s.duration), 6) for s in iframes.segments] == [0.08, 0.04]
    assert 'CODECS="avc1.42c00c"' in master.split("#EXT-X-I-FRAME-STREAM-INF:")[1]


def test_sei_parsing() -> None:
    assert sei_has_captions(_sei((4, CC_DATA))[5:])
    assert sei_has_captions(_sei(UNREGISTERED, (4, CC_DATA))[5:])
    assert not sei_has_captions(_sei(UNREGISTERED)[5:])
    assert not sei_has_captions(_sei((4, CC_DATA.replace(b"GA94", b"DTG1")))[5:])
    escaped = _sei((4, CC_DATA + b"\x00\x00\x01"))[5:].replace(b"\x00\x00\x01", b"\x00\x00\x03\x01")
    assert sei_has_captions(escaped)
    assert not sei_has_captions(b"\x04\x40" + CC_DATA)  # claims more bytes than there are


def test_access_unit_start_waits_for_the_first_slice() -> None:
    es = AUD + SPS + PPS + _sei(UNREGISTERED) + IDR
    assert access_unit_start(es, final=False) == (True, False)
    assert access_unit_start(AUD + NON_IDR, final=False) == (False, False)
    cut = es.index(b"\x06") + 50  # inside the SEI
    assert access_unit_start(es[:cut], final=False) is None
    assert access_unit_start(es[:cut], final=True) == (False, False)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"#EXTM3U\n" * 40, "not an MPEG-TS"), (None, "whole number")],
)
def test_scan_refuses_what_is_not_whole_ts(tmp_path: Path, content: bytes | None, message: str) -> None:
    segment = tmp_path / "bad.ts"
    if content is None:
        _handmade(segment, captions=False)
        segment.write_bytes(segment.read_bytes() + b"\x47\x00")
    else:
        segment.write_bytes(content)
    with pytest.raises(SegmentReadError, match=message):
        scan_segment(segment)


def test_index_of_a_playlist_without_idr_fails(tmp_path: Path) -> None:
    segment = tmp_path / "s_000.ts"
    segment.write_bytes(_tables() + b"".join(_frame(0.0, AUD + SPS + PPS + NON_IDR)))
    playlist = tmp_path / "s.m3u8"
    playlist.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:0.04,\ns_000.ts\n#EXT-X-ENDLIST\n")
    with pytest.raises(ValidationFailed, match="no IDR frame"):
        index_variant(playlist)
