"""A produced HLS package plays in a real browser: hls.js in headless Chromium.

The package is made by the app's own pipeline from a ladder of three rungs (180p/360p/540p) of a 12 s
960x540 testsrc2 clip with 2 s segments; the variants are read from its master (the app may add its own).
The page must parse the master, list every variant, play, and follow forced switches to the lowest and
the highest level (LEVEL_SWITCHED, then the decoded picture size). The harness is also shown to report
breakage. Shaka Player and GStreamer play packages in test_player_shaka.py and test_player_gstreamer.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.hlsplayer import (
    HLS_JS,
    Browser,
    Level,
    MasterVariant,
    PackageServer,
    PlayerPage,
    build_package,
    master_variants,
    play_package,
    playlist_segment_paths,
    require_player,
    same_levels,
    variant_of,
    video_extremes,
)
from tests.mediasamples import MediaSet

pytestmark = [pytest.mark.player, pytest.mark.slow]

SEGMENT_SECONDS = 6  # the default: 2 s first segments, then 6 s (fast start)
# the default package: the app's default ladder, as a 540p source gets it
DEFAULT_HEIGHTS = {234, 360, 480}
WAIT = 30.0


@pytest.fixture(scope="module", autouse=True)
def _player_parts() -> None:
    """Skip (or, under CI, fail) before any encoding when Chromium, ChromeDriver or hls.js is absent."""
    require_player(HLS_JS)


@pytest.fixture(scope="module")
def packages_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder served at /pkg/: one sub-folder per package."""
    return tmp_path_factory.mktemp("packages")


@pytest.fixture(scope="module")
def package_dir(media: MediaSet, packages_root: Path) -> Path:
    """The package under test, served as /pkg/good/."""
    source = media.clip(width=960, height=540, fps=25, duration=12.0, pattern="testsrc2")
    return build_package(source, packages_root / "good", (), segment_seconds=SEGMENT_SECONDS).parent


@pytest.fixture(scope="module")
def server(packages_root: Path) -> Iterator[PackageServer]:
    with PackageServer(packages_root) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as b:
        yield b


def segments_served(server: PackageServer, package_dir: Path, variant: MasterVariant) -> set[str]:
    """Segments of ``variant`` (as its playlist lists them) that the server answered with 200."""
    url = server.package_url(f"good/{variant.uri}")
    return playlist_segment_paths(url, package_dir / variant.uri) & server.served()


def force_and_observe(page: PlayerPage, index: int, level: Level) -> None:
    """``hls.currentLevel = index``; then LEVEL_SWITCHED to it, then frames of its size on screen."""
    before = page.force_level(index)
    page.wait_for(lambda r: index in r.switched[before:], f"LEVEL_SWITCHED to level {index}", timeout=WAIT)
    page.wait_for(
        lambda r: (r.video_width, r.video_height) == (level.width, level.height),
        f"video size {level.width}x{level.height} of level {index}",
        timeout=WAIT,
    )


def test_package_plays_every_level_and_follows_forced_switches(
    package_dir: Path, server: PackageServer, browser: Browser
) -> None:
    variants = master_variants(package_dir / "master.m3u8")
    assert {v.height for v in variants} == DEFAULT_HEIGHTS, variants
    assert variants[0].height == min(DEFAULT_HEIGHTS)  # the cellular rung first: fast start
    top = len(variants) - 1
    page = browser.open(server.player_url(server.package_url("good/master.m3u8"), start_level=top))

    report = page.wait_for(lambda r: r.manifest_parsed, "MANIFEST_PARSED", timeout=WAIT)
    assert same_levels(report.levels, variants), f"master: {variants}\n{report.describe()}"
    levels = report.levels
    lowest, highest = video_extremes(levels)

    started = page.wait_for(
        lambda r: r.current_time > 2.0 and not r.paused, "playback past 2 s", timeout=WAIT
    )
    force_and_observe(page, lowest, levels[lowest])
    force_and_observe(page, highest, levels[highest])
    page.wait_for(lambda r: r.current_time > started.current_time + 1.0, "playback going on", timeout=WAIT)

    final = page.report()
    assert not final.broken, final.describe()
    for index in (lowest, highest):
        variant = variant_of(levels[index], variants)
        assert segments_served(server, package_dir, variant), f"no segment of {variant.uri} was fetched"


def test_harness_reports_variant_playlists_missing(package_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(package_dir, broken)
    for variant in broken.glob("stream_*.m3u8"):
        variant.unlink()

    report = play_package(broken, timeout=WAIT)

    assert not report.ok, report.describe()
    assert report.current_time == 0, report.describe()
    assert any(e.fatal and e.details == "levelLoadError" and e.code == 404 for e in report.errors), (
        report.describe()
    )


def test_harness_reports_a_missing_master(package_dir: Path, server: PackageServer, browser: Browser) -> None:
    page = browser.open(server.player_url(server.package_url("good/no-such-master.m3u8")))

    report = page.wait_for(lambda r: r.broken, "a fatal error", timeout=WAIT, stop_when_broken=False)

    assert not report.manifest_parsed and not report.levels, report.describe()
    assert any(e.fatal and e.details == "manifestLoadError" and e.code == 404 for e in report.errors), (
        report.describe()
    )
