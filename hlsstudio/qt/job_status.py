"""What a job's row says about it, in words a content person reads: encode and publish apart (no Qt).

A job is encoded, published, failed or on its way, and the words say which: "Encoded" (not
published yet), "Published ✓", "Publish failed" (the encode is kept; retrying publishes only),
"Encode failed", "Can't use file" (the file could not be read at all).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Literal

from hlsstudio.core.jobs.actions import RETRYABLE
from hlsstudio.core.jobs.work import package_dir
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import JobState

RetryKind = Literal["publish", "encode"]

WORDS = {
    JobState.QUEUED: "Queued",
    JobState.PROBING: "Checking file…",
    JobState.ANALYSING: "Analysing picture",
    JobState.READY: "Ready to encode",
    JobState.TRANSCODING: "Encoding",
    JobState.VALIDATING: "Checking package",
    JobState.PUBLISHING: "Publishing",
    JobState.DONE: "Encoded",
    JobState.PUBLISH_FAILED: "Publish failed",
    JobState.FAILED: "Encode failed",
    JobState.CANCELLED: "Cancelled",
    JobState.INTERRUPTED: "Interrupted",
}
PUBLISHED = "Published ✓"
UNUSABLE = "Can't use file"
CANCELLING = "Cancelling…"


class Tone(StrEnum):
    """How a status looks: the colour family of its words."""

    NEUTRAL = "neutral"
    BUSY = "busy"
    ENCODED = "encoded"
    PUBLISHED = "published"
    WARNING = "warning"
    FAILED = "failed"
    MUTED = "muted"


def status_text(record: JobRecord, cancelling: bool = False) -> str:
    """The row's status words: "Encoded", "Published ✓", "Publish failed", "Encode failed" …"""
    if cancelling:
        return CANCELLING
    if record.state is JobState.DONE and record.hls_url:
        return PUBLISHED
    if record.state is JobState.FAILED and record.info is None:
        return UNUSABLE
    return WORDS[record.state]


def tone(record: JobRecord) -> Tone:
    """The colour family of a job's status."""
    state = record.state
    if state is JobState.DONE:
        return Tone.PUBLISHED if record.hls_url else Tone.ENCODED
    if state in (JobState.FAILED, JobState.PUBLISH_FAILED):
        return Tone.FAILED
    if state is JobState.INTERRUPTED:
        return Tone.WARNING
    if state is JobState.CANCELLED:
        return Tone.MUTED
    return Tone.BUSY if state.is_active else Tone.NEUTRAL


def retry_kind(record: JobRecord) -> RetryKind | None:
    """What Retry does for this job: publish its kept package again, encode again, or nothing."""
    if record.state not in RETRYABLE:
        return None
    if record.state is JobState.PUBLISH_FAILED:
        return "publish"
    return "publish" if package_dir(record) is not None else "encode"


def retry_label(records: Sequence[JobRecord]) -> str:
    """The Retry action's words for these jobs: "Retry publish", "Retry encode", or "Retry"."""
    kinds = {kind for kind in map(retry_kind, records) if kind is not None}
    if kinds == {"publish"}:
        return "Retry publish"
    if kinds == {"encode"}:
        return "Retry encode"
    return "Retry"


def publishable(record: JobRecord) -> bool:
    """True when Publish applies: the job is encoded (published, not yet, or its publish failed)."""
    return record.state.is_encoded
