"""Reading a WebVTT storyboard back: which tile of which sprite sheet shows which moment (pure).

The inverse of ``storyboard.storyboard_text``: every cue of ``thumbnails.vtt`` is a time range and a
picture, ``sprite_000.jpg#xywh=160,0,160,90`` (a tile of a sheet) or a whole picture without the
fragment. Players read it for seek-bar previews; the app's preview window does the same.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

_TIMING = re.compile(
    r"^(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s+-->\s+(?P<end>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_FRAGMENT = re.compile(r"^(?P<image>[^#\s]+)(?:#xywh=(?P<x>\d+),(?P<y>\d+),(?P<w>\d+),(?P<h>\d+))?$")


@dataclass(frozen=True)
class StoryboardCue:
    """One storyboard cue: from ``start`` to ``end`` (seconds) the picture is ``image``'s tile at
    ``x``, ``y`` of ``width`` x ``height`` pixels (all four 0: the whole picture)."""

    start: float
    end: float
    image: str
    x: int = 0
    y: int = 0
    width: int = 0
    height: int = 0

    @property
    def whole_picture(self) -> bool:
        """True when the cue names a whole picture rather than a tile of a sheet."""
        return self.width == 0 or self.height == 0


def vtt_seconds(stamp: str) -> float:
    """``01:02:03.456`` or ``02:03.456`` (WebVTT; a comma is tolerated) in seconds."""
    whole, _, fraction = stamp.replace(",", ".").partition(".")
    parts = [int(part) for part in whole.split(":")]
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds + (int(fraction.ljust(3, "0")[:3]) / 1000 if fraction else 0.0)


def parse_storyboard(text: str) -> list[StoryboardCue]:
    """The cues of a WebVTT storyboard, in time order.

    A cue is a timing line followed by a picture line (``image#xywh=x,y,w,h`` or ``image``); cue
    identifiers, NOTE blocks and cues whose text is not a picture are skipped. Never raises: text that
    is not a storyboard gives an empty list.
    """
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines()]
    if not lines or not lines[0].startswith("WEBVTT"):
        return []
    cues: list[StoryboardCue] = []
    for number, line in enumerate(lines[:-1]):
        timing = _TIMING.match(line)
        picture = _FRAGMENT.match(lines[number + 1]) if timing else None
        if timing is None or picture is None:
            continue
        start, end = vtt_seconds(timing["start"]), vtt_seconds(timing["end"])
        if end <= start:
            continue
        box = [int(picture[key]) if picture[key] else 0 for key in ("x", "y", "w", "h")]
        cues.append(StoryboardCue(start, end, picture["image"], *box))
    cues.sort(key=lambda cue: cue.start)
    return cues


def cue_at(cues: Sequence[StoryboardCue], seconds: float) -> StoryboardCue | None:
    """The cue showing at ``seconds`` in time-ordered ``cues`` (the last one at or after the end,
    the first one before the start); None only when there are no cues."""
    if not cues:
        return None
    index = bisect.bisect_right([cue.start for cue in cues], seconds) - 1
    return cues[min(max(index, 0), len(cues) - 1)]
