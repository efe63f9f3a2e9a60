"""Scrub thumbnails: sprite sheets made by the encode's own ffmpeg process, and their WebVTT storyboard.

The encode's thumbnail branch (one frame every ``thumbnail_interval`` seconds) writes the loose
``thumb_NNN.jpg`` files; after the encode they are scaled to small tiles and packed
``TILE_COLUMNS`` x ``TILE_ROWS`` to sheets by ffmpeg's ``tile`` filter (``sprite_NNN.jpg``, the last
one padded). That reads the thumbnails, never the source: no second decode. (Tiling inside the
encode itself was measured and refused: an output whose first picture comes only once 25
thumbnails exist holds back ffmpeg's progress reports until then.) ``write_storyboard`` then writes
``thumbnails.vtt``: one cue per thumbnail pointing at its tile (``sprite_000.jpg#xywh=160,0,160,90``),
the format hls.js, Shaka, Video.js and JW Player read for seek-bar previews.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from hlsstudio.core import layout

SPRITE_PATTERN = "sprite_%03d.jpg"
STORYBOARD = "thumbnails.vtt"
TILE_COLUMNS = 5
TILE_ROWS = 5
TILE_LONG_SIDE = 160
CUE_SLACK = 0.01
"""A video that outlasts a whole number of intervals by less than this share of one gets no extra
cue (a 0.4 ms cue, or one pointing at a padding tile)."""


@dataclass(frozen=True)
class TileGrid:
    """The size of one tile and how tiles are packed into a sheet."""

    width: int
    height: int
    columns: int = TILE_COLUMNS
    rows: int = TILE_ROWS

    @property
    def per_sheet(self) -> int:
        """Tiles in one sprite sheet."""
        return self.columns * self.rows


def tile_grid(width: int, height: int) -> TileGrid:
    """Tiles of the picture's aspect with a ``TILE_LONG_SIDE`` long side, even sizes (4:2:0 JPEG)."""
    scale = TILE_LONG_SIDE / max(width, height)
    return TileGrid(max(2, 2 * round(width * scale / 2)), max(2, 2 * round(height * scale / 2)))


def build_sprite_command(folder: Path, grid: TileGrid, ffmpeg: str = "ffmpeg") -> list[str]:
    """The ffmpeg arguments packing ``folder``'s ``thumb_NNN.jpg`` files into sprite sheets there."""
    tiles = f"scale={grid.width}:{grid.height}:flags=bicubic,setsar=1,tile={grid.columns}x{grid.rows}"
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-f", "image2", "-framerate", "1", "-start_number", "0", "-i", str(folder / layout.THUMB_PATTERN),
        "-vf", f"{tiles},format=yuvj420p", "-fps_mode", "passthrough", "-q:v", "5",
        "-f", "image2", "-start_number", "0", str(folder / SPRITE_PATTERN),
    ]  # fmt: skip


def sprite_name(index: int) -> str:
    """The ``index``-th sprite sheet: ``sprite_<NNN>.jpg``."""
    return SPRITE_PATTERN % index


def _clock(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def storyboard_text(grid: TileGrid, interval: float, duration: float, tiles: int | None = None) -> str:
    """The WebVTT storyboard for a video of ``duration`` seconds with a tile every ``interval`` (at most
    ``tiles`` cues: the thumbnails really made)."""
    count = max(1, math.ceil(duration / interval - CUE_SLACK))
    if tiles is not None:
        count = max(1, min(count, tiles))
    lines = ["WEBVTT", ""]
    for n in range(count):
        start, end = n * interval, min((n + 1) * interval, duration)
        sheet, slot = divmod(n, grid.per_sheet)
        row, column = divmod(slot, grid.columns)
        x, y = column * grid.width, row * grid.height
        lines += [
            f"{_clock(start)} --> {_clock(end)}",
            f"{sprite_name(sheet)}#xywh={x},{y},{grid.width},{grid.height}",
            "",
        ]
    return "\n".join(lines)


def write_storyboard(folder: Path, grid: TileGrid, interval: float, duration: float) -> Path | None:
    """Write ``thumbnails.vtt`` in ``folder`` for the sprite sheets ffmpeg made there.

    Cues past the last sheet that exists are left out (a source shorter than it claimed); returns the
    storyboard's path, or None when ffmpeg made no sheet.
    """
    sheets = sorted(folder.glob("sprite_*.jpg"))
    if not sheets:
        return None
    thumbnails = len(list(folder.glob("thumb_*.jpg")))
    text = storyboard_text(grid, interval, duration, min(thumbnails, len(sheets) * grid.per_sheet))
    path = folder / STORYBOARD
    path.write_text(text, encoding="utf-8")
    return path
