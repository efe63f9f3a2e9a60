"""Rungs, ladders, the default ladder, ladder planning and ladder presets (pure; no ffmpeg)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from hlsstudio.core.errors import HlsStudioError, LadderError
from hlsstudio.core.ladder import (
    PRESET_SCHEMA_VERSION,
    default_ladder,
    even,
    h264_level,
    ladder_from_json,
    load_preset,
    plan_ladder,
    preset_to_json,
    save_preset,
)
from hlsstudio.core.models import Ladder, MediaInfo, PlannedRung, Rung, ladder_problems, rung_field_problems
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
        ("240p", 240, 500, 96, False),
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


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({"height": 8}, "rung '144p' must be at least 16 px tall"),
        ({"height": 5000}, "rung '144p' must be at most 4320 px tall"),
        ({"height": "tall"}, "rung '144p' needs its height in whole pixels"),
        ({"height": None}, "rung '144p' needs a height"),
        ({"video_kbps": 0}, "rung '144p' must have a video bitrate above 0 kbps"),
        ({"video_kbps": 300_000}, "rung '144p' must have a video bitrate of at most 200,000 kbps"),
        ({"video_kbps": 1.5}, "rung '144p' needs a video bitrate in whole kbps"),
        ({"audio_kbps": -1}, "rung '144p' must have an audio bitrate above 0 kbps"),
        ({"audio_kbps": 2048}, "rung '144p' must have an audio bitrate of at most 1,024 kbps"),
        ({"audio_kbps": "loud"}, "rung '144p' needs an audio bitrate in whole kbps"),
        ({"enabled": "maybe"}, "rung '144p' must be either on or off"),
        ({"name": ""}, "the unnamed rung at 144 px needs a name"),
        ({"name": "", "height": "x"}, "an unnamed rung needs a name"),
        ({"name": "x" * 33}, f"rung '{'x' * 32}…' has a name longer than 32 characters"),
        (
            {"name": "144 p!"},
            "rung '144 p!' has a name with characters other than letters, digits, '-' and '_'",
        ),
    ],
)
def test_every_rung_constraint_reads_as_a_sentence_naming_the_rung(
    fields: dict[str, object], sentence: str
) -> None:
    good: dict[str, object] = {
        "name": "144p",
        "height": 144,
        "video_kbps": 300,
        "audio_kbps": 64,
        "enabled": True,
    }
    row = good | fields
    problems = ladder_problems([row])
    assert problems[0] == sentence
    assert rung_field_problems(row) and sentence in rung_field_problems(row).values()
    assert not any("Input should" in p or "rung 1" in p for p in problems)
    # the ladder-wide rules wait until every rung is valid; valid rows pass as they are
    assert ladder_problems([good]) == [] and rung_field_problems(good) == {}


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "bad name"},
        {"name": ""},
        {"name": "x" * 33},
        {"name": "../up"},
        {"height": 0},
        {"height": 9000},
        {"video_kbps": 0},
        {"video_kbps": -5},
        {"audio_kbps": 0},
    ],
)
def test_rung_refuses_unsafe_names_and_impossible_numbers(fields: dict[str, object]) -> None:
    good: dict[str, object] = {"name": "720p", "height": 720, "video_kbps": 2800, "audio_kbps": 192}
    with pytest.raises(ValidationError):
        Rung.model_validate(good | fields)


def test_rung_checks_assignments_too() -> None:
    rung = Rung(name="720p", height=720, video_kbps=2800, audio_kbps=192)
    with pytest.raises(ValidationError):
        rung.video_kbps = 0
    with pytest.raises(ValidationError):
        rung.name = "720p; rm -rf /"


# --- planning ---------------------------------------------------------------------------------


def test_1080p_landscape_gets_every_enabled_rung_up_to_1080p() -> None:
    planned = plan_ladder(source(1920, 1080), default_ladder())
    assert sizes(planned) == [
        ("360p", 640, 360),
        ("480p", 854, 480),
        ("720p", 1280, 720),
        ("1080p", 1920, 1080),
    ]
    assert [(p.video_kbps, p.audio_kbps) for p in planned] == [
        (800, 128),
        (1400, 128),
        (2800, 192),
        (5000, 192),
    ]


def test_4k_source_gets_the_whole_ladder() -> None:
    planned = plan_ladder(source(3840, 2160), default_ladder())
    assert [p.name for p in planned] == ["360p", "480p", "720p", "1080p", "1440p", "2160p"]
    assert sizes(planned)[-2:] == [("1440p", 2560, 1440), ("2160p", 3840, 2160)]


def test_enabling_the_240p_rung_adds_it() -> None:
    rungs = default_ladder().rungs
    rungs[0].enabled = True
    planned = plan_ladder(source(1280, 720), Ladder(rungs=rungs))
    assert sizes(planned) == [("240p", 426, 240), ("360p", 640, 360), ("480p", 854, 480), ("720p", 1280, 720)]


def test_portrait_rung_height_is_the_short_side() -> None:
    planned = plan_ladder(source(1080, 1920), default_ladder())
    assert sizes(planned) == [
        ("360p", 360, 640),
        ("480p", 480, 854),
        ("720p", 720, 1280),
        ("1080p", 1080, 1920),
    ]


def test_never_upscales() -> None:
    planned = plan_ladder(source(1280, 720), default_ladder())
    assert [p.name for p in planned] == ["360p", "480p", "720p"]
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
    assert planned[0].video_kbps == 800  # the lowest enabled rung's rates


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
    [
        (1920, 800, [("360p", 864, 360), ("480p", 1152, 480), ("720p", 1728, 720)]),  # 2.40:1 scope
        (1440, 1080, [("360p", 480, 360), ("480p", 640, 480), ("720p", 960, 720), ("1080p", 1440, 1080)]),
        (1080, 1080, [("360p", 360, 360), ("480p", 480, 480), ("720p", 720, 720), ("1080p", 1080, 1080)]),
    ],
)
def test_aspect_ratio_comes_from_the_display_size(
    width: int, height: int, expected: list[tuple[str, int, int]]
) -> None:
    assert sizes(plan_ladder(source(width, height), default_ladder())) == expected


def test_bitrate_is_capped_at_the_source_bit_rate() -> None:
    planned = plan_ladder(source(1920, 1080, bit_rate=2_000_000), default_ladder())
    assert [p.video_kbps for p in planned] == [800, 1400, 2000, 2000]
    # a starved source still gets a usable floor
    assert {p.video_kbps for p in plan_ladder(source(1920, 1080, bit_rate=20_000), default_ladder())} == {100}
    # an unknown source bit rate caps nothing
    assert plan_ladder(source(1920, 1080, bit_rate=None), default_ladder())[-1].video_kbps == 5000


def test_rate_control_follows_the_video_bitrate() -> None:
    for rung in plan_ladder(source(1920, 1080), default_ladder()):
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


# --- presets ----------------------------------------------------------------------------------


def test_preset_export_then_import_gives_the_same_ladder(tmp_path: Path) -> None:
    original = ladder(("mobile", 270, 400), ("sd", 540, 1500), ("hd", 1080, 6000), disabled=("mobile",))
    path = tmp_path / "mine.json"
    save_preset(path, original, "Mine")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["schema_version"] == PRESET_SCHEMA_VERSION
    assert doc["name"] == "Mine"
    name, loaded = load_preset(path)
    assert name == "Mine"
    assert loaded == original
    assert preset_to_json(loaded, "Mine") == doc


def test_preset_import_sorts_and_defaults(tmp_path: Path) -> None:
    doc = {"rungs": [{"name": "hi", "height": 720, "video_kbps": 3000, "audio_kbps": 128},
                     {"name": "lo", "height": 360, "video_kbps": 900, "audio_kbps": 96}]}  # fmt: skip
    name, loaded = ladder_from_json(doc)
    assert name == "preset"  # no name, no schema_version: a version-1 document
    assert [(r.name, r.enabled) for r in loaded.rungs] == [("lo", True), ("hi", True)]


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ([1, 2, 3], "not a ladder preset"),
        ({"name": "x"}, "not a ladder preset"),
        ({"schema_version": PRESET_SCHEMA_VERSION + 1, "rungs": []}, "newer than this app"),
        ({"schema_version": "one", "rungs": []}, "newer than this app"),
        ({"rungs": [{"name": "a", "height": 360, "video_kbps": 800}]}, "invalid ladder preset: audio_kbps"),
        ({"rungs": [{"name": "a b", "height": 360, "video_kbps": 800, "audio_kbps": 96}]}, "invalid ladder"),
        ({"rungs": []}, "invalid ladder preset"),
        ({"rungs": "360p"}, "invalid ladder preset"),
        (
            {
                "rungs": [
                    {"name": "a", "height": 360, "video_kbps": 800, "audio_kbps": 96},
                    {"name": "b", "height": 720, "video_kbps": 700, "audio_kbps": 96},
                ]
            },
            "rung 'b' must have a higher video bitrate than rung 'a'",
        ),
    ],
)
def test_bad_preset_documents_raise_ladder_error_with_one_line(doc: object, reason: str) -> None:
    with pytest.raises(LadderError) as caught:
        ladder_from_json(doc)
    assert reason in caught.value.message
    assert "\n" not in caught.value.message


def test_unreadable_preset_files_raise_ladder_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json", encoding="utf-8")
    with pytest.raises(LadderError, match=r"cannot read ladder preset broken\.json"):
        load_preset(broken)
    with pytest.raises(LadderError, match=r"cannot read ladder preset missing\.json"):
        load_preset(tmp_path / "missing.json")


# --- sources as probed --------------------------------------------------------------------------


def saved_source(name: str) -> MediaInfo:
    record = json.loads((Path(__file__).parent.parent / "data" / "probe" / f"{name}.json").read_text("utf-8"))
    return parse_probe(record["probe"], name, record["size"], record["packet_times"])


def test_tiny_source_gets_one_rung_at_its_own_size() -> None:
    planned = plan_ladder(saved_source("tiny"), default_ladder())
    assert sizes(planned) == [("90p", 160, 90)]


def test_rotated_phone_recording_is_planned_upright_from_its_display_size() -> None:
    info = saved_source("phone_4k_hdr10_rotated")  # coded 3840x2160, shown 2160x3840
    planned = plan_ladder(info, default_ladder())
    assert [p.name for p in planned] == ["360p", "480p", "720p", "1080p", "1440p", "2160p"]
    assert sizes(planned)[0] == ("360p", 360, 640)
    assert sizes(planned)[-1] == ("2160p", 2160, 3840)
    assert all(p.height > p.width for p in planned)


def test_anamorphic_source_is_planned_at_its_display_aspect() -> None:
    planned = plan_ladder(saved_source("anamorphic"), default_ladder())  # 720x576 SAR 16:15 = 768x576
    assert sizes(planned) == [("360p", 480, 360), ("480p", 640, 480)]


def test_bit_rate_cap_uses_the_probed_bit_rate() -> None:
    info = saved_source("portrait_phone")
    assert info.bit_rate is not None
    cap = info.bit_rate // 1000
    planned = plan_ladder(info, default_ladder())
    assert sizes(planned) == [("360p", 360, 640)]
    assert planned[0].video_kbps == max(100, min(800, cap))


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
