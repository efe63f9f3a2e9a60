"""Find ffmpeg/ffprobe and learn what they can do.

Search order for each binary: explicit path from the app settings, then ``HLSSTUDIO_FFMPEG`` /
``HLSSTUDIO_FFPROBE``, then next to the frozen app, then PATH. Capabilities (version, encoders,
filters, and whether NVENC really works — a trial encode, since a build listing h264_nvenc says
nothing about the GPU) are cached per binary path, size and mtime, in memory and on disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import sys
import threading
from pathlib import Path

from pydantic import BaseModel, Field

from hlsstudio.core import paths
from hlsstudio.core.errors import ToolchainError
from hlsstudio.core.proc import TimedOut, run_bounded

ENCODERS = ("libx264", "libx265", "h264_nvenc", "hevc_nvenc")
FILTERS = ("zscale", "tonemap", "libvmaf", "bwdif", "yadif")
ENV_VARS = {"ffmpeg": "HLSSTUDIO_FFMPEG", "ffprobe": "HLSSTUDIO_FFPROBE"}
CACHE_VERSION = 2
NVENC_TRIAL_TIMEOUT = 20.0
# ffmpeg prefixes log lines with the component that wrote them: "[h264_nvenc @ 0x55d1c0a3e2c0] "
_LOG_PREFIX = re.compile(r"^\s*(\[[^\]]*@\s*0x[0-9a-fA-F]+\]\s*)+")


class Capabilities(BaseModel):
    """What one ffmpeg build offers."""

    version: str
    encoders: dict[str, bool] = Field(default_factory=dict)
    filters: dict[str, bool] = Field(default_factory=dict)
    nvenc_usable: bool = False
    nvenc_reason: str = ""

    @property
    def can_tonemap(self) -> bool:
        return self.filters.get("zscale", False) and self.filters.get("tonemap", False)

    @property
    def deinterlacer(self) -> str | None:
        for name in ("bwdif", "yadif"):
            if self.filters.get(name):
                return name
        return None


class Toolchain(BaseModel):
    """Located binaries (and where they were found) plus the ffmpeg build's capabilities."""

    ffmpeg: str
    ffprobe: str
    ffmpeg_source: str
    ffprobe_source: str
    ffprobe_version: str = ""
    capabilities: Capabilities


def install_hint() -> str:
    """How to install FFmpeg on this OS, in one sentence."""
    if sys.platform == "darwin":
        return "install it with Homebrew: brew install ffmpeg"
    if sys.platform == "win32":
        return "install it with: winget install Gyan.FFmpeg (then restart HLS Studio)"
    if shutil.which("apt-get"):
        return "install it with: sudo apt-get install ffmpeg"
    if shutil.which("dnf"):
        return "install it with: sudo dnf install ffmpeg"
    if shutil.which("pacman"):
        return "install it with: sudo pacman -S ffmpeg"
    return "install FFmpeg from https://ffmpeg.org/download.html and put it on PATH"


def _exe(name: str) -> str:
    return f"{name}.exe" if sys.platform == "win32" else name


def _bundled_candidates(name: str) -> list[Path]:
    if not getattr(sys, "frozen", False):
        return []
    base = Path(sys.executable).resolve().parent
    roots = [base, base / "ffmpeg", base / "_internal" / "ffmpeg"]
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        roots += [Path(meipass), Path(meipass) / "ffmpeg"]
    return [root / _exe(name) for root in roots]


def find_binary(name: str, explicit: str | None = None) -> tuple[str, str]:
    """Locate ``name`` ("ffmpeg" or "ffprobe"); returns (path, where it was found).

    Raises ToolchainError naming the missing binary and how to install it here. An explicit
    path or environment variable that points nowhere is an error too (never silently skipped).
    """
    if explicit:
        if Path(explicit).is_file():
            return str(Path(explicit)), "settings"
        raise ToolchainError(f"{name} not found at {explicit} (set in HLS Studio settings)")
    env_value = os.environ.get(ENV_VARS[name])
    if env_value:
        if Path(env_value).is_file():
            return env_value, ENV_VARS[name]
        raise ToolchainError(f"{name} not found at {env_value} ({ENV_VARS[name]})")
    for candidate in _bundled_candidates(name):
        if candidate.is_file():
            return str(candidate), "bundled"
    found = shutil.which(name)
    if found:
        return found, "PATH"
    raise ToolchainError(f"{name} not found: {install_hint()}")


def _query(ffmpeg: str, *args: str, timeout: float = 20.0) -> str:
    try:
        done = run_bounded([ffmpeg, "-hide_banner", *args], timeout)
    except (OSError, TimedOut) as exc:
        raise ToolchainError(f"cannot run {ffmpeg}: {exc}") from exc
    return done.stdout.decode("utf-8", "replace")


def read_version(binary: str) -> str:
    """The version string of an ffmpeg/ffprobe binary ("5.1.9-0+deb12u1")."""
    try:
        done = run_bounded([binary, "-version"], 20.0)
    except (OSError, TimedOut) as exc:
        raise ToolchainError(f"cannot run {binary}: {exc}") from exc
    first = done.stdout.decode("utf-8", "replace").splitlines()[:1]
    match = re.search(r"version\s+(\S+)", first[0]) if first else None
    if done.returncode != 0 or not match:
        raise ToolchainError(f"{binary} does not look like FFmpeg (no version line)")
    return match.group(1)


def _listed(output: str, names: tuple[str, ...]) -> dict[str, bool]:
    present = {line.split()[1] for line in output.splitlines() if len(line.split()) > 1}
    return {name: name in present for name in names}


def nvenc_trial(ffmpeg: str) -> tuple[bool, str]:
    """Encode a few frames with h264_nvenc; (usable, reason when not)."""
    args = [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
        "-f", "lavfi", "-i", "color=black:s=256x256:r=25:d=0.2",
        "-c:v", "h264_nvenc", "-f", "null", "-",
    ]  # fmt: skip
    try:
        done = run_bounded(args, NVENC_TRIAL_TIMEOUT)
    except TimedOut:
        return False, "NVENC trial encode timed out"
    except OSError as exc:
        return False, f"cannot run ffmpeg: {exc}"
    if done.returncode == 0:
        return True, ""
    return False, nvenc_failure_reason(done.stderr.decode("utf-8", "replace"))


def nvenc_failure_reason(stderr: str) -> str:
    """One line from a failed NVENC trial's stderr: "no usable NVIDIA GPU/driver (Cannot load ...)".

    The first line naming CUDA or NVENC is kept, without ffmpeg's "[h264_nvenc @ 0x...]" prefix.
    """
    for line in stderr.splitlines():
        text = _LOG_PREFIX.sub("", line).strip()
        if text and ("cuda" in line.lower() or "nvenc" in line.lower()):
            return f"no usable NVIDIA GPU/driver ({text})"
    return "no usable NVIDIA GPU/driver"


def probe_capabilities(ffmpeg: str) -> Capabilities:
    """Ask an ffmpeg binary for its version, encoders, filters and run the NVENC trial (uncached)."""
    encoders = _listed(_query(ffmpeg, "-encoders"), ENCODERS)
    filters = _listed(_query(ffmpeg, "-filters"), FILTERS)
    usable, reason = False, "this FFmpeg build has no h264_nvenc encoder"
    if encoders.get("h264_nvenc"):
        usable, reason = nvenc_trial(ffmpeg)
    return Capabilities(
        version=read_version(ffmpeg),
        encoders=encoders,
        filters=filters,
        nvenc_usable=usable,
        nvenc_reason=reason,
    )


_memory_cache: dict[str, Capabilities] = {}
_cache_lock = threading.Lock()


def _cache_key(binary: str) -> str:
    st = Path(binary).resolve().stat()
    return f"{Path(binary).resolve()}|{st.st_size}|{st.st_mtime_ns}"


def _disk_cache_path() -> Path:
    return paths.cache_dir() / "toolchain.json"


def _read_disk_cache() -> dict[str, dict[str, object]]:
    try:
        doc = json.loads(_disk_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or doc.get("version") != CACHE_VERSION:
        return {}
    entries = doc.get("entries", {})
    return entries if isinstance(entries, dict) else {}


def capabilities(ffmpeg: str, *, refresh: bool = False) -> Capabilities:
    """Capabilities of ``ffmpeg``, cached per resolved path, size and mtime (memory, then disk)."""
    key = _cache_key(ffmpeg)
    with _cache_lock:
        if not refresh and key in _memory_cache:
            return _memory_cache[key]
        entries = _read_disk_cache()
        if not refresh and key in entries:
            caps = Capabilities.model_validate(entries[key])
        else:
            caps = probe_capabilities(ffmpeg)
            entries[key] = caps.model_dump()
            doc = {"version": CACHE_VERSION, "entries": entries}
            # a read-only cache dir costs a re-probe next start, nothing else
            with contextlib.suppress(OSError):
                _disk_cache_path().write_text(json.dumps(doc, indent=1), encoding="utf-8")
        _memory_cache[key] = caps
        return caps


def locate_toolchain(
    ffmpeg_path: str | None = None, ffprobe_path: str | None = None, *, refresh: bool = False
) -> Toolchain:
    """Find both binaries (see module doc for the order) and read the ffmpeg build's capabilities.

    Raises ToolchainError when either binary is missing or cannot run.
    """
    ffmpeg, ffmpeg_source = find_binary("ffmpeg", ffmpeg_path)
    ffprobe, ffprobe_source = find_binary("ffprobe", ffprobe_path)
    return Toolchain(
        ffmpeg=ffmpeg,
        ffprobe=ffprobe,
        ffmpeg_source=ffmpeg_source,
        ffprobe_source=ffprobe_source,
        ffprobe_version=read_version(ffprobe),
        capabilities=capabilities(ffmpeg, refresh=refresh),
    )


def platform_name() -> str:
    """A short description of this machine for reports ("Linux x86_64")."""
    return f"{platform.system()} {platform.machine()}"
