"""I-frame-only playlists (RFC 8216 section 4.3.3.6): where each IDR frame of a variant lies in its
TS segments, and the playlist that lists them as byte ranges for scrubbing and fast scanning.

An I-frame is the run of whole 188-byte TS packets from the first packet of the PES that starts an
IDR access unit (payload_unit_start on the video PID) through the last video packet of that PES.
The PAT/PMT before it are left out: RFC 8216 forbids an I-frame byte range to include the Media
Initialization Section, and players (AVPlayer, Media3/ExoPlayer) take the bytes from the start of
the file to its first I-frame as that section. Audio packets interleaved inside the range stay.

An I-frame's EXTINF is the time to the next I-frame (to the end of the variant for the last one):
its PTS is placed within its segment and the segments are laid end to end by their EXTINF, so
the durations add up to the variant's duration.

Every video PES is read up to its first slice, so whether any picture carries ATSC A/53 closed
captions (CEA-608/708 in SEI) is learnt on the way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from hlsstudio.core.errors import ValidationFailed
from hlsstudio.core.hls.playlists import is_local_uri, read_media_playlist, resolve_uri
from hlsstudio.core.hls.tsinfo import (
    TS_PACKET_SIZE,
    TS_SYNC_BYTE,
    SegmentReadError,
    pts_difference,
    pts_seconds,
    read_segment_info,
)

IFRAME_PLAYLIST_VERSION = 4
"""RFC 8216 section 7: EXT-X-BYTERANGE and EXT-X-I-FRAMES-ONLY need protocol version 4."""

_START_CODE = b"\x00\x00\x01"
_NAL_IDR = 5
_NAL_SEI = 6
_SLICE_TYPES = {1, 2, 3, 4, 5}
_SEI_USER_DATA_REGISTERED = 4
_ATSC_CAPTIONS = b"GA94\x03"  # A/53 user_identifier and cc_data type, after country and provider codes
_MICRO = 1_000_000
_MAX_PREFIX = 256 * 1024  # an access unit's headers never need more; stop looking past it


@dataclass(frozen=True)
class IdrUnit:
    """One IDR access unit in a TS file: byte offset and length of its packets, PTS in seconds."""

    offset: int
    length: int
    pts: float


@dataclass(frozen=True)
class SegmentIFrames:
    """What one TS segment holds: its IDR access units in file order, the PTS of its first video
    PES (None without video PES), whether a picture carries A/53 captions, and the video codec."""

    idrs: tuple[IdrUnit, ...]
    first_pts: float | None
    captions: bool
    video_codec: str | None


@dataclass(frozen=True)
class IFrame:
    """One I-frame segment: the TS file (URI as the variant playlist lists it), its byte range, and
    its span (seconds from the variant's start, and to the next I-frame)."""

    uri: str
    offset: int
    length: int
    start: float
    duration: float


@dataclass(frozen=True)
class IFrameIndex:
    """Every IDR frame of one variant, in order, with what the master and the playlist need."""

    variant_playlist: Path
    iframes: tuple[IFrame, ...]
    duration: float
    target_duration: int
    captions: bool
    video_codec: str | None

    @property
    def sized(self) -> list[tuple[int, float]]:
        """(bytes, EXTINF seconds) of each I-frame, as the master's bandwidth measurement takes them."""
        return [(frame.length, frame.duration) for frame in self.iframes]


@dataclass
class _Unit:
    """One video PES being read: its packet span and, until its first slice is seen, its bytes."""

    start: int
    end: int
    prefix: bytearray = field(default_factory=bytearray)
    decided: bool = False
    idr: bool = False
    captions: bool = False
    pts: float | None = None


def _payload(data: bytes, pos: int) -> bytes:
    control = (data[pos + 3] >> 4) & 0x3
    if not control & 0x1:
        return b""
    start = pos + 5 + data[pos + 4] if control & 0x2 else pos + 4
    return data[start : pos + TS_PACKET_SIZE] if start < pos + TS_PACKET_SIZE else b""


def _unescape(nal: bytes) -> bytes:
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _sei_value(rbsp: bytes, pos: int) -> tuple[int, int]:
    """An SEI payloadType/payloadSize (0xFF bytes then a last byte) at ``pos``: (value, next pos)."""
    value = 0
    while pos < len(rbsp) and rbsp[pos] == 0xFF:
        value += 255
        pos += 1
    if pos >= len(rbsp):
        return -1, pos
    return value + rbsp[pos], pos + 1


def sei_has_captions(nal_body: bytes) -> bool:
    """True when an SEI NAL unit (the bytes after its header byte) holds an ATSC A/53 cc_data
    message (user_data_registered_itu_t_t35, user_identifier ``GA94``, type 3)."""
    rbsp = _unescape(nal_body)
    pos = 0
    while rbsp[pos:].rstrip(b"\x00") not in (b"", b"\x80"):  # what is left is not rbsp_trailing_bits
        payload_type, pos = _sei_value(rbsp, pos)
        size, pos = _sei_value(rbsp, pos)
        if payload_type < 0 or size < 0 or pos + size > len(rbsp):
            return False
        payload = rbsp[pos : pos + size]
        if payload_type == _SEI_USER_DATA_REGISTERED and payload[3:8] == _ATSC_CAPTIONS:
            return True
        pos += size
    return False


def access_unit_start(es: bytes, *, final: bool) -> tuple[bool, bool] | None:
    """(IDR?, A/53 captions?) of the H.264 access unit that begins ``es`` (Annex B), judged from its
    NAL units up to the first slice. None while ``es`` ends before that and more bytes may follow
    (``final=False``); with ``final=True`` a unit without any slice is (False, captions so far)."""
    captions = False
    pos = es.find(_START_CODE)
    while pos != -1 and pos + 3 < len(es):
        nal_type = es[pos + 3] & 0x1F
        following = es.find(_START_CODE, pos + 3)
        if nal_type in _SLICE_TYPES:
            return nal_type == _NAL_IDR, captions
        if nal_type == _NAL_SEI:
            if following == -1 and not final:
                return None
            captions = captions or sei_has_captions(es[pos + 4 : following if following != -1 else len(es)])
        pos = following
    return (False, captions) if final else None


def _pes_pts(pes: bytes, path: Path) -> float | None:
    if pes[0:3] != _START_CODE:
        raise SegmentReadError(f"{path.name}: a video PES packet does not start with a start code")
    if not pes[7] & 0x80 or len(pes) < 14:
        return None
    b = pes[9:14]
    return pts_seconds(((b[0] >> 1) & 0x07) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7 | b[4] >> 1)


def _decide(unit: _Unit, path: Path, *, final: bool) -> None:
    data = bytes(unit.prefix)
    if len(data) < 9 or len(data) < 9 + data[8]:
        if final:
            unit.decided = True
        return
    found = access_unit_start(data[9 + data[8] :], final=final or len(data) > _MAX_PREFIX)
    if found is None:
        return
    unit.pts = _pes_pts(data, path)
    unit.idr, unit.captions = found
    unit.decided = True
    unit.prefix = bytearray()


def _check_packets(data: bytes, path: Path) -> None:
    if not data:
        raise SegmentReadError(f"{path.name}: the segment file is empty")
    if len(data) % TS_PACKET_SIZE:
        raise SegmentReadError(f"{path.name}: not a whole number of {TS_PACKET_SIZE}-byte TS packets")
    if data[::TS_PACKET_SIZE].count(TS_SYNC_BYTE) != len(data) // TS_PACKET_SIZE:
        raise SegmentReadError(f"{path.name}: not an MPEG-TS file (a packet lacks the sync byte)")


def _video_units(data: bytes, pid: int, path: Path) -> list[_Unit]:
    """Every video PES of a TS file in order (a PES continued from an earlier file is skipped)."""
    units: list[_Unit] = []
    current: _Unit | None = None
    high, low = (pid >> 8) & 0x1F, pid & 0xFF
    for index, (b1, b2) in enumerate(zip(data[1::TS_PACKET_SIZE], data[2::TS_PACKET_SIZE], strict=True)):
        if b2 != low or b1 & 0x1F != high:
            continue
        pos = index * TS_PACKET_SIZE
        if b1 & 0x40:
            if current is not None and not current.decided:
                _decide(current, path, final=True)
            current = _Unit(start=pos, end=pos + TS_PACKET_SIZE)
            units.append(current)
        elif current is None:
            continue
        current.end = pos + TS_PACKET_SIZE
        if not current.decided:
            current.prefix += _payload(data, pos)
            _decide(current, path, final=False)
    if current is not None and not current.decided:
        _decide(current, path, final=True)
    return units


def scan_segment(path: Path) -> SegmentIFrames:
    """Find the IDR access units of one MPEG-TS segment (and A/53 captions on any picture).

    Raises SegmentReadError when the file is missing, empty, not whole TS packets, lacks PAT/PMT or
    an H.264 stream, or an IDR's PES carries no PTS.
    """
    info = read_segment_info(path, audio=False)
    if info.video_pid is None:
        raise SegmentReadError(f"{path.name}: no H.264 video stream")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SegmentReadError(f"{path.name}: cannot read the segment", str(exc)) from exc
    _check_packets(data, path)
    try:
        units = _video_units(data, info.video_pid, path)
    except IndexError as exc:  # a header shorter than its own length fields claim
        raise SegmentReadError(f"{path.name}: malformed MPEG-TS data", repr(exc)) from exc
    idrs: list[IdrUnit] = []
    for unit in units:
        if not unit.idr:
            continue
        if unit.pts is None:
            raise SegmentReadError(f"{path.name}: the IDR frame at byte {unit.start} has no PTS")
        idrs.append(IdrUnit(offset=unit.start, length=unit.end - unit.start, pts=unit.pts))
    return SegmentIFrames(
        idrs=tuple(idrs),
        first_pts=units[0].pts if units else None,
        captions=any(unit.captions for unit in units),
        video_codec=info.video_codec,
    )


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def index_variant(playlist_path: Path) -> IFrameIndex:
    """Every IDR frame of the variant whose media playlist is ``playlist_path``, with its span.

    Raises PlaylistError/SegmentReadError (ValidationFailed) when the playlist or a segment cannot
    be read, and ValidationFailed when a segment is outside the package or no segment has an IDR.
    """
    playlist = read_media_playlist(playlist_path)
    points: list[tuple[str, IdrUnit, float]] = []
    captions = False
    video_codec: str | None = None
    position = 0.0
    for number, segment in enumerate(playlist.segments):
        if not is_local_uri(segment.uri):
            raise ValidationFailed(
                f"{playlist_path.name}: segment URI {segment.uri!r} is outside the package"
            )
        scan = scan_segment(resolve_uri(playlist_path, segment.uri))
        captions = captions or scan.captions
        video_codec = scan.video_codec if number == 0 else video_codec
        for unit in scan.idrs:
            into = pts_difference(unit.pts, scan.first_pts) if scan.first_pts is not None else 0.0
            points.append((segment.uri, unit, position + min(max(into, 0.0), segment.duration)))
        position += segment.duration
    if not points:
        raise ValidationFailed(f"{playlist_path.name}: no IDR frame found in its segments")
    # Whole microseconds, as the playlist writes them: the declared rates are measured from the
    # durations a player reads, and the durations still add up to the variant's.
    ticks = [round(start * _MICRO) for _, _, start in points] + [round(position * _MICRO)]
    iframes = tuple(
        IFrame(
            uri=uri,
            offset=unit.offset,
            length=unit.length,
            start=ticks[k] / _MICRO,
            duration=max(ticks[k + 1] - ticks[k], 0) / _MICRO,
        )
        for k, (uri, unit, _) in enumerate(points)
    )
    longest = max(_round_half_up(frame.duration) for frame in iframes)
    return IFrameIndex(
        variant_playlist=playlist_path,
        iframes=iframes,
        duration=position,
        target_duration=max(1, longest, playlist.target_duration or 0),
        captions=captions,
        video_codec=video_codec,
    )


def render_iframe_playlist(index: IFrameIndex) -> str:
    """The I-frame playlist text of ``index`` (VOD, version 4, one EXTINF + BYTERANGE per I-frame).

    Its segment URIs are the variant playlist's, so it must sit in the same folder.
    """
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{IFRAME_PLAYLIST_VERSION}",
        f"#EXT-X-TARGETDURATION:{index.target_duration}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-I-FRAMES-ONLY",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for frame in index.iframes:
        lines += [
            f"#EXTINF:{frame.duration:.6f},",
            f"#EXT-X-BYTERANGE:{frame.length}@{frame.offset}",
            frame.uri,
        ]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
