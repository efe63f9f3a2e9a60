"""Preview: a finished job's package plays in the app, switches rungs, sound and subtitles, and lets go.

Every package is made by the app's own queue from a source generated here. The preview plays it
through QtMultimedia (offscreen, no sound device), and the tests read what is on screen: the
picture's size, the position, the subtitle drawn over the picture, the thumbnail over the seek bar.
Closing the window must leave no player thread and no open file in the package or the source, so
that the package folder can be deleted at once.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hlsstudio.core.hls.playlists import read_master_playlist, read_media_playlist
from hlsstudio.core.jobs.work import intact_package
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import JobState, Rung
from hlsstudio.core.settings import AppSettings, DestinationSettings
from hlsstudio.qt.actions import row_menu
from hlsstudio.qt.main_window import MainWindow
from hlsstudio.qt.preview.window import PreviewWindow
from tests.mediasamples import MediaSet
from tests.qt.helpers import WindowFactory, run_until, select_ids, wait_state

WAIT = 30_000
# two rungs with their own audio rates: the master has two audio groups, each with both languages
TWO_RUNGS = [
    Rung(name="144p", height=144, video_kbps=80, audio_kbps=40),  # the cellular rung publishing needs
    Rung(name="180p", height=180, video_kbps=300, audio_kbps=96),
]
SIDE_CUE = "Habari za asubuhi, café"  # 4.000-8.000 s, in film.sw.srt beside the source
SIDE_SRT = f"1\r\n00:00:04,000 --> 00:00:08,000\r\n{SIDE_CUE}\r\n"
LONG_SEEK_MS = (1 * 3600 + 59 * 60) * 1000  # 1:59:00


def with_ladder(settings: AppSettings, rungs: list[Rung]) -> AppSettings:
    return settings.model_copy(update={"ladder": rungs})


def package_of(record: JobRecord) -> Path:
    assert record.result is not None and record.result.output_dir, record.error
    return Path(record.result.output_dir)


def package_duration_ms(package: Path) -> int:
    """The length of the package's first variant: the sum of its segments' durations."""
    master = read_master_playlist(package / "master.m3u8")
    return round(read_media_playlist(package / master.variants[0].uri).duration * 1000)


def open_preview(qtbot: QtBot, window: MainWindow, job: JobRecord) -> PreviewWindow:
    """Select the job, click Preview, and wait until the player has loaded the master."""
    select_ids(window, [job.id])
    assert window.commands.preview.isEnabled()
    window.commands.preview.trigger()
    preview = window.previews.windows[job.id]
    qtbot.waitUntil(lambda: preview.ready, timeout=WAIT)
    return preview


def engine_threads() -> Counter[str]:
    """This process's threads by name, less Qt's pooled threads (shared, they expire on their own)."""
    names: Counter[str] = Counter()
    for task in Path("/proc/self/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
        except OSError:
            continue
        if name != "Thread (pooled)":
            names[name] += 1
    return names


def open_files_under(*places: Path) -> list[str]:
    """The files this process holds open in ``places`` (folders or files)."""
    held = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if any(target == str(p) or target.startswith(f"{p}{os.sep}") for p in places):
            held.append(target)
    return held


def hover(preview: PreviewWindow, fraction: float) -> None:
    """Move the mouse over the seek bar at ``fraction`` of its width, as the window system would."""
    bar = preview.controls.seek_bar
    point = QPointF(bar.width() * fraction, bar.height() / 2)
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        point,
        bar.mapToGlobal(point),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(bar, move)


@pytest.fixture
def tracks_source(media: MediaSet, tmp_path: Path) -> Path:
    """12 s of 320x180 with English and French sound, English subtitles inside, Swahili beside it."""
    clip = media.clip(
        width=320,
        height=180,
        fps=25,
        duration=12.0,
        audio_tracks=2,
        audio_languages=("eng", "fre"),
        subtitle_language="eng",
    )
    folder = tmp_path / "sources"
    folder.mkdir()
    source = folder / "film.mp4"
    shutil.copyfile(clip, source)
    (folder / "film.sw.srt").write_bytes(SIDE_SRT.encode("cp1252"))
    return source


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for threads and open files")
def test_preview_plays_switches_rungs_sound_and_subtitles_and_lets_go_of_the_files(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, tracks_source: Path
) -> None:
    window = make_window(with_ladder(fast_settings, TWO_RUNGS))
    job = run_until(qtbot, window, tracks_source)
    package = package_of(job)
    threads_before, python_threads_before = engine_threads(), set(threading.enumerate())

    preview = open_preview(qtbot, window, job)
    package_info = preview.package
    assert package_info is not None
    assert [r.name for r in package_info.rungs] == ["144p", "180p"]
    assert abs(preview.player.snapshot().duration - package_duration_ms(package)) <= 40
    qtbot.waitUntil(lambda: preview.player.snapshot().position > 1000, timeout=WAIT)  # it advances

    # the same job's Preview raises the open window rather than opening another
    window.commands.preview.trigger()
    assert window.previews.windows == {job.id: preview}

    # a fixed rung: the picture on screen is that rung's, and the caption says so
    preview.controls.rungs.setCurrentIndex(1)  # 0 is Auto
    qtbot.waitUntil(lambda: preview.player.frame_size().height() == 144, timeout=WAIT)
    assert (preview.player.frame_size().width(), preview.player.frame_size().height()) == (256, 144)
    assert "144p · 256×144" in preview.caption()
    assert "VMAF" in preview.controls.rungs.currentText() or "SSIM" in preview.controls.rungs.currentText()

    # sound: both languages of the shown rung's group; French is that group's French rendition
    sound = preview.controls.sound
    assert sound.isVisible() and [sound.itemText(n) for n in range(sound.count())] == ["English", "Français"]
    sound.setCurrentIndex(1)
    french = package_info.audio_index("audio-40k", 1)
    assert french is not None and package_info.audio[french].language == "fr"
    qtbot.waitUntil(lambda: preview.player.active_audio_track() == french, timeout=WAIT)
    preview.controls.rungs.setCurrentIndex(2)  # the other rung keeps French, from its own group
    qtbot.waitUntil(lambda: preview.player.frame_size().height() == 180, timeout=WAIT)
    assert package_info.audio[preview.player.active_audio_track()] == package_info.languages("audio-96k")[1]

    # subtitles: the Swahili cue is drawn while the paused picture is inside it, and only then
    subtitles = preview.controls.subtitles
    assert [subtitles.itemText(n) for n in range(subtitles.count())] == ["Off", "English", "Kiswahili"]
    subtitles.setCurrentIndex(2)
    preview.player.pause()
    preview.seek(5000)
    qtbot.waitUntil(lambda: preview.view.subtitles.text() == SIDE_CUE, timeout=WAIT)
    assert not preview.view.subtitles.isHidden()
    preview.seek(9000)
    qtbot.waitUntil(preview.view.subtitles.isHidden, timeout=WAIT)

    # the storyboard's thumbnail shows above the seek bar under the cursor
    hover(preview, 0.9)
    assert preview.tip.isVisible()
    picture = preview.tip.picture.pixmap()
    assert not picture.isNull() and (picture.width(), picture.height()) == (160, 90)

    # the source beside it, at the same moment
    preview.controls.compare.setChecked(True)
    assert not preview.source_view.isHidden()
    qtbot.waitUntil(lambda: preview.compare.player.snapshot().ready, timeout=WAIT)
    qtbot.waitUntil(lambda: abs(preview.compare.player.snapshot().position - 9000) < 500, timeout=WAIT)
    assert open_files_under(tracks_source), "the source is open while it is compared"

    preview.close()
    qtbot.waitUntil(lambda: job.id not in window.previews.windows, timeout=WAIT)
    qtbot.waitUntil(lambda: engine_threads() == threads_before, timeout=WAIT)
    qtbot.waitUntil(lambda: set(threading.enumerate()) <= python_threads_before, timeout=WAIT)
    assert open_files_under(package, tracks_source) == []
    shutil.rmtree(package)
    assert not package.exists()


@pytest.fixture
def cdn(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on loopback: (the folder, its base URL)."""
    folder = tmp_path / "cdn"
    folder.mkdir()
    handler = partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="test-cdn", daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_published_package_no_longer_kept_here_plays_from_its_url(
    qtbot: QtBot,
    make_window: WindowFactory,
    fast_settings: AppSettings,
    tracks_source: Path,
    cdn: tuple[Path, str],
) -> None:
    folder, base_url = cdn
    destination = DestinationSettings(local_dir=str(folder), local_base_url=base_url)
    settings = with_ladder(fast_settings, TWO_RUNGS).model_copy(
        update={"destination": destination, "auto_publish": True, "keep_local_after_publish": False}
    )
    window = make_window(settings)
    job = run_until(qtbot, window, tracks_source, JobState.DONE, JobState.PUBLISH_FAILED, JobState.FAILED)
    assert job.state is JobState.DONE, job.error
    assert job.hls_url and job.hls_url.startswith(base_url)
    assert intact_package(job) is None  # the local copy was dropped after publishing

    preview = open_preview(qtbot, window, job)
    assert preview.status.text().startswith(f"Playing {job.hls_url}")
    qtbot.waitUntil(lambda: preview.player.snapshot().position > 500, timeout=WAIT)
    preview.controls.rungs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: preview.player.frame_size().height() == 180, timeout=WAIT)
    preview.controls.subtitles.setCurrentIndex(2)
    preview.player.pause()
    preview.seek(5000)
    qtbot.waitUntil(lambda: preview.view.subtitles.text() == SIDE_CUE, timeout=WAIT)
    hover(preview, 0.5)
    assert not preview.tip.picture.pixmap().isNull()
    preview.close()


def test_preview_of_a_portrait_package_with_one_rung(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, media: MediaSet
) -> None:
    source = media.clip(width=180, height=320, fps=25, duration=4.0)
    window = make_window(
        with_ladder(fast_settings, [Rung(name="one", height=180, video_kbps=200, audio_kbps=64)])
    )
    job = run_until(qtbot, window, source)
    package = package_of(job)
    master = read_master_playlist(package / "master.m3u8")
    assert len(master.variants) == 1 and master.variants[0].resolution == (180, 320)

    preview = open_preview(qtbot, window, job)
    assert preview.controls.rungs.count() == 2  # Auto and the one rung
    assert preview.controls.sound.isHidden() and preview.controls.subtitles.isHidden()
    assert abs(preview.player.snapshot().duration - package_duration_ms(package)) <= 40
    qtbot.waitUntil(lambda: preview.player.frame_size().isValid(), timeout=WAIT)
    size = preview.player.frame_size()
    assert (size.width(), size.height()) == (180, 320)  # upright, as the package is
    assert "one · 180×320" in preview.caption()
    qtbot.waitUntil(lambda: preview.player.snapshot().position > 500, timeout=WAIT)
    preview.close()


def test_preview_of_a_two_hour_title_seeks_to_the_end_at_once(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, media: MediaSet
) -> None:
    # 64x64 at one picture a second, no sound: two hours encode in seconds
    source = media.clip(width=64, height=64, fps=1, duration=7200.0, audio_tracks=0, gop=6)
    settings = with_ladder(fast_settings, [Rung(name="tiny", height=64, video_kbps=30, audio_kbps=32)])
    settings.encode.segment_duration = 6.0
    window = make_window(settings)
    job = run_until(qtbot, window, source)

    preview = open_preview(qtbot, window, job)
    assert preview.player.snapshot().duration == pytest.approx(7_200_000, abs=1000)
    assert preview.controls.seek_bar.maximum() == preview.player.snapshot().duration
    preview.player.pause()
    preview.seek(LONG_SEEK_MS)
    qtbot.waitUntil(lambda: preview.player.snapshot().position >= LONG_SEEK_MS, timeout=WAIT)
    qtbot.waitUntil(lambda: preview.controls.time.text().startswith("1:59:0"), timeout=WAIT)
    assert LONG_SEEK_MS <= preview.player.snapshot().position < LONG_SEEK_MS + 60_000
    assert preview.controls.seek_bar.value() >= LONG_SEEK_MS
    hover(preview, 0.99)  # the storyboard reaches the end of the title
    assert preview.tip.time.text().startswith("1:5") and not preview.tip.picture.pixmap().isNull()
    preview.close()


def test_preview_is_offered_for_one_encoded_job_only(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, good_clip: Path, bad_file: Path
) -> None:
    window = make_window(fast_settings)
    done = run_until(qtbot, window, good_clip)
    failed = window.controller.add_files([bad_file])[0]
    wait_state(qtbot, window, failed.id, JobState.FAILED)
    offered = window.commands.preview
    assert offered in row_menu(window, window.commands).actions()
    select_ids(window, [done.id])
    assert offered.isEnabled()
    select_ids(window, [failed.id])
    assert not offered.isEnabled()
    select_ids(window, [done.id, failed.id])
    assert not offered.isEnabled()
    offered.trigger()
    assert window.previews.windows == {}

    # a package deleted since (and never published): the window says so instead of playing
    shutil.rmtree(package_of(done))
    select_ids(window, [done.id])
    offered.trigger()
    preview = window.previews.windows[done.id]
    qtbot.waitUntil(lambda: "no longer on this computer" in preview.status.text(), timeout=WAIT)
    assert not preview.controls.isEnabled() and not preview.ready
    preview.close()
