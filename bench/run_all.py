"""Run every benchmark, one after the other, and print one summary table: figure, goal, met?

Each benchmark runs as its own process (``sys.executable bench/<name>.py``, output shown as it
comes) and writes bench/results/<name>.json; the summary is read from those files and written to
bench/results/summary.json. A benchmark that fails, or leaves no fresh results file, is reported as
such and the others still run. Nothing here judges a figure beyond comparing it with its goal.

Run: ``.venv/bin/python bench/run_all.py [--rounds N] [--only a,b] [--skip a,b] [--pass NAME=ARGS]``.
With the defaults, the benchmarks of this folder other than transcode_vs_per_rung and mobile_startup
take about 15 to 20 minutes on 2 cores; transcode_vs_per_rung adds its own time (it waits for a quiet
machine before each run), mobile_startup about 15 to 20 minutes (two encodes, then 12 plays in
Chromium).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import BENCH_DIR, RESULTS_DIR, machine_info, machine_line, print_table, write_results

BENCHMARKS = (
    "transcode_vs_per_rung",
    "app_overhead",
    "publish_vs_rclone",
    "pipelined_publish",
    "gui_drop_200",
    "memory_peak",
    "mobile_startup",
)
HEADERS = ["benchmark", "figure", "value", "goal", "met"]


def run_one(name: str, rounds: int | None, extra: list[str]) -> dict[str, Any]:
    """Run one benchmark script; its exit code, wall time and whether it wrote fresh results."""
    args = [sys.executable, str(BENCH_DIR / f"{name}.py")]
    if rounds is not None:
        args += ["--rounds", str(rounds)]
    args += extra
    results = RESULTS_DIR / f"{name}.json"
    print(f"\n===== {name}: {' '.join(args[1:])}", flush=True)
    started_wall = time.time()
    started = time.perf_counter()
    done = subprocess.run(args, stdin=subprocess.DEVNULL, check=False)
    seconds = time.perf_counter() - started
    fresh = results.is_file() and results.stat().st_mtime >= started_wall
    return {
        "returncode": done.returncode,
        "seconds": round(seconds, 1),
        "fresh_results": fresh,
        "args": args[1:],
    }


def from_disk(path: Path) -> dict[str, Any]:
    """What is known of an earlier run from its results file (``--summary-only``)."""
    if not path.is_file():
        return {"returncode": None, "fresh_results": False}
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {
        "returncode": 0,
        "fresh_results": True,
        "from_disk": True,
        "date": doc.get("machine", {}).get("date"),
    }


def figures_of(name: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The headline figures of one results file: its ``figures``, else its wall-time ratios
    (``ratios_wall`` or ``ratios["wall"]``) against its ``target_ratio``."""
    if "figures" in doc:
        return [dict(f) for f in doc["figures"]]
    found: list[dict[str, Any]] = []
    target = doc.get("target_ratio")
    ratios = doc.get("ratios_wall") or doc.get("ratios", {}).get("wall", {})
    for key, value in ratios.items():
        met = None if target is None else value <= target
        goal = "—" if target is None else f"≤ {target:g}"
        found.append({"name": f"{key} wall", "value": value, "unit": "", "goal": goal, "met": met})
    return found


def summary_rows(figures: list[dict[str, Any]]) -> list[list[object]]:
    """Table rows: benchmark, figure, value, goal, met."""
    rows: list[list[object]] = []
    for f in figures:
        met = f.get("met")
        verdict = "—" if met is None else ("yes" if met else "NO")
        if f.get("error"):
            rows.append([f["benchmark"], f["error"], "", "", "failed"])
            continue
        unit = f.get("unit", "")
        value = f"{f['value']:.{1 if unit.strip() else 3}f}{unit}"
        rows.append([f["benchmark"], f["name"], value, f["goal"], verdict])
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, help="passed to every benchmark (default: each one's own)")
    parser.add_argument("--only", default="", help="comma list of benchmarks to run")
    parser.add_argument("--skip", default="", help="comma list of benchmarks not to run")
    parser.add_argument(
        "--summary-only",
        action="store_true",
        help="run nothing: rebuild the summary from the results files already in bench/results",
    )
    parser.add_argument(
        "--pass",
        dest="passed",
        action="append",
        default=[],
        metavar="NAME=ARGS",
        help='more options for one benchmark, e.g. --pass "pipelined_publish=--seconds 30" (repeatable)',
    )
    args = parser.parse_args(argv)
    args.extra = {}
    for item in args.passed:
        name, _, options = item.partition("=")
        if name not in BENCHMARKS:
            parser.error(f"--pass {item!r}: unknown benchmark {name!r}")
        args.extra[name] = args.extra.get(name, []) + shlex.split(options)
    only = [n.strip() for n in args.only.split(",") if n.strip()]
    skip = {n.strip() for n in args.skip.split(",") if n.strip()}
    unknown = (set(only) | skip) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}; known: {', '.join(BENCHMARKS)}")
    args.names = [n for n in (only or BENCHMARKS) if n not in skip]
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, then print and write the summary; exit 1 when one of them failed."""
    args = parse_args(argv)
    machine = machine_info()
    runs: dict[str, dict[str, Any]] = {}
    figures: list[dict[str, Any]] = []
    for name in args.names:
        path = RESULTS_DIR / f"{name}.json"
        if args.summary_only:
            runs[name] = from_disk(path)
        else:
            runs[name] = run_one(name, args.rounds, args.extra.get(name, []))
        if runs[name]["returncode"] != 0 or not runs[name]["fresh_results"]:
            error = f"exit code {runs[name]['returncode']}, no fresh {path.name}"
            if args.summary_only:
                error = f"no {path.name}"
            figures.append({"benchmark": name, "error": error, "met": None})
            continue
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        figures += [{"benchmark": name, **f} for f in figures_of(name, doc)]
    print()
    print(f"machine: {machine_line(machine)}")
    print_table(HEADERS, summary_rows(figures))
    if not args.summary_only:
        print("run times: " + ", ".join(f"{n} {r['seconds']:.0f} s" for n, r in runs.items()))
    path = write_results("summary", {"runs": runs, "figures": figures}, machine)
    print(f"results: {path}")
    return 1 if any(f.get("error") for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
