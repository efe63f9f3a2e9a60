"""The named test sources, and ``MediaSet``: the ``media`` fixture that makes each on first use.

One ``make_*`` per kind of source the probe, ladder and transcode tests talk about (4K, portrait,
rotated by metadata, HDR10, interlaced, two audio tracks, VFR, anamorphic, odd-sized, ...) and per
broken file (empty, text, audio only, cover art, cut off). Where a property is easy to get wrong
(rotation direction, PQ tagging, field order, frame gaps) the maker checks the result with ffprobe
and raises ``MediaGenError``. ``SAMPLES`` names them; ``GOOD_SAMPLES``/``BAD_SAMPLES`` split them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.mediagen import (
    MediaGenError,
    display_rotation_of,
    ffmpeg_major,
    first_video_stream,
    make_video,
    run_ffmpeg,
    video_packet_times,
)

# PQ mastering metadata of a typical HDR10 grade (BT.2020 primaries, D65, 1000/0.0001 nits).
HDR10_X265_PARAMS = (
    "log-level=error:hdr10=1:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:"
    "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):"
    "max-cll=1000,400"
)
HDR10_COLOR_ARGS = ("-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc")


def make_1080p(path: Path, **options: Any) -> Path:
    """1920x1080 25 fps H.264 (ultrafast) with stereo AAC, 1 s: the everyday master."""
    return make_video(path, **{"width": 1920, "height": 1080, "duration": 1.0, **options})


def make_4k(path: Path, **options: Any) -> Path:
    """3840x2160 H.264 without audio, a fraction of a second (for size/ladder checks)."""
    return make_video(path, **{"width": 3840, "height": 2160, "duration": 0.4, "audio": False, **options})


def make_portrait(path: Path, **options: Any) -> Path:
    """A portrait 9:16 video coded upright (360x640, 30 fps, 44.1 kHz AAC), as a phone app exports it."""
    return make_video(
        path, **{"width": 360, "height": 640, "fps": 30, "duration": 1.0, "sample_rate": 44100, **options}
    )


def make_rotated(path: Path, *, rotation: int = 90, **options: Any) -> Path:
    """Landscape coded frames that players show turned ``rotation`` degrees clockwise (metadata only).

    This is what phones record: a 320x180 coded picture plus a display matrix, no re-encode.
    ``rotation`` follows the old ``rotate`` tag (clockwise). ffmpeg 5.x writes ``-metadata
    rotate=N`` as N degrees *counter*-clockwise and ffmpeg 6+ takes ``-display_rotation`` (also
    counter-clockwise), so both get the complement; the result is checked with ffprobe.
    Options go to ``make_video`` (default: ``marker`` pattern so orientation can be checked).
    """
    if rotation % 90:
        raise ValueError("rotation must be a multiple of 90")
    inner = path.with_name(f".{path.stem}.upright{path.suffix}")
    make_video(inner, **{"source": "marker", "duration": 1.0, "audio": False, **options})
    ccw = (360 - rotation) % 360
    if ffmpeg_major() >= 6:
        run_ffmpeg(
            ["-display_rotation:v:0", str(ccw), "-i", str(inner), "-map", "0", "-c", "copy", str(path)]
        )
    else:
        run_ffmpeg(
            ["-i", str(inner), "-map", "0", "-c", "copy", "-metadata:s:v:0", f"rotate={ccw}", str(path)]
        )
    inner.unlink()
    got = display_rotation_of(path)
    if got != rotation % 360:
        raise MediaGenError(f"asked for a {rotation}° display rotation, ffmpeg wrote {got}°")
    return path


def make_no_audio_mkv(path: Path, **options: Any) -> Path:
    """Matroska with one H.264 video stream and no audio."""
    return make_video(path, **{"duration": 1.0, "audio": False, **options})


def make_hdr10(path: Path, **options: Any) -> Path:
    """10-bit HEVC (libx265, yuv420p10le) tagged HDR10: BT.2020 primaries, PQ transfer, mastering data.

    Checks that ffprobe reports color_transfer=smpte2084 and a 10-bit pixel format.
    """
    make_video(
        path,
        **{
            "duration": 1.0,
            "vcodec": "libx265",
            "pix_fmt": "yuv420p10le",
            "video_args": ("-x265-params", HDR10_X265_PARAMS, *HDR10_COLOR_ARGS),
            **options,
        },
    )
    stream = first_video_stream(path)
    if stream.get("color_transfer") != "smpte2084" or "10" not in str(stream.get("pix_fmt")):
        raise MediaGenError(f"HDR10 tagging lost: {stream.get('color_transfer')}, {stream.get('pix_fmt')}")
    return path


def make_interlaced_mpeg2(path: Path, *, top_field_first: bool = True, **options: Any) -> Path:
    """Interlaced PAL MPEG-2 (720x576) with MP2 audio (an ``.mpg`` program stream by default).

    Encoded with interlaced motion estimation and DCT, field order tagged; checks that ffprobe
    reports ``field_order`` tt (top first) or bb (bottom first).
    """
    order = "tt" if top_field_first else "bb"
    make_video(
        path,
        **{
            "width": 720,
            "height": 576,
            "duration": 1.0,
            "vcodec": "mpeg2video",
            "video_bitrate": "2M",
            "vfilter": "setfield=tff" if top_field_first else "setfield=bff",
            "video_args": ("-flags", "+ilme+ildct", "-top", "1" if top_field_first else "0"),
            "audio_codec": "mp2",
            "audio_bitrate": "128k",
            **options,
        },
    )
    field_order = first_video_stream(path).get("field_order")
    if field_order not in (order, "tb" if top_field_first else "bt"):
        raise MediaGenError(f"asked for interlaced {order}, ffprobe reports field_order={field_order}")
    return path


def make_two_audio(
    path: Path, *, languages: Sequence[str] = ("eng", "fra"), default: int = 1, **options: Any
) -> Path:
    """H.264 with one audio track per language, ``default`` (an index) the only default track."""
    return make_video(
        path,
        **{
            "duration": 1.0,
            "audio_tracks": len(languages),
            "audio_languages": tuple(languages),
            "default_audio": default,
            **options,
        },
    )


def _check_gaps(path: Path, wanted: set[float]) -> Path:
    gaps = {round(b - a, 3) for a, b in itertools.pairwise(video_packet_times(path))}
    if not wanted <= gaps:
        raise MediaGenError(f"frame gaps of {path.name} came out as {sorted(gaps)}, wanted {sorted(wanted)}")
    return path


def _vfr_sync() -> tuple[str, str]:
    return ("-fps_mode", "vfr") if ffmpeg_major() >= 5 else ("-vsync", "vfr")


def make_vfr(path: Path, *, fps: int = 30, keep: int = 3, every: int = 5, **options: Any) -> Path:
    """Variable frame rate by dropped frames: ``keep`` of every ``every`` frames of a ``fps`` source.

    The defaults give frame gaps of 1/30 and 3/30 s (18 fps on average), as a screen recorder or
    a phone under load writes them. Timestamps are kept as they are (``-fps_mode vfr``); checked.
    """
    make_video(
        path,
        **{
            "fps": fps,
            "duration": 3.0,
            "audio": False,
            "vfilter": f"select='lt(mod(n,{every}),{keep})'",
            "video_args": _vfr_sync(),
            **options,
        },
    )
    return _check_gaps(path, {round(1 / fps, 3), round((every - keep + 1) / fps, 3)})


def make_vfr_alternating(
    path: Path, *, short_gap: float = 0.02, long_gap: float = 0.06, **options: Any
) -> Path:
    """Variable frame rate by retimed frames: gaps alternate ``short_gap`` and ``long_gap`` seconds.

    With the defaults the average is exactly 25 fps (gaps of 20 and 60 ms) while no two
    neighbouring gaps are equal. Timestamps are set with ``setpts`` on a 1 ms time base and
    written as they are; checked. Works for MP4 and MKV.
    """
    pair = short_gap + long_gap
    setpts = f"setpts='(floor(N/2)*{pair}+mod(N,2)*{short_gap})/TB'"
    make_video(
        path,
        **{
            "vfilter": f"settb=1/1000,{setpts}",
            "video_args": (*_vfr_sync(), "-enc_time_base:v", "1:1000"),
            **options,
        },
    )
    return _check_gaps(path, {round(short_gap, 3), round(long_gap, 3)})


def make_non_square(
    path: Path, *, sar: str = "16/15", width: int = 720, height: int = 576, **options: Any
) -> Path:
    """Anamorphic video: ``width``x``height`` stored pixels with sample aspect ratio ``sar``.

    The default is PAL 4:3 (720x576, SAR 16:15), which displays as 768x576.
    """
    return make_video(
        path, **{"width": width, "height": height, "duration": 1.0, "vfilter": f"setsar={sar}", **options}
    )


def make_odd_size(path: Path, *, width: int = 321, height: int = 181, **options: Any) -> Path:
    """An odd-sized frame (321x181). libx264 refuses odd sizes at 4:2:0, so 4:4:4 is used."""
    return make_video(
        path,
        **{
            "width": width,
            "height": height,
            "pix_fmt": "yuv444p",
            "duration": 1.0,
            "audio": False,
            **options,
        },
    )


def make_high_fps(path: Path, *, fps: float | str = 120, **options: Any) -> Path:
    """A high frame rate clip (120 fps by default; 50 for PAL-style sports)."""
    return make_video(path, **{"fps": fps, "duration": 1.0, "audio": False, **options})


def make_audio_only(path: Path, *, duration: float = 1.0, codec: str = "aac") -> Path:
    """An audio-only file (AAC in .m4a/.mp4 by default): no video stream at all."""
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency=440:duration={duration}", "-c:a", codec, str(path)])
    return path


def make_cover_art_mp3(path: Path, *, duration: float = 1.0) -> Path:
    """An MP3 with an embedded cover picture (a video stream with the attached_pic disposition)."""
    cover = path.with_name(f".{path.stem}.cover.png")
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=64x64:d=1", "-frames:v", "1", str(cover)])
    run_ffmpeg(
        [
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={duration}", "-i", str(cover),
            "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-c:v", "png",
            "-disposition:v:0", "attached_pic", "-id3v2_version", "3", str(path),
        ]
    )  # fmt: skip
    cover.unlink()
    return path


def make_zero_byte(path: Path) -> Path:
    """A zero-byte file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def make_text_file(path: Path) -> Path:
    """A plain text file (give it a media extension such as ``.mp4`` to fool a file picker)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("This is a text file, not a video.\n" * 40, encoding="utf-8")
    return path


def _truncate_copy(full: Path, path: Path, keep: float) -> bytes:
    data = full.read_bytes()
    full.unlink()
    cut = data[: int(len(data) * keep)]
    path.write_bytes(cut)
    return cut


def make_truncated_mp4(path: Path, *, keep: float = 0.6, **options: Any) -> Path:
    """An MP4 cut off before its moov atom, as when a copy or a recording stopped part-way.

    Without ``+faststart`` ffmpeg writes the moov atom after the media data, so the first
    ``keep`` fraction holds ``ftyp`` and part of ``mdat`` only (checked).
    """
    full = path.with_name(f".{path.stem}.full.mp4")
    make_video(full, **{"duration": 2.0, **options})
    cut = _truncate_copy(full, path, keep)
    if b"moov" in cut:
        raise MediaGenError("the moov atom is in the kept part: cannot make a moov-less MP4 this way")
    return path


def make_truncated_mkv(path: Path, *, keep: float = 0.5, **options: Any) -> Path:
    """A Matroska file whose data ends early (the header still promises the full duration)."""
    full = path.with_name(f".{path.stem}.full.mkv")
    make_video(full, **{"duration": 2.0, **options})
    _truncate_copy(full, path, keep)
    return path


def _clip(**options: Any) -> Callable[[Path], Path]:
    return lambda path: make_video(path, **options)


def _call(make: Callable[..., Path], **options: Any) -> Callable[[Path], Path]:
    return lambda path: make(path, **options)


@dataclass(frozen=True)
class Sample:
    """A named test source: its file name, how to make it, and one line on what it is."""

    filename: str
    build: Callable[[Path], Path]
    about: str


SAMPLES: dict[str, Sample] = {
    "h264_1080p": Sample("h264_1080p.mp4", make_1080p, "1080p25 H.264 with stereo AAC, 1 s"),
    "uhd_4k": Sample("uhd_4k.mp4", make_4k, "2160p H.264, no audio, 0.4 s"),
    "portrait_phone": Sample("portrait_phone.mov", make_portrait, "portrait 360x640 30 fps QuickTime + AAC"),
    "rotated_metadata": Sample("rotated_metadata.mp4", make_rotated, "320x180 coded, shown 90° clockwise"),
    "rotated_270": Sample("rotated_270.mp4", _call(make_rotated, rotation=270), "320x180, shown 270° cw"),
    "noaudio": Sample("noaudio.mkv", make_no_audio_mkv, "Matroska, H.264, no audio"),
    "hevc_hdr10": Sample("hevc_hdr10.mp4", make_hdr10, "10-bit HEVC HDR10 (BT.2020, PQ) with AAC"),
    "interlaced_mpeg2": Sample(
        "interlaced_mpeg2.mpg", make_interlaced_mpeg2, "PAL MPEG-2 PS, interlaced TFF"
    ),
    "two_audio": Sample("two_audio.mp4", make_two_audio, "H.264 + AAC eng + AAC fra (fra default)"),
    "vfr": Sample("vfr.mp4", make_vfr, "VFR MP4: 3 of every 5 frames of 30 fps (gaps 1/30, 3/30 s)"),
    "vfr_25": Sample(
        "vfr_25.mkv", make_vfr_alternating, "VFR Matroska + AAC, gaps 20/60 ms (25 fps average)"
    ),
    "anamorphic": Sample("anamorphic.mp4", make_non_square, "720x576 stored, SAR 16:15 (shows 768x576)"),
    "odd_size": Sample("odd_size.mp4", _call(make_odd_size, source="testsrc"), "321x181 H.264 4:4:4"),
    "fps50": Sample("fps50.mp4", _call(make_high_fps, fps=50), "50 fps, no audio"),
    "hfr_120": Sample("hfr_120.mp4", make_high_fps, "120 fps, no audio"),
    "one_second": Sample("one_second.mp4", _clip(duration=1.0), "1 s 320x180 H.264 + AAC"),
    "tiny": Sample("tiny.mp4", _clip(width=160, height=90, duration=1.0), "160x90 H.264 + AAC"),
    "subtitled": Sample("subtitled.mkv", _clip(duration=1.0, subtitle_language="eng"), "H.264 + AAC + SRT"),
    "cover_art_mp3": Sample("cover_art.mp3", make_cover_art_mp3, "MP3 with an attached cover picture"),
    "audio_only": Sample("audio_only.m4a", make_audio_only, "AAC audio, no video stream"),
    "empty": Sample("empty.mp4", make_zero_byte, "zero bytes"),
    "text_as_mp4": Sample("text_as_mp4.mp4", make_text_file, "a text file named .mp4"),
    "truncated_mp4": Sample("truncated.mp4", make_truncated_mp4, "MP4 cut at 60%, before its moov atom"),
    "truncated_mkv": Sample("truncated.mkv", make_truncated_mkv, "Matroska whose data ends half-way"),
}
ALIASES = {"truncated": "truncated_mp4", "zero_byte": "empty", "no_audio": "noaudio", "hdr10": "hevc_hdr10"}
OPTION_ALIASES = {
    "pattern": "source",
    "video_codec": "vcodec",
    "video_filter": "vfilter",
    "extra_output_args": "extra_args",
}
BAD_SAMPLES = ("empty", "text_as_mp4", "audio_only", "truncated_mp4", "cover_art_mp3")
GOOD_SAMPLES = tuple(name for name in SAMPLES if name not in BAD_SAMPLES)


class MediaSet:
    """Named test media under ``root``, each generated on first use and then reused.

    ``media.hevc_hdr10``, ``media["hevc_hdr10"]`` and ``media.sample("hevc_hdr10")`` are the same
    path (see ``SAMPLES`` for the names); ``media.clip(**make_video_options)`` does the same for
    ad-hoc clips (same options, same file). Files are shared: copy one before changing it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    @staticmethod
    def names() -> list[str]:
        """Every sample name."""
        return list(SAMPLES)

    def _build_once(self, filename: str, build: Callable[[Path], Path]) -> Path:
        path = self.root / filename
        with self._lock:
            if not path.exists():
                partial = path.with_name(f".partial-{filename}")
                build(partial)
                partial.rename(path)
        return path

    def sample(self, name: str) -> Path:
        """The file of sample ``name``, generated on first use; KeyError for unknown names."""
        spec = SAMPLES[ALIASES.get(name, name)]
        return self._build_once(spec.filename, spec.build)

    def about(self, name: str) -> str:
        """One line on what sample ``name`` is."""
        return SAMPLES[ALIASES.get(name, name)].about

    def __getitem__(self, name: str) -> Path:
        return self.sample(name)

    def __getattr__(self, name: str) -> Path:
        if name.startswith("_") or ALIASES.get(name, name) not in SAMPLES:
            raise AttributeError(name)
        return self.sample(name)

    def clip(self, suffix: str = ".mp4", **options: Any) -> Path:
        """A ``make_video(path, **options)`` clip with the given extension, generated on first use.

        Also takes the older option names ``pattern``, ``video_codec``, ``video_filter`` and
        ``extra_output_args``; ``audio_tracks=0`` means no audio.
        """
        key = hashlib.sha1(json.dumps(options, sort_keys=True, default=str).encode()).hexdigest()[:12]
        renamed = {OPTION_ALIASES.get(k, k): v for k, v in options.items()}
        return self._build_once(f"clip-{key}{suffix}", lambda p: make_video(p, **renamed))
