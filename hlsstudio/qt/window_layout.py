"""Remembering the window: geometry, toolbar state, splitters and queue columns as base64 strings.

They are kept in ``AppSettings.ui`` (JSON), so one settings file holds everything and
``HLSSTUDIO_HOME`` isolates it like the rest.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QHeaderView, QSplitter, QWidget


class Restorable(Protocol):
    """What the main window offers for saving and restoring its layout."""

    main_splitter: QSplitter
    bottom_splitter: QSplitter

    def saveGeometry(self) -> QByteArray: ...

    def restoreGeometry(self, geometry: QByteArray | bytes) -> bool: ...

    def saveState(self, version: int = 0) -> QByteArray: ...

    def restoreState(self, state: QByteArray | bytes, version: int = 0) -> bool: ...

    def queue_header(self) -> QHeaderView: ...


def splitter(
    orientation: Qt.Orientation, first: QWidget, second: QWidget, stretch: tuple[int, int] = (1, 1)
) -> QSplitter:
    """A splitter of two widgets sharing extra room in the ``stretch`` proportions."""
    made = QSplitter(orientation)
    made.addWidget(first)
    made.addWidget(second)
    made.setStretchFactor(0, stretch[0])
    made.setStretchFactor(1, stretch[1])
    made.setChildrenCollapsible(False)
    return made


def _encode(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _decode(value: Any) -> QByteArray | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return QByteArray(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return None


def _parts(window: Restorable) -> dict[str, tuple[Callable[[], QByteArray], Callable[[QByteArray], bool]]]:
    header = window.queue_header()
    return {
        "geometry": (window.saveGeometry, window.restoreGeometry),
        "state": (window.saveState, window.restoreState),
        "main_splitter": (window.main_splitter.saveState, window.main_splitter.restoreState),
        "bottom_splitter": (window.bottom_splitter.saveState, window.bottom_splitter.restoreState),
        "queue_header": (header.saveState, header.restoreState),
    }


def save(window: Restorable) -> dict[str, str]:
    """The layout as base64 strings (for ``AppSettings.ui``)."""
    return {name: _encode(saver()) for name, (saver, _restorer) in _parts(window).items()}


def restore(window: Restorable, ui: dict[str, Any]) -> bool:
    """Restore what ``ui`` holds (damaged values are skipped); True when the geometry was restored."""
    restored = {}
    for name, (_saver, restorer) in _parts(window).items():
        data = _decode(ui.get(name))
        restored[name] = bool(data is not None and restorer(data))
    return restored["geometry"]
