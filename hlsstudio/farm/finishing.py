"""The desktop's side of a title a worker finishes and publishes (``farm.finish``): asking for it,
showing its steps, and taking the worker's result as the job's own.

A job asks for it when it publishes to the farm's own bucket (its publisher's destination is the
farm's store): the package then never travels through the desktop, and the title is published even
when the desktop was closed meanwhile. The desktop stores the job's subtitle tracks for the worker
(an embedded track is extracted here, where the source file is; the worker reads only picture and
sound, through the bucket). While the worker checks and publishes, the job shows Validating and
Publishing with the upload's progress, as a local job does. At the end the desktop reads the result;
it downloads the package into the job's folder when it keeps a local copy, or when the title was not
published (so a retry publishes it from here), and no stage after the encode runs here
(``JobContext.finished_remotely``).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hlsstudio.core.errors import TranscodeError
from hlsstudio.core.install import install_package
from hlsstudio.core.jobs.context import JobContext
from hlsstudio.core.models import JobResult, JobState
from hlsstudio.core.storage.base import Destination
from hlsstudio.core.subtitles.embedded import extract_embedded
from hlsstudio.core.subtitles.reading import SubtitleError
from hlsstudio.core.subtitles.tracks import EXTRACT_TIMEOUT, SubtitleSource
from hlsstudio.core.uploads import UploadProgress, UploadState
from hlsstudio.farm import store as farm_files
from hlsstudio.farm.progress import FarmStatus
from hlsstudio.farm.spec import FinishSpec

STEPS = {JobState.VALIDATING.value: JobState.VALIDATING, JobState.PUBLISHING.value: JobState.PUBLISHING}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def finish_spec(ctx: JobContext, store: Destination, job: str) -> FinishSpec | None:
    """What a worker needs to finish and publish the job's title, when the job publishes to the farm's
    store ``store``; None when the desktop finishes it (no publish, or another destination). Stores
    the subtitle tracks under farm job ``job``. Raises StorageError, CancelledError."""
    publisher, request = ctx.publisher, ctx.request
    if publisher is None or request.content_type is None or not request.content_id:
        return None
    if publisher.destination.description != store.description:
        return None
    plan = ctx.need_plan()
    return FinishSpec(
        job=request.job,
        content_type=request.content_type,
        content_id=request.content_id,
        replace_live=request.replace_live,
        store=store.description,
        public_base=str(getattr(publisher.destination, "public_base", "")),
        ladder=request.ladder,
        settings=request.settings,
        info=ctx.need_info(),
        subtitles=store_subtitles(ctx, store, job),
        storyboard=plan.storyboard,
        keep_package=ctx.keep_local,
    )


def store_subtitles(ctx: JobContext, store: Destination, job: str) -> list[SubtitleSource]:
    """Every subtitle track of the plan as a stored file (its ``path`` the key). A track that cannot
    be read here is left out with one line in the job's warnings, as a local job does."""
    stored: list[SubtitleSource] = []
    with tempfile.TemporaryDirectory(prefix="hlsstudio-farm-subtitles-") as tmp:
        for item in ctx.need_plan().subtitles:
            try:
                path = _as_file(ctx, item, Path(tmp))
            except SubtitleError as exc:
                ctx.trace.warnings.append(f"{item.describe()} left out: {exc.message}")
                continue
            key = f"{farm_files.subtitles_prefix(job)}{item.track}/{path.name}"
            farm_files.upload(store, path, key, ctx.cancel)
            update = {"kind": "side", "path": Path(key), "index": None, "shift": 0.0}
            stored.append(item.model_copy(update=update))
    return stored


def _as_file(ctx: JobContext, item: SubtitleSource, folder: Path) -> Path:
    """The track as a file: a side file as it is, an embedded track extracted (and moved) to SubRip."""
    if item.kind == "side" and item.path is not None:
        if not item.path.is_file():
            raise SubtitleError(f"{item.path.name} cannot be read: the file is gone")
        return item.path
    subs = extract_embedded(ctx.toolchain.ffmpeg, ctx.need_plan().source, item.index or 0, EXTRACT_TIMEOUT)
    if item.shift:
        subs.shift(ms=round(item.shift * 1000))
    path = folder / f"{_UNSAFE.sub('-', item.describe()).strip('-') or item.track}.srt"
    subs.save(str(path), format_="srt")
    return path


def relay_steps(ctx: JobContext, status: FarmStatus, relayed: list[str]) -> None:
    """Show the worker's finish as the job's own: Validating, then Publishing with its upload. Steps
    the worker went through between two reads are shown too, in order (``relayed``: those shown)."""
    finish = status.finish
    if finish is None:
        return
    for step in finish.steps.split(","):
        if step in STEPS and step not in relayed:
            relayed.append(step)
            ctx.state(STEPS[step])
    publishing = finish.state == "running" and finish.step == JobState.PUBLISHING.value
    if finish.files and (publishing or finish.state == "done"):  # the last figures too
        sent, total = int(finish.sent), int(finish.total)
        report = UploadProgress(
            file="", bytes_sent=sent, size=total, state=UploadState.UPLOADING,
            overall_bytes_sent=sent, overall_bytes=total,
            files_done=finish.files_done, files_total=finish.files,
        )  # fmt: skip
        ctx.callbacks.on_upload(report)


def take_result(ctx: JobContext, store: Destination, key: str) -> None:
    """The worker's result as the job's: the package downloaded and installed when the job keeps a
    local copy or the title was not published. Raises TranscodeError, StorageError, CancelledError."""
    document = farm_files.get_json(store, key)
    if document is None:
        raise TranscodeError(f"the farm finished this title, but its result is missing ({key})")
    result = JobResult.model_validate(document["result"])
    request, output_dir = ctx.request, None
    if ctx.keep_local or result.status != "completed":
        work = ctx.need_plan().out_dir
        farm_files.download_files(store, document["files"], work, ctx.cancel)
        install_package(work, request.out_dir, [request.source])
        output_dir = str(request.out_dir)
    warnings = list(dict.fromkeys([*ctx.trace.warnings, *result.warnings]))
    update = {
        "source": str(request.source),
        "output_dir": output_dir,
        "warnings": warnings,
        "command": ctx.trace.command,
        "per_title": ctx.per_title,
    }
    ctx.result = result.model_copy(update=update)
    ctx.finished_remotely = True
