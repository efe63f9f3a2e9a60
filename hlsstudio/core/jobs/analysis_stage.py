"""The per-title analysis stage: before the encode, trial encodes of excerpts of the title, measured,
choose the rungs (``pertitle.analysis``); the plan stage then encodes those rungs with capped CRF.

It runs only when ``EncodeSettings.ladder_mode`` is ``per-title``; the job shows ANALYSING with the
analysis's own progress, and a cancel stops it within a trial. The same file with the same settings
is analysed once: the plan is cached.
"""

from __future__ import annotations

from hlsstudio.core.command import HDR_TRANSFER_IN, picture_chain
from hlsstudio.core.framerate import output_rate
from hlsstudio.core.jobs.context import JobContext
from hlsstudio.core.models import JobState, Progress
from hlsstudio.core.pertitle.analysis import analyse_title
from hlsstudio.core.quality.metric import find_quality_tool
from hlsstudio.core.toolchain import Capabilities


def _picture_chain(ctx: JobContext, caps: Capabilities) -> str:
    """The encode's normalising filters for this source (deinterlace, frame rate, tone-map, 4:2:0)."""
    info = ctx.need_info()
    deinterlace = caps.deinterlacer if info.interlaced else None
    tonemap = HDR_TRANSFER_IN.get(info.color_transfer or "") if info.hdr and caps.can_tonemap else None
    return picture_chain(output_rate(info.fps, info.vfr), deinterlace=deinterlace, tonemap_from=tonemap)


def analyse(ctx: JobContext) -> None:
    """Choose this title's rungs (per-title ladder mode only); the plan goes to ``ctx.per_title``.

    Raises CancelledError on cancel, and an HlsStudioError with one line when the analysis fails.
    """
    request = ctx.request
    if request.settings.ladder_mode != "per-title":
        return
    ctx.state(JobState.ANALYSING)
    info = ctx.need_info()

    def progress(fraction: float) -> None:
        ctx.callbacks.on_progress(Progress(fraction=fraction, out_time=fraction * info.duration))

    ctx.per_title = analyse_title(
        request.source,
        info,
        request.ladder,
        request.settings,
        ctx.toolchain.ffmpeg,
        find_quality_tool(ctx.toolchain.ffmpeg),
        cancel=ctx.cancel,
        on_progress=progress,
        picture_chain=_picture_chain(ctx, ctx.toolchain.capabilities),
    )
    ctx.trace.warnings.extend(ctx.per_title.notes)
