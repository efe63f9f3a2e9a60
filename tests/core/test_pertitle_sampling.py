"""Per-title sampling arithmetic, the trial budget and the commands the analysis builds (no FFmpeg run)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from hlsstudio.core.pertitle.budget import (
    SCHEDULES,
    Workload,
    analysis_estimate,
    choose_schedule,
    encode_estimate,
)
from hlsstudio.core.pertitle.sample import probe_command, raw_sample_fits, sample_command
from hlsstudio.core.pertitle.sampling import (
    Window,
    candidate_windows,
    choose_windows,
    excerpt_layout,
    keyframe_times,
    probe_slices,
    sample_seconds,
    worth_probing,
)
from hlsstudio.core.pertitle.trials import (
    EncodeRules,
    SampleFile,
    TrialSpec,
    crfs_around,
    subsample_for,
    top_crfs,
    trial_command,
)


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [(30.0, 6.0), (100.0, 8.0), (300.0, 24.0), (1000.0, 40.0), (7200.0, 40.0), (5.0, 4.8)],
)
def test_the_sample_is_8_percent_within_6_to_40_seconds(duration: float, seconds: float) -> None:
    assert sample_seconds(duration) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("total", "layout"),
    [
        (6.0, (3, 2.0)),
        (12.0, (3, 4.0)),
        (20.0, (3, 20 / 3)),
        (24.0, (4, 6.0)),
        (40.0, (6, 40 / 6)),
        (4.8, (1, 4.8)),
    ],
)
def test_excerpt_layout(total: float, layout: tuple[int, float]) -> None:
    count, each = excerpt_layout(total)
    assert (count, each) == (layout[0], pytest.approx(layout[1]))


def test_every_sample_length_gives_3_to_6_excerpts_of_2_to_8_seconds() -> None:
    for tenth in range(60, 401):
        count, each = excerpt_layout(tenth / 10)
        assert 3 <= count <= 6
        assert 2.0 - 1e-9 <= each <= 8.0 + 1e-9


def test_candidates_skip_the_edges_spread_evenly_and_never_overlap() -> None:
    windows = candidate_windows(3600.0, 6, 6.0)
    assert len(windows) == 48  # one every four excerpt lengths would be 141: capped
    assert windows[0].start == pytest.approx(72.0)
    assert windows[-1].start + windows[-1].duration == pytest.approx(3528.0)
    gaps = {round(b.start - a.start, 2) for a, b in itertools.pairwise(windows)}
    assert len(gaps) <= 2  # even spacing (rounding aside)
    assert all(b.start >= a.start + a.duration for a, b in itertools.pairwise(windows))


def test_a_short_title_is_spread_evenly_and_a_long_one_probed() -> None:
    short = candidate_windows(30.0, 3, 2.0)
    assert len(short) == 6 and not worth_probing(30.0, short, 3)
    long = candidate_windows(600.0, 6, 40 / 6)
    assert len(long) == 22 and worth_probing(600.0, long, 6)


def test_probe_slices_take_the_middle_of_each_candidate_within_the_budget() -> None:
    slices = probe_slices([Window(10.0, 6.0), Window(30.0, 6.0)], 3.0)
    assert slices == [Window(12.25, 1.5), Window(32.25, 1.5)]
    assert probe_slices([Window(0.0, 2.0)] * 40, 6.0)[0].duration == 0.5  # at least half a second


def test_choose_windows_takes_half_the_hardest_and_spreads_the_rest() -> None:
    candidates = [Window(float(10 * i), 5.0) for i in range(10)]
    scores = [1.0, 1.0, 9.0, 1.0, 1.0, 1.0, 1.0, 8.0, 1.0, 1.0]
    chosen = choose_windows(candidates, scores, 4)
    assert len(chosen) == 4
    assert Window(20.0, 5.0) in chosen and Window(70.0, 5.0) in chosen  # the two hardest
    assert chosen == sorted(chosen, key=lambda w: w.start)
    spread = [w for w in chosen if w.start not in (20.0, 70.0)]
    assert spread[0].start < 45.0 < spread[1].start  # one from each half of the title


def test_choose_windows_without_scores_spreads_evenly() -> None:
    candidates = [Window(float(10 * i), 5.0) for i in range(9)]
    assert [w.start for w in choose_windows(candidates, None, 3)] == [10.0, 40.0, 70.0]
    assert choose_windows(candidates[:2], None, 3) == candidates[:2]
    with pytest.raises(ValueError):
        choose_windows(candidates, [1.0], 3)


def test_keyframes_every_segment_length_of_the_sample() -> None:
    assert keyframe_times(6.0, 6.0) == [0.0]
    assert keyframe_times(12.0, 6.0) == [0.0, 6.0]
    assert keyframe_times(13.0, 6.0) == [0.0, 6.0, 12.0]


# --- the budget ------------------------------------------------------------------------------------

LADDER_1080P = [0.0973, 0.2304, 0.41, 0.9216, 2.0736]


def workload(duration: float, preset: str = "fast") -> Workload:
    sample = sample_seconds(duration)
    return Workload(
        trial_sizes=[2.0736, 0.9216, 0.41, 0.2304],
        ladder_sizes=LADDER_1080P,
        source_size=2.0736,
        title_frames=duration * 25,
        sample_frames=sample * 25,
        probe_frames=0.0 if duration < 60 else sample * 25,
        compared_frames=min(60.0, sample * 2.5),
        preset=preset,
        capped_trials=1,
    )


def test_a_long_title_affords_every_trial_and_a_short_one_the_fewest() -> None:
    assert choose_schedule(workload(3600.0))[0].name == "full"
    assert choose_schedule(workload(30.0))[0].name == "lean"
    names = [s.name for s in SCHEDULES]
    picks = [names.index(choose_schedule(workload(d))[0].name) for d in (30, 120, 300, 900, 3600)]
    assert picks == sorted(picks, reverse=True)  # never fewer trials for a longer title


def test_estimates_grow_with_the_work() -> None:
    work = workload(600.0)
    costs = [analysis_estimate(work, s) for s in SCHEDULES]
    assert costs == sorted(costs, reverse=True)
    assert encode_estimate(workload(600.0, "slow")) > encode_estimate(work)
    schedule, estimate, encode = choose_schedule(work)
    assert estimate <= 0.4 * encode or schedule is SCHEDULES[-1]


# --- CRFs and commands ------------------------------------------------------------------------------


def test_trial_crfs() -> None:
    assert top_crfs(2) == [22.0, 28.0]
    assert crfs_around(23.2, 1) == [25.0]
    assert crfs_around(23.2, 1, second=True) == [20.5]
    assert crfs_around(23.0, 3) == [19.0, 24.0, 29.0]
    assert crfs_around(44.0, 2) == [40.0, 45.0]  # within the CRF range


def test_subsample_compares_about_two_frames_a_second() -> None:
    short = SampleFile(Path("s.mkv"), (1920, 1080), (2.0, 2.0, 2.0), 25.0)
    long = SampleFile(Path("s.mkv"), (1920, 1080), (40.0 / 6,) * 6, 60.0)
    assert subsample_for(short) == 12
    assert subsample_for(long) == 40  # 2400 frames: at most 60 compared


def test_trial_command_decodes_once_and_encodes_every_spec_with_the_encode_rules() -> None:
    sample = SampleFile(Path("/t/sample.mkv"), (1920, 1080), (2.0, 2.0, 2.0), 25.0)
    specs = [
        TrialSpec(1920, 1080, 22.0, "high", "4.0"),
        TrialSpec(1920, 1080, 28.0, "high", "4.0"),
        TrialSpec(854, 480, 25.5, "main", "3.1"),
        TrialSpec(416, 234, 23.0, "main", "3.0", maxrate_kbps=84, bufsize_kbps=84),
    ]
    outputs = [Path(f"/t/o{i}.mkv") for i in range(4)]
    rules = EncodeRules(preset="fast", gop=151, keyframes=(0.0, 6.0))
    cmd = trial_command("ffmpeg", sample, specs, outputs, rules=rules, progress=Path("/t/p"))
    assert cmd[:10] == ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                        "-progress", "/t/p", "-nostats", "-i"]  # fmt: skip
    assert cmd.count("-i") == 1
    graph = cmd[cmd.index("-filter_complex") + 1]
    assert graph == (
        "[0:v]split=3[g0][g1][g2];[g0]setsar=1,split=2[o0][o1];"
        "[g1]scale=854:480:flags=bicubic,setsar=1[o2];[g2]scale=416:234:flags=bicubic,setsar=1[o3]"
    )
    third = cmd[cmd.index("[o2]") - 1 : cmd.index("/t/o2.mkv") + 1]
    assert third == [
        "-map", "[o2]", "-an", "-sn", "-c:v", "libx264", "-preset", "fast", "-crf", "25.5",
        "-profile:v", "main", "-level:v", "3.1", "-g", "151", "-keyint_min", "151", "-sc_threshold", "0",
        "-force_key_frames", "0.000,6.000", "-x264-params", "open-gop=0", "/t/o2.mkv",
    ]  # fmt: skip
    fourth = cmd[cmd.index("[o3]") :]
    assert fourth[fourth.index("-maxrate") : fourth.index("-maxrate") + 4] == [
        "-maxrate",
        "84k",
        "-bufsize",
        "84k",
    ]
    assert "-maxrate" not in third


def test_sample_and_probe_commands() -> None:
    excerpts = [Window(10.0, 2.0), Window(50.5, 2.0)]
    cmd = sample_command("ffmpeg", Path("/s.mp4"), excerpts, chain="fps=25,format=yuv420p", size=(1280, 720),
                         out=Path("/t/sample.mkv"))  # fmt: skip
    assert cmd[6:16] == ["-ss", "10.000", "-t", "2.000", "-i", "/s.mp4", "-ss", "50.500", "-t", "2.000"]
    assert cmd[cmd.index("-filter_complex") + 1] == (
        "[0:v:0]fps=25,format=yuv420p,scale=1280:720:flags=bicubic,setsar=1[e0];"
        "[1:v:0]fps=25,format=yuv420p,scale=1280:720:flags=bicubic,setsar=1[e1];"
        "[e0][e1]concat=n=2:v=1:a=0,format=yuv420p[sample]"
    )
    assert cmd[-7:] == ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "/t/sample.mkv"]
    raw = sample_command("ffmpeg", Path("/s.mp4"), excerpts, chain="", size=(1280, 720), out=Path("/t/s.nut"),
                         raw=True)  # fmt: skip
    assert raw[-5:] == ["-c:v", "rawvideo", "-f", "nut", "/t/s.nut"]
    assert raw_sample_fits((1920, 1080), 150) and not raw_sample_fits((3840, 2160), 150)
    probe = probe_command("ffmpeg", Path("/s.mp4"), excerpts, [Path("/t/p0.mkv"), Path("/t/p1.mkv")])
    assert probe.count("-skip_frame") == 2 and probe.count("-i") == 2
    assert probe[-1] == "/t/p1.mkv"
