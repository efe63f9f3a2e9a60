"""The desktop app with 200 files dropped at once: how long the GUI thread stalls while they are probed,
and how long until every row is probed.

Offscreen Qt (``QT_QPA_PLATFORM=offscreen``), the app's real ``MainWindow`` (real thread pools, its
own job store in a fresh app home), and a real drag: a ``QDragEnterEvent`` then a ``QDropEvent``
carrying 200 file URLs, sent with ``QApplication.sendEvent`` like the window system would. The files
are 200 copies (under 200 names) of one generated 1 s clip, 320x180 H.264 + AAC.

Stalls: a ``QTimer`` on the GUI thread ticks every 5 ms from before the drop until the last row is
probed; the longest gap between two ticks is the longest time the GUI thread could not react (it
includes the timer's 5 ms, so it overstates the stall by up to 5 ms). A row counts as probed when
its job is Ready (or Failed: reported separately; none should). The idle gap before the drop is
recorded too, as the floor this machine's timer jitter sets. 3 rounds, each with a new window and
job store; medians reported. About 1 to 2 minutes on 2 cores. Goal: longest stall < 50 ms.

Run: ``.venv/bin/python bench/gui_drop_200.py [--rounds 3] [--files 200]``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from common import CACHE_DIR, machine_info, machine_line, print_table, run_checked, write_results
from common_io import FIGURE_HEADERS, Figure, below, isolate_app_home, settle
from PySide6.QtCore import QEvent, QEventLoop, QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from hlsstudio.core.models import JobState
from hlsstudio.core.settings import AppSettings
from hlsstudio.qt.main_window import MainWindow

NAME = "gui_drop_200"
GOAL_MS = 50.0
TICK_MS = 5
POLL_MS = 20
IDLE_MS = 1000
TIMEOUT_S = 300.0
PROBED = frozenset({JobState.READY, JobState.FAILED})
CLIPS_DIR = CACHE_DIR / "drop-clips"
REPORTED = (
    "max_gap_ms",
    "idle_max_gap_ms",
    "gaps_over_goal",
    "drop_event_ms",
    "rows_shown_s",
    "all_probed_s",
)


def make_clips(count: int) -> list[Path]:
    """``count`` copies of one 1 s 320x180 H.264 + AAC clip (made once), under distinct names."""
    CLIPS_DIR.mkdir(parents=True, exist_ok=True)
    first = CLIPS_DIR / "clip_000.mp4"
    if not first.exists():
        part = CLIPS_DIR / "clip.part.mp4"
        run_checked(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                     "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=1",
                     "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1",
                     "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                     "-c:a", "aac", "-shortest", str(part)])  # fmt: skip
        part.replace(first)
    clips = [CLIPS_DIR / f"clip_{n:03d}.mp4" for n in range(count)]
    for clip in clips[1:]:
        if not clip.exists():
            shutil.copyfile(first, clip)
    return clips


def drop_files(window: MainWindow, paths: list[Path]) -> tuple[bool, bool]:
    """Drag ``paths`` onto the window and drop them; whether the enter and the drop were accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = QPointF(window.rect().center())
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(window, enter)
    dropped = QDropEvent(centre, Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(window, dropped)
    return enter.isAccepted(), dropped.isAccepted()


class StallMeter:
    """A precise QTimer on the GUI thread; the gaps between its ticks."""

    def __init__(self, interval_ms: int = TICK_MS) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.ticks: list[float] = []

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())

    def start(self) -> None:
        """Start ticking (forgetting earlier ticks)."""
        self.ticks = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> None:
        """Stop ticking (one last tick recorded now)."""
        self.timer.stop()
        self.ticks.append(time.perf_counter())

    def gaps_ms(self, since: float = 0.0) -> list[float]:
        """Gaps between consecutive ticks (ms), only those ending after ``since``."""
        t = self.ticks
        return [(b - a) * 1000 for a, b in itertools.pairwise(t) if b > since]


def run_loop_until(condition: Any, timeout: float) -> bool:
    """Run the Qt event loop until ``condition()`` (polled every 20 ms) or the timeout; the outcome."""
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(POLL_MS)
    deadline = time.monotonic() + timeout
    reached = [False]

    def check() -> None:
        if condition():
            reached[0] = True
            loop.quit()
        elif time.monotonic() > deadline:
            loop.quit()

    poll.timeout.connect(check)
    poll.start()
    check()
    if not reached[0]:
        loop.exec()
    poll.stop()
    return reached[0]


def one_round(round_no: int, clips: list[Path]) -> dict[str, Any]:
    """A new window and job store; drop the clips; measure until every row is probed."""
    isolate_app_home(f"{NAME}-{round_no}")
    window = MainWindow(AppSettings(), store=None)
    window.show()
    model = window.controller.model
    if not run_loop_until(lambda: window.controller.toolchain is not None, 60.0):
        raise RuntimeError(f"the window found no toolchain: {window.controller.toolchain_error}")
    settle()
    meter = StallMeter()
    meter.start()
    run_loop_until(lambda: False, IDLE_MS / 1000)  # the idle floor: timer jitter with nothing to do
    idle = max(meter.gaps_ms(), default=0.0)
    dropped_at = time.perf_counter()
    accepted = drop_files(window, clips)
    drop_call = time.perf_counter() - dropped_at
    rows_at: list[float] = []

    def all_probed() -> bool:
        if model.rowCount() < len(clips):
            return False
        if not rows_at:
            rows_at.append(time.perf_counter())
        return all(r.state in PROBED for r in model.records())

    done = run_loop_until(all_probed, TIMEOUT_S)
    finished = time.perf_counter()
    meter.stop()
    gaps = meter.gaps_ms(since=dropped_at)
    records = model.records()
    failed = sum(r.state is JobState.FAILED for r in records)
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    result = {
        "accepted": accepted,
        "all_probed": done,
        "rows": len(records),
        "failed": failed,
        "idle_max_gap_ms": round(idle, 2),
        "max_gap_ms": round(max(gaps, default=0.0), 2),
        "p99_gap_ms": round(statistics.quantiles(gaps, n=100)[98], 2) if len(gaps) > 100 else None,
        "gaps_over_goal": sum(g >= GOAL_MS for g in gaps),
        "drop_event_ms": round(drop_call * 1000, 2),
        "rows_shown_s": round(rows_at[0] - dropped_at, 3) if rows_at else None,
        "all_probed_s": round(finished - dropped_at, 3),
        "ticks": len(gaps),
    }
    print(
        f"  round {round_no}: longest gap {result['max_gap_ms']:.1f} ms (idle {idle:.1f} ms), "
        f"{result['gaps_over_goal']} gaps ≥ {GOAL_MS:g} ms, drop event {result['drop_event_ms']:.1f} ms, "
        f"rows shown after {result['rows_shown_s']} s, all probed after {result['all_probed_s']:.2f} s, "
        f"{failed} failed",
        flush=True,
    )
    if not done or not all(accepted):
        raise RuntimeError(f"round {round_no} did not finish: {result}")
    return result


def report(rounds: list[dict[str, Any]], machine: dict[str, Any], files: int) -> None:
    """Print the tables; write the JSON results."""

    def med(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    print()
    print(f"machine: {machine_line(machine)}")
    print(f"{files} dropped files (copies of one 1 s 320x180 clip), offscreen Qt, {len(rounds)} rounds")
    rows = [[key, f"{med(key):.2f}", " ".join(str(r[key]) for r in rounds)] for key in REPORTED]
    print_table(["measure", "median", "rounds"], rows)
    figures: list[Figure] = [
        below(f"GUI: longest stall, {files} files dropped", med("max_gap_ms"), GOAL_MS, " ms"),
        Figure(f"GUI: time until {files} files probed", med("all_probed_s"), " s", "—", None),
    ]
    print()
    print_table(FIGURE_HEADERS, [f.row() for f in figures])
    payload = {
        "settings": {
            "files": files,
            "tick_ms": TICK_MS,
            "rounds": len(rounds),
            "qpa": os.environ["QT_QPA_PLATFORM"],
        },
        "rounds": rounds,
        "median": {k: med(k) for k in ("max_gap_ms", "idle_max_gap_ms", "drop_event_ms", "all_probed_s")},
        "figures": [f.as_json() for f in figures],
    }
    print(f"results: {write_results(NAME, payload, machine)}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds, a new window each (default 3)")
    parser.add_argument("--files", type=int, default=200, help="files dropped at once (default 200)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Make the clips, run the rounds, report."""
    args = parse_args(argv)
    clips = make_clips(args.files)
    machine = machine_info()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when the QApplication is made
    app = QApplication.instance() or QApplication([sys.argv[0]])
    rounds = [one_round(n + 1, clips) for n in range(args.rounds)]
    report(rounds, machine, args.files)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
