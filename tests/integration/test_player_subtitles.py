"""A package's subtitles play in hls.js: the track a side file gave is listed, and shows its cue.

The package is made by the app's own pipeline from a 12 s 320x180 clip with ``film.fr.srt`` beside it
(one cue, 4.000-8.000 s, over two 2 s segments). hls.js must list one subtitle track, French and named
"Français"; once it is selected the video's text track shows the cue's text, once, while the paused
video sits just inside the cue, and nothing just before or just after it: the X-TIMESTAMP-MAP of the
WebVTT segments puts the cue where the source file has it, to within a few hundredths of a second.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.hlsplayer import (
    HLS_JS,
    Browser,
    PackageServer,
    PlayerPage,
    PlayerReport,
    build_package,
    require_player,
)
from tests.mediasamples import MediaSet

pytestmark = [pytest.mark.player, pytest.mark.slow]

CUE = (4.0, 8.0, "Bonjour à tous")
SRT = "1\n00:00:04,000 --> 00:00:08,000\nBonjour à tous\n"
MARGIN = 0.2  # seconds inside and outside the cue the paused video is moved to
WAIT = 20.0
SETTLE = 0.5  # seconds the page gets to update its active cues after a seek


@pytest.fixture(scope="module", autouse=True)
def _player_parts() -> None:
    """Skip (or, under CI, fail) before any encoding when Chromium, ChromeDriver or hls.js is absent."""
    require_player(HLS_JS)


@pytest.fixture(scope="module")
def packages_root(media: MediaSet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder served at /pkg/, holding the package ``subs/`` made from film.mp4 and film.fr.srt."""
    sources = tmp_path_factory.mktemp("source")
    source = sources / "film.mp4"
    shutil.copyfile(media.clip(width=320, height=180, fps=25, duration=12.0), source)  # shared: a copy
    (sources / "film.fr.srt").write_text(SRT, encoding="utf-8")
    root = tmp_path_factory.mktemp("packages")
    build_package(source, root / "subs", (("144p", 144, 150), ("180p", 180, 300)), segment_seconds=2.0)
    return root


@pytest.fixture(scope="module")
def server(packages_root: Path) -> Iterator[PackageServer]:
    with PackageServer(packages_root) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as b:
        yield b


def move_to(page: PlayerPage, seconds: float) -> PlayerReport:
    """Move the paused video to ``seconds``; the report once it is there."""
    page.seek(seconds)
    return page.wait_for(
        lambda r: abs(r.current_time - seconds) < 0.01 and r.paused,
        f"the video paused at {seconds} s",
        timeout=WAIT,
    )


def showing_at(page: PlayerPage, seconds: float, text: str) -> PlayerReport:
    """Move the paused video to ``seconds`` and wait until ``text`` is the one cue on screen."""
    move_to(page, seconds)
    return page.wait_for(
        lambda r: r.active_cues == (text,) and abs(r.current_time - seconds) < 0.01,
        f"cue {text!r} alone on screen at {seconds} s",
        timeout=WAIT,
    )


def nothing_at(page: PlayerPage, seconds: float) -> PlayerReport:
    """Move the paused video to ``seconds``, let the page settle, and assert no cue is on screen."""
    move_to(page, seconds)
    time.sleep(SETTLE)
    report = page.report()
    assert abs(report.current_time - seconds) < 0.01, report.describe()
    assert report.active_cues == (), f"a cue on screen at {seconds} s:\n{report.describe()}"
    return report


def test_the_side_file_track_is_listed_and_shows_its_cue(server: PackageServer, browser: Browser) -> None:
    page = browser.open(server.player_url(server.package_url("subs/master.m3u8")))

    report = page.wait_for(lambda r: bool(r.subtitle_tracks), "the subtitle tracks", timeout=WAIT)
    assert [(t.name, t.lang) for t in report.subtitle_tracks] == [("Français", "fr")], report.describe()
    page.wait_for(lambda r: r.current_time > 0.5 and not r.paused, "playback", timeout=WAIT)
    assert report.active_cues == ()  # no subtitles until one is chosen (the track is not DEFAULT)

    before = page.select_subtitle_track(0)
    page.wait_for(
        lambda r: 0 in r.subtitle_switched[before:] and r.subtitle_track == 0,
        "SUBTITLE_TRACK_SWITCH to track 0",
        timeout=WAIT,
    )
    page.pause()
    start, end, text = CUE

    inside = showing_at(page, start + MARGIN, text)
    showing = [(t.label, t.language) for t in inside.text_tracks if t.mode == "showing"]
    assert showing == [("Français", "fr")], inside.describe()
    showing_at(page, end - MARGIN, text)
    nothing_at(page, start - MARGIN)
    nothing_at(page, end + MARGIN)

    final = page.report()
    assert final.subtitle_fragments > 0, final.describe()
    assert not final.broken, final.describe()
