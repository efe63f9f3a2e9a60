"""The builds of a published title, which one is live, and removing old ones after their grace period.

Each title keeps a small index next to its master (``_builds.json``): when each build went live and
when it stopped being live. The master is the truth about which build is live; the index only
remembers times. A build that is not live is removed once it has been known not to be live for the
grace period (default 24 h), so a viewer who started before a republish can finish; a build found
without a time (a crash between the master and the index, an upload abandoned by another computer)
starts its grace period when it is first seen. The live build is never removed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hlsstudio.core.builds import (
    INDEX_NAME,
    build_of_key,
    build_of_master,
    read_text,
    write_text,
)
from hlsstudio.core.errors import StorageError
from hlsstudio.core.storage.base import HLS_ROOT, MASTER_NAME, Destination, ObjectInfo
from hlsstudio.core.storage.content_types import content_type_for

log = logging.getLogger(__name__)

INDEX_SCHEMA = 1
INDEX_CACHE_CONTROL = "no-cache"


@dataclass
class BuildIndex:
    """When builds of one title went live (``live_at``) and stopped being live (``retired_at``)."""

    live_at: dict[str, float] = field(default_factory=dict)
    retired_at: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(
            {"schema": INDEX_SCHEMA, "live_at": self.live_at, "retired_at": self.retired_at}, indent=1
        )

    @classmethod
    def from_json(cls, text: str | None) -> BuildIndex:
        """Parse a stored index; an unreadable one counts as empty (its builds get a fresh grace)."""
        try:
            doc: Any = json.loads(text) if text else {}
        except ValueError:
            doc = {}
        if not isinstance(doc, dict):
            doc = {}

        def times(name: str) -> dict[str, float]:
            raw = doc.get(name)
            if not isinstance(raw, dict):
                return {}
            return {str(k): float(v) for k, v in raw.items() if isinstance(v, int | float)}

        return cls(times("live_at"), times("retired_at"))

    def ever_live(self, build: str) -> bool:
        """True when ``build`` is known to have been live (its keys must never be rewritten)."""
        return build in self.live_at


@dataclass
class TitleBuilds:
    """What is stored under one title: its live build (None without a master) and every build's keys."""

    prefix: str
    live: str | None
    builds: dict[str, list[ObjectInfo]] = field(default_factory=dict)
    has_index: bool = False

    @property
    def old(self) -> list[str]:
        """Builds that are not live, oldest id first."""
        return sorted(b for b in self.builds if b != self.live)


@dataclass
class SweepReport:
    """What a sweep of one title removed, and which old builds still wait for their grace to end."""

    prefix: str
    live: str | None
    removed: list[str] = field(default_factory=list)
    keys_removed: int = 0
    waiting: dict[str, float] = field(default_factory=dict)
    """Build -> seconds left before it may be removed."""


def group_objects(prefix: str, objects: Sequence[ObjectInfo]) -> tuple[dict[str, list[ObjectInfo]], bool]:
    """The title's objects grouped by build (ROOT_BUILD: files laid out before builds), and whether
    the title has a build index."""
    builds: dict[str, list[ObjectInfo]] = {}
    has_index = False
    for info in objects:
        build = build_of_key(prefix, info.key)
        if build is not None:
            builds.setdefault(build, []).append(info)
        has_index = has_index or info.key == prefix + INDEX_NAME
    return builds, has_index


def scan_title(
    destination: Destination,
    prefix: str,
    *,
    objects: Sequence[ObjectInfo] | None = None,
    live: str | None = None,
) -> TitleBuilds:
    """The builds stored under ``prefix``; the live one is read from the master unless given.

    Raises StorageError.
    """
    if objects is None:
        objects = destination.list_objects(prefix)
    builds, has_index = group_objects(prefix, objects)
    if live is None and any(o.key == prefix + MASTER_NAME for o in objects):
        live = build_of_master(read_text(destination, prefix + MASTER_NAME) or "")
    return TitleBuilds(prefix, live, builds, has_index)


def read_index(destination: Destination, prefix: str) -> BuildIndex:
    """The title's build index (empty when there is none). Raises StorageError."""
    return BuildIndex.from_json(read_text(destination, prefix + INDEX_NAME))


def _update_index(index: BuildIndex, title: TitleBuilds, now: float) -> bool:
    """Bring the index in line with what is stored; True when it changed."""
    before = (dict(index.live_at), dict(index.retired_at))
    if title.live is not None:
        index.live_at.setdefault(title.live, now)
        index.retired_at.pop(title.live, None)
    for build in title.old:
        index.retired_at.setdefault(build, now)
    for table in (index.live_at, index.retired_at):
        for build in [b for b in table if b not in title.builds]:
            del table[build]
    return (index.live_at, index.retired_at) != before


def sweep_title(
    destination: Destination,
    prefix: str,
    *,
    grace_seconds: float,
    now: float | None = None,
    dry_run: bool = False,
    live: str | None = None,
) -> SweepReport:
    """Remove the builds of one title that have not been live for ``grace_seconds``.

    ``live`` names the build that was just made live (saves reading the master back). With
    ``dry_run`` nothing is removed or written. Raises StorageError.
    """
    now = time.time() if now is None else now
    title = scan_title(destination, prefix, live=live)
    index = read_index(destination, prefix) if title.has_index else BuildIndex()
    changed = _update_index(index, title, now)
    report = SweepReport(prefix, title.live)
    for build in title.old:
        left = index.retired_at[build] + grace_seconds - now
        if left > 0:
            report.waiting[build] = left
            continue
        report.removed.append(build)
        keys = [o.key for o in title.builds[build]]
        report.keys_removed += len(keys)
        if not dry_run:
            destination.delete_keys(keys)
            index.retired_at.pop(build, None)
            index.live_at.pop(build, None)
            changed = True
    if changed and not dry_run:
        _store_index(destination, prefix, index, title)
    if report.removed:
        verb = "would remove" if dry_run else "removed"
        log.info(
            "%s %d old builds of %s (%d objects)", verb, len(report.removed), prefix, report.keys_removed
        )
    return report


def _store_index(destination: Destination, prefix: str, index: BuildIndex, title: TitleBuilds) -> None:
    key = prefix + INDEX_NAME
    if not index.live_at and not index.retired_at and title.live is None:
        if title.has_index:
            destination.delete_keys([key])
        return
    write_text(
        destination,
        key,
        index.to_json(),
        content_type=content_type_for(INDEX_NAME),
        cache_control=INDEX_CACHE_CONTROL,
    )


def title_prefixes(destination: Destination) -> list[str]:
    """Every title prefix that holds anything (``hls/movies/<id>/``, ``hls/episodes/<id>/``), sorted."""
    found: set[str] = set()
    for kind in ("movies", "episodes"):
        for info in destination.list_objects(f"{HLS_ROOT}/{kind}/"):
            parts = info.key.split("/")
            if len(parts) >= 4 and parts[2]:
                found.add("/".join(parts[:3]) + "/")
    return sorted(found)


def sweep_all(
    destination: Destination, *, grace_seconds: float, now: float | None = None, dry_run: bool = False
) -> list[SweepReport]:
    """``sweep_title`` for every title at the destination; a title that fails is logged and skipped.

    Raises StorageError when the destination cannot be listed at all.
    """
    reports = []
    for prefix in title_prefixes(destination):
        try:
            reports.append(
                sweep_title(destination, prefix, grace_seconds=grace_seconds, now=now, dry_run=dry_run)
            )
        except StorageError as exc:
            log.warning("could not sweep %s: %s", prefix, exc.message)
    return reports


@dataclass(frozen=True)
class LiveTitle:
    """A title viewers can play now: its build and when that build went live (None: not recorded)."""

    prefix: str
    build: str | None
    live_at: float | None


def live_since(live: LiveTitle) -> str:
    """When a live title was published, for people ("2026-11-30 06:15 UTC", or "earlier")."""
    if live.live_at is None:
        return "earlier"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(live.live_at))


def live_title(destination: Destination, prefix: str) -> LiveTitle | None:
    """What is live under ``prefix`` (a title's key prefix), or None when nothing is published there.

    Raises StorageError.
    """
    master = read_text(destination, prefix + MASTER_NAME)
    if master is None:
        return None
    build = build_of_master(master)
    index = read_index(destination, prefix)
    return LiveTitle(prefix, build, index.live_at.get(build) if build is not None else None)
