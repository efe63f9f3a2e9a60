"""The work the job service hands its executor, as plain blocking functions, and the rules around it.

Each function runs on an executor's thread (never a GUI thread): probe a source, run a whole job,
publish a finished package. The rules a content person relies on live here, once, for every front
end: a job whose publish cannot happen or fails still makes its package and ends publish-failed with
the reason (never encode-failed), so a retry only publishes; a job whose package is intact on disk is
retried by publishing it again.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from hlsstudio.core import layout
from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobs.context import JobCallbacks, JobRequest
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import (
    ContentType,
    EncodeSettings,
    JobResult,
    JobState,
    Ladder,
    MediaInfo,
    PublishResult,
)
from hlsstudio.core.pipeline import publish_package_dir, run_job
from hlsstudio.core.probe import probe_file
from hlsstudio.core.publish import ProgressCallback, PublishOptions
from hlsstudio.core.settings import AppSettings, DestinationSettings
from hlsstudio.core.storage.base import CONTENT_ID_RE, content_prefix
from hlsstudio.core.storage.config import destination_from_settings
from hlsstudio.core.toolchain import Toolchain, find_binary

log = logging.getLogger(__name__)


class JobSnapshot(BaseModel):
    """The settings one job runs with, taken when it starts and never changed under it.

    Changing the settings affects the jobs that have not started yet; a running job keeps these.
    """

    model_config = ConfigDict(frozen=True)

    ladder: Ladder
    encode: EncodeSettings
    output_dir: Path
    destination: DestinationSettings
    auto_publish: bool
    keep_local: bool

    @classmethod
    def of(cls, settings: AppSettings, ladder: Ladder) -> JobSnapshot:
        """The snapshot of ``settings`` (with the queue's current, valid ``ladder``)."""
        return cls(
            ladder=ladder,
            encode=settings.encode,
            output_dir=settings.resolved_output_dir(),
            destination=settings.destination,
            auto_publish=settings.auto_publish,
            keep_local=settings.keep_local_after_publish,
        )


def content_id_problem(content_id: str) -> str | None:
    """Why ``content_id`` cannot name a published package (None: it can)."""
    if CONTENT_ID_RE.fullmatch(content_id):
        return None
    if not content_id.strip():
        return "there is no content id: set one (letters, digits, '-' or '_')"
    return f"content id {content_id!r} is not valid: use 1-128 letters, digits, '-' or '_'"


def package_dir(record: JobRecord) -> Path | None:
    """The finished (valid) local package of a job, if it has one."""
    if record.result is None or not record.result.output_dir:
        return None
    if record.result.validation is not None and not record.result.validation.ok:
        return None
    return Path(record.result.output_dir)


def intact_package(record: JobRecord) -> Path | None:
    """The job's finished local package when it is still complete on disk (its master is there)."""
    folder = package_dir(record)
    return folder if folder is not None and (folder / layout.MASTER).is_file() else None


def publishes_own_title(record: JobRecord) -> bool:
    """True when the job's public URL is the master of the title it names now (it published that
    title itself, and its content type and id were not changed since)."""
    if not record.hls_url or not CONTENT_ID_RE.fullmatch(record.content_id):
        return False
    master = content_prefix(record.content_type, record.content_id) + layout.MASTER
    return record.hls_url.endswith("/" + master)


def final_state(result: JobResult) -> JobState:
    """The state a job's run ends in: a publish that failed or was cancelled after a good encode never
    marks the encode failed (PUBLISH_FAILED, or DONE: encoded, not published)."""
    if result.status == "completed":
        return JobState.DONE
    encoded = bool(result.output_dir) and (result.validation is None or result.validation.ok)
    if encoded and (Path(str(result.output_dir)) / layout.MASTER).is_file():
        return JobState.PUBLISH_FAILED if result.status == "failed" else JobState.DONE
    return JobState.CANCELLED if result.status == "cancelled" else JobState.FAILED


def publish_problem(record: JobRecord) -> str | None:
    """Why this job cannot be published now (None: it can)."""
    if not CONTENT_ID_RE.fullmatch(record.content_id):
        return "set a content id (letters, digits, '-' or '_') before publishing"
    folder = package_dir(record)
    if folder is None:
        return "there is no finished package to publish: run the job first"
    if not (folder / layout.MASTER).is_file():
        return f"the local package {folder} is gone: retry to encode it again"
    return None


def probe_source(path: Path, ffprobe_setting: str = "") -> MediaInfo:
    """ffprobe ``path`` with the configured (or found) ffprobe, at a lower CPU priority.

    Raises ToolchainError, ProbeError.
    """
    ffprobe, _ = find_binary("ffprobe", ffprobe_setting or None)
    return probe_file(ffprobe, path, background=True)


@dataclass(frozen=True)
class EncodeJob:
    """Everything one run of a job needs, decided by the service before it starts."""

    request: JobRequest
    info: MediaInfo | None
    snapshot: JobSnapshot
    publish: bool
    not_published: str | None = None
    """Why a publish that was wanted cannot happen (the encode still runs; the result says why)."""


def run_encode_job(
    job: EncodeJob, toolchain: Toolchain, callbacks: JobCallbacks, cancel: threading.Event
) -> JobResult:
    """Run the job's stages (and its publish, when wanted). Never raises.

    When publishing is wanted but the destination cannot be built, or the content id cannot name a
    title, the package is still made and the result is "failed" with the reason, so a retry only
    publishes.
    """
    problem = job.not_published
    destination = None
    if job.publish and problem is None:
        try:
            destination = destination_from_settings(job.snapshot.destination)
        except HlsStudioError as exc:
            problem = exc.message
    try:
        result = run_job(
            job.request,
            toolchain=toolchain,
            destination=destination,
            callbacks=callbacks,
            cancel=cancel,
            info=job.info,
            keep_local=job.snapshot.keep_local,
        )
    except Exception as exc:  # run_job does not raise for a job's failure: this is a bug
        log.exception("job for %s crashed", job.request.source)
        message = f"internal error: {type(exc).__name__}: {exc}"
        return JobResult(status="failed", source=str(job.request.source), error=message)
    if problem is not None and result.status == "completed":
        return result.model_copy(
            update={"status": "failed", "error": f"not published: {problem}", "error_detail": None}
        )
    return result


def publish_finished(
    package: Path,
    settings: DestinationSettings,
    content: tuple[ContentType, str],
    *,
    keep_local: bool,
    on_progress: ProgressCallback,
    cancel: threading.Event,
    replace_live: bool = True,
) -> PublishResult:
    """Publish a finished package folder (the publish stage on its own); remove it unless
    ``keep_local``. Raises ConfigError, StorageError, LiveTitleError, CancelledError."""
    return publish_package_dir(
        package,
        destination_from_settings(settings),
        *content,
        options=PublishOptions.from_settings(settings),
        on_progress=on_progress,
        cancel=cancel,
        keep_local=keep_local,
        replace_live=replace_live,
    )
