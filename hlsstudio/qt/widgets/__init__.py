"""Widgets of the main window and its dialogs; each adapts one part of the core."""
