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

Also recorded: the GUI thread's own CPU time inside the longest gap (busy running code, or waiting
for the GIL or a core), the CPU time the rest of the machine used meanwhile, and the references to
``True`` and ``None`` lost per round (see ``SingletonRefcounts``).

Run: ``.venv/bin/python bench/gui_drop_200.py [--rounds 3] [--files 200]``.
"""

from __future__ import annotations

import argparse
import ctypes
import itertools
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import PySide6
from common import (
    CACHE_DIR,
    machine_busy,
    machine_info,
    machine_line,
    print_table,
    run_checked,
    write_results,
)
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
    "max_gap_gui_cpu_ms",
    "gui_thread_cpu_s",
    "idle_max_gap_ms",
    "gaps_over_goal",
    "drop_event_ms",
    "rows_shown_s",
    "all_probed_s",
    "others_cpu_s",
    "true_references_lost",
    "none_references_lost",
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
    enter = QDragEnterEvent(centre.toPoint(), Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(window, enter)
    dropped = QDropEvent(centre, Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(window, dropped)
    return enter.isAccepted(), dropped.isAccepted()


def own_cpu() -> float:
    """CPU seconds of this process and of the children it waited for (the ffprobe runs)."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


class StallMeter:
    """A precise QTimer on the GUI thread; the gaps between its ticks."""

    def __init__(self, interval_ms: int = TICK_MS) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.ticks: list[float] = []
        self.cpu: list[float] = []

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())
        self.cpu.append(time.thread_time())

    def start(self) -> None:
        """Start ticking (forgetting earlier ticks)."""
        self.ticks, self.cpu = [time.perf_counter()], [time.thread_time()]
        self.timer.start()

    def stop(self) -> None:
        """Stop ticking (one last tick recorded now)."""
        self.timer.stop()
        self._tick()

    def gaps_ms(self, since: float = 0.0) -> list[float]:
        """Gaps between consecutive ticks (ms), only those ending after ``since``."""
        t = self.ticks
        return [(b - a) * 1000 for a, b in itertools.pairwise(t) if b > since]

    def longest(self, since: float = 0.0) -> tuple[float, float]:
        """The longest gap after ``since`` (ms) and the GUI thread's own CPU time within it (ms).

        CPU near the gap: the GUI thread was busy running code; CPU near zero: it was runnable or
        waiting (for the GIL held by a worker thread, or for a core the rest of the machine used).
        """
        best, cpu = 0.0, 0.0
        for i in range(1, len(self.ticks)):
            gap = self.ticks[i] - self.ticks[i - 1]
            if self.ticks[i] > since and gap > best:
                best, cpu = gap, self.cpu[i] - self.cpu[i - 1]
        return best * 1000, cpu * 1000


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


class SingletonRefcounts:
    """Watches the reference counts of True, False and None across a round; restores what was lost.

    With PySide6 6.12.0 on CPython 3.11, ``Signal.emit()`` returns ``True`` without taking a reference
    for it, so every emit made from Python drops True's count by one; None's count drops as well
    while queued signals are delivered. Before 3.12 (where these objects are immortal) the
    interpreter aborts ("bool_dealloc" / "none_dealloc") once a count reaches zero: at exit, or in
    the middle of a long session. The loss per round is measured and reported; it is given back
    after each round so that the benchmark itself survives any number of rounds.
    """

    OBJECTS = (True, False, None)

    def __init__(self) -> None:
        self.start = [sys.getrefcount(obj) for obj in self.OBJECTS]

    def lost(self) -> dict[str, int]:
        """References lost since the start, by name (negative: gained)."""
        return {str(obj): n - sys.getrefcount(obj) for obj, n in zip(self.OBJECTS, self.start, strict=True)}

    def restore(self) -> None:
        """Give back what was lost (only where these objects are not immortal, i.e. before 3.12)."""
        if sys.version_info >= (3, 12):
            return
        for obj, n in zip(self.OBJECTS, self.start, strict=True):
            missing = n - sys.getrefcount(obj)
            if missing > 0:
                ctypes.c_ssize_t.from_address(id(obj)).value += missing  # ob_refcnt comes first


def one_round(round_no: int, clips: list[Path]) -> dict[str, Any]:
    """A new window and job store; drop the clips; measure until every row is probed."""
    isolate_app_home(f"{NAME}-{round_no}")
    refcounts = SingletonRefcounts()
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
    busy_before, own_before = machine_busy(), own_cpu()
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
    others = machine_busy() - busy_before - (own_cpu() - own_before)
    gaps = meter.gaps_ms(since=dropped_at)
    longest, longest_cpu = meter.longest(since=dropped_at)
    busy = sum(b - a for a, b in itertools.pairwise(meter.cpu)) if meter.cpu else 0.0
    records = model.records()
    failed = sum(r.state is JobState.FAILED for r in records)
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    lost = refcounts.lost()
    refcounts.restore()
    result = {
        "accepted": accepted,
        "all_probed": done,
        "rows": len(records),
        "failed": failed,
        "idle_max_gap_ms": round(idle, 2),
        "max_gap_ms": round(longest, 2),
        "max_gap_gui_cpu_ms": round(longest_cpu, 2),
        "gui_thread_cpu_s": round(busy, 3),
        "p99_gap_ms": round(statistics.quantiles(gaps, n=100)[98], 2) if len(gaps) > 100 else None,
        "gaps_over_goal": sum(g >= GOAL_MS for g in gaps),
        "drop_event_ms": round(drop_call * 1000, 2),
        "rows_shown_s": round(rows_at[0] - dropped_at, 3) if rows_at else None,
        "all_probed_s": round(finished - dropped_at, 3),
        "ticks": len(gaps),
        "others_cpu_s": round(max(0.0, others), 2),
        "true_references_lost": lost["True"],
        "none_references_lost": lost["None"],
    }
    print(
        f"  round {round_no}: longest gap {longest:.1f} ms (GUI thread on CPU {longest_cpu:.1f} ms of it; "
        f"idle floor {idle:.1f} ms), "
        f"{result['gaps_over_goal']} gaps ≥ {GOAL_MS:g} ms, drop event {result['drop_event_ms']:.1f} ms, "
        f"rows shown after {result['rows_shown_s']} s, all probed after {result['all_probed_s']:.2f} s, "
        f"{failed} failed; references lost: True {lost['True']}, None {lost['None']}",
        flush=True,
    )
    if not done or not all(accepted):
        raise RuntimeError(f"round {round_no} did not finish: {result}")
    return result


def report(rounds: list[dict[str, Any]], machine: dict[str, Any], files: int) -> None:
    """Print the tables; write the JSON results."""

    def med(key: str) -> float:
        return float(statistics.median(r[key] for r in rounds))

    print()
    print(f"machine: {machine_line(machine)}")
    print(f"{files} dropped files (copies of one 1 s 320x180 clip), offscreen Qt, {len(rounds)} rounds")
    rows = [[key, f"{med(key):.2f}", " ".join(str(r[key]) for r in rounds)] for key in REPORTED]
    print_table(["measure", "median", "rounds"], rows)
    if med("true_references_lost") > 0 or med("none_references_lost") > 0:
        print(
            f"WARNING: each round lost {med('true_references_lost'):.0f} references to True and "
            f"{med('none_references_lost'):.0f} to None (PySide6 {PySide6.__version__}, Python "
            f"{sys.version.split()[0]}); before Python 3.12 the app aborts once a count reaches zero. "
            "Given back after each round here (see SingletonRefcounts)."
        )
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
