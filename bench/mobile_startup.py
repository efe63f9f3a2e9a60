"""Start-up on a slow shared mobile link: the package the app makes now versus the previous format.

Both are played by hls.js with its default settings in headless Chromium.

Two packages of the same 1080p source (Big Buck Bunny looped to 60 s and scaled to 1080p, prepared once
into bench/.cache), both made by ``hlsstudio.core.pipeline.transcode``:

- **now**: the app's default settings, ``AppSettings()`` (its ladder and its ``EncodeSettings``);
- **baseline**: the previous package format: the first four rungs of the version 1 ladder (360p
  800k/128k, 480p 1400k/128k, 720p 2800k/192k, 1080p 5000k/192k; no cellular rung) and
  ``EncodeSettings(first_segment_duration=None)`` (every segment as long as the others).

Only ``stall_timeout`` is raised on both (a busy machine must not stop an encode; it changes nothing in
the output). Each package is served from 127.0.0.1 by a server in this process that streams every
response progressively through ONE token bucket shared by all requests (the link), after a fixed
delay per request before its first byte; the player page and hls.js themselves are served
unthrottled. Profiles: 400 kbit/s + 300 ms, and 1.5 Mbit/s + 300 ms.

Each run starts a fresh headless Chromium (Debian's chromium and chromedriver through selenium, a new
profile, the flags of the field notes) on ``bench/mobile_player.html``, which loads hls.js from
tests/player's node_modules, creates ``new Hls()`` with no options and attaches it to a muted
autoplaying video. Measured per run:

- time to first frame: from just before ``hls.loadSource()`` to the first ``requestVideoFrameCallback``
  (when that API is missing: the first animation frame after ``playing`` with ``currentTime > 0``);
- the level of the first fragment buffered (index in hls.js's list, height, BANDWIDTH);
- bytes the server had sent when the first frame showed (counted in the server, all requests);
- ``--watch`` s (default 30) after ``loadSource``: the level playing, the highest level loaded, and
  the stalls after the first frame.

Each (profile, package) pair runs ``--rounds`` times (default 3, package order alternating); medians are
reported, with the ratio now / baseline per profile. Figure: median time to first frame of "now" at
400 kbit/s (goal ≤ 3 s). About 15 minutes on 2 cores (two 60 s encodes of 4 to 5 minutes each, then
12 plays of about 40 s); ``--quick`` (a 20 s source, 1 round, 15 s watch) 5 to 9 minutes, nearly all of
it encoding. The packages stay in bench/.cache/work-mobile-startup/ (``--reuse-packages`` plays them
again without encoding: only while the app's code is unchanged). The results file records the commit
and how many files of hlsstudio/ differed from it, since "now" is whatever the working tree makes.

Run: ``.venv/bin/python bench/mobile_startup.py [--quick] [--rounds 3] [--seconds 60] [--source FILE]
[--watch 30] [--reuse-packages]``.
"""

from __future__ import annotations

import argparse
import bisect
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import m3u8
from common import (
    BENCH_DIR,
    CACHE_DIR,
    code_state,
    fresh_dir,
    machine_info,
    machine_line,
    prepare_source,
    print_table,
    write_results,
)
from common_io import FIGURE_HEADERS, Figure, at_most, isolate_app_home, round_order
from throttle import TokenBucket

from hlsstudio.core.models import EncodeSettings, Ladder, Rung
from hlsstudio.core.pipeline import transcode
from hlsstudio.core.settings import AppSettings
from hlsstudio.core.toolchain import locate_toolchain

NAME = "mobile_startup"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
HLS_JS = BENCH_DIR.parent / "tests" / "player" / "node_modules" / "hls.js" / "dist" / "hls.min.js"
CHROMIUM_FLAGS = (  # FIELD_NOTES.md, "HLS players"
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
MIME_TYPES = {  # explicit: Debian's /etc/mime.types maps .ts to a Qt Linguist type
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt",
    ".js": "text/javascript",
    ".html": "text/html; charset=utf-8",
    ".jpg": "image/jpeg",
}
GOAL_FIRST_FRAME = 3.0  # seconds, "now" at 400 kbit/s
PAGE = BENCH_DIR / "mobile_player.html"
WORK_DIR = CACHE_DIR / "work-mobile-startup"
PACKAGES = ("now", "baseline")
BASELINE_RUNGS = (  # the version 1 default ladder's rungs up to 1080p (README, "What a job does")
    ("360p", 360, 800, 128),
    ("480p", 480, 1400, 128),
    ("720p", 720, 2800, 192),
    ("1080p", 1080, 5000, 192),
)
STALL_TIMEOUT = 1800.0
CHUNK = 4 * 1024  # bytes per write: at 400 kbit/s one chunk every 82 ms
POLL = 0.1
FIRST_FRAME_TIMEOUT = 120.0
PAGE_TIMEOUT = 60.0


@dataclass(frozen=True)
class Profile:
    """A mobile link: ``kbit`` kbit/s shared by every request, ``latency`` s before each first byte."""

    name: str
    kbit: float
    latency: float

    @property
    def label(self) -> str:
        rate = f"{self.kbit / 1000:g} Mbit/s" if self.kbit >= 1000 else f"{self.kbit:g} kbit/s"
        return f"{rate} + {self.latency * 1000:.0f} ms"


PROFILES = (Profile("400k", 400, 0.3), Profile("1.5M", 1500, 0.3))


# --- the throttled server ---------------------------------------------------------------------------


@dataclass
class Served:
    """One throttled request: path, when it came, its first and last byte, bytes sent, whether the
    client hung up before the end."""

    path: str
    arrived: float
    first_byte: float | None = None
    ended: float | None = None
    bytes: int = 0
    aborted: bool = False


@dataclass
class Link:
    """The shared link: one token bucket, a fixed delay per request, and what went through it."""

    profile: Profile
    bucket: TokenBucket = field(init=False)
    served: list[Served] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.bucket = TokenBucket(self.profile.kbit * 1000 / 8, burst=CHUNK)

    def sent(self, n: int) -> None:
        """Record ``n`` more bytes written to a client now."""
        with self.lock:
            total = (self.totals[-1] if self.totals else 0) + n
            self.times.append(time.monotonic())
            self.totals.append(total)

    def bytes_at(self, moment: float) -> int:
        """Bytes written to clients up to ``moment`` (time.monotonic)."""
        with self.lock:
            index = bisect.bisect_right(self.times, moment)
            return self.totals[index - 1] if index else 0

    def requests_before(self, moment: float) -> list[Served]:
        """The requests that arrived before ``moment``."""
        with self.lock:
            return [s for s in self.served if s.arrived <= moment]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a browser expects
    packages: Path
    link: Link

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == "/app/player.html":
            self._send_whole(PAGE)
        elif path == "/app/hls.min.js":
            self._send_whole(HLS_JS)
        elif path.startswith("/pkg/"):
            self._send_throttled(path)
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def _headers(self, file: Path, size: int) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", MIME_TYPES.get(file.suffix.lower(), "application/octet-stream"))
        self.send_header("Content-Length", str(size))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def _send_whole(self, file: Path) -> None:
        data = file.read_bytes()
        self._headers(file, len(data))
        self.wfile.write(data)

    def _send_throttled(self, path: str) -> None:
        served = Served(path, time.monotonic())
        root = self.packages.resolve()
        file = (root / path.removeprefix("/pkg/")).resolve()
        with self.link.lock:
            self.link.served.append(served)
        time.sleep(self.link.profile.latency)
        if not file.is_relative_to(root) or not file.is_file():
            self.send_error(HTTPStatus.NOT_FOUND)
            served.ended = time.monotonic()
            return
        data = file.read_bytes()
        try:
            self.link.bucket.take(min(CHUNK, len(data)))  # the headers ride with the first chunk
            self._headers(file, len(data))
            for start in range(0, len(data), CHUNK):
                chunk = data[start : start + CHUNK]
                if start:
                    self.link.bucket.take(len(chunk))
                self.wfile.write(chunk)
                if served.first_byte is None:
                    served.first_byte = time.monotonic()
                served.bytes += len(chunk)
                self.link.sent(len(chunk))
        except (BrokenPipeError, ConnectionResetError):
            served.aborted = True
            self.close_connection = True
        served.ended = time.monotonic()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a player that hangs up mid-fragment is normal (hls.js aborts loads when it switches)


@contextmanager
def package_server(packages: Path, profile: Profile) -> Iterator[tuple[str, Link]]:
    """Serve ``packages`` at /pkg/ through a fresh link of ``profile``; yields (base URL, link)."""
    link = Link(profile)
    handler = type("Handler", (_Handler,), {"packages": packages, "link": link})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", link
    finally:
        server.shutdown()
        server.server_close()


# --- the browser ---------------------------------------------------------------------------------------


def missing_player_parts() -> list[str]:
    """What the plays need and do not find here (empty: everything is present)."""
    missing = [f"{p}" for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if not HLS_JS.is_file():
        missing.append(f"{HLS_JS} (npm ci in tests/player)")
    return missing


def _pids_using(folder: Path) -> list[int]:
    """Pids of the processes whose command line names ``folder`` (the browser's own temporary folder)."""
    marker = f"{folder}/".encode()
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        with suppress(OSError):
            if marker in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
    return pids


class Browser:
    """Headless Chromium through selenium, with a fresh profile in a temporary folder of its own.

    Closing it quits the driver, then kills (by pid) any process whose command line names that folder:
    only the Chromium processes this browser started.
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="hlsstudio-bench-chromium-"))
        self.driver: Any = None

    def __enter__(self) -> Browser:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={self.folder / 'profile'}"):
            options.add_argument(flag)
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": str(self.folder / "config"),
            "XDG_CACHE_HOME": str(self.folder / "cache"),
        }
        service = Service(CHROMEDRIVER, log_output=str(self.folder / "chromedriver.log"), env=env)
        try:
            self.driver = webdriver.Chrome(options=options, service=service)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.driver is not None:
                self.driver.quit()
        finally:
            self.driver = None
            deadline = time.monotonic() + 5.0
            while (pids := _pids_using(self.folder)) and time.monotonic() < deadline:
                time.sleep(POLL)
            for pid in pids:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            shutil.rmtree(self.folder, ignore_errors=True)


# --- packages ---------------------------------------------------------------------------------------


def package_settings(name: str) -> tuple[Ladder, EncodeSettings]:
    """The ladder and encode settings of package ``name`` ("now" or "baseline")."""
    if name == "now":
        app = AppSettings()
        settings = app.encode.model_copy(update={"stall_timeout": STALL_TIMEOUT})
        return Ladder(rungs=list(app.ladder)), settings
    rungs = [Rung(name=n, height=h, video_kbps=v, audio_kbps=a) for n, h, v, a in BASELINE_RUNGS]
    return Ladder(rungs=rungs), EncodeSettings(first_segment_duration=None, stall_timeout=STALL_TIMEOUT)


def make_package(name: str, source: Path, root: Path, reuse: bool) -> float | None:
    """Transcode ``source`` into ``root/name`` with the app's pipeline; the wall time (None: reused)."""
    out = root / name
    if reuse and (out / "master.m3u8").is_file():
        print(f"package {name}: reusing {out}", flush=True)
        return None
    ladder, settings = package_settings(name)
    print(f"package {name}: transcoding {source.name} ...", flush=True)
    started = time.perf_counter()
    result = transcode(source, out, ladder=ladder, settings=settings, toolchain=locate_toolchain())
    if result.status != "completed":
        raise RuntimeError(f"package {name}: {result.error} {result.error_detail or ''}")
    wall = time.perf_counter() - started
    print(f"package {name}: done in {wall:.0f} s", flush=True)
    return wall


def describe_package(name: str, folder: Path) -> dict[str, Any]:
    """The master's variants in the order listed, each with its first three segments (duration, bytes)."""
    ladder, settings = package_settings(name)
    master = m3u8.load(str(folder / "master.m3u8"))
    variants = []
    for playlist in master.playlists:
        info = playlist.stream_info
        media = m3u8.load(str(folder / playlist.uri))
        first = [
            {"duration": round(s.duration, 3), "bytes": (folder / s.uri).stat().st_size}
            for s in media.segments[:3]
        ]
        variants.append(
            {
                "uri": playlist.uri,
                "resolution": "x".join(str(v) for v in info.resolution) if info.resolution else "",
                "bandwidth": info.bandwidth,
                "average_bandwidth": info.average_bandwidth,
                "segments": len(media.segments),
                "target_duration": media.target_duration,
                "first_segments": first,
            }
        )
    files = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return {
        "ladder": [
            {"name": r.name, "height": r.height, "video_kbps": r.video_kbps, "audio_kbps": r.audio_kbps}
            for r in ladder.enabled_rungs
        ],
        "segment_duration": settings.segment_duration,
        "first_segment_duration": settings.first_segment_duration,
        "preset": settings.preset,
        "variants": variants,
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
    }


def package_lines(name: str, doc: dict[str, Any]) -> list[str]:
    """A few printed lines describing one package."""
    first = doc["first_segment_duration"]
    lengths = f"segments {doc['segment_duration']:g} s" + (
        ", all alike" if first is None else f", the first ones {first:g} s"
    )
    lines = [
        f"{name}: {lengths}, preset {doc['preset']}; {doc['files']} files, {doc['bytes'] / 1e6:.1f} MB; "
        "master lists:"
    ]
    rungs = ", ".join(f"{r['name']} {r['video_kbps']}k/{r['audio_kbps']}k" for r in doc["ladder"])
    lines.insert(1, f"    ladder asked for: {rungs}")
    for v in doc["variants"]:
        firsts = ", ".join(f"{s['duration']:g} s {s['bytes'] / 1000:.0f} kB" for s in v["first_segments"])
        avg = f"{v['average_bandwidth'] / 1000:.0f}" if v["average_bandwidth"] else "?"
        lines.append(
            f"    {v['uri']:<20} {v['resolution']:>9}  BANDWIDTH {v['bandwidth'] / 1000:6.0f} k "
            f"(avg {avg} k), {v['segments']} segments; first: {firsts}"
        )
    return lines


# --- one play ---------------------------------------------------------------------------------------


def level_of_first_frame(state: dict[str, Any]) -> int:
    """The level of the first main fragment buffered (what the first frame came from)."""
    buffered = [f for f in state["frags"] if f["bufferedAt"] is not None]
    if buffered:
        return int(min(buffered, key=lambda f: f["bufferedAt"])["level"])
    return int(state["frameLevel"] if state["frameLevel"] is not None else -1)


def broken(state: dict[str, Any]) -> str | None:
    """Why playback cannot go on (a fatal hls.js error, a media or page error), or None."""
    fatal = [f"{e['type']}/{e['details']} {e['url'] or ''}".strip() for e in state["errors"] if e["fatal"]]
    problems = fatal + state["mediaErrors"] + state["pageErrors"]
    return "; ".join(problems) if problems else None


def wait_attached(driver: Any) -> dict[str, Any]:
    """Poll the page until hls.js is attached to the video (or it reports a problem)."""
    deadline = time.monotonic() + PAGE_TIMEOUT
    while True:
        state = driver.execute_script("return window.playerState ? window.playerState() : null;")
        if state is not None and (state["attached"] or broken(state)):
            return dict(state)
        if time.monotonic() > deadline:
            raise RuntimeError("the benchmark page did not attach hls.js in time")
        time.sleep(POLL)


def play_once(packages: Path, package: str, profile: Profile, watch: float) -> dict[str, Any]:
    """One fresh browser, one fresh link: load the master, measure, return the run's figures."""
    with package_server(packages, profile) as (base, link), Browser() as browser:
        driver = browser.driver
        driver.get(f"{base}/app/player.html")
        state = wait_attached(driver)
        if broken(state):
            raise RuntimeError(f"page problem: {broken(state)}")
        before = time.monotonic()
        t0_page = float(
            driver.execute_script(
                "return window.startPlayback(arguments[0]);", f"{base}/pkg/{package}/master.m3u8"
            )
        )
        after = time.monotonic()
        t0 = (before + after) / 2  # the page's t0 on this process's clock, within half the round trip
        problem = None
        while True:
            time.sleep(POLL)
            state = driver.execute_script("return window.playerState();")
            elapsed = (state["now"] - t0_page) / 1000
            problem = broken(state)
            if problem:
                break
            if state["frameAt"] is None and elapsed > FIRST_FRAME_TIMEOUT:
                break
            if state["frameAt"] is not None and elapsed >= watch:
                break
        version = driver.capabilities.get("browserVersion", "?")
    return summarize_run(
        state, link, t0=t0, t0_page=t0_page, round_trip=after - before, problem=problem, chromium=version
    )


def play_or_failure(packages: Path, package: str, profile: Profile, watch: float) -> dict[str, Any]:
    """``play_once``, or a failed run saying why (one broken play does not end the benchmark)."""
    try:
        return play_once(packages, package, profile, watch)
    except Exception as exc:  # the browser or the page failed: recorded as a run without a first frame
        why = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return {
            "first_frame_s": None,
            "problem": why,
            "levels": [],
            "hls_js": None,
            "chromium": None,
            "rvfc": None,
        }


def summarize_run(
    state: dict[str, Any],
    link: Link,
    *,
    t0: float,
    t0_page: float,
    round_trip: float,
    problem: str | None,
    chromium: str,
) -> dict[str, Any]:
    """The figures of one play from the page's last state and the server's counters."""
    levels = state["levels"]
    seen = (state["now"] - t0_page) / 1000
    run: dict[str, Any] = {
        "hls_js": state["hlsVersion"],
        "chromium": chromium,
        "rvfc": state["rvfc"],
        "problem": problem,
        "levels": levels,
        "first_level_of_manifest": state["firstLevel"],
        "watched_s": round(seen, 2),
        "round_trip_s": round(round_trip, 4),
        "first_frame_s": None,
        "bytes_before_first_frame": None,
        "requests_before_first_frame": None,
        "start_level": None,
    }
    if state["frameAt"] is not None:
        first = (state["frameAt"] - t0_page) / 1000
        moment = t0 + first
        run["first_frame_s"] = round(first, 3)
        run["bytes_before_first_frame"] = link.bytes_at(moment)
        run["requests_before_first_frame"] = [
            {"path": s.path, "complete": s.ended is not None and s.ended <= moment and not s.aborted}
            for s in link.requests_before(moment)
        ]
        run["start_level"] = level_of_first_frame(state)
        run["level_at_first_frame"] = state["frameLevel"]
        run["height_at_first_frame"] = state["frameHeight"]
    if state["manifestAt"] is not None:
        run["manifest_parsed_s"] = round((state["manifestAt"] - t0_page) / 1000, 3)
    if state["playingAt"] is not None:
        run["playing_s"] = round((state["playingAt"] - t0_page) / 1000, 3)
    if state["timeAdvancedAt"] is not None:
        run["time_advanced_s"] = round((state["timeAdvancedAt"] - t0_page) / 1000, 3)
    loaded = [f["level"] for f in state["frags"] if f["loadedAt"] is not None]
    run.update(
        {
            "level_at_end": state["currentLevel"],
            "load_level_at_end": state["loadLevel"],
            "max_level_loaded": max(loaded) if loaded else None,
            "bandwidth_estimate_at_end": state["bandwidthEstimate"],
            "stalls": state["stalls"],
            "stalled_s": round(state["stalledMs"] / 1000, 2),
            "played_s": round(state["currentTime"], 2),
            "bytes_total": link.bytes_at(time.monotonic()),
            "frags": [
                {
                    "level": f["level"],
                    "sn": f["sn"],
                    "duration": round(f["duration"], 3),
                    "bytes": f["bytes"],
                    "loading_s": round((f["loadingAt"] - t0_page) / 1000, 3),
                    "loaded_s": None if f["loadedAt"] is None else round((f["loadedAt"] - t0_page) / 1000, 3),
                    "buffered_s": None
                    if f["bufferedAt"] is None
                    else round((f["bufferedAt"] - t0_page) / 1000, 3),
                }
                for f in state["frags"]
            ],
            "errors": state["errors"],
        }
    )
    return run


def level_text(levels: list[dict[str, Any]], index: int | None) -> str:
    """``1 (360p, 1012k)`` for a level index of hls.js's list."""
    if index is None or index < 0 or index >= len(levels):
        return "—" if index is None else str(index)
    level = levels[index]
    return f"{index} ({level['height']}p, {level['bitrate'] / 1000:.0f}k)"


def run_line(package: str, profile: Profile, run: dict[str, Any]) -> str:
    """One printed line per play."""
    if run["first_frame_s"] is None:
        why = run["problem"] or f"no first frame within {FIRST_FRAME_TIMEOUT:g} s"
        return f"  {profile.name:<5} {package:<9} FAILED: {why}"
    frag = next((f for f in run["frags"] if f["level"] == run["start_level"]), None)
    first = f", first fragment {frag['duration']:g} s" if frag else ""
    return (
        f"  {profile.name:<5} {package:<9} first frame {run['first_frame_s']:6.2f} s, "
        f"start level {level_text(run['levels'], run['start_level'])}{first}, "
        f"{run['bytes_before_first_frame'] / 1000:.0f} kB before it; at {run['watched_s']:.0f} s level "
        f"{level_text(run['levels'], run['level_at_end'])}, max loaded "
        f"{level_text(run['levels'], run['max_level_loaded'])}, {run['stalls']} stalls "
        f"({run['stalled_s']:.1f} s)"
    )


# --- report -----------------------------------------------------------------------------------------


def median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    """Median of ``key`` over the runs that have it (None: none has)."""
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def median_level(runs: list[dict[str, Any]], key: str) -> int | None:
    """Median level index (low median: always one of the levels seen)."""
    values = [int(r[key]) for r in runs if r.get(key) is not None]
    return statistics.median_low(values) if values else None


def pair_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of one (profile, package) pair."""
    ok = [r for r in runs if r["first_frame_s"] is not None]
    return {
        "runs": len(runs),
        "failed": len(runs) - len(ok),
        "first_frame_s": median_of(ok, "first_frame_s"),
        "first_frame_runs_s": [r["first_frame_s"] for r in runs],
        "bytes_before_first_frame": median_of(ok, "bytes_before_first_frame"),
        "start_level": median_level(ok, "start_level"),
        "level_at_end": median_level(ok, "level_at_end"),
        "max_level_loaded": median_level(ok, "max_level_loaded"),
        "stalls": median_of(ok, "stalls"),
        "stalled_s": median_of(ok, "stalled_s"),
        "levels": ok[0]["levels"] if ok else (runs[0]["levels"] if runs else []),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b`` when both are known and ``b`` is not 0."""
    return None if a is None or not b else a / b


def fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def result_rows(summary: dict[str, dict[str, dict[str, Any]]], watch: float) -> list[list[object]]:
    """Table rows: one per (profile, package), then one ratio row per profile."""
    rows: list[list[object]] = []
    for profile in PROFILES:
        pairs = summary[profile.name]
        for package in PACKAGES:
            s = pairs[package]
            levels = s["levels"]
            start = level_text(levels, s["start_level"])
            runs = " ".join("fail" if v is None else f"{v:.2f}" for v in s["first_frame_runs_s"])
            kb = None if s["bytes_before_first_frame"] is None else s["bytes_before_first_frame"] / 1000
            rows.append(
                [
                    profile.label,
                    package,
                    fmt(s["first_frame_s"], ".2f"),
                    runs,
                    start,
                    fmt(kb, ".0f"),
                    level_text(levels, s["level_at_end"]),
                    level_text(levels, s["max_level_loaded"]),
                    f"{fmt(s['stalls'], 'g')} / {fmt(s['stalled_s'], '.1f')} s",
                ]
            )
        now, base = pairs["now"], pairs["baseline"]
        kb_ratio = ratio(now["bytes_before_first_frame"], base["bytes_before_first_frame"])
        rows.append(
            [
                profile.label,
                "now / baseline",
                fmt(ratio(now["first_frame_s"], base["first_frame_s"]), ".3f"),
                "",
                "",
                fmt(kb_ratio, ".3f"),
                "",
                "",
                "",
            ]
        )
    return rows


RESULT_HEADERS = [
    "link",
    "package",
    "first frame s (median)",
    "runs s",
    "start level (height, BANDWIDTH)",
    "kB before first frame",
    "level at {watch} s",
    "max level loaded",
    "stalls / stalled",
]


def figures(summary: dict[str, dict[str, dict[str, Any]]], watch: float) -> list[Figure]:
    """The headline figures: time to first frame of "now" at 400 kbit/s against the goal, the ratios."""
    slow, fast = summary["400k"], summary["1.5M"]
    found: list[Figure] = []
    first = slow["now"]["first_frame_s"]
    if first is not None:
        found.append(at_most("first frame, now, 400 kbit/s", first, GOAL_FIRST_FRAME, " s"))
    else:
        found.append(
            Figure(
                "first frame, now, 400 kbit/s",
                FIRST_FRAME_TIMEOUT,
                " s",
                "≤ 3 s",
                False,
                "no first frame in any run",
            )
        )
    for profile, pairs in (("400 kbit/s", slow), ("1.5 Mbit/s", fast)):
        value = ratio(pairs["now"]["first_frame_s"], pairs["baseline"]["first_frame_s"])
        if value is not None:
            found.append(Figure(f"first frame now / baseline, {profile}", value, "", "—", None))
    levels = fast["now"]["levels"]
    index = fast["now"]["level_at_end"]
    if index is not None and 0 <= index < len(levels):
        note = f"level {index} of {len(levels)}; start level {fast['now']['start_level']}"
        found.append(
            Figure(
                f"height playing at {watch:g} s, now, 1.5 Mbit/s",
                levels[index]["height"],
                "p",
                "—",
                None,
                note,
            )
        )
    return found


# --- main -------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 s source, 1 round, 15 s watch")
    parser.add_argument("--rounds", type=int, help="plays per (link, package), medians reported (default 3)")
    parser.add_argument("--seconds", type=int, help="length of the 1080p source (default 60)")
    parser.add_argument("--source", type=Path, help="another source video instead")
    parser.add_argument("--watch", type=float, help="seconds after loadSource to read the level (default 30)")
    parser.add_argument(
        "--reuse-packages",
        action="store_true",
        help="play the packages of an earlier run when present (only while the app's code is unchanged)",
    )
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.seconds = args.seconds or (20 if args.quick else 60)
    args.watch = args.watch or (15.0 if args.quick else 30.0)
    args.source = args.source.resolve() if args.source else None  # the app's home becomes the cwd
    return args


def main(argv: list[str] | None = None) -> int:
    """Make both packages, play each on each link ``--rounds`` times, print and record the medians."""
    args = parse_args(argv)
    missing = missing_player_parts()
    if missing:
        raise SystemExit("this benchmark needs " + ", ".join(missing))
    started = time.perf_counter()
    code = code_state()  # as imported: the app's modules were read when this process started
    source = prepare_source(args.source, seconds=args.seconds)
    isolate_app_home(NAME)
    root = WORK_DIR / f"{source.stem}"
    if not args.reuse_packages:
        fresh_dir(root)
    encode_walls = {name: make_package(name, source, root, args.reuse_packages) for name in PACKAGES}
    packages = {name: describe_package(name, root / name) for name in PACKAGES}
    machine = machine_info()

    runs: dict[str, dict[str, list[dict[str, Any]]]] = {p.name: {n: [] for n in PACKAGES} for p in PROFILES}
    for round_no in range(args.rounds):
        print(f"round {round_no + 1}/{args.rounds}", flush=True)
        for profile in PROFILES:
            for package in round_order(PACKAGES, round_no):
                run = play_or_failure(root, package, profile, args.watch)
                runs[profile.name][package].append(run)
                print(run_line(package, profile, run), flush=True)

    summary = {p: {n: pair_summary(r) for n, r in by.items()} for p, by in runs.items()}
    played = [r for by in runs.values() for rs in by.values() for r in rs]
    any_run = next((r for r in played if r["hls_js"]), played[0])
    print()
    print(f"machine: {machine_line(machine)}")
    print(
        f"player: hls.js {any_run['hls_js']} (default config), Chromium {any_run['chromium']} headless; "
        f"first frame from {'requestVideoFrameCallback' if any_run['rvfc'] else 'playing + currentTime > 0'}"
    )
    print(
        f"source: {source.name}, {args.rounds} round(s) per link and package, levels read at {args.watch:g} s"
    )
    for name in PACKAGES:
        print("\n".join(package_lines(name, packages[name])))
    print()
    headers = [h.format(watch=f"{args.watch:g}") for h in RESULT_HEADERS]
    print_table(headers, result_rows(summary, args.watch))
    found = figures(summary, args.watch)
    print()
    print_table(FIGURE_HEADERS, [f.row() for f in found])
    elapsed = time.perf_counter() - started
    print(f"took {elapsed / 60:.1f} min")
    payload = {
        "settings": {
            "source": str(source),
            "seconds": args.seconds,
            "rounds": args.rounds,
            "watch_s": args.watch,
            "quick": args.quick,
            "profiles": [vars(p) for p in PROFILES],
            "chunk_bytes": CHUNK,
        },
        "code": code,
        "packages": packages,
        "encode_wall_s": encode_walls,
        "summary": summary,
        "ratios": {
            p: {
                "first_frame": ratio(s["now"]["first_frame_s"], s["baseline"]["first_frame_s"]),
                "bytes_before_first_frame": ratio(
                    s["now"]["bytes_before_first_frame"], s["baseline"]["bytes_before_first_frame"]
                ),
            }
            for p, s in summary.items()
        },
        "runs": runs,
        "elapsed_s": round(elapsed, 1),
        "figures": [f.as_json() for f in found],
    }
    print(f"results: {write_results(NAME, payload, machine)}")
    with suppress(OSError):
        os.chdir(BENCH_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
