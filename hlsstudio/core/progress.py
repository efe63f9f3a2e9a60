"""ffmpeg ``-progress pipe:1`` output -> Progress (fraction, fps, speed, ETA)."""

from __future__ import annotations

import math

from hlsstudio.core.models import Progress


class ProgressParser:
    """Feed it lines of ``key=value``; each block ending in ``progress=`` yields a Progress."""

    def __init__(self, duration: float) -> None:
        self.duration = max(duration, 0.0)
        self._block: dict[str, str] = {}

    def feed(self, line: str) -> Progress | None:
        """Consume one line; returns a Progress when the line closes a block, else None."""
        key, sep, value = line.strip().partition("=")
        if not sep:
            return None
        self._block[key.strip()] = value.strip()
        if key.strip() != "progress":
            return None
        block, self._block = self._block, {}
        return progress_from_block(block, self.duration)


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.rstrip("x"))
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _out_time(block: dict[str, str]) -> float:
    # out_time_us and (misnamed) out_time_ms both carry microseconds
    for key in ("out_time_us", "out_time_ms"):
        micros = _float(block.get(key))
        if micros is not None and micros >= 0:
            return micros / 1_000_000
    return 0.0


def progress_from_block(block: dict[str, str], duration: float) -> Progress:
    """One complete progress block -> Progress. Pure."""
    out_time = _out_time(block)
    done = block.get("progress") == "end"
    fraction = 1.0 if done else (min(out_time / duration, 1.0) if duration > 0 else 0.0)
    speed = _float(block.get("speed"))
    eta: float | None = None
    if done:
        eta = 0.0
    elif speed and speed > 0 and duration > 0:
        eta = max(duration - out_time, 0.0) / speed
    frame = _float(block.get("frame"))
    return Progress(
        fraction=fraction,
        out_time=out_time,
        fps=_float(block.get("fps")),
        speed=speed,
        eta=eta,
        frame=int(frame) if frame is not None else None,
        done=done,
    )
