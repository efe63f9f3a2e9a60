"""Measure variant playlists and write the master playlist HLS Studio publishes.

ffmpeg's own ``master.m3u8`` lacks AVERAGE-BANDWIDTH, FRAME-RATE, VIDEO-RANGE, CLOSED-CAPTIONS and
EXT-X-INDEPENDENT-SEGMENTS and declares a BANDWIDTH estimated from the requested rates.
``finalize_master`` replaces it with one whose bandwidths are measured from the segments on disk
(each variant's picture plus the largest audio rendition of the group it names: sound is demuxed,
``audio_media``) and whose CODECS are read from the first segments of each variant and its sound.
It also writes each variant's I-frame playlist (``core.hls.iframes``) and
lists it with EXT-X-I-FRAME-STREAM-INF, its bandwidths measured from the I-frames' byte ranges.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hlsstudio.core import layout
from hlsstudio.core.errors import ValidationFailed
from hlsstudio.core.hls.audio_media import (
    AudioGroupRates,
    AudioMediaSpec,
    MeasuredAudio,
    audio_codec,
    audio_media_lines,
    group_rates,
)
from hlsstudio.core.hls.iframes import IFrameIndex, index_variant, render_iframe_playlist
from hlsstudio.core.hls.playlists import is_local_uri, read_media_playlist, resolve_uri
from hlsstudio.core.hls.tsinfo import read_segment_info
from hlsstudio.core.models import VariantResult

log = logging.getLogger(__name__)

MASTER_NAME = layout.MASTER
# RFC 8216 section 7: nothing in the STREAM-INF entries or EXT-X-INDEPENDENT-SEGMENTS needs more
# than version 3 (what floating-point EXTINF needs); EXT-X-I-FRAME-STREAM-INF came with the I-frame
# playlists of protocol version 4, so a master that lists them says 4.
MASTER_VERSION = 3
MASTER_VERSION_WITH_IFRAMES = 4
VIDEO_RANGE = "SDR"
"""Every package is SDR: the pipeline tone-maps HDR sources to BT.709."""


@dataclass(frozen=True)
class MasterVariantSpec:
    """What the caller knows about a variant: its name, playlist file (relative), size and frame rate."""

    name: str
    playlist: str
    width: int
    height: int
    frame_rate: float | None = None
    iframe_playlist: str | None = None
    """Its I-frame playlist file, next to ``playlist``; None: ``layout.iframe_playlist_name(name)``."""
    audio_group: str | None = None  # the GROUP-ID of the audio renditions it plays with

    @property
    def iframe_playlist_file(self) -> str:
        """The I-frame playlist file this variant gets (relative to the package folder)."""
        return self.iframe_playlist or layout.iframe_playlist_name(self.name)


@dataclass(frozen=True)
class IFrameVariant:
    """One I-frame playlist as the master lists it (EXT-X-I-FRAME-STREAM-INF).

    ``bandwidth`` is the largest I-frame rate (byte range * 8 / EXTINF), ``average_bandwidth`` all
    I-frame bits over the variant's duration; ``codecs`` names the video only.
    """

    quality: str
    resolution: str
    bandwidth: int
    average_bandwidth: int
    codecs: str
    playlist: str


@dataclass(frozen=True)
class PlaylistMeasure:
    """Sizes and bit rates measured from a media playlist's segments.

    ``peak_bandwidth`` is the largest per-segment rate (bytes * 8 / EXTINF); ``average_bandwidth``
    is all bits over the total duration; both in bits per second, rounded up.
    """

    playlist: Path
    segment_count: int
    duration: float
    total_bytes: int
    peak_bandwidth: int
    average_bandwidth: int
    first_segment: Path


def playlist_name_for(name: str) -> str:
    """The variant playlist file name the pipeline writes for a variant name (``stream_<name>.m3u8``)."""
    return layout.playlist_name(name)


def measure_rates(segments: list[tuple[int, float]]) -> tuple[int, int]:
    """(peak, average) bits per second of (size in bytes, EXTINF seconds) pairs, rounded up.

    Peak is the peak segment bit rate as Apple's HLS Authoring Specification defines it: the largest
    bit rate of any run of consecutive segments lasting 0.5 to 1.5 times the target duration (the
    longest segment, rounded). So a short last segment, which starts with a keyframe and is mostly
    that keyframe, is measured with the segment before it rather than alone. When no run qualifies
    (a playlist shorter than half its target), the whole playlist is the run. Average is all bits
    over the total duration (0 when the total duration is 0).
    """
    timed = [(size, duration) for size, duration in segments if duration > 0]
    total_duration = sum(duration for _, duration in timed)
    total_bits = 8 * sum(size for size, _ in timed)
    average = total_bits / total_duration if total_duration > 0 else 0.0
    return math.ceil(_peak_rate(timed, average)), math.ceil(average)


def _peak_rate(timed: list[tuple[int, float]], average: float) -> float:
    if not timed:
        return 0.0
    target = max(math.floor(duration + 0.5) for _, duration in timed)
    low, high = 0.5 * target, 1.5 * target
    peak = 0.0
    for start in range(len(timed)):
        bits, seconds = 0, 0.0
        for size, duration in timed[start:]:
            bits, seconds = bits + 8 * size, seconds + duration
            if seconds > high + 1e-9:
                break
            if seconds >= low - 1e-9:
                peak = max(peak, bits / seconds)
    return peak if peak > 0 else average


def measure_playlist(path: Path) -> PlaylistMeasure:
    """Measure the segments a media playlist references.

    Returns a PlaylistMeasure. Raises PlaylistError (a ValidationFailed) when the playlist cannot
    be read, and ValidationFailed when it has no segments or a segment is missing or outside the
    playlist's folder.
    """
    playlist = read_media_playlist(path)
    if not playlist.segments:
        raise ValidationFailed(f"{path.name} lists no segments")
    sized: list[tuple[int, float]] = []
    for segment in playlist.segments:
        if not is_local_uri(segment.uri):
            raise ValidationFailed(f"{path.name}: segment URI {segment.uri!r} is outside the package")
        try:
            size = resolve_uri(path, segment.uri).stat().st_size
        except OSError as exc:
            raise ValidationFailed(f"{path.name}: segment {segment.uri} is missing", str(exc)) from exc
        sized.append((size, segment.duration))
    if playlist.duration <= 0:
        raise ValidationFailed(f"{path.name}: the segments have no duration")
    peak, average = measure_rates(sized)
    return PlaylistMeasure(
        playlist=path,
        segment_count=len(sized),
        duration=playlist.duration,
        total_bytes=sum(size for size, _ in sized),
        peak_bandwidth=peak,
        average_bandwidth=average,
        first_segment=resolve_uri(path, playlist.segments[0].uri),
    )


def segment_codecs(segment: Path) -> str:
    """The CODECS attribute value (``avc1.PPCCLL[,mp4a.40.N]``) read from one TS segment.

    Raises SegmentReadError for an unreadable segment and ValidationFailed when it has no H.264
    video or an audio stream whose codec cannot be told.
    """
    info = read_segment_info(segment)
    if info.video_codec is None:
        raise ValidationFailed(f"{segment.name}: no H.264 video with a sequence parameter set found")
    if info.audio_pid is not None and info.audio_codec is None:
        raise ValidationFailed(f"{segment.name}: the audio codec cannot be read from its first frame")
    return info.codecs


def measure_variant(
    package_dir: Path, spec: MasterVariantSpec, audio: AudioGroupRates | None = None
) -> VariantResult:
    """Measure one variant and describe it as it will appear in the master playlist; ``audio`` is
    what the audio group it names adds (rates and codec).

    Raises ValidationFailed (or a subclass) when its playlist or segments are unusable.
    """
    measure = measure_playlist(package_dir / spec.playlist)
    codecs = segment_codecs(measure.first_segment)
    return VariantResult(
        quality=spec.name,
        resolution=f"{spec.width}x{spec.height}",
        bandwidth=measure.peak_bandwidth + (audio.peak if audio else 0),
        average_bandwidth=measure.average_bandwidth + (audio.average if audio else 0),
        codecs=f"{codecs},{audio.codecs}" if audio else codecs,
        frame_rate=spec.frame_rate,
        playlist=spec.playlist,
        audio=spec.audio_group if audio else None,
    )


def measure_audio(package_dir: Path, specs: Sequence[AudioMediaSpec]) -> list[MeasuredAudio]:
    """Measure every audio rendition's playlist. Raises ValidationFailed when one is unusable."""
    measured = []
    for spec in specs:
        measure = measure_playlist(package_dir / spec.playlist)
        codecs = audio_codec(measure.first_segment)
        measured.append(MeasuredAudio(spec, measure.peak_bandwidth, measure.average_bandwidth, codecs))
    return measured


def measure_iframes(index: IFrameIndex, spec: MasterVariantSpec) -> IFrameVariant:
    """Describe a variant's I-frame playlist (``spec.iframe_playlist_file``) as the master lists it.

    Raises ValidationFailed when the variant's first segment has no H.264 sequence parameter set.
    """
    if index.video_codec is None:
        raise ValidationFailed(f"{spec.playlist}: no H.264 video with a sequence parameter set found")
    peak, average = measure_rates(index.sized)
    return IFrameVariant(
        quality=spec.name,
        resolution=f"{spec.width}x{spec.height}",
        bandwidth=peak,
        average_bandwidth=average,
        codecs=index.video_codec,
        playlist=spec.iframe_playlist_file,
    )


def render_master(
    variants: list[VariantResult],
    iframes: Sequence[IFrameVariant] = (),
    *,
    no_captions: bool = True,
    video_range: str = VIDEO_RANGE,
    media: Sequence[str] = (),
    subtitles_group: str = "subs",
    audio_media: Sequence[str] = (),
) -> str:
    """Master playlist text: ``audio_media`` and ``media`` (EXT-X-MEDIA lines of the audio groups and
    of the subtitle group), ``variants`` (EXT-X-STREAM-INF, each naming its audio group and the
    subtitle group when there is one) then ``iframes``, in the order given.

    ``no_captions`` says the variants carry no closed captions (CLOSED-CAPTIONS=NONE on each);
    False leaves the attribute out.
    """
    version = MASTER_VERSION_WITH_IFRAMES if iframes else MASTER_VERSION
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{version}", "#EXT-X-INDEPENDENT-SEGMENTS", *audio_media, *media]
    for variant in variants:
        attributes = [
            f"BANDWIDTH={variant.bandwidth}",
            f"AVERAGE-BANDWIDTH={variant.average_bandwidth}",
            f'CODECS="{variant.codecs}"',
            f"RESOLUTION={variant.resolution}",
        ]
        if variant.frame_rate is not None:
            attributes.append(f"FRAME-RATE={variant.frame_rate:.3f}")
        attributes.append(f"VIDEO-RANGE={video_range}")
        if no_captions:
            attributes.append("CLOSED-CAPTIONS=NONE")
        if variant.audio:
            attributes.append(f'AUDIO="{variant.audio}"')
        if media:
            attributes.append(f'SUBTITLES="{subtitles_group}"')
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attributes))
        lines.append(variant.playlist)
    for iframe in iframes:
        attributes = [
            f"BANDWIDTH={iframe.bandwidth}",
            f"AVERAGE-BANDWIDTH={iframe.average_bandwidth}",
            f'CODECS="{iframe.codecs}"',
            f"RESOLUTION={iframe.resolution}",
            f"VIDEO-RANGE={video_range}",
            f'URI="{iframe.playlist}"',
        ]
        lines.append("#EXT-X-I-FRAME-STREAM-INF:" + ",".join(attributes))
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) so readers see the old or the new file, never a part.

    Raises OSError when the folder is not writable.
    """
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _same_folder(spec: MasterVariantSpec) -> None:
    # the I-frame playlist reuses the variant playlist's segment URIs as they are
    if Path(spec.iframe_playlist_file).parent != Path(spec.playlist).parent:
        raise ValueError(f"{spec.iframe_playlist_file} must sit next to {spec.playlist}")


def finalize_master(
    package_dir: Path,
    variants: list[MasterVariantSpec],
    *,
    master_name: str = MASTER_NAME,
    media: Sequence[str] = (),
    audio: Sequence[AudioMediaSpec] = (),
) -> list[VariantResult]:
    """Measure every variant, write its I-frame playlist, then (re)write ``package_dir/master_name``.

        ``audio`` are the audio renditions (each variant names its group); ``media`` the subtitle lines.

        Variants are listed by measured peak bandwidth, lowest first (height breaks ties), then their
        I-frame playlists in the same way. CLOSED-CAPTIONS=NONE is declared only when no variant's
        video carries A/53 captions. Returns the VariantResults in master order and the measured audio
    renditions. Raises
        ValidationFailed (or a subclass) when a variant cannot be measured or indexed, or no variant is
        given (nothing is written then); ValueError when an I-frame playlist would not sit next to its
        variant playlist; OSError when a playlist cannot be written.
    """
    if not variants:
        raise ValidationFailed("no variants to list in the master playlist")
    audio_measured = measure_audio(package_dir, audio)
    rates = group_rates(audio_measured)
    measured: list[tuple[VariantResult, IFrameVariant, IFrameIndex, int]] = []
    for spec in variants:
        _same_folder(spec)
        result = measure_variant(package_dir, spec, rates.get(spec.audio_group or ""))
        index = index_variant(package_dir / spec.playlist)
        measured.append((result, measure_iframes(index, spec), index, spec.height))
    for _, iframe, index, _ in measured:
        write_atomically(package_dir / iframe.playlist, render_iframe_playlist(index))
    captioned = [result.playlist for result, _, index, _ in measured if index.captions]
    if captioned:
        log.warning("closed captions (A/53) in %s: CLOSED-CAPTIONS=NONE not declared", ", ".join(captioned))
    by_rate = sorted(measured, key=lambda item: (item[0].bandwidth, item[3]))
    results = [result for result, _, _, _ in by_rate]
    iframes = [iframe for _, iframe, _, _ in sorted(measured, key=lambda item: (item[1].bandwidth, item[3]))]
    text = render_master(
        results, iframes, no_captions=not captioned, media=media, audio_media=audio_media_lines(audio)
    )
    write_atomically(package_dir / master_name, text)
    return results
