"""Render the main window with a real queue (published, publish failed, failed, encoding, ready) to PNGs.

Usage: ``QT_QPA_PLATFORM=offscreen python scripts/screenshot.py [docs/main-window.png]``

Beside the main shot (1280x800) it writes, in the same folder: ``main-window-1280x720.png`` (the
smallest supported size, a job whose publish stopped before replacing a live title selected, its
reason and next step under the queue, the queue pausing), ``settings-destination.png`` (a
destination that cannot work yet), ``settings-ffmpeg.png`` (what this computer can do) and
``tracks-tab.png`` (1280x720, the Tracks tab of a job added last: two audio tracks in the file,
English the default and French 5.1 mixed down to stereo, an English subtitle track in the file and
a Swahili one in ``<name>.sw.srt`` beside it) and ``ladder-plan.png`` (1280x720, the Ladder tab of a
per-title job that really ran: the analysis, the encode and the measured quality of a 10 s 720p
source, encoded once the other jobs are stopped) and ``preview.png`` (the preview window of a
finished job with two languages and subtitles, its source beside it: ``preview_shot.py``) and
``farm.png`` (a job encoding in chunks on a render farm started on this machine, its Farm tab shown:
``farm_shot.py``; skipped, with one printed line, where ``redis-server`` is not installed).

Everything happens under a throw-away ``HLSSTUDIO_HOME``: sources are generated with ffmpeg,
probed, transcoded and "published" to a local folder by the app itself, and the window is grabbed
while the longest source is still transcoding.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOME = Path(tempfile.mkdtemp(prefix="hlsstudio-screenshot-"))
os.environ["HLSSTUDIO_HOME"] = str(HOME)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(ROOT))

from PySide6.QtGui import QPixmap  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from hlsstudio.core.jobstore import JobRecord  # noqa: E402
from hlsstudio.core.models import ContentType, JobState  # noqa: E402
from hlsstudio.core.settings import AppSettings, DestinationSettings  # noqa: E402
from hlsstudio.qt.columns import Column  # noqa: E402
from hlsstudio.qt.main_window import MainWindow  # noqa: E402
from hlsstudio.qt.theme import apply_theme  # noqa: E402
from hlsstudio.qt.widgets.ladder_tab import LadderTab  # noqa: E402
from scripts.farm_shot import farm_shot  # noqa: E402
from scripts.preview_shot import preview_shot  # noqa: E402
from scripts.shot_tools import settle, wait, write_srt  # noqa: E402

# file name, lavfi pattern (None: not a video at all), width, height, seconds, constant bit rate
SOURCES = [
    ("Harbour Lights - trailer.mov", "smptehdbars", 1280, 720, 8, "6M"),
    ("S01E01 - The Long Road.mp4", "testsrc2", 960, 540, 6, "4M"),
    ("S01E02 - Crossing Over.mp4", "testsrc2", 960, 540, 6, "4M"),
    ("interview take 3.mp4", None, 0, 0, 0, ""),
    ("Night Market b-roll.mp4", "testsrc2", 1280, 720, 90, "6M"),
    ("City at Dawn - 1080p master.mov", "gradients", 1920, 1080, 4, "8M"),
]
EPISODES = ("S01E01", "S01E02")
LADDER_SOURCE = ("Harbour Lights - teaser.mp4", "testsrc2", 1280, 720, 10, "6M")
"""The per-title job of the Ladder tab's shot (added last, encoded alone)."""
TRACKS_SOURCE = "Harbour Lights - festival cut.mkv"
"""The job shown in the Tracks tab (added once the other shots are taken, so it is never encoded)."""
SUBTITLES = {
    "en": ["The harbour never sleeps.", "Not while the lights are on."],
    "sw": ["Bandari hailali kamwe.", "Si wakati taa zinawaka."],
}


def make_source(folder: Path, spec: tuple[str, str | None, int, int, int, str]) -> Path:
    """Generate one source with ffmpeg (or a text file posing as a video when the pattern is None).

    Sources are constant bit rate, as camera and edit masters are, so the ladder's bitrates apply.
    """
    name, pattern, width, height, seconds, rate = spec
    path = folder / name
    if pattern is None:
        path.write_text("This was never a video.\n" * 50, encoding="utf-8")
        return path
    video = f"{pattern}=s={width}x{height}:r=25:d={seconds}" + (
        ":speed=0.04" if pattern == "gradients" else ""
    )
    audio = f"sine=frequency=330:duration={seconds}"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", video, "-f", "lavfi",
         "-i", audio, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-g", "50",
         "-b:v", rate, "-minrate", rate, "-maxrate", rate, "-bufsize", rate, "-x264-params", "nal-hrd=cbr",
         "-c:a", "aac", "-b:a", "192k", "-ac", "2", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


def make_tracks_source(folder: Path, scratch: Path) -> Path:
    """A Matroska source with several tracks: English stereo audio (the default), French 5.1 audio,
    an English subtitle track, and Swahili subtitles in a file beside it (``<name>.sw.srt``)."""
    folder.mkdir(parents=True, exist_ok=True)
    scratch.mkdir(parents=True, exist_ok=True)
    path = folder / TRACKS_SOURCE
    embedded = write_srt(scratch / "embedded.en.srt", SUBTITLES["en"])
    seconds = 4
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"smptehdbars=s=1280x720:r=25:d={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds},aformat=channel_layouts=5.1",
         "-i", str(embedded),
         "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-b:v", "4M",
         "-c:a", "aac", "-b:a:0", "192k", "-ac:a:0", "2", "-b:a:1", "384k", "-c:s", "srt",
         "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre",
         "-metadata:s:s:0", "language=eng",
         "-disposition:a:0", "default", "-disposition:a:1", "0", "-disposition:s:0", "0",
         "-t", str(seconds), str(path)],
        check=True,
    )  # fmt: skip
    write_srt(path.with_name(f"{path.stem}.sw.srt"), SUBTITLES["sw"])
    return path


def settings() -> AppSettings:
    """Fast encodes, auto-publish to a local folder served under a made-up CDN address."""
    made = AppSettings(auto_publish=True, concurrent_jobs=1)
    made.encode.preset = "ultrafast"
    made.destination = DestinationSettings(
        local_dir=str(HOME / "cdn"), local_base_url="https://media.example.com"
    )
    return made


def save(picture: QPixmap, target: Path) -> None:
    """Write a grabbed picture as PNG (exit when it cannot be written)."""
    if not picture.save(str(target), "PNG"):
        sys.exit(f"cannot write {target}")


def small_shots(app: QApplication, window: MainWindow, folder: Path, failed: JobRecord) -> None:
    """The window at 1280x720 with a publish-failed job selected, then two Settings pages."""
    wait(app, lambda: window.controller.model.record(failed.id).state is JobState.PUBLISH_FAILED,  # type: ignore[union-attr]
         "the second episode to stop before replacing the live title")  # fmt: skip
    window.resize(1280, 720)
    window.table.selectRow(window.controller.model.row_of(failed.id) or 0)
    poster = window.metadata.poster
    wait(app, lambda: not poster.pixmap().isNull() or bool(poster.text()), "the episode's poster frame")
    settle(app)
    save(window.grab(), folder / "main-window-1280x720.png")
    dialog = window.show_settings()
    dialog.resize(760, 560)
    dialog.destination.bucket.setText("my-bucket")  # typed, as a user would: the page says what is missing
    dialog.destination.access_key_id.setText("AKIA-EXAMPLE")
    dialog.tabs.setCurrentWidget(dialog.destination)
    settle(app)
    save(dialog.grab(), folder / "settings-destination.png")
    dialog.tabs.setCurrentWidget(dialog.ffmpeg)
    settle(app)
    save(dialog.grab(), folder / "settings-ffmpeg.png")
    dialog.close()


def fit_queue_to_rows(window: MainWindow) -> None:
    """Drag the splitter under the queue up to its last row, as a user would, so the tabs below get
    the room the empty part of the queue had."""
    table, rows = window.table, window.controller.model.rowCount()
    if rows == 0:
        return
    last = rows - 1
    slack = table.viewport().height() - (table.rowViewportPosition(last) + table.rowHeight(last))
    queue, below = window.main_splitter.sizes()
    if slack > 8:
        window.main_splitter.setSizes([queue - slack + 4, below + slack - 4])


def scroll_to_subtitles(window: MainWindow) -> None:
    """Scroll the Tracks tab down just far enough that the subtitle table's rows show too."""
    panel = window.tracks_panel
    table = panel.subtitle_table
    rows = table.model().rowCount()
    bottom = table.rowViewportPosition(rows - 1) + table.rowHeight(rows - 1) if rows else 0
    body = panel.widget()
    assert body is not None
    end = table.mapTo(body, table.viewport().geometry().topLeft()).y() + bottom + 4
    bar = panel.verticalScrollBar()
    bar.setValue(min(bar.maximum(), max(0, end - panel.viewport().height())))


def tracks_shot(app: QApplication, window: MainWindow, folder: Path) -> None:
    """The window at 1280x720 with the Tracks tab of a job with several audio and subtitle tracks."""
    source = make_tracks_source(HOME / "festival", HOME / "scratch")
    controller, model = window.controller, window.controller.model
    controller.add_files([source])

    def shown() -> JobRecord | None:
        return next((r for r in model.records() if r.name == TRACKS_SOURCE), None)

    def probed() -> bool:  # read (its tracks found) or failed
        record = shown()
        if record is None:
            return False
        found = record.tracks is not None and record.tracks.discovered
        return record.state is JobState.FAILED or (record.state is JobState.READY and found)

    def standing() -> str:
        record = shown()
        if record is None:
            return "the festival cut to appear in the queue"
        found = record.tracks is not None and record.tracks.discovered
        return f"the tracks of the festival cut ({record.state.value}, tracks found: {found})"

    wait(app, probed, standing)
    record = by_name(window, TRACKS_SOURCE)
    if record.state is JobState.FAILED:
        sys.exit(f"the festival cut could not be read: {record.error}")
    window.resize(1280, 720)
    window.table.selectRow(model.row_of(record.id) or 0)
    window.side_tabs.setCurrentWidget(window.tracks_panel)
    window.statusBar().clearMessage()
    settle(app)
    fit_queue_to_rows(window)
    settle(app)
    scroll_to_subtitles(window)
    settle(app)
    save(window.grab(), folder / "tracks-tab.png")
    window.side_tabs.setCurrentWidget(window.metadata)


def make_room_for_plan(window: MainWindow, tab: LadderTab) -> None:
    """Drag the splitters as a user would: the queue up (four rows still show), then the editor up
    to its smallest, so the job's plan shows whole under it."""
    editor = tab.editor.minimumSizeHint().height()  # the editor whole if it can be, else scrolled
    for _ in range(3):  # each drag changes the layout below it: measure again, drag again
        tab.fit_plan()
        short = editor + tab.splitter.handleWidth() + tab.plan_height() - tab.splitter.height()
        queue, below = window.main_splitter.sizes()
        lowest = window.table.horizontalHeader().height() + 4 * window.table.rowHeight(0)
        move = max(0, min(short, queue - lowest))
        window.main_splitter.setSizes([queue - move, below + move])
        QApplication.processEvents()
    room = tab.splitter.height() - tab.splitter.handleWidth()
    tab.splitter.setSizes([room - tab.plan_height(), tab.plan_height()])
    if os.environ.get("SCREENSHOT_DEBUG"):
        print("ladder tab", window.main_splitter.sizes(), tab.splitter.sizes(), tab.plan_height())


def ladder_shot(app: QApplication, window: MainWindow, folder: Path) -> None:
    """The window at 1280x720 with the Ladder tab of a per-title job that ran here: the other jobs
    are stopped, per-title is turned on as in Settings, and the job runs alone to the end."""
    controller, model = window.controller, window.controller.model
    controller.cancel([r.id for r in model.records() if r.state.is_active or r.state is JobState.READY])
    wait(app, lambda: not any(r.state.is_active for r in model.records()), "the other jobs to stop")
    encode = window.settings.encode.model_copy(update={"ladder_mode": "per-title"})
    window.apply_settings(window.settings.model_copy(update={"encode": encode}))
    name = LADDER_SOURCE[0]
    controller.add_files([make_source(HOME / "sources", LADDER_SOURCE)])

    def state() -> JobState | None:
        return next((r.state for r in model.records() if r.name == name), None)

    def standing() -> str:
        return f"the teaser ({state() or 'not in the queue yet'})"

    wait(app, lambda: state() not in (None, JobState.QUEUED, JobState.PROBING), standing)
    controller.start()

    def finished() -> bool:
        record = by_name(window, name)
        return record.state.is_terminal and record.result is not None

    wait(app, finished, standing)
    record = by_name(window, name)
    if record.result is None or record.result.per_title is None:
        sys.exit(f"the per-title job did not finish with a plan: {record.state.value}, {record.error}")
    window.resize(1280, 720)
    tab = window.ladder_tab
    row = model.row_of(record.id) or 0
    window.table.selectRow(row)
    tab.show_job(record, 1)
    window.side_tabs.setCurrentWidget(tab)
    window.statusBar().clearMessage()
    settle(app)
    make_room_for_plan(window, tab)
    window.table.scrollTo(model.index(row, 0))
    settle(app)
    save(window.grab(), folder / "ladder-plan.png")


def by_name(window: MainWindow, name: str) -> JobRecord:
    return next(r for r in window.controller.model.records() if r.name == name)


def main(argv: list[str]) -> int:
    """Build the queue, capture the window mid-transcode, write the PNG; print its path."""
    target = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "main-window.png"
    if not shutil.which("ffmpeg"):
        sys.exit("ffmpeg is needed to make the screenshot")
    app = QApplication.instance() or QApplication(argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app)
    sources = HOME / "sources"
    sources.mkdir()
    files = [make_source(sources, spec) for spec in SOURCES]
    window = MainWindow(settings())
    window.confirm = lambda *_args: True  # type: ignore[method-assign]
    window.resize(1280, 800)
    window.show()
    controller, model = window.controller, window.controller.model
    controller.add_files(files)
    wait(app, lambda: all(r.state in (JobState.READY, JobState.FAILED) for r in model.records()), "probes")
    wait(app, lambda: controller.toolchain is not None, "the toolchain")
    for record in model.records():
        if record.name.startswith(EPISODES):
            model.setData(
                model.index(model.row_of(record.id) or 0, Column.CONTENT_TYPE), ContentType.EPISODE.value
            )
    first, second = (by_name(window, SOURCES[n][0]) for n in (1, 2))
    model.setData(model.index(model.row_of(second.id) or 0, Column.CONTENT_ID), first.content_id)
    controller.start()
    long_one = SOURCES[4][0]

    def transcoding_far_enough() -> bool:
        row = model.job_row(by_name(window, long_one).id)
        return row is not None and row.progress is not None and row.progress.fraction >= 0.35

    wait(app, transcoding_far_enough, "the long source to be well under way")
    controller.pause()
    window.statusBar().clearMessage()
    shown = by_name(window, SOURCES[0][0])
    window.table.selectRow(model.row_of(shown.id) or 0)
    wait(app, lambda: not window.metadata.poster.pixmap().isNull(), "the poster frame")
    for _ in range(30):  # let the throttled progress repaint land
        app.processEvents()
        time.sleep(0.02)
    if os.environ.get("SCREENSHOT_DEBUG"):
        for r in model.records():
            print(
                r.name,
                r.state,
                r.hls_url,
                [(round(t, 2), st.value) for t, st, _ in window.store.history(r.id)],
            )
        print("panel", window.publish_panel.job_id, window.publish_panel.title.text())
    target.parent.mkdir(parents=True, exist_ok=True)
    save(window.grab(), target)
    small_shots(app, window, target.parent, by_name(window, SOURCES[2][0]))
    tracks_shot(app, window, target.parent)
    ladder_shot(app, window, target.parent)
    preview_shot(app, window, target.parent)
    farm_shot(app, window, target.parent)
    window.close()
    shutil.rmtree(HOME, ignore_errors=True)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
