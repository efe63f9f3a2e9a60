"""What an MPEG-TS segment starts with, read in pure Python from its first few packets.

``read_segment_info`` parses the PAT and PMT to find the H.264 video and audio PIDs, then the first
video PES (start PTS, first access unit an IDR?, SPS profile/level) and, when asked, the first audio
PES (ADTS object type). It stops reading as soon as it knows all that, so checking thousands of
segments costs a few kilobytes each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from hlsstudio.core.errors import ValidationFailed

TS_PACKET_SIZE = 188
TS_SYNC_BYTE = 0x47
PTS_CLOCK_HZ = 90_000
PTS_WRAP = 1 << 33
STREAM_TYPE_H264 = 0x1B
STREAM_TYPE_AAC_ADTS = 0x0F
# Audio stream types with a fixed RFC 6381 codec string (no header needs reading).
FIXED_AUDIO_CODECS = {0x03: "mp4a.40.34", 0x04: "mp4a.40.34", 0x81: "ac-3", 0x87: "ec-3"}

NAL_SLICE_NON_IDR = 1
NAL_SLICE_IDR = 5
NAL_SPS = 7
_SLICE_TYPES = {1, 2, 3, 4, 5}
_READ_CHUNK = TS_PACKET_SIZE * 256
_PAT_PID = 0x0000


class SegmentReadError(ValidationFailed):
    """A segment file cannot be read as MPEG-TS (missing, empty, not TS, no program tables)."""


@dataclass(frozen=True)
class SegmentInfo:
    """Facts about the start of one TS segment.

    ``video_pts``/``audio_pts`` are seconds (90 kHz PTS / 90000) of the first PES of each stream;
    ``starts_with_idr`` is True when the first video access unit carries an IDR slice before any
    other slice; ``random_access`` is the adaptation field's random_access_indicator on that PES.
    """

    video_pid: int | None = None
    audio_pid: int | None = None
    audio_stream_type: int | None = None
    video_pts: float | None = None
    audio_pts: float | None = None
    starts_with_idr: bool = False
    random_access: bool = False
    profile_idc: int | None = None
    constraint_flags: int | None = None
    level_idc: int | None = None
    audio_object_type: int | None = None

    @property
    def video_codec(self) -> str | None:
        """RFC 6381 string of the H.264 stream (``avc1.PPCCLL``), None without an SPS."""
        if self.profile_idc is None or self.constraint_flags is None or self.level_idc is None:
            return None
        return f"avc1.{self.profile_idc:02x}{self.constraint_flags:02x}{self.level_idc:02x}"

    @property
    def audio_codec(self) -> str | None:
        """RFC 6381 string of the audio stream (``mp4a.40.2`` for AAC-LC), None if unknown/absent."""
        if self.audio_stream_type in FIXED_AUDIO_CODECS:
            return FIXED_AUDIO_CODECS[self.audio_stream_type]
        if self.audio_object_type is None:
            return None
        return f"mp4a.40.{self.audio_object_type}"

    @property
    def codecs(self) -> str:
        """The CODECS attribute value for this segment's streams: video then audio, comma-joined."""
        return ",".join(c for c in (self.video_codec, self.audio_codec) if c)


@dataclass
class _Packet:
    pid: int
    unit_start: bool
    random_access: bool
    payload: bytes


@dataclass
class _PesReader:
    """Collects one PID's first PES payload until the caller has seen enough."""

    started: bool = False
    ended: bool = False
    random_access: bool = False
    data: bytearray = field(default_factory=bytearray)

    def feed(self, packet: _Packet) -> None:
        if self.ended:
            return
        if packet.unit_start:
            if self.started:
                self.ended = True
                return
            self.started = True
            self.random_access = packet.random_access
        if self.started:
            self.data += packet.payload


def pts_seconds(raw: int) -> float:
    """A 33-bit 90 kHz timestamp in seconds."""
    return raw / PTS_CLOCK_HZ


def pts_difference(a: float, b: float) -> float:
    """``a - b`` in seconds, taking the 33-bit PTS wrap (about 26.5 hours) into account."""
    wrap = PTS_WRAP / PTS_CLOCK_HZ
    diff = (a - b) % wrap
    return diff - wrap if diff > wrap / 2 else diff


def _parse_packet(packet: bytes) -> _Packet:
    pid = ((packet[1] & 0x1F) << 8) | packet[2]
    unit_start = bool(packet[1] & 0x40)
    control = (packet[3] >> 4) & 0x3
    offset = 4
    random_access = False
    if control & 0x2:
        af_length = packet[4]
        if af_length > 0:
            random_access = bool(packet[5] & 0x40)
        offset = 5 + af_length
    payload = packet[offset:] if control & 0x1 and offset < TS_PACKET_SIZE else b""
    return _Packet(pid, unit_start, random_access, payload)


def _section(payload: bytes) -> bytes | None:
    """The PSI section starting in a unit-start payload (after its pointer_field), if complete."""
    if not payload:
        return None
    start = 1 + payload[0]
    if start + 3 > len(payload):
        return None
    length = ((payload[start + 1] & 0x0F) << 8) | payload[start + 2]
    end = start + 3 + length
    return payload[start:end] if end <= len(payload) else None


def _pmt_pid_from_pat(section: bytes) -> int | None:
    # 8-byte header, 4-byte CRC at the end; entries are program_number(16) + reserved(3) + PID(13).
    for pos in range(8, len(section) - 4 - 3, 4):
        program = (section[pos] << 8) | section[pos + 1]
        if program != 0:
            return ((section[pos + 2] & 0x1F) << 8) | section[pos + 3]
    return None


def _streams_from_pmt(section: bytes) -> list[tuple[int, int]]:
    """(stream_type, elementary PID) pairs of a PMT section, in table order."""
    if len(section) < 16:
        return []
    info_length = ((section[10] & 0x0F) << 8) | section[11]
    pos = 12 + info_length
    end = len(section) - 4
    streams: list[tuple[int, int]] = []
    while pos + 5 <= end:
        stream_type = section[pos]
        pid = ((section[pos + 1] & 0x1F) << 8) | section[pos + 2]
        es_info_length = ((section[pos + 3] & 0x0F) << 8) | section[pos + 4]
        streams.append((stream_type, pid))
        pos += 5 + es_info_length
    return streams


def _pes_payload(data: bytes, path: Path) -> tuple[float | None, bytes] | None:
    """(PTS in seconds or None, elementary stream bytes) of a PES, None until its header is complete."""
    if len(data) < 9:
        return None
    if data[0:3] != b"\x00\x00\x01":
        raise SegmentReadError(f"{path.name}: a PES packet does not start with a start code")
    header_end = 9 + data[8]
    if len(data) < header_end:
        return None
    pts = None
    if data[7] & 0x80 and header_end >= 14:
        b = data[9:14]
        raw = ((b[0] >> 1) & 0x07) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7 | b[4] >> 1
        pts = pts_seconds(raw)
    return pts, data[header_end:]


def _unescape(nal: bytes) -> bytes:
    """Drop H.264 emulation-prevention bytes (00 00 03 -> 00 00)."""
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


@dataclass
class _AccessUnit:
    complete: bool = False
    first_slice_type: int | None = None
    sps: bytes | None = None


def _scan_first_access_unit(es: bytes, pes_ended: bool) -> _AccessUnit:
    """Walk Annex B NAL units up to the first slice: its type, and the SPS before it."""
    unit = _AccessUnit()
    pos = es.find(b"\x00\x00\x01")
    while pos != -1 and pos + 3 < len(es):
        nal_type = es[pos + 3] & 0x1F
        following = es.find(b"\x00\x00\x01", pos + 3)
        if nal_type in _SLICE_TYPES:
            unit.first_slice_type = nal_type
            unit.complete = True
            return unit
        if nal_type == NAL_SPS and unit.sps is None:
            end = following if following != -1 else len(es)
            unit.sps = _unescape(es[pos + 4 : end])[:3]
        pos = following
    unit.complete = pes_ended
    return unit


@dataclass
class _SegmentParser:
    path: Path
    want_audio: bool
    pmt_pid: int | None = None
    streams: list[tuple[int, int]] | None = None
    video: _PesReader = field(default_factory=_PesReader)
    audio: _PesReader = field(default_factory=_PesReader)
    video_pid: int | None = None
    audio_pid: int | None = None
    audio_type: int | None = None
    video_unit: _AccessUnit | None = None
    video_pts: float | None = None
    audio_pts: float | None = None
    audio_header: bytes | None = None

    def feed(self, packet: _Packet) -> None:
        if packet.pid == _PAT_PID and packet.unit_start and self.pmt_pid is None:
            section = _section(packet.payload)
            if section is not None and section[0] == 0x00:
                self.pmt_pid = _pmt_pid_from_pat(section)
        elif packet.pid == self.pmt_pid and packet.unit_start and self.streams is None:
            section = _section(packet.payload)
            if section is not None and section[0] == 0x02:
                self._set_streams(_streams_from_pmt(section))
        elif packet.pid == self.video_pid and self.video_unit is None:
            self.video.feed(packet)
            self._try_video()
        elif packet.pid == self.audio_pid and self.audio_header is None:
            self.audio.feed(packet)
            self._try_audio()

    def _set_streams(self, streams: list[tuple[int, int]]) -> None:
        self.streams = streams
        for stream_type, pid in streams:
            if stream_type == STREAM_TYPE_H264 and self.video_pid is None:
                self.video_pid = pid
            elif self._is_audio(stream_type) and self.audio_pid is None:
                self.audio_pid, self.audio_type = pid, stream_type

    @staticmethod
    def _is_audio(stream_type: int) -> bool:
        return stream_type == STREAM_TYPE_AAC_ADTS or stream_type in FIXED_AUDIO_CODECS

    def _try_video(self) -> None:
        parsed = _pes_payload(bytes(self.video.data), self.path) if self.video.started else None
        if parsed is None:
            if self.video.ended:
                self.video_unit = _AccessUnit(complete=True)
            return
        self.video_pts, es = parsed
        unit = _scan_first_access_unit(es, self.video.ended)
        if unit.complete:
            self.video_unit = unit

    def _try_audio(self) -> None:
        if not self.audio.started:
            return
        parsed = _pes_payload(bytes(self.audio.data), self.path)
        if parsed is None:
            if self.audio.ended:
                self.audio_header = b""
            return
        self.audio_pts, es = parsed
        if len(es) >= 7 or self.audio.ended:
            self.audio_header = es[:7]

    @property
    def done(self) -> bool:
        if self.streams is None:
            return False
        video_done = self.video_pid is None or self.video_unit is not None
        audio_done = not self.want_audio or self.audio_pid is None or self.audio_header is not None
        return video_done and audio_done

    def finish(self) -> SegmentInfo:
        if self.streams is None:
            raise SegmentReadError(f"{self.path.name}: no MPEG-TS program tables (PAT/PMT) found")
        if self.video_pid is not None and self.video_unit is None:
            self.video.ended = True
            self._try_video()
        unit = self.video_unit or _AccessUnit()
        sps = unit.sps if unit.sps is not None and len(unit.sps) == 3 else None
        return SegmentInfo(
            video_pid=self.video_pid,
            audio_pid=self.audio_pid,
            audio_stream_type=self.audio_type,
            video_pts=self.video_pts,
            audio_pts=self.audio_pts,
            starts_with_idr=unit.first_slice_type == NAL_SLICE_IDR,
            random_access=self.video.random_access,
            profile_idc=sps[0] if sps else None,
            constraint_flags=sps[1] if sps else None,
            level_idc=sps[2] if sps else None,
            audio_object_type=_adts_object_type(self.audio_header),
        )


def _adts_object_type(header: bytes | None) -> int | None:
    """MPEG-4 audio object type from an ADTS header (profile field + 1), None if not ADTS."""
    if header is None or len(header) < 3 or header[0] != 0xFF or header[1] & 0xF0 != 0xF0:
        return None
    return ((header[2] >> 6) & 0x3) + 1


def _packets(stream: BinaryIO, path: Path) -> list[bytes]:
    """The next chunk of whole packets (an empty list at end of file); checks the sync byte."""
    chunk = stream.read(_READ_CHUNK)
    packets = [chunk[i : i + TS_PACKET_SIZE] for i in range(0, len(chunk), TS_PACKET_SIZE)]
    if packets and len(packets[-1]) < TS_PACKET_SIZE:
        packets.pop()
    for index, packet in enumerate(packets):
        if packet[0] != TS_SYNC_BYTE:
            where = stream.tell() - len(chunk) + index * TS_PACKET_SIZE
            raise SegmentReadError(f"{path.name}: not an MPEG-TS file (no sync byte at offset {where})")
    return packets


def read_segment_info(path: Path, *, audio: bool = True) -> SegmentInfo:
    """Read the start of the MPEG-TS segment at ``path``.

    ``audio=False`` skips the audio codec (and audio PTS), so reading stops right after the first
    video access unit's first slice header: the cheap call for per-segment keyframe/PTS checks.
    Returns a SegmentInfo; video fields are None when the segment has no H.264 stream.
    Raises SegmentReadError when the file is missing, empty, not MPEG-TS, or lacks PAT/PMT.
    """
    parser = _SegmentParser(path=path, want_audio=audio)
    try:
        with path.open("rb") as stream:
            first = stream.read(1)
            if not first:
                raise SegmentReadError(f"{path.name}: the segment file is empty")
            stream.seek(0)
            while not parser.done:
                packets = _packets(stream, path)
                if not packets:
                    break
                for packet in packets:
                    parser.feed(_parse_packet(packet))
                    if parser.done:
                        break
    except OSError as exc:
        raise SegmentReadError(f"{path.name}: cannot read the segment", str(exc)) from exc
    except IndexError as exc:  # a table or header shorter than its own length fields claim
        raise SegmentReadError(f"{path.name}: malformed MPEG-TS data", repr(exc)) from exc
    return parser.finish()
