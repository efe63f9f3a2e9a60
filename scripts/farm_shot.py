"""Render the main window with a job encoding on a real render farm to ``docs/farm.png`` (1280x800).

Usage: ``QT_QPA_PLATFORM=offscreen python scripts/farm_shot.py [docs/farm.png]``

``farm_shot(app, window, folder)`` is the part another screenshot script can call with its own main
window (None: a window of its own). It starts a real farm on this machine (``farm_parts.py``: a
loopback ``redis-server``, moto's S3 server as the bucket, two ``hlsstudio-worker`` processes named
vm-a and vm-b). The app reaches it as a desktop does: ``HLSSTUDIO_REDIS_URL`` and the bucket's
``R2_*`` variables while the shot runs, the bucket as the destination. A 40 s 1280x720 source (the
Big Buck Bunny sample looped when it is there, else a test pattern) is cut into 6 chunks; its job
moves to the farm with the row menu's "Run on the farm", the queue starts, the job is selected and
the Farm tab shown, columns and splitters are dragged as a user would so the farm's words and every
chunk show, and the window is saved once a chunk is done and two more encode, one on each worker.
Then the job is cancelled and everything stops: no process the shot started outlives it (a
straggler is killed, with a warning). Without ``redis-server`` it prints one line and makes no shot.
Run alone, everything happens under a throw-away ``HLSSTUDIO_HOME``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    os.environ["HLSSTUDIO_HOME"] = tempfile.mkdtemp(prefix="hlsstudio-farm-shot-")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

from hlsstudio.core.jobstore import JobRecord  # noqa: E402
from hlsstudio.core.models import JobState  # noqa: E402
from hlsstudio.core.settings import AppSettings, DestinationSettings  # noqa: E402
from hlsstudio.qt.columns import Column  # noqa: E402
from hlsstudio.qt.job_table_model import ProgressRole  # noqa: E402
from hlsstudio.qt.main_window import MainWindow  # noqa: E402
from hlsstudio.qt.theme import apply_theme  # noqa: E402
from hlsstudio.qt.widgets.farm_panel import FarmPanel  # noqa: E402
from scripts.farm_parts import (  # noqa: E402
    ACCESS_KEY,
    BUCKET,
    HOSTS,
    PUBLIC_URL,
    ShotFarm,
    environment,
    kill_leftovers,
    redis_installed,
)
from scripts.shot_tools import settle, wait  # noqa: E402

SAMPLE = Path("/work/shared/media/bigbuckbunny.mp4")
SECONDS = 40
NARROWER = (
    (Column.OUTCOME, 70), (Column.STATE, 100), (Column.CONTENT_ID, 110), (Column.CONTENT_TYPE, 62),
    (Column.DURATION, 60), (Column.RUNGS, 118), (Column.FILE, 200), (Column.RESOLUTION, 108),
)  # fmt: skip
"""Columns the Progress column takes its room from, each down to a width it still reads at."""


def make_source(folder: Path) -> Path:
    """The title: the Big Buck Bunny sample looped to 40 s when it is there, else a test pattern."""
    folder.mkdir(parents=True, exist_ok=True)
    if SAMPLE.is_file():
        path = folder / "Big Buck Bunny.mp4"
        inputs = ["-stream_loop", "-1", "-i", str(SAMPLE)]
    else:
        path = folder / "Harbour Lights - episode 1.mp4"
        inputs = ["-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=25:d={SECONDS}",
                  "-f", "lavfi", "-i", f"sine=frequency=330:duration={SECONDS}"]  # fmt: skip
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *inputs,
         "-vf", "scale=1280:720", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-g", "50",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-t", str(SECONDS), str(path)],
        check=True,
    )  # fmt: skip
    return path


def wait_for_workers(app: QApplication, window: MainWindow) -> None:
    """Until the app's own farm check (in a worker: the window stays live) finds both workers."""
    wiring = window.farm

    def both() -> bool:
        check = wiring.check
        if check is not None and len(check.live.get("cpu", [])) == len(HOSTS):
            return True
        wiring.refresh_check(force=True)  # skipped while a check runs
        return False

    wait(app, both, lambda: f"both workers to answer ({wiring.why_not()})")


def use_farm(window: MainWindow, endpoint: str) -> None:
    """Settings a content team would pick: the bucket as the destination, fixed ladder, 4 s segments."""
    destination = DestinationSettings(
        bucket=BUCKET, endpoint_url=endpoint, access_key_id=ACCESS_KEY, public_url=PUBLIC_URL
    )
    encode = window.settings.encode.model_copy(
        update={"ladder_mode": "fixed", "preset": "fast", "segment_duration": 4.0}
    )
    window.apply_settings(window.settings.model_copy(update={"destination": destination, "encode": encode}))


def cells(panel: FarmPanel) -> list[list[str]]:
    """The Farm tab's grid as it shows now, row by row."""
    grid = panel.grid
    return [
        [item.text() if (item := grid.item(r, c)) is not None else "" for c in range(grid.columnCount())]
        for r in range(grid.rowCount())
    ]


def busy_enough(panel: FarmPanel, hosts: int) -> bool:
    """A chunk is done and two more encode (under way, not at 0 %) on ``hosts`` different machines."""
    chunks = [row for row in cells(panel) if row[0].startswith("chunk")]
    running = [row for row in chunks if row[3].startswith("encoding") and row[3] != "encoding 0 %"]
    done = sum(row[3].startswith("done") for row in chunks)
    return done >= 1 and len(running) >= 2 and len({row[1] for row in running}) >= hosts


def send_to_farm(app: QApplication, window: MainWindow, source: Path) -> JobRecord:
    """Add ``source``, move its job to the farm with the row menu's action, start the queue."""
    controller, wiring = window.controller, window.farm
    settle(app, 0.3)  # a pending StoreFollower answer, asked before the add, would drop its row
    job = controller.add_files([source])[0]

    def state() -> JobState:
        record = controller.model.record(job.id)
        return record.state if record is not None else JobState.FAILED

    wait(app, lambda: state() not in (JobState.QUEUED, JobState.PROBING), "the probe")
    wait(app, lambda: controller.toolchain is not None, "the toolchain")
    window.select_ids([job.id])
    wait(app, wiring.run_on_farm.isEnabled, lambda: f"Run on the farm to be offered ({wiring.why_not()})")
    wiring.run_on_farm.trigger()
    controller.start()
    return job


def progress_width(window: MainWindow, job_id: int) -> int:
    """How wide the queue's Progress column must be for the job's words ("37% · ETA 0:41 · 2 of 6
    chunks · 2 encoding"; 0 while it has none)."""
    model = window.controller.model
    value = model.index(model.row_of(job_id) or 0, Column.PROGRESS).data(ProgressRole)
    return 0 if value is None else window.table.fontMetrics().horizontalAdvance(value[1]) + 24


def fit_columns(window: MainWindow, job_id: int) -> None:
    """Drag the Progress column wide enough for the farm's words and narrow others, as a user would,
    so "Runs on" still shows whole."""
    table, header = window.table, window.table.horizontalHeader()
    header.resizeSection(
        Column.PROGRESS, max(header.sectionSize(Column.PROGRESS), progress_width(window, job_id))
    )
    used = sum(header.sectionSize(c) for c in Column if c is not Column.RUNS_ON)
    over = used + table.fontMetrics().horizontalAdvance("This computer") + 16 - table.viewport().width()
    for column, least in NARROWER:
        take = max(0, min(over, header.sectionSize(column) - least))
        header.resizeSection(column, header.sectionSize(column) - take)
        over -= take


def make_room_for_grid(window: MainWindow) -> None:
    """The splitters as the window starts, then the one under the queue dragged up, as a user would,
    until the Farm tab's grid shows every row (the queue keeps four rows, or all it has)."""
    splitter, grid, table = window.main_splitter, window.farm.panel.grid, window.table
    total = sum(splitter.sizes())
    splitter.setSizes([total * 3 // 5, total - total * 3 // 5])  # the window's own 3:2
    for _ in range(3):  # each drag changes the layout below it: measure again, drag again
        QApplication.processEvents()
        need = grid.horizontalHeader().height() + grid.verticalHeader().length() + 2 * grid.frameWidth()
        rows = min(max(4, window.controller.model.rowCount()), 12)
        lowest = table.horizontalHeader().height() + rows * table.verticalHeader().defaultSectionSize() + 6
        queue, below = splitter.sizes()
        move = max(0, min(need + 2 - grid.height(), queue - lowest))
        if move == 0:
            return
        splitter.setSizes([queue - move, below + move])


def stage(app: QApplication, window: MainWindow, job: JobRecord, hosts: int) -> None:
    """The job selected, the Farm tab shown, until a chunk is done and both workers encode."""
    controller, panel, header = window.controller, window.farm.panel, window.table.horizontalHeader()
    window.resize(1280, 800)
    window.side_tabs.setCurrentWidget(panel)

    def readable() -> bool:  # the grid as wanted, the farm's words whole in the queue
        return busy_enough(panel, hosts) and progress_width(window, job.id) <= header.sectionSize(
            Column.PROGRESS
        )

    def ended() -> JobRecord | None:
        record = controller.model.record(job.id)
        return record if record is not None and record.state.is_terminal else None

    def standing() -> str:
        record = controller.model.record(job.id)
        where = f"{record.state.value}, on {record.runs_on}, {record.farm_job}" if record else "gone"
        return f"a chunk done and two encoding ({where}; {panel.headline.text()}; {cells(panel)})"

    for _ in range(3):  # the grid may move on while the window settles: wait again
        wait(app, lambda: busy_enough(panel, hosts) or ended() is not None, standing)
        if (record := ended()) is not None:
            sys.exit(f"the farm job ended before the shot: {record.state.value}, {record.error}")
        window.statusBar().clearMessage()
        make_room_for_grid(window)
        fit_columns(window, job.id)
        window.table.scrollTo(controller.model.index(controller.model.row_of(job.id) or 0, 0))
        settle(app, 0.4)
        if readable():
            return
    sys.exit(f"the farm moved on before the shot three times: {standing()}")


def finish(app: QApplication, window: MainWindow, job: JobRecord, farm: ShotFarm) -> None:
    """Cancel the job and wait until it and the workers' ffmpeg have stopped; hide the Farm tab."""
    controller = window.controller
    controller.cancel([job.id])

    def stopped() -> bool:
        record = controller.model.record(job.id)
        return record is None or record.state.is_terminal

    wait(app, stopped, "the farm job to stop")
    wait(app, lambda: not farm.ffmpeg_running(), "the workers' ffmpeg to stop")
    window.side_tabs.setCurrentWidget(window.metadata)
    window.farm.session.reset()
    settle(app, 0.3)


def shoot(app: QApplication, window: MainWindow, farm: ShotFarm, env: dict[str, str], target: Path) -> None:
    """Everything between a running farm and a saved picture (the job cancelled at the end)."""
    use_farm(window, env["R2_ENDPOINT_URL"])
    wait_for_workers(app, window)
    job = send_to_farm(app, window, make_source(farm.folder / "sources"))
    try:
        stage(app, window, job, len(HOSTS) if farm.named else 1)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(target), "PNG"):
            sys.exit(f"cannot write {target}")
        print(f"farm shot: {window.farm.panel.headline.text()}")
    finally:
        finish(app, window, job, farm)


def own_window() -> MainWindow:
    """A main window as a content team starts it (one job at a time), shown at 1280x800."""
    window = MainWindow(AppSettings(concurrent_jobs=1))
    window.confirm = lambda *_args: True  # type: ignore[method-assign]
    window.resize(1280, 800)
    window.show()
    return window


def farm_shot(
    app: QApplication, window: MainWindow | None, folder: Path, name: str = "farm.png"
) -> Path | None:
    """Encode a title on a farm started here, shown in ``window`` (None: a window of its own); save
    the window in ``folder``. None, after one printed line, when ``redis-server`` is missing."""
    if not redis_installed():
        print(f"{name} skipped: redis-server is not installed (scripts/setup.sh --test installs it)")
        return None
    farm = ShotFarm(Path(tempfile.mkdtemp(prefix="hlsstudio-farm-")))
    target = folder / name
    try:
        env = farm.start()
        with environment(env):
            shown = window or own_window()
            try:
                shoot(app, shown, farm, env, target)
            finally:
                if window is None:
                    shown.close()
                    settle(app, 0.3)
        return target
    finally:
        farm.stop()
        kill_leftovers(farm)
        shutil.rmtree(farm.folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    """Make the shot with a window of its own; print the PNG's path."""
    target = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "farm.png"
    if not shutil.which("ffmpeg"):
        sys.exit("ffmpeg is needed to make the screenshot")
    app = QApplication.instance() or QApplication(argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app)
    try:
        made = farm_shot(app, None, target.parent, target.name)
    finally:
        shutil.rmtree(os.environ["HLSSTUDIO_HOME"], ignore_errors=True)
    if made is not None:
        print(made)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
