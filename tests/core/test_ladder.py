"""Rungs, ladders, the default ladder and ladder planning (pure; no ffmpeg).

Rung field sentences and presets on disk: ``test_ladder_presets``; the cellular rung and the rungs
left out for being too close: ``test_cellular_and_close_rungs``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from hlsstudio.core.errors import HlsStudioError, LadderError
from hlsstudio.core.ladder import (
    default_ladder,
    even,
    h264_level,
    plan_ladder,
)
from hlsstudio.core.models import Ladder, MediaInfo, PlannedRung, Rung, ladder_problems
from hlsstudio.core.probe import parse_probe


def source(width: int, height: int, *, fps: float = 25.0, bit_rate: int | None = None) -> MediaInfo:
    """A probed source as the planner sees it (display size already after rotation and SAR)."""
    return MediaInfo(
        path="/media/source.mp4",
        container="mp4",
        duration=60.0,
        size=1_000_000,
        bit_rate=bit_rate,
        video_codec="h264",
        coded_width=width,
        coded_height=height,
        width=width,
        height=height,
        fps=fps,
    )


def sizes(planned: list[PlannedRung]) -> list[tuple[str, int, int]]:
    return [(p.name, p.width, p.height) for p in planned]


def ladder(*rungs: tuple[str, int, int], disabled: tuple[str, ...] = ()) -> Ladder:
    return Ladder(
        rungs=[
            Rung(name=n, height=h, video_kbps=v, audio_kbps=128, enabled=n not in disabled)
            for n, h, v in rungs
        ]
    )


# --- models -----------------------------------------------------------------------------------


def test_default_ladder_is_the_deployment_guide_ladder() -> None:
    rungs = default_ladder().rungs
    assert [(r.name, r.height, r.video_kbps, r.audio_kbps, r.enabled) for r in rungs] == [
        ("234p", 234, 80, 40, True),
        ("360p", 360, 800, 128, True),
        ("480p", 480, 1400, 128, True),
        ("720p", 720, 2800, 192, True),
        ("1080p", 1080, 5000, 192, True),
        ("1440p", 1440, 8000, 256, True),
        ("2160p", 2160, 14000, 256, True),
    ]


def test_default_ladder_is_a_fresh_object_each_time() -> None:
    first = default_ladder()
    first.rungs[1].enabled = False
    assert default_ladder().rungs[1].enabled is True


def test_ladder_sorts_rungs_lowest_first() -> None:
    result = ladder(("720p", 720, 2800), ("360p", 360, 800), ("480p", 480, 1400))
    assert [r.name for r in result.rungs] == ["360p", "480p", "720p"]
    assert [r.name for r in ladder(("a", 720, 2800), ("b", 360, 800), disabled=("a",)).enabled_rungs] == ["b"]


@pytest.mark.parametrize(
    ("rungs", "problem"),
    [
        ([("a", 360, 800), ("b", 360, 900)], "two rungs have height 360: 'a' and 'b'"),
        ([("a", 360, 800), ("a", 480, 900)], "two rungs are named 'a'"),
        (
            [("low", 360, 800), ("high", 720, 800)],
            "rung 'high' must have a higher video bitrate than rung 'low'",
        ),
        ([("low", 360, 900), ("high", 720, 800)], r"\(800 kbps is not above 900 kbps\)"),
    ],
)
def test_invalid_ladders_are_refused_with_a_reason(rungs: list[tuple[str, int, int]], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        ladder(*rungs)


def test_a_ladder_with_every_rung_disabled_is_refused() -> None:
    with pytest.raises(ValidationError, match="enable at least one rung"):
        ladder(("a", 360, 800), ("b", 720, 2000), disabled=("a", "b"))


def test_ladder_problems_lists_every_problem_and_nothing_for_a_valid_ladder() -> None:
    rungs = [
        Rung(name="a", height=360, video_kbps=800, audio_kbps=128, enabled=False),
        Rung(name="a", height=360, video_kbps=700, audio_kbps=128, enabled=False),
    ]
    problems = ladder_problems(rungs)
    assert "enable at least one rung" in problems
    assert "two rungs have height 360: 'a' and 'a'" in problems
    assert "two rungs are named 'a'" in problems
    assert ladder_problems(default_ladder().rungs) == []
    assert ladder_problems([]) == ["add at least one rung"]


# --- planning ---------------------------------------------------------------------------------


def test_1080p_landscape_gets_every_enabled_rung_up_to_1080p() -> None:
    planned = plan_ladder(source(1920, 1080), default_ladder())
    assert sizes(planned) == [
        ("234p", 416, 234),
        ("360p", 640, 360),
        ("480p", 854, 480),
        ("720p", 1280, 720),
        ("1080p", 1920, 1080),
    ]
    assert [(p.video_kbps, p.audio_kbps) for p in planned] == [
        (80, 40),
        (800, 128),
        (1400, 128),
        (2800, 192),
        (5000, 192),
    ]


def test_4k_source_gets_the_whole_ladder() -> None:
    planned = plan_ladder(source(3840, 2160), default_ladder())
    assert [p.name for p in planned] == ["234p", "360p", "480p", "720p", "1080p", "1440p", "2160p"]
    assert sizes(planned)[-2:] == [("1440p", 2560, 1440), ("2160p", 3840, 2160)]


def test_disabling_the_cellular_rung_leaves_it_out_and_enabling_it_brings_it_back() -> None:
    rungs = default_ladder().rungs
    assert rungs[0].name == "234p" and rungs[0].enabled
    rungs[0].enabled = False
    without = plan_ladder(source(1280, 720), Ladder(rungs=rungs))
    assert sizes(without) == [("360p", 640, 360), ("480p", 854, 480), ("720p", 1280, 720)]
    rungs[0].enabled = True
    planned = plan_ladder(source(1280, 720), Ladder(rungs=rungs))
    assert sizes(planned) == [("234p", 416, 234), *sizes(without)]


def test_portrait_rung_height_is_the_short_side() -> None:
    planned = plan_ladder(source(1080, 1920), default_ladder())
    assert sizes(planned) == [
        ("234p", 234, 416),
        ("360p", 360, 640),
        ("480p", 480, 854),
        ("720p", 720, 1280),
        ("1080p", 1080, 1920),
    ]


def test_never_upscales() -> None:
    planned = plan_ladder(source(1280, 720), default_ladder())
    assert [p.name for p in planned] == ["234p", "360p", "480p", "720p"]
    assert max(p.height for p in planned) == 720
    for info in (source(3840, 2160), source(854, 480), source(480, 854), source(720, 576)):
        for rung in plan_ladder(info, default_ladder()):
            assert rung.width <= info.width + 1 and rung.height <= info.height + 1


def test_a_slightly_short_master_keeps_its_rung_at_its_own_height() -> None:
    # a "1080p" master cropped to 1072 lines is still a 1080p title; don't drop to 720p
    planned = plan_ladder(source(1920, 1072), default_ladder())
    assert sizes(planned)[-1] == ("1080p", 1920, 1072)
    # ... but a 900-line source really is below 1080p
    assert [p.name for p in plan_ladder(source(1600, 900), default_ladder())][-1] == "720p"


def test_source_smaller_than_every_rung_gets_one_rung_at_its_own_size() -> None:
    planned = plan_ladder(source(256, 144), default_ladder())
    assert sizes(planned) == [("144p", 256, 144)]
    # the smallest enabled rung's rates: the cellular rung's, and so its rate control
    assert (planned[0].video_kbps, planned[0].audio_kbps) == (80, 40)
    assert (planned[0].maxrate_kbps, planned[0].bufsize_kbps) == (84, 84)
    # with the cellular rung off, the smallest enabled rung is 360p
    rungs = default_ladder().rungs
    rungs[0].enabled = False
    (only,) = plan_ladder(source(256, 144), Ladder(rungs=rungs))
    assert (only.name, only.video_kbps, only.audio_kbps) == ("144p", 800, 128)


def test_odd_sized_source_gives_even_sizes_with_its_aspect_kept() -> None:
    planned = plan_ladder(source(321, 181), default_ladder())
    assert len(planned) == 1
    rung = planned[0]
    assert rung.width % 2 == 0 and rung.height % 2 == 0
    assert abs(rung.width / rung.height - 321 / 181) < 0.02
    for info in (source(1918, 1078), source(1279, 719), source(719, 1279), source(3839, 1607)):
        for rung in plan_ladder(info, default_ladder()):
            assert rung.width % 2 == 0 and rung.height % 2 == 0, (info.width, info.height, rung)
            assert abs(rung.width / rung.height - info.width / info.height) < 0.01


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [  # 2.40:1 scope, 4:3, square
        (1920, 800, [("234p", 562, 234), ("360p", 864, 360), ("480p", 1152, 480), ("720p", 1728, 720)]),
        (1440, 1080, [("234p", 312, 234), ("360p", 480, 360), ("480p", 640, 480), ("720p", 960, 720),
                      ("1080p", 1440, 1080)]),
        (1080, 1080, [("234p", 234, 234), ("360p", 360, 360), ("480p", 480, 480), ("720p", 720, 720),
                      ("1080p", 1080, 1080)]),
    ],
)  # fmt: skip
def test_aspect_ratio_comes_from_the_display_size(
    width: int, height: int, expected: list[tuple[str, int, int]]
) -> None:
    assert sizes(plan_ladder(source(width, height), default_ladder())) == expected


def test_bitrate_is_capped_at_the_source_bit_rate() -> None:
    planned = plan_ladder(source(1920, 1080, bit_rate=2_000_000), default_ladder())
    # 1080p capped to 720p's 2000 kb/s would be the same rung again: left out
    assert [(p.name, p.video_kbps) for p in planned] == [
        ("234p", 80), ("360p", 800), ("480p", 1400), ("720p", 2000)
    ]  # fmt: skip
    # a starved source still gets a usable floor (64 kb/s), the cellular rung too
    starved = plan_ladder(source(1920, 1080, bit_rate=20_000), default_ladder())
    assert starved[0].name == "234p"
    assert {p.video_kbps for p in starved} == {64}
    # an unknown source bit rate caps nothing
    assert plan_ladder(source(1920, 1080, bit_rate=None), default_ladder())[-1].video_kbps == 5000


def test_rate_control_follows_the_video_bitrate() -> None:
    planned = plan_ladder(source(1920, 1080), default_ladder())
    cellular, others = planned[0], planned[1:]
    # a rung of at most 192 kb/s in all: a tight cap (1.05x) and a buffer no larger than the cap
    assert cellular.video_kbps + cellular.audio_kbps <= 192
    assert cellular.maxrate_kbps == round(cellular.video_kbps * 1.05) == 84
    assert cellular.bufsize_kbps == cellular.maxrate_kbps
    for rung in others:
        assert rung.video_kbps + rung.audio_kbps > 192
        assert rung.maxrate_kbps == round(rung.video_kbps * 1.10)
        assert rung.bufsize_kbps == round(rung.video_kbps * 1.5)


def test_profiles_and_levels_suit_each_rung() -> None:
    planned = {p.name: p for p in plan_ladder(source(3840, 2160, fps=30), default_ladder())}
    assert (planned["360p"].profile, planned["360p"].level) == ("main", "3.0")
    assert (planned["720p"].profile, planned["720p"].level) == ("high", "3.1")
    assert (planned["1080p"].profile, planned["1080p"].level) == ("high", "4.0")
    assert planned["2160p"].level == "5.1"
    at_60 = {p.name: p for p in plan_ladder(source(1920, 1080, fps=60), default_ladder())}
    assert at_60["1080p"].level == "4.2"


def test_output_rate_overrides_the_source_rate_for_levels() -> None:
    info = source(1920, 1080, fps=120)
    assert (
        plan_ladder(info, default_ladder())[-1].level != plan_ladder(info, default_ladder(), fps=60)[-1].level
    )
    assert plan_ladder(info, default_ladder(), fps=60)[-1].level == "4.2"


@pytest.mark.parametrize(
    ("frame", "maxrate", "profile", "level"),
    [
        ((640, 360, 30), 880, "main", "3.0"),
        ((1280, 720, 30), 3080, "high", "3.1"),
        ((1280, 720, 60), 3080, "high", "3.2"),
        ((1920, 1080, 30), 5500, "high", "4.0"),
        ((1920, 1080, 30), 30000, "high", "4.1"),
        ((2560, 1440, 30), 8800, "high", "5.0"),
        ((3840, 2160, 60), 15400, "high", "5.2"),
        ((7680, 4320, 30), 50000, "high", "6.0"),
    ],
)
def test_h264_level_is_the_smallest_that_fits(
    frame: tuple[int, int, float], maxrate: int, profile: str, level: str
) -> None:
    width, height, fps = frame
    assert h264_level(width, height, fps, maxrate, profile) == level


def test_even_rounds_to_the_nearest_even_size_of_at_least_2() -> None:
    assert [even(v) for v in (0, 1, 2, 3, 853.33, 854.9, 479)] == [2, 2, 2, 4, 854, 854, 480]


def test_planning_an_all_disabled_ladder_is_a_ladder_error() -> None:
    rungs = default_ladder().rungs
    all_off = Ladder.model_construct(rungs=[r.model_copy(update={"enabled": False}) for r in rungs])
    with pytest.raises(LadderError) as caught:
        plan_ladder(source(1920, 1080), all_off)
    assert isinstance(caught.value, HlsStudioError)
    assert "no enabled rung" in caught.value.message


# --- sources as probed --------------------------------------------------------------------------


def saved_source(name: str) -> MediaInfo:
    record = json.loads((Path(__file__).parent.parent / "data" / "probe" / f"{name}.json").read_text("utf-8"))
    return parse_probe(record["probe"], name, record["size"], record["packet_times"])


def test_tiny_source_gets_one_rung_at_its_own_size() -> None:
    planned = plan_ladder(saved_source("tiny"), default_ladder())
    assert sizes(planned) == [("90p", 160, 90)]
    assert (planned[0].video_kbps, planned[0].audio_kbps) == (80, 40)  # the cellular rung's rates


def test_rotated_phone_recording_is_planned_upright_from_its_display_size() -> None:
    info = saved_source("phone_4k_hdr10_rotated")  # coded 3840x2160, shown 2160x3840
    planned = plan_ladder(info, default_ladder())
    assert [p.name for p in planned] == ["234p", "360p", "480p", "720p", "1080p", "1440p", "2160p"]
    assert sizes(planned)[0] == ("234p", 234, 416)
    assert sizes(planned)[-1] == ("2160p", 2160, 3840)
    assert all(p.height > p.width for p in planned)


def test_anamorphic_source_is_planned_at_its_display_aspect() -> None:
    planned = plan_ladder(saved_source("anamorphic"), default_ladder())  # 720x576 SAR 16:15 = 768x576
    assert sizes(planned) == [("234p", 312, 234), ("360p", 480, 360), ("480p", 640, 480)]


def test_bit_rate_cap_uses_the_probed_bit_rate() -> None:
    info = saved_source("portrait_phone")
    assert info.bit_rate is not None
    cap = info.bit_rate // 1000
    planned = plan_ladder(info, default_ladder())
    assert sizes(planned) == [("234p", 234, 416), ("360p", 360, 640)]
    assert planned[0].video_kbps == max(64, min(80, cap))
    assert planned[1].video_kbps == max(64, min(800, cap))


def test_every_planned_size_is_even_and_never_larger_than_the_source() -> None:
    for width in range(161, 1930, 97):
        for height in (91, 120, 181, 359, 479, 577, 719, 1079, 1081):
            for info in (source(width, height), source(height, width)):
                planned = plan_ladder(info, default_ladder())
                assert planned
                for rung in planned:
                    where = (info.width, info.height, rung.width, rung.height)
                    assert rung.width % 2 == 0 and rung.height % 2 == 0, where
                    assert rung.width <= info.width and rung.height <= info.height, where
                    assert abs(rung.width / rung.height - info.width / info.height) < 0.05, where
