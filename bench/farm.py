"""The render farm against one local process: the same 1080p title encoded (a) by the one-process
encode, (b) in chunks over one farm worker, (c) in chunks over two farm workers, all on this machine.

Each side is the whole job of ``hlsstudio.core.pipeline.transcode`` (probe … install); the farm sides
run it with the encode stage on the farm (``FarmEncode``: upload the source, chunks on the workers,
stitch, download), against a loopback ``redis-server`` and moto (a child process) as the bucket, with
real ``hlsstudio-worker`` processes (prefork, one pool process each, queues cpu+io). Measured:

* wall time of the job, and CPU time (this process and its children; for the farm also every part's
  ffmpeg CPU time as the workers report it);
* the overhead the farm adds to the encode: the source upload, the parts' uploads (on the workers),
  the stitch (from the last part done to the stitched manifest) and the download of the stitched
  title, as a share of the encode (the parts' ffmpeg wall time, summed). Goal: ≤ 5 %;
* a projection for N workers from the per-part times of (b): the parts handed out in queue order to
  whichever worker is free first, plus the job's fixed stages and the transfers;
* with ``--workers 1,2,4,8`` on a machine with the cores for it, the measured scaling efficiency of
  each count (the one-worker job wall over N times the N-worker one; goal at 8 workers: ≥ 0.8).

On this 2-core machine two workers compete for the same cores, so (c) shows the overhead of the
split rather than a speed-up; the projection is what a real farm of one machine per worker would do.
Transfers go over loopback to moto: a real bucket over a real link adds time in proportion to bytes.

Default: Big Buck Bunny looped and scaled to 1080p, 60 s, three rungs (1080p, 720p, 360p), x264
veryfast, 4 s segments, chunks of about 12 s (5 chunks). About 6 minutes on 2 cores.

Run: ``.venv/bin/python bench/farm.py [--seconds 60] [--preset veryfast] [--chunk 12] [--source FILE]
[--workers 1,2]``.
"""

from __future__ import annotations

import argparse
import heapq
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import CACHE_DIR, Sample, fresh_dir, machine_info, machine_line, print_table, timed, write_results
from common_io import (
    ACCESS_KEY_ID,
    FIGURE_HEADERS,
    SECRET_ACCESS_KEY,
    Figure,
    at_least,
    at_most,
    bench_source,
    create_bucket,
    isolate_app_home,
    moto_server,
    s3_client,
    sample_line,
)

from hlsstudio.core.jobs.context import JobContext
from hlsstudio.core.jobs.stages import stages_replaced
from hlsstudio.core.models import EncodeSettings, Ladder, Rung
from hlsstudio.core.pipeline import transcode
from hlsstudio.core.settings import DestinationSettings
from hlsstudio.core.toolchain import locate_toolchain
from hlsstudio.farm import follow
from hlsstudio.farm.config import load_config
from hlsstudio.farm.progress import FarmStatus
from hlsstudio.farm.remote import FarmEncode
from hlsstudio.farm.spec import FarmJob
from hlsstudio.farm.store import farm_store
from hlsstudio.farm.submit import FarmClient

WORKER = Path(sys.executable).with_name("hlsstudio-worker")
LADDER = Ladder(
    rungs=[
        Rung(name="360p", height=360, video_kbps=800, audio_kbps=128),
        Rung(name="720p", height=720, video_kbps=2800, audio_kbps=128),
        Rung(name="1080p", height=1080, video_kbps=5000, audio_kbps=128),
    ]
)
PROJECTED = (1, 2, 4, 8, 16)
OVERHEAD_GOAL = 5.0
SCALING_WORKERS, SCALING_GOAL = 8, 0.8


class TimedStore:
    """The farm's store, timing the desktop's uploads (the source) as they happen."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.upload_seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def upload_file(self, *args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            self.inner.upload_file(*args, **kwargs)
        finally:
            self.upload_seconds += time.perf_counter() - started


class MeasuredEncode(FarmEncode):
    """The farm's encode stage, noting when each phase ended (the follower polls every 0.1 s here)."""

    def __init__(self, client: FarmClient) -> None:
        super().__init__(client, on_status=self._seen)
        self.marks: dict[str, float] = {}
        self.status: FarmStatus | None = None
        self.spec: FarmJob | None = None

    def _seen(self, status: FarmStatus) -> None:
        self.status = status
        if all(p.state == "done" for p in status.parts):
            self.marks.setdefault("parts_done", time.perf_counter())
        if status.manifest:
            self.marks.setdefault("stitched", time.perf_counter())

    def prepare(self, ctx: JobContext) -> FarmJob:
        self.marks["start"] = time.perf_counter()
        self.client.store.upload_seconds = 0.0
        self.spec = super().prepare(ctx)
        self.marks["uploaded"] = time.perf_counter()
        self.marks["source_upload"] = self.client.store.upload_seconds
        return self.spec

    def collect(self, spec: FarmJob, ctx: JobContext) -> None:
        self.marks["submitted"] = time.perf_counter()
        super().collect(spec, ctx)
        self.marks["downloaded"] = time.perf_counter()


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A throw-away redis-server on a free loopback port (no persistence)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    redis = shutil.which("redis-server") or "/usr/bin/redis-server"
    args = [
        redis,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(folder),
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def start_workers(count: int, env: dict[str, str], folder: Path) -> list[subprocess.Popen[bytes]]:
    """``count`` workers (one pool process each, queues cpu+io), logging into ``folder``."""
    workers = []
    for n in range(count):
        args = [str(WORKER), "--queues", "cpu,io", "--concurrency", "1", "--hostname", f"bench{n}@farm"]
        with (folder / f"worker{n}.log").open("ab") as log:
            workers.append(subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT))
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def wait_live(client: FarmClient, count: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while len(client.live_queues().get("cpu", [])) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"the {count} farm workers did not start (see {CACHE_DIR / 'farm'})")
        time.sleep(0.5)


def run_local(source: Path, settings: EncodeSettings, out: Path) -> Sample:
    toolchain = locate_toolchain()
    return timed(
        lambda: transcode(source, fresh_dir(out), ladder=LADDER, settings=settings, toolchain=toolchain)
    )


def run_farm(
    source: Path, settings: EncodeSettings, out: Path, client: FarmClient
) -> tuple[Sample, MeasuredEncode]:
    encode = MeasuredEncode(client)
    toolchain = locate_toolchain()

    def job() -> None:
        with stages_replaced({"encode": encode}):
            result = transcode(source, fresh_dir(out), ladder=LADDER, settings=settings, toolchain=toolchain)
        if result.status != "completed":
            raise SystemExit(f"the farm job failed: {result.error}")

    return timed(job), encode


def farm_numbers(sample: Sample, encode: MeasuredEncode) -> dict[str, Any]:
    """The phases of one farm run, in seconds, and its overhead share."""
    marks, status = encode.marks, encode.status
    assert status is not None
    parts = {p.part: p for p in status.parts}
    encode_s = sum(p.encode_seconds for p in parts.values())
    numbers = {
        "wall": sample.wall,
        "cpu": sample.cpu + sum(p.cpu_seconds for p in parts.values()),
        "source_upload": marks["source_upload"],
        "dispatch": marks["uploaded"] - marks["start"] - marks["source_upload"],
        "part_uploads": sum(p.upload_seconds for p in parts.values()),
        "stitch": marks["stitched"] - marks["parts_done"],
        "download": marks["downloaded"] - marks["stitched"],
        "encode": encode_s,
        "farm_wall": marks["parts_done"] - marks["submitted"],
        "fixed_stages": sample.wall - (marks["downloaded"] - marks["start"]),
        "parts": {
            name: {
                "encode": p.encode_seconds,
                "upload": p.upload_seconds,
                "cpu": p.cpu_seconds,
                "host": p.host,
            }
            for name, p in parts.items()
        },
    }
    overhead = numbers["source_upload"] + numbers["part_uploads"] + numbers["stitch"] + numbers["download"]
    numbers["overhead"] = overhead
    numbers["overhead_pct"] = 100 * overhead / encode_s if encode_s else 0.0
    return numbers


def makespan(durations: list[float], workers: int) -> float:
    """Parts handed out in queue order to whichever of ``workers`` is free first: when the last ends."""
    free = [0.0] * workers
    heapq.heapify(free)
    for duration in durations:
        heapq.heappush(free, heapq.heappop(free) + duration)
    return max(free)


def projection(one: dict[str, Any]) -> list[list[object]]:
    """Projected wall time for N workers from the one-worker run's per-part times."""
    parts = [p["encode"] + p["upload"] for p in one["parts"].values()]
    serial = one["fixed_stages"] + one["dispatch"] + one["source_upload"] + one["stitch"] + one["download"]
    return [[n, f"{serial + makespan(parts, n):.1f} s", f"{makespan(parts, n):.1f} s"] for n in PROJECTED]


def efficiency(runs: dict[str, dict[str, Any]], key: str) -> float:
    """Scaling efficiency of the run ``key`` (N workers): the one-worker job wall over N times its own
    (1.0: N workers finish N times sooner)."""
    count = int(key.removeprefix("farm_"))
    return float(runs["farm_1"]["wall"] / (count * runs[key]["wall"]))


def scaling_figures(runs: dict[str, dict[str, Any]]) -> list[Any]:
    """Measured scaling efficiency for every run of more than one worker (goal 0.8 at 8 workers; the
    other counts are shown without a goal)."""
    figures = []
    for key in runs:
        count = int(key.removeprefix("farm_"))
        if count == 1:
            continue
        value = efficiency(runs, key)
        if count == SCALING_WORKERS:
            figures.append(at_least(f"scaling efficiency, {count} workers", value, SCALING_GOAL))
        else:
            figures.append(Figure(f"scaling efficiency, {count} workers", value, "", "—", None, ""))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--chunk", type=float, default=12.0, help="about how long a chunk is (s)")
    parser.add_argument("--source", type=Path)
    parser.add_argument(
        "--workers", default="1,2", help="worker counts to run, 1 first (a machine with more cores: 1,2,4,8)"
    )
    args = parser.parse_args()
    counts = sorted({int(n) for n in args.workers.split(",")} | {1})
    machine = machine_info()
    source = bench_source(args.seconds, args.source)
    isolate_app_home("farm")
    folder = fresh_dir(CACHE_DIR / "farm")
    settings = EncodeSettings(preset=args.preset, segment_duration=4, measure_quality=False)
    follow.POLL_SECONDS = 0.1
    print(
        f"{machine_line(machine)}\nsource {source.name}, {args.seconds} s, preset {args.preset}", flush=True
    )
    local = run_local(source, settings, folder / "local")
    print(sample_line("local", local), flush=True)
    runs: dict[str, dict[str, Any]] = {}
    with moto_server() as s3:
        bucket = create_bucket(s3_client(s3.url))
        redis, redis_url = start_redis(folder)
        env = {**os.environ, "HLSSTUDIO_REDIS_URL": redis_url, "HLSSTUDIO_FARM_CHUNK": f"{args.chunk:g}",
               "HLSSTUDIO_FARM_SPLIT_OVER": "1", "R2_BUCKET_NAME": bucket, "R2_ENDPOINT_URL": s3.url,
               "R2_ACCESS_KEY_ID": ACCESS_KEY_ID, "R2_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY}  # fmt: skip
        config = load_config(environ=env)
        client = FarmClient(config, TimedStore(farm_store(config, DestinationSettings(), environ=env)))
        try:
            for count in counts:
                workers = start_workers(count, env, folder)
                try:
                    wait_live(client, count)
                    client.store.delete_keys([o.key for o in client.store.list_objects("sources/")])
                    sample, encode = run_farm(source, settings, folder / f"farm{count}", client)
                finally:
                    stop_workers(workers)
                runs[f"farm_{count}"] = farm_numbers(sample, encode)
                print(sample_line(f"farm x{count}", sample), flush=True)
        finally:
            client.close()
            redis.terminate()
            redis.wait(10)
    report(machine, args, local, runs)


def report(
    machine: dict[str, Any], args: argparse.Namespace, local: Sample, runs: dict[str, dict[str, Any]]
) -> None:
    one = runs["farm_1"]
    rows = [["local (one process)", f"{local.wall:.1f}", f"{local.cpu:.1f}", *["—"] * 6]]
    for key, r in runs.items():
        count = int(key.removeprefix("farm_"))
        name = f"farm, {count} worker{'s' if count > 1 else ''}"
        times = [f"{r[k]:.2f}" for k in ("dispatch", "source_upload", "part_uploads", "stitch", "download")]
        rows.append([name, f"{r['wall']:.1f}", f"{r['cpu']:.1f}", f"{r['encode']:.1f}", *times])
    print()
    print_table(
        [
            "side",
            "wall s",
            "CPU s",
            "encode s",
            "dispatch s",
            "source up s",
            "parts up s",
            "stitch s",
            "download s",
        ],
        rows,
    )
    per_part = ", ".join(f"{k} {v['encode']:.1f}+{v['upload']:.2f} s" for k, v in one["parts"].items())
    print(f"\nper part, encode + upload (1 worker): {per_part}")
    print("\nProjection from the one-worker run (parts in queue order on N workers, plus the fixed")
    print("stages and the transfers):")
    print_table(["workers", "projected job wall", "parts makespan"], projection(one))
    figures = [
        at_most(f"farm overhead share, {name} worker(s)", r["overhead_pct"], OVERHEAD_GOAL, " %")
        for name, r in ((k.removeprefix("farm_"), r) for k, r in runs.items())
    ]
    figures += scaling_figures(runs)
    print()
    print_table(FIGURE_HEADERS, [f.row() for f in figures])
    path = write_results(
        "farm",
        {
            "settings": {
                "seconds": args.seconds,
                "preset": args.preset,
                "chunk_seconds": args.chunk,
                "ladder": [r.name for r in LADDER.rungs],
            },
            "local": {"wall": local.wall, "cpu": local.cpu, "others": local.others},
            "farm": runs,
            "projection": projection(one),
            "efficiency": {key: efficiency(runs, key) for key in runs},
            "figures": [f.as_json() for f in figures],
        },
        machine,
    )
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
