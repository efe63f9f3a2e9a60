"""The work the app's background threads do, as plain functions over the core (no Qt here).

Each function is what one worker's ``run()`` calls; it blocks (subprocess, disk, network) and so
must never be called on the GUI thread. Errors are raised as ``HlsStudioError`` with a one-line
message for the row and technical detail for the details view.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from hlsstudio.core import credentials as secrets
from hlsstudio.core.command import build_poster_command
from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.manage import VIDEO_EXTENSIONS
from hlsstudio.core.models import EncodeSettings, MediaInfo
from hlsstudio.core.paths import cache_dir
from hlsstudio.core.planning import build_plan
from hlsstudio.core.proc import TimedOut, run_bounded
from hlsstudio.core.settings import DestinationSettings
from hlsstudio.core.storage.base import Destination
from hlsstudio.core.storage.config import SECRET_KEY_ENV, destination_from_settings
from hlsstudio.core.storage.cors import CorsFix, CorsVerdict, check_cors, configured_origins, set_cors
from hlsstudio.core.storage.s3 import S3Destination
from hlsstudio.core.toolchain import Toolchain

THUMBNAIL_WIDTH = 320
THUMBNAIL_TIMEOUT = 30.0
LOG_TAIL_BYTES = 256 * 1024
EXTRA_VIDEO_EXTENSIONS = frozenset({".3gp", ".ogv", ".vob", ".dv", ".m2v", ".mpe", ".qt"})


def is_video_name(path: Path) -> bool:
    """True for file names with a video extension (case-insensitive)."""
    suffix = path.suffix.lower()
    return suffix in VIDEO_EXTENSIONS or suffix in EXTRA_VIDEO_EXTENSIONS


def scan_paths(paths: Iterable[Path]) -> list[Path]:
    """Files to queue for dropped or picked ``paths``.

    A file is taken as it is (a bad one fails in its own row); a folder is walked recursively for
    video files (hidden entries skipped), sorted. Duplicates are dropped, order is kept.
    """
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root) / name
                    if not name.startswith(".") and is_video_name(candidate):
                        found.setdefault(candidate.resolve(), None)
        elif path.exists():
            found.setdefault(path.resolve(), None)
    return list(found)


def thumbnail_path(info: MediaInfo) -> Path:
    """Where the cached poster thumbnail of a source lives (keyed by path, size and duration)."""
    key = hashlib.sha1(f"{info.path}|{info.size}|{info.duration}".encode()).hexdigest()[:20]
    return cache_dir() / "thumbnails" / f"{key}.jpg"


def make_thumbnail(toolchain: Toolchain, info: MediaInfo) -> Path:
    """One frame of the source as a small JPEG (cached); the core's poster command does the work.

    Raises HlsStudioError when ffmpeg cannot extract a frame.
    """
    target = thumbnail_path(info)
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    plan, _ = build_plan(
        info,
        default_ladder(),
        EncodeSettings(),
        toolchain.capabilities,
        out_dir=target.parent,
        encoder="libx264",
    )
    partial = target.with_name(f".{target.stem}.partial.jpg")
    width = min(THUMBNAIL_WIDTH, plan.rungs[-1].width)
    command = build_poster_command(plan, info, partial, width, toolchain.ffmpeg)
    try:
        done = run_bounded(command, THUMBNAIL_TIMEOUT)
    except (OSError, TimedOut) as exc:
        raise HlsStudioError(f"no preview: {exc}") from exc
    if done.returncode != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        raise HlsStudioError(
            "no preview: ffmpeg could not extract a frame", done.stderr.decode("utf-8", "replace")
        )
    partial.replace(target)
    return target


def _typed_destination(settings: DestinationSettings, secret: str) -> Destination:
    environ: dict[str, str] | None = {**os.environ, SECRET_KEY_ENV: secret} if secret else None
    return destination_from_settings(settings, environ=environ, max_attempts=2)


def _reachable(destination: Destination) -> str:
    reachable = destination.check_access()
    if isinstance(destination, S3Destination):
        return f"Connected: {reachable}"
    return f"No bucket configured: publishing to the {reachable}"


def check_connection(settings: DestinationSettings, secret: str = "") -> str:
    """Check the destination: head the bucket (or the local folder). Returns a sentence on success.

    ``secret`` (typed but not saved yet) is used instead of the keyring. Raises HlsStudioError with
    the reason on failure.
    """
    return _reachable(_typed_destination(settings, secret))


def connection_report(settings: DestinationSettings, secret: str = "") -> tuple[str, CorsVerdict]:
    """``check_connection``'s sentence and, once connected, whether web players may load from the
    destination (its CORS rules). Raises HlsStudioError when the destination cannot be reached."""
    destination = _typed_destination(settings, secret)
    message = _reachable(destination)
    return message, check_cors(destination, configured_origins(settings))


def set_cors_rule(settings: DestinationSettings, secret: str = "") -> CorsFix:
    """Add the web player CORS rule to the bucket (or say what to paste where when it is refused).

    Raises HlsStudioError when the destination cannot be reached.
    """
    return set_cors(_typed_destination(settings, secret), configured_origins(settings))


def read_tail(path: Path, limit: int = LOG_TAIL_BYTES) -> str:
    """The last ``limit`` bytes of a text file (from a line start); '' when it does not exist."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - limit))
            data = fh.read()
    except FileNotFoundError:
        return ""
    if size > limit and b"\n" in data:
        data = data.split(b"\n", 1)[1]
    return data.decode("utf-8", "replace")


def saved_secret_exists(access_key_id: str) -> bool:
    """Whether a secret access key is in the keyring for ``access_key_id``."""
    return secrets.load_secret_key(access_key_id) is not None


def save_secret(secret: str, access_key_id: str) -> None:
    """Store the secret access key in the keyring. Raises ConfigError when the keyring refuses."""
    secrets.save_secret_key(secret, access_key_id)


def describe_exception(exc: BaseException) -> tuple[str, str]:
    """(one-line message, detail) for any exception a task raised."""
    if isinstance(exc, HlsStudioError):
        return exc.message, exc.detail
    return f"internal error: {type(exc).__name__}: {exc}", ""
