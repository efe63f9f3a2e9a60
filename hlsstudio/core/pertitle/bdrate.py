"""Bjøntegaard deltas between two rate-quality curves, in pure Python (no numpy).

``bd_rate``: the average difference in bitrate at equal quality, in percent (negative: the test curve
needs fewer bits), over the quality range both curves cover. The log of the rate is interpolated as a
function of the quality with a piecewise cubic Hermite interpolant that keeps the data's shape (PCHIP,
Fritsch-Carlson slopes as in SciPy's ``PchipInterpolator``: the modern BD-rate, which does not wiggle
between points as the original cubic polynomial fit can), and integrated exactly.
``bd_quality``: the average difference in quality at equal bitrate, over the common log-rate range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Curve = Sequence[tuple[float, float]]
"""(kbps, quality) points."""


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def _edge_slope(h0: float, h1: float, d0: float, d1: float) -> float:
    """The end slope of a PCHIP: a three-point estimate, kept shape-preserving."""
    slope = ((2.0 * h0 + h1) * d0 - h0 * d1) / (h0 + h1)
    if _sign(slope) != _sign(d0):
        return 0.0
    if _sign(d0) != _sign(d1) and abs(slope) > abs(3.0 * d0):
        return 3.0 * d0
    return slope


def pchip_slopes(xs: Sequence[float], ys: Sequence[float]) -> list[float]:
    """The derivative at each knot of the PCHIP through (xs, ys); xs strictly increasing, two or more."""
    n = len(xs)
    h = [xs[i + 1] - xs[i] for i in range(n - 1)]
    d = [(ys[i + 1] - ys[i]) / h[i] for i in range(n - 1)]
    if n == 2:
        return [d[0], d[0]]
    slopes = [0.0] * n
    for k in range(1, n - 1):
        if d[k - 1] * d[k] > 0:
            w1, w2 = 2.0 * h[k] + h[k - 1], h[k] + 2.0 * h[k - 1]
            slopes[k] = (w1 + w2) / (w1 / d[k - 1] + w2 / d[k])
    slopes[0] = _edge_slope(h[0], h[1], d[0], d[1])
    slopes[-1] = _edge_slope(h[-1], h[-2], d[-1], d[-2])
    return slopes


def pchip_integral(xs: Sequence[float], ys: Sequence[float], low: float, high: float) -> float:
    """The exact integral from ``low`` to ``high`` (both within xs's range) of the PCHIP through (xs, ys)."""
    slopes = pchip_slopes(xs, ys)
    total = 0.0
    for i in range(len(xs) - 1):
        x0, x1 = xs[i], xs[i + 1]
        a, b = max(low, x0), min(high, x1)
        if b <= a:
            continue
        h = x1 - x0
        delta = (ys[i + 1] - ys[i]) / h
        m0, m1 = slopes[i], slopes[i + 1]
        c2 = (3.0 * delta - 2.0 * m0 - m1) / h
        c3 = (m0 + m1 - 2.0 * delta) / (h * h)

        def antiderivative(
            t: float, y0: float = ys[i], m0: float = m0, c2: float = c2, c3: float = c3
        ) -> float:
            return y0 * t + m0 * t**2 / 2.0 + c2 * t**3 / 3.0 + c3 * t**4 / 4.0

        total += antiderivative(b - x0) - antiderivative(a - x0)
    return total


def _prepared(points: Curve, *, by_quality: bool) -> tuple[list[float], list[float]]:
    """(xs, ys) strictly increasing in x: x is the quality (y = ln rate) or ln rate (y = quality).

    Of points sharing an x, the best one stays (the cheaper at equal quality, the better at equal
    rate). Raises ValueError with fewer than two distinct points or a rate that is not positive.
    """
    if any(kbps <= 0 for kbps, _ in points):
        raise ValueError("bitrates must be positive")
    pairs = [(q, math.log(k)) if by_quality else (math.log(k), q) for k, q in points]
    best: dict[float, float] = {}
    for x, y in pairs:
        keep_lower = by_quality  # equal quality: fewer bits is better; equal rate: more quality is
        if x not in best or (y < best[x] if keep_lower else y > best[x]):
            best[x] = y
    xs = sorted(best)
    if len(xs) < 2:
        raise ValueError("a curve needs at least two distinct points")
    return xs, [best[x] for x in xs]


def _average_gap(anchor: Curve, test: Curve, *, by_quality: bool) -> float:
    ax, ay = _prepared(anchor, by_quality=by_quality)
    tx, ty = _prepared(test, by_quality=by_quality)
    low, high = max(ax[0], tx[0]), min(ax[-1], tx[-1])
    if high <= low:
        raise ValueError("the two curves share no range to compare over")
    return (pchip_integral(tx, ty, low, high) - pchip_integral(ax, ay, low, high)) / (high - low)


def bd_rate(anchor: Curve, test: Curve) -> float:
    """Bjøntegaard delta rate of ``test`` against ``anchor``, in percent.

    Input: two lists of (kbps, quality), two or more points each, in any order. Output: the average
    rate difference at equal quality over the common quality range (-20.0: the test needs 20 % fewer
    bits). Raises ValueError when a curve has fewer than two points, a rate is not positive, or the
    quality ranges do not overlap.
    """
    return (math.exp(_average_gap(anchor, test, by_quality=True)) - 1.0) * 100.0


def bd_quality(anchor: Curve, test: Curve) -> float:
    """Bjøntegaard delta quality of ``test`` against ``anchor``: the average quality difference at
    equal bitrate (positive: the test looks better), over the common log-rate range.

    Raises ValueError as ``bd_rate`` does (here the rate ranges must overlap).
    """
    return _average_gap(anchor, test, by_quality=False)
