"""Where the app keeps its files (platformdirs), overridable as one tree with ``HLSSTUDIO_HOME``.

``HLSSTUDIO_HOME`` exists for tests, portable installs and side-by-side profiles: when set, config,
data, cache and logs all live under it.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "HLSStudio"


def _home_override() -> Path | None:
    value = os.environ.get("HLSSTUDIO_HOME")
    return Path(value) if value else None


def _dir(kind: str) -> Path:
    home = _home_override()
    if home is not None:
        path = home / kind
    else:
        getter = {
            "config": platformdirs.user_config_dir,
            "data": platformdirs.user_data_dir,
            "cache": platformdirs.user_cache_dir,
            "log": platformdirs.user_log_dir,
        }[kind]
        path = Path(getter(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """Folder of settings.json and ladder presets."""
    return _dir("config")


def data_dir() -> Path:
    """Folder of the job database, default output and the local publishing folder."""
    return _dir("data")


def cache_dir() -> Path:
    """Folder of the toolchain capability cache and poster thumbnails."""
    return _dir("cache")


def log_dir() -> Path:
    """Folder of the log file."""
    return _dir("log")


def default_output_dir() -> Path:
    """Where finished packages go unless the user picks another folder."""
    return data_dir() / "output"


def default_local_publish_dir() -> Path:
    """The local-folder destination used when no bucket is configured."""
    return data_dir() / "published"
