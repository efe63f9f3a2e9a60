"""The open preview windows: one per job, raised again when its Preview is asked for twice.

QtMultimedia is loaded with the first preview, not when the app starts: a start never waits for it,
and its engine's start-up messages (audio back ends looked for) appear only when it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from hlsstudio.core.jobstore import JobRecord
from hlsstudio.qt.pools import Pool
from hlsstudio.qt.preview.package import can_preview

if TYPE_CHECKING:
    from hlsstudio.qt.preview.window import PreviewWindow


class PreviewWindows(QObject):
    """Opens, raises and closes the preview windows of ``parent``'s jobs (workers run on ``pool``)."""

    def __init__(self, pool: Pool, parent: QWidget) -> None:
        super().__init__(parent)
        self.pool = pool
        self.host = parent
        self.windows: dict[int, PreviewWindow] = {}

    def open(self, records: list[JobRecord]) -> PreviewWindow | None:
        """Preview the one selected job (nothing when it has no package to play)."""
        if len(records) != 1 or not can_preview(records[0]):
            return None
        record = records[0]
        window = self.windows.get(record.id)
        if window is None:
            from hlsstudio.qt.preview.window import PreviewWindow

            window = PreviewWindow(record, self.pool, self.host)
            window.closed.connect(self._forget)
            self.windows[record.id] = window
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def _forget(self, job_id: int) -> None:
        self.windows.pop(job_id, None)

    def close_all(self) -> None:
        """Close every preview (the app is closing)."""
        for window in list(self.windows.values()):
            window.close()
