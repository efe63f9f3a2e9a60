"""-progress pipe:1 parsing: blocks, units, ETA, end of stream."""

from __future__ import annotations

import pytest

from hlsstudio.core.progress import ProgressParser, progress_from_block

BLOCK = """frame=250
fps=49.90
stream_0_0_q=28.0
bitrate=N/A
total_size=N/A
out_time_us=5000000
out_time_ms=5000000
out_time=00:00:05.000000
dup_frames=0
drop_frames=0
speed=2.5x
progress=continue
"""


def test_block_yields_progress_only_on_progress_line() -> None:
    parser = ProgressParser(duration=20.0)
    results = [parser.feed(line) for line in BLOCK.splitlines()]
    assert results[:-1] == [None] * (len(results) - 1)
    progress = results[-1]
    assert progress is not None
    assert progress.fraction == pytest.approx(0.25)
    assert progress.out_time == pytest.approx(5.0)
    assert progress.fps == pytest.approx(49.9)
    assert progress.speed == pytest.approx(2.5)
    assert progress.eta == pytest.approx(6.0)  # 15 s of media left at 2.5x
    assert progress.frame == 250
    assert not progress.done


def test_end_block_is_complete() -> None:
    progress = progress_from_block({"out_time_us": "19960000", "speed": "3x", "progress": "end"}, 20.0)
    assert progress.done and progress.fraction == 1.0 and progress.eta == 0.0


@pytest.mark.parametrize(
    ("block", "fraction", "eta"),
    [
        ({"out_time_us": "N/A", "speed": "N/A", "progress": "continue"}, 0.0, None),
        ({"out_time_us": "-9223372036854775807", "progress": "continue"}, 0.0, None),
        ({"out_time_ms": "30000000", "speed": "1x", "progress": "continue"}, 1.0, 0.0),  # clamps
        ({"out_time_us": "1000000", "speed": "0x", "progress": "continue"}, 0.05, None),
    ],
)
def test_odd_values(block: dict[str, str], fraction: float, eta: float | None) -> None:
    progress = progress_from_block(block, 20.0)
    assert progress.fraction == pytest.approx(fraction)
    assert progress.eta == eta


def test_unknown_duration_gives_no_fraction() -> None:
    progress = progress_from_block({"out_time_us": "1000000", "speed": "1x", "progress": "continue"}, 0.0)
    assert progress.fraction == 0.0 and progress.eta is None


def test_garbage_lines_are_ignored() -> None:
    parser = ProgressParser(10.0)
    assert parser.feed("not a key value line") is None
    assert parser.feed("") is None
    assert parser.feed("progress=continue") is not None
