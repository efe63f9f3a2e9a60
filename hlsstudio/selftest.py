"""``hlsstudio --self-test``: prove an installation works end to end, then exit.

The check, in order: open the main window (when the caller passes a way to), locate ffmpeg/ffprobe
(the frozen app must find the copy it ships unless ``HLSSTUDIO_FFMPEG``/``HLSSTUDIO_FFPROBE`` point
elsewhere), generate a 2 s 320x180 test clip with sound, probe it, transcode it to a two-rung package
and validate that package. Everything is written to a temporary folder that is removed afterwards.

This module never imports Qt: the desktop side hands in ``open_window``.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.models import EncodeSettings, Ladder, MediaInfo, Rung
from hlsstudio.core.pipeline import transcode
from hlsstudio.core.probe import probe_file
from hlsstudio.core.proc import TimedOut, run_bounded
from hlsstudio.core.toolchain import ENV_VARS, Toolchain, locate_toolchain

log = logging.getLogger(__name__)

CLIP_SECONDS = 2
CLIP_WIDTH = 320
CLIP_HEIGHT = 180
GENERATE_TIMEOUT = 60.0
SELF_TEST_LADDER = Ladder(
    rungs=[
        Rung(name="144p", height=144, video_kbps=250, audio_kbps=64),
        Rung(name="180p", height=180, video_kbps=400, audio_kbps=64),
    ]
)
SELF_TEST_SETTINGS = EncodeSettings(
    segment_duration=2.0, preset="ultrafast", encoder="libx264", thumbnail_interval=1.0, poster_width=160
)


class SelfTestFailed(Exception):
    """One step of the self-test failed; the message says which and why."""


def generate_clip(ffmpeg: str, path: Path) -> Path:
    """Write a short H.264/AAC test clip (lavfi ``testsrc2`` + ``sine``) to ``path``.

    Raises SelfTestFailed with ffmpeg's last stderr line when it cannot be made.
    """
    args = [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={CLIP_WIDTH}x{CLIP_HEIGHT}:rate=25:duration={CLIP_SECONDS}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={CLIP_SECONDS}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25",
        "-c:a", "aac", "-b:a", "64k", "-shortest", str(path),
    ]  # fmt: skip
    try:
        done = run_bounded(args, GENERATE_TIMEOUT)
    except (OSError, TimedOut) as exc:
        raise SelfTestFailed(f"cannot run ffmpeg to make the test clip: {exc}") from exc
    if done.returncode != 0 or not path.is_file():
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else f"exit code {done.returncode}"
        raise SelfTestFailed(f"ffmpeg could not make the test clip: {reason}")
    return path


def bundled_expected() -> bool:
    """True in a frozen app whose ffmpeg/ffprobe are not overridden by the environment."""
    return bool(getattr(sys, "frozen", False)) and not any(os.environ.get(v) for v in ENV_VARS.values())


def find_toolchain() -> Toolchain:
    """The toolchain this installation uses (user settings ignored: this checks the installation).

    Raises SelfTestFailed when a frozen app does not find the FFmpeg it ships.
    """
    toolchain = locate_toolchain()
    sources = {toolchain.ffmpeg_source, toolchain.ffprobe_source}
    if bundled_expected() and sources != {"bundled"}:
        raise SelfTestFailed(
            f"the bundled FFmpeg was not used (ffmpeg from {toolchain.ffmpeg_source}, "
            f"ffprobe from {toolchain.ffprobe_source}): the installation is incomplete"
        )
    if not toolchain.capabilities.encoders.get("libx264"):
        raise SelfTestFailed(f"{toolchain.ffmpeg} has no libx264 encoder")
    return toolchain


def check_probe(info: MediaInfo) -> None:
    """Raise SelfTestFailed unless ``info`` describes the generated clip."""
    if (info.width, info.height) != (CLIP_WIDTH, CLIP_HEIGHT):
        raise SelfTestFailed(f"probe read {info.width}x{info.height}, expected {CLIP_WIDTH}x{CLIP_HEIGHT}")
    if not info.has_audio:
        raise SelfTestFailed("probe found no audio in the test clip")
    if abs(info.duration - CLIP_SECONDS) > 0.5:
        raise SelfTestFailed(f"probe read {info.duration:.2f} s, expected about {CLIP_SECONDS} s")


def transcode_clip(toolchain: Toolchain, work: Path) -> str:
    """Generate, probe and transcode the clip under ``work``; a one-line summary of the package."""
    clip = generate_clip(toolchain.ffmpeg, work / "selftest.mp4")
    info = probe_file(toolchain.ffprobe, clip)
    check_probe(info)
    result = transcode(
        clip,
        work / "package",
        ladder=SELF_TEST_LADDER,
        settings=SELF_TEST_SETTINGS,
        toolchain=toolchain,
        info=info,
    )
    if result.validation is None or not result.validation.ok:
        raise SelfTestFailed("the package did not pass validation")
    if not (work / "package" / "master.m3u8").is_file():
        raise SelfTestFailed("the package has no master.m3u8")
    variants = ", ".join(v.resolution for v in result.variants)
    return f"{len(result.variants)} variants ({variants}), {len(result.files)} files"


def run_self_test(open_window: Callable[[], object] | None = None) -> tuple[bool, str]:
    """Run the self-test; returns (passed, one line saying what passed or what failed).

    ``open_window`` (optional) is called first and must raise if the main window cannot be shown.
    Never raises for a failed check; the temporary folder is removed in every case.
    """
    try:
        if open_window is not None:
            open_window()
        toolchain = find_toolchain()
        with tempfile.TemporaryDirectory(prefix="hlsstudio-selftest-") as tmp:
            summary = transcode_clip(toolchain, Path(tmp))
    except SelfTestFailed as exc:
        return False, f"self-test failed: {exc}"
    except HlsStudioError as exc:
        return False, f"self-test failed: {exc.message}"
    except Exception as exc:  # the point of a self-test is to report, not to crash
        return False, f"self-test failed: {type(exc).__name__}: {exc}"
    ffmpeg = f"FFmpeg {toolchain.capabilities.version} ({toolchain.ffmpeg_source}: {toolchain.ffmpeg})"
    return True, f"self-test passed: {ffmpeg}; {summary}"


def report(outcome: tuple[bool, str]) -> int:
    """Print the outcome (success on stdout, failure on stderr) and log it; returns the exit status.

    The log line matters where a GUI executable has no console to print to (Windows, macOS bundles).
    """
    passed, message = outcome
    log.log(logging.INFO if passed else logging.ERROR, "%s", message)
    stream = sys.stdout if passed else sys.stderr
    if stream is not None:
        print(message, file=stream, flush=True)
    return 0 if passed else 1
