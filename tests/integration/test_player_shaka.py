"""A produced HLS package plays in Shaka Player (headless Chromium, the same harness as hls.js).

The package is made by the app's own pipeline from a ladder of three rungs (144p/240p/360p) of a 6 s
640x360 testsrc2 clip with 2 s segments; the variants are read from its master. Shaka Player must list a
variant track for every variant of the master, play, and, with ABR off, render frames of the lowest and
then of the highest level when ``selectVariantTrack(track, true)`` forces them, then play to the end.
The page is also shown to report breakage.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.hlsplayer import (
    SHAKA,
    Browser,
    Level,
    PackageServer,
    PlayerPage,
    build_package,
    master_variants,
    playlist_segment_paths,
    require_player,
    same_levels,
    variant_of,
    video_extremes,
)
from tests.mediasamples import MediaSet

pytestmark = [pytest.mark.player, pytest.mark.slow]

SEGMENT_SECONDS = 2
# (name, height, video kbps) of the ladder asked for
RUNGS = (("144p", 144, 200), ("240p", 240, 400), ("360p", 360, 800))
WAIT = 30.0


@pytest.fixture(scope="module", autouse=True)
def _player_parts() -> None:
    """Skip (or, under CI, fail) before any encoding when Chromium, ChromeDriver or Shaka is absent."""
    require_player(SHAKA)


@pytest.fixture(scope="module")
def package_dir(media: MediaSet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package under test, served as /pkg/."""
    source = media.clip(width=640, height=360, fps=25, duration=6.0, pattern="testsrc2")
    out_dir = tmp_path_factory.mktemp("shaka") / "package"
    return build_package(source, out_dir, RUNGS, segment_seconds=SEGMENT_SECONDS).parent


@pytest.fixture(scope="module")
def server(package_dir: Path) -> Iterator[PackageServer]:
    with PackageServer(package_dir) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as b:
        yield b


def force_and_observe(page: PlayerPage, index: int, level: Level) -> None:
    """ABR off, ``selectVariantTrack`` of level ``index``; then it is active and frames of its size show."""
    before = page.force_level(index)
    page.wait_for(lambda r: index in r.switched[before:], f"a switch to level {index}", timeout=WAIT)
    page.wait_for(
        lambda r: (r.video_width, r.video_height) == (level.width, level.height),
        f"video size {level.width}x{level.height} of level {index}",
        timeout=WAIT,
    )


def test_shaka_plays_every_level_and_follows_forced_switches(
    package_dir: Path, server: PackageServer, browser: Browser
) -> None:
    variants = master_variants(package_dir / "master.m3u8")
    assert {h for _, h, _ in RUNGS} <= {v.height for v in variants}, variants
    page = browser.open(server.player_url(server.package_url("master.m3u8"), player=SHAKA))

    report = page.wait_for(lambda r: r.manifest_parsed, "the master loaded", timeout=WAIT)
    assert report.supported, report.describe()
    assert same_levels(report.levels, variants), f"master: {variants}\n{report.describe()}"
    levels = report.levels
    lowest, highest = video_extremes(levels)

    page.wait_for(lambda r: r.current_time > 2.0 and not r.paused, "playback past 2 s", timeout=WAIT)
    force_and_observe(page, lowest, levels[lowest])
    force_and_observe(page, highest, levels[highest])
    final = page.wait_for(lambda r: r.ended, "the end of the video", timeout=WAIT)

    assert not final.broken and not final.errors, final.describe()
    assert final.current_level == highest, final.describe()
    served = server.served()
    for index in (lowest, highest):
        variant = variant_of(levels[index], variants)
        segments = playlist_segment_paths(server.package_url(variant.uri), package_dir / variant.uri)
        assert segments & served, f"no segment of {variant.uri} was fetched"


def test_shaka_page_reports_a_missing_master(server: PackageServer, browser: Browser) -> None:
    page = browser.open(server.player_url(server.package_url("no-such-master.m3u8"), player=SHAKA))

    report = page.wait_for(lambda r: r.broken, "a fatal error", timeout=WAIT, stop_when_broken=False)

    assert not report.manifest_parsed and not report.levels, report.describe()
    assert any(e.fatal and e.details == "BAD_HTTP_STATUS" and e.code == 404 for e in report.errors), (
        report.describe()
    )
