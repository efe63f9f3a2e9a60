"""Former home of the test media generator, kept so older imports keep working.

Everything lives in ``tests.mediagen`` now (the ``media`` fixture is a ``MediaSet``); import from
there in new code.
"""

from __future__ import annotations

from tests.mediagen import (
    BAD_SAMPLES,
    GOOD_SAMPLES,
    SAMPLES,
    MediaGenError,
    MediaSet,
    ffmpeg_path,
    ffprobe_json,
    ffprobe_path,
    make_video,
    save_probe_document,
)

MediaFactory = MediaSet
MediaGenerationError = MediaGenError

__all__ = [
    "BAD_SAMPLES",
    "GOOD_SAMPLES",
    "SAMPLES",
    "MediaFactory",
    "MediaGenError",
    "MediaGenerationError",
    "MediaSet",
    "ffmpeg_path",
    "ffprobe_json",
    "ffprobe_path",
    "make_video",
    "save_probe_document",
]
