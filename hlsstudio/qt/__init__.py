"""The desktop app: the only package that imports PySide6. Thin: adapts the core to widgets."""
