"""Source facts + ladder + settings + toolchain -> an EncodePlan and the warnings it implies."""

from __future__ import annotations

from pathlib import Path

from hlsstudio.core.command import HDR_TRANSFER_IN, EncodePlan, VideoEncoder, init_segments, poster_time
from hlsstudio.core.framerate import output_rate
from hlsstudio.core.ladder import plan_ladder_noted
from hlsstudio.core.models import EncodeSettings, Ladder, MediaInfo
from hlsstudio.core.pertitle.models import PerTitlePlan
from hlsstudio.core.pertitle.planned import to_planned_rungs
from hlsstudio.core.storyboard import tile_grid
from hlsstudio.core.subtitles.tracks import plan_subtitles
from hlsstudio.core.toolchain import Capabilities
from hlsstudio.core.tracks.audio import plan_audio
from hlsstudio.core.tracks.choices import JobTracks
from hlsstudio.core.tracks.discover import discover_tracks


def choose_encoder(choice: str, caps: Capabilities) -> tuple[VideoEncoder, list[str]]:
    """Resolve auto/libx264/nvenc against what this machine can do; (encoder, warnings).

    ``auto`` takes NVENC only when the toolchain's trial encode succeeded; an explicit ``nvenc``
    that cannot work falls back to libx264 with a warning instead of failing the job.
    """
    if choice == "libx264":
        return "libx264", []
    if caps.nvenc_usable:
        return "h264_nvenc", []
    if choice == "nvenc":
        return "libx264", [f"NVENC requested but not usable ({caps.nvenc_reason}): encoded with libx264"]
    return "libx264", []


def build_plan(
    info: MediaInfo,
    ladder: Ladder,
    settings: EncodeSettings,
    caps: Capabilities,
    *,
    out_dir: Path,
    encoder: VideoEncoder,
    tracks: JobTracks | None = None,
    per_title: PerTitlePlan | None = None,
) -> tuple[EncodePlan, list[str]]:
    """Decide everything the ffmpeg command needs for this source; returns (plan, warnings).

    ``tracks`` are the audio and subtitle tracks to carry (None: what ``discover_tracks`` finds);
    ``per_title`` the rungs a per-title analysis chose (capped CRF), instead of the ladder's.

    Warnings name what cannot be done as wished with this FFmpeg build (no tone-mapping filters,
    no deinterlacer). Raises LadderError when the ladder has no enabled rung.
    """
    warnings: list[str] = []
    rate = output_rate(info.fps, info.vfr)
    tonemap_from = None
    if info.hdr:
        if caps.can_tonemap:
            tonemap_from = HDR_TRANSFER_IN.get(info.color_transfer or "")
        else:
            warnings.append("HDR source but this FFmpeg lacks zscale/tonemap: colours will look washed out")
    deinterlace = None
    if info.interlaced:
        deinterlace = caps.deinterlacer
        if deinterlace is None:
            warnings.append("interlaced source but this FFmpeg has no deinterlacer: combing will show")
    rungs, notes = plan_ladder_noted(info, ladder, float(rate))
    if per_title is not None and per_title.rungs:
        chosen, crfs = to_planned_rungs(per_title, float(rate))
        rungs, notes = [r.model_copy(update={"crf": crfs[r.name]}) for r in chosen], []
    tracks = tracks if tracks is not None else discover_tracks(info, settings)
    audio, audio_inputs = plan_audio(tracks.carried_audio(), rungs)
    subtitles, subtitle_notes = plan_subtitles(info, tracks.subtitles)
    warnings += notes + subtitle_notes
    top = max(rungs, key=lambda r: r.width * r.height)
    plan = EncodePlan(
        source=Path(info.path),
        out_dir=out_dir,
        rungs=rungs,
        frame_rate=rate,
        encoder=encoder,
        preset=settings.preset,
        segment_duration=settings.segment_duration,
        audio=audio,
        audio_inputs=audio_inputs,
        audio_duration=info.duration if audio else None,
        deinterlace=deinterlace,
        tonemap_from=tonemap_from,
        thumbnail_interval=settings.thumbnail_interval,
        thumbnail_width=min(settings.thumbnail_width, info.width - info.width % 2),
        poster_width=min(settings.poster_width, max(r.width for r in rungs)),
        poster_at=poster_time(info.duration),
        init_segments=init_segments(settings.segment_duration, settings.first_segment_duration),
        storyboard=tile_grid(top.width, top.height) if settings.storyboard else None,
        subtitles=subtitles,
    )
    return plan, warnings
