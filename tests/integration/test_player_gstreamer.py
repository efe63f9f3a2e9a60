"""A produced HLS package plays in GStreamer: ``gst-launch-1.0 playbin`` over HTTP, with its HLS demuxer.

The package is made by the app's own pipeline from a ladder of three rungs (144p/240p/360p) of a 6 s
640x360 testsrc2 clip with 2 s segments; the variants are read from its master. GStreamer must play the
master to its end in real time (adapting between variants as it likes), play every variant playlist to its
end at that variant's picture size, and, with playbin's connection speed pinned, play the master on its
lowest and on its highest variant. Each run decodes into fake sinks; sizes, frames and audio come from
``-v`` (see ``hlsplayer.gst_play``). The harness is also shown to report breakage.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import m3u8
import pytest

from tests.integration.hlsplayer import (
    GstPlayback,
    MasterVariant,
    PackageServer,
    build_package,
    gst_play,
    master_variants,
    playlist_duration,
    require_gstreamer,
)
from tests.mediasamples import MediaSet

pytestmark = [pytest.mark.player, pytest.mark.slow]

SEGMENT_SECONDS = 2
FPS = 25
# (name, height, video kbps) of the ladder asked for
RUNGS = (("144p", 144, 200), ("240p", 240, 400), ("360p", 360, 800))
TIMEOUT = 60.0
# slack on what a run must cover: its video from first to last frame, and the frames counted (the
# count comes from the sink's notifications, which a fast run can miss a few of)
SPAN_SLACK_S = 0.5
FRAMES_SHARE = 0.8


@pytest.fixture(scope="module", autouse=True)
def _gstreamer_parts() -> None:
    """Skip (or, under CI, fail) before any encoding when gst-launch-1.0 or an element it needs is absent."""
    require_gstreamer()


@pytest.fixture(scope="module")
def package_dir(media: MediaSet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package under test, served as /pkg/."""
    source = media.clip(width=640, height=360, fps=FPS, duration=6.0, pattern="testsrc2")
    out_dir = tmp_path_factory.mktemp("gstreamer") / "package"
    return build_package(source, out_dir, RUNGS, segment_seconds=SEGMENT_SECONDS).parent


@pytest.fixture(scope="module")
def variants(package_dir: Path) -> list[MasterVariant]:
    found = master_variants(package_dir / "master.m3u8")
    assert {h for _, h, _ in RUNGS} <= {v.height for v in found}, found
    return found


@pytest.fixture(scope="module")
def server(package_dir: Path) -> Iterator[PackageServer]:
    with PackageServer(package_dir) as srv:
        yield srv


def coverage_problems(
    run: GstPlayback, duration: float, frame_rate: float | None, *, audio: bool = True
) -> list[str]:
    """What is missing for ``run`` to have played ``duration`` s of video (and some audio when
    ``audio``: a variant playlist alone is picture only, its sound is in the audio renditions)."""
    problems = []
    if run.video_span < duration - SPAN_SLACK_S:
        problems.append(f"video covers {run.video_span:.2f} s of {duration:.2f} s")
    expected = duration * (frame_rate or FPS)
    if run.video_frames < FRAMES_SHARE * expected:
        problems.append(f"{run.video_frames} video frames of about {expected:.0f}")
    if audio and not run.audio_buffers:
        problems.append("no audio reached the audio sink")
    return problems


def test_master_plays_to_the_end_in_real_time(
    package_dir: Path, variants: list[MasterVariant], server: PackageServer
) -> None:
    duration = max(playlist_duration(package_dir / v.uri) for v in variants)

    run = gst_play(server.package_url("master.m3u8"), sync=True, timeout=TIMEOUT)

    assert run.ok, run.describe()
    assert run.video_sizes and set(run.video_sizes) <= {v.size for v in variants}, run.describe()
    assert not coverage_problems(run, duration, variants[0].frame_rate), (
        f"{coverage_problems(run, duration, variants[0].frame_rate)}\n{run.describe()}"
    )
    assert run.elapsed >= duration - 1.0, f"not in real time:\n{run.describe()}"


def test_every_variant_plays_to_the_end_at_its_size(
    package_dir: Path, variants: list[MasterVariant], server: PackageServer
) -> None:
    failures = []
    for variant in variants:
        run = gst_play(server.package_url(variant.uri), sync=False, timeout=TIMEOUT)
        expected_sizes = (variant.size,) if variant.height else ()
        problems = [] if run.ok else ["did not play to the end"]
        if run.video_sizes != expected_sizes:
            problems.append(f"picture sizes {run.video_sizes}, expected {expected_sizes}")
        if variant.height:
            duration = playlist_duration(package_dir / variant.uri)
            problems += coverage_problems(run, duration, variant.frame_rate, audio=False)
        if problems:
            failures.append(f"{variant.uri}: {'; '.join(problems)}\n{run.describe()}")
    assert not failures, "\n\n".join(failures)


def test_every_audio_rendition_plays_to_the_end(package_dir: Path, server: PackageServer) -> None:
    renditions = [m.uri for m in m3u8.load(str(package_dir / "master.m3u8")).media if m.type == "AUDIO"]
    assert renditions  # the sound is demuxed: one rendition per audio rate here
    for uri in renditions:
        run = gst_play(server.package_url(uri), sync=False, timeout=TIMEOUT)
        assert run.ok and run.audio_buffers and not run.video_frames, f"{uri}\n{run.describe()}"


def test_master_with_the_connection_speed_pinned_plays_the_lowest_and_the_highest_variant(
    package_dir: Path, variants: list[MasterVariant], server: PackageServer
) -> None:
    lowest = min(variants, key=lambda v: v.bandwidth)
    highest = max(variants, key=lambda v: v.bandwidth)
    # 1 kbps: no variant fits, the demuxer takes the lowest; 10x the top BANDWIDTH: the highest fits
    for variant, kbps in ((lowest, 1), (highest, 10 * highest.bandwidth // 1000)):
        run = gst_play(
            server.package_url("master.m3u8"), sync=False, connection_speed_kbps=kbps, timeout=TIMEOUT
        )
        assert run.ok, run.describe()
        expected_sizes = (variant.size,) if variant.height else ()
        assert run.video_sizes == expected_sizes, f"{variant.uri} expected:\n{run.describe()}"
        if variant.height:
            duration = playlist_duration(package_dir / variant.uri)
            problems = coverage_problems(run, duration, variant.frame_rate)
            assert not problems, f"{variant.uri}: {problems}\n{run.describe()}"


def test_harness_reports_a_missing_playlist(server: PackageServer) -> None:
    run = gst_play(server.package_url("no-such-master.m3u8"), sync=False, timeout=TIMEOUT)

    assert not run.ok and not run.eos, run.describe()
    assert any(p.startswith("ERROR") for p in run.problems), run.describe()
    assert run.video_frames == 0 and not run.video_sizes, run.describe()
