"""Render the preview window of a finished job to ``docs/preview.png`` (1280x720).

Usage: ``QT_QPA_PLATFORM=offscreen python scripts/preview_shot.py [docs/preview.png]``

``preview_shot(app, window, folder)`` is the part another screenshot script can call with its own
main window: it generates a 10 s 1280x720 source with English and French sound, English subtitles
inside and Swahili subtitles beside it (``<name>.sw.srt``), has the app encode it with the fixed
ladder, opens Preview on the finished job, chooses a rung, French and the Swahili subtitles, shows
the source beside the package at a moment inside a cue, hovers the seek bar, and saves the window.
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
    os.environ["HLSSTUDIO_HOME"] = tempfile.mkdtemp(prefix="hlsstudio-preview-shot-")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from hlsstudio.core.jobstore import JobRecord  # noqa: E402
from hlsstudio.core.models import JobState  # noqa: E402
from hlsstudio.core.settings import AppSettings  # noqa: E402
from hlsstudio.qt.main_window import MainWindow  # noqa: E402
from hlsstudio.qt.preview.window import PreviewWindow  # noqa: E402
from hlsstudio.qt.theme import apply_theme  # noqa: E402
from scripts.shot_tools import settle, wait, write_srt  # noqa: E402

SOURCE = "Harbour Lights - preview.mp4"
SECONDS = 10
SIZE = (1280, 720)
MOMENT_MS = 6_600  # inside the fourth cue, paused there
HOVER_AT = 0.72  # where the cursor rests on the seek bar (a share of its width)
SUBTITLES = {
    "en": ["The harbour never sleeps.", "Not while the lights are on.", "Listen.", "Here they come."],
    "sw": ["Bandari hailali kamwe.", "Si wakati taa zinawaka.", "Sikiliza.", "Wanakuja sasa."],
}


def make_source(folder: Path) -> Path:
    """The source: picture, English (the default) and French sound, English subtitles inside, Swahili
    beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SOURCE
    embedded = write_srt(folder / "embedded.en.srt", SUBTITLES["en"], start=0.5, end=2.0)
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=s={SIZE[0]}x{SIZE[1]}:r=25:d={SECONDS}",
         "-f", "lavfi", "-i", f"sine=frequency=330:duration={SECONDS}",
         "-f", "lavfi", "-i", f"sine=frequency=220:duration={SECONDS}",
         "-i", str(embedded),
         "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-b:v", "5M",
         "-c:a", "aac", "-b:a", "128k", "-c:s", "mov_text",
         "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre",
         "-metadata:s:s:0", "language=eng",
         "-disposition:a:0", "default", "-disposition:a:1", "0", "-disposition:s:0", "0",
         "-t", str(SECONDS), str(path)],
        check=True,
    )  # fmt: skip
    embedded.unlink()
    write_srt(path.with_name(f"{path.stem}.sw.srt"), SUBTITLES["sw"], start=0.5, end=2.0)
    return path


def encode(app: QApplication, window: MainWindow, source: Path) -> JobRecord:
    """Queue ``source`` with the fixed ladder and wait until the app has encoded it."""
    encode_settings = window.settings.encode.model_copy(update={"ladder_mode": "fixed", "preset": "veryfast"})
    window.apply_settings(window.settings.model_copy(update={"encode": encode_settings}))
    controller = window.controller
    job = controller.add_files([source])[0]

    def state() -> JobState:
        record = controller.model.record(job.id)
        return record.state if record is not None else JobState.FAILED

    wait(app, lambda: state() is not JobState.QUEUED and state() is not JobState.PROBING, "the probe")
    wait(app, lambda: controller.toolchain is not None, "the toolchain")
    controller.start()
    wait(app, lambda: state().is_terminal, "the encode")
    record = controller.model.record(job.id)
    if record is None or not record.state.is_encoded:
        sys.exit(f"the preview's job did not encode: {record.error if record else 'gone'}")
    return record


def hover(bar: QWidget, fraction: float) -> None:
    """Rest the mouse over ``bar`` at ``fraction`` of its width, as the window system would."""
    point = QPointF(bar.width() * fraction, bar.height() / 2)
    QApplication.sendEvent(
        bar,
        QMouseEvent(
            QEvent.Type.MouseMove,
            point,
            bar.mapToGlobal(point),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        ),
    )


def stage(app: QApplication, preview: PreviewWindow) -> None:
    """A rung, French, Swahili subtitles, the source beside it, paused inside a cue, the cursor on the bar."""
    preview.resize(*SIZE)
    c = preview.controls
    c.rungs.setCurrentIndex(c.rungs.count() - 1)  # the top rung
    c.sound.setCurrentIndex(1)
    c.subtitles.setCurrentIndex(c.subtitles.findText("Kiswahili"))
    c.compare.setChecked(True)
    preview.player.pause()
    preview.seek(MOMENT_MS)
    wait(app, lambda: bool(preview.view.subtitles.text()), "the Swahili cue")
    wait(app, lambda: preview.compare.player.snapshot().ready, "the source")
    wait(app, lambda: preview.player.frame_size().isValid(), "the package's picture")
    settle(app)
    hover(c.seek_bar, HOVER_AT)
    settle(app, 0.2)


def preview_shot(app: QApplication, window: MainWindow, folder: Path, name: str = "preview.png") -> Path:
    """Encode the two-language source in ``window``'s queue, open its preview and save it in ``folder``."""
    sources = Path(tempfile.mkdtemp(prefix="hlsstudio-preview-source-"))
    try:
        record = encode(app, window, make_source(sources))
        preview = window.previews.open([record])
        if preview is None:
            sys.exit("Preview was not offered for the encoded job")
        wait(app, lambda: preview.ready, "the preview to load the package")
        stage(app, preview)
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not preview.grab().save(str(target), "PNG"):
            sys.exit(f"cannot write {target}")
        preview.close()
        settle(app, 0.3)
        return target
    finally:
        shutil.rmtree(sources, ignore_errors=True)


def main(argv: list[str]) -> int:
    """Make the shot with a window of its own; print the PNG's path."""
    target = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "preview.png"
    if not shutil.which("ffmpeg"):
        sys.exit("ffmpeg is needed to make the screenshot")
    app = QApplication.instance() or QApplication(argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app)
    window = MainWindow(AppSettings(concurrent_jobs=1))
    window.confirm = lambda *_args: True  # type: ignore[method-assign]
    window.resize(1280, 800)
    window.show()
    try:
        print(preview_shot(app, window, target.parent, target.name))
    finally:
        window.close()
        shutil.rmtree(os.environ["HLSSTUDIO_HOME"], ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
