"""The measured quality of every rung of a finished package, on a sample of the title.

A few excerpts spread over the title (the whole title when it is short), each starting on a segment
boundary, are read from each rung's segments and compared with the same stretch of the source at
the package's display size (the top rung's), the source prepared as the encode prepared it
(deinterlace, frame rate, tone-map) on the encode's own timeline, so the frames compared are the
frames the encode was given. The cost is kept to a
small share of the encode (excerpts, every other frame) and reported with the figures.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from hlsstudio.core import layout
from hlsstudio.core.errors import CancelledError, ValidationFailed
from hlsstudio.core.hls.playlists import read_media_playlist
from hlsstudio.core.models import PlannedRung, QualityReport, RungQuality
from hlsstudio.core.quality.metric import Excerpt, QualityError, QualityTool, Score, measure

EXCERPT_SECONDS = 4.0
EXCERPT_COUNT = 3
WHOLE_TITLE_BELOW = 3 * EXCERPT_SECONDS + 2.0
"""A title shorter than this is measured whole."""
SUBSAMPLE = 2  # compare every other frame


@dataclass(frozen=True)
class PackageToMeasure:
    """A finished package and what is needed to compare it with its source."""

    package_dir: Path
    source: Path | str  # a file, or a URL ffmpeg reads (a render farm worker's signed URL)
    duration: float
    rungs: list[PlannedRung]
    reference_chain: str  # the encode's normalising filters, applied to the source side


@dataclass(frozen=True)
class Stretch:
    """What is compared: segments ``first``..``last`` of every rung (all rungs cut alike), starting
    ``start`` s into the title and lasting ``duration`` s."""

    first: int
    last: int
    start: float
    duration: float


def plan_stretches(durations: list[float]) -> list[Stretch]:
    """Where to measure, on segment boundaries: the whole title when it is short, else one segment
    (its first EXCERPT_SECONDS) at 20 %, 50 % and 80 % of the title."""
    starts = [sum(durations[:i]) for i in range(len(durations))]
    total = sum(durations)
    if total < WHOLE_TITLE_BELOW:
        return [Stretch(0, len(durations) - 1, 0.0, total)]
    picked: list[int] = []
    for share in (0.2, 0.5, 0.8)[:EXCERPT_COUNT]:
        index = min(range(len(starts)), key=lambda i: abs(starts[i] - share * total))
        if index not in picked:
            picked.append(index)
    return [Stretch(i, i, round(starts[i], 3), round(min(durations[i], EXCERPT_SECONDS), 3)) for i in picked]


def children_cpu_seconds() -> float:
    """CPU time of this process's finished children so far (user + system), in seconds."""
    times = os.times()
    return times.children_user + times.children_system


def _pooled(scores: list[Score]) -> Score:
    frames = sum(max(s.frames, 1) for s in scores)

    def mean_of(values: list[float | None]) -> float | None:
        if any(v is None for v in values):
            return None
        return sum((v or 0.0) * max(s.frames, 1) for v, s in zip(values, scores, strict=True)) / frames

    return Score(
        metric=scores[0].metric,
        mean=mean_of([s.mean for s in scores]) or 0.0,
        p5=min(s.p5 for s in scores),
        phone_mean=mean_of([s.phone_mean for s in scores]),
        phone_p5=min((s.phone_p5 for s in scores if s.phone_p5 is not None), default=None),
        frames=frames,
    )


def _rounded(value: float | None, metric: str) -> float | None:
    return None if value is None else round(value, 2 if metric == "vmaf" else 4)


def rung_quality(rung: PlannedRung, score: Score) -> RungQuality:
    """One rung's figures from its pooled score."""
    return RungQuality(
        rung=rung.name,
        width=rung.width,
        height=rung.height,
        metric=score.metric,
        mean=_rounded(score.mean, score.metric) or 0.0,
        p5=_rounded(score.p5, score.metric) or 0.0,
        phone_mean=_rounded(score.phone_mean, score.metric),
        phone_p5=_rounded(score.phone_p5, score.metric),
        shown=_rounded(score.shown(rung.height), score.metric) or 0.0,
    )


def _segment_files(playlist: Path) -> list[tuple[Path, float]]:
    """Each segment of ``playlist`` and its duration. Raises QualityError when it cannot be read."""
    try:
        return [(playlist.parent / s.uri, s.duration) for s in read_media_playlist(playlist).segments]
    except ValidationFailed as exc:
        raise QualityError(f"quality not measured: {exc.message}") from exc


def _measure_rung(
    package: PackageToMeasure,
    rung: PlannedRung,
    tool: QualityTool,
    size: tuple[int, int],
    *,
    stretches: list[Stretch],
    cancel: threading.Event | None,
) -> Score:
    segments = [path for path, _ in _segment_files(package.package_dir / layout.playlist_name(rung.name))]
    scores: list[Score] = []
    for stretch in stretches:
        if cancel is not None and cancel.is_set():
            raise CancelledError()
        # the segments as one transport stream: FFmpeg's HLS reader is not needed (nor trusted in
        # every static build), and a stretch starts on a segment's first frame
        joined = "concat:" + "|".join(str(p) for p in segments[stretch.first : stretch.last + 1])
        score = measure(
            tool,
            joined,
            package.source,
            size,
            distorted_at=Excerpt(0.0, stretch.duration),
            reference_at=Excerpt(stretch.start, stretch.duration),
            subsample=SUBSAMPLE,
            reference_chain=package.reference_chain,
        )
        scores.append(score)
    return _pooled(scores)


def measure_package(
    package: PackageToMeasure, tool: QualityTool, cancel: threading.Event | None = None
) -> QualityReport:
    """Measure every rung of ``package`` against its source (see the module docstring).

    A rung that cannot be measured is named in ``problems`` (the others are still measured). Raises
    CancelledError when ``cancel`` is set between two measurements.
    """
    top = max(package.rungs, key=lambda r: r.width * r.height)
    size = (top.width, top.height)
    started, cpu = time.monotonic(), children_cpu_seconds()
    report = QualityReport(
        metric=tool.metric,
        note=tool.note,
        compared_at=f"{size[0]}x{size[1]}",
    )
    try:
        top_segments = _segment_files(package.package_dir / layout.playlist_name(top.name))
    except QualityError as exc:
        report.problems.append(exc.message)
        return report
    # every rung is cut alike (the validator checks it): one set of stretches serves them all
    stretches = plan_stretches([duration for _, duration in top_segments])
    report.excerpts = [(s.start, s.duration) for s in stretches]
    for rung in package.rungs:
        try:
            score = _measure_rung(package, rung, tool, size, stretches=stretches, cancel=cancel)
            report.rungs.append(rung_quality(rung, score))
        except QualityError as exc:
            report.problems.append(f"{rung.name}: {exc.message}")
    report.cpu_seconds = round(children_cpu_seconds() - cpu, 2)
    report.wall_seconds = round(time.monotonic() - started, 2)
    return report
