"""Job + plan -> the argument list of ONE ffmpeg process that decodes once and encodes every rung.

The filter graph normalises the source once (deinterlace, constant frame rate, HDR tone-mapping,
8-bit 4:2:0), splits it, scales a branch per rung (square pixels, even sizes) plus a branch for
thumbnails. Keyframes are forced by time (``n_forced * segment``), scene-cut keyframes are off and
the GOP cap sits above the segment length, so every rung has an IDR at every segment boundary and
nowhere else. Rotation is applied by ffmpeg's autorotate; sizes come from the display size.
Segments and thumbnails are written under a temporary name and renamed when complete, so a file
under its final name is finished (the live publisher relies on that).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from hlsstudio.core import layout
from hlsstudio.core.framerate import rate_text
from hlsstudio.core.models import MediaInfo, PlannedRung
from hlsstudio.core.storyboard import TileGrid
from hlsstudio.core.subtitles.tracks import SubtitleSource
from hlsstudio.core.tracks.audio import AudioRendition

VideoEncoder = Literal["libx264", "h264_nvenc"]
AUDIO_SAMPLE_RATE = 48_000
AAC_FRAME_SECONDS = 1024 / AUDIO_SAMPLE_RATE
GUESS_LAYOUT_MAX = 8
"""An audio stream with no channel layout and up to this many channels gets the usual layout for its
count (ffmpeg's default, 2, would leave a 6-channel track without one, and the downmix would fail)."""
# x264 preset -> the NVENC preset of similar speed/quality (p1 fastest .. p7 best)
NVENC_PRESETS = {
    "ultrafast": "p1",
    "superfast": "p1",
    "veryfast": "p2",
    "faster": "p3",
    "fast": "p4",
    "medium": "p5",
    "slow": "p6",
    "slower": "p7",
    "veryslow": "p7",
}
HDR_TRANSFER_IN = {"smpte2084": "smpte2084", "arib-std-b67": "arib-std-b67"}


class EncodePlan(BaseModel):
    """Everything the command needs, decided from the probe, the ladder and the settings."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    source: Path
    out_dir: Path
    rungs: list[PlannedRung]
    frame_rate: Fraction
    encoder: VideoEncoder = "libx264"
    preset: str = "fast"
    segment_duration: float = 6.0
    audio: list[AudioRendition] = []  # every carried audio track at every audio rate (demuxed)
    audio_inputs: list[Path] = []  # audio files beside the source: inputs 1, 2 …
    audio_duration: float | None = None  # audio is padded (and files beside it cut) to this (s)
    deinterlace: str | None = None
    tonemap_from: str | None = None
    thumbnail_interval: float | None = 10.0
    thumbnail_width: int = 320
    poster_width: int | None = None  # None: no poster from this process
    poster_at: float = 0.0  # seconds after the first frame
    init_segments: int = 0
    """Fast start: this many first segments together last one ``segment_duration`` (0: none)."""
    storyboard: TileGrid | None = None  # sprite sheets packed from the thumbnails (None: none)
    subtitles: list[SubtitleSource] = []  # written as WebVTT renditions after the encode

    @property
    def first_segment_duration(self) -> float | None:
        """How long each of the first (shorter) segments is, or None without fast start."""
        return self.segment_duration / self.init_segments if self.init_segments > 1 else None


def init_segments(segment_duration: float, first: float | None) -> int:
    """How many short first segments fill one regular segment (0: no fast start).

    The HLS muxer's own grid is then kept (``keyframe_times``): with a window of K = count - 1
    entries it cuts count short segments, one of ``segment_duration - first``, then regular ones.
    Audio-only outputs have no keyframes to follow and cut on that grid, so the video's keyframes
    are put on it too and every rendition's segments line up (2, 2, 2, 4, 6, 6 … for 2 s and 6 s).
    """
    if not first or first >= segment_duration:
        return 0
    count = round(segment_duration / first)
    return count if count > 1 else 0


def keyframe_times(plan: EncodePlan) -> str:
    """The -force_key_frames expression: an IDR at every segment start (the short first ones too)."""
    duration = f"{plan.segment_duration:g}"
    first = plan.first_segment_duration
    if first is None:
        return f"expr:gte(t,n_forced*{duration})"
    k = plan.init_segments
    after = (k - 1) * first
    return f"expr:if(lte(n_forced,{k}),gte(t,n_forced*{first:g}),gte(t,{after:g}+(n_forced-{k})*{duration}))"


def gop_frames(plan: EncodePlan) -> int:
    """GOP cap in frames: one frame past the segment length, so only forced keyframes ever occur."""
    return math.ceil(plan.segment_duration * plan.frame_rate) + 1


def _tonemap_chain(transfer: str) -> str:
    return (
        f"zscale=tin={transfer}:pin=bt2020:min=bt2020nc:t=linear:npl=100,format=gbrpf32le,"
        "zscale=p=bt709,tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv"
    )


def normalise_chain(plan: EncodePlan, *, constant_rate: bool = True) -> str:
    """The filters applied once before the split: deinterlace, fps, tone-map, 8-bit 4:2:0."""
    return picture_chain(
        plan.frame_rate if constant_rate else None,
        deinterlace=plan.deinterlace,
        tonemap_from=plan.tonemap_from,
    )


def picture_chain(
    frame_rate: Fraction | None, *, deinterlace: str | None = None, tonemap_from: str | None = None
) -> str:
    """Deinterlace (with ``deinterlace``), constant ``frame_rate`` (None: as it is), tone-map from
    ``tonemap_from`` (an HDR transfer), then 8-bit 4:2:0: how every encode prepares its picture."""
    steps: list[str] = []
    if deinterlace:
        steps.append(f"{deinterlace}=mode=send_frame:parity=auto:deint=interlaced")
    if frame_rate is not None:
        steps.append(f"fps={rate_text(frame_rate)}")
    if tonemap_from:
        steps.append(_tonemap_chain(tonemap_from))
    steps.append("format=yuv420p")
    return ",".join(steps)


def scale_parents(rungs: list[PlannedRung]) -> list[int | None]:
    """For each rung, the rung its picture is scaled from (an index), or None for the source.

    Each rung is made from the smallest rung larger than it in both dimensions: 480p from 720p,
    360p from 480p. Scaling 720p to 480p costs about a third of scaling 1080p to 480p, and the
    picture differs from a direct scale by less than the encoder's own loss (measured: SSIM against a
    lanczos reference 0.9984 vs 0.9988 at 480p, PSNR 53 vs 54 dB).
    """
    parents: list[int | None] = []
    for rung in rungs:
        larger = [
            (other.width * other.height, j)
            for j, other in enumerate(rungs)
            if other.width > rung.width and other.height > rung.height
        ]
        parents.append(min(larger)[1] if larger else None)
    return parents


def _fan_out(outputs: list[str], split: str = "split") -> str:
    """The end of a chain feeding every one of ``outputs``: its label, or a ``split`` (``asplit``
    for sound) into them."""
    if len(outputs) == 1:
        return f"[{outputs[0]}]"
    return f",{split}={len(outputs)}" + "".join(f"[{o}]" for o in outputs)


def build_filter_graph(
    plan: EncodePlan, *, frames: tuple[int, int | None] | None = None, first_thumbnail: int = 0
) -> str:
    """The -filter_complex text: one decode, the normalising filters once, then a cascade of scales.

    The largest rung (and the thumbnails) come from the normalised source; each smaller rung is
    scaled from the next larger one (``scale_parents``). ``frames`` (first, end or None): only those
    frames of the constant-rate picture, timestamps kept (a farm chunk, decoded with ``-copyts``); its
    thumbnails are then numbered from ``first_thumbnail`` and times count from the title's start.
    """
    parents = scale_parents(plan.rungs)
    children: dict[int | None, list[str]] = {None: []}
    for i, parent in enumerate(parents):
        children.setdefault(parent, []).append(f"s{i}")
    extras = (["s_thumbs"] if plan.thumbnail_interval else []) + (["s_poster"] if plan.poster_width else [])
    from_source = children[None] + extras
    window, start = "", "t-start_t"
    count = f"(selected_n+{first_thumbnail})" if first_thumbnail else "selected_n"
    if frames is not None:
        window, start = f",trim=start_pts={frames[0]}" + (f":end_pts={frames[1]}" if frames[1] else ""), "t"
    parts = [f"[0:v:0]{normalise_chain(plan)}{window}{_fan_out(from_source)}"]
    by_size = sorted(range(len(plan.rungs)), key=lambda i: -plan.rungs[i].width * plan.rungs[i].height)
    for i in by_size:
        rung = plan.rungs[i]
        outputs = [f"v{i}", *children.get(i, [])]
        parts.append(f"[s{i}]scale={rung.width}:{rung.height}:flags=bicubic,setsar=1{_fan_out(outputs)}")
    if plan.thumbnail_interval:
        parts.append(
            # select keeps source timestamps (an fps=1/N branch would run ahead and skew -progress);
            # the N-th thumbnail is the first frame at or after N intervals: no drift at 29.97 fps
            f"[s_thumbs]select='gte({start}\\,{count}*{plan.thumbnail_interval:g})',"
            f"scale={plan.thumbnail_width}:-2:flags=bicubic,setsar=1,format=yuvj420p[thumbs]"
        )
    if plan.poster_width:
        parts.append(
            # exactly one frame passes: the first at or after poster_at (an unselected branch costs nothing)
            f"[s_poster]select='isnan(prev_selected_t)*gte({start}\\,{plan.poster_at:.3f})',"
            f"scale={plan.poster_width}:-2:flags=bicubic,setsar=1,format=yuvj420p[poster]"
        )
    parts += audio_chains(plan)
    return ";".join(parts)


def audio_chains(plan: EncodePlan) -> list[str]:
    """One chain per audio track: resampled, mixed to stereo (5.1 and 7.1 down), padded or cut to the
    video's length (a dub beside the source may differ a little), split into one branch per rate."""
    chains: list[str] = []
    for track in sorted({r.track for r in plan.audio}):
        renditions = [(i, r) for i, r in enumerate(plan.audio) if r.track == track]
        first = renditions[0][1]
        fit = ""
        if plan.audio_duration:
            # two AAC frames short of the video: with the encoder's priming frame and its last, padded
            # one, the sound then ends before the video does, so a video ending on a segment boundary
            # gets no audio sliver past it (43 ms of silence at the very end instead)
            end = max(plan.audio_duration - 2 * AAC_FRAME_SECONDS, AAC_FRAME_SECONDS)
            fit = f",apad=whole_dur={plan.audio_duration:.3f},atrim=end={end:.3f}"
        chains.append(
            f"[{first.input}:a:{first.stream}]aresample={AUDIO_SAMPLE_RATE}:async=1:first_pts=0,"
            f"aformat=sample_fmts=fltp:channel_layouts=stereo{fit}"
            + _fan_out([f"aud{i}" for i, _ in renditions], "asplit")
        )
    return chains


def rung_video_args(plan: EncodePlan, i: int, rung: PlannedRung) -> list[str]:
    """Output stream ``i``'s encoder, rate control, profile and level for ``rung``."""
    # per-title with x264: capped CRF (the chosen quality, never above the rung's maxrate)
    rate = (
        [f"-crf:v:{i}", f"{rung.crf:g}"]
        if rung.crf is not None and plan.encoder == "libx264"
        else [f"-b:v:{i}", f"{rung.video_kbps}k"]
    )
    args = [
        f"-c:v:{i}", plan.encoder,
        *rate,
        f"-maxrate:v:{i}", f"{rung.maxrate_kbps}k",
        f"-bufsize:v:{i}", f"{rung.bufsize_kbps}k",
        f"-profile:v:{i}", rung.profile,
    ]  # fmt: skip
    if plan.encoder == "libx264":
        args += [f"-level:v:{i}", rung.level]
    return args


def encoder_args(plan: EncodePlan) -> list[str]:
    """The encoder options every rung shares: GOP cap, keyframes on the segment grid, preset."""
    gop = str(gop_frames(plan))
    # captions inside the video (A/53) are dropped: the master says CLOSED-CAPTIONS=NONE, and says true
    common = ["-g:v", gop, "-force_key_frames:v", keyframe_times(plan), "-a53cc:v", "0"]
    if plan.encoder == "libx264":
        return [*common, "-preset:v", plan.preset, "-keyint_min:v", gop, "-sc_threshold:v", "0",
                "-x264-params:v", "open-gop=0"]  # fmt: skip
    return [*common, "-preset:v", NVENC_PRESETS.get(plan.preset, "p4"), "-tune:v", "hq",
            "-rc:v", "vbr", "-forced-idr:v", "1", "-no-scenecut:v", "1", "-strict_gop:v", "1"]  # fmt: skip


def audio_output(plan: EncodePlan, index: int, rendition: AudioRendition) -> list[str]:
    """One audio rendition's own HLS output: AAC-LC at its rate, cut on the video's segment grid."""
    out = plan.out_dir
    pattern = layout.AUDIO_SEGMENT_PATTERN.replace(layout.VARIANT_TOKEN, rendition.rendition)
    return [
        "-map", f"[aud{index}]",
        "-c:a", "aac", "-profile:a", "aac_low", "-ar", str(AUDIO_SAMPLE_RATE),
        "-b:a", f"{rendition.kbps}k", "-ac", str(rendition.channels),
        *_hls_options(plan),
        "-hls_segment_filename", str(out / pattern),
        str(out / layout.audio_playlist_name(rendition.rendition)),
    ]  # fmt: skip


def var_stream_map(plan: EncodePlan) -> str:
    """The hls muxer's -var_stream_map: each rung's video named after the rung (sound is demuxed)."""
    return " ".join(f"v:{i},name:{rung.name}" for i, rung in enumerate(plan.rungs))


def _hls_output(plan: EncodePlan) -> list[str]:
    """The HLS output(s): one muxer for every rung (``-var_stream_map``), or with fast start one
    muxer per rung (the muxer keeps its short-first-segment timing in state shared by all its
    variants, and with several variants it was measured to miss cuts: 4 s and 8 s segments)."""
    if plan.first_segment_duration is not None:
        return [arg for i, rung in enumerate(plan.rungs) for arg in _rung_output(plan, i, rung)]
    return _shared_output(plan)


def _hls_options(plan: EncodePlan) -> list[str]:
    return [
        "-map_metadata", "-1", "-map_chapters", "-1", "-max_muxing_queue_size", "4096",
        "-f", "hls",
        "-hls_time", f"{plan.segment_duration:g}",
        *_segment_window(plan),
        "-hls_segment_type", "mpegts",
        "-hls_flags", f"independent_segments+{layout.HLS_TEMP_FLAG}",
    ]  # fmt: skip


def _rung_output(plan: EncodePlan, index: int, rung: PlannedRung) -> list[str]:
    """One rung's own HLS output: its video, its playlist and segments."""
    out = plan.out_dir
    return [
        "-map", f"[v{index}]", *rung_video_args(plan, 0, rung), *encoder_args(plan),
        *_hls_options(plan),
        "-hls_segment_filename", str(out / layout.SEGMENT_PATTERN.replace(layout.VARIANT_TOKEN, rung.name)),
        str(out / layout.playlist_name(rung.name)),
    ]  # fmt: skip


def _shared_output(plan: EncodePlan) -> list[str]:
    maps = [arg for i in range(len(plan.rungs)) for arg in ("-map", f"[v{i}]")]
    encode: list[str] = []
    for i, rung in enumerate(plan.rungs):
        encode += rung_video_args(plan, i, rung)
    out = plan.out_dir
    return [
        *maps, *encode, *encoder_args(plan),
        *_hls_options(plan),
        "-hls_segment_filename", str(out / layout.SEGMENT_PATTERN),
        "-var_stream_map", var_stream_map(plan),
        str(out / layout.PLAYLIST_PATTERN),
    ]  # fmt: skip


def _segment_window(plan: EncodePlan) -> list[str]:
    """A VOD playlist; with fast start a window of the short first segments (the muxer only makes
    them short in a window), completed into a VOD playlist afterwards (``hls.vod_playlists``)."""
    first = plan.first_segment_duration
    if first is None:
        return ["-hls_playlist_type", "vod", "-hls_list_size", "0"]
    return ["-hls_init_time", f"{first:g}", "-hls_list_size", str(plan.init_segments - 1)]


def thumbnail_output(plan: EncodePlan, first: int = 0) -> list[str]:
    """The thumbnails' JPEG output, numbered from ``first`` (none without a thumbnail interval)."""
    if not plan.thumbnail_interval:
        return []
    return ["-map", "[thumbs]", "-fps_mode:v", "passthrough", "-c:v", "mjpeg", "-q:v", "4",
            "-f", "image2", "-atomic_writing", "1", "-start_number", str(first),
            str(plan.out_dir / layout.THUMB_PATTERN)]  # fmt: skip


def poster_output(plan: EncodePlan) -> list[str]:
    """The poster frame's JPEG output (none without a poster width)."""
    if not plan.poster_width:
        return []
    return ["-map", "[poster]", "-frames:v", "1", "-fps_mode:v", "passthrough", "-c:v", "mjpeg", "-q:v", "3",
            "-f", "image2", "-update", "1", "-atomic_writing", "1",
            str(plan.out_dir / layout.POSTER)]  # fmt: skip


def build_hls_command(plan: EncodePlan, ffmpeg: str = "ffmpeg") -> list[str]:
    """The complete ffmpeg argument list for ``plan`` (the runner adds its progress options).

    Pure: equal plans give equal lists. The source (and any audio file beside it), one filter graph,
    the HLS output(s) of the rungs, one HLS output per audio rendition, the thumbnail output and the
    poster frame: the source is decoded once for all of them.
    """
    inputs = [
        arg
        for path in (plan.source, *plan.audio_inputs)
        for arg in ("-guess_layout_max", str(GUESS_LAYOUT_MAX), "-i", str(path))
    ]
    audio = [arg for i, rendition in enumerate(plan.audio) for arg in audio_output(plan, i, rendition)]
    return [
        ffmpeg, "-hide_banner", "-loglevel", "warning", "-y",
        *inputs,
        "-filter_complex", build_filter_graph(plan),
        *_hls_output(plan),
        *audio,
        *thumbnail_output(plan),
        *poster_output(plan),
    ]  # fmt: skip


def poster_time(duration: float) -> float:
    """When the poster frame is taken: at 10% of the duration, at most 30 s in."""
    return min(duration * 0.1, 30.0)


def build_poster_command(
    plan: EncodePlan, info: MediaInfo, out: Path, width: int, ffmpeg: str = "ffmpeg"
) -> list[str]:
    """One frame at ``poster_time`` as a JPEG, by seeking (the app's preview; a job's fallback)."""
    at = poster_time(info.duration)
    vf = normalise_chain(plan, constant_rate=False)
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-ss", f"{at:.3f}", "-i", str(plan.source),
        "-frames:v", "1", "-an", "-sn",
        "-vf", f"{vf},scale={width}:-2:flags=bicubic,setsar=1,format=yuvj420p",
        "-q:v", "3", str(out),
    ]  # fmt: skip
