"""The app's output folder (``output_dir/content_id``) never swallows a user's folder or a source's own
folder: the job fails in its row with the reason, and every file stays where it was."""

from __future__ import annotations

import shutil
from pathlib import Path

from pytestqt.qtbot import QtBot

from hlsstudio.core.models import JobState
from hlsstudio.core.ownership import is_ours
from hlsstudio.core.settings import AppSettings
from tests.qt.helpers import WindowFactory, run_until, small_ladder


def test_a_source_in_the_output_folder_keeps_its_own_folder(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, good_clip: Path, tmp_path: Path
) -> None:
    videos = tmp_path / "Videos"
    holiday = videos / "Holiday"
    holiday.mkdir(parents=True)
    source = holiday / "Holiday.mp4"
    shutil.copyfile(good_clip, source)
    original = source.read_bytes()
    settings = fast_settings.model_copy(update={"ladder": small_ladder(), "output_dir": str(videos)})
    window = make_window(settings)
    record = run_until(qtbot, window, source, JobState.FAILED, JobState.DONE)
    assert record.content_id == "Holiday"
    assert record.state is JobState.FAILED
    assert record.error is not None and "holds the source video Holiday.mp4" in record.error
    assert source.read_bytes() == original
    assert sorted(p.name for p in holiday.iterdir()) == ["Holiday.mp4"]
    assert sorted(p.name for p in videos.iterdir()) == ["Holiday"]


def test_a_users_folder_named_like_the_content_id_is_left_alone(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, good_clip: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    stem = good_clip.stem
    mine = out / stem
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("mine")
    window = make_window(fast_settings.model_copy(update={"ladder": small_ladder(), "output_dir": str(out)}))
    record = run_until(qtbot, window, good_clip, JobState.FAILED, JobState.DONE)
    assert record.state is JobState.FAILED
    assert record.error is not None and "already holds other files" in record.error
    assert (mine / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_the_package_folder_the_app_made_carries_its_marker(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, good_clip: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    window = make_window(fast_settings.model_copy(update={"ladder": small_ladder(), "output_dir": str(out)}))
    record = run_until(qtbot, window, good_clip)
    package = Path(record.result.output_dir or "") if record.result else Path()
    assert is_ours(package) and (package / "master.m3u8").is_file()
