"""Frame rates: ffprobe's rate strings and the constant output rate a source is encoded at."""

from __future__ import annotations

from fractions import Fraction

import pytest

from hlsstudio.core.framerate import output_rate, parse_rate, rate_text


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("30000/1001", Fraction(30000, 1001)),
        ("25/1", Fraction(25)),
        ("25", Fraction(25)),
        ("0/0", None),
        ("0/1", None),
        ("", None),
        (None, None),
        ("N/A", None),
        ("-25/1", None),
        ("1/0", None),
        ("abc", None),
        ("2500/99", Fraction(2500, 99)),
    ],
)
def test_parse_rate(text: str | None, rate: Fraction | None) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize(
    ("fps", "vfr", "expected"),
    [
        (25.0, False, "25"),
        (29.97, False, "30000/1001"),
        (23.976, False, "24000/1001"),
        (59.94, False, "60000/1001"),
        (24.0, False, "24"),
        (15.0, False, "15"),  # not near a broadcast rate: kept
        (12.5, False, "25/2"),
        (120.0, False, "60"),
        (100.0, False, "50"),
        (119.88, False, "60000/1001"),
        (240.0, False, "60"),
        (50.0, False, "50"),
        (48.0, False, "48"),
        (30.0, False, "30"),
        (60.2, False, "60"),  # within 0.5% of 60: not halved
        (25.253, True, "25"),  # a VFR MP4's average
        (0.0, False, "30"),
        (24.7, True, "25"),  # variable: nearest broadcast rate
        (29.1, True, "30000/1001"),
        (18.409, True, "24000/1001"),
    ],
)
def test_output_rate(fps: float, vfr: bool, expected: str) -> None:
    assert rate_text(output_rate(fps, vfr)) == expected


def test_output_rate_never_exceeds_60_fps() -> None:
    for fps in (61, 72, 90, 144, 165, 239.76, 300, 960):
        assert output_rate(float(fps)) <= 60 * 1.005, fps


def test_rate_text() -> None:
    assert rate_text(Fraction(25)) == "25"
    assert rate_text(Fraction(30000, 1001)) == "30000/1001"


def test_high_rates_keep_their_cadence() -> None:
    # halving keeps every other frame: 120 -> 60, 100 -> 50, 119.88 -> 59.94, never a 2.5:1 pull-down
    for fps, half in ((120.0, Fraction(60)), (100.0, Fraction(50)), (119.88, Fraction(60000, 1001))):
        assert output_rate(fps) == half
        assert Fraction(fps).limit_denominator(1001) / output_rate(fps) == pytest.approx(2, rel=0.001)
