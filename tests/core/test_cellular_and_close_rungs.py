"""The cellular rung (234p, at most 192 kb/s with its sound) and the rungs left out for being too close.

A rung of at most 192 kb/s in all gets a tight cap (1.05x its video rate) and a buffer no larger
than the cap; sound of 64 kb/s or less is mono. A rung whose total rate is within 15 % of the rung
kept below it (a source whose own bitrate caps the upper rungs) is left out, with a note for the
job's warnings. Pure: no ffmpeg.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from hlsstudio.core.command import EncodePlan, build_hls_command
from hlsstudio.core.ladder import (
    CELLULAR_LIMIT_KBPS,
    MIN_VIDEO_KBPS,
    default_ladder,
    leave_out_close_rungs,
    plan_ladder,
    plan_ladder_noted,
)
from hlsstudio.core.models import AudioStream, EncodeSettings, Ladder, MediaInfo, PlannedRung, Rung
from hlsstudio.core.planning import build_plan
from hlsstudio.core.toolchain import Capabilities
from hlsstudio.core.tracks.audio import audio_group

CAPS = Capabilities(version="5.1", encoders={"libx264": True}, filters={})


def source(
    width: int = 1920, height: int = 1080, *, bit_rate: int | None = None, fps: float = 25.0
) -> MediaInfo:
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
        audio_streams=[AudioStream(codec="aac", channels=2, default=True)],
    )


def without_cellular() -> Ladder:
    rungs = default_ladder().rungs
    assert rungs[0].name == "234p"
    rungs[0].enabled = False
    return Ladder(rungs=rungs)


def rung(name: str, video: int, audio: int = 128) -> PlannedRung:
    return PlannedRung(
        name=name, width=640, height=360, video_kbps=video, audio_kbps=audio,
        maxrate_kbps=video, bufsize_kbps=video,
    )  # fmt: skip


def audio_outputs(cmd: list[str]) -> list[tuple[str, str]]:
    """(bitrate, channel count) of every audio output of a command: one per audio track and rate."""
    return [(cmd[i + 1], cmd[cmd.index("-ac", i) + 1]) for i, arg in enumerate(cmd) if arg == "-b:a"]


def rung_groups(plan: EncodePlan) -> dict[str, str]:
    """Each rung's audio group (its sound is the group's rendition at the rung's audio rate)."""
    return {r.name: audio_group(r.audio_kbps) for r in plan.rungs}


# --- the cellular rung --------------------------------------------------------------------------


@pytest.mark.parametrize("fps", [25.0, 30.0, 60.0])
def test_the_cellular_rung_is_planned_tight_and_small(fps: float) -> None:
    cellular = plan_ladder(source(fps=fps), default_ladder())[0]
    assert cellular.model_dump() == {
        "name": "234p",
        "width": 416,
        "height": 234,
        "video_kbps": 80,
        "audio_kbps": 40,
        "maxrate_kbps": 84,  # round(80 * 1.05)
        "bufsize_kbps": 84,  # the buffer is the cap
        "profile": "main",
        "level": "3.0",
        "crf": None,  # a fixed ladder's rung: average bitrate, not capped CRF
    }
    # its declared peak, sound included, stays under Apple's cellular limit
    assert cellular.maxrate_kbps + cellular.audio_kbps <= CELLULAR_LIMIT_KBPS


def test_a_custom_rung_of_at_most_192_kbps_gets_the_cellular_rate_control() -> None:
    def lowest(video: int, audio: int) -> PlannedRung:
        ladder = Ladder(
            rungs=[
                Rung(name="low", height=144, video_kbps=video, audio_kbps=audio),
                Rung(name="hi", height=360, video_kbps=800, audio_kbps=128),
            ]
        )
        low, hi = plan_ladder(source(), ladder)
        assert (hi.maxrate_kbps, hi.bufsize_kbps) == (880, 1200)
        return low

    # cellular is decided on the promised peak: the capped video (1.05 x) plus the sound
    at_limit = lowest(121, 64)  # 127.05 + 64 = 191.05 kb/s at its peak: cellular
    assert (at_limit.maxrate_kbps, at_limit.bufsize_kbps) == (127, 127)
    assert at_limit.maxrate_kbps + at_limit.audio_kbps <= CELLULAR_LIMIT_KBPS
    above = lowest(128, 64)  # 134.4 + 64 > 192: the usual cap and buffer
    assert (above.maxrate_kbps, above.bufsize_kbps) == (round(128 * 1.10), round(128 * 1.5)) == (141, 192)


def test_sound_of_64_kbps_or_less_is_mono_and_every_rung_names_its_channels() -> None:
    ladder = Ladder(
        rungs=[
            Rung(name="a40", height=144, video_kbps=90, audio_kbps=40),
            Rung(name="a64", height=180, video_kbps=200, audio_kbps=64),
            Rung(name="a65", height=240, video_kbps=400, audio_kbps=65),
            Rung(name="a128", height=360, video_kbps=800, audio_kbps=128),
        ]
    )
    plan, _ = build_plan(source(), ladder, EncodeSettings(), CAPS, out_dir=Path("/out"), encoder="libx264")
    # the one audio track once per audio rate, each output with its own rate and channel count
    assert audio_outputs(build_hls_command(plan)) == [("40k", "1"), ("64k", "1"), ("65k", "2"), ("128k", "2")]
    assert [(r.group, r.channels) for r in plan.audio] == [
        ("audio-40k", 1), ("audio-64k", 1), ("audio-65k", 2), ("audio-128k", 2),
    ]  # fmt: skip
    assert rung_groups(plan) == {
        "a40": "audio-40k",
        "a64": "audio-64k",
        "a65": "audio-65k",
        "a128": "audio-128k",
    }


def test_the_default_ladder_makes_the_cellular_rung_mono_and_the_others_stereo() -> None:
    plan, _ = build_plan(
        source(1280, 720), default_ladder(), EncodeSettings(), CAPS, out_dir=Path("/o"), encoder="libx264"
    )
    assert [r.name for r in plan.rungs] == ["234p", "360p", "480p", "720p"]
    assert audio_outputs(build_hls_command(plan)) == [("40k", "1"), ("128k", "2"), ("192k", "2")]
    assert rung_groups(plan) == {
        "234p": "audio-40k", "360p": "audio-128k", "480p": "audio-128k", "720p": "audio-192k",
    }  # fmt: skip


def test_a_source_smaller_than_every_rung_gets_the_cellular_rates_at_its_own_size() -> None:
    (only,) = plan_ladder(source(320, 180, bit_rate=150_000), default_ladder())
    assert (only.name, only.width, only.height) == ("180p", 320, 180)
    assert (only.video_kbps, only.audio_kbps, only.maxrate_kbps, only.bufsize_kbps) == (80, 40, 84, 84)


def test_a_source_below_192_kbps_keeps_the_cellular_rung_and_caps_the_rest_at_its_own_rate() -> None:
    planned, notes = plan_ladder_noted(source(bit_rate=150_000), default_ladder())
    cellular, *upper = planned
    assert (cellular.name, cellular.video_kbps, cellular.audio_kbps) == ("234p", 80, 40)
    assert (cellular.maxrate_kbps, cellular.bufsize_kbps) == (84, 84)
    assert upper and {r.video_kbps for r in upper} == {150}
    # every rung above 360p gets the same 150 kb/s of video: a larger picture for the same bits, left out
    assert [r.name for r in planned] == ["234p", "360p"]
    assert notes == [
        "480p, 720p, 1080p left out: this source's own bitrate puts them within 15 % of 360p's, "
        "so they would cost as much without looking better"
    ]


def test_a_source_below_the_video_floor_is_encoded_at_the_floor() -> None:
    planned = plan_ladder(source(bit_rate=50_000), default_ladder())
    assert MIN_VIDEO_KBPS == 64
    assert {r.video_kbps for r in planned} == {64}
    assert (planned[0].name, planned[0].maxrate_kbps, planned[0].bufsize_kbps) == ("234p", 67, 67)


# --- with the cellular rung disabled -------------------------------------------------------------


def test_a_ladder_without_the_cellular_rung_has_no_tight_rung_and_no_mono_sound() -> None:
    planned = plan_ladder(source(), without_cellular())
    assert [r.name for r in planned] == ["360p", "480p", "720p", "1080p"]
    for r in planned:
        assert (r.maxrate_kbps, r.bufsize_kbps) == (round(r.video_kbps * 1.10), round(r.video_kbps * 1.5))
    plan, _ = build_plan(
        source(), without_cellular(), EncodeSettings(), CAPS, out_dir=Path("/o"), encoder="libx264"
    )
    assert {channels for _, channels in audio_outputs(build_hls_command(plan))} == {"2"}


def test_without_the_cellular_rung_close_rungs_are_measured_from_360p() -> None:
    planned, notes = plan_ladder_noted(source(bit_rate=1_100_000), without_cellular())
    assert [(r.name, r.video_kbps) for r in planned] == [("360p", 800), ("480p", 1100)]
    assert notes == [
        "720p, 1080p left out: this source's own bitrate puts them within 15 % of 480p's, "
        "so they would cost as much without looking better"
    ]
    (only,) = plan_ladder(source(256, 144), without_cellular())
    assert (only.name, only.video_kbps, only.audio_kbps) == ("144p", 800, 128)


# --- close rungs ---------------------------------------------------------------------------------


def test_a_1_1_mbps_1080p_source_gets_no_near_identical_rungs() -> None:
    planned, notes = plan_ladder_noted(source(bit_rate=1_100_000), default_ladder())
    # 720p and 1080p capped at 1100 kb/s would be 480p again (1292 vs 1228 kb/s in all)
    assert [(r.name, r.video_kbps, r.audio_kbps) for r in planned] == [
        ("234p", 80, 40), ("360p", 800, 128), ("480p", 1100, 128)
    ]  # fmt: skip
    totals = [r.video_kbps + r.audio_kbps for r in planned]
    assert all(upper >= lower * 1.15 for lower, upper in itertools.pairwise(totals))
    assert notes == [
        "720p, 1080p left out: this source's own bitrate puts them within 15 % of 480p's, "
        "so they would cost as much without looking better"
    ]
    assert plan_ladder(source(bit_rate=1_100_000), default_ladder()) == planned


def test_the_note_goes_into_the_jobs_warnings() -> None:
    _, warnings = build_plan(
        source(bit_rate=2_000_000),
        default_ladder(),
        EncodeSettings(),
        CAPS,
        out_dir=Path("/o"),
        encoder="libx264",
    )
    assert warnings == [
        "1080p left out: this source's own bitrate puts it within 15 % of 720p's, "
        "so it would cost as much without looking better"
    ]
    _, none = build_plan(
        source(), default_ladder(), EncodeSettings(), CAPS, out_dir=Path("/o"), encoder="libx264"
    )
    assert none == []


def test_a_rung_needs_15_percent_more_video_than_the_rung_kept_below_it() -> None:
    # video 1000, 1149 (left out), 1150 (kept: exactly 15 % above 1000)
    kept, notes = leave_out_close_rungs([rung("a", 1000), rung("b", 1149), rung("c", 1150)])
    assert [r.name for r in kept] == ["a", "c"]
    assert notes == [
        "b left out: this source's own bitrate puts it within 15 % of a's, "
        "so it would cost as much without looking better"
    ]
    # measured from the rung kept below, not the neighbour: 1100 and 1140 are both too close to 1000
    kept, notes = leave_out_close_rungs([rung("a", 1000), rung("b", 1100), rung("c", 1140), rung("d", 1200)])
    assert [r.name for r in kept] == ["a", "d"]
    assert notes[0].startswith("b, c left out: this source's own bitrate puts them within 15 % of a's")
    # each left-out rung is named with the rung it was too close to
    kept, notes = leave_out_close_rungs([rung("a", 800), rung("b", 850), rung("c", 2000), rung("d", 2100)])
    assert [r.name for r in kept] == ["a", "c"]
    assert [n.split(":")[0] for n in notes] == ["b left out", "d left out"]
    assert "of a's" in notes[0] and "of c's" in notes[1]


def test_nothing_to_leave_out_gives_no_note() -> None:
    ladder = [rung("a", 800), rung("b", 1400), rung("c", 2800)]
    assert leave_out_close_rungs(ladder) == (ladder, [])
    assert leave_out_close_rungs(ladder[:1]) == (ladder[:1], [])
    assert leave_out_close_rungs([]) == ([], [])
