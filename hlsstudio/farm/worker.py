"""``hlsstudio-worker``: a Linux machine with FFmpeg working for the farm (or ``doctor`` checking it can).

    hlsstudio-worker [--config FILE] [--queues gpu,cpu,io] [--concurrency N] [--pool prefork|solo]
    hlsstudio-worker doctor [--config FILE] [--queues …]

Settings come from ``--config``/``HLSSTUDIO_FARM_CONFIG`` and the environment (``farm.config``); the
bucket from the ``R2_*`` variables. Without ``--queues`` a worker with a working NVENC serves the GPU
and I/O queues, any other the CPU and I/O queues. Pool processes are tied to the worker: when it is
killed (even with SIGKILL) they are killed too, and with them their ffmpeg.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from celery.signals import worker_process_init

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.farm.app import make_app
from hlsstudio.farm.config import FarmConfig, load_config
from hlsstudio.farm.doctor import healthy, run_doctor
from hlsstudio.farm.parts import worker_toolchain

PR_SET_PDEATHSIG = 1
log = logging.getLogger(__name__)


def default_queues() -> tuple[str, ...]:
    """gpu+io on a machine whose NVENC encodes, else cpu+io."""
    try:
        usable = worker_toolchain().capabilities.nvenc_usable
    except HlsStudioError:
        usable = False
    return ("gpu", "io") if usable else ("cpu", "io")


def die_with_worker(**_: Any) -> None:
    """In a pool process: ask the kernel for SIGKILL when the worker that forked it dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="hlsstudio-worker", description="Work for the HLS Studio render farm.")
    p.add_argument("command", nargs="?", choices=["run", "doctor"], default="run")
    p.add_argument("--config", help="farm settings file (TOML)")
    p.add_argument("--queues", help="queues to serve: gpu, cpu, io (comma-separated)")
    p.add_argument("--concurrency", type=int, help="tasks run at once (GPU: encode sessions / rungs)")
    p.add_argument("--pool", choices=["prefork", "solo"], help="Celery pool (default prefork)")
    p.add_argument("--hostname", help="this worker's name (default: farm@<host>)")
    p.add_argument("--loglevel", default="info", help="debug, info, warning (default info)")
    return p


def worker_argv(config: FarmConfig, queues: tuple[str, ...], hostname: str, loglevel: str) -> list[str]:
    """The Celery worker's own arguments."""
    return [
        "worker",
        "--queues", ",".join(queues),
        "--concurrency", str(config.concurrency),
        "--pool", config.pool,
        "--hostname", hostname,
        "--loglevel", loglevel,
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the worker (until stopped) or the doctor; the exit status says how it went."""
    args = parser().parse_args(argv)
    try:
        config = load_config(
            Path(args.config) if args.config else None,
            queues=args.queues,
            concurrency=args.concurrency,
            pool=args.pool,
        )
    except HlsStudioError as exc:
        print(f"hlsstudio-worker: {exc.message}", file=sys.stderr)
        return 2
    queues = config.queues or default_queues()
    if args.command == "doctor":
        checks = run_doctor(config, queues)
        for check in checks:
            print(check.line())
        return 0 if healthy(checks) else 1
    worker_process_init.connect(die_with_worker, weak=False)
    app = make_app(config)
    hostname = args.hostname or f"farm@{socket.gethostname()}"
    app.worker_main(worker_argv(config, queues, hostname, args.loglevel))
    return 0


if __name__ == "__main__":
    sys.exit(main())
