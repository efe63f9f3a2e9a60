"""Bjøntegaard deltas with PCHIP interpolation, on curves whose answer is known exactly."""

from __future__ import annotations

import math

import pytest

from hlsstudio.core.pertitle.bdrate import bd_quality, bd_rate, pchip_integral, pchip_slopes

ANCHOR = [(800.0, 72.0), (1400.0, 81.0), (2800.0, 90.0), (5000.0, 95.0)]


def test_a_curve_20_percent_cheaper_at_every_quality_is_minus_20() -> None:
    test = [(kbps * 0.8, quality) for kbps, quality in ANCHOR]
    assert bd_rate(ANCHOR, test) == pytest.approx(-20.0, abs=1e-9)


def test_the_same_curve_is_zero_and_twice_the_bits_is_plus_100() -> None:
    assert bd_rate(ANCHOR, ANCHOR) == pytest.approx(0.0, abs=1e-12)
    assert bd_rate(ANCHOR, [(k * 2, q) for k, q in ANCHOR]) == pytest.approx(100.0, abs=1e-9)


def test_points_at_other_qualities_on_the_same_line_give_the_exact_ratio() -> None:
    # ln(rate) linear in quality: PCHIP reproduces lines, so only the constant offset remains
    def rate(quality: float, factor: float) -> float:
        return factor * math.exp(2.0 + 0.05 * quality)

    anchor = [(rate(q, 1.0), q) for q in (70.0, 80.0, 90.0, 95.0)]
    test = [(rate(q, 0.75), q) for q in (72.0, 85.0, 93.0, 97.0)]
    assert bd_rate(anchor, test) == pytest.approx(-25.0, abs=1e-9)


def test_order_does_not_matter_and_repeats_keep_the_cheaper_point() -> None:
    shuffled = [ANCHOR[2], ANCHOR[0], ANCHOR[3], ANCHOR[1], (3500.0, 90.0)]
    assert bd_rate(ANCHOR, shuffled) == pytest.approx(0.0, abs=1e-12)


def test_bd_quality_of_a_curve_two_points_better_everywhere() -> None:
    test = [(kbps, quality + 2.0) for kbps, quality in ANCHOR]
    assert bd_quality(ANCHOR, test) == pytest.approx(2.0, abs=1e-9)


def test_the_rate_is_averaged_over_the_common_quality_range_only() -> None:
    # the test curve covers 81..95: outside it, nothing is compared
    test = [(kbps * 0.5, q) for kbps, q in ANCHOR[1:]] + [(100.0, 10.0)]
    cheaper_above = bd_rate(ANCHOR[1:], [(kbps * 0.5, q) for kbps, q in ANCHOR[1:]])
    assert cheaper_above == pytest.approx(-50.0, abs=1e-9)
    assert bd_rate(ANCHOR, test) > -50.0  # the made-up 10-quality point bends the curve below 81


def test_pchip_slopes_keep_the_shape() -> None:
    # a flat stretch gets flat slopes at its ends; the ends follow the three-point rule
    assert pchip_slopes([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 1.0, 2.0]) == [1.5, 0.0, 0.0, 1.5]
    assert pchip_slopes([0.0, 2.0], [1.0, 5.0]) == [2.0, 2.0]


def test_pchip_integral_is_exact_for_lines_and_partial_ranges() -> None:
    xs, ys = [0.0, 1.0, 3.0, 4.0], [1.0, 3.0, 7.0, 9.0]  # y = 2x + 1
    assert pchip_integral(xs, ys, 0.0, 4.0) == pytest.approx(20.0)
    assert pchip_integral(xs, ys, 0.5, 3.5) == pytest.approx(15.0)


def test_pchip_integral_of_a_monotone_step_stays_within_the_data() -> None:
    xs, ys = [0.0, 1.0, 2.0, 3.0], [0.0, 0.0, 1.0, 1.0]
    area = pchip_integral(xs, ys, 0.0, 3.0)
    assert 1.0 <= area <= 2.0  # no overshoot above 1 or below 0
    assert area == pytest.approx(1.5)  # symmetric step


@pytest.mark.parametrize(
    ("anchor", "test"),
    [
        ([(1000.0, 80.0)], ANCHOR),  # one point
        (ANCHOR, [(100.0, 10.0), (200.0, 20.0)]),  # no common quality
        ([(0.0, 80.0), (10.0, 90.0)], ANCHOR),  # a rate that is not positive
    ],
)
def test_curves_that_cannot_be_compared_are_refused(
    anchor: list[tuple[float, float]], test: list[tuple[float, float]]
) -> None:
    with pytest.raises(ValueError):
        bd_rate(anchor, test)
