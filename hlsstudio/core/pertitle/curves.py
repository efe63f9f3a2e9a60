"""One size's trial encodes as continuous curves: CRF -> bitrate and CRF -> quality (pure, no I/O).

Between trials the log of the bitrate and the quality are linear in the CRF (x264's rate falls by a
near-constant factor per CRF step: measured 0.88 per step at 1080p, 720p and 480p, preset fast), so a
CRF for a target bitrate is found log-linearly. Past the trials the curves go on along their end
segments. Towards lower CRFs quality saturates, and a guess too high would promise a top rung a
quality it does not have: it is extended ``EXTRAPOLATE_LOW_CRF`` steps at most, then stays flat.
Towards higher CRFs it goes on falling along the end segment (the rungs are drawn from the first
``EXTRAPOLATE_HIGH_CRF`` steps past the trials, and from wherever a size's cap lies).

A size measured at one CRF only borrows the shape of a larger size's curve (``reference``): towards
higher CRFs its quality falls by the reference's drop scaled halfway between "the same drop" and "the
same share of what is left to lose" (smaller sizes lose quality faster), towards lower CRFs it gains
no more than the reference gains (smaller sizes saturate sooner, limited by the upscale): checked
against a 1080p/720p/480p grid of 12 trials, within 1.5 VMAF six CRF steps away at 720p, and erring
low rather than high at 480p.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from hlsstudio.core.pertitle.models import TrialPoint
from hlsstudio.core.quality.metric import Metric

CRF_MIN = 12.0
CRF_MAX = 45.0
EXTRAPOLATE_HIGH_CRF = 3.0
"""How far past its highest trial CRF rungs are looked for, in CRF steps: further out the end segment
promised rates the encode did not keep (a still scene's keyframes keep its rate from falling: 130
kb/s predicted six steps out, 214 kb/s encoded), and a smaller size measured there serves better."""
EXTRAPOLATE_LOW_CRF = 1.5
"""How far below its lowest trial CRF a curve's quality is trusted."""
DEFAULT_LOG_RATE_SLOPE = -0.125
"""ln(kbps) per CRF step when nothing better is known: x264's rate halves about every 5.5 steps."""
RATE_SLOPE_RANGE = (0.07, 0.16)
"""How fast (ln kbps per CRF step) the rate may be assumed to fall past the trials."""
DEFAULT_QUALITY_SLOPE = {"vmaf": -1.5, "ssim": -0.002}
FULL_SCALE = {"vmaf": 100.0, "ssim": 1.0}
MAX_SHAPE_SCALE = 4.0
PIXEL_RATE_EXPONENT = 0.9
"""At equal CRF the bitrate grows with the pixel count to about this power (measured against 1080p:
0.98 at 720p, 0.87 at 480p, 0.9 at 360p; x264 fast)."""


def _interpolate(xs: Sequence[float], ys: Sequence[float], x: float) -> float:
    """Piecewise-linear through (xs, ys) (xs increasing, at least two), the end segments extended."""
    i = 0
    while i < len(xs) - 2 and x > xs[i + 1]:
        i += 1
    x0, x1, y0, y1 = xs[i], xs[i + 1], ys[i], ys[i + 1]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


class Curve:
    """A size's CRF -> (kbps, quality) curves from its uncapped trial points.

    Input: the points of one size (at least one), the metric, and for a single point a ``reference``
    curve of a larger size whose shape it borrows. Rates and qualities are made non-increasing in the
    CRF (a measurement that says otherwise is noise). Raises ValueError for no points.
    """

    def __init__(self, points: Sequence[TrialPoint], metric: Metric, reference: Curve | None = None) -> None:
        if not points:
            raise ValueError("a curve needs at least one trial point")
        by_crf: dict[float, list[TrialPoint]] = {}
        for point in points:
            by_crf.setdefault(point.crf, []).append(point)
        self.metric: Metric = metric
        self.crfs = sorted(by_crf)
        self.log_rates: list[float] = []
        self.qualities: list[float] = []
        for crf in self.crfs:
            group = by_crf[crf]
            log_rate = sum(math.log(max(p.kbps, 1e-3)) for p in group) / len(group)
            quality = sum(p.vmaf for p in group) / len(group)
            if self.log_rates:  # never more bits or quality at a higher CRF
                log_rate = min(log_rate, self.log_rates[-1] - 1e-6)
                quality = min(quality, self.qualities[-1])
            self.log_rates.append(log_rate)
            self.qualities.append(quality)
        self.reference = reference if len(self.crfs) == 1 else None
        self.width = points[0].width
        self.height = points[0].height

    @property
    def measured(self) -> tuple[float, float]:
        """The lowest and highest CRF tried."""
        return self.crfs[0], self.crfs[-1]

    @property
    def usable(self) -> tuple[float, float]:
        """The CRF range rungs are looked for in: the trials and a little either side."""
        low, high = self.measured
        return max(CRF_MIN, low - EXTRAPOLATE_LOW_CRF), min(CRF_MAX, high + EXTRAPOLATE_HIGH_CRF)

    def log_rate_at(self, crf: float) -> float:
        """ln(kbps) at ``crf``: log-linear between trials, extended along the end segments with their
        slope kept within ``RATE_SLOPE_RANGE`` (noise that x264 stops coding between two trials makes
        one segment far steeper than the rate goes on falling past it)."""
        if len(self.crfs) >= 2:
            low, high = self.measured
            if low <= crf <= high:
                return _interpolate(self.crfs, self.log_rates, crf)
            end = 0 if crf < low else len(self.crfs) - 2
            slope = (self.log_rates[end + 1] - self.log_rates[end]) / (self.crfs[end + 1] - self.crfs[end])
            slope = min(max(slope, -RATE_SLOPE_RANGE[1]), -RATE_SLOPE_RANGE[0])
            edge = low if crf < low else high
            return self.log_rates[0 if crf < low else -1] + slope * (crf - edge)
        c0, r0 = self.crfs[0], self.log_rates[0]
        if self.reference is not None:
            return r0 + self.reference.log_rate_at(crf) - self.reference.log_rate_at(c0)
        return r0 + DEFAULT_LOG_RATE_SLOPE * (crf - c0)

    def kbps_at(self, crf: float) -> float:
        """The predicted average video bitrate at ``crf``."""
        return math.exp(self.log_rate_at(crf))

    def quality_at(self, crf: float) -> float:
        """The predicted quality at ``crf``, within 0..full scale: flat below ``usable`` (no gain is
        promised past the trials), still falling along the end segment above it."""
        crf = max(crf, self.usable[0])
        full = FULL_SCALE[self.metric]
        if len(self.crfs) >= 2:
            value = _interpolate(self.crfs, self.qualities, crf)
        elif self.reference is not None:
            c0, q0 = self.crfs[0], self.qualities[0]
            ref0 = self.reference.quality_at(c0)
            share = (full - q0) / max(full - ref0, 1e-9)
            scale = (1.0 + min(max(share, 1.0), MAX_SHAPE_SCALE)) / 2.0 if crf > c0 else 1.0
            value = q0 + (self.reference.quality_at(crf) - ref0) * scale
        else:
            value = self.qualities[0] + DEFAULT_QUALITY_SLOPE[self.metric] * (crf - self.crfs[0])
        return min(max(value, 0.0), full)

    def crf_for_kbps(self, kbps: float) -> float:
        """The CRF whose predicted bitrate is ``kbps`` (log-linear; may lie outside ``usable``)."""
        target = math.log(max(kbps, 1e-3))
        low, high = CRF_MIN - 20.0, CRF_MAX + 20.0
        for _ in range(60):  # the rate falls with the CRF: bisect
            middle = (low + high) / 2.0
            if self.log_rate_at(middle) > target:
                low = middle
            else:
                high = middle
        return (low + high) / 2.0

    def crf_for_quality(self, quality: float) -> float:
        """The highest CRF in ``usable`` whose predicted quality still reaches ``quality`` (the lowest
        usable CRF when none does)."""
        low, high = self.usable
        if self.quality_at(low) < quality:
            return low
        if self.quality_at(high) >= quality:
            return high
        for _ in range(50):
            middle = (low + high) / 2.0
            if self.quality_at(middle) >= quality:
                low = middle
            else:
                high = middle
        return low


def crf_reaching(curve: Curve, quality: float) -> float:
    """Where the trials' trend reaches ``quality``: the measured curve extended linearly past its
    ends without the trust limits (where to try next, not a prediction), within CRF_MIN..CRF_MAX."""
    crfs, qualities = curve.crfs, curve.qualities
    if len(crfs) == 1:
        crf = crfs[0] + (quality - qualities[0]) / DEFAULT_QUALITY_SLOPE[curve.metric]
    else:
        i = 0 if quality >= qualities[1] else len(crfs) - 2
        for j in range(len(crfs) - 1):
            if qualities[j] >= quality >= qualities[j + 1]:
                i = j
                break
        drop = qualities[i] - qualities[i + 1]
        if drop <= 1e-9:
            return crfs[i] if quality >= qualities[i] else crfs[i + 1]
        crf = crfs[i] + (qualities[i] - quality) * (crfs[i + 1] - crfs[i]) / drop
    return min(max(crf, CRF_MIN), CRF_MAX)


def crf_for_kbps_at_size(curve: Curve, kbps: float, width: int, height: int) -> float:
    """The CRF at which a ``width`` x ``height`` picture is predicted to need ``kbps``, from another
    size's ``curve`` (rate scaled by the pixel count to the ``PIXEL_RATE_EXPONENT``)."""
    ratio = (width * height) / max(curve.width * curve.height, 1)
    return curve.crf_for_kbps(kbps / ratio**PIXEL_RATE_EXPONENT)


def build_curves(points: Sequence[TrialPoint], metric: Metric) -> dict[tuple[int, int], Curve]:
    """One curve per size from the uncapped ``points`` (capped trials are left out).

    A size with a single trial borrows the shape of the nearest larger size that has two or more.
    """
    by_size: dict[tuple[int, int], list[TrialPoint]] = {}
    for point in points:
        if point.maxrate_kbps is None:
            by_size.setdefault((point.width, point.height), []).append(point)
    curves: dict[tuple[int, int], Curve] = {}
    shaped: list[Curve] = []
    for size in sorted(by_size, key=lambda s: -s[0] * s[1]):
        group = by_size[size]
        crfs = {p.crf for p in group}
        reference = shaped[-1] if len(crfs) == 1 and shaped else None
        curve = Curve(group, metric, reference)
        if len(crfs) >= 2:
            shaped.append(curve)
        curves[size] = curve
    return curves
