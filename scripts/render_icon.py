"""Render the application icon ``resources/icons/hlsstudio.svg`` to a 256x256 PNG beside it.

Usage: ``QT_QPA_PLATFORM=offscreen python scripts/render_icon.py [SIZE]``
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QGuiApplication

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hlsstudio.qt.icons import APP_ICON, icon_path, render_svg  # noqa: E402


def main(argv: list[str]) -> int:
    """Write ``hlsstudio.png`` (SIZE pixels square, default 256) next to the SVG; print its path."""
    size = int(argv[1]) if len(argv) > 1 else 256
    app = QGuiApplication.instance() or QGuiApplication(argv[:1])
    source = icon_path(APP_ICON)
    target = source.with_suffix(".png")
    if not render_svg(source.read_bytes(), size).save(str(target), "PNG"):
        print(f"cannot write {target}", file=sys.stderr)
        return 1
    print(target)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
