"""A package's audio languages and subtitle tracks play in hls.js and in Shaka Player.

One package, made once by the app's own pipeline from a 12 s 320x180 MP4 clip with two audio tracks
(English 440 Hz, French 660 Hz, English the default), an embedded English subtitle track (mov_text,
"Hello", 0-2 s) and ``film.sw.srt`` beside it, written in cp1252 (one cue, 4.000-8.000 s, with an
"é"). The ladder has two rungs with different audio rates, so the master has two audio groups
(``audio-40k``, ``audio-96k``), each with both languages, and the subtitle group with English and
Kiswahili.

Each player must list both audio languages by name, English the default; switching to French must
reach the player, make it fetch the French rendition's segments (``audio_a1-…``) and play on. hls.js
must keep French when it moves to the rung of the other audio group. Both subtitle tracks are listed,
none shown until one is chosen; the chosen track shows its cue's text, the accented character
decoded, while the paused video sits just inside the cue, and nothing just before or after it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.integration.hlsplayer import (
    HLS_JS,
    SHAKA,
    AudioTrack,
    Browser,
    BrowserPlayer,
    PackageServer,
    PlayerPage,
    PlayerReport,
    SubtitleTrack,
    build_package,
    require_player,
)
from tests.mediasamples import MediaSet

pytestmark = [pytest.mark.player, pytest.mark.slow]

PACKAGE = "tracks"
# (name, height, video kbps, audio kbps): two audio rates, so two audio groups
RUNGS = (("144p", 144, 150, 40), ("180p", 180, 300, 96))
LOW_RUNG_GROUP = "audio-40k"
LOW_RUNG_FRENCH = "audio_a1-40k_"  # segment names of the French rendition of that group
AUDIO = [("English", "en"), ("Français", "fr")]
SUBTITLES = [("English", "en"), ("Kiswahili", "sw")]
FRENCH_AUDIO = "audio_a1-"  # segment names of the French renditions (the source's second audio track)
MARGIN = 0.2  # seconds inside and outside a cue the paused video is moved to
SIDE_CUE = "Habari za asubuhi, café"  # 4.000-8.000 s
SIDE_SRT = f"1\r\n00:00:04,000 --> 00:00:08,000\r\n{SIDE_CUE}\r\n"
SIDE_INSIDE, SIDE_OUTSIDE = (4.0 + MARGIN, 8.0 - MARGIN), (4.0 - MARGIN, 8.0 + MARGIN)
EMBEDDED_CUE = "Hello"  # 0-2 s: what tests.mediagen writes for subtitle_language
EMBEDDED_INSIDE, EMBEDDED_OUTSIDE = (1.0,), (2.0 + MARGIN,)
WAIT = 20.0
SETTLE = 0.5  # seconds the page gets to update its active cues after a seek
# Shaka buffers only this far ahead, as it does through a long film: see the bufferingGoal note in
# tests/player/shaka.html (a text track chosen once the whole clip is buffered gets no cues)
SHAKA_TEXT_OPTIONS: dict[str, str | float] = {"bufferingGoal": 2}
SHAKA_TEXT_AFTER = 2.5  # seconds played before the text track is chosen


@pytest.fixture(scope="module", autouse=True)
def _player_parts() -> None:
    """Skip (or, under CI, fail) before any encoding when Chromium, ChromeDriver or a player is absent."""
    require_player(HLS_JS)
    require_player(SHAKA)


@pytest.fixture(scope="module")
def packages_root(media: MediaSet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder served at /pkg/, holding the package ``tracks/`` made from film.mp4 and film.sw.srt."""
    clip = media.clip(
        width=320,
        height=180,
        fps=25,
        duration=12.0,
        audio_tracks=2,
        audio_languages=("eng", "fre"),
        subtitle_language="eng",
    )
    sources = tmp_path_factory.mktemp("source")
    source = sources / "film.mp4"
    shutil.copyfile(clip, source)  # shared: a copy
    (sources / "film.sw.srt").write_bytes(SIDE_SRT.encode("cp1252"))
    root = tmp_path_factory.mktemp("packages")
    build_package(source, root / PACKAGE, RUNGS, segment_seconds=2.0)
    return root


@pytest.fixture(scope="module")
def server(packages_root: Path) -> Iterator[PackageServer]:
    with PackageServer(packages_root) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as b:
        yield b


def open_page(
    server: PackageServer,
    browser: Browser,
    player: BrowserPlayer,
    *,
    start_level: int | None = None,
    options: dict[str, str | float] | None = None,
) -> PlayerPage:
    url = server.player_url(
        server.package_url(f"{PACKAGE}/master.m3u8"), start_level=start_level, player=player, options=options
    )
    return browser.open(url)


def names(tracks: Sequence[AudioTrack | SubtitleTrack]) -> list[tuple[str, str | None]]:
    return [(t.name, t.lang) for t in tracks]


def index_of(tracks: Sequence[AudioTrack | SubtitleTrack], lang: str) -> int:
    found = [i for i, t in enumerate(tracks) if t.lang == lang]
    assert len(found) == 1, f"{len(found)} tracks in {lang!r}: {list(tracks)}"
    return found[0]


def segments_since(server: PackageServer, start: int, prefix: str) -> list[str]:
    """Names of the segments starting with ``prefix`` requested after the first ``start`` requests."""
    files = [path.rsplit("/", 1)[-1] for path, _ in server.requests[start:]]
    return [f for f in files if f.startswith(prefix) and f.endswith(".ts")]


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


def listed_and_playing(page: PlayerPage) -> PlayerReport:
    """Wait until the page lists both audio and both subtitle tracks and playback has started."""
    return page.wait_for(
        lambda r: (
            len(r.audio_tracks) == len(AUDIO)
            and len(r.subtitle_tracks) == len(SUBTITLES)
            and r.current_time > 0.3
            and not r.paused
        ),
        "the audio and subtitle tracks, and playback",
        timeout=WAIT,
    )


def assert_default_audio_is_english(report: PlayerReport) -> None:
    assert names(report.audio_tracks) == AUDIO, report.describe()
    assert [t.default for t in report.audio_tracks] == [True, False], report.describe()
    assert report.audio_tracks[report.audio_track].lang == "en", report.describe()


def switch_to_french(page: PlayerPage, server: PackageServer) -> PlayerReport:
    """Switch the audio to French; wait for the switch, a French segment, and more playback."""
    french = index_of(page.report().audio_tracks, "fr")
    requests_before = len(server.requests)
    before = page.select_audio_track(french)
    switched = page.wait_for(
        lambda r: french in r.audio_switched[before:] and r.audio_track == french,
        "the switch to French audio",
        timeout=WAIT,
    )
    page.wait_for(
        lambda r: bool(segments_since(server, requests_before, FRENCH_AUDIO)),
        "a French audio segment requested",
        timeout=WAIT,
    )
    played = page.wait_for(
        lambda r: r.current_time >= switched.current_time + 1.0 and not r.paused,
        "playback going on in French",
        timeout=WAIT,
    )
    assert played.audio_tracks[played.audio_track].name == "Français", played.describe()
    return played


def show_cue(
    page: PlayerPage, lang: str, text: str, inside: Sequence[float], outside: Sequence[float]
) -> None:
    """Choose the subtitle track in ``lang`` while playing, wait for its cues to load, pause: ``text``
    alone is on screen at each time of ``inside``, and nothing at each time of ``outside``."""
    index = index_of(page.report().subtitle_tracks, lang)
    label = page.report().subtitle_tracks[index].name
    before = page.select_subtitle_track(index)
    page.wait_for(
        lambda r: index in r.subtitle_switched[before:] and r.subtitle_track == index,
        f"the switch to subtitle track {index} ({lang})",
        timeout=WAIT,
    )
    page.wait_for(
        lambda r: any(
            t.cues for t in r.text_tracks if (t.label, t.language, t.mode) == (label, lang, "showing")
        ),
        f"cues loaded into the showing {label} text track",
        timeout=WAIT,
    )
    page.pause()
    for seconds in inside:
        report = showing_at(page, seconds, text)
        showing = [(t.label, t.language) for t in report.text_tracks if t.mode == "showing"]
        assert showing == [(label, lang)], report.describe()
    for seconds in outside:
        nothing_at(page, seconds)


# ---------------------------------------------------------------------------------------------------------
# hls.js


def test_hlsjs_lists_both_languages_and_switches_to_french(server: PackageServer, browser: Browser) -> None:
    page = open_page(server, browser, HLS_JS, start_level=1)

    report = listed_and_playing(page)
    assert_default_audio_is_english(report)
    switch_to_french(page, server)

    # the low rung names the other audio group: hls.js must find French there too
    group_before = len(server.requests)
    page.force_level(0)
    moved = page.wait_for(
        lambda r: bool(segments_since(server, group_before, LOW_RUNG_FRENCH)),
        f"a French segment of {LOW_RUNG_GROUP} requested",
        timeout=WAIT,
    )
    assert moved.audio_tracks[moved.audio_track].lang == "fr", moved.describe()
    assert {t.group for t in moved.audio_tracks} == {LOW_RUNG_GROUP}, moved.describe()
    english = segments_since(server, group_before, "audio_a0-")
    assert not english, f"English audio fetched after the rung change: {english}\n{moved.describe()}"
    assert not page.report().broken, page.report().describe()


def test_hlsjs_lists_both_subtitle_tracks_and_shows_the_side_file_cue(
    server: PackageServer, browser: Browser
) -> None:
    page = open_page(server, browser, HLS_JS)

    report = listed_and_playing(page)
    assert names(report.subtitle_tracks) == SUBTITLES, report.describe()
    assert report.active_cues == () and report.subtitle_track == -1, report.describe()

    show_cue(page, "en", EMBEDDED_CUE, EMBEDDED_INSIDE, EMBEDDED_OUTSIDE)
    show_cue(page, "sw", SIDE_CUE, SIDE_INSIDE, SIDE_OUTSIDE)

    final = page.report()
    assert final.subtitle_fragments > 0, final.describe()
    assert not final.broken, final.describe()


# ---------------------------------------------------------------------------------------------------------
# Shaka Player


def test_shaka_lists_both_languages_and_switches_to_french(server: PackageServer, browser: Browser) -> None:
    page = open_page(server, browser, SHAKA)

    report = listed_and_playing(page)
    assert_default_audio_is_english(report)
    final = switch_to_french(page, server)
    assert not final.broken, final.describe()


def test_shaka_lists_both_text_tracks_and_shows_the_side_file_cue(
    server: PackageServer, browser: Browser
) -> None:
    page = open_page(server, browser, SHAKA, options=SHAKA_TEXT_OPTIONS)

    report = listed_and_playing(page)
    assert names(report.subtitle_tracks) == SUBTITLES, report.describe()
    assert report.active_cues == () and report.subtitle_track == -1, report.describe()
    # subtitles turned on mid-playback, past the start-up buffering (see SHAKA_TEXT_OPTIONS)
    page.wait_for(lambda r: r.current_time >= SHAKA_TEXT_AFTER, "playback past start-up", timeout=WAIT)

    show_cue(page, "sw", SIDE_CUE, SIDE_INSIDE, SIDE_OUTSIDE)

    final = page.report()
    assert final.subtitle_fragments > 0, final.describe()
    assert not final.broken, final.describe()
