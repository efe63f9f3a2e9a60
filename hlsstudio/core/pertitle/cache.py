"""Per-source cache of per-title plans, so a second analysis of the same file and settings runs nothing.

A plan is stored as JSON under ``paths.cache_dir() / "pertitle" / <key>.json``. The key
(``cache_key``) is the SHA-256 of everything the plan depends on: the file (absolute path, size,
modification time in ns), the ladder's rungs, the x264 preset, the segment length, the metric, the
targets, the picture preparation and the analysis version. Writes are atomic (a temporary file
renamed over the entry); an entry that cannot be read or parsed, or that holds another key, is
ignored (and the analysis runs again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from hlsstudio.core import paths
from hlsstudio.core.models import EncodeSettings, Ladder
from hlsstudio.core.pertitle.models import ANALYSIS_VERSION, PerTitlePlan, PerTitleTargets
from hlsstudio.core.quality.metric import Metric

CACHE_FOLDER = "pertitle"


def cache_key(
    source: Path,
    ladder: Ladder,
    settings: EncodeSettings,
    *,
    metric: Metric,
    targets: PerTitleTargets,
    picture_chain: str,
    version: int = ANALYSIS_VERSION,
) -> str:
    """The hex SHA-256 naming the plan of ``source`` under these settings.

    Raises OSError when ``source`` cannot be read (stat).
    """
    absolute = source.resolve()
    stat = absolute.stat()
    doc = {
        "version": version,
        "path": str(absolute),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "rungs": [rung.model_dump(mode="json") for rung in ladder.rungs],
        "preset": settings.preset,
        "segment_duration": settings.segment_duration,
        "metric": metric,
        "targets": targets.model_dump(mode="json"),
        "picture_chain": picture_chain,
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_path(key: str) -> Path:
    """Where the plan of ``key`` is stored (the folder is made if needed)."""
    folder = paths.cache_dir() / CACHE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{key}.json"


def load_plan(key: str) -> PerTitlePlan | None:
    """The stored plan of ``key``, or None when there is none or it cannot be used."""
    try:
        text = cache_path(key).read_text(encoding="utf-8")
        plan = PerTitlePlan.model_validate_json(text)
    except (OSError, ValueError, ValidationError):
        return None
    if plan.key != key or plan.version != ANALYSIS_VERSION:
        return None
    return plan


def store_plan(plan: PerTitlePlan) -> Path:
    """Store ``plan`` under its key, atomically; returns the entry's path.

    Raises OSError when the cache folder cannot be written, ValueError when the plan has no key.
    """
    if not plan.key:
        raise ValueError("a plan without a key cannot be cached")
    target = cache_path(plan.key)
    handle, temporary = tempfile.mkstemp(prefix=f".{plan.key[:16]}-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(plan.model_dump_json(indent=1))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target
