"""Icons from ``resources/icons``: SVGs drawn in the palette's text colour, so they suit light and dark."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

ICON_SIZES = (16, 24, 32, 48, 64)
APP_ICON = "hlsstudio"


def resources_dir() -> Path:
    """The ``resources`` folder: beside the package in a checkout, beside the executable when frozen."""
    candidates = [Path(__file__).resolve().parents[2] / "resources"]
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        candidates.insert(0, Path(meipass) / "resources")
    if getattr(sys, "frozen", False):
        candidates.append(Path(sys.executable).resolve().parent / "resources")
    for candidate in candidates:
        if (candidate / "icons").is_dir():
            return candidate
    return candidates[0]


def icon_path(name: str) -> Path:
    """The SVG file of icon ``name``."""
    return resources_dir() / "icons" / f"{name}.svg"


def _text_colour() -> str:
    app = QGuiApplication.instance()
    if app is None:
        return "#444444"
    return QGuiApplication.palette().color(QPalette.ColorRole.WindowText).name()


def render_svg(svg: bytes, size: int) -> QPixmap:
    """An SVG rendered into a transparent square pixmap of ``size`` pixels."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    renderer = QSvgRenderer(QByteArray(svg))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


@cache
def _icon(name: str, colour: str) -> QIcon:
    path = icon_path(name)
    if not path.is_file():
        return QIcon()
    svg = path.read_bytes().replace(b"currentColor", colour.encode("ascii"))
    result = QIcon()
    for size in ICON_SIZES:
        result.addPixmap(render_svg(svg, size))
    return result


def icon(name: str) -> QIcon:
    """Icon ``name`` (a file name without ``.svg``) tinted for the current palette; empty if missing."""
    return _icon(name, _text_colour())


def app_icon() -> QIcon:
    """The application icon (PNG when present, else the SVG)."""
    png = resources_dir() / "icons" / f"{APP_ICON}.png"
    if png.is_file():
        result = QIcon(str(png))
        result.addFile(str(icon_path(APP_ICON)))
        return result
    return icon(APP_ICON)
