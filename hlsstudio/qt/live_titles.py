"""Live titles in the window: which queued jobs would replace a published title, and asking first.

The controller keeps a listing of the destination's published titles (read in a worker; refreshed
at start, after settings change and after each publish). A job whose content type and id name one
of them shows "Replaces the live title" in its row, and publishing it asks first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from hlsstudio.core.builds import build_created_at
from hlsstudio.core.jobs.work import publishes_own_title
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.manage import PublishedContent, list_published
from hlsstudio.core.settings import DestinationSettings
from hlsstudio.core.storage.config import destination_from_settings

LiveKey = tuple[str, str]
Live = dict[LiveKey, PublishedContent]


def key_of(record: JobRecord) -> LiveKey:
    """The (content type, content id) a job publishes as."""
    return record.content_type.value, record.content_id


def published_titles(settings: DestinationSettings) -> Live:
    """Every title published at the destination, by (content type, id). Blocks: run it in a worker."""
    titles = list_published(destination_from_settings(settings))
    return {(t.content_type.value, t.content_id): t for t in titles}


def when_published(title: PublishedContent) -> str:
    """When the live build of ``title`` was made, for people ("2026-11-30 06:15 UTC")."""
    made = build_created_at(title.live_build or "")
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(made)) if made else "before builds were kept"


def replacing(records: Sequence[JobRecord], live: Live) -> list[JobRecord]:
    """The jobs among ``records`` whose publish would replace a live title (not one they published)."""
    return [r for r in records if key_of(r) in live and not publishes_own_title(r)]


def keep_confirmed(
    records: Sequence[JobRecord], live: Live, confirm: Callable[[str, str], bool]
) -> list[JobRecord]:
    """``records`` less those that would replace a live title and the user did not confirm."""
    refused: set[int] = set()
    for record in replacing(records, live):
        title = live[key_of(record)]
        text = (
            f"{record.content_type.value} '{record.content_id}' is live now (published "
            f"{when_published(title)}). Publishing {record.name} replaces it for new viewers; people "
            "watching now keep the current version until they start again."
        )
        if not confirm(f"Replace the live title '{record.content_id}'?", text):
            refused.add(record.id)
    return [r for r in records if r.id not in refused]
