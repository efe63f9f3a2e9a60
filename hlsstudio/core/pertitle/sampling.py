"""Which stretches of a title the analysis looks at (pure arithmetic and choice, no I/O).

* How much: ``sample_seconds`` = 8 % of the title, at least 6 s and at most 40 s (never more than the
  title less its first and last 2 %, which are left out: titles and credits).
* In how many pieces: ``excerpt_layout``: 3 to 6 excerpts of 2 to 8 s, about one segment each.
* From where: ``candidate_windows`` spread evenly over the title; each is given a difficulty by a cheap
  probe (``probe.rank_candidates``) and ``choose_windows`` takes about half the excerpts from the
  hardest candidates and the rest spread evenly, so the sample leans to the parts that need bits.
* A short title, where the candidates would cover much of it anyway, is not probed
  (``worth_probing``): its excerpts are spread evenly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EDGE_SHARE = 0.02
SAMPLE_SHARE = 0.08
SAMPLE_MIN_SECONDS = 6.0
SAMPLE_MAX_SECONDS = 40.0
EXCERPTS_MIN, EXCERPTS_MAX = 3, 6
EXCERPT_MIN_SECONDS, EXCERPT_MAX_SECONDS = 2.0, 8.0
EXCERPT_TARGET_SECONDS = 6.0
CANDIDATES_PER_EXCERPT = 2
CANDIDATE_SPACING = 4.0
"""Candidates are about this many excerpt lengths apart (more candidates on longer titles)."""
CANDIDATES_MAX = 48
PROBE_COVERAGE_MAX = 0.4
"""Probe only when the candidates cover less than this share of the usable title."""
PROBE_SLICE_MIN_SECONDS = 0.5


@dataclass(frozen=True)
class Window:
    """A stretch of the title: ``start`` s from its beginning, ``duration`` s long."""

    start: float
    duration: float

    @property
    def centre(self) -> float:
        return self.start + self.duration / 2.0


def usable_range(duration: float) -> tuple[float, float]:
    """The part of the title the sample may come from: all but the first and last 2 %."""
    return duration * EDGE_SHARE, duration * (1.0 - EDGE_SHARE)


def sample_seconds(duration: float) -> float:
    """How long the sample is: 8 % of ``duration`` within 6..40 s, at most the usable part."""
    low, high = usable_range(max(duration, 0.0))
    wanted = min(max(SAMPLE_SHARE * duration, SAMPLE_MIN_SECONDS), SAMPLE_MAX_SECONDS)
    return max(0.0, min(wanted, high - low))


def excerpt_layout(total: float) -> tuple[int, float]:
    """(count, seconds each) for a sample of ``total`` s: 3..6 excerpts of 2..8 s, each about one
    segment long; a sample under 6 s is one excerpt."""
    if total < EXCERPTS_MIN * EXCERPT_MIN_SECONDS:
        return 1, total
    count = min(max(round(total / EXCERPT_TARGET_SECONDS), EXCERPTS_MIN), EXCERPTS_MAX)
    while total / count > EXCERPT_MAX_SECONDS and count < EXCERPTS_MAX:
        count += 1
    while total / count < EXCERPT_MIN_SECONDS and count > EXCERPTS_MIN:
        count -= 1
    return count, total / count


def candidate_windows(duration: float, count: int, each: float) -> list[Window]:
    """Non-overlapping windows of ``each`` s spread evenly over the usable title, start to end.

    About one every ``CANDIDATE_SPACING`` excerpt lengths, at least ``CANDIDATES_PER_EXCERPT`` per
    excerpt, at most ``CANDIDATES_MAX``, and never more than fit side by side.
    """
    low, high = usable_range(duration)
    span = high - low
    if each <= 0 or span < each:
        return [Window(round(low, 3), round(max(span, 0.0), 3))]
    fit = int(span / each + 1e-9)
    wanted = max(count * CANDIDATES_PER_EXCERPT, round(span / (CANDIDATE_SPACING * each)))
    n = max(1, min(wanted, fit, CANDIDATES_MAX))
    if n == 1:
        return [Window(round(low + (span - each) / 2.0, 3), round(each, 3))]
    gap = (span - each) / (n - 1)
    return [Window(round(low + i * gap, 3), round(each, 3)) for i in range(n)]


def worth_probing(duration: float, candidates: Sequence[Window], count: int) -> bool:
    """Whether ranking the candidates pays: more candidates than excerpts, covering under 40 % of the
    usable title (on a short title an even spread already sees most of it)."""
    low, high = usable_range(duration)
    covered = sum(w.duration for w in candidates)
    return len(candidates) > count and covered < PROBE_COVERAGE_MAX * (high - low)


def probe_slices(candidates: Sequence[Window], budget: float) -> list[Window]:
    """The stretch of each candidate the probe decodes: its middle, together about ``budget`` s."""
    if not candidates:
        return []
    length = min(max(budget / len(candidates), PROBE_SLICE_MIN_SECONDS), candidates[0].duration)
    return [Window(round(w.centre - length / 2.0, 3), round(length, 3)) for w in candidates]


def _spread(pool: Sequence[Window], picks: int, low: float, high: float) -> list[Window]:
    """``picks`` windows from ``pool`` nearest to evenly spaced points of low..high."""
    chosen: list[Window] = []
    left = list(pool)
    for j in range(picks):
        if not left:
            break
        target = low + (j + 0.5) * (high - low) / picks
        nearest = min(left, key=lambda w: (abs(w.centre - target), w.start))
        chosen.append(nearest)
        left.remove(nearest)
    return chosen


def choose_windows(candidates: Sequence[Window], scores: Sequence[float] | None, count: int) -> list[Window]:
    """The excerpts, in title order: about half the hardest candidates, the rest spread evenly.

    Input: the candidates, their difficulty (higher is harder; None: not probed, all spread evenly) and
    how many excerpts. Raises ValueError when ``scores`` and ``candidates`` differ in length.
    """
    if scores is not None and len(scores) != len(candidates):
        raise ValueError("one score per candidate")
    if len(candidates) <= count:
        return sorted(candidates, key=lambda w: w.start)
    low = min(w.start for w in candidates)
    high = max(w.start + w.duration for w in candidates)
    if scores is None:
        return sorted(_spread(candidates, count, low, high), key=lambda w: w.start)
    hard = math.ceil(count / 2)
    ranked = sorted(range(len(candidates)), key=lambda i: (-scores[i], candidates[i].start))
    chosen = [candidates[i] for i in ranked[:hard]]
    rest = [w for w in candidates if w not in chosen]
    chosen += _spread(rest, count - hard, low, high)
    return sorted(chosen, key=lambda w: w.start)


def keyframe_times(total: float, segment: float) -> list[float]:
    """Where a trial encode of the sample forces IDR frames: every ``segment`` s from its start, as the
    real encode does at segment starts (the cuts between excerpts are coded as the encode codes scene
    cuts: no keyframe of their own, since scene-cut keyframes are off)."""
    count = max(1, math.ceil(total / segment - 1e-6))
    return [round(i * segment, 3) for i in range(count)]
