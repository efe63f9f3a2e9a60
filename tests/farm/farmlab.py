"""A real farm on this machine for tests (and the farm benchmark): a loopback ``redis-server`` and
``hlsstudio-worker`` processes, each started as a real subprocess and stopped reliably.

* ``RedisServer``: ``redis-server --port P --bind 127.0.0.1 --save '' --appendonly no`` (no
  persistence: a restart forgets everything, as the farm's Redis-restart test wants); ``restart()``
  keeps the port.
* ``FarmWorker``: one ``hlsstudio-worker`` (prefork, one pool process) with its environment and log;
  ``pids()`` is the worker and every process under it (pool processes, ffmpeg), read from ``/proc``.
* ``farm_env`` is the environment a farm process needs: Redis, the bucket (moto), short Redis timers.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
WORKER = Path(sys.executable).with_name("hlsstudio-worker")
STOP_GRACE = 15.0


def free_port() -> int:
    """A TCP port nobody listens on now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, grandchildren …), from ``/proc``."""
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            with suppress(OSError):
                for child in children.read_text().split():
                    if int(child) not in found:
                        found.add(int(child))
                        frontier.append(int(child))
    return {p for p in found if alive(p)}


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (not a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def command_of(pid: int) -> list[str]:
    """The command line of ``pid`` (empty when it is gone)."""
    try:
        return [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
    except OSError:
        return []


def is_ffmpeg(pid: int) -> bool:
    """Whether ``pid`` runs an ffmpeg binary."""
    argv = command_of(pid)
    return bool(argv) and Path(argv[0]).name.startswith("ffmpeg")


def wait_until(condition: object, timeout: float, what: str, poll: float = 0.2) -> None:
    """Poll ``condition()`` until it is true; AssertionError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class RedisServer:
    """A throw-away redis-server on a loopback port."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder, self.port = folder, port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        log = str(self.folder / "redis.log")
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.folder), "--logfile", log]  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, 20, "redis-server to answer")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self, down_for: float = 0.0) -> None:
        """Stop it (everything it held is forgotten) and start it again on the same port."""
        self.stop()
        time.sleep(down_for)
        self.start()


def farm_env(redis_url: str, bucket_env: Mapping[str, str], **extra: str) -> dict[str, str]:
    """The environment of a farm process: Redis, the bucket, short timers for tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("R2_", "HLSSTUDIO_FARM"))}
    env.update(bucket_env)
    env.update(
        HLSSTUDIO_REDIS_URL=redis_url,
        HLSSTUDIO_FARM_VISIBILITY="20",
        HLSSTUDIO_FARM_RESTORE="1",
        HLSSTUDIO_FARM_GRACE="60",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class FarmWorker:
    """One ``hlsstudio-worker`` subprocess."""

    def __init__(self, name: str, env: Mapping[str, str], log_dir: Path, queues: str = "cpu,io") -> None:
        self.name, self.env, self.queues = name, dict(env), queues
        self.log = log_dir / f"worker-{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def hostname(self) -> str:
        return f"{self.name}@farmtest"

    def start(self) -> FarmWorker:
        args = [str(WORKER), "--queues", self.queues, "--concurrency", "1", "--pool", "prefork",
                "--hostname", self.hostname, "--loglevel", "info"]  # fmt: skip
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def pids(self) -> set[int]:
        """The worker and every process under it that is alive."""
        if self.proc is None:
            return set()
        own = {self.proc.pid} if self.proc.poll() is None else set()
        return own | descendants(self.proc.pid)

    def ffmpeg_pids(self) -> set[int]:
        return {p for p in self.pids() if is_ffmpeg(p)}

    def kill(self) -> dict[int, list[str]]:
        """SIGKILL the worker process itself (not its pool); returns what ran under it just before
        (pid -> command line)."""
        below = {pid: command_of(pid) for pid in self.pids()}
        os.kill(self.pid, signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(10)
        return below

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL whatever is left of it."""
        if self.proc is None:
            return
        below = self.pids()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in below:
            with suppress(ProcessLookupError):
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextmanager
def running_workers(workers: list[FarmWorker]) -> Iterator[list[FarmWorker]]:
    """Start ``workers``; stop them however the block ends."""
    try:
        for worker in workers:
            worker.start()
        yield workers
    finally:
        for worker in workers:
            worker.stop()
