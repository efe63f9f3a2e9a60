"""Shared helpers for the benchmarks: a cached source, timing, medians, tables and JSON results.

Benchmarks are not tests: they measure, print and record; nothing here asserts on a time.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = BENCH_DIR / ".cache"
RESULTS_DIR = BENCH_DIR / "results"
MEDIA_DIR = Path("/work/shared/media")
SAMPLE_NAME = "bigbuckbunny.mp4"
SOURCE_SECONDS = 30


@dataclass(frozen=True)
class Sample:
    """One measurement: wall time and CPU time (user + system of this process and the processes it
    waited for) in seconds, the 1-minute load average when it started, and the CPU seconds the rest
    of the machine used meanwhile (``others``).

    ``others`` is what skews wall times on a shared machine: a sample with a large one ran while
    something else competed for the cores. CPU time depends far less on that competition.
    """

    wall: float
    cpu: float
    load: float = 0.0
    others: float = 0.0

    def __add__(self, other: Sample) -> Sample:
        load = max(self.load, other.load)
        return Sample(self.wall + other.wall, self.cpu + other.cpu, load, self.others + other.others)


@dataclass
class Timings:
    """Samples per label, in the order they were measured."""

    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def add(self, label: str, sample: Sample) -> None:
        """Record one measurement of ``label``."""
        self.samples.setdefault(label, []).append(sample)

    def walls(self, label: str) -> list[float]:
        """The wall times of ``label``."""
        return [s.wall for s in self.samples[label]]

    def median(self, label: str) -> float:
        """Median wall time of ``label``."""
        return statistics.median(self.walls(label))

    def min_wall(self, label: str) -> float:
        """Shortest wall time of ``label`` (the run least disturbed by other work)."""
        return min(self.walls(label))

    def median_cpu(self, label: str) -> float:
        """Median child CPU time of ``label``."""
        return statistics.median(s.cpu for s in self.samples[label])


def run_checked(args: Sequence[str]) -> None:
    """Run a command (no stdin, output captured); raise RuntimeError with its stderr tail on failure."""
    done = subprocess.run(list(args), stdin=subprocess.DEVNULL, capture_output=True, check=False)
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace")[-2000:]
        raise RuntimeError(f"command failed ({done.returncode}): {' '.join(args[:6])} ...\n{tail}")


def _own_cpu() -> float:
    """CPU seconds of this process plus every child it has waited for."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy since boot (/proc/stat; 0 where unavailable)."""
    try:
        fields = Path("/proc/stat").read_text(encoding="utf-8").split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(v) for v in fields]
    idle = ticks[3] + ticks[4]  # idle + iowait
    guest = sum(ticks[8:10])  # guest time is already counted in user/nice
    return (sum(ticks) - idle - guest) / os.sysconf("SC_CLK_TCK")


def timed(action: Callable[[], Any]) -> Sample:
    """Run ``action()``: wall time (time.perf_counter), own CPU time and the other processes' CPU time."""
    load, cpu, busy = load_average(), _own_cpu(), machine_busy()
    start = time.perf_counter()
    action()
    wall = time.perf_counter() - start
    own = _own_cpu() - cpu
    return Sample(wall, own, load, max(0.0, machine_busy() - busy - own))


def wait_until_quiet(max_share: float, timeout: float, window: float = 3.0) -> float:
    """Wait (up to ``timeout`` s) until other processes use at most ``max_share`` of the cores.

    Returns the share last measured over ``window`` seconds. A benchmark sharing its machine calls
    this before each run; it goes on after the timeout anyway (the sample's ``others`` tells).
    """
    cores = os.cpu_count() or 1
    deadline = time.monotonic() + timeout
    while True:
        busy = machine_busy()
        time.sleep(window)
        share = (machine_busy() - busy) / (window * cores)
        if share <= max_share or time.monotonic() >= deadline:
            return share


def _encode_source(args: list[str], target: Path) -> Path:
    """Run an ffmpeg command whose last argument is a temporary file, then move it to ``target``."""
    part = target.with_suffix(".part.mp4")
    run_checked(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args, str(part)])
    part.replace(target)
    return target


def real_1080p_source(seconds: int = SOURCE_SECONDS) -> Path:
    """Big Buck Bunny looped and scaled to 1080p (the media README's recipe), made once into the cache."""
    target = CACHE_DIR / f"bbb_1080p_{seconds}s.mp4"
    if target.exists():
        return target
    print(f"preparing {target.name} from {MEDIA_DIR / SAMPLE_NAME} (once) ...", flush=True)
    loops = str(max(0, math.ceil(seconds / 5) - 1))  # the sample lasts 5.3 s; 30 s -> -stream_loop 5
    args = ["-stream_loop", loops, "-i", str(MEDIA_DIR / SAMPLE_NAME), "-vf", "scale=1920:1080",
            "-c:v", "libx264", "-crf", "18", "-c:a", "aac", "-t", str(seconds)]  # fmt: skip
    return _encode_source(args, target)


def synthetic_1080p_source(seconds: int = SOURCE_SECONDS) -> Path:
    """A generated 1080p 25 fps source with stereo audio (moving pattern + grain, so x264 has work)."""
    target = CACHE_DIR / f"lavfi_1080p_{seconds}s.mp4"
    if target.exists():
        return target
    print(f"preparing {target.name} from ffmpeg's lavfi sources (once) ...", flush=True)
    video = f"testsrc2=size=1920x1080:rate=25:duration={seconds},noise=alls=12:allf=t"
    audio = f"sine=frequency=440:sample_rate=48000:duration={seconds}"
    args = ["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio, "-ac", "2",
            "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]  # fmt: skip
    return _encode_source(args, target)


def prepare_source(explicit: Path | None = None, seconds: int = SOURCE_SECONDS) -> Path:
    """The benchmark source: ``explicit`` when given, else real footage if present, else a generated one."""
    if explicit is not None:
        if not explicit.is_file():
            raise SystemExit(f"source not found: {explicit}")
        return explicit.resolve()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    if (MEDIA_DIR / SAMPLE_NAME).is_file():
        return real_1080p_source(seconds)
    return synthetic_1080p_source(seconds)


def fresh_dir(path: Path) -> Path:
    """An empty folder at ``path`` (removed first when it exists)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def folder_bytes(path: Path) -> int:
    """Total size of the files under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ffmpeg_version() -> str:
    done = subprocess.run(["ffmpeg", "-version"], capture_output=True, check=False)
    first = done.stdout.decode("utf-8", "replace").splitlines()[:1]
    return first[0].split(" Copyright")[0].removeprefix("ffmpeg version ") if first else "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _virtualised() -> bool:
    try:
        return " hypervisor" in Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return False


def load_average() -> float:
    """The 1-minute load average (other work on the machine skews wall times; it is recorded)."""
    return round(os.getloadavg()[0], 2)


def code_state() -> dict[str, Any]:
    """The commit the app's code is at and how many files of hlsstudio/ differ from it (a result
    depends on both)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(BENCH_DIR.parent), *args], capture_output=True, check=False)
        return done.stdout.decode("utf-8", "replace").strip()

    changed = [line for line in git("status", "--porcelain", "--", "hlsstudio").splitlines() if line]
    return {"commit": git("rev-parse", "--short", "HEAD") or "unknown", "changed_app_files": len(changed)}


def machine_info() -> dict[str, Any]:
    """CPU model, core count, memory, OS, ffmpeg and Python versions, load and the date (UTC)."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "virtual_machine": _virtualised(),
        "load_average_1min": load_average(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "ffmpeg": _ffmpeg_version(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def machine_line(info: dict[str, Any]) -> str:
    """One line describing the machine, for printed reports."""
    vm = " (VM)" if info.get("virtual_machine") else ""
    return (
        f"{info['cpu']}{vm}, {info['cores']} cores, {info['memory_gib']} GiB, {info['os']}; "
        f"ffmpeg {info['ffmpeg']}; Python {info['python']}; {info['date']}"
    )


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a Markdown table (columns padded), so the output can be pasted into the README."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    print(line(cells[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        print(line(row))


def write_results(name: str, payload: dict[str, Any], machine: dict[str, Any] | None = None) -> Path:
    """Write ``payload`` plus the machine info to bench/results/<name>.json; returns the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    doc = {"benchmark": name, "machine": machine or machine_info(), "command": sys.argv, **payload}
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path
