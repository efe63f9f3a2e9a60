"""ffprobe JSON -> MediaInfo. Running ffprobe is one function; parsing is pure and tested on saved JSON."""

from __future__ import annotations

import itertools
import json
import os
import statistics
from pathlib import Path
from typing import Any

from hlsstudio.core.errors import ProbeError
from hlsstudio.core.framerate import output_rate, parse_rate, rate_text
from hlsstudio.core.models import AudioStream, MediaInfo, SubtitleStream
from hlsstudio.core.proc import TimedOut, run_bounded
from hlsstudio.core.subtitles.embedded import is_text_codec

PROBE_TIMEOUT = 30.0
VFR_SAMPLE_PACKETS = 300
# packets of every stream read for VFR detection: 300+ video packets next to a few audio tracks
PROBE_PACKETS = 1200
INTERLACED_ORDERS = {"tt", "bb", "tb", "bt"}
HDR_TRANSFERS = {"smpte2084": "PQ", "arib-std-b67": "HLG"}
# ffmpeg's "tty" demuxer takes any text file for an ANSI-art video: that is not a source
TEXT_CODECS = {"ansi", "bintext", "xbin", "idf"}

Json = dict[str, Any]


def run_ffprobe(
    ffprobe: str, path: Path, timeout: float = PROBE_TIMEOUT, *, background: bool = False
) -> tuple[Json, list[float]]:
    """Run ffprobe on ``path``: (format+streams JSON, sorted timestamps of the first video packets).

    One ffprobe process answers both: its start-up costs more than reading the packets, and a
    queue of hundreds of files pays it once per file. ``background`` lowers its CPU priority.
    Raises ProbeError with a one-line reason (the stderr tail as detail).
    """
    _check_file(path)
    args = [
        "-show_format", "-show_streams",
        "-read_intervals", f"%+#{PROBE_PACKETS}", "-show_entries", "packet=stream_index,pts_time",
    ]  # fmt: skip
    doc = _ffprobe_json(ffprobe, args, path, timeout, background)
    return doc, video_packet_times(doc)


def video_packet_times(doc: Json) -> list[float]:
    """Sorted timestamps of the first video packets in a document with ``packets`` (which it drops).

    Only the stream ``_pick_video`` chooses counts (not cover art); empty when there is none.
    """
    packets = doc.pop("packets", None) or []
    try:
        index = _pick_video(list(doc.get("streams") or [])).get("index")
    except ProbeError:
        return []
    times = sorted(
        float(p["pts_time"])
        for p in packets
        if p.get("stream_index") == index and _is_number(p.get("pts_time"))
    )
    return times[:VFR_SAMPLE_PACKETS]


def probe_file(
    ffprobe: str, path: Path, timeout: float = PROBE_TIMEOUT, *, background: bool = False
) -> MediaInfo:
    """Probe a source file. Returns MediaInfo; raises ProbeError for anything unusable.

    ``background``: at a lower CPU priority (probes the user is not waiting on one by one).
    """
    doc, times = run_ffprobe(ffprobe, path, timeout, background=background)
    return parse_probe(doc, str(path), path.stat().st_size, times)


def probe_audio_file(ffprobe: str, path: Path, timeout: float = PROBE_TIMEOUT) -> tuple[AudioStream, float]:
    """An audio file's first audio stream and its duration in seconds (a dub beside a source).

    Raises ProbeError for a file ffprobe cannot read or one without sound.
    """
    _check_file(path)
    doc = _ffprobe_json(ffprobe, ["-show_format", "-show_streams"], path, timeout, False)
    audio = [s for s in doc.get("streams") or [] if s.get("codec_type") == "audio"]
    if not audio:
        raise ProbeError(f"{path.name} has no audio stream")
    duration = _num((doc.get("format") or {}).get("duration")) or _num(audio[0].get("duration")) or 0.0
    return _audio(audio[0]), float(duration)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise ProbeError(f"file not found: {path}")
    if path.is_dir():
        raise ProbeError(f"not a file but a folder: {path.name}")
    if path.stat().st_size == 0:
        raise ProbeError("empty file (0 bytes)")
    if not os.access(path, os.R_OK):
        raise ProbeError("cannot read the file (permission denied)")


def _ffprobe_json(ffprobe: str, args: list[str], path: Path, timeout: float, background: bool) -> Json:
    cmd = [ffprobe, "-v", "error", "-of", "json", *args, "--", str(path)]
    try:
        done = run_bounded(cmd, timeout, background=background)
    except TimedOut as exc:
        raise ProbeError(f"ffprobe gave no answer within {timeout:g} s (file unreadable?)") from exc
    except OSError as exc:
        raise ProbeError(f"cannot run ffprobe: {exc}") from exc
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        raise ProbeError(_stderr_reason(stderr, path), stderr[-4000:])
    try:
        result = json.loads(done.stdout.decode("utf-8", "replace") or "{}")
    except ValueError as exc:
        raise ProbeError("ffprobe returned unreadable output", stderr[-4000:]) from exc
    return result if isinstance(result, dict) else {}


ISO_BOX_TYPES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid"}


def looks_like_iso_media(path: Path) -> bool:
    """Whether ``path`` starts with an ISO-BMFF/QuickTime box (so a missing moov means "cut off")."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return False
    return len(head) == 8 and head[4:8] in ISO_BOX_TYPES


def _stderr_reason(stderr: str, path: Path) -> str:
    text = stderr.lower()
    if "moov atom not found" in text:
        if not looks_like_iso_media(path):
            return "not a media file, or its container is damaged"
        return "incomplete MP4: the moov atom is missing (file cut off while copying or recording)"
    if "permission denied" in text:
        return "cannot read the file (permission denied)"
    if "invalid data found" in text or "could not find codec parameters" in text:
        return "not a media file, or its container is damaged"
    last = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    return f"ffprobe cannot read the file: {last[-1].strip()}" if last else "ffprobe cannot read the file"


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _num(value: Any, kind: type = float) -> Any:
    return kind(float(value)) if _is_number(value) else None


def _rotation(stream: Json) -> int:
    for side in stream.get("side_data_list", []) or []:
        if "rotation" in side and _is_number(side["rotation"]):
            # the display matrix angle is counter-clockwise; the rotate tag (what players show) is clockwise
            return round(-float(side["rotation"])) % 360
    tag = _num((stream.get("tags") or {}).get("rotate"))
    return round(tag) % 360 if tag is not None else 0


def _bit_depth(stream: Json) -> int:
    raw = _num(stream.get("bits_per_raw_sample"), int)
    if raw and raw > 0:
        return int(raw)
    pix_fmt = str(stream.get("pix_fmt") or "")
    for depth in (16, 14, 12, 10, 9):
        if f"p{depth}" in pix_fmt:
            return depth
    return 8


def is_vfr(times: list[float]) -> bool:
    """Whether sorted packet timestamps show a variable frame rate.

    True when more than 2% (and more than 2) of the frame gaps differ from the median gap by over
    20%: a single dropped frame or timestamp jitter is not VFR. Fewer than 10 gaps: False.
    """
    deltas = [b - a for a, b in itertools.pairwise(times) if b > a]
    if len(deltas) < 10:
        return False
    typical = statistics.median(deltas)
    off = sum(1 for d in deltas if abs(d - typical) > typical * 0.2)
    return off > max(2, len(deltas) // 50)


def _display_size(stream: Json, rotation: int) -> tuple[int, int]:
    width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
    sar = parse_rate(str(stream.get("sample_aspect_ratio") or "").replace(":", "/"))
    if sar and sar != 1:
        width = round(width * sar)
    return (height, width) if rotation in (90, 270) else (width, height)


def _container(fmt: Json, path: str, video_codec: str) -> str:
    names = str(fmt.get("format_name") or "").split(",")
    ext = Path(path).suffix.lower().lstrip(".")
    if "mp4" in names or "mov" in names:
        return "mov" if ext == "mov" else "mp4"
    if "matroska" in names:
        return "webm" if ext == "webm" or (video_codec in ("vp8", "vp9", "av1") and ext != "mkv") else "mkv"
    return {"mpeg": "mpg", "mpegts": "ts", "mpegvideo": "m2v"}.get(names[0], names[0] or "unknown")


def _audio(stream: Json) -> AudioStream:
    tags = stream.get("tags") or {}
    return AudioStream(
        codec=str(stream.get("codec_name") or "unknown"),
        channels=int(stream.get("channels") or 0),
        channel_layout=stream.get("channel_layout"),
        sample_rate=_num(stream.get("sample_rate"), int),
        language=tags.get("language"),
        default=bool((stream.get("disposition") or {}).get("default")),
    )


def _pick_video(streams: list[Json]) -> Json:
    videos = [
        s for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]  # fmt: skip
    if not videos:
        if any(s.get("codec_type") == "audio" for s in streams):
            raise ProbeError("audio only: the file has no video stream")
        raise ProbeError("not a media file, or its container is damaged (no video stream found)")
    video = videos[0]
    if video.get("codec_name") in TEXT_CODECS:
        raise ProbeError("not a media file but plain text")
    if not video.get("codec_name") or not video.get("width"):
        fourcc = video.get("codec_tag_string") or "unknown"
        raise ProbeError(f"no decoder for the video codec ({fourcc}) in this FFmpeg")
    return video


def parse_probe(doc: Json, path: str, size: int, packet_times: list[float] | None = None) -> MediaInfo:
    """Turn ffprobe's ``-show_format -show_streams`` JSON into MediaInfo (pure; no I/O).

    ``packet_times`` are sorted timestamps of the first video packets, for VFR detection; without
    them a difference between r_frame_rate and avg_frame_rate decides. Raises ProbeError for
    documents that describe no usable video.
    """
    streams: list[Json] = list(doc.get("streams") or [])
    fmt: Json = doc.get("format") or {}
    video = _pick_video(streams)
    rotation = _rotation(video)
    width, height = _display_size(video, rotation)
    avg = parse_rate(video.get("avg_frame_rate"))
    real = parse_rate(video.get("r_frame_rate"))
    fps = float(avg or real or 0)
    vfr = is_vfr(packet_times) if packet_times else bool(avg and real and abs(avg - real) / real > 0.01)
    duration = _num(fmt.get("duration")) or _num(video.get("duration")) or 0.0
    if duration <= 0:
        raise ProbeError("cannot tell the duration of this file (damaged or a raw stream)")
    transfer = video.get("color_transfer")
    info = MediaInfo(
        path=path,
        container=_container(fmt, path, str(video.get("codec_name"))),
        duration=round(float(duration), 3),
        size=size,
        bit_rate=_num(fmt.get("bit_rate"), int),
        video_delay=_video_delay(fmt, video),
        video_codec=str(video["codec_name"]),
        profile=video.get("profile"),
        coded_width=int(video.get("width") or 0),
        coded_height=int(video.get("height") or 0),
        width=width,
        height=height,
        rotation=rotation,
        fps=round(fps, 3),
        vfr=vfr,
        pix_fmt=video.get("pix_fmt"),
        bit_depth=_bit_depth(video),
        color_transfer=transfer,
        color_primaries=video.get("color_primaries"),
        hdr=transfer in HDR_TRANSFERS,
        interlaced=str(video.get("field_order") or "") in INTERLACED_ORDERS,
        audio_streams=[_audio(s) for s in streams if s.get("codec_type") == "audio"],
        subtitle_streams=[
            SubtitleStream(
                codec=str(s.get("codec_name") or "unknown"),
                language=(s.get("tags") or {}).get("language"),
                text=is_text_codec(str(s.get("codec_name") or "")),
            )
            for s in streams
            if s.get("codec_type") == "subtitle"
        ],
    )
    info.warnings = source_warnings(info, video)
    return info


def _video_delay(fmt: Json, video: Json) -> float:
    """Seconds from the file's first timestamp (any stream) to the video's (0 when unknown)."""
    first, own = _num(fmt.get("start_time")), _num(video.get("start_time"))
    if first is None or own is None:
        return 0.0
    return float(round(max(0.0, min(float(own) - float(first), 60.0)), 6))


def source_warnings(info: MediaInfo, video: Json | None = None) -> list[str]:
    """Short sentences about what the transcode will change or drop for this source."""
    warnings: list[str] = []
    out_rate = rate_text(output_rate(info.fps, info.vfr))
    if info.vfr:
        warnings.append(f"variable frame rate: output will be constant {_fps_words(out_rate)} fps")
    elif info.fps > 60.5:
        warnings.append(f"{info.fps:g} fps: output capped at {_fps_words(out_rate)} fps")
    if info.interlaced:
        warnings.append("interlaced: will be deinterlaced")
    if info.hdr:
        kind = HDR_TRANSFERS.get(info.color_transfer or "", "HDR")
        warnings.append(f"HDR ({kind}): will be tone-mapped to SDR")
    elif info.bit_depth > 8:
        warnings.append(f"{info.bit_depth}-bit video: output will be 8-bit")
    if info.rotation:
        warnings.append(f"rotated {info.rotation}° by metadata: output will be upright")
    sar = str((video or {}).get("sample_aspect_ratio") or "1:1")
    if sar not in ("1:1", "0:1", "N/A"):
        warnings.append(f"non-square pixels (SAR {sar}): output uses square pixels")
    if info.coded_width % 2 or info.coded_height % 2:
        warnings.append(
            f"odd frame size {info.coded_width}x{info.coded_height}: output sizes are rounded to even"
        )
    if not info.audio_streams:
        warnings.append("no audio: renditions will be video-only")
    images = [s.codec for s in info.subtitle_streams if not is_text_codec(s.codec)]
    if images:
        warnings.append(
            f"image subtitles ({', '.join(sorted(set(images)))}) can't be converted to text: skipped"
        )
    return warnings


def _fps_words(rate: str) -> str:
    if "/" in rate:
        num, den = rate.split("/")
        return f"{int(num) / int(den):.3f}".rstrip("0").rstrip(".")
    return rate
