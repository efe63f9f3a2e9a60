"""Checks on a job's audio before it is encoded: dubs beside the source must fit the video, and a
silent track is named rather than published unremarked.

A dub file (``film.sw.m4a``) is probed: one that cannot be read, has no sound or differs from the
video's length by more than 5 % is left out with one line; more than a second apart is a warning
(the encode pads or cuts it to the video's length). Silence is measured with ffmpeg's volumedetect on
the first ten minutes of each carried track.
"""

from __future__ import annotations

import re
from pathlib import Path

from hlsstudio.core.errors import ProbeError
from hlsstudio.core.models import EncodeSettings, MediaInfo
from hlsstudio.core.probe import probe_audio_file
from hlsstudio.core.proc import TimedOut, run_bounded
from hlsstudio.core.tracks.choices import JobTracks, TrackChoice
from hlsstudio.core.tracks.discover import audio_note, complete_tracks

WARN_GAP_SECONDS = 1.0
FAIL_GAP_SHARE = 0.05
SILENCE_SAMPLE_SECONDS = 600.0
SILENT_BELOW_DB = -90.0
SILENCE_TIMEOUT = 120.0
_MAX_VOLUME = re.compile(r"max_volume:\s*(-?inf|-?[\d.]+)\s*dB")


def _clock(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _check_file(track: TrackChoice, ffprobe: str, video_duration: float) -> tuple[TrackChoice, str | None]:
    """The track with its probed facts, or left out; and the line to report (None: nothing)."""
    name = track.describe()
    try:
        stream, duration = probe_audio_file(ffprobe, Path(track.path or ""))
    except ProbeError as exc:
        reason = f"{name} left out: {exc.message}"
        return track.model_copy(update={"include": False, "note": exc.message}), reason
    facts = {"codec": stream.codec, "channels": stream.channels, "note": audio_note(stream)}
    gap = abs(duration - video_duration)
    lengths = f"{name} lasts {_clock(duration)}, the video {_clock(video_duration)}"
    if video_duration > 0 and gap > FAIL_GAP_SHARE * video_duration:
        reason = f"{lengths} (more than 5 % apart)"
        return track.model_copy(update={**facts, "include": False, "note": reason}), f"{reason}: left out"
    checked = track.model_copy(update=facts)
    if gap > WARN_GAP_SECONDS:
        fix = "padded with silence" if duration < video_duration else "cut"
        return checked, f"{lengths}: its end is {fix} to fit"
    return checked, None


def check_audio_files(tracks: JobTracks, ffprobe: str, video_duration: float) -> tuple[JobTracks, list[str]]:
    """``tracks`` with every carried audio file probed (channels, codec) and those that cannot be used
    left out; the lines to add to the job's warnings."""
    warnings: list[str] = []
    checked: list[TrackChoice] = []
    for track in tracks.audio:
        kept, line = (
            _check_file(track, ffprobe, video_duration) if track.carried and track.path else (track, None)
        )
        if line:
            warnings.append(line)
        checked.append(kept)
    return tracks.model_copy(update={"audio": checked}), warnings


def silence_command(
    ffmpeg: str, path: Path, stream: int, seconds: float = SILENCE_SAMPLE_SECONDS
) -> list[str]:
    """ffmpeg measuring the loudest sample of audio stream ``stream`` of ``path`` in its first ``seconds``."""
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-vn", "-sn", "-dn", "-t", f"{seconds:g}", "-i", str(path),
        "-map", f"0:a:{stream}", "-af", "volumedetect", "-f", "null", "-",
    ]  # fmt: skip


def is_silent(ffmpeg: str, path: Path, stream: int) -> bool | None:
    """True when the track's first minutes have no sound above -90 dB; None when it cannot be told."""
    try:
        done = run_bounded(silence_command(ffmpeg, path, stream), SILENCE_TIMEOUT, background=True)
    except (OSError, TimedOut):
        return None
    match = _MAX_VOLUME.search(done.stderr.decode("utf-8", "replace"))
    if done.returncode != 0 or match is None:
        return None
    value = match.group(1)
    return value.endswith("inf") or float(value) <= SILENT_BELOW_DB


def silent_tracks(tracks: JobTracks, ffmpeg: str, source: Path) -> list[str]:
    """One warning for each carried audio track that is silent in its first ten minutes."""
    warnings: list[str] = []
    for track in tracks.carried_audio():
        path, stream = (Path(track.path), 0) if track.path else (source, track.index or 0)
        if is_silent(ffmpeg, path, stream):
            warnings.append(f"{track.describe()} is silent (no sound in its first ten minutes)")
    return warnings


def prepare_tracks(
    tracks: JobTracks | None, info: MediaInfo, settings: EncodeSettings, ffprobe: str, ffmpeg: str
) -> tuple[JobTracks, list[str]]:
    """The tracks a job encodes: its list completed with the source's own tracks (``complete_tracks``),
    its audio files checked, and its silent tracks named; with the lines for the job's warnings."""
    complete = complete_tracks(tracks, info, settings)
    checked, warnings = check_audio_files(complete, ffprobe, info.duration)
    # a layout the sound is mixed down from by guesswork is said, not hidden in the Tracks tab
    guessed = [t for t in checked.carried_audio() if "unknown" in t.note or "no known layout" in t.note]
    warnings += [f"{t.describe()}: {t.note}" for t in guessed]
    return checked, warnings + silent_tracks(checked, ffmpeg, Path(info.path))
