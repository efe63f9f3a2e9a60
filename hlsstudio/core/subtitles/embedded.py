"""Subtitle tracks inside a source: converted to SubRip by ffmpeg, then read like a side file.

Only text subtitles can become WebVTT. Image subtitles (Blu-ray PGS, DVD and DVB bitmaps, DivX
XSUB) are pictures of text: they would need OCR, which this app does not do.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pysubs2 import SSAFile

from hlsstudio.core.proc import TimedOut, run_bounded
from hlsstudio.core.subtitles.reading import MAX_FILE_BYTES, SubtitleError, parse_subtitle_bytes

TEXT_CODECS = frozenset(
    {"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text", "microdvd", "subviewer", "subviewer1"}
    | {"sami", "realtext", "mpl2", "pjs", "vplayer", "jacosub", "stl"}
)
"""ffprobe's codec names of subtitle tracks ffmpeg can decode to text."""
IMAGE_CODECS = frozenset({"hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle", "xsub", "dvb_teletext"})
"""ffprobe's codec names of subtitle tracks that are pictures (or teletext pages), not text."""
IMAGE_SUBTITLES_MESSAGE = "image subtitles can't be converted to text"
_FFMPEG_IMAGE_REFUSAL = "only possible from text to text or bitmap to bitmap"
_FFMPEG_NO_STREAM = "matches no streams"
_STDERR_TAIL = 2000


def is_text_codec(codec: str) -> bool:
    """Whether a subtitle track of this codec (ffprobe's ``codec_name``) can be converted to text.

    False for image subtitles (see IMAGE_CODECS and IMAGE_SUBTITLES_MESSAGE) and for unknown codecs.
    """
    return codec.strip().lower() in TEXT_CODECS


def extraction_command(ffmpeg: str, source: Path, index: int, out: Path) -> list[str]:
    """The ffmpeg command that writes the ``index``-th subtitle track (``0:s:index``) of ``source``
    as SubRip to ``out``, stopping once the output passes the size a subtitle file may have."""
    return [
        ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-i", str(source),
        "-map", f"0:s:{index}", "-c:s", "srt", "-fs", str(MAX_FILE_BYTES + 1), "-f", "srt", str(out),
    ]  # fmt: skip


def extract_embedded(ffmpeg: str, source: Path, index: int, timeout: float) -> SSAFile:
    """The visible cues of subtitle track ``index`` (0-based among the source's subtitle tracks,
    ffmpeg's ``0:s:index``) of ``source``.

    ffmpeg converts the track to SubRip in a temporary folder, removed whatever happens, and the
    result is read as a side file would be. Raises SubtitleError, naming the source and the track,
    when ffmpeg cannot be started, runs past ``timeout`` seconds, fails (an image track:
    IMAGE_SUBTITLES_MESSAGE), or writes nothing usable.
    """
    name = f"{source.name} subtitle track {index + 1}"
    if index < 0:
        raise SubtitleError(f"{name}: the file has no such subtitle track")
    with tempfile.TemporaryDirectory(prefix="hlsstudio-subtitles-", ignore_cleanup_errors=True) as folder:
        out = Path(folder) / "track.srt"
        try:
            done = run_bounded(extraction_command(ffmpeg, source, index, out), timeout)
        except TimedOut as exc:
            raise SubtitleError(
                f"{name}: ffmpeg took longer than {timeout:g} s to extract it", str(exc)
            ) from exc
        except OSError as exc:
            raise SubtitleError(f"{name}: cannot start ffmpeg ({exc.strerror or exc})", str(exc)) from exc
        stderr = done.stderr.decode("utf-8", "replace")[-_STDERR_TAIL:]
        if done.returncode != 0:
            if _FFMPEG_IMAGE_REFUSAL in stderr:
                raise SubtitleError(f"{name}: {IMAGE_SUBTITLES_MESSAGE}", stderr)
            if _FFMPEG_NO_STREAM in stderr:
                raise SubtitleError(f"{name}: the file has no such subtitle track", stderr)
            raise SubtitleError(f"{name}: ffmpeg could not extract it", stderr)
        try:
            with out.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise SubtitleError(f"{name}: ffmpeg wrote no subtitles", f"{exc}\n{stderr}") from exc
        return parse_subtitle_bytes(data, name, format_hint="srt")
