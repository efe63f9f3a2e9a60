"""Subtitle cues of a package's WebVTT rendition, read back for the preview to draw (no Qt).

QtMultimedia's FFmpeg backend does not list HLS WebVTT renditions as subtitle tracks, so the
preview reads the chosen track's segments itself (in a worker) and shows the cue active at the
player's position. The package's segments carry ``X-TIMESTAMP-MAP`` with LOCAL 0 at the video's
first picture, so a cue's times are the player's position; a cue that spans segments is repeated in
each and is kept once.
"""

from __future__ import annotations

import bisect
import html
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from posixpath import basename

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.subtitles.reading import SubtitleError, cue_text, parse_subtitle_bytes
from hlsstudio.qt.preview.location import Location

FETCH_THREADS = 6  # segments of a published track read at once
LONGEST_CUE_MS = 60_000  # how far back an active cue may have started (longer cues are cut here)


@dataclass(frozen=True, order=True)
class Cue:
    """One subtitle cue: shown from ``start`` to ``end`` (milliseconds of the player's position)."""

    start: int
    end: int
    text: str


def segment_uris(playlist_text: str) -> list[str]:
    """The segment URIs of a media playlist, in order (every line that is not a tag or blank)."""
    lines = (line.strip() for line in playlist_text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def segment_cues(data: bytes, name: str) -> list[Cue]:
    """The cues with text of one WebVTT segment (none for an empty segment)."""
    try:
        subs = parse_subtitle_bytes(data, name, format_hint="vtt")
    except SubtitleError:
        return []  # a segment without cues is normal: most of a film is silent
    return [Cue(e.start, e.end, html.unescape(cue_text(e))) for e in subs.events]


def load_cues(location: Location, playlist: str, cancel: threading.Event | None = None) -> tuple[Cue, ...]:
    """Every cue of the subtitle rendition whose playlist is at ``playlist``, in time order.

    Blocks (reads every segment: run it in a worker); stops early when ``cancel`` is set. Raises
    HlsStudioError when the playlist or a segment cannot be read.
    """
    uris = segment_uris(location.read(playlist).decode("utf-8", errors="replace"))
    stop = cancel or threading.Event()

    def read(uri: str) -> list[Cue]:
        if stop.is_set():
            return []
        return segment_cues(location.read(location.resolve(uri, playlist)), basename(uri))

    if location.remote:
        with ThreadPoolExecutor(FETCH_THREADS, thread_name_prefix="preview-cues") as pool:
            parts = list(pool.map(read, uris))
    else:
        parts = [read(uri) for uri in uris]
    if stop.is_set():
        raise HlsStudioError("Reading the subtitles was stopped")
    return tuple(sorted({cue for part in parts for cue in part}))


class CueIndex:
    """Fast lookup of the cues active at a position (the window asks many times a second)."""

    def __init__(self, cues: tuple[Cue, ...]) -> None:
        self.cues = cues
        self._starts = [cue.start for cue in cues]

    def text_at(self, position_ms: int) -> str:
        """The text of every cue active at ``position_ms`` (one per line, in start order); '' for none."""
        last = bisect.bisect_right(self._starts, position_ms)
        first = bisect.bisect_left(self._starts, position_ms - LONGEST_CUE_MS, hi=last)
        return "\n".join(c.text for c in self.cues[first:last] if c.start <= position_ms < c.end)
