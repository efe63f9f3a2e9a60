"""Measured quality without running anything: where the stretches go, the command, reading scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from hlsstudio.core.models import QualityReport, RungQuality
from hlsstudio.core.quality.metric import (
    Excerpt,
    QualityError,
    QualityTool,
    Score,
    parse_ssim_output,
    parse_vmaf_log,
    quality_command,
)
from hlsstudio.core.quality.rungs import Stretch, plan_stretches
from hlsstudio.core.quality.words import quality_lines

VMAF = QualityTool(ffmpeg="/opt/vmaf-ffmpeg", metric="vmaf", note="VMAF (libvmaf in /opt/vmaf-ffmpeg)")


def test_a_short_title_is_measured_whole_a_long_one_at_three_segment_starts() -> None:
    assert plan_stretches([2.0, 2.0, 2.0, 4.0, 1.0]) == [Stretch(0, 4, 0.0, 11.0)]
    durations = [2.0, 2.0, 2.0, 4.0] + [6.0] * 15 + [3.0]
    stretches = plan_stretches(durations)
    total = sum(durations)
    assert [s.duration for s in stretches] == [4.0, 4.0, 4.0]
    starts = [s.start for s in stretches]
    assert starts == sorted(starts) and all(
        abs(start - share * total) <= 3.0 for start, share in zip(starts, (0.2, 0.5, 0.8), strict=True)
    )
    boundaries = {sum(durations[:i]) for i in range(len(durations))}
    assert set(starts) <= boundaries  # every stretch starts on a segment's first frame
    assert all(s.first == s.last for s in stretches)


def test_the_reference_is_prepared_on_the_encodes_timeline_and_trimmed_to_the_stretch() -> None:
    cmd = quality_command(
        VMAF, "concat:/p/a_007.ts", Path("/in/film.mkv"), (1280, 720), Path("/tmp/v.json"),
        distorted_at=Excerpt(0.0, 4.0), reference_at=Excerpt(42.0, 4.0),
        subsample=2, reference_chain="fps=25,format=yuv420p",
    )  # fmt: skip
    assert cmd[:5] == ["/opt/vmaf-ffmpeg", "-hide_banner", "-nostdin", "-copyts", "-start_at_zero"]
    assert cmd[5:9] == ["-t", "4.000", "-i", "concat:/p/a_007.ts"]
    assert cmd[9:13] == ["-ss", "39.000", "-i", "/in/film.mkv"]  # a little before, on a keyframe
    graph = cmd[cmd.index("-lavfi") + 1]
    assert "[1:v]fps=25,format=yuv420p,trim=start=42.000:duration=4.000,scale=1280:720" in graph
    assert "libvmaf=log_fmt=json:log_path=/tmp/v.json:n_threads=2:n_subsample=2:" in graph
    assert "name=phone\\\\:enable_transform=true" in graph
    ssim = quality_command(
        VMAF.model_copy(update={"metric": "ssim"}), Path("/a.ts"), Path("/b.mp4"), (640, 360), Path("/x")
    )
    assert ssim[ssim.index("-lavfi") + 1].endswith("[d][r]ssim")


def test_scores_are_read_from_the_vmaf_log_and_the_ssim_summary() -> None:
    frames = [{"metrics": {"vmaf": 90.0 + i, "phone": 95.0 + i / 2}} for i in range(20)]
    score = parse_vmaf_log({"frames": frames})
    assert (score.mean, score.p5, score.frames) == (99.5, 90.0, 20)
    assert score.phone_mean == pytest.approx(99.75) and score.phone_p5 == 95.0
    assert score.shown(360) == score.phone_mean and score.shown(720) == score.mean
    with pytest.raises(QualityError):
        parse_vmaf_log({"frames": []})
    ssim = parse_ssim_output("[Parsed_ssim_2 @ 0x1] SSIM Y:0.98 U:0.99 V:0.99 All:0.983100 (17.7)\n")
    assert (ssim.metric, ssim.mean) == ("ssim", 0.9831)
    with pytest.raises(QualityError):
        parse_ssim_output("nothing")


def test_the_report_in_words() -> None:
    report = QualityReport(
        metric="vmaf", note=VMAF.note, compared_at="1280x720", excerpts=[(10.0, 4.0), (30.0, 4.0)],
        rungs=[
            RungQuality(rung="360p", width=640, height=360, metric="vmaf", mean=80.0, p5=70.0,
                        phone_mean=90.0, phone_p5=85.0, shown=90.0),
            RungQuality(rung="720p", width=1280, height=720, metric="vmaf", mean=95.0, p5=91.0, shown=95.0),
        ],
        cpu_seconds=12.0, share_of_encode=0.08, problems=["1080p: quality not measured: no frames"],
    )  # fmt: skip
    assert quality_lines(report) == [
        "quality, VMAF (phone model up to 480p): "
        "360p 90.0 phone (5 % below 85.0) · 720p 95.0 (5 % below 91.0)",
        "  measured at 1280x720 on 2 excerpts of 4 s, 0.08× the encode's CPU",
        "  not measured: 1080p: quality not measured: no frames",
    ]
    assert Score(metric="ssim", mean=0.99, p5=0.99, frames=0).shown(240) == 0.99
