"""Plain-language labels for technical facts about a source, and what to do about a failed job (no Qt).

Every label function takes the raw term (as ffprobe or the engine states it) and returns what a
content team reads; the raw term stays available for a tooltip. Unknown terms are shown as they are.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from hlsstudio.core.framerate import output_rate
from hlsstudio.core.jobdb import JobRecord
from hlsstudio.core.models import JobState, MediaInfo, PlannedRung

FAILED_STATES = frozenset(
    {JobState.FAILED, JobState.PUBLISH_FAILED, JobState.CANCELLED, JobState.INTERRUPTED}
)

CODECS = {
    # video
    "h264": "H.264", "hevc": "H.265/HEVC", "h265": "H.265/HEVC", "av1": "AV1", "vp9": "VP9", "vp8": "VP8",
    "mpeg2video": "MPEG-2", "mpeg1video": "MPEG-1", "mpeg4": "MPEG-4 Part 2", "prores": "Apple ProRes",
    "dnxhd": "Avid DNxHD/DNxHR", "mjpeg": "Motion JPEG", "vc1": "VC-1", "wmv3": "Windows Media Video 9",
    "h263": "H.263", "theora": "Theora", "ffv1": "FFV1 (lossless)", "rawvideo": "uncompressed video",
    "cfhd": "GoPro CineForm", "hap": "HAP",
    # audio
    "aac": "AAC", "mp3": "MP3", "mp2": "MPEG audio (MP2)", "ac3": "Dolby Digital (AC-3)",
    "eac3": "Dolby Digital Plus", "truehd": "Dolby TrueHD", "dts": "DTS", "opus": "Opus",
    "vorbis": "Vorbis", "flac": "FLAC", "alac": "Apple Lossless", "wmav2": "Windows Media Audio",
    # subtitles
    "subrip": "SRT", "srt": "SRT", "ass": "ASS/SSA", "ssa": "ASS/SSA", "webvtt": "WebVTT",
    "mov_text": "MP4 timed text", "hdmv_pgs_subtitle": "Blu-ray (PGS) pictures",
    "dvd_subtitle": "DVD pictures", "dvb_subtitle": "DVB pictures", "eia_608": "closed captions (CEA-608)",
}  # fmt: skip

CONTAINERS = {
    "mp4": "MP4", "mov": "QuickTime (MOV)", "mkv": "Matroska (MKV)", "webm": "WebM", "avi": "AVI",
    "mpg": "MPEG program stream", "ts": "MPEG transport stream", "m2v": "raw MPEG-2 video",
    "mxf": "MXF", "flv": "Flash video (FLV)", "asf": "Windows Media (ASF/WMV)", "3gp": "3GP (phone video)",
}  # fmt: skip

LANGUAGES = {
    "English": "eng en", "French": "fra fre fr", "Spanish": "spa es", "German": "deu ger de",
    "Italian": "ita it", "Portuguese": "por pt", "Dutch": "nld dut nl", "Swedish": "swe sv",
    "Norwegian": "nor nob nno no nb nn", "Danish": "dan da", "Finnish": "fin fi", "Polish": "pol pl",
    "Czech": "ces cze cs", "Slovak": "slk slo sk", "Hungarian": "hun hu", "Romanian": "ron rum ro",
    "Greek": "ell gre el", "Turkish": "tur tr", "Russian": "rus ru", "Ukrainian": "ukr uk",
    "Bulgarian": "bul bg", "Serbian": "srp sr", "Croatian": "hrv hr", "Hebrew": "heb he",
    "Arabic": "ara ar", "Persian": "fas per fa", "Hindi": "hin hi", "Urdu": "urd ur",
    "Bengali": "ben bn", "Tamil": "tam ta", "Telugu": "tel te", "Thai": "tha th",
    "Vietnamese": "vie vi", "Indonesian": "ind id", "Malay": "msa may ms", "Filipino": "fil tgl tl",
    "Chinese": "zho chi zh", "Mandarin": "cmn", "Cantonese": "yue", "Japanese": "jpn ja",
    "Korean": "kor ko", "Swahili": "swa sw", "Amharic": "amh am", "Hausa": "hau ha",
    "Yoruba": "yor yo", "Igbo": "ibo ig", "Zulu": "zul zu", "Xhosa": "xho xh", "Afrikaans": "afr af",
    "Somali": "som so", "Catalan": "cat ca", "Basque": "eus baq eu", "Icelandic": "isl ice is",
    "several languages": "mul", "no speech": "zxx",
}  # fmt: skip
LANGUAGE_NAMES = {code: name for name, codes in LANGUAGES.items() for code in codes.split()}
NOT_SET = "language not set"

CHANNEL_LAYOUTS = {
    "mono": "Mono", "stereo": "Stereo", "downmix": "Stereo (downmix)", "2.1": "Stereo with subwoofer (2.1)",
    "3.0": "3-channel", "quad": "4-channel (quad)", "4.0": "4-channel", "5.0": "5.0 surround",
    "5.0(side)": "5.0 surround", "5.1": "5.1 surround", "5.1(side)": "5.1 surround", "6.1": "6.1 surround",
    "7.1": "7.1 surround", "7.1(wide)": "7.1 surround", "7.1(wide-side)": "7.1 surround",
}  # fmt: skip
CHANNEL_COUNTS = {1: "Mono", 2: "Stereo", 6: "5.1 surround", 8: "7.1 surround"}
HDR_KINDS = {"smpte2084": "PQ", "arib-std-b67": "HLG"}
PIX_DEPTH_RE = re.compile(r"p(\d{1,2})(?:le|be)?$")
LONG_RUN = 28  # characters without a break opportunity after which a break is allowed
ZWSP = "\u200b"


class Fact(NamedTuple):
    """One line about a source: what it is about, the plain value, and the raw terms (for a tooltip)."""

    label: str
    value: str
    raw: str


def codec_name(codec: str | None) -> str:
    """``h264`` → ``H.264``, ``eac3`` → ``Dolby Digital Plus``, ``pcm_s16le`` → uncompressed audio."""
    if not codec:
        return "unknown"
    if codec.startswith("pcm_"):
        return "uncompressed audio (PCM)"
    return CODECS.get(codec.lower(), codec)


def container_name(container: str | None) -> str:
    """``mkv`` → ``Matroska (MKV)``; unknown containers as they are."""
    return CONTAINERS.get((container or "").lower(), container or "unknown")


def language_name(code: str | None) -> str:
    """ISO 639 code → English name (``fre`` → French); ``und``/None → "language not set"."""
    base = re.split(r"[-_]", (code or "").strip().lower())[0]
    if base in ("", "und", "unk", "mis", "qaa", "none"):
        return NOT_SET
    return LANGUAGE_NAMES.get(base, code or NOT_SET)


def channel_label(layout: str | None, channels: int = 0) -> str:
    """``stereo`` → Stereo, ``5.1(side)`` → 5.1 surround; without a layout, from the channel count."""
    if layout and layout.lower() in CHANNEL_LAYOUTS:
        return CHANNEL_LAYOUTS[layout.lower()]
    if channels in CHANNEL_COUNTS:
        return CHANNEL_COUNTS[channels]
    if channels:
        return f"{channels} channels"
    return layout or "channels unknown"


def colour_label(pix_fmt: str | None, color_transfer: str | None = None, bit_depth: int = 8) -> str:
    """``yuv420p`` → 8-bit colour, ``yuv420p10le`` → 10-bit colour, with PQ → 10-bit HDR colour (PQ)."""
    match = PIX_DEPTH_RE.search(pix_fmt or "")
    depth = int(match.group(1)) if match else bit_depth
    kind = HDR_KINDS.get(color_transfer or "")
    return f"{depth}-bit HDR colour ({kind})" if kind else f"{depth}-bit colour"


def _level_text(codec: str, level: str | int | float | None) -> str:
    text = str(level).strip() if level is not None else ""
    if not text or text.startswith("-") or text.lower() in ("unknown", "none"):
        return ""
    if text.isdigit() and int(text) >= 10:  # ffprobe's level_idc: H.264 ×10, HEVC ×30
        value = int(text) / (30 if codec in ("hevc", "h265") else 10)
        return f"{value:.1f}"
    try:
        return f"{float(text):.1f}"
    except ValueError:
        return text


def profile_label(codec: str, profile: str | None, level: str | int | float | None = None) -> str:
    """``("h264", "main@3.0")`` or ``("h264", "Main", 30)`` → ``H.264 Main, level 3.0``."""
    name = codec_name(codec)
    if profile and "@" in profile and level is None:
        profile, level = profile.split("@", 1)
    if profile and profile.lower() not in ("unknown", "none"):
        name += " " + (profile if any(c.isupper() for c in profile) else profile.title())
    level_text = _level_text(codec.lower(), level)
    return f"{name}, level {level_text}" if level_text else name


def fps_text(fps: float) -> str:
    """``25``, ``29.97``: a rate for people (no trailing zeros)."""
    return f"{fps:.3f}".rstrip("0").rstrip(".")


def output_fps(fps: float, vfr: bool = False) -> str:
    """The constant rate the output gets, for people: ``25``, ``29.97``, ``60`` for a 120 fps source."""
    return fps_text(float(output_rate(fps, vfr)))


def frame_rate_label(fps: float, vfr: bool = False) -> str:
    """``25 fps``; variable → ``variable frame rate (will be made constant at 30 fps)``."""
    out = output_fps(fps, vfr)
    if vfr:
        return f"variable frame rate (will be made constant at {out} fps)"
    if out != fps_text(fps):
        return f"{fps_text(fps)} fps (will be made {out} fps)"
    return f"{fps_text(fps)} fps"


def scan_label(interlaced: bool) -> str:
    """``interlaced (will be deinterlaced)`` or ``progressive``."""
    return "interlaced (will be deinterlaced)" if interlaced else "progressive"


def orientation_label(width: int, height: int, rotation: int = 0) -> str:
    """``landscape``, ``portrait (rotated 90°)``, ``square``: the shape as it is shown."""
    shape = "portrait" if height > width else "landscape" if width > height else "square"
    turn = rotation % 360
    return f"{shape} (rotated {turn}°)" if turn else shape


def rate_label(kbps: float) -> str:
    """``800 kb/s``, ``2.8 Mb/s``."""
    return f"{kbps:.0f} kb/s" if kbps < 1000 else f"{kbps / 1000:.1f} Mb/s"


def _clock(seconds: float) -> str:
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _size(num_bytes: int) -> str:
    value = float(num_bytes)
    for unit in ("bytes", "kB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def audio_line(codec: str, layout: str | None, channels: int, language: str | None) -> str:
    """``AAC · Stereo · English``."""
    return " · ".join((codec_name(codec), channel_label(layout, channels), language_name(language)))


def source_facts(info: MediaInfo) -> list[Fact]:
    """The plain lines describing a source, each with its raw terms."""
    average = f", {info.bit_rate // 1000} kb/s on average" if info.bit_rate else ""
    rate = f", {rate_label(info.bit_rate / 1000)}" if info.bit_rate else ""
    size = f"{info.width}×{info.height}, {orientation_label(info.width, info.height, info.rotation)}"
    coded = f"display {info.width}×{info.height}, coded {info.coded_width}×{info.coded_height}"
    colour = (
        ("pix_fmt", info.pix_fmt),
        ("transfer", info.color_transfer),
        ("primaries", info.color_primaries),
    )
    facts = [
        Fact("File type", container_name(info.container), info.container),
        Fact("Length", _clock(info.duration), f"{info.duration:.3f} s"),
        Fact("File size", _size(info.size) + rate, f"{info.size} bytes{average}"),
        Fact(
            "Video",
            profile_label(info.video_codec, info.profile),
            info.video_codec + (f", profile {info.profile}" if info.profile else ""),
        ),
        Fact("Picture size", size, f"{coded}, rotation {info.rotation}°"),
        Fact("Frame rate", frame_rate_label(info.fps, info.vfr), f"{info.fps:g} fps" + ", VFR" * info.vfr),
        Fact(
            "Colour",
            colour_label(info.pix_fmt, info.color_transfer, info.bit_depth),
            ", ".join(f"{key} {value}" for key, value in colour if value) or "not stated",
        ),
    ]
    if info.interlaced:
        facts.append(Fact("Scan", scan_label(True), "interlaced field order"))
    used = info.default_audio_index
    for n, audio in enumerate(info.audio_streams):
        note = " (default)" if len(info.audio_streams) > 1 and n == used else ""
        hertz = f", {audio.sample_rate} Hz" if audio.sample_rate else ""
        raw = f"{audio.codec}, {audio.channel_layout or f'{audio.channels} ch'}{hertz}"
        raw += f", language {audio.language or 'none'}"
        value = audio_line(audio.codec, audio.channel_layout, audio.channels, audio.language) + note
        facts.append(Fact(f"Audio {n + 1}", value, raw + (", default" if audio.default else "")))
    if not info.audio_streams:
        facts.append(Fact("Audio", "none (the output will be silent)", "no audio stream"))
    if info.subtitle_streams:
        subs = ", ".join(
            f"{language_name(s.language)} ({codec_name(s.codec)})" for s in info.subtitle_streams
        )
        raw = ", ".join(f"{s.codec} {s.language or 'und'}" for s in info.subtitle_streams)
        facts.append(Fact("Subtitles", subs, raw))  # which are carried: the Tracks tab
    return facts


WARNING_REWRITES: tuple[tuple[str, str], ...] = (
    (r"variable frame rate: output will be constant (\S+) fps",
     r"The frame rate varies: it will be made constant at \1 fps."),
    (r"(\S+) fps: output capped at (\S+) fps", r"\1 frames per second: the output will have \2."),
    (r"interlaced: will be deinterlaced", "The picture is interlaced: it will be deinterlaced."),
    (r"HDR \((\w+)\): will be tone-mapped to SDR",
     r"HDR video (\1): its colours will be converted to standard range (SDR)."),
    (r"(\d+)-bit video: output will be 8-bit", r"\1-bit colour: the output will be 8-bit."),
    (r"rotated (\d+)° by metadata: output will be upright",
     r"Recorded turned by \1°: the output will be upright."),
    (r"non-square pixels \(SAR ([\d:]+)\): output uses square pixels",
     r"The picture is stored stretched (pixel shape \1): the output will have the right proportions."),
    (r"odd frame size (\d+)x(\d+): output sizes are rounded to even",
     r"Odd picture size \1×\2: the output sizes are rounded to even numbers."),
    (r"no audio: renditions will be video-only", "No sound: the output will be silent."),
    (r"image subtitles \(([^)]*)\) can't be converted to text: skipped",
     r"Picture-based subtitles (\1) can't be turned into text subtitles: they are left out."),
)  # fmt: skip
TRACKS_RE = re.compile(r"(\d+) audio tracks: only track (\d+)(?: \(([^)]*)\))? is used")


def warning_sentence(warning: str) -> str:
    """A probe warning as a plain sentence (``variable frame rate: …`` → ``The frame rate varies: …``)."""
    text = warning.strip()
    tracks = TRACKS_RE.fullmatch(text)
    if tracks:
        count, track, lang = tracks.groups()
        said = f" ({language_name(lang)})" if lang else ""
        return f"{count} audio tracks: only track {track}{said} is used."
    for pattern, replacement in WARNING_REWRITES:
        if re.fullmatch(pattern, text):
            return re.sub(pattern, replacement, text)
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def rung_sentence(rung: PlannedRung) -> str:
    """``720p: 1280×720, 2.8 Mb/s video (up to 3.1 Mb/s in busy scenes) + 192 kb/s audio``."""
    return (
        f"{rung.name}: {rung.width}×{rung.height}, {rate_label(rung.video_kbps)} video "
        f"(up to {rate_label(rung.maxrate_kbps)} in busy scenes) + {rate_label(rung.audio_kbps)} audio"
    )


def breakable(text: str, run: int = LONG_RUN) -> str:
    """``text`` with zero-width spaces in long unbroken runs (paths, URLs), so it can wrap anywhere."""

    def split(match: re.Match[str]) -> str:
        word = re.sub(r"([/\\_.,:;=&?-])", "\\1" + ZWSP, match.group(0))
        pieces = re.split(f"({ZWSP})", word)
        return "".join(
            ZWSP.join(p[i : i + run] for i in range(0, len(p), run)) if len(p) > run else p for p in pieces
        )

    return re.sub(rf"\S{{{run + 1},}}", split, text)


# ---- failures

SAYS_WHAT_TO_DO = (
    "choose an ",
    "choose another",
    "retry to ",
    "set a content id",
    "run the job first",
    "rename it",
    "press publish",
    "details ▸ conformance",
)
TOOLCHAIN_WORDS = ("ffprobe not found", "ffmpeg not found", "cannot run ff", "does not look like ffmpeg",
                   "cannot start ffmpeg")  # fmt: skip


def is_failure(record: JobRecord) -> bool:
    """Whether the job ended without doing its work (failed, publish failed, cancelled, interrupted)."""
    return record.state in FAILED_STATES


def _publish_failure(record: JobRecord) -> bool:
    error = (record.error or "").lower()
    return record.state is JobState.PUBLISH_FAILED or error.startswith(("publishing failed", "not published"))


def failure_title(record: JobRecord) -> str:
    """A short headline for a failed job: "Cannot use this file", "Encoding failed", "Publishing failed"…

    A finished job with a note (a publish cancelled after its encode) gets "Encoded, not published";
    '' for a job that did not fail.
    """
    if record.state is JobState.DONE and "publish" in (record.error or "").lower():
        return "Encoded, not published"
    if record.state is JobState.INTERRUPTED:
        return "Interrupted"
    if record.state is JobState.CANCELLED:
        return "Cancelled"
    if _publish_failure(record) and record.state in FAILED_STATES:
        return "Encoded, but publishing failed"
    if record.state is JobState.FAILED:
        return "Cannot use this file" if record.info is None else "Encoding failed"
    return ""


def next_step(record: JobRecord) -> str:
    """One short sentence saying what to do about this job, e.g. for a file ffprobe cannot read:
    "Check that the file plays in a media player, or remove it from the queue."

    '' when the job did not fail, when no step is obvious, or when its reason already says what to
    do ("…: choose an empty or new folder").
    """
    error = (record.error or "").lower()
    if record.state is JobState.DONE and "publishing cancelled" in error:
        return "Publish it when you are ready."
    if record.state not in FAILED_STATES or any(words in error for words in SAYS_WHAT_TO_DO):
        return ""
    if record.state is JobState.INTERRUPTED:
        return "Retry starts it again."
    if record.state is JobState.CANCELLED:
        if "publish" in error:
            return "The encoded package is kept: Publish again when you are ready."
        return "Retry starts it again."
    if _publish_failure(record) and "content id" in error:
        return "The encoded package is kept: set a valid content id, then Publish again."
    if _publish_failure(record):
        return "The encoded package is kept: fix the destination in Settings, then Publish again."
    if any(words in error for words in TOOLCHAIN_WORDS):
        return "Check the FFmpeg page of Settings, then Retry."
    if "file not found" in error:
        return "The file was moved or deleted: add it again, or remove it from the queue."
    if "permission denied" in error:
        return "Check that you are allowed to open this file, then Retry."
    if "no space left" in error or "disk full" in error:
        return "Free some disk space, then Retry."
    if "source ends early" in error:
        return "The file is cut short or damaged: get a complete copy, then add it again."
    if record.info is None:
        return "Check that the file plays in a media player, or remove it from the queue."
    if "made no progress" in error:
        return "Retry; if it stops again, check that the file plays to its end in a media player."
    return "Retry; if it fails again, Details… has the technical story."
