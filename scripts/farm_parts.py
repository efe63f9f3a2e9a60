"""The farm the farm shot runs on, all on this machine and all real: moto's S3 server as the bucket
(a child process, stopped by closing its stdin), a loopback ``redis-server`` (``tests/farm/farmlab.py``)
and two ``hlsstudio-worker`` processes serving the CPU and I/O queues.

Each worker runs under a machine name of its own (``vm-a``, ``vm-b``) where the system allows it: a
UTS namespace each (``unshare --uts``, as root), so the Farm tab's Worker column tells them apart as
it would two machines; elsewhere both carry this machine's name. ``ShotFarm.stop`` ends everything,
``kill_leftovers`` kills (with a warning) any process of the farm that outlived it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.farm.farmlab import REDIS_SERVER, RedisServer, alive, command_of, descendants

CUTS = {"HLSSTUDIO_FARM_CHUNK": "8", "HLSSTUDIO_FARM_SPLIT_OVER": "20"}
"""Chunks of about 8 s (two 4 s segments), titles over 20 s split: a 40 s title makes 6 chunks (its
first segments are 2 s long: fast start)."""

HOSTS = ("vm-a", "vm-b")
BUCKET = "harbour-media"
ACCESS_KEY, SECRET_KEY = "FARMSHOTKEY", "farm-shot-secret-not-a-real-one"  # moto takes any keys
PUBLIC_URL = "https://media.example.com"
WORKER = Path(sys.executable).with_name("hlsstudio-worker")
FARM_PROCESSES = ("ffmpeg", "ffprobe", "redis-server", "hlsstudio-worker", "celery", "moto")
"""Words in the command line of a process the farm started (or that ran under it)."""
MOTO_CHILD = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # until the parent closes stdin or dies
server.stop()
"""


def own_hostnames() -> bool:
    """Whether a worker can run under a machine name of its own here (``unshare --uts``: root)."""
    if not shutil.which("unshare"):
        return False
    done = subprocess.run(["unshare", "--uts", "true"], capture_output=True, check=False)
    return done.returncode == 0


class ShotFarm:
    """Redis, moto and two workers for the shot; ``stop`` ends them all and ``leftovers`` says
    which of its processes are still alive."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.redis = RedisServer(folder / "redis")
        self.moto: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.seen: set[int] = set()  # every process it started, and what ran under its workers
        self.named = own_hostnames()

    def start(self) -> dict[str, str]:
        """Start everything; the environment a farm process needs (Redis, the bucket, the cuts)."""
        endpoint = self.start_moto()
        self.redis.start()
        assert self.redis.proc is not None
        self.seen.add(self.redis.proc.pid)
        env = {
            "HLSSTUDIO_REDIS_URL": self.redis.url,
            **CUTS,
            "R2_BUCKET_NAME": BUCKET,
            "R2_ENDPOINT_URL": endpoint,
            "R2_ACCESS_KEY_ID": ACCESS_KEY,
            "R2_SECRET_ACCESS_KEY": SECRET_KEY,
            "R2_PUBLIC_URL": PUBLIC_URL,
        }
        for host in HOSTS:
            self.start_worker(host, env)
        return env

    def start_moto(self) -> str:
        """moto's server in a child process with the bucket made; its endpoint URL."""
        import boto3

        self.moto = subprocess.Popen(
            [sys.executable, "-c", MOTO_CHILD],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.seen.add(self.moto.pid)
        assert self.moto.stdout is not None
        port = self.moto.stdout.readline().strip()
        if not port.isdigit():
            sys.exit("moto's S3 server did not start (pip install 'moto[server]')")
        endpoint = f"http://127.0.0.1:{int(port)}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)  # fmt: skip
        s3.create_bucket(Bucket=BUCKET)
        return endpoint

    def start_worker(self, host: str, farm: dict[str, str]) -> None:
        """One worker (one pool process, CPU and I/O queues) named ``host``, logging beside Redis."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("R2_", "HLSSTUDIO_FARM"))}
        env.update(farm, HLSSTUDIO_HOME=str(self.folder / host), PYTHONUNBUFFERED="1")
        name = f"farm@{host}" if self.named else f"{host}@farm"
        args = [str(WORKER), "--queues", "cpu,io", "--concurrency", "1", "--pool", "prefork",
                "--hostname", name, "--loglevel", "info"]  # fmt: skip
        if self.named:  # the shell sets the name, then becomes the worker (same process)
            args = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', host, *args]
        with (self.folder / f"worker-{host}.log").open("ab") as log:
            worker = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(worker)
        self.seen.add(worker.pid)

    def ffmpeg_running(self) -> bool:
        """Whether an ffmpeg runs under a worker."""
        below = {p for w in self.workers for p in descendants(w.pid)}
        return any(Path((command_of(p) or [""])[0]).name.startswith("ffmpeg") for p in below)

    def stop(self) -> None:
        """Warm shutdown of the workers (SIGTERM, SIGKILL after 15 s), then Redis and moto."""
        for worker in self.workers:
            self.seen |= descendants(worker.pid)
            if worker.poll() is None:
                worker.terminate()
        for worker in self.workers:
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self.redis.stop()
        if self.moto is not None and self.moto.poll() is None:
            assert self.moto.stdin is not None
            self.moto.stdin.close()
            try:
                self.moto.wait(10)
            except subprocess.TimeoutExpired:
                self.moto.kill()
                self.moto.wait()

    def leftovers(self) -> dict[int, str]:
        """Its processes still alive, and farm-like processes under this one (pid -> command)."""
        found = {}
        for pid in self.seen | descendants(os.getpid()):
            command = " ".join(command_of(pid))
            if alive(pid) and any(word in command for word in FARM_PROCESSES):
                found[pid] = command
        return found


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in this process's environment for the block; the previous values back after it."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def redis_installed() -> bool:
    """Whether ``redis-server`` can be started here."""
    return bool(shutil.which("redis-server")) or Path(REDIS_SERVER).exists()


def kill_leftovers(farm: ShotFarm) -> list[int]:
    """Kill what is left of ``farm`` after ``stop`` (printing a warning for each); their pids."""
    left = farm.leftovers()
    for pid, command in left.items():
        print(f"warning: {command[:120]} (pid {pid}) outlived the farm shot: killed", file=sys.stderr)
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return list(left)
