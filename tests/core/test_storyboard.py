"""The storyboard: thumbnails packed 5x5 into sprite sheets by ffmpeg, indexed by a WebVTT file.

Tiles keep the picture's aspect with a 160-px long side; one cue per thumbnail points at its tile
(``sprite_NNN.jpg#xywh=x,y,w,h``). The last part packs generated thumbnails with the real ffmpeg.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import EncodeSettings, MediaInfo
from hlsstudio.core.planning import build_plan
from hlsstudio.core.storyboard import (
    STORYBOARD,
    TileGrid,
    build_sprite_command,
    sprite_name,
    storyboard_text,
    tile_grid,
    write_storyboard,
)
from hlsstudio.core.toolchain import Capabilities
from tests.mediagen import ffprobe_json, run_ffmpeg

GRID = TileGrid(160, 90)
CUE = re.compile(
    r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})\n"
    r"(sprite_\d{3}\.jpg)#xywh=(\d+),(\d+),(\d+),(\d+)$",
    re.MULTILINE,
)


def cues(text: str) -> list[tuple[float, float, str, tuple[int, int, int, int]]]:
    """(start, end, sheet, (x, y, w, h)) of every cue."""
    found = []
    for m in CUE.finditer(text):
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(v) for v in m.groups()[:8])
        start = h1 * 3600 + m1 * 60 + s1 + ms1 / 1000
        end = h2 * 3600 + m2 * 60 + s2 + ms2 / 1000
        x, y, w, h = (int(v) for v in m.groups()[9:])
        found.append((start, end, m.group(9), (x, y, w, h)))
    return found


# --- tile sizes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "tile"),
    [
        (1920, 1080, (160, 90)),  # 16:9
        (1080, 1920, (90, 160)),  # portrait 9:16
        (1440, 1080, (160, 120)),  # 4:3
        (1080, 1080, (160, 160)),  # square
        (1920, 800, (160, 66)),  # 2.40:1: 66.7 rounds to the even 66
        (4096, 1716, (160, 68)),  # 2.39:1: 67.03 rounds to the even 68
        (321, 181, (160, 90)),  # odd sizes: even tiles
        (181, 321, (90, 160)),
        (4000, 10, (160, 2)),  # never below 2 px
    ],
)
def test_tile_grid_keeps_the_aspect_with_a_160_px_long_side(
    width: int, height: int, tile: tuple[int, int]
) -> None:
    grid = tile_grid(width, height)
    assert (grid.width, grid.height) == tile
    assert grid.width % 2 == 0 and grid.height % 2 == 0
    assert (grid.columns, grid.rows, grid.per_sheet) == (5, 5, 25)


def test_the_plan_tiles_the_top_rung_unless_the_storyboard_is_off() -> None:
    def grid_for(width: int, height: int, **settings: Any) -> TileGrid | None:
        info = MediaInfo(
            path="/in/a.mp4", container="mp4", duration=60.0, size=1, video_codec="h264",
            coded_width=width, coded_height=height, width=width, height=height, fps=25.0,
        )  # fmt: skip
        caps = Capabilities(version="5.1", encoders={"libx264": True})
        plan, _ = build_plan(
            info, default_ladder(), EncodeSettings(**settings), caps, out_dir=Path("/o"), encoder="libx264"
        )
        return plan.storyboard

    assert grid_for(1920, 1080) == TileGrid(160, 90)
    assert grid_for(1080, 1920) == TileGrid(90, 160)
    assert grid_for(1920, 800) == TileGrid(160, 66)
    assert grid_for(1920, 1080, storyboard=False) is None


# --- the WebVTT ---------------------------------------------------------------------------------


def test_storyboard_text_for_a_short_video_is_exactly_this() -> None:
    assert storyboard_text(GRID, 10.0, 25.0) == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:10.000\nsprite_000.jpg#xywh=0,0,160,90\n\n"
        "00:00:10.000 --> 00:00:20.000\nsprite_000.jpg#xywh=160,0,160,90\n\n"
        "00:00:20.000 --> 00:00:25.000\nsprite_000.jpg#xywh=320,0,160,90\n"
    )


def test_27_thumbnails_take_two_sheets() -> None:
    found = cues(storyboard_text(GRID, 10.0, 265.0))
    assert len(found) == 27
    assert [sheet for _, _, sheet, _ in found] == ["sprite_000.jpg"] * 25 + ["sprite_001.jpg"] * 2
    # row by row, five to a row
    assert found[4][3] == (640, 0, 160, 90)
    assert found[5][3] == (0, 90, 160, 90)
    assert found[24][3] == (640, 360, 160, 90)
    assert found[25][3] == (0, 0, 160, 90)
    assert found[26][3] == (160, 0, 160, 90)
    # cue n covers [10 n, 10 (n + 1)), the last one ends at the duration
    assert [(start, end) for start, end, _, _ in found[:3]] == [(0, 10), (10, 20), (20, 30)]
    assert found[-1][:2] == (260.0, 265.0)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(found))


@pytest.mark.parametrize(
    ("grid", "interval", "duration", "count", "last"),
    [
        (GRID, 10.0, 30.0, 3, "00:00:20.000 --> 00:00:30.000\nsprite_000.jpg#xywh=320,0,160,90"),  # whole
        (GRID, 10.0, 30.5, 4, "00:00:30.000 --> 00:00:30.500\nsprite_000.jpg#xywh=480,0,160,90"),
        (GRID, 2.5, 6.0, 3, "00:00:05.000 --> 00:00:06.000\nsprite_000.jpg#xywh=320,0,160,90"),
        (GRID, 10.0, 3725.25, 373, "01:02:00.000 --> 01:02:05.250\nsprite_014.jpg#xywh=320,360,160,90"),
        (GRID, 10.0, 4.0, 1, "00:00:00.000 --> 00:00:04.000\nsprite_000.jpg#xywh=0,0,160,90"),
        (TileGrid(90, 160), 10.0, 60.0, 6, "00:00:50.000 --> 00:01:00.000\nsprite_000.jpg#xywh=0,160,90,160"),
    ],
)  # fmt: skip
def test_cue_count_and_last_cue(
    grid: TileGrid, interval: float, duration: float, count: int, last: str
) -> None:
    text = storyboard_text(grid, interval, duration)
    assert len(cues(text)) == count
    assert text.endswith(f"\n\n{last}\n")
    assert cues(text)[-1][1] == pytest.approx(duration, abs=0.001)


def test_write_storyboard_needs_a_sheet(tmp_path: Path) -> None:
    assert write_storyboard(tmp_path, GRID, 10.0, 60.0) is None
    assert not (tmp_path / STORYBOARD).exists()


def test_write_storyboard_leaves_out_cues_past_the_last_sheet(tmp_path: Path) -> None:
    (tmp_path / "sprite_000.jpg").write_bytes(b"")
    for n in range(40):  # the thumbnails the encode made: 40, one every 10 s of 400 s
        (tmp_path / f"thumb_{n:03d}.jpg").write_bytes(b"")
    written = write_storyboard(tmp_path, GRID, 10.0, 400.0)  # 40 thumbnails claimed, one sheet made
    assert written == tmp_path / STORYBOARD
    found = cues(written.read_text(encoding="utf-8"))
    assert len(found) == 25 and found[-1][:2] == (240.0, 250.0)
    (tmp_path / "sprite_001.jpg").write_bytes(b"")
    assert write_storyboard(tmp_path, GRID, 10.0, 400.0) == written
    assert cues(written.read_text(encoding="utf-8"))[-1][:3] == (390.0, 400.0, "sprite_001.jpg")


# --- with the real ffmpeg -----------------------------------------------------------------------


def test_the_sprite_command_reads_the_thumbnails_and_writes_the_sheets(tmp_path: Path) -> None:
    command = build_sprite_command(tmp_path, TileGrid(160, 90), "ffmpeg")
    assert command == [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-f", "image2", "-framerate", "1", "-start_number", "0", "-i", str(tmp_path / "thumb_%03d.jpg"),
        "-vf", "scale=160:90:flags=bicubic,setsar=1,tile=5x5,format=yuvj420p",
        "-fps_mode", "passthrough", "-q:v", "5",
        "-f", "image2", "-start_number", "0", str(tmp_path / "sprite_%03d.jpg"),
    ]  # fmt: skip


def make_thumbnails(folder: Path, count: int, width: int = 320, height: int = 180) -> None:
    run_ffmpeg([
        "-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r=1:d={count}",
        "-pix_fmt", "yuvj420p", "-q:v", "4", "-start_number", "0", str(folder / "thumb_%03d.jpg"),
    ])  # fmt: skip
    assert len(list(folder.glob("thumb_*.jpg"))) == count


def tile_brightness(sheet: Path, grid: TileGrid, ffmpeg: str) -> list[float]:
    """The mean luma (0-255) of each of the sheet's tiles, row by row."""
    raw = subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(sheet), "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    stride = grid.columns * grid.width
    means = []
    for slot in range(grid.per_sheet):
        row, column = divmod(slot, grid.columns)
        x0, y0 = column * grid.width, row * grid.height
        pixels = [raw[(y0 + y) * stride + x0 + x] for y in range(grid.height) for x in range(grid.width)]
        means.append(sum(pixels) / len(pixels))
    return means


def picture_size(path: Path) -> tuple[int, int]:
    (stream,) = ffprobe_json(path, "-show_streams")["streams"]
    return stream["width"], stream["height"]


@pytest.mark.parametrize(
    ("count", "size", "sheets"),
    [
        (7, (320, 180), 1),  # one sheet, padded
        (27, (320, 180), 2),
        (7, (180, 320), 1),  # portrait
    ],
)
def test_thumbnails_are_packed_into_5x5_sheets(
    tmp_path: Path, ffmpeg_bin: str, count: int, size: tuple[int, int], sheets: int
) -> None:
    make_thumbnails(tmp_path, count, *size)
    grid = tile_grid(*size)
    done = subprocess.run(
        build_sprite_command(tmp_path, grid, ffmpeg_bin), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    made = sorted(p.name for p in tmp_path.glob("sprite_*.jpg"))
    assert made == [sprite_name(i) for i in range(sheets)]
    for name in made:
        assert picture_size(tmp_path / name) == (5 * grid.width, 5 * grid.height)
    # the thumbnails fill the last sheet's first tiles; the rest of it is black padding
    last = tile_brightness(tmp_path / made[-1], grid, ffmpeg_bin)
    filled = count - (sheets - 1) * grid.per_sheet
    assert min(last[:filled]) > 40 and max(last[filled:]) < 5, [round(v) for v in last]
    written = write_storyboard(tmp_path, grid, 10.0, count * 10.0)
    assert written is not None
    found = cues(written.read_text(encoding="utf-8"))
    assert len(found) == count
    assert {sheet for _, _, sheet, _ in found} == set(made)


def test_a_video_a_hair_longer_than_whole_intervals_gets_no_sliver_cue() -> None:
    assert len(cues(storyboard_text(GRID, 10.0, 30.0004))) == 3
    assert len(cues(storyboard_text(GRID, 10.0, 30.5))) == 4
    assert len(cues(storyboard_text(GRID, 10.0, 400.0, tiles=7))) == 7  # no cue without its thumbnail
