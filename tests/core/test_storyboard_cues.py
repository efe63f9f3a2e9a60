"""Reading a storyboard back: every cue's moment and tile, as written by ``storyboard_text``."""

from __future__ import annotations

import pytest

from hlsstudio.core.storyboard import TileGrid, storyboard_text
from hlsstudio.core.storyboard_cues import StoryboardCue, cue_at, parse_storyboard, vtt_seconds


def test_a_written_storyboard_reads_back_tile_by_tile() -> None:
    grid = TileGrid(160, 90)
    cues = parse_storyboard(storyboard_text(grid, 10.0, 7200.0))
    assert len(cues) == 720
    assert cues[0] == StoryboardCue(0.0, 10.0, "sprite_000.jpg", 0, 0, 160, 90)
    assert cues[6] == StoryboardCue(60.0, 70.0, "sprite_000.jpg", 160, 90, 160, 90)
    assert cues[25].image == "sprite_001.jpg" and (cues[25].x, cues[25].y) == (0, 0)
    assert cues[-1] == StoryboardCue(7190.0, 7200.0, "sprite_028.jpg", 640, 270, 160, 90)  # tile 19 of 25
    assert not cues[-1].whole_picture


@pytest.mark.parametrize(
    ("seconds", "start"),
    [(0.0, 0.0), (9.999, 0.0), (10.0, 10.0), (7140.0, 7140.0), (7200.0, 7190.0), (9999.0, 7190.0), (-1, 0.0)],
)
def test_the_cue_at_a_moment(seconds: float, start: float) -> None:
    cues = parse_storyboard(storyboard_text(TileGrid(90, 160), 10.0, 7200.0))
    cue = cue_at(cues, seconds)
    assert cue is not None and cue.start == start
    assert (cue.width, cue.height) == (90, 160)


def test_whole_pictures_identifiers_notes_and_short_stamps() -> None:
    text = (
        "\ufeffWEBVTT\n\nNOTE made by hand\n\n1\n00:05.000 --> 00:10.000\nthumb_001.jpg\n\n"
        "0\n00:00.000 --> 00:05.000\nthumb_000.jpg\n\n00:10.000 --> 00:10.000\nempty.jpg\n\n"
        "00:10.000 --> 00:15.000\nnot a picture line\n"
    )
    cues = parse_storyboard(text)
    assert [(c.start, c.end, c.image, c.whole_picture) for c in cues] == [
        (0.0, 5.0, "thumb_000.jpg", True),
        (5.0, 10.0, "thumb_001.jpg", True),
    ]


def test_text_that_is_not_a_storyboard_has_no_cues() -> None:
    assert parse_storyboard("") == []
    assert parse_storyboard("1\n00:00:01,000 --> 00:00:02,000\nHello\n") == []  # SRT, not WebVTT
    assert cue_at([], 3.0) is None
    assert vtt_seconds("01:59:00.5") == 7140.5
    assert vtt_seconds("02:03,040") == 123.04
