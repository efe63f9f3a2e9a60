"""Per-title rung choice on synthetic trial points: the hull, the curves, the rules of ``choose_rungs``."""

from __future__ import annotations

import itertools
import math

import pytest

from hlsstudio.core.ladder import CELLULAR_LIMIT_KBPS, default_ladder, h264_level, plan_ladder
from hlsstudio.core.models import MediaInfo, PlannedRung
from hlsstudio.core.pertitle.curves import Curve, build_curves, crf_for_kbps_at_size, crf_reaching
from hlsstudio.core.pertitle.hull import (
    choose_rungs,
    frontier,
    is_cellular,
    options,
    predicted_bd_rate,
    rate_control,
    upper_hull,
)
from hlsstudio.core.pertitle.models import (
    ChosenRung,
    PerTitlePlan,
    PerTitleTargets,
    TrialPoint,
)
from hlsstudio.core.pertitle.planned import to_planned_rungs

SIZES = {1080: (1920, 1080), 720: (1280, 720), 480: (854, 480), 360: (640, 360)}
QUALITY_CEILING = {1080: 99.0, 720: 93.0, 480: 84.0, 360: 76.0}


def model_kbps(height: int, crf: float, difficulty: float) -> float:
    """x264-like: the rate falls by e^-0.125 per CRF step and grows with pixels^0.9 and difficulty."""
    width, _ = SIZES[height]
    return 2000.0 * (width * height / 1e6) ** 0.9 * difficulty * math.exp(-0.125 * (crf - 23.0))


def model_vmaf(height: int, kbps: float, difficulty: float) -> float:
    """A saturating quality: more bits per pixel approach the size's ceiling (the upscale's limit)."""
    width, _ = SIZES[height]
    bits_per_pixel = kbps / ((width * height / 1e6) ** 0.9 * difficulty)
    return QUALITY_CEILING[height] * (1.0 - math.exp(-bits_per_pixel / 670.0))


def synthetic_points(difficulty: float, crfs: tuple[float, ...] = (18, 22, 26, 30, 34)) -> list[TrialPoint]:
    points = []
    for height, (width, _) in SIZES.items():
        for crf in crfs:
            kbps = model_kbps(height, crf, difficulty)
            points.append(
                TrialPoint(
                    height=height, width=width, crf=crf, kbps=kbps, vmaf=model_vmaf(height, kbps, difficulty)
                )
            )
    points.append(TrialPoint(height=234, width=416, crf=23, kbps=79.0, vmaf=30.0, maxrate_kbps=84))
    return points


def caps_1080p() -> list[PlannedRung]:
    info = MediaInfo(
        path="/x.mp4", container="mp4", duration=600, size=1, video_codec="h264",
        coded_width=1920, coded_height=1080, width=1920, height=1080, fps=25,
    )  # fmt: skip
    return plan_ladder(info, default_ladder(), 25.0)


def regular(rungs: list[ChosenRung]) -> list[ChosenRung]:
    return [r for r in rungs if r.name != "234p"]


def cap_for(rung: ChosenRung, caps: list[PlannedRung]) -> PlannedRung:
    return next(c for c in caps if (c.width, c.height) == (rung.width, rung.height))


# --- the hull and the frontier ---------------------------------------------------------------------


def test_upper_hull_keeps_the_points_no_mix_of_others_beats() -> None:
    p = [
        TrialPoint(height=360, width=640, crf=30, kbps=300, vmaf=50),
        TrialPoint(height=360, width=640, crf=26, kbps=500, vmaf=58),  # under the chord 300..1000
        TrialPoint(height=720, width=1280, crf=26, kbps=1000, vmaf=80),
        TrialPoint(height=720, width=1280, crf=22, kbps=2000, vmaf=88),
        TrialPoint(height=1080, width=1920, crf=30, kbps=1500, vmaf=70),  # dominated
        TrialPoint(height=1080, width=1920, crf=20, kbps=5000, vmaf=96),
        TrialPoint(height=1080, width=1920, crf=16, kbps=9000, vmaf=95),  # more bits, worse: past the top
        TrialPoint(
            height=234, width=416, crf=23, kbps=80, vmaf=99, maxrate_kbps=84
        ),  # capped: not a curve point
    ]
    hull = upper_hull(p)
    assert [(h.height, h.kbps) for h in hull] == [(360, 300), (720, 1000), (720, 2000), (1080, 5000)]


def test_frontier_is_cheapest_first_and_strictly_better() -> None:
    caps = caps_1080p()
    front = frontier(options(build_curves(synthetic_points(1.0), "vmaf"), caps))
    assert all(b.kbps >= a.kbps and b.quality > a.quality for a, b in itertools.pairwise(front))
    assert all(o.kbps <= o.cap.video_kbps + 1e-6 for o in front)
    # more pixels win only once there are bits for them
    assert front[0].cap.height < front[-1].cap.height


# --- the curves ------------------------------------------------------------------------------------


def test_curve_interpolates_the_rate_log_linearly_and_finds_the_crf_for_a_rate() -> None:
    points = [
        TrialPoint(height=720, width=1280, crf=20, kbps=4000, vmaf=95),
        TrialPoint(height=720, width=1280, crf=26, kbps=2000, vmaf=85),
    ]
    curve = Curve(points, "vmaf")
    assert curve.kbps_at(23) == pytest.approx(4000 / math.sqrt(2))  # halfway in CRF: the geometric mean
    assert curve.quality_at(23) == pytest.approx(90.0)
    assert curve.crf_for_kbps(4000 / math.sqrt(2)) == pytest.approx(23.0, abs=1e-6)
    assert curve.crf_for_kbps(8000) == pytest.approx(14.0, abs=1e-6)  # along the end segment
    assert curve.crf_for_quality(90) == pytest.approx(23.0, abs=1e-3)


def test_past_the_trials_the_rate_falls_no_faster_than_x264_s_rates_do() -> None:
    points = [  # noise x264 stops coding between the two trials: 16x fewer bits in 6 steps
        TrialPoint(height=360, width=640, crf=22, kbps=8000, vmaf=96),
        TrialPoint(height=360, width=640, crf=28, kbps=500, vmaf=92),
    ]
    curve = Curve(points, "vmaf")
    assert curve.kbps_at(25) == pytest.approx(2000.0)
    assert curve.kbps_at(31) == pytest.approx(500 * math.exp(-0.16 * 3))


def test_curve_quality_promises_no_gain_past_the_trials_but_keeps_falling() -> None:
    points = [
        TrialPoint(height=720, width=1280, crf=22, kbps=3000, vmaf=92),
        TrialPoint(height=720, width=1280, crf=28, kbps=1400, vmaf=80),
    ]
    curve = Curve(points, "vmaf")
    assert curve.usable == (20.5, 31.0)
    assert curve.quality_at(10) == curve.quality_at(20.5) == pytest.approx(95.0)
    assert curve.quality_at(34) == pytest.approx(68.0)  # still falling past the trials
    assert curve.quality_at(45) == pytest.approx(46.0)


def test_noisy_trials_are_made_monotonic() -> None:
    points = [
        TrialPoint(height=480, width=854, crf=20, kbps=1500, vmaf=80),
        TrialPoint(height=480, width=854, crf=25, kbps=1600, vmaf=82),  # noise: more at a higher CRF
    ]
    curve = Curve(points, "vmaf")
    assert curve.kbps_at(25) < curve.kbps_at(20)
    assert curve.quality_at(25) <= curve.quality_at(20)


def test_a_single_trial_borrows_the_shape_of_a_larger_size() -> None:
    points = [
        TrialPoint(height=1080, width=1920, crf=20, kbps=6000, vmaf=96),
        TrialPoint(height=1080, width=1920, crf=26, kbps=2700, vmaf=90),
        TrialPoint(height=720, width=1280, crf=23, kbps=1800, vmaf=88),
    ]
    curves = build_curves(points, "vmaf")
    small = curves[(1280, 720)]
    assert small.reference is curves[(1920, 1080)]
    # the rate keeps the larger size's slope
    assert math.log(small.kbps_at(20) / small.kbps_at(26)) == pytest.approx(math.log(6000 / 2700))
    # towards lower CRFs it gains what the larger size gains, no more
    assert small.quality_at(21.5) - 88 == pytest.approx(curves[(1920, 1080)].quality_at(21.5) - 93)
    # towards higher CRFs it loses more than the larger size (it has more left to lose)
    assert 88 - small.quality_at(26) > 93 - 90


def test_where_the_trend_reaches_a_quality_past_the_trials() -> None:
    points = [
        TrialPoint(height=1080, width=1920, crf=22, kbps=5000, vmaf=90),
        TrialPoint(height=1080, width=1920, crf=28, kbps=2300, vmaf=84),
    ]
    curve = Curve(points, "vmaf")
    assert crf_reaching(curve, 94) == pytest.approx(18.0)  # four steps below: not trusted, but tried next
    assert crf_reaching(curve, 87) == pytest.approx(25.0)
    assert crf_reaching(curve, 70) == pytest.approx(42.0)
    assert crf_reaching(curve, 10) == 45.0  # within the CRF range
    single = Curve(points[:1], "vmaf")
    assert crf_reaching(single, 93) == pytest.approx(20.0)  # 1.5 VMAF a step when nothing else is known


def test_the_rate_of_another_size_follows_the_pixel_count() -> None:
    top = Curve(
        [
            TrialPoint(height=1080, width=1920, crf=20, kbps=6000, vmaf=96),
            TrialPoint(height=1080, width=1920, crf=26, kbps=2700, vmaf=90),
        ],
        "vmaf",
    )
    crf = crf_for_kbps_at_size(top, 800, 640, 360)
    assert top.kbps_at(crf) * ((640 * 360) / (1920 * 1080)) ** 0.9 == pytest.approx(800)


# --- choose_rungs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", [0.15, 0.5, 1.0, 2.0, 5.0])
def test_rungs_obey_the_caps_the_steps_and_rise_in_quality(difficulty: float) -> None:
    caps = caps_1080p()
    targets = PerTitleTargets()
    rungs = choose_rungs(synthetic_points(difficulty), caps, targets)
    top_cap = max(c.video_kbps for c in caps)
    assert rungs[0].name == "234p"
    assert [r.predicted_kbps for r in rungs] == sorted(r.predicted_kbps for r in rungs)
    assert all(b.predicted_vmaf > a.predicted_vmaf for a, b in itertools.pairwise(rungs))
    for rung in regular(rungs):
        cap = cap_for(rung, caps)
        assert rung.predicted_kbps <= cap.video_kbps <= top_cap
        assert rung.maxrate_kbps <= cap.maxrate_kbps
        assert rung.bufsize_kbps == 2 * rung.maxrate_kbps
        assert rung.maxrate_kbps >= round(rung.predicted_kbps * 1.09)
    for below, above in zip(regular(rungs), regular(rungs)[1:], strict=False):
        assert above.predicted_kbps >= below.predicted_kbps * targets.min_step * 0.99
    assert len(regular(rungs)) <= len([c for c in caps if not is_cellular(c)])
    assert len({r.name for r in rungs}) == len(rungs)


TARGET_ONLY = PerTitleTargets(fixed_top_margin=None)
"""The top target alone (the fixed top rung's quality not followed)."""


def test_the_top_follows_the_fixed_top_rung_up_to_transparency() -> None:
    caps = caps_1080p()
    top_cap = max(c.video_kbps for c in caps)
    curves = build_curves(synthetic_points(0.5), "vmaf")
    fixed_top = curves[(1920, 1080)].quality_at(curves[(1920, 1080)].crf_for_kbps(top_cap))
    assert fixed_top > 95  # easy enough that the fixed top rung looks better than the target
    followed = regular(choose_rungs(synthetic_points(0.5), caps))[-1]
    alone = regular(choose_rungs(synthetic_points(0.5), caps, TARGET_ONLY))[-1]
    assert followed.predicted_vmaf >= min(fixed_top - 0.5, 97.5) - 1e-6
    assert alone.predicted_kbps < followed.predicted_kbps < top_cap
    assert "raised" in followed.reason and "raised" not in alone.reason
    hard = regular(choose_rungs(synthetic_points(8.0), caps))[-1]  # the fixed top is below the target
    assert "VMAF 94.0 is not reached" in hard.reason


def test_easy_content_gets_fewer_and_lower_rungs_than_hard_content() -> None:
    caps = caps_1080p()
    easy = regular(choose_rungs(synthetic_points(0.15), caps, TARGET_ONLY))
    hard = regular(choose_rungs(synthetic_points(2.0), caps, TARGET_ONLY))
    assert len(easy) < len(hard)
    assert easy[-1].predicted_kbps < hard[-1].predicted_kbps / 3
    assert sum(r.predicted_kbps for r in easy) < sum(r.predicted_kbps for r in hard) / 3


def test_hard_content_keeps_the_fixed_rates_where_the_fixed_ladder_is_already_best() -> None:
    caps = caps_1080p()
    rungs = regular(choose_rungs(synthetic_points(2.0), caps))
    fixed = [(c.height, c.video_kbps) for c in caps if not is_cellular(c)]
    assert [(r.height, r.predicted_kbps) for r in rungs] == fixed
    assert [r.name for r in rungs] == ["360p", "480p", "720p", "1080p"]


def test_the_top_rung_is_the_cheapest_point_reaching_the_target() -> None:
    caps = caps_1080p()
    points = synthetic_points(0.5)
    top = regular(choose_rungs(points, caps, PerTitleTargets(top_vmaf=94, fixed_top_margin=None)))[-1]
    assert top.predicted_vmaf >= 94
    front = frontier(options(build_curves(points, "vmaf"), caps))
    cheaper = [o for o in front if o.kbps < top.predicted_kbps - 1]
    assert all(o.quality < 94 for o in cheaper)
    assert "reaching VMAF 94" in top.reason


def test_content_that_never_reaches_the_target_keeps_the_fixed_caps() -> None:
    caps = caps_1080p()
    rungs = regular(choose_rungs(synthetic_points(8.0), caps))
    top = rungs[-1]
    assert top.predicted_vmaf < 94
    assert top.predicted_kbps >= 0.97 * cap_for(top, caps).video_kbps
    assert "not reached" in top.reason
    assert rungs[0].predicted_kbps >= 0.8 * min(c.video_kbps for c in caps if not is_cellular(c))


def test_the_cellular_rung_keeps_its_fixed_limits() -> None:
    caps = caps_1080p()
    cellular = next(c for c in caps if is_cellular(c))
    rung = choose_rungs(synthetic_points(1.0), caps)[0]
    assert (rung.name, rung.width, rung.height) == (cellular.name, cellular.width, cellular.height)
    assert (rung.maxrate_kbps, rung.bufsize_kbps, rung.audio_kbps) == (84, 84, 40)
    assert rung.predicted_kbps == 79 and rung.predicted_vmaf == 30
    assert rung.maxrate_kbps + rung.audio_kbps <= CELLULAR_LIMIT_KBPS


def test_a_higher_target_costs_more_bits() -> None:
    caps = caps_1080p()
    points = synthetic_points(0.5)
    low = regular(choose_rungs(points, caps, PerTitleTargets(top_vmaf=93, fixed_top_margin=None)))[-1]
    high = regular(choose_rungs(points, caps, PerTitleTargets(top_vmaf=95, fixed_top_margin=None)))[-1]
    assert high.predicted_kbps > low.predicted_kbps


def test_rate_control_caps_the_peak_and_never_exceeds_the_fixed_rung() -> None:
    cap = PlannedRung(name="720p", width=1280, height=720, video_kbps=2800, audio_kbps=192,
                      maxrate_kbps=3080, bufsize_kbps=4200)  # fmt: skip
    assert rate_control(1000, cap, 1.4) == (1400, 2800)
    assert rate_control(2700, cap, 1.4) == (3080, 6160)


def test_predicted_bd_rate_is_negative_when_the_rungs_sit_on_the_frontier() -> None:
    caps = caps_1080p()
    points = synthetic_points(0.5)
    rungs = choose_rungs(points, caps)
    bd = predicted_bd_rate(points, caps, rungs)
    assert bd is not None and bd < 0


def test_ssim_figures_are_chosen_by_the_ssim_target() -> None:
    caps = caps_1080p()
    points = [p.model_copy(update={"vmaf": p.vmaf / 100, "metric": "ssim"}) for p in synthetic_points(0.5)]
    rungs = choose_rungs(points, caps, PerTitleTargets(top_ssim=0.95, fixed_top_margin=None))
    top = regular(rungs)[-1]
    assert top.predicted_vmaf >= 0.95 and "reaching SSIM 0.95" in top.reason
    assert all(b.predicted_vmaf > a.predicted_vmaf for a, b in itertools.pairwise(rungs))


def test_only_cellular_rungs_need_no_trials() -> None:
    cellular = PlannedRung(name="234p", width=416, height=234, video_kbps=80, audio_kbps=40,
                           maxrate_kbps=84, bufsize_kbps=84, profile="main", level="3.0")  # fmt: skip
    (rung,) = choose_rungs([], [cellular])
    assert (rung.predicted_kbps, rung.maxrate_kbps, rung.crf) == (80, 84, 23.0)


def test_planned_rungs_from_a_plan() -> None:
    plan = PerTitlePlan(
        metric="vmaf",
        rungs=[
            ChosenRung(
                name="480p",
                width=854,
                height=480,
                crf=25.5,
                maxrate_kbps=900,
                bufsize_kbps=900,
                predicted_kbps=640,
                predicted_vmaf=75,
                audio_kbps=128,
                reason="r",
            ),
            ChosenRung(
                name="1080p",
                width=1920,
                height=1080,
                crf=23.0,
                maxrate_kbps=4000,
                bufsize_kbps=4000,
                predicted_kbps=2900,
                predicted_vmaf=94,
                audio_kbps=192,
                reason="r",
            ),
        ],
    )
    planned, crfs = to_planned_rungs(plan, 25.0)
    assert crfs == {"480p": 25.5, "1080p": 23.0}
    assert [(p.name, p.video_kbps, p.maxrate_kbps, p.bufsize_kbps, p.profile) for p in planned] == [
        ("480p", 640, 900, 900, "main"),
        ("1080p", 2900, 4000, 4000, "high"),
    ]
    assert planned[1].level == h264_level(1920, 1080, 25.0, 4000, "high") == "4.0"
    assert PerTitlePlan.model_validate_json(plan.model_dump_json()) == plan


SOFT_SOURCE = [  # measured trials of a 1080p title upscaled from 640x272 (size, CRF, kb/s, VMAF)
    (640, 360, 23.0, 559, 82.33), (640, 360, 30.0, 282, 63.64), (854, 480, 23.0, 861, 87.89),
    (854, 480, 30.0, 426, 70.79), (1280, 720, 24.0, 1438, 93.94), (1280, 720, 30.0, 808, 83.22),
    (1920, 1080, 22.0, 3664, 98.14), (1920, 1080, 28.0, 1966, 93.37),
]  # fmt: skip


def test_a_rung_serving_a_wide_band_of_bandwidth_stays_though_it_looks_almost_as_good_as_the_top() -> None:
    points = [TrialPoint(width=w, height=h, crf=c, kbps=k, vmaf=v) for w, h, c, k, v in SOFT_SOURCE]
    rungs = regular(choose_rungs(points, caps_1080p()))
    top = rungs[-1]
    assert top.predicted_vmaf >= 97.5 - 1e-6  # the fixed top rung is predicted near 99: followed to 97.5
    below = rungs[-2]
    assert below.predicted_vmaf + 1.0 > top.predicted_vmaf  # within one VMAF point of the top ...
    assert top.predicted_kbps >= 1.9 * below.predicted_kbps  # ... for half the bits: kept
    steps = [b.predicted_kbps / a.predicted_kbps for a, b in itertools.pairwise(rungs)]
    assert max(steps) < 1.6**2 * 1.1  # no band of bandwidth left without a rung
