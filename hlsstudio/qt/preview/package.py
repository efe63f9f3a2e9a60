"""What the preview plays: a finished package's rungs, sound and subtitle tracks and storyboard (no Qt).

``load_package`` runs in a worker: it reads the master playlist (the local folder when it is still
there, else the published URL), the storyboard and its sprite sheets, and puts the measured quality
beside each rung. Subtitle cues are read later, when a track is chosen (``cues.load_cues``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from hlsstudio.core import layout
from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.hls.playlists import MasterPlaylist, MediaEntry, VariantEntry, read_master_playlist
from hlsstudio.core.jobs.work import package_dir
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import RungQuality
from hlsstudio.core.quality.words import rung_figure
from hlsstudio.core.storyboard_cues import StoryboardCue, parse_storyboard
from hlsstudio.core.subtitles.languages import language_name
from hlsstudio.qt.preview.location import Location

MAX_SHEET_BYTES = 64 * 1024 * 1024  # all sprite sheets together (a storyboard over that is skipped)
FIT_SLACK = 0.9  # a rung a tenth smaller than the picture area still fits it


@dataclass(frozen=True)
class PreviewRung:
    """One rung (variant) of the master, in master order, with its measured quality when known."""

    name: str
    width: int
    height: int
    bandwidth: int | None
    audio_group: str | None
    quality: RungQuality | None = None

    @property
    def size(self) -> str:
        """``640×360`` (empty when the master does not say)."""
        return f"{self.width}×{self.height}" if self.width and self.height else ""

    def label(self) -> str:
        """``360p · 640×360 · 900 kb/s · VMAF 92``: what the rung picker shows."""
        parts = [self.name, self.size]
        if self.bandwidth:
            parts.append(f"{self.bandwidth / 1000:,.0f} kb/s")
        if self.quality is not None:
            parts.append(quality_words(self.quality))
        return " · ".join(part for part in parts if part)


@dataclass(frozen=True)
class PreviewAudio:
    """One audio rendition of the master (``EXT-X-MEDIA TYPE=AUDIO``), in master order."""

    name: str
    language: str | None
    group: str
    default: bool


@dataclass(frozen=True)
class PreviewSubtitles:
    """One subtitle rendition: its name, language and where its playlist is."""

    name: str
    language: str | None
    playlist: str
    default: bool = False
    forced: bool = False


@dataclass(frozen=True)
class Storyboard:
    """Scrub thumbnails: the storyboard's cues and the bytes of every sprite sheet they name."""

    cues: tuple[StoryboardCue, ...]
    sheets: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class PreviewPackage:
    """Everything the preview window shows about one package."""

    title: str
    location: Location
    rungs: tuple[PreviewRung, ...]
    audio: tuple[PreviewAudio, ...] = ()
    subtitles: tuple[PreviewSubtitles, ...] = ()
    storyboard: Storyboard | None = None
    duration: float | None = None
    source: str | None = None  # the source file, when it is still there
    notes: tuple[str, ...] = ()  # what could not be read (storyboard, source), in words

    def languages(self, group: str | None) -> list[PreviewAudio]:
        """The audio renditions of ``group`` (the sound choices of a rung), in master order."""
        return [a for a in self.audio if a.group == group]

    def audio_index(self, group: str | None, language_at: int) -> int | None:
        """The master-order index of the ``language_at``-th rendition of ``group`` (None: no such)."""
        choices = self.languages(group)
        if not 0 <= language_at < len(choices):
            return None
        return self.audio.index(choices[language_at])


def quality_words(quality: RungQuality) -> str:
    """``VMAF 92`` or ``SSIM 0.987``: a rung's measured quality, short."""
    if quality.metric == "vmaf":
        return f"VMAF {quality.shown:.0f}"
    return f"SSIM {quality.shown:.3f}"


def quality_tip(quality: RungQuality | None) -> str:
    """The rung's measured quality in full (the picker's tooltip), or why there is none."""
    if quality is None:
        return "Quality not measured for this rung"
    return f"Measured quality: {quality.metric.upper()} {rung_figure(quality)}"


def auto_rung(rungs: tuple[PreviewRung, ...], width: int, height: int) -> int:
    """The rung for a picture area of ``width`` x ``height`` pixels: the smallest one with at least as
    many pixels as the picture is shown with there; the largest when none has (-1: no rungs)."""
    order = sorted(range(len(rungs)), key=lambda n: (rungs[n].height, rungs[n].bandwidth or 0))
    for n in order:
        rung = rungs[n]
        if rung.width and rung.height and width and height:
            shown = min(height, width * rung.height / rung.width)
            if rung.height >= shown * FIT_SLACK:
                return n
    return order[-1] if order else -1


def can_preview(record: JobRecord) -> bool:
    """True when a job has something to play: an encoded package, kept here or published (no I/O)."""
    return record.state.is_encoded and (package_dir(record) is not None or bool(record.hls_url))


def locate(record: JobRecord) -> Location:
    """Where to play the job's package from: its folder while the master is there, else its URL.

    Blocks (checks the disk). Raises HlsStudioError when neither is available.
    """
    folder = package_dir(record)
    if folder is not None and (folder / layout.MASTER).is_file():
        return Location.folder(folder)
    if record.hls_url:
        return Location(record.hls_url)
    raise HlsStudioError(
        "This package is no longer on this computer and it was not published",
        f"package folder: {folder}",
    )


def read_master(location: Location) -> MasterPlaylist:
    """The master playlist at ``location`` (a published one is read over HTTP). Raises HlsStudioError."""
    if not location.remote:
        return read_master_playlist(Path(location.master))
    data = location.read(location.master)
    with tempfile.TemporaryDirectory(prefix="hlsstudio-preview-") as scratch:
        copy = Path(scratch) / layout.MASTER
        copy.write_bytes(data)
        return read_master_playlist(copy)


def _rung(variant: VariantEntry, qualities: dict[str, RungQuality]) -> PreviewRung:
    width, height = variant.resolution or (0, 0)
    file_name = PurePosixPath(urlsplit(variant.uri).path).name
    name = layout.variant_of_playlist(file_name) or (f"{height}p" if height else file_name)
    return PreviewRung(name, width, height, variant.bandwidth, variant.audio, qualities.get(name))


def _audio(media: MediaEntry) -> PreviewAudio:
    name = media.name or (language_name(media.language) if media.language else "Sound")
    return PreviewAudio(name, media.language, media.group_id, media.default)


def _subtitles(location: Location, media: MediaEntry) -> PreviewSubtitles:
    name = media.name or language_name(media.language)
    playlist = location.resolve(media.uri or "")
    return PreviewSubtitles(name, media.language, playlist, media.default, media.forced)


def storyboard_address(record: JobRecord, location: Location) -> str | None:
    """Where the job's ``thumbnails.vtt`` is for this location (None: the package has none)."""
    result = record.result
    if result is None or not result.storyboard:
        return None
    if location.remote:
        return result.publish.storyboard_url if result.publish else None
    return location.resolve(PurePosixPath(result.storyboard).name)


def read_storyboard(location: Location, address: str) -> Storyboard:
    """The storyboard at ``address`` and its sprite sheets. Raises HlsStudioError."""
    cues = parse_storyboard(location.read(address).decode("utf-8", errors="replace"))
    sheets: dict[str, bytes] = {}
    total = 0
    for image in dict.fromkeys(cue.image for cue in cues):
        data = location.read(location.resolve(image, address))
        total += len(data)
        if total > MAX_SHEET_BYTES:
            raise HlsStudioError("The scrub thumbnails are too large to preview")
        sheets[image] = data
    return Storyboard(tuple(cues), sheets)


def load_package(record: JobRecord) -> PreviewPackage:
    """Read what the preview of ``record``'s package needs (blocks: run it in a worker).

    Raises HlsStudioError when there is no package to play or its master cannot be read; a missing
    storyboard or source only adds a note.
    """
    location = locate(record)
    master = read_master(location)
    result = record.result
    qualities = {q.rung: q for q in (result.quality.rungs if result and result.quality else [])}
    audio = tuple(_audio(m) for m in master.media if m.type == "AUDIO" and m.uri)
    subtitles = tuple(_subtitles(location, m) for m in master.media if m.type == "SUBTITLES" and m.uri)
    notes: list[str] = []
    storyboard = None
    address = storyboard_address(record, location)
    if address is not None:
        try:
            storyboard = read_storyboard(location, address)
        except HlsStudioError as exc:
            notes.append(f"No scrub thumbnails: {exc.message}")
    source = record.source if Path(record.source).is_file() else None
    if source is None:
        notes.append(f"The source file is no longer at {record.source}")
    return PreviewPackage(
        title=record.content_id or record.name,
        location=location,
        rungs=tuple(_rung(v, qualities) for v in master.variants),
        audio=audio,
        subtitles=subtitles,
        storyboard=storyboard,
        duration=result.duration if result else None,
        source=source,
        notes=tuple(notes),
    )
