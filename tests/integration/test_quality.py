"""Measured quality in real jobs: every rung of a finished package gets its VMAF, from the very source
frames the encode was given.

The source is a 16 s 640x360 clip in Matroska whose video starts 23 ms after its sound (so the
encode's frame-rate step repeats a first frame: a measurement off by one frame would score far lower).
Two rungs: 180p at 90 kb/s (starved) and 360p at 1500 kb/s (generous). Also: SSIM stands in where the
FFmpeg has no libvmaf (the main one here), measuring can be turned off, and the CLI prints the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hlsstudio.core.command import normalise_chain
from hlsstudio.core.models import EncodeSettings, JobResult, Ladder, Rung
from hlsstudio.core.pipeline import transcode
from hlsstudio.core.planning import build_plan
from hlsstudio.core.probe import probe_file
from hlsstudio.core.quality.metric import QualityTool, find_quality_tool
from hlsstudio.core.quality.rungs import PackageToMeasure, measure_package
from hlsstudio.core.toolchain import Toolchain, locate_toolchain
from tests.mediagen import run_ffmpeg

LADDER = Ladder(
    rungs=[
        Rung(name="180p", height=180, video_kbps=90, audio_kbps=40),
        Rung(name="360p", height=360, video_kbps=1500, audio_kbps=96),
    ]
)
SETTINGS = EncodeSettings(segment_duration=4.0, preset="ultrafast", thumbnail_interval=5.0, stall_timeout=60)


@pytest.fixture(scope="module")
def toolchain() -> Toolchain:
    return locate_toolchain()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("src") / "film.mkv"
    run_ffmpeg([
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=16",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=16",
        "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "14",
        "-c:a", "aac", str(path),
    ])  # fmt: skip
    return path


@pytest.fixture(scope="module")
def package(source: Path, toolchain: Toolchain, tmp_path_factory: pytest.TempPathFactory) -> JobResult:
    result = transcode(
        source, tmp_path_factory.mktemp("out") / "pkg", ladder=LADDER, settings=SETTINGS, toolchain=toolchain
    )
    assert result.status == "completed", result.error
    return result


def test_every_rung_is_measured_and_the_generous_one_looks_right(package: JobResult) -> None:
    report = package.quality
    assert report is not None and report.problems == []
    assert report.metric == find_quality_tool(locate_toolchain().ffmpeg).metric == "vmaf"
    assert report.compared_at == "640x360"
    assert len(report.excerpts) == 3 and all(1.0 < duration <= 4.0 for _, duration in report.excerpts)
    low, high = report.rungs
    assert (low.rung, high.rung) == ("180p", "360p")
    assert high.mean >= 90.0, report  # the very frames the encode was given: off by one would be ~30
    assert low.mean < high.mean - 10.0
    assert low.phone_mean is not None and low.shown == low.phone_mean  # phone model up to 480p
    assert report.cpu_seconds > 0 and report.share_of_encode is not None and report.share_of_encode > 0


def test_ssim_stands_in_without_libvmaf(package: JobResult, source: Path, toolchain: Toolchain) -> None:
    assert package.output_dir is not None
    info = probe_file(toolchain.ffprobe, source)
    plan, _ = build_plan(
        info, LADDER, SETTINGS, toolchain.capabilities, out_dir=Path(package.output_dir), encoder="libx264"
    )
    ssim = QualityTool(ffmpeg=toolchain.ffmpeg, metric="ssim", note="SSIM: no FFmpeg with libvmaf")
    report = measure_package(
        PackageToMeasure(Path(package.output_dir), source, info.duration, plan.rungs, normalise_chain(plan)),
        ssim,
    )
    assert report.metric == "ssim" and [r.rung for r in report.rungs] == ["180p", "360p"]
    low, high = report.rungs
    assert 0.0 < low.mean < high.mean <= 1.0 and high.mean > 0.97


def test_measuring_can_be_turned_off(source: Path, toolchain: Toolchain, tmp_path: Path) -> None:
    settings = SETTINGS.model_copy(update={"measure_quality": False})
    result = transcode(source, tmp_path / "pkg", ladder=LADDER, settings=settings, toolchain=toolchain)
    assert result.status == "completed" and result.quality is None


def test_a_source_whose_picture_starts_after_zero_is_compared_frame_for_frame(
    toolchain: Toolchain, tmp_path: Path
) -> None:
    source = tmp_path / "late.mkv"  # B-frames in Matroska: the picture starts a frame's fraction in
    run_ffmpeg([
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=8",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=8",
        "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-crf", "14",
        "-c:a", "aac", str(source),
    ])  # fmt: skip
    info = probe_file(toolchain.ffprobe, source)
    assert info.video_delay > 0  # the encode repeats its first frame at 0
    result = transcode(source, tmp_path / "pkg", ladder=LADDER, settings=SETTINGS, toolchain=toolchain)
    assert result.status == "completed" and result.quality is not None, result.error
    high = result.quality.rungs[-1]
    assert high.rung == "360p" and high.mean >= 90.0, result.quality  # one frame off measured ~31
