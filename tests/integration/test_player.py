"""A produced HLS package plays in a real browser: hls.js in headless Chromium.

The package is made by the app's own pipeline: three rungs (180p/360p/540p) of a 12 s 960x540 testsrc2
clip with 2 s segments. The page must parse the master, list every variant, play, and follow forced
switches to the lowest and the highest level (LEVEL_SWITCHED, then the decoded picture size). The harness
is also shown to report breakage.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import m3u8
import pytest

from hlsstudio.core.models import EncodeSettings, Ladder, Rung
from hlsstudio.core.pipeline import transcode
from hlsstudio.core.toolchain import locate_toolchain
from tests.integration.hlsplayer import (
    Browser,
    Level,
    PackageServer,
    PlayerPage,
    play_package,
    require_player,
)
from tests.mediasamples import MediaSet

pytestmark = pytest.mark.player

SEGMENT_SECONDS = 2
# (name, height, video kbps): rising bitrates, so hls.js (which sorts levels by bitrate) keeps this order
RUNGS = (("180p", 180, 300), ("360p", 360, 800), ("540p", 540, 1500))
WAIT = 30.0


@pytest.fixture(scope="module", autouse=True)
def _player_parts() -> None:
    """Skip (or, under CI, fail) before any encoding when Chromium, ChromeDriver or hls.js is absent."""
    require_player()


@pytest.fixture(scope="module")
def packages_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder served at /pkg/: one sub-folder per package."""
    return tmp_path_factory.mktemp("packages")


def build_package(source: Path, out_dir: Path) -> Path:
    """Turn ``source`` into a 3-rung package at ``out_dir`` with the app's pipeline; returns the master."""
    ladder = Ladder(
        rungs=[Rung(name=name, height=h, video_kbps=kbps, audio_kbps=64) for name, h, kbps in RUNGS]
    )
    settings = EncodeSettings(segment_duration=SEGMENT_SECONDS, preset="ultrafast")
    result = transcode(source, out_dir, ladder=ladder, settings=settings, toolchain=locate_toolchain())
    assert result.status == "completed", result.error
    return out_dir / "master.m3u8"


@pytest.fixture(scope="module")
def package_dir(media: MediaSet, packages_root: Path) -> Path:
    """The package under test, served as /pkg/good/."""
    source = media.clip(width=960, height=540, fps=25, duration=12.0, pattern="testsrc2")
    master = build_package(source, packages_root / "good")
    assert master.is_file(), f"no master playlist at {master}"
    return master.parent


@pytest.fixture(scope="module")
def server(packages_root: Path) -> Iterator[PackageServer]:
    with PackageServer(packages_root) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as b:
        yield b


def master_heights(master: Path) -> list[int]:
    """Heights of every EXT-X-STREAM-INF of the master, as written in RESOLUTION."""
    playlist = m3u8.load(str(master))
    return [p.stream_info.resolution[1] for p in playlist.playlists]


def segments_served(server: PackageServer, level: Level) -> list[str]:
    """Segments of ``level`` (named after its playlist: stream_540p.m3u8 -> stream_540p_NNN.ts) served 200."""
    prefix = Path(urlsplit(level.uri).path).stem + "_"
    return [p for p, status in server.requests if status == 200 and Path(p).name.startswith(prefix)]


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
    heights = master_heights(package_dir / "master.m3u8")
    assert sorted(heights) == [h for _, h, _ in RUNGS]
    top = len(heights) - 1
    page = browser.open(server.player_url(server.package_url("good/master.m3u8"), start_level=top))

    report = page.wait_for(lambda r: r.manifest_parsed, "MANIFEST_PARSED", timeout=WAIT)
    assert [level.height for level in report.levels] == sorted(heights), report.describe()
    levels = report.levels

    started = page.wait_for(
        lambda r: r.current_time > 2.0 and not r.paused, "playback past 2 s", timeout=WAIT
    )
    force_and_observe(page, 0, levels[0])
    force_and_observe(page, top, levels[top])
    page.wait_for(lambda r: r.current_time > started.current_time + 1.0, "playback going on", timeout=WAIT)

    final = page.report()
    assert not final.broken, final.describe()
    assert segments_served(server, levels[0]), "no segment of the lowest level was fetched"
    assert segments_served(server, levels[top]), "no segment of the highest level was fetched"


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
