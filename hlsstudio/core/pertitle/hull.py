"""From trial points to rungs (pure, no I/O): the hull, the best size per bitrate, the rungs chosen.

The rungs are placed on the *frontier*: for every bitrate, the size and CRF that the trials say look
best at or below it, each size only up to its cap (the fixed ladder's rate for that size, from
``plan_ladder``: no per-title rung ever costs more than the fixed rung of its size, nor more than the
fixed top rung). The frontier is the upper hull of the measured points filled in along each size's
interpolated curve (``curves``); ``upper_hull`` reports the measured points on it.

How rungs are chosen (``choose_rungs``):

* top: the cheapest frontier point that reaches the top target (VMAF 94 by default, or the fixed top
  rung's predicted quality less half a point when that is higher: the per-title ladder's best never
  looks clearly worse than the fixed ladder's); content that never reaches it within the caps keeps
  the best the caps allow (the fixed top rate, or a smaller size at its own cap when that looks better);
* one rung for each rung of the fixed ladder: the cheapest frontier point as good as that fixed rung
  is predicted to look (no better than the top target): the same qualities as the fixed ladder,
  each for the fewest bits, on the best size; every regular rung (the top too) carries at least
  ``min_step`` times the cellular rung's predicted rate;
* lowest first, a rung within ``min_step`` of the rung kept below it is left out (the top stays): the
  qualities of an easy title bunch up under the target, so it gets fewer and lower rungs, while a hard
  one keeps about the fixed rates;
* a gap wider than ``min_step`` squared is filled from the frontier, never beyond the fixed ladder's
  number of rungs; each rung must look better than the one below it;
* the cellular rung, when the fixed ladder has one, keeps its fixed limits.

Rate control, capped CRF: ``maxrate = peak_factor x predicted average`` (1.4 by default), never above
the fixed rung's own maxrate for that size, and ``bufsize = 2 x maxrate`` (``BUFFER_SECONDS``): a
keyframe fits the buffer, so x264 does not starve it and the frames that refer to it. A rung's peak
segment stays near the cap (the validator measures it, and checks Apple's "peak no more than 200 %
of the average"), and the cap keeps the bits where the CRF wants them on most segments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from hlsstudio.core.ladder import CELLULAR_LIMIT_KBPS, CELLULAR_MAXRATE_FACTOR
from hlsstudio.core.models import PlannedRung
from hlsstudio.core.pertitle.bdrate import bd_rate
from hlsstudio.core.pertitle.curves import CRF_MAX, Curve, build_curves
from hlsstudio.core.pertitle.models import ChosenRung, PerTitleTargets, TrialPoint
from hlsstudio.core.quality.metric import Metric

CRF_STEP = 0.25
"""The grid of CRFs the frontier is drawn from."""
MIN_GAIN = {"vmaf": 1.0, "ssim": 0.001}
"""A rung must look at least this much better than the rung below it, or it is left out."""
CELLULAR_CRF = 23.0
BUFFER_SECONDS = 2
"""A capped-CRF rung's VBV buffer, in seconds of its maxrate. With one second a keyframe of a low rung
did not fit and x264 starved it and the frames after it (720p at CRF 31, 200 kb/s, a still scene:
VMAF 79.6 uncapped, 65.8 with a one-second buffer, 72.8 with two)."""


@dataclass(frozen=True)
class Option:
    """One point of a size's curve: ``cap`` is the fixed rung of that size (its limits, its audio)."""

    kbps: float
    quality: float
    crf: float
    cap: PlannedRung


def is_cellular(rung: PlannedRung) -> bool:
    """Whether ``plan_ladder`` made ``rung`` a cellular rung (peak with sound within Apple's 192 kb/s)."""
    return (
        rung.video_kbps * CELLULAR_MAXRATE_FACTOR + rung.audio_kbps <= CELLULAR_LIMIT_KBPS
        and rung.bufsize_kbps == rung.maxrate_kbps
    )


def upper_hull(points: Sequence[TrialPoint]) -> list[TrialPoint]:
    """The uncapped points on the upper convex hull of (ln kbps, quality), cheapest first, up to the
    best-looking point (the part where more bits buy more quality)."""
    ordered = sorted((p for p in points if p.maxrate_kbps is None and p.kbps > 0), key=lambda p: p.kbps)
    hull: list[TrialPoint] = []
    for point in ordered:
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            ax, bx, px = math.log(a.kbps), math.log(b.kbps), math.log(point.kbps)
            cross = (bx - ax) * (point.vmaf - a.vmaf) - (b.vmaf - a.vmaf) * (px - ax)
            if cross >= 0:  # b lies on or under the line from a to the new point
                hull.pop()
            else:
                break
        hull.append(point)
    if not hull:
        return []
    best = max(range(len(hull)), key=lambda i: (hull[i].vmaf, -hull[i].kbps))
    return hull[: best + 1]


def _cap_of(curve: Curve, caps: Sequence[PlannedRung]) -> PlannedRung | None:
    return next((c for c in caps if (c.width, c.height) == (curve.width, curve.height)), None)


def options(curves: dict[tuple[int, int], Curve], caps: Sequence[PlannedRung]) -> list[Option]:
    """Every point of every size's curve on the CRF grid within the caps, and each size at its cap
    (wherever that lies: hard content may need a CRF past the trials to fit it, or the highest CRF
    and the rate cap together)."""
    found: list[Option] = []
    for curve in curves.values():
        cap = _cap_of(curve, caps)
        if cap is None:
            continue
        low, high = curve.usable
        for crf in [low + i * CRF_STEP for i in range(int((high - low) / CRF_STEP) + 1)]:
            kbps = curve.kbps_at(crf)
            if kbps <= cap.video_kbps * 1.0001:
                found.append(Option(min(kbps, float(cap.video_kbps)), curve.quality_at(crf), crf, cap))
        at_cap = min(max(curve.crf_for_kbps(cap.video_kbps), low), CRF_MAX)
        kbps = min(curve.kbps_at(at_cap), float(cap.video_kbps))
        found.append(Option(kbps, curve.quality_at(at_cap), at_cap, cap))
    return found


def frontier(found: Sequence[Option]) -> list[Option]:
    """The options no cheaper option matches: best quality for each bitrate, cheapest first."""
    best: list[Option] = []
    for option in sorted(found, key=lambda o: (o.kbps, -o.quality)):
        if not best or option.quality > best[-1].quality + 1e-9:
            best.append(option)
    return best


def rate_control(predicted_kbps: float, cap: PlannedRung, peak_factor: float) -> tuple[int, int]:
    """(maxrate, bufsize) of a capped-CRF rung: ``peak_factor`` x its average, at most its size's fixed
    maxrate, with a buffer of two seconds of the cap (see the module docstring)."""
    maxrate = max(1, min(round(predicted_kbps * peak_factor), cap.maxrate_kbps))
    return maxrate, BUFFER_SECONDS * maxrate


def _word(metric: Metric) -> str:
    return "VMAF" if metric == "vmaf" else "SSIM"


def _shown(quality: float, metric: Metric) -> str:
    return f"{quality:.1f}" if metric == "vmaf" else f"{quality:.4f}"


def _merged(picks: list[tuple[Option, str]], top: Option, step: float) -> list[tuple[Option, str]]:
    """The picks lowest first, each at least ``step`` x the one kept below it, the top last."""
    kept: list[tuple[Option, str]] = []
    for option, reason in sorted(picks[:-1], key=lambda p: p[0].kbps):
        if option is top or option.kbps > top.kbps:
            continue
        if not kept or option.kbps >= kept[-1][0].kbps * step:
            kept.append((option, reason))
    while kept and top.kbps < kept[-1][0].kbps * step:
        kept.pop()
    return [*kept, picks[-1]]


def _filled(
    chain: list[tuple[Option, str]], eligible: list[Option], step: float, limit: int
) -> list[tuple[Option, str]]:
    """``chain`` with every gap wider than ``step`` squared filled from ``eligible``, up to ``limit``."""
    filled = chain[:1]
    for index, (option, reason) in enumerate(chain[1:], start=1):
        below = filled[-1][0]
        gaps = math.ceil(math.log(option.kbps / below.kbps) / math.log(step * step) - 1e-9) - 1
        ratio = (option.kbps / below.kbps) ** (1.0 / (gaps + 1)) if gaps > 0 else 0.0
        for j in range(1, gaps + 1):
            if len(filled) + 1 + len(chain) - index > limit:  # the rungs still to come must fit too
                break
            low, high, target = filled[-1][0].kbps * step, option.kbps / step, below.kbps * ratio**j
            fits = [o for o in eligible if low <= o.kbps <= high]
            if fits:
                best = min(fits, key=lambda o: abs(math.log(o.kbps / target)))
                filled.append((best, f"fills a {option.kbps / below.kbps:.1f}x gap in the rates"))
        filled.append((option, reason))
    return filled


def _spans(kept: list[tuple[Option, str]], option: Option, wide: float) -> bool:
    """True when ``option`` carries at least ``wide`` times the bits of the last rung kept: a rung that
    serves a band of bandwidth no other rung serves stays, however little better it looks (near the
    top, quality rises slowly while the bits double)."""
    return bool(kept) and option.kbps >= kept[-1][0].kbps * wide


def _named(chosen: list[tuple[Option, str]]) -> list[str]:
    """Each rung's name: its size's rung name; a lower rung of a size already used gets its rate too."""
    names: list[str] = []
    used: set[str] = set()
    for option, _ in reversed(chosen):
        name = option.cap.name
        if name in used:
            name = f"{name[:24]}-{round(option.kbps)}k"
        used.add(name)
        names.append(name)
    return list(reversed(names))


def _cellular_rung(cap: PlannedRung, points: Sequence[TrialPoint], crf: float) -> ChosenRung:
    trial = next(
        (p for p in points if p.maxrate_kbps is not None and (p.width, p.height) == (cap.width, cap.height)),
        None,
    )
    return ChosenRung(
        name=cap.name,
        width=cap.width,
        height=cap.height,
        crf=trial.crf if trial else crf,
        maxrate_kbps=cap.maxrate_kbps,
        bufsize_kbps=cap.bufsize_kbps,
        predicted_kbps=round(min(trial.kbps, cap.video_kbps)) if trial else cap.video_kbps,
        predicted_vmaf=round(trial.vmaf, 4) if trial else 0.0,
        audio_kbps=cap.audio_kbps,
        reason=f"cellular rung kept at its fixed limits ({cap.maxrate_kbps} kb/s video cap, "
        f"within {CELLULAR_LIMIT_KBPS} kb/s with sound)",
    )


def _predicted_at_cap(curves: dict[tuple[int, int], Curve], cap: PlannedRung) -> float | None:
    """How good the fixed rung ``cap`` is predicted to look: its size's curve at its rate."""
    curve = curves.get((cap.width, cap.height))
    return None if curve is None else curve.quality_at(curve.crf_for_kbps(cap.video_kbps))


def choose_rungs(
    points: Sequence[TrialPoint],
    caps: Sequence[PlannedRung],
    targets: PerTitleTargets | None = None,
    *,
    cellular_crf: float = CELLULAR_CRF,
) -> list[ChosenRung]:
    """The per-title rungs, lowest first (see the module docstring for the rules).

    Input: every trial point (one metric), the fixed ladder's planned rungs for this source (the caps),
    the targets, and the CRF a cellular rung gets when it has no trial. Raises ValueError when there is
    a regular (non-cellular) cap but no trial point of a capped size.
    """
    targets = targets or PerTitleTargets()
    cellular = [c for c in caps if is_cellular(c)]
    regular = sorted((c for c in caps if not is_cellular(c)), key=lambda c: c.video_kbps)
    fixed = [_cellular_rung(c, points, cellular_crf) for c in cellular]
    if not regular:
        return fixed
    metric: Metric = next((p.metric for p in points), "vmaf")
    curves = build_curves(points, metric)
    front = frontier(options(curves, regular))
    if not front:
        raise ValueError("no trial point of a size the ladder has")
    word, target = _word(metric), targets.top_quality(metric)
    fixed_top = _predicted_at_cap(curves, regular[-1])
    goal = targets.top_goal(metric, fixed_top)
    raised = (
        f" (the fixed top rung is predicted at {_shown(fixed_top, metric)}: the target {target:g} is "
        "raised to stay close to it)"
        if fixed_top is not None and goal > target
        else ""
    )
    # every regular rung carries at least min_step x what the cellular rung is predicted to carry
    floor_rate = max((r.predicted_kbps for r in fixed), default=0) * targets.min_step
    reaching = [o for o in front if o.quality >= goal and o.kbps >= floor_rate]
    top = reaching[0] if reaching else front[-1]
    top_reason = (
        f"cheapest point reaching {word} {_shown(goal, metric) if raised else f'{goal:g}'}{raised}"
        if reaching
        else f"{word} {_shown(goal, metric)} is not reached within the fixed ladder's rates (top "
        f"{regular[-1].video_kbps} kb/s): the best the caps allow"
    )
    eligible = [o for o in front if floor_rate <= o.kbps <= top.kbps] or [top]
    picks: list[tuple[Option, str]] = []
    for cap in regular:
        level = _predicted_at_cap(curves, cap)
        if level is None:
            continue
        level = min(level, goal)
        pick = next((o for o in eligible if o.quality >= level), eligible[-1])
        picks.append((pick, f"as good as the fixed {cap.name} rung ({cap.video_kbps} kb/s, {word} "
                            f"{_shown(level, metric)} predicted) for fewer bits"))  # fmt: skip
    picks.append((top, top_reason))
    chain = _filled(_merged(picks, top, targets.min_step), eligible, targets.min_step, len(regular))
    lowest_fixed = max((r.predicted_vmaf for r in fixed), default=-math.inf)
    kept: list[tuple[Option, str]] = []
    wide = targets.min_step**2
    for option, reason in chain:  # each rung must look better than the one below (the top always stays)
        below = kept[-1][0].quality if kept else lowest_fixed
        if option is top or option.quality >= below + MIN_GAIN[metric] or _spans(kept, option, wide):
            kept.append((option, reason))
    while (
        len(kept) >= 2
        and kept[-2][0].quality + MIN_GAIN[metric] > kept[-1][0].quality
        and not (len(kept) >= 3 and _spans(kept[:-2], kept[-1][0], wide))
    ):
        kept.pop(-2)
    rungs = list(fixed)
    for (option, reason), name in zip(kept, _named(kept), strict=True):
        maxrate, bufsize = rate_control(option.kbps, option.cap, targets.peak_factor)
        rungs.append(
            ChosenRung(
                name=name,
                width=option.cap.width,
                height=option.cap.height,
                crf=round(option.crf, 2),
                maxrate_kbps=maxrate,
                bufsize_kbps=bufsize,
                predicted_kbps=max(1, round(option.kbps)),
                predicted_vmaf=round(option.quality, 4),
                audio_kbps=option.cap.audio_kbps,
                reason=f"{reason} ({option.cap.height}p, CRF {option.crf:.1f})",
            )
        )
    return rungs


def predicted_bd_rate(
    points: Sequence[TrialPoint], caps: Sequence[PlannedRung], rungs: Sequence[ChosenRung]
) -> float | None:
    """BD-rate (%) of the chosen regular rungs against the fixed ladder's regular rungs, both as the
    trials predict them (a fixed rung: its size's curve at its rate). None when either side has fewer
    than two rungs or their qualities do not overlap."""
    metric: Metric = next((p.metric for p in points), "vmaf")
    curves = build_curves(points, metric)
    anchor = [
        (float(cap.video_kbps), quality)
        for cap in caps
        if not is_cellular(cap) and (quality := _predicted_at_cap(curves, cap)) is not None
    ]
    fixed_names = {c.name for c in caps if is_cellular(c)}
    test = [(float(r.predicted_kbps), r.predicted_vmaf) for r in rungs if r.name not in fixed_names]
    try:
        return round(bd_rate(anchor, test), 1)
    except ValueError:
        return None
