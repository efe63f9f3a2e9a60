"""Helpers for the publishing, GUI and memory benchmarks: an isolated app home, a loopback S3 server
in its own process, rclone's environment, process memory from /proc, and the results' figure rows.

Every server binds 127.0.0.1 only and stops by itself: when the benchmark closes its stdin (or dies),
or after ``SERVER_LIFETIME`` seconds at the latest.
"""

from __future__ import annotations

import os
import select
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import common
from common import (
    BENCH_DIR,
    CACHE_DIR,
    MEDIA_DIR,
    SAMPLE_NAME,
    Sample,
    fresh_dir,
    prepare_source,
    run_checked,
)

ACCESS_KEY_ID = "BENCHACCESSKEYID"
SECRET_ACCESS_KEY = "bench-secret-access-key-not-a-real-one"  # moto accepts any credentials
REGION = "us-east-1"
SERVER_LIFETIME = 3600.0
SERVER_START_TIMEOUT = 60.0
RCLONE_REMOTE = "benchs3"
HLS_ROOT_PREFIX = "hls/movies/"


# --- rounds ---------------------------------------------------------------------------------------


def round_order(sides: Sequence[str], round_no: int) -> list[str]:
    """The sides in the order of round ``round_no`` (0-based): as given, then reversed, and so on."""
    return list(sides) if round_no % 2 == 0 else list(reversed(sides))


def settle(max_share: float = 0.25, timeout: float = 5.0) -> float | None:
    """Before a run: wait (at most ``timeout`` s) until other processes leave the cores mostly idle,
    when common.py offers that; the share of the cores others used last, or None."""
    wait = getattr(common, "wait_until_quiet", None)
    return float(wait(max_share, timeout)) if wait is not None else None


def sample_line(side: str, sample: Sample, extra: str = "") -> str:
    """One printed line per run: wall, CPU, and what else ran on the machine meanwhile."""
    others = getattr(sample, "others", None)
    busy = f", others {others:.1f} CPU s" if others is not None else ""
    return f"  {side:<11} {sample.wall:7.2f} s wall, {sample.cpu:7.2f} s CPU{busy}{extra}"


def sample_json(sample: Sample) -> dict[str, float]:
    """A sample's fields as JSON (whatever fields common.Sample has)."""
    return {k: round(float(v), 3) for k, v in vars(sample).items()}


def median(values: Sequence[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)


@dataclass
class Figure:
    """One headline number of a benchmark, as ``run_all`` summarises it."""

    name: str
    value: float
    unit: str
    goal: str
    met: bool | None
    note: str = ""

    @property
    def text(self) -> str:
        """The value with its unit: 3 decimals for ratios, 1 for times and sizes with a unit."""
        return f"{self.value:.{1 if self.unit.strip() else 3}f}{self.unit}"

    def row(self) -> list[object]:
        """The figure as a table row: name, value, goal, met."""
        met = "—" if self.met is None else ("yes" if self.met else "NO")
        return [self.name, self.text, self.goal, met]

    def as_json(self) -> dict[str, Any]:
        """The figure as a JSON object."""
        return {
            "name": self.name,
            "value": round(self.value, 4),
            "unit": self.unit,
            "goal": self.goal,
            "met": self.met,
            "note": self.note,
        }


def at_most(name: str, value: float, goal: float, unit: str = "", note: str = "") -> Figure:
    """A figure whose goal is ``value <= goal``."""
    return Figure(name, value, unit, f"≤ {goal:g}{unit}", value <= goal, note)


def at_least(name: str, value: float, goal: float, unit: str = "", note: str = "") -> Figure:
    """A figure whose goal is ``value >= goal``."""
    return Figure(name, value, unit, f"≥ {goal:g}{unit}", value >= goal, note)


def below(name: str, value: float, goal: float, unit: str = "", note: str = "") -> Figure:
    """A figure whose goal is ``value < goal``."""
    return Figure(name, value, unit, f"< {goal:g}{unit}", value < goal, note)


FIGURE_HEADERS = ["figure", "value", "goal", "met"]


# --- the app's environment --------------------------------------------------------------------------


def isolate_app_home(name: str) -> Path:
    """Point the app at a fresh home of its own (settings, job store, logs), away from the user's.

    Also: no destination or webhook variables, the null keyring (never the OS keyring), and the
    working directory inside that home so no ``./.env`` is read. Call before the app reads settings.
    """
    from hlsstudio.core.storage.config import DESTINATION_ENV

    home = fresh_dir(CACHE_DIR / "homes" / name)
    os.environ["HLSSTUDIO_HOME"] = str(home)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    for var in DESTINATION_ENV:
        os.environ.pop(var, None)
    os.chdir(home)
    return home


def unique_id(label: str) -> str:
    """A content id nobody used before (a fresh prefix: nothing to skip, nothing stale)."""
    return f"{label}-{uuid.uuid4().hex[:10]}"


# --- sources and packages ------------------------------------------------------------------------------


def bench_source(seconds: int, explicit: Path | None = None) -> Path:
    """The shared 1080p benchmark source of ``seconds`` length (prepared once into the cache)."""
    return prepare_source(explicit, seconds=seconds)


def real_720p_source(seconds: int) -> Path:
    """Big Buck Bunny looped at its own 1280x720 to ``seconds`` (H.264 CRF 18 + AAC), made once."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    target = CACHE_DIR / f"bbb_720p_{seconds}s.mp4"
    if target.exists():
        return target
    sample = MEDIA_DIR / SAMPLE_NAME
    if not sample.is_file():
        raise SystemExit(f"{sample} is missing: pass --source")
    print(f"preparing {target.name} from {sample} (once) ...", flush=True)
    part = target.with_suffix(".part.mp4")
    loops = str(max(0, -(-seconds // 5) - 1))  # the sample lasts 5.3 s
    run_checked(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                 "-stream_loop", loops, "-i", str(sample), "-c:v", "libx264", "-preset", "veryfast",
                 "-crf", "18", "-c:a", "aac", "-t", str(seconds), str(part)])  # fmt: skip
    part.replace(target)
    return target


def package_stats(folder: Path) -> dict[str, int]:
    """Files and bytes of a package folder (hidden files left out)."""
    files = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}


# --- servers in child processes -----------------------------------------------------------------------

_MOTO_CHILD = """
import sys, threading
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
watch = threading.Thread(target=sys.stdin.read, daemon=True)
watch.start()
watch.join(float(sys.argv[1]))  # until the parent closes stdin (or dies), or the lifetime ends
server.stop()
"""


def _read_line(stream: IO[bytes], timeout: float) -> str:
    """One line from a child's stdout, waiting at most ``timeout`` s."""
    ready, _, _ = select.select([stream], [], [], timeout)
    if not ready:
        raise RuntimeError(f"no answer from the server process within {timeout:g} s")
    return stream.readline().decode("ascii", "replace").strip()


@dataclass
class ChildServer:
    """A server in a child process that printed its port; stopped by closing its stdin."""

    proc: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        """Its http:// URL on the loopback interface."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> str:
        """Close its stdin, wait for it (kill after 10 s); what it printed after the port."""
        if self.proc.returncode is not None:
            return ""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        out = self.proc.stdout.read() if self.proc.stdout is not None else b""
        return out.decode("utf-8", "replace")


def start_child_server(args: list[str], name: str) -> ChildServer:
    """Start ``args`` (a server printing its port on the first line of stdout); wait for the port."""
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    try:
        line = _read_line(proc.stdout, SERVER_START_TIMEOUT)
        return ChildServer(proc, int(line))
    except (RuntimeError, ValueError) as exc:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"{name} did not start: {exc}") from None


@contextmanager
def moto_server() -> Iterator[ChildServer]:
    """moto's ThreadedMotoServer on 127.0.0.1 in a child process (its request handling does not compete
    for this process's GIL with the uploads being measured)."""
    server = start_child_server([sys.executable, "-c", _MOTO_CHILD, str(SERVER_LIFETIME)], "moto")
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def throttle_proxy(upstream: ChildServer, mbit: float) -> Iterator[ChildServer]:
    """``bench/throttle.py`` in a child process: forwards to ``upstream``, request bodies limited to
    ``mbit`` Mbit/s in total (one token bucket for all connections)."""
    args = [
        sys.executable,
        str(BENCH_DIR / "throttle.py"),
        "--upstream",
        f"127.0.0.1:{upstream.port}",
        "--mbit",
        f"{mbit:g}",
        "--lifetime",
        f"{SERVER_LIFETIME:g}",
    ]
    server = start_child_server(args, "throttle proxy")
    try:
        yield server
    finally:
        server.stop()


def s3_client(endpoint_url: str) -> Any:
    """A plain boto3 client for setting up and cleaning buckets (not the code being measured)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}),
    )


def create_bucket(client: Any) -> str:
    """A fresh, empty bucket; its name."""
    name = f"bench-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return name


def stored(client: Any, bucket: str, prefix: str) -> dict[str, int]:
    """key -> size of what is stored under ``prefix``."""
    found: dict[str, int] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"]] = int(item["Size"])
    return found


def empty_prefix(client: Any, bucket: str, prefix: str) -> int:
    """Delete everything under ``prefix`` (keeps moto's memory bounded between runs); the count."""
    keys = list(stored(client, bucket, prefix))
    for start in range(0, len(keys), 1000):
        batch = [{"Key": k} for k in keys[start : start + 1000]]
        client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    return len(keys)


def s3_destination(endpoint_url: str, bucket: str) -> Any:
    """The app's own S3Destination for ``bucket`` at ``endpoint_url``."""
    from hlsstudio.core.storage import S3Destination

    return S3Destination(
        bucket=bucket,
        endpoint_url=endpoint_url,
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=SECRET_ACCESS_KEY,
        region=REGION,
        public_url="https://cdn.bench.invalid",
    )


# --- rclone -----------------------------------------------------------------------------------------


def rclone_binary() -> str:
    """rclone's path; exits with the install hint when it is missing."""
    found = shutil.which("rclone")
    if found is None:
        raise SystemExit("rclone is not installed: apt-get install -y rclone")
    return found


def rclone_env(endpoint_url: str) -> dict[str, str]:
    """This process's environment minus ``AWS_CA_BUNDLE`` (Debian's rclone refuses to start with it),
    plus an S3 remote named ``benchs3`` defined by ``RCLONE_CONFIG_*`` variables (no config file)."""
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    remote = f"RCLONE_CONFIG_{RCLONE_REMOTE.upper()}_"
    env.update(
        {
            "RCLONE_CONFIG": os.devnull,
            f"{remote}TYPE": "s3",
            f"{remote}PROVIDER": "Other",
            f"{remote}ENDPOINT": endpoint_url,
            f"{remote}ACCESS_KEY_ID": ACCESS_KEY_ID,
            f"{remote}SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            f"{remote}REGION": REGION,
        }
    )
    return env


def rclone_version() -> str:
    """rclone's version line."""
    done = subprocess.run([rclone_binary(), "version"], capture_output=True, check=False)
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return lines[0] if lines else "unknown"


# --- process memory ------------------------------------------------------------------------------------


def status_kib(pid: int | str, field_name: str) -> int | None:
    """A ``/proc/<pid>/status`` field in KiB (VmRSS, VmHWM …); None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return None


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) process ``pid`` has used so far; 0.0 when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS (``5`` into clear_refs); False if not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def child_pids(parent: int) -> list[int]:
    """Direct children of ``parent`` (through /proc/<pid>/task/*/children, else a scan of /proc)."""
    tasks = Path(f"/proc/{parent}/task")
    found: list[int] = []
    try:
        for task in tasks.iterdir():
            text = (task / "children").read_text(encoding="ascii")
            found += [int(p) for p in text.split()]
        return found
    except OSError:
        pass
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(entry.name))
    return found


def process_name(pid: int) -> str:
    """The command name of ``pid`` ('' when it is gone)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""


@dataclass
class ChildPeak:
    """Peak memory of one child process as seen by polling (KiB)."""

    pid: int
    name: str
    hwm_kib: int = 0
    max_rss_kib: int = 0
    samples: int = 0


@dataclass
class ChildMemorySampler:
    """Polls the children of this process named ``name`` every ``interval`` s, in a thread.

    For each child: the last ``VmHWM`` read (the kernel's own peak, so a peak between two polls is not
    missed as long as one poll happens after it) and the largest ``VmRSS`` polled.
    """

    name: str = "ffmpeg"
    interval: float = 0.02
    peaks: dict[int, ChildPeak] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _poll(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            for pid in child_pids(me):
                peak = self.peaks.get(pid)
                if peak is None:
                    if process_name(pid) != self.name:
                        continue
                    peak = self.peaks[pid] = ChildPeak(pid, self.name)
                hwm, rss = status_kib(pid, "VmHWM"), status_kib(pid, "VmRSS")
                if hwm is not None:
                    peak.hwm_kib = max(peak.hwm_kib, hwm)
                    peak.samples += 1
                if rss is not None:
                    peak.max_rss_kib = max(peak.max_rss_kib, rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> ChildMemorySampler:
        self._thread = threading.Thread(target=self._poll, name="memory-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def mib(kib: int | float) -> float:
    """KiB -> MiB."""
    return kib / 1024


def now() -> float:
    """A monotonic clock for wall times (perf_counter)."""
    return time.perf_counter()
