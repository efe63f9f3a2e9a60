"""The storyboard conformance check: ``thumbnails.vtt`` and the sprite sheets its cues point at.

A cue's text is ``sprite_000.jpg#xywh=x,y,w,h``: a tile of a sheet in the package. The check reads
the WebVTT once and each sheet's JPEG header (its picture size), never the pictures themselves.
"""

from __future__ import annotations

import re
from pathlib import Path

from hlsstudio.core.hls.checks import summarize
from hlsstudio.core.hls.playlists import is_local_uri
from hlsstudio.core.models import ValidationCheck
from hlsstudio.core.storyboard import STORYBOARD

NAME = "storyboard"
_TILE = re.compile(r"^(?P<image>[^#\s]+)#xywh=(?P<x>\d+),(?P<y>\d+),(?P<w>\d+),(?P<h>\d+)$")
# JPEG start-of-frame markers (baseline, progressive, ...): not DHT (C4), JPG (C8) or DAC (CC)
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def jpeg_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a JPEG file's start-of-frame header, or None when it is not a JPEG."""
    try:
        data = path.read_bytes()[:65536]
    except OSError:
        return None
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 9 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if marker in _SOF:
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            width = int.from_bytes(data[at + 7 : at + 9], "big")
            return width, height
        at += 2 + length
    return None


def _cue_texts(text: str) -> list[str]:
    """The first text line of every cue (the line after each ``-->`` timing line)."""
    lines = [line.strip() for line in text.splitlines()]
    return [lines[i + 1] for i, line in enumerate(lines[:-1]) if "-->" in line]


def _tile_problem(package: Path, cue: str, sizes: dict[str, tuple[int, int] | None]) -> str | None:
    match = _TILE.match(cue)
    if match is None:
        return f"cue {cue!r} is not a sprite_N.jpg#xywh=x,y,w,h tile"
    image = match["image"]
    if not is_local_uri(image):
        return f"{image} is outside the package"
    if image not in sizes:
        path = package / image
        sizes[image] = jpeg_size(path) if path.is_file() and path.stat().st_size else None
    size = sizes[image]
    if size is None:
        return f"{image} is missing or not a JPEG picture"
    x, y, w, h = (int(match[k]) for k in ("x", "y", "w", "h"))
    if w == 0 or h == 0 or x + w > size[0] or y + h > size[1]:
        return f"{cue} lies outside the {size[0]}x{size[1]} sheet"
    return None


def check_storyboard(package: Path) -> ValidationCheck:
    """``thumbnails.vtt`` exists, is WebVTT, and every cue names a tile inside a sprite sheet that exists."""
    path = package / STORYBOARD
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ValidationCheck(name=NAME, ok=False, message=f"there is no {STORYBOARD}")
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        return ValidationCheck(name=NAME, ok=False, message=f"{STORYBOARD} is not WebVTT")
    cues = _cue_texts(text)
    if not cues:
        return ValidationCheck(name=NAME, ok=False, message=f"{STORYBOARD} has no cues")
    sizes: dict[str, tuple[int, int] | None] = {}
    problems = [p for cue in cues if (p := _tile_problem(package, cue, sizes)) is not None]
    if problems:
        return ValidationCheck(name=NAME, ok=False, message=summarize(problems))
    return ValidationCheck(
        name=NAME, ok=True, message=f"{STORYBOARD}: {len(cues)} preview(s) on {len(sizes)} sprite sheet(s)"
    )
