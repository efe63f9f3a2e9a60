"""Output frame rate: constant, at most 60 fps, snapped to broadcast rates where the source is near one."""

from __future__ import annotations

from fractions import Fraction

STANDARD_RATES = (
    Fraction(24000, 1001),
    Fraction(24),
    Fraction(25),
    Fraction(30000, 1001),
    Fraction(30),
    Fraction(48),
    Fraction(50),
    Fraction(60000, 1001),
    Fraction(60),
)
MAX_FPS = 60
SNAP_TOLERANCE = 0.005


def parse_rate(text: str | None) -> Fraction | None:
    """ffprobe's "30000/1001" (or "25") as a Fraction; None for "0/0", empty or garbage."""
    if not text:
        return None
    try:
        rate = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return rate if rate > 0 else None


def output_rate(fps: float, vfr: bool = False) -> Fraction:
    """The constant rate a source is encoded at.

    Above 60 fps the rate is halved until it fits (120 -> 60, 100 -> 50, 119.88 -> 59.94), keeping
    motion cadence. Variable-rate sources snap to the nearest standard rate; constant ones snap only
    when within 0.5% of one (so 15 fps stays 15).
    """
    if fps <= 0:
        return Fraction(30)
    rate = Fraction(fps).limit_denominator(1001)
    while rate > MAX_FPS * (1 + SNAP_TOLERANCE):
        rate /= 2
    nearest = min(STANDARD_RATES, key=lambda std: abs(std - rate))
    if vfr or abs(nearest - rate) / nearest <= SNAP_TOLERANCE:
        return nearest
    return rate.limit_denominator(1000)


def rate_text(rate: Fraction) -> str:
    """A rate for ffmpeg's fps filter: "25" or "30000/1001"."""
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"
