"""Look and feel: Fusion over the platform's own palette, so light and dark desktops both look right."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

STYLE = "Fusion"


def apply_theme(app: QApplication) -> None:
    """Use the Fusion style with the system palette (Qt follows the desktop's light/dark scheme)."""
    app.setStyle(STYLE)
    app.setPalette(app.style().standardPalette())
    hints = app.styleHints()
    hints.colorSchemeChanged.connect(lambda _scheme: app.setPalette(app.style().standardPalette()))
