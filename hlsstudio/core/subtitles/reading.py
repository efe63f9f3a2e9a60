"""Reading a subtitle file of any common format and encoding into cues, refusing what is not one.

The encoding is found from a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32), else UTF-8 when the
bytes are valid UTF-8, else UTF-16 without a mark when every other byte is NUL, else by
charset-normalizer; where it cannot tell Windows-1252 from another single-byte code page as likely,
Windows-1252 wins (the legacy encoding of most Western subtitle files, and a superset of Latin-1's
letters). pysubs2 parses the text (SubRip, WebVTT, ASS/SSA, MicroDVD …, told apart by content).

What comes back holds only cues to show: comments, ASS vector drawings and cues with no visible
text are dropped, and cues are in time order. Every failure, whatever its cause (an unreadable,
empty, binary, oversized or malformed file, a parser crash), is a ``SubtitleError`` whose message
names the file.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import charset_normalizer
import pysubs2
from pysubs2 import SSAEvent, SSAFile

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.subtitles.sidefiles import SUBTITLE_SUFFIXES

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Larger files are refused: a feature film's subtitles are well under 1 MB, even as styled ASS."""
MAX_CUES = 100_000
"""More cues than this are refused (a film has about 2,000; karaoke ASS some tens of thousands)."""
MAX_CONTROL_SHARE = 0.01
"""Text with a larger share of control characters (NUL, escape …) is binary data, not subtitles."""

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_PREFERRED_SINGLE_BYTE = "cp1252"
_WEBVTT_NON_CUES = frozenset({"NOTE", "STYLE", "REGION"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# A SubRip/WebVTT timing line that was not parsed as one ends up inside the previous cue's text.
_STRAY_TIMING = re.compile(r"-->|^\s*\d+:\d+[:,.]\S*\s*-+>", re.MULTILINE)


class SubtitleError(HlsStudioError):
    """A subtitle file or track cannot be used: unreadable, not subtitles, malformed or too large."""


def refuse(name: str, reason: str, detail: str = "") -> SubtitleError:
    """The error for a file that cannot be read: "<name>: not a subtitle file this app can read (…)"."""
    return SubtitleError(f"{name}: not a subtitle file this app can read ({reason})", detail)


def _utf16_without_bom(data: bytes) -> str | None:
    """ "utf-16-le"/"utf-16-be" when every other byte is NUL (text in the Latin range), else None."""
    sample = data[:4096]
    if len(sample) < 8 or len(sample) % 2:
        return None
    even_nul = sample[0::2].count(0) / (len(sample) // 2)
    odd_nul = sample[1::2].count(0) / (len(sample) // 2)
    if odd_nul > 0.9 and even_nul < 0.1:
        return "utf-16-le"
    if even_nul > 0.9 and odd_nul < 0.1:
        return "utf-16-be"
    return None


PREFERRED_MAX_CHAOS = 0.2


def _guess_encoding(data: bytes, name: str) -> str:
    """The encoding charset-normalizer finds likeliest, Windows-1252 on a tie (module docstring)."""
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        raise refuse(name, "not text in any known encoding")
    best = min(matches, key=lambda match: (match.chaos, -match.coherence))
    for match in matches:
        # Windows-1252 reads as at least as plausible a language as the likeliest guess, with little
        # noise: take it (French curly quotes and accents otherwise lose to Baltic Windows-1257,
        # whose "noise" measure happens to be lower for the same bytes)
        if (
            match.encoding == _PREFERRED_SINGLE_BYTE
            and match.chaos <= max(best.chaos + 0.01, PREFERRED_MAX_CHAOS)
            and match.coherence >= best.coherence - 0.01
        ):
            return _PREFERRED_SINGLE_BYTE
    return str(best.encoding)


def _encoding_of(data: bytes, name: str) -> tuple[str, int]:
    """(the encoding of ``data``, the length of its byte-order mark)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8", 0
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16, 0
    if data.count(0) > len(data) * MAX_CONTROL_SHARE:
        raise refuse(name, "binary data, not text")
    return _guess_encoding(data, name), 0


def decode_subtitle_bytes(data: bytes, name: str) -> str:
    """The text of a subtitle file's bytes (see the module docstring for how the encoding is found),
    with Unix line ends.

    ``name`` is the file's name for messages. Raises SubtitleError for empty or binary data.
    """
    if not data.strip():
        raise refuse(name, "the file is empty")
    encoding, skip = _encoding_of(data, name)
    try:
        text = data[skip:].decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise refuse(name, f"not valid {encoding} text", str(exc)) from None
    if len(_CONTROL.findall(text)) > len(text) * MAX_CONTROL_SHARE:
        raise refuse(name, "binary data, not text")
    if not text.strip():
        raise refuse(name, "the file is empty")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def cue_text(event: SSAEvent) -> str:
    """A cue's plain text: no ASS override tags, ``\\N`` as line breaks, no blank or padded lines."""
    lines = (line.strip() for line in event.plaintext.split("\n"))
    return "\n".join(line for line in lines if line)


def _webvtt_cues_only(text: str) -> str:
    """A WebVTT file's text without what pysubs2 would take for cue text: NOTE, STYLE and REGION
    blocks, and cue identifiers (blocks are separated by blank lines; cue text has none)."""
    blocks = [block for block in re.split(r"\n[ \t]*\n", text) if block.strip()]
    kept = ["WEBVTT"]
    for block in blocks[1:]:
        lines = block.strip("\n").split("\n")
        if lines[0].split(maxsplit=1)[0] in _WEBVTT_NON_CUES:
            continue
        if "-->" not in lines[0] and len(lines) > 1 and "-->" in lines[1]:
            lines = lines[1:]  # the cue's identifier
        kept.append("\n".join(lines))
    return "\n\n".join(kept) + "\n"


def _parse(text: str, name: str, format_hint: str | None, fps: float | None) -> SSAFile:
    """pysubs2's reading of ``text``: its format from the content, else ``format_hint``."""
    if text.lstrip().startswith("WEBVTT"):
        text = _webvtt_cues_only(text.lstrip())
    try:
        return SSAFile.from_string(text, fps=fps)
    except pysubs2.exceptions.FormatAutodetectionError:
        if format_hint is None:
            raise refuse(name, "no subtitle format recognised") from None
    except pysubs2.exceptions.UnknownFPSError:
        raise refuse(name, "a MicroDVD file without a frame rate") from None
    try:
        return SSAFile.from_string(text, format_=format_hint, fps=fps)
    except pysubs2.exceptions.UnknownFPSError:
        raise refuse(name, "a MicroDVD file without a frame rate") from None


def _visible_cues(subs: SSAFile, name: str) -> SSAFile:
    """``subs`` with only the cues that show text, in time order; malformed timings refused."""
    if len(subs.events) > MAX_CUES:
        raise refuse(name, f"more than {MAX_CUES:,} cues")
    kept: list[SSAEvent] = []
    for number, event in enumerate(subs.events, 1):
        if event.is_comment or event.is_drawing:
            continue
        text = cue_text(event)
        if _STRAY_TIMING.search(text):
            raise refuse(name, f"a malformed timing line in or after cue {number}")
        if event.end < event.start:
            raise refuse(name, f"cue {number} ends before it starts")
        if not text or event.end == event.start or event.end <= 0:
            continue
        event.start = max(0, event.start)
        kept.append(event)
    if not kept:
        raise refuse(name, "no cues with text in it")
    kept.sort(key=lambda event: (event.start, event.end))
    subs.events = kept
    return subs


def parse_subtitle_bytes(
    data: bytes, name: str, *, format_hint: str | None = None, fps: float | None = None
) -> SSAFile:
    """Decode and parse a subtitle file's bytes into its visible cues.

    ``name`` names the file in messages; ``format_hint`` (pysubs2's format name: "srt", "ass" …)
    is used when the content does not say its format; ``fps`` is the frame rate of a MicroDVD file
    that does not state its own. Raises SubtitleError for anything that is not usable subtitles.
    """
    if len(data) > MAX_FILE_BYTES:
        raise refuse(name, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        text = decode_subtitle_bytes(data, name)
        return _visible_cues(_parse(text, name, format_hint, fps), name)
    except SubtitleError:
        raise
    except Exception as exc:  # a detector or parser bug on hostile input must not become a crash
        raise refuse(name, "malformed", f"{type(exc).__name__}: {exc}") from exc


def read_subtitle_file(path: Path, *, fps: float | None = None) -> SSAFile:
    """The visible cues of the subtitle file at ``path``, in time order (see the module docstring).

    ``fps``: the video's frame rate, for a MicroDVD (frame-numbered) file that does not state one.
    Raises SubtitleError, with the file's name, for any file that cannot be used.
    """
    if not path.is_file():
        missing = not path.exists()
        raise SubtitleError(f"{path.name}: {'no such file' if missing else 'not a file this app can read'}")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SubtitleError(f"{path.name}: cannot read the file ({exc.strerror or exc})", str(exc)) from exc
    return parse_subtitle_bytes(
        data, path.name, format_hint=SUBTITLE_SUFFIXES.get(path.suffix.lower()), fps=fps
    )
