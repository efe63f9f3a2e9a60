"""The render farm on the command line: ``--farm`` for ``run``/``transcode`` and ``farm status``.

The farm's Redis is ``HLSSTUDIO_REDIS_URL``, else the one of Settings ▸ Farm (its password in the
keyring); see ``hlsstudio.farm.desktop``. ``--farm`` sends each job's encode to the farm's workers;
the command line itself then downloads, checks and publishes the package as for a local encode.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from hlsstudio.cli.output import load_settings, print_json

if TYPE_CHECKING:  # the farm (Celery, redis) loads only when a farm command runs
    from hlsstudio.farm.desktop import FarmCheck
    from hlsstudio.farm.progress import FarmStatus

EXIT_NO_FARM = 2
STATUS_EPILOG = "exit status: 0 the farm can take jobs; 1 it cannot (no Redis set up or reachable, no worker)"


def add_farm_option(parser: argparse.ArgumentParser) -> None:
    """``--farm``: encode on the render farm (``run`` and ``transcode``)."""
    parser.add_argument(
        "--farm",
        action="store_true",
        help="encode on the render farm's workers (Redis from HLSSTUDIO_REDIS_URL or the settings); "
        "this computer then checks and publishes the package",
    )


def register(sub: Any) -> None:
    """Add ``farm status``."""
    farm = sub.add_parser("farm", help="the render farm: its workers, queues and jobs")
    commands = farm.add_subparsers(dest="farm_command", metavar="COMMAND", required=True)
    status = commands.add_parser(
        "status", help="show the farm's live workers, their queues and its jobs", epilog=STATUS_EPILOG
    )
    status.add_argument("--json", action="store_true", help="print the report as JSON")
    status.set_defaults(handler=cmd_status)


def farm_problem() -> str | None:
    """Why jobs cannot go to the farm now (None: they can). For ``--farm`` before anything runs."""
    from hlsstudio.farm.desktop import check_farm, desktop_config

    check = check_farm(desktop_config(load_settings()))
    return None if check.usable else check.summary()


def refuse_without_farm() -> int | None:
    """``--farm`` with no usable farm: one line on stderr and exit status 2; None when it is usable."""
    problem = farm_problem()
    if problem is None:
        return None
    print(f"error: cannot use the farm: {problem}", file=sys.stderr)
    return EXIT_NO_FARM


def job_line(status: FarmStatus) -> str:
    """``12-ab: running 40 % · 3 of 6 chunks done (2 running)``."""
    chunks = status.chunks
    done = sum(p.state == "done" for p in chunks)
    running = sum(p.state == "running" for p in chunks)
    state = "published" if status.result else "stitched" if status.manifest else status.state
    line = f"{status.job}: {state} {status.fraction * 100:.0f} % · {done} of {len(chunks)} chunks done"
    line += f" ({running} running)" if running else ""
    return line + (f" — {status.error}" if status.error else "")


def part_line(part: Any) -> str:
    """One chunk of a job: host, GPU/CPU, progress, speed, attempts and retries, last error."""
    from hlsstudio.farm.desktop import host_of

    speed = f" {part.speed:.1f}x" if part.speed else ""
    where = f" on {host_of(part.host)} ({part.device or '?'})" if part.host else ""
    tries = f", {part.attempts} start(s), {part.retries} retr{'y' if part.retries == 1 else 'ies'}"
    error = f" — {part.error}" if part.error else ""
    return f"    {part.part:<6} {part.state:<8} {part.fraction * 100:5.1f} %{speed}{where}{tries}{error}"


def read_jobs(check: FarmCheck, url: str) -> list[FarmStatus]:
    """Every job on the farm's board (none when Redis cannot be reached)."""
    from hlsstudio.farm.progress import FarmBoard

    if check.problem:
        return []
    board = FarmBoard(url)
    try:
        return [s for s in (board.status(job) for job in board.jobs()) if s is not None]
    finally:
        board.close()


def cmd_status(args: argparse.Namespace) -> int:
    """Print the farm's workers, queues and jobs; exit 1 when it cannot take jobs."""
    from hlsstudio.farm.desktop import check_farm, desktop_config, worker_labels

    config = desktop_config(load_settings())
    check = check_farm(config)
    jobs = read_jobs(check, config.redis_url) if config is not None else []
    labels = worker_labels(sorted(check.workers()))
    if args.json:
        print_json(
            {
                "redis": check.address,
                "usable": check.usable,
                "problem": check.problem,
                "summary": check.summary(),
                "workers": {labels[w]: q for w, q in check.workers().items()},
                "queues": check.live,
                "jobs": [s.model_dump(mode="json") | {"fraction": s.fraction} for s in jobs],
            }
        )
        return 0 if check.usable else 1
    print(f"redis     {check.address or '(not set up)'}")
    print(f"workers   {check.summary()}")
    for queue in ("gpu", "cpu", "io"):
        hosts = ", ".join(labels[w] for w in check.live.get(queue, [])) or "none"
        print(f"  {queue:<4} queue: {hosts}")
    print(f"jobs      {len(jobs) or 'none'}")
    for status in jobs:
        print(f"  {job_line(status)}")
        for part in [*status.parts, *([status.finish] if status.finish is not None else [])]:
            print(part_line(part))
    return 0 if check.usable else 1
