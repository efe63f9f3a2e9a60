"""Play an HLS package with real players and report what each saw.

Three players: hls.js and Shaka Player on a test page in headless Chromium (``tests/player/*.html``,
driven through selenium), and GStreamer's HLS demuxer through ``gst-launch-1.0 playbin``.

Pieces, each a context manager where it holds something:

* ``build_package`` makes a package with the app's own pipeline; ``master_variants`` reads the variants
  (``EXT-X-STREAM-INF``) of its master, the reference every player's level list is checked against.
* ``PackageServer``: a loopback static HTTP server. ``/pkg/...`` serves a package folder (or a folder of
  packages), ``/player/...`` serves ``tests/player`` (the test pages and their ``node_modules``). MIME types
  come from an explicit map: the ``mimetypes`` module reads ``/etc/mime.types``, which on Debian maps ``.ts``
  to a Qt Linguist type.
* ``Browser``: selenium Chrome on Debian's ``/usr/bin/chromium`` and ``/usr/bin/chromedriver``, with a fresh
  profile folder; closing it quits the driver and kills any Chromium process of that profile still alive.
* ``PlayerPage``: one loaded test page (``HLS_JS`` or ``SHAKA``: both pages keep the same state, see
  ``PlayerReport``); ``report()`` polls the page state, ``wait_for()`` polls until a condition holds,
  ``force_level(i)`` switches to level ``i`` (levels sorted by bitrate, as hls.js lists them) and keeps it.
  ``select_audio_track(i)`` switches to audio track ``i`` (hls.js: ``hls.audioTrack``; Shaka:
  ``selectAudioTrack``), ``select_subtitle_track(i)`` shows subtitle track ``i`` (hls.js:
  ``hls.subtitleTrack``; Shaka: ``selectTextTrack``); the report lists the audio tracks, the subtitle
  tracks and the video's text tracks with their active cues (both players render cues there).
  ``seek(t)`` moves the video, ``pause()`` pauses it.
* ``gst_play(uri)`` plays a master or a variant playlist with GStreamer to the end and returns a
  ``GstPlayback``: end of stream reached, errors, the decoded picture sizes, video frames and audio buffers.

``play_package(url_or_dir)`` puts the browser pieces together: load the master, wait until playback has
advanced (or a fatal error, or the timeout), return the ``PlayerReport``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode, urljoin, urlsplit

import m3u8
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PLAYER_DIR = Path(__file__).resolve().parent.parent / "player"
REPO_ROOT = PLAYER_DIR.parent.parent
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--window-size=1280,800",
)
MIME_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".aac": "audio/aac",
    ".vtt": "text/vtt",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".map": "application/json",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".jpg": "image/jpeg",
    ".png": "image/png",
}
LOOPBACK = "127.0.0.1"
PACKAGE_MOUNT = "/pkg/"
PLAYER_MOUNT = "/player/"
POLL_INTERVAL = 0.1


@dataclass(frozen=True)
class BrowserPlayer:
    """A player library and its test page under ``tests/player``."""

    name: str
    page: str
    script: Path  # the library file the page loads (installed by ``npm ci`` in tests/player)


HLS_JS = BrowserPlayer("hls.js", "player.html", PLAYER_DIR / "node_modules/hls.js/dist/hls.min.js")
SHAKA = BrowserPlayer(
    "Shaka Player", "shaka.html", PLAYER_DIR / "node_modules/shaka-player/dist/shaka-player.compiled.js"
)

GST_LAUNCH = "gst-launch-1.0"
GST_INSPECT = "gst-inspect-1.0"
# element -> the Debian package that has it: what ``playbin`` needs for HTTP HLS with MPEG-TS, H.264 and AAC
GST_ELEMENTS = {
    "playbin": "gstreamer1.0-plugins-base",
    "souphttpsrc": "gstreamer1.0-plugins-good",
    "aacparse": "gstreamer1.0-plugins-good",
    "hlsdemux": "gstreamer1.0-plugins-bad",
    "tsdemux": "gstreamer1.0-plugins-bad",
    "h264parse": "gstreamer1.0-plugins-bad",
    "avdec_h264": "gstreamer1.0-libav",
    "avdec_aac": "gstreamer1.0-libav",
    "fakesink": "libgstreamer1.0-0",
}


# ---------------------------------------------------------------------------------------------------------
# Availability


def missing_player_parts(player: BrowserPlayer = HLS_JS) -> list[str]:
    """What a browser player test needs and does not find here (empty: everything is present)."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (Debian package chromium)")
    if not os.access(CHROMEDRIVER, os.X_OK):
        missing.append(f"{CHROMEDRIVER} (Debian package chromium-driver)")
    if not player.script.is_file():
        missing.append(f"{player.script.relative_to(REPO_ROOT)} (npm ci in tests/player)")
    return missing


def missing_gstreamer_parts() -> list[str]:
    """What the GStreamer player test needs and does not find here (empty: everything is present)."""
    tools = [tool for tool in (GST_LAUNCH, GST_INSPECT) if shutil.which(tool) is None]
    if tools:
        return [f"{', '.join(tools)} (Debian package gstreamer1.0-tools)"]
    missing = []
    for element, package in GST_ELEMENTS.items():
        found = subprocess.run(
            [GST_INSPECT, "--exists", element], capture_output=True, timeout=120, check=False
        )
        if found.returncode != 0:
            missing.append(f"GStreamer element {element} (Debian package {package})")
    return missing


def _skip_or_fail(what: str, missing: list[str]) -> None:
    """Skip the calling test for ``missing`` parts; under CI (``CI`` set) fail instead."""
    if not missing:
        return
    reason = f"{what} needs " + ", ".join(missing) + " (scripts/setup.sh --test installs them)"
    if os.environ.get("CI"):
        pytest.fail(reason + "; CI is set, so this is a failure")
    pytest.skip(reason)


def require_player(player: BrowserPlayer = HLS_JS) -> None:
    """Skip the calling test when Chromium, ChromeDriver or the player library is absent; fail under CI."""
    _skip_or_fail(f"the {player.name} player test", missing_player_parts(player))


def require_gstreamer() -> None:
    """Skip the calling test when gst-launch-1.0 or an element it needs is absent; fail under CI."""
    _skip_or_fail("the GStreamer player test", missing_gstreamer_parts())


# ---------------------------------------------------------------------------------------------------------
# Package


@dataclass(frozen=True)
class MasterVariant:
    """One ``EXT-X-STREAM-INF`` of a master playlist (I-frame playlists are not variants)."""

    uri: str  # as written in the master (relative to it)
    bandwidth: int
    width: int  # 0 when the variant has no RESOLUTION (audio only)
    height: int
    frame_rate: float | None

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


def master_variants(master: Path) -> list[MasterVariant]:
    """The variants of the master playlist file ``master``, in the order it lists them."""
    variants = []
    for playlist in m3u8.load(str(master)).playlists:
        info = playlist.stream_info
        width, height = info.resolution or (0, 0)
        variants.append(MasterVariant(playlist.uri, int(info.bandwidth), width, height, info.frame_rate))
    return variants


def playlist_duration(playlist: Path) -> float:
    """Sum of the EXTINF durations of the media playlist file ``playlist``."""
    return sum(segment.duration for segment in m3u8.load(str(playlist)).segments)


def playlist_segment_paths(playlist_url: str, playlist: Path) -> set[str]:
    """URL paths of the media segments of ``playlist`` (a local file, served at ``playlist_url``)."""
    return {urlsplit(urljoin(playlist_url, s.uri)).path for s in m3u8.load(str(playlist)).segments}


def video_extremes(levels: Sequence[Level] | Sequence[MasterVariant]) -> tuple[int, int]:
    """Indexes of the lowest- and the highest-bitrate level that has a picture (a size)."""
    video = [i for i, level in enumerate(levels) if level.height > 0]
    assert video, "no level with a picture size"

    def rate(i: int) -> int:
        level = levels[i]
        return level.bitrate if isinstance(level, Level) else level.bandwidth

    return min(video, key=rate), max(video, key=rate)


def variant_of(level: Level, variants: Sequence[MasterVariant]) -> MasterVariant:
    """The master variant a player level stands for: same size and BANDWIDTH, else the one of that size."""
    same_size = [v for v in variants if v.size == (level.width, level.height)]
    exact = [v for v in same_size if v.bandwidth == level.bitrate]
    found = exact or same_size
    assert len(found) == 1, f"{len(found)} master variants match level {level}: {list(variants)}"
    return found[0]


def same_levels(levels: Sequence[Level], variants: Sequence[MasterVariant]) -> bool:
    """As many levels as variants, of the same picture sizes (order aside)."""
    return sorted((v.width, v.height) for v in levels) == sorted(v.size for v in variants)


def build_package(
    source: Path,
    out_dir: Path,
    rungs: Sequence[tuple[str, int, int] | tuple[str, int, int, int]],
    *,
    segment_seconds: float = 2.0,
    audio_kbps: int = 64,
) -> Path:
    """Turn ``source`` into a package at ``out_dir`` with the app's pipeline; returns its master playlist.

    ``rungs``: (name, height, video kbps) of the ladder asked for, or (name, height, video kbps, audio
    kbps) for a rung with its own audio rate (else ``audio_kbps``; the package holds one audio group
    per rate); none: the app's default ladder (the
    default package: cellular rung first, short first segments when ``segment_seconds`` allows). The
    package may hold more variants than that (what the app adds on its own): read them from the
    master with ``master_variants``.
    """
    from hlsstudio.core.ladder import default_ladder
    from hlsstudio.core.models import EncodeSettings, Ladder, Rung
    from hlsstudio.core.pipeline import transcode
    from hlsstudio.core.toolchain import locate_toolchain

    ladder = (
        Ladder(
            rungs=[
                Rung(name=name, height=h, video_kbps=kbps, audio_kbps=audio[0] if audio else audio_kbps)
                for name, h, kbps, *audio in rungs
            ]
        )
        if rungs
        else default_ladder()
    )
    settings = EncodeSettings(segment_duration=segment_seconds, preset="ultrafast")
    result = transcode(source, out_dir, ladder=ladder, settings=settings, toolchain=locate_toolchain())
    assert result.status == "completed", result.error
    master = out_dir / "master.m3u8"
    assert master.is_file(), f"no master playlist at {master}"
    return master


# ---------------------------------------------------------------------------------------------------------
# Report


@dataclass(frozen=True)
class Level:
    """One level as the player lists it (hls.js: ``hls.levels[i]``; Shaka: a variant track, no uri)."""

    width: int
    height: int
    bitrate: int
    uri: str


@dataclass(frozen=True)
class PlayerError:
    """One player error: an hls.js ERROR event, or a ``shaka.util.Error`` (category/code names)."""

    type: str
    details: str
    fatal: bool
    url: str | None = None
    code: int | None = None
    reason: str | None = None

    def __str__(self) -> str:
        where = f" {self.url}" if self.url else ""
        code = f" HTTP {self.code}" if self.code is not None else ""
        fatal = "fatal " if self.fatal else ""
        return f"{fatal}{self.type}/{self.details}{code}{where}" + (
            f" ({self.reason})" if self.reason else ""
        )


@dataclass(frozen=True)
class AudioTrack:
    """One audio track as the player lists it.

    hls.js: ``hls.audioTracks[i]`` (the renditions of the current level's audio group; ``group`` is its
    GROUP-ID). Shaka: ``getAudioTracks()[i]`` (``id`` is ``i``, ``name`` the label, ``default`` its
    ``primary`` flag; no group, no uri).
    """

    id: int
    name: str
    lang: str | None
    default: bool
    group: str
    uri: str


@dataclass(frozen=True)
class SubtitleTrack:
    """One subtitle track as the player lists it.

    hls.js: ``hls.subtitleTracks[i]``. Shaka: ``getTextTracks()[i]`` (``id`` is ``i``, ``name`` the
    label, ``default`` its ``primary`` flag; autoselect false, no uri).
    """

    id: int
    name: str
    lang: str | None
    default: bool
    forced: bool
    autoselect: bool
    uri: str


@dataclass(frozen=True)
class TextTrack:
    """One text track of the video element: what the browser renders, and the text of its active cues."""

    kind: str
    label: str
    language: str
    mode: str  # "disabled", "hidden" or "showing"
    cues: int  # cues loaded so far
    active_cues: tuple[str, ...]


@dataclass(frozen=True)
class PlayerReport:
    """What the test page saw at one moment."""

    player: str = ""
    version: str | None = None
    supported: bool = False
    manifest_parsed: bool = False
    levels: tuple[Level, ...] = ()
    switched: tuple[int, ...] = ()
    errors: tuple[PlayerError, ...] = ()
    page_errors: tuple[str, ...] = ()
    media_errors: tuple[str, ...] = ()
    current_level: int = -1
    current_time: float = 0.0
    video_width: int = 0
    video_height: int = 0
    paused: bool = True
    ended: bool = False
    # audio tracks, the index of the current one (-1: none), and the switches that reached the player
    # (hls.js: AUDIO_TRACK_SWITCHED ids; Shaka: the active index once loaded, then at each
    # "variantchanged" that changed it)
    audio_tracks: tuple[AudioTrack, ...] = ()
    audio_track: int = -1
    audio_switched: tuple[int, ...] = ()
    # subtitle tracks, the selected one (-1: none), the switches (hls.js: SUBTITLE_TRACK_SWITCH ids;
    # Shaka: the active index at each "textchanged"), subtitle fragments (hls.js: processed; Shaka:
    # WebVTT segments fetched), and the video element's text tracks
    subtitle_tracks: tuple[SubtitleTrack, ...] = ()
    subtitle_track: int = -1
    subtitle_switched: tuple[int, ...] = ()
    subtitle_fragments: int = 0
    text_tracks: tuple[TextTrack, ...] = ()

    @classmethod
    def from_page(cls, raw: dict[str, Any] | None) -> PlayerReport:
        if raw is None:
            return cls(page_errors=("test page did not start (window.playerSnapshot missing)",))
        return cls(
            player=raw["player"],
            version=raw["version"],
            supported=bool(raw["supported"]),
            manifest_parsed=bool(raw["manifestParsed"]),
            levels=tuple(
                Level(int(v["width"]), int(v["height"]), int(v["bitrate"]), v["uri"]) for v in raw["levels"]
            ),
            switched=tuple(int(v) for v in raw["switched"]),
            errors=tuple(PlayerError(**e) for e in raw["errors"]),
            page_errors=tuple(raw["pageErrors"]),
            media_errors=tuple(raw["mediaErrors"]),
            current_level=int(raw["currentLevel"]),
            current_time=float(raw["currentTime"]),
            video_width=int(raw["videoWidth"]),
            video_height=int(raw["videoHeight"]),
            paused=bool(raw["paused"]),
            ended=bool(raw["ended"]),
            audio_tracks=tuple(AudioTrack(**a) for a in raw.get("audioTracks", ())),
            audio_track=int(raw.get("audioTrack", -1)),
            audio_switched=tuple(int(v) for v in raw.get("audioSwitched", ())),
            subtitle_tracks=tuple(SubtitleTrack(**s) for s in raw.get("subtitleTracks", ())),
            subtitle_track=int(raw.get("subtitleTrack", -1)),
            subtitle_switched=tuple(int(v) for v in raw.get("subtitleSwitched", ())),
            subtitle_fragments=int(raw.get("subtitleFragments", 0)),
            text_tracks=tuple(
                TextTrack(
                    t["kind"], t["label"], t["language"], t["mode"], int(t["cues"]), tuple(t["activeCues"])
                )
                for t in raw.get("textTracks", ())
            ),
        )

    @property
    def active_cues(self) -> tuple[str, ...]:
        """Text of the active cues of every showing text track: the subtitles on screen now."""
        return tuple(cue for t in self.text_tracks if t.mode == "showing" for cue in t.active_cues)

    @property
    def fatal_errors(self) -> tuple[PlayerError, ...]:
        return tuple(e for e in self.errors if e.fatal)

    @property
    def broken(self) -> bool:
        """A fatal player error, a media element error or a page error: playback cannot go on."""
        return bool(self.fatal_errors or self.media_errors or self.page_errors)

    @property
    def ok(self) -> bool:
        """The manifest parsed into at least one level, playback started, and nothing is broken."""
        return self.manifest_parsed and bool(self.levels) and self.current_time > 0 and not self.broken

    def describe(self) -> str:
        levels = ", ".join(f"{v.width}x{v.height}@{v.bitrate}" for v in self.levels) or "none"
        lines = [
            f"{self.player or 'player'} {self.version}, supported={self.supported}, "
            f"manifest_parsed={self.manifest_parsed}",
            f"levels: {levels}; current level {self.current_level}; switched: {list(self.switched)}",
            f"video: t={self.current_time:.2f}s {self.video_width}x{self.video_height} "
            f"paused={self.paused} ended={self.ended}",
        ]
        if self.audio_tracks:
            tracks = ", ".join(
                f"{a.id}:{a.name}/{a.lang}{' (default)' if a.default else ''}" for a in self.audio_tracks
            )
            lines.append(
                f"audio tracks: {tracks}; current {self.audio_track}; switched: {list(self.audio_switched)}"
            )
        if self.subtitle_tracks or self.text_tracks:
            tracks = ", ".join(f"{s.id}:{s.name}/{s.lang}" for s in self.subtitle_tracks) or "none"
            lines.append(
                f"subtitle tracks: {tracks}; selected {self.subtitle_track}; "
                f"switched: {list(self.subtitle_switched)}; fragments processed: {self.subtitle_fragments}"
            )
            lines += [
                f"text track {t.kind} {t.label!r} ({t.language}) {t.mode}, {t.cues} cues, "
                f"active: {list(t.active_cues)}"
                for t in self.text_tracks
            ]
        lines += [f"player error: {e}" for e in self.errors]
        lines += [f"media error: {e}" for e in self.media_errors]
        lines += [f"page error: {e}" for e in self.page_errors]
        return "\n".join(lines)


class PlayerWaitError(AssertionError):
    """A ``wait_for`` condition did not hold in time (or playback broke first)."""


# ---------------------------------------------------------------------------------------------------------
# HTTP server


@dataclass
class _Mounts:
    package_root: Path | None
    player_dir: Path
    requests: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _inside(root: Path, relative: str) -> Path | None:
    candidate = (root / relative).resolve()
    return candidate if candidate.is_relative_to(root.resolve()) else None


class _Handler(SimpleHTTPRequestHandler):
    mounts: _Mounts

    def translate_path(self, path: str) -> str:
        url_path = unquote(urlsplit(path).path)
        target: Path | None = None
        if url_path.startswith(PACKAGE_MOUNT) and self.mounts.package_root is not None:
            target = _inside(self.mounts.package_root, url_path[len(PACKAGE_MOUNT) :])
        elif url_path.startswith(PLAYER_MOUNT):
            target = _inside(self.mounts.player_dir, url_path[len(PLAYER_MOUNT) :])
        return str(target) if target is not None else "/nonexistent/"

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(HTTPStatus.NOT_FOUND, "no directory listings")

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return MIME_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        with self.mounts.lock:
            self.mounts.requests.append((urlsplit(self.path).path, int(code) if str(code).isdigit() else 0))

    def log_message(self, format: str, *args: Any) -> None:
        return None


class PackageServer:
    """Loopback HTTP server for a package folder (``/pkg/``) and the test page (``/player/``)."""

    def __init__(self, package_root: Path | None = None, player_dir: Path = PLAYER_DIR) -> None:
        self._mounts = _Mounts(package_root.resolve() if package_root else None, player_dir.resolve())
        handler = type("PackageHandler", (_Handler,), {"mounts": self._mounts})
        self._httpd = ThreadingHTTPServer((LOOPBACK, 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="hls-package-server", daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self._httpd.server_port}"

    def package_url(self, relative: str = "master.m3u8") -> str:
        """URL of a file under the package root, e.g. ``package_url("movie/master.m3u8")``."""
        return f"{self.base_url}{PACKAGE_MOUNT}{quote(relative)}"

    def player_url(
        self,
        master_url: str,
        *,
        start_level: int | None = None,
        player: BrowserPlayer = HLS_JS,
        options: dict[str, str | float] | None = None,
    ) -> str:
        """URL of ``player``'s test page playing ``master_url``; ``options``: more query parameters the
        page reads (the comment at the top of each page lists them, e.g. Shaka's ``bufferingGoal``)."""
        query: dict[str, str | float] = {"src": master_url}
        if start_level is not None:
            query["startLevel"] = start_level
        query.update(options or {})
        return f"{self.base_url}{PLAYER_MOUNT}{player.page}?{urlencode(query)}"

    @property
    def requests(self) -> list[tuple[str, int]]:
        """(path, HTTP status) of every request served so far."""
        with self._mounts.lock:
            return list(self._mounts.requests)

    def served(self) -> set[str]:
        """URL paths served with 200 so far."""
        return {path for path, status in self.requests if status == HTTPStatus.OK}

    def start(self) -> PackageServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=10)
        self._httpd.server_close()

    def __enter__(self) -> PackageServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------------------
# Browser


def _processes_using(folder: Path) -> list[int]:
    """Pids of live processes whose command line mentions ``folder`` (Linux /proc).

    Substring match: Chromium's zygote children rewrite their command line into one string.
    """
    marker = f"{folder}/".encode()
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _kill_processes_using(folder: Path, grace: float = 5.0) -> None:
    """Give processes of ``folder`` ``grace`` seconds to exit on their own, then SIGKILL them by pid."""
    deadline = time.monotonic() + grace
    while (pids := _processes_using(folder)) and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class Browser:
    """Headless Chromium driven by selenium, everything of it in one temporary folder.

    The folder holds the fresh profile (``--user-data-dir``), the XDG config/cache homes (so the crash
    handler's database is there too, not in ``~/.config/chromium``) and the ChromeDriver log. Every process
    whose command line names the folder is ours: ``close()`` kills whichever outlived ``driver.quit()``.
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="hlsstudio-chromium-"))
        self.user_data_dir = self.folder / "profile"
        self.driver: Any = None

    def start(self) -> Browser:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={self.user_data_dir}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": str(self.folder / "config"),
            "XDG_CACHE_HOME": str(self.folder / "cache"),
        }
        service = Service(CHROMEDRIVER, log_output=str(self.folder / "chromedriver.log"), env=env)
        try:
            self.driver = webdriver.Chrome(options=options, service=service)
        except BaseException:
            self.close()
            raise
        return self

    def open(self, page_url: str) -> PlayerPage:
        self.driver.get(page_url)
        return PlayerPage(self.driver)

    def close(self) -> None:
        try:
            if self.driver is not None:
                self.driver.quit()
        finally:
            self.driver = None
            if Path("/proc/self").exists():
                _kill_processes_using(self.folder)
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


class PlayerPage:
    """The test page loaded in a browser tab."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver

    def report(self) -> PlayerReport:
        raw = self._driver.execute_script("return window.playerSnapshot ? window.playerSnapshot() : null;")
        return PlayerReport.from_page(raw)

    def force_level(self, index: int) -> int:
        """Switch to level ``index`` and keep it; returns how many switches the page had seen before.

        hls.js: ``hls.currentLevel = index``. Shaka: ABR off, ``selectVariantTrack(track, true)``.
        """
        before = len(self.report().switched)
        self._driver.execute_script("window.forceLevel(arguments[0]);", index)
        return before

    def select_audio_track(self, index: int) -> int:
        """Switch to audio track ``index`` of ``report().audio_tracks``; returns how many audio switches
        the page had seen before (``audio_switched``).

        hls.js: ``hls.audioTrack = index``. Shaka: ``selectAudioTrack(getAudioTracks()[index])``.
        """
        before = len(self.report().audio_switched)
        self._driver.execute_script("window.selectAudioTrack(arguments[0]);", index)
        return before

    def select_subtitle_track(self, index: int) -> int:
        """Show subtitle track ``index`` of ``report().subtitle_tracks`` (-1 hides subtitles); returns how
        many subtitle switches the page had seen before (``subtitle_switched``).

        hls.js: ``hls.subtitleTrack = index`` with ``subtitleDisplay`` on. Shaka:
        ``selectTextTrack(getTextTracks()[index])``, which also makes text visible.
        """
        before = len(self.report().subtitle_switched)
        self._driver.execute_script("window.selectSubtitleTrack(arguments[0]);", index)
        return before

    def seek(self, seconds: float) -> None:
        """Move playback to ``seconds`` (``video.currentTime``)."""
        self._driver.execute_script("window.seekTo(arguments[0]);", seconds)

    def pause(self) -> None:
        """Pause the video (``video.pause()``)."""
        self._driver.execute_script("window.pauseVideo();")

    def console(self) -> list[str]:
        """Browser console lines since the last call."""
        return [f"{e.get('level')}: {e.get('message')}" for e in self._driver.get_log("browser")]

    def wait_for(
        self,
        condition: Callable[[PlayerReport], bool],
        what: str,
        *,
        timeout: float = 20.0,
        stop_when_broken: bool = True,
    ) -> PlayerReport:
        """Poll until ``condition(report)`` holds; raise PlayerWaitError (with the last report) otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            report = self.report()
            if condition(report):
                return report
            if stop_when_broken and report.broken:
                raise PlayerWaitError(f"playback broke while waiting for {what}:\n{report.describe()}")
            if time.monotonic() >= deadline:
                raise PlayerWaitError(f"no {what} within {timeout:.0f} s:\n{report.describe()}")
            time.sleep(POLL_INTERVAL)


# ---------------------------------------------------------------------------------------------------------
# One call


@contextmanager
def open_player(
    url_or_dir: str | Path,
    *,
    master_name: str = "master.m3u8",
    start_level: int | None = None,
    player: BrowserPlayer = HLS_JS,
) -> Iterator[PlayerPage]:
    """Serve the package (a folder, or an http URL of a master playlist) and load it in the test page."""
    with ExitStack() as stack:
        package_root = None if str(url_or_dir).startswith(("http://", "https://")) else Path(url_or_dir)
        server = stack.enter_context(PackageServer(package_root))
        master_url = server.package_url(master_name) if package_root else str(url_or_dir)
        browser = stack.enter_context(Browser())
        yield browser.open(server.player_url(master_url, start_level=start_level, player=player))


def play_package(
    url_or_dir: str | Path,
    *,
    master_name: str = "master.m3u8",
    min_time: float = 1.0,
    timeout: float = 30.0,
    player: BrowserPlayer = HLS_JS,
) -> PlayerReport:
    """Load a package and let it play until ``min_time`` s have played, playback breaks, or ``timeout``."""
    with open_player(url_or_dir, master_name=master_name, player=player) as page:
        try:
            return page.wait_for(lambda r: r.current_time >= min_time, "playback", timeout=timeout)
        except PlayerWaitError:
            return page.report()


# ---------------------------------------------------------------------------------------------------------
# GStreamer

_GST_TIME = r"(\d+):(\d{2}):(\d{2}(?:\.\d+)?)"
_GST_VIDEO_CAPS = re.compile(
    r"GstFakeSink:vsink\.GstPad:sink: caps = video/x-raw\b.*?\bwidth=\(int\)(\d+), height=\(int\)(\d+)"
)
_GST_VIDEO_BUFFER = re.compile(
    rf"vsink: last-message = chain\b.*?\bpts: (?:none|{_GST_TIME}), duration: (?:none|{_GST_TIME})"
)
_GST_AUDIO_BUFFER = re.compile(r"asink: last-message = chain\b")
_GST_EOS = re.compile(r"^Got EOS from element", re.MULTILINE)
_GST_PROBLEM = re.compile(r"^(?:ERROR|WARNING)\b.*$", re.MULTILINE)


def _gst_seconds(hours: str | None, minutes: str | None, seconds: str | None) -> float | None:
    if hours is None or minutes is None or seconds is None:
        return None
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@dataclass(frozen=True)
class GstPlayback:
    """What one ``gst-launch-1.0 -v playbin`` run showed (parsed from its verbose output)."""

    uri: str
    returncode: int | None  # None: killed at the timeout
    elapsed: float
    eos: bool  # "Got EOS": the pipeline played to the end of the stream
    problems: tuple[str, ...]  # ERROR and WARNING lines
    video_sizes: tuple[tuple[int, int], ...]  # picture sizes the video sink got, in order (no repeats)
    # decoded frames that reached the video sink, counted from the sink's last-message notifications:
    # gst-launch reads the property when it handles the notification, so a fast run (sync=false) can
    # announce a frame twice (counted once) or miss one -- a count to compare with some slack
    video_frames: int
    video_span: float  # seconds from the first frame's pts to the end of the last one
    audio_buffers: int  # decoded audio buffers that reached the audio sink
    output: str

    @property
    def ok(self) -> bool:
        """Exit status 0, end of stream reached, no ERROR line."""
        return self.returncode == 0 and self.eos and not any(p.startswith("ERROR") for p in self.problems)

    def describe(self) -> str:
        sizes = ", ".join(f"{w}x{h}" for w, h in self.video_sizes) or "none"
        status = "killed at the timeout" if self.returncode is None else f"exit status {self.returncode}"
        lines = [
            f"gst-launch-1.0 playbin {self.uri}: {status} after {self.elapsed:.1f} s, eos={self.eos}",
            f"video: {self.video_frames} frames over {self.video_span:.2f} s, sizes {sizes}; "
            f"audio: {self.audio_buffers} buffers",
            *self.problems,
        ]
        if not self.ok:
            tail = [line for line in self.output.splitlines() if "last-message" not in line][-25:]
            lines += ["output (last lines, buffer messages left out):", *tail]
        return "\n".join(lines)

    @classmethod
    def parse(cls, uri: str, returncode: int | None, elapsed: float, output: str) -> GstPlayback:
        sizes: list[tuple[int, int]] = []
        for match in _GST_VIDEO_CAPS.finditer(output):
            size = (int(match[1]), int(match[2]))
            if not sizes or sizes[-1] != size:
                sizes.append(size)
        frames = 0
        seen: set[float] = set()
        first: float | None = None
        end: float | None = None
        for match in _GST_VIDEO_BUFFER.finditer(output):
            pts = _gst_seconds(match[1], match[2], match[3])
            if pts is None:
                frames += 1
                continue
            if pts in seen:  # the same frame announced twice (see video_frames)
                continue
            seen.add(pts)
            frames += 1
            first = pts if first is None else min(first, pts)
            stop = pts + (_gst_seconds(match[4], match[5], match[6]) or 0.0)
            end = stop if end is None else max(end, stop)
        return cls(
            uri=uri,
            returncode=returncode,
            elapsed=elapsed,
            eos=bool(_GST_EOS.search(output)),
            problems=tuple(m[0].strip() for m in _GST_PROBLEM.finditer(output)),
            video_sizes=tuple(sizes),
            video_frames=frames,
            video_span=(end - first) if first is not None and end is not None else 0.0,
            audio_buffers=len(_GST_AUDIO_BUFFER.findall(output)),
            output=output,
        )


def gst_play(
    uri: str, *, sync: bool = True, connection_speed_kbps: int | None = None, timeout: float = 60.0
) -> GstPlayback:
    """Play ``uri`` (a master or a variant playlist) with ``playbin`` into fake sinks until the end.

    ``sync=True`` plays in real time, as a viewer would (GStreamer's adaptive demuxer needs it to reach
    the end of a master it adapts on); ``sync=False`` decodes as fast as it can. ``connection_speed_kbps``
    sets playbin's ``connection-speed``: the demuxer then picks the highest variant whose BANDWIDTH fits
    (the lowest when none does) and never goes above it. The sinks report every buffer (``silent=false``)
    and ``-v`` prints that and the negotiated caps: ``GstPlayback`` is parsed from it.
    """
    flags = f"sync={str(sync).lower()} silent=false"
    command = [
        GST_LAUNCH,
        "-v",
        "playbin",
        f"uri={uri}",
        f"video-sink=fakesink name=vsink {flags}",
        f"audio-sink=fakesink name=asink {flags}",
    ]
    if connection_speed_kbps is not None:
        command.append(f"connection-speed={connection_speed_kbps}")
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "GST_DEBUG")}
    env["LC_ALL"] = "C"  # gst-launch translates its messages ("Got EOS from element")
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, errors="replace", timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as expired:
        partial = expired.stdout or b""
        text = partial.decode(errors="replace") if isinstance(partial, bytes) else partial
        return GstPlayback.parse(uri, None, time.monotonic() - started, text)
    return GstPlayback.parse(uri, done.returncode, time.monotonic() - started, done.stdout + done.stderr)
