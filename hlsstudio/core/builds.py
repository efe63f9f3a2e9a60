"""Immutable builds of a published title: names, the published master, and what a package remembers.

A title's public URL never changes: ``hls/{movies|episodes}/{id}/master.m3u8``. Every publish writes
its variant playlists, segments, thumbnails and poster under a new build prefix of the title,
``hls/movies/{id}/b-<UTC time>-<random>/…``, and the master, written last, points into that build
with relative URIs. Keys inside a build are never rewritten once the build has been live, so they can
be cached for a year; a viewer who still holds the old playlists keeps getting the old bytes until
the old build is swept after its grace period (``core.sweep``).

A package folder the app made remembers which build each destination gave it (a hidden record), so
a publish that failed half-way is resumed into the same unfinished build instead of a new one.
"""

from __future__ import annotations

import calendar
import contextlib
import json
import re
import secrets
import tempfile
import time
from pathlib import Path

from hlsstudio.core.errors import StorageError
from hlsstudio.core.ownership import is_ours
from hlsstudio.core.storage.base import MASTER_NAME, Destination

BUILD_RE = re.compile(r"^b-(\d{8}T\d{6}Z)-([0-9a-f]{6,16})$")
ROOT_BUILD = ""
"""The pseudo-build of a title published before builds existed: its files lie directly under the title."""
INDEX_NAME = "_builds.json"
RECORD_NAME = ".hlsstudio-publish.json"
TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_URI_ATTR = re.compile(r'URI="([^"]*)"')


def new_build_id(now: float | None = None) -> str:
    """A new build id: ``b-<UTC time>-<12 random hex digits>`` (sortable by creation time)."""
    stamp = time.strftime(TIME_FORMAT, time.gmtime(time.time() if now is None else now))
    return f"b-{stamp}-{secrets.token_hex(6)}"


def build_created_at(build: str) -> float | None:
    """When ``build`` was created (from its id), or None for an id not made by ``new_build_id``."""
    match = BUILD_RE.match(build)
    if match is None:
        return None
    return float(calendar.timegm(time.strptime(match.group(1), TIME_FORMAT)))


def build_prefix(title_prefix: str, build: str) -> str:
    """The key prefix of ``build`` under a title (``title_prefix`` ends with ``/``)."""
    return f"{title_prefix}{build}/" if build else title_prefix


def build_of_key(title_prefix: str, key: str) -> str | None:
    """Which build ``key`` belongs to: a build id, ROOT_BUILD for a file directly under the title
    (the layout before builds), or None for the title's own master and build index."""
    rest = key[len(title_prefix) :] if key.startswith(title_prefix) else key
    first, sep, _ = rest.partition("/")
    if sep:
        return first if BUILD_RE.match(first) else None
    return None if rest in (MASTER_NAME, INDEX_NAME) else ROOT_BUILD


def _is_relative(uri: str) -> bool:
    return bool(uri) and "://" not in uri and not uri.startswith(("/", "data:"))


def master_for_build(master_text: str, build: str) -> str:
    """The package's master playlist with every relative URI (variant lines and ``URI="…"``
    attributes) pointing into ``build``."""

    def attribute(match: re.Match[str]) -> str:
        uri = match.group(1)
        return f'URI="{build}/{uri}"' if _is_relative(uri) else match.group(0)

    lines = []
    for line in master_text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            lines.append(_URI_ATTR.sub(attribute, line))
        else:
            lines.append(f"{build}/{stripped}" if _is_relative(stripped) else line)
    return "\n".join(lines) + "\n"


def build_of_master(master_text: str) -> str | None:
    """The build a published master points into (ROOT_BUILD for the layout before builds), or None
    when it references nothing."""
    for line in master_text.splitlines():
        uris = _URI_ATTR.findall(line) if line.startswith("#") else [line.strip()]
        for uri in uris:
            if _is_relative(uri):
                first, sep, _ = uri.partition("/")
                return first if sep and BUILD_RE.match(first) else ROOT_BUILD
    return None


def read_text(destination: Destination, key: str) -> str | None:
    """The stored object ``key`` as text, or None when it does not exist. Raises StorageError."""
    if destination.head(key) is None:
        return None
    with tempfile.TemporaryDirectory(prefix="hlsstudio-read-") as tmp:
        path = Path(tmp) / "object"
        destination.download_file(key, path)
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise StorageError(f"cannot read {key}: {exc}") from None


def write_text(
    destination: Destination, key: str, text: str, *, content_type: str, cache_control: str
) -> None:
    """Store ``text`` at ``key`` (atomically, as every upload). Raises StorageError."""
    with tempfile.TemporaryDirectory(prefix="hlsstudio-write-") as tmp:
        path = Path(tmp) / Path(key).name
        path.write_text(text, encoding="utf-8")
        destination.upload_file(
            path,
            key,
            content_type=content_type,
            cache_control=cache_control,
            multipart_threshold=1 << 30,
            part_size=1 << 30,
        )


def _record_key(destination: Destination, title_prefix: str) -> str:
    return f"{destination.description}|{title_prefix}"


def recorded_build(package_dir: Path, destination: Destination, title_prefix: str) -> str | None:
    """The build this package folder was last being published into at this destination, if any."""
    try:
        doc = json.loads((package_dir / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    build = doc.get(_record_key(destination, title_prefix)) if isinstance(doc, dict) else None
    return build if isinstance(build, str) and BUILD_RE.match(build) else None


def remember_build(package_dir: Path, destination: Destination, title_prefix: str, build: str) -> None:
    """Note in a package folder the app made which build it is published into (best effort: a folder
    the app did not make is never written to, and a write error only costs the resume)."""
    if not is_ours(package_dir):
        return
    record = package_dir / RECORD_NAME
    try:
        doc = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else {}
    except (OSError, ValueError):
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    doc[_record_key(destination, title_prefix)] = build
    with contextlib.suppress(OSError):
        record.write_text(json.dumps(doc, indent=1), encoding="utf-8")
