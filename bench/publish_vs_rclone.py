"""Publishing a package: the app's ``publish_package`` versus ``rclone copy`` of the same folder.

Both upload the same real package (the 1080p 30 s source transcoded once by the app with the default
ladder, kept in bench/.cache) to the same loopback S3 endpoint: moto's ThreadedMotoServer on 127.0.0.1,
in a child process of its own so its request handling does not share this process's GIL with the
uploads being measured. Comparable concurrency: the app's ``upload_concurrency`` 8 versus rclone's
``--transfers 8 --checkers 8``. Every run writes to a fresh prefix, so neither side skips a file;
what a run stored is checked (every key, every size) and deleted again before the next run.

Side A (``app``) runs in this process as the app does: build the S3Destination (its boto3 client is
shared with the previous publish, so connections stay open), list the prefix, upload every file
in parallel, the master last. Side B (``rclone``) is Debian's rclone (``apt-get install -y rclone``),
configured only through ``RCLONE_CONFIG_BENCHS3_*`` variables and run without ``AWS_CA_BUNDLE``
(rclone refuses a custom CA bundle it cannot use). Side A' (``app-cold``) is side A with a new
boto3 client for every publish, like the first publish of a session. Figures: median wall app /
rclone (goal ≤ 1.0), and app-cold / rclone.
About 2 minutes once the package exists (its one-time transcode: 1 to 2 minutes on 2 cores).

Run: ``.venv/bin/python bench/publish_vs_rclone.py [--rounds 3] [--seconds 30]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from common import CACHE_DIR, Timings, machine_info, machine_line, print_table, timed, write_results
from common_io import (
    FIGURE_HEADERS,
    RCLONE_REMOTE,
    at_most,
    bench_source,
    create_bucket,
    empty_prefix,
    isolate_app_home,
    median,
    moto_server,
    package_stats,
    process_cpu,
    rclone_binary,
    rclone_env,
    rclone_version,
    round_order,
    s3_client,
    s3_destination,
    sample_json,
    sample_line,
    settle,
    stored,
    unique_id,
)

from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import ContentType, EncodeSettings
from hlsstudio.core.publish import PublishOptions, publish_package
from hlsstudio.core.storage.base import content_prefix
from hlsstudio.core.storage.s3 import forget_shared_clients
from hlsstudio.core.toolchain import locate_toolchain

NAME = "publish_vs_rclone"
GOAL = 1.0
SIDES = ("app", "app-cold", "rclone")
CONCURRENCY = 8
PACKAGE_PRESET = "veryfast"
RCLONE_TIMEOUT = 600.0
REPEAT = 10  # one publish of a 40 MB package takes about 0.5 s: ten per sample steady the figure


def prepare_package(seconds: int, source: Path | None) -> Path:
    """The app's package of the 1080p source (default ladder), transcoded once into the cache."""
    from hlsstudio.core.pipeline import transcode

    folder = CACHE_DIR / f"package_1080p_{seconds}s_{PACKAGE_PRESET}"
    if source is None and (folder / "master.m3u8").is_file():
        return folder
    src = bench_source(seconds, source)
    if source is not None:
        folder = CACHE_DIR / f"package_{src.stem}_{PACKAGE_PRESET}"
    print(f"transcoding {src.name} once into {folder.name} (preset {PACKAGE_PRESET}) ...", flush=True)
    settings = EncodeSettings(preset=PACKAGE_PRESET, encoder="libx264")
    result = transcode(src, folder, ladder=default_ladder(), settings=settings, toolchain=locate_toolchain())
    if result.status != "completed":
        raise SystemExit(f"could not make the package: {result.error}")
    return folder


def run_app(ctx: dict[str, Any], content_id: str) -> None:
    """Side A: the app's publish as a session makes it: a destination built for the publish, whose
    boto3 client (and its open connections) is the one the previous publish used."""
    destination = s3_destination(ctx["endpoint"], ctx["bucket"])
    options = PublishOptions(upload_concurrency=CONCURRENCY)
    publish_package(ctx["package"], destination, ContentType.MOVIE, content_id, options=options)


def run_app_cold(ctx: dict[str, Any], content_id: str) -> None:
    """Side A-cold: the first publish of a session: a new boto3 client and new connections."""
    forget_shared_clients()
    run_app(ctx, content_id)


def rclone_command(ctx: dict[str, Any], content_id: str) -> list[str]:
    """Side B's command line: copy the folder to the same prefix the app would use."""
    prefix = content_prefix(ContentType.MOVIE, content_id).rstrip("/")
    return [
        rclone_binary(), "copy", str(ctx["package"]), f"{RCLONE_REMOTE}:{ctx['bucket']}/{prefix}",
        "--transfers", str(CONCURRENCY), "--checkers", str(CONCURRENCY), "--s3-no-check-bucket",
    ]  # fmt: skip


def run_rclone(ctx: dict[str, Any], content_id: str) -> None:
    """Side B: rclone copy (its own process, its environment without AWS_CA_BUNDLE)."""
    done = subprocess.run(rclone_command(ctx, content_id), env=ctx["rclone_env"], stdin=subprocess.DEVNULL,
                          capture_output=True, check=False, timeout=RCLONE_TIMEOUT)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"rclone failed ({done.returncode}): {done.stderr.decode()[-1500:]}")


def check_stored(ctx: dict[str, Any], content_id: str) -> None:
    """Every file of the package is stored under the prefix with its size; then the prefix is emptied."""
    prefix = content_prefix(ContentType.MOVIE, content_id)
    found = stored(ctx["client"], ctx["bucket"], prefix)
    expected = {
        prefix + p.relative_to(ctx["package"]).as_posix(): p.stat().st_size
        for p in ctx["package"].rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    if found != expected:
        missing = sorted(set(expected) - set(found))[:3]
        raise RuntimeError(f"{content_id}: stored objects differ from the package (missing e.g. {missing})")
    empty_prefix(ctx["client"], ctx["bucket"], prefix)


def publish_all(runner: Callable[[dict[str, Any], str], None], ctx: dict[str, Any], ids: list[str]) -> None:
    """Publish the package once per content id, one after the other."""
    for content_id in ids:
        runner(ctx, content_id)


def run_rounds(ctx: dict[str, Any], rounds: int, repeat: int) -> Timings:
    """``rounds`` rounds, side order alternating. One sample: ``repeat`` publishes of the package one
    after the other, each to a fresh prefix (then checked and removed, untimed)."""
    timings = Timings()
    runners = {"app": run_app, "app-cold": run_app_cold, "rclone": run_rclone}
    for round_no in range(rounds):
        order = round_order(SIDES, round_no)
        print(f"round {round_no + 1}/{rounds}: {', '.join(order)}", flush=True)
        for side in order:
            ids = [unique_id(f"{side}-r{round_no + 1}-{n}") for n in range(repeat)]
            settle()
            server_cpu = process_cpu(ctx["server_pid"])
            sample = timed(partial(publish_all, runners[side], ctx, ids))
            server_cpu = process_cpu(ctx["server_pid"]) - server_cpu
            ctx["server_cpu"].setdefault(side, []).append(server_cpu)
            for content_id in ids:
                check_stored(ctx, content_id)
            timings.add(side, sample)
            share = server_cpu / sample.wall
            extra = f"  ({repeat} publishes; server {server_cpu:.2f} CPU s, {share:.0%} of a core)"
            print(sample_line(side, sample, extra), flush=True)
    return timings


def report(ctx: dict[str, Any], timings: Timings) -> None:
    """Print the table and the ratio; write the JSON results."""
    machine: dict[str, Any] = ctx["machine"]
    stats = ctx["stats"]
    ratio = timings.median("app") / timings.median("rclone")
    cold = timings.median("app-cold") / timings.median("rclone")
    mbytes = stats["bytes"] / 1e6
    print()
    print(f"machine: {machine_line(machine)}")
    print(
        f"package: {ctx['package'].name}: {stats['files']} files, {mbytes:.1f} MB; endpoint moto on "
        f"127.0.0.1 (child process); concurrency {CONCURRENCY}; {ctx['rclone']}; {ctx['rounds']} rounds of "
        f"{ctx['repeat']} publishes per side"
    )
    rows: list[list[object]] = []
    labels = {
        "app": "A  app: publish_package",
        "app-cold": "A' app, first publish (new client)",
        "rclone": f"B  rclone copy --transfers {CONCURRENCY}",
    }
    for side, label in labels.items():
        runs = " ".join(f"{w:.2f}" for w in timings.walls(side))
        wall = timings.median(side)
        rate = mbytes * ctx["repeat"] / wall
        server = median(ctx["server_cpu"][side])
        rows.append(
            [label, f"{wall:.2f}", runs, f"{timings.median_cpu(side):.2f}", f"{rate:.0f}", f"{server:.2f}"]
        )
    print_table(["series", "median wall s", "runs wall s", "median CPU s", "MB/s", "server CPU s"], rows)
    figure = at_most("publish: app / rclone wall", ratio, GOAL)
    cold_figure = at_most("publish, new client each time: app / rclone wall", cold, GOAL)
    print()
    print_table(FIGURE_HEADERS, [figure.row(), cold_figure.row()])
    payload = {
        "settings": {
            "package": str(ctx["package"]),
            "package_files": stats["files"],
            "package_bytes": stats["bytes"],
            "concurrency": CONCURRENCY,
            "rclone": ctx["rclone"],
            "rclone_command": rclone_command(ctx, "CONTENT_ID")[1:],
            "rounds": ctx["rounds"],
            "publishes_per_sample": ctx["repeat"],
        },
        "median_wall": {k: round(timings.median(k), 3) for k in timings.samples},
        "median_cpu": {k: round(timings.median_cpu(k), 3) for k in timings.samples},
        "samples": {k: [sample_json(s) for s in v] for k, v in timings.samples.items()},
        "server_cpu_s": {k: [round(v, 3) for v in vals] for k, vals in ctx["server_cpu"].items()},
        "ratio_wall": round(ratio, 4),
        "ratio_wall_cold": round(cold, 4),
        "figures": [figure.as_json(), cold_figure.as_json()],
    }
    print(f"results: {write_results(NAME, payload, machine)}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds, side order alternating (default 3)")
    parser.add_argument("--seconds", type=int, default=30, help="length of the 1080p source (default 30)")
    parser.add_argument("--source", type=Path, help="package another source video instead")
    parser.add_argument("--repeat", type=int, default=REPEAT, help=f"publishes per sample (default {REPEAT})")
    args = parser.parse_args(argv)
    args.source = args.source.resolve() if args.source else None  # the app's home becomes the cwd
    return args


def main(argv: list[str] | None = None) -> int:
    """Prepare the package and the server, run the alternating rounds, report."""
    args = parse_args(argv)
    isolate_app_home(NAME)
    package = prepare_package(args.seconds, args.source)
    machine = machine_info()
    with moto_server() as moto:
        client = s3_client(moto.url)
        ctx: dict[str, Any] = {
            "package": package,
            "stats": package_stats(package),
            "endpoint": moto.url,
            "server_pid": moto.proc.pid,
            "server_cpu": {},
            "client": client,
            "bucket": create_bucket(client),
            "rclone_env": rclone_env(moto.url),
            "rclone": rclone_version(),
            "rounds": args.rounds,
            "repeat": args.repeat,
            "machine": machine,
        }
        timings = run_rounds(ctx, args.rounds, args.repeat)
    report(ctx, timings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
