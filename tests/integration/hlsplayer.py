"""Play an HLS package with hls.js in headless Chromium and report what the player saw.

Pieces, each a context manager:

* ``PackageServer``: a loopback static HTTP server. ``/pkg/...`` serves a package folder (or a folder of
  packages), ``/player/...`` serves ``tests/player`` (the test page and ``node_modules/hls.js``). MIME types
  come from an explicit map: the ``mimetypes`` module reads ``/etc/mime.types``, which on Debian maps ``.ts``
  to a Qt Linguist type.
* ``Browser``: selenium Chrome on Debian's ``/usr/bin/chromium`` and ``/usr/bin/chromedriver``, with a fresh
  profile folder; closing it quits the driver and kills any Chromium process of that profile still alive.
* ``PlayerPage``: one loaded test page; ``report()`` polls the page state, ``wait_for()`` polls until a
  condition holds, ``force_level()`` sets ``hls.currentLevel``.

``play_package(url_or_dir)`` puts them together: load the master, wait until playback has advanced (or a
fatal error, or the timeout), return the ``PlayerReport``.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PLAYER_DIR = Path(__file__).resolve().parent.parent / "player"
HLS_JS = PLAYER_DIR / "node_modules" / "hls.js" / "dist" / "hls.min.js"
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


# ---------------------------------------------------------------------------------------------------------
# Availability


def missing_player_parts() -> list[str]:
    """What the player test needs and does not find here (empty: everything is present)."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (Debian package chromium)")
    if not os.access(CHROMEDRIVER, os.X_OK):
        missing.append(f"{CHROMEDRIVER} (Debian package chromium-driver)")
    if not HLS_JS.is_file():
        missing.append(f"{HLS_JS.relative_to(PLAYER_DIR.parent.parent)} (npm ci in tests/player)")
    return missing


def require_player() -> None:
    """Skip the calling test when the player parts are absent; under CI (``CI`` set) fail instead."""
    missing = missing_player_parts()
    if not missing:
        return
    reason = "player test needs " + ", ".join(missing) + " (scripts/setup.sh --test installs them)"
    if os.environ.get("CI"):
        pytest.fail(reason + "; CI is set, so this is a failure")
    pytest.skip(reason)


# ---------------------------------------------------------------------------------------------------------
# Report


@dataclass(frozen=True)
class Level:
    """One level as hls.js lists it (``hls.levels[i]``)."""

    width: int
    height: int
    bitrate: int
    uri: str


@dataclass(frozen=True)
class PlayerError:
    """One hls.js ERROR event."""

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
class PlayerReport:
    """What the test page saw at one moment."""

    hls_version: str | None = None
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

    @classmethod
    def from_page(cls, raw: dict[str, Any] | None) -> PlayerReport:
        if raw is None:
            return cls(page_errors=("test page did not start (window.playerSnapshot missing)",))
        return cls(
            hls_version=raw["hlsVersion"],
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
        )

    @property
    def fatal_errors(self) -> tuple[PlayerError, ...]:
        return tuple(e for e in self.errors if e.fatal)

    @property
    def broken(self) -> bool:
        """A fatal hls.js error, a media element error or a page error: playback cannot go on."""
        return bool(self.fatal_errors or self.media_errors or self.page_errors)

    @property
    def ok(self) -> bool:
        """The manifest parsed into at least one level, playback started, and nothing is broken."""
        return self.manifest_parsed and bool(self.levels) and self.current_time > 0 and not self.broken

    def describe(self) -> str:
        levels = ", ".join(f"{v.width}x{v.height}@{v.bitrate}" for v in self.levels) or "none"
        lines = [
            f"hls.js {self.hls_version}, supported={self.supported}, manifest_parsed={self.manifest_parsed}",
            f"levels: {levels}; current level {self.current_level}; switched: {list(self.switched)}",
            f"video: t={self.current_time:.2f}s {self.video_width}x{self.video_height} "
            f"paused={self.paused} ended={self.ended}",
        ]
        lines += [f"hls.js error: {e}" for e in self.errors]
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

    def player_url(self, master_url: str, *, start_level: int | None = None) -> str:
        query = {"src": master_url} if start_level is None else {"src": master_url, "startLevel": start_level}
        return f"{self.base_url}{PLAYER_MOUNT}player.html?{urlencode(query)}"

    @property
    def requests(self) -> list[tuple[str, int]]:
        """(path, HTTP status) of every request served so far."""
        with self._mounts.lock:
            return list(self._mounts.requests)

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
        """Set ``hls.currentLevel = index``; returns how many LEVEL_SWITCHED events came before."""
        before = len(self.report().switched)
        self._driver.execute_script("window.forceLevel(arguments[0]);", index)
        return before

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
    url_or_dir: str | Path, *, master_name: str = "master.m3u8", start_level: int | None = None
) -> Iterator[PlayerPage]:
    """Serve the package (a folder, or an http URL of a master playlist) and load it in the test page."""
    with ExitStack() as stack:
        package_root = None if str(url_or_dir).startswith(("http://", "https://")) else Path(url_or_dir)
        server = stack.enter_context(PackageServer(package_root))
        master_url = server.package_url(master_name) if package_root else str(url_or_dir)
        browser = stack.enter_context(Browser())
        yield browser.open(server.player_url(master_url, start_level=start_level))


def play_package(
    url_or_dir: str | Path, *, master_name: str = "master.m3u8", min_time: float = 1.0, timeout: float = 30.0
) -> PlayerReport:
    """Load a package and let it play until ``min_time`` s have played, playback breaks, or ``timeout``."""
    with open_player(url_or_dir, master_name=master_name) as page:
        try:
            return page.wait_for(lambda r: r.current_time >= min_time, "playback", timeout=timeout)
        except PlayerWaitError:
            return page.report()
