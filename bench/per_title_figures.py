"""The arithmetic of ``per_title.py``: each rung's bytes and bitrate, the two ladders side by side, the
BD-rate and the other figures of a title, and the overall summary. No encoding, no measuring here.

Bitrate of a rung = the bytes of its video segments (the files its media playlist lists, transport
stream overhead included, sound excluded: sound is packaged in renditions of its own) over the
duration the playlist states. Quality = VMAF, default model, of the whole rung against the title,
both at the title's display size (1920x1080).

The BD-rate compares the two ladders' (bitrate, VMAF) points with ``hlsstudio.core.pertitle.bdrate``
(PCHIP, over the VMAF range both ladders cover). The headline figure leaves the cellular rung out, as
the analysis's own prediction (``hull.predicted_bd_rate``) does: both ladders make that rung at the
same fixed limits (Apple's 192 kb/s cellular cap), so it measures nothing per-title can change and
would stretch the common range with a stretch where the two curves meet. The figure over every rung
is given beside it.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from common_io import Figure, at_most, below

from hlsstudio.core.hls.playlists import read_media_playlist
from hlsstudio.core.pertitle.bdrate import bd_rate

GOAL_BD_RATE = -30.0  # %: the same VMAF with at least 30 % fewer bits
GOAL_TOP_DROP = 1.0  # VMAF points the per-title top rung may lose against the fixed top rung
GOAL_ANALYSIS_SHARE = 0.5  # analysis CPU over the final encode's CPU
CELLULAR_MAX_HEIGHT = 240
"""Rungs this short or shorter are the cellular rung (the default ladder's 234p)."""


@dataclass(frozen=True)
class RungFigures:
    """One rung of a package: its size, video bytes over ``seconds``, and its measured quality.

    ``vmaf`` is the default model's mean over the compared frames, ``vmaf_phone`` the phone model's,
    ``vmaf_p5`` the default model's 5th percentile; ``crf`` the capped CRF of a per-title rung and
    ``predicted`` the (kbps, VMAF) its analysis expected of it (``ChosenRung.predicted_kbps`` and
    ``predicted_vmaf``, from the trials on the sample).
    """

    name: str
    width: int
    height: int
    video_bytes: int
    seconds: float
    vmaf: float | None = None
    vmaf_phone: float | None = None
    vmaf_p5: float | None = None
    frames: int = 0
    crf: float | None = None
    predicted: tuple[float, float] | None = None

    @property
    def kbps(self) -> float:
        """Average video bitrate in kbit/s."""
        return self.video_bytes * 8 / self.seconds / 1000 if self.seconds > 0 else 0.0

    @property
    def cellular(self) -> bool:
        return self.height <= CELLULAR_MAX_HEIGHT

    def as_json(self) -> dict[str, Any]:
        """The rung's figures as JSON (bitrate rounded to 0.1 kbps)."""
        return {
            "name": self.name,
            "size": f"{self.width}x{self.height}",
            "video_bytes": self.video_bytes,
            "seconds": round(self.seconds, 3),
            "kbps": round(self.kbps, 1),
            "vmaf": self.vmaf,
            "vmaf_phone": self.vmaf_phone,
            "vmaf_p5": self.vmaf_p5,
            "frames_compared": self.frames,
            "crf": self.crf,
            "predicted_kbps": None if self.predicted is None else self.predicted[0],
            "predicted_vmaf": None if self.predicted is None else self.predicted[1],
        }


def segment_files(playlist: Path) -> list[tuple[Path, float]]:
    """Each segment file a media playlist lists, with its stated duration."""
    return [(playlist.parent / s.uri, s.duration) for s in read_media_playlist(playlist).segments]


def video_bytes_and_seconds(playlist: Path) -> tuple[int, float]:
    """(bytes of every segment of ``playlist``, the sum of their durations)."""
    segments = segment_files(playlist)
    return sum(path.stat().st_size for path, _ in segments), sum(seconds for _, seconds in segments)


def top_rung(rungs: Sequence[RungFigures]) -> RungFigures:
    """The largest picture, and of two of one size the one with more bits."""
    return max(rungs, key=lambda r: (r.width * r.height, r.video_bytes))


def curve(rungs: Iterable[RungFigures], *, cellular: bool) -> list[tuple[float, float]]:
    """(kbps, VMAF) of the measured rungs; the cellular rung only when ``cellular``."""
    return [(r.kbps, r.vmaf) for r in rungs if r.vmaf is not None and (cellular or not r.cellular)]


def bd_rate_or_none(
    anchor: Sequence[tuple[float, float]], test: Sequence[tuple[float, float]]
) -> float | None:
    """BD-rate (%) of ``test`` against ``anchor``; None where it cannot be computed (too few points,
    no common VMAF range)."""
    try:
        return bd_rate(anchor, test)
    except ValueError:
        return None


def paired_rungs(
    fixed: Sequence[RungFigures], tuned: Sequence[RungFigures]
) -> list[tuple[RungFigures | None, RungFigures | None]]:
    """The two ladders' rungs side by side, one row per height (lowest first); two rungs of one
    height on a side take two rows, cheaper first, and a height one side lacks is None there."""
    rows: list[tuple[RungFigures | None, RungFigures | None]] = []
    for height in sorted({r.height for r in fixed} | {r.height for r in tuned}):
        left = sorted((r for r in fixed if r.height == height), key=lambda r: r.video_bytes)
        right = sorted((r for r in tuned if r.height == height), key=lambda r: r.video_bytes)
        rows += list(zip_longest(left, right))
    return rows


def _cells(rung: RungFigures | None, *, with_plan: bool) -> list[str]:
    if rung is None:
        return ["—"] * (5 if with_plan else 3)
    vmaf = "?" if rung.vmaf is None else f"{rung.vmaf:.2f}"
    cells = [f"{rung.name} {rung.width}x{rung.height}", f"{rung.kbps:.0f}", vmaf]
    if not with_plan:
        return cells
    crf = "" if rung.crf is None else f"{rung.crf:g}"
    predicted = "" if rung.predicted is None else f"{rung.predicted[0]:.0f} / {rung.predicted[1]:.2f}"
    return [*cells, crf, predicted]


RUNG_HEADERS = [
    "fixed rung", "fixed kbps", "fixed VMAF", "per-title rung", "per-title kbps", "per-title VMAF",
    "CRF", "predicted kbps / VMAF", "kbps ratio", "VMAF diff",
]  # fmt: skip


def rung_table(fixed: Sequence[RungFigures], tuned: Sequence[RungFigures]) -> list[list[str]]:
    """The rows of the side-by-side table: each side's rung, bitrate and VMAF, the per-title CRF and
    what the analysis predicted, and where both sides have the height: per-title kbps / fixed kbps
    and per-title VMAF − fixed VMAF."""
    rows = []
    for left, right in paired_rungs(fixed, tuned):
        ratio = diff = ""
        if left is not None and right is not None and left.kbps > 0:
            ratio = f"{right.kbps / left.kbps:.2f}"
            if left.vmaf is not None and right.vmaf is not None:
                diff = f"{right.vmaf - left.vmaf:+.2f}"
        rows.append([*_cells(left, with_plan=False), *_cells(right, with_plan=True), ratio, diff])
    return rows


@dataclass
class TitleFigures:
    """Both ladders of one title and what the per-title run cost.

    ``analysis_cpu``: the analysis's CPU seconds (``JobResult.per_title.analysis_cpu_seconds``);
    ``encode_cpu`` / ``fixed_encode_cpu``: the CPU seconds of each run's encode (the one ffmpeg).
    """

    title: str
    fixed: list[RungFigures]
    tuned: list[RungFigures]
    analysis_cpu: float
    encode_cpu: float
    fixed_encode_cpu: float
    predicted_bd_rate: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def bd_rate(self) -> float | None:
        """BD-rate (%) of the per-title ladder against the fixed one, the cellular rung left out."""
        return bd_rate_or_none(curve(self.fixed, cellular=False), curve(self.tuned, cellular=False))

    @property
    def bd_rate_all_rungs(self) -> float | None:
        """BD-rate (%) over every rung, the cellular one included."""
        return bd_rate_or_none(curve(self.fixed, cellular=True), curve(self.tuned, cellular=True))

    @property
    def fixed_bytes(self) -> int:
        return sum(r.video_bytes for r in self.fixed)

    @property
    def tuned_bytes(self) -> int:
        return sum(r.video_bytes for r in self.tuned)

    @property
    def bytes_ratio(self) -> float:
        """Video bytes of every per-title rung over those of every fixed rung."""
        return self.tuned_bytes / self.fixed_bytes if self.fixed_bytes else float("nan")

    @property
    def top_vmaf(self) -> tuple[float | None, float | None]:
        """(fixed, per-title) VMAF of each ladder's top rung."""
        return top_rung(self.fixed).vmaf, top_rung(self.tuned).vmaf

    @property
    def top_drop(self) -> float | None:
        """Per-title top VMAF − fixed top VMAF (negative: the per-title top looks worse)."""
        fixed, tuned = self.top_vmaf
        return None if fixed is None or tuned is None else tuned - fixed

    @property
    def analysis_share(self) -> float:
        """Analysis CPU over the per-title run's encode CPU."""
        return self.analysis_cpu / self.encode_cpu if self.encode_cpu > 0 else float("nan")

    def as_json(self) -> dict[str, Any]:
        """The title's figures and every rung of both ladders."""
        fixed_top, tuned_top = self.top_vmaf
        return {
            "title": self.title,
            **self.extra,
            "bd_rate_percent": _round(self.bd_rate, 2),
            "bd_rate_all_rungs_percent": _round(self.bd_rate_all_rungs, 2),
            "predicted_bd_rate_percent": _round(self.predicted_bd_rate, 2),
            "video_bytes": {"fixed": self.fixed_bytes, "per_title": self.tuned_bytes},
            "bytes_ratio": round(self.bytes_ratio, 4),
            "top_vmaf": {"fixed": fixed_top, "per_title": tuned_top},
            "top_vmaf_diff": _round(self.top_drop, 2),
            "analysis_cpu_seconds": round(self.analysis_cpu, 2),
            "encode_cpu_seconds": {
                "fixed": round(self.fixed_encode_cpu, 2),
                "per_title": round(self.encode_cpu, 2),
            },
            "analysis_share_of_encode": round(self.analysis_share, 3),
            "rungs": {
                "fixed": [r.as_json() for r in self.fixed],
                "per_title": [r.as_json() for r in self.tuned],
            },
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class Overall:
    """The summary over every title: the mean BD-rate (of the titles where it could be computed), the
    summed bytes ratio, the worst top-rung change and the worst and pooled analysis shares."""

    bd_rate: float | None
    bd_rate_all_rungs: float | None
    bytes_ratio: float
    worst_top_drop: float | None
    worst_analysis_share: float
    analysis_share: float


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.fmean(known) if known else None


def overall(titles: Sequence[TitleFigures]) -> Overall:
    """The summary of ``titles`` (one or more)."""
    drops = [t.top_drop for t in titles if t.top_drop is not None]
    encode = sum(t.encode_cpu for t in titles)
    return Overall(
        bd_rate=_mean(t.bd_rate for t in titles),
        bd_rate_all_rungs=_mean(t.bd_rate_all_rungs for t in titles),
        bytes_ratio=sum(t.tuned_bytes for t in titles) / sum(t.fixed_bytes for t in titles),
        worst_top_drop=min(drops) if drops else None,
        worst_analysis_share=max(t.analysis_share for t in titles),
        analysis_share=sum(t.analysis_cpu for t in titles) / encode if encode > 0 else float("nan"),
    )


def figures(summary: Overall, content: str) -> list[Figure]:
    """The headline figures with their goals (``content`` names the titles they were measured on)."""
    found: list[Figure] = []
    if summary.bd_rate is not None:
        found.append(
            at_most("BD-rate per-title vs fixed (mean)", summary.bd_rate, GOAL_BD_RATE, " %", content)
        )
    found.append(below("video bytes per-title / fixed", summary.bytes_ratio, 1.0, "", content))
    if summary.worst_top_drop is not None:
        drop = summary.worst_top_drop
        goal = f"≥ {-GOAL_TOP_DROP:g}"
        found.append(
            Figure("top rung VMAF per-title − fixed (worst)", drop, " VMAF", goal, drop >= -GOAL_TOP_DROP)
        )
    found.append(
        at_most(
            "analysis CPU / encode CPU (worst)",
            summary.worst_analysis_share,
            GOAL_ANALYSIS_SHARE,
            "",
            content,
        )
    )
    return found


def percent_text(value: float | None) -> str:
    """A percentage with its sign (one decimal), or n/a."""
    return "n/a" if value is None else f"{value:+.1f} %"


def vmaf_text(value: float | None) -> str:
    """A VMAF figure with two decimals, or ?."""
    return "?" if value is None else f"{value:.2f}"


SUMMARY_HEADERS = ["title", "BD-rate", "BD-rate, every rung", "predicted", "bytes ratio", "top VMAF fixed",
                   "top VMAF per-title", "analysis / encode CPU"]  # fmt: skip


def summary_rows(titles: list[TitleFigures]) -> list[list[object]]:
    """One row per title, then the overall row."""
    rows: list[list[object]] = []
    for t in titles:
        fixed_top, tuned_top = t.top_vmaf
        bd_rates = [percent_text(v) for v in (t.bd_rate, t.bd_rate_all_rungs, t.predicted_bd_rate)]
        tops = [vmaf_text(fixed_top), vmaf_text(tuned_top)]
        rows.append([t.title, *bd_rates, f"{t.bytes_ratio:.3f}", *tops, f"{t.analysis_share:.2f}"])
    total = overall(titles)
    worst = "n/a" if total.worst_top_drop is None else f"worst {total.worst_top_drop:+.2f}"
    share = f"{total.analysis_share:.2f} (worst {total.worst_analysis_share:.2f})"
    bd_rates = [percent_text(total.bd_rate), percent_text(total.bd_rate_all_rungs), ""]
    rows.append(["**overall**", *bd_rates, f"{total.bytes_ratio:.3f}", "", worst, share])
    return rows
