"""Join the chunks of a title into its variant playlists, without re-encoding anything (pure).

Every chunk names its segments with their place in the title (``stream_<rung>_<N>.ts``, N counted
from the chunk's first segment) and reports, per rung, the segments it wrote and the first video
timestamp of each. The stitch checks that the chunks fit together exactly: each rung has every
segment number once, and every segment starts where the title's timeline says its first frame is
(the first chunk's start plus the frames before it, in 90 kHz ticks); a gap, an overlap or a moved
timeline fails the job with the place it happened. It then writes each rung's VOD playlist (each
segment as long as its frames) and the manifest: every file of the package and the key it is under.
The sound was encoded once for the whole title and is listed as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from hlsstudio.core import layout
from hlsstudio.core.errors import TranscodeError
from hlsstudio.core.hls.vod_playlists import render_vod_playlist
from hlsstudio.farm.spec import FarmJob

PTS_CLOCK = 90_000
TICK_TOLERANCE = 1  # the muxer rounds each timestamp on its own


class StitchError(TranscodeError):
    """The chunks do not join into one title (a segment missing, twice, or out of place)."""


@dataclass
class Stitched:
    """The joined title: playlist texts by file name, and every package file's key."""

    playlists: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


def ticks(frame: int, rate: Fraction) -> int:
    """Frame ``frame``'s time in 90 kHz ticks, rounded as ffmpeg rescales (halves away from zero)."""
    exact = Fraction(frame) / rate * PTS_CLOCK
    return int(exact + Fraction(1, 2)) if exact >= 0 else -int(-exact + Fraction(1, 2))


def _segment_frames(spec: FarmJob, index: int, report: dict[str, Any]) -> list[tuple[int, int]]:
    """(first frame, frame count) of each segment chunk ``index`` wrote."""
    chunk = spec.chunks[index]
    made = int(report.get("frames") or 0)
    if chunk.end_frame is not None and made and made != chunk.end_frame - chunk.starts[0]:
        planned = chunk.end_frame - chunk.starts[0]
        raise StitchError(f"chunk {index + 1} encoded {made} frames where {planned} were planned")
    end = chunk.end_frame if chunk.end_frame is not None else chunk.starts[0] + made
    starts = [s for s in spec.cut_points(index) if s < end]
    return [(s, (starts[i + 1] if i + 1 < len(starts) else end) - s) for i, s in enumerate(starts)]


def _rung_entries(
    spec: FarmJob, rung: str, reports: list[dict[str, Any]], base: int
) -> list[tuple[float, str, str]]:
    """(duration, segment name, key) of every segment of ``rung``, checked against the timeline."""
    rate, entries = spec.rate, []
    for index, report in enumerate(reports):
        written = report["rungs"].get(rung)
        if written is None:
            raise StitchError(f"chunk {index + 1} has no {rung} segments")
        frames = _segment_frames(spec, index, report)
        names, starts = written["segments"], written["pts"]
        if len(names) != len(frames):
            raise StitchError(
                f"chunk {index + 1} made {len(names)} {rung} segments where {len(frames)} were planned",
                f"{report['prefix']}: {', '.join(names)}",
            )
        first = spec.chunks[index].first_segment
        for offset, (name, pts, (frame, count)) in enumerate(zip(names, starts, frames, strict=True)):
            expected_name = layout.segment_name(rung, first + offset)
            if name != expected_name:
                raise StitchError(f"chunk {index + 1} wrote {name} where {expected_name} belongs")
            expected = base + ticks(frame, rate)
            if abs(round(pts * PTS_CLOCK) - expected) > TICK_TOLERANCE:
                raise StitchError(
                    f"{name} starts at {pts:.6f} s, {expected / PTS_CLOCK:.6f} s expected: "
                    f"chunk {index + 1} is out of place on the title's timeline"
                )
            entries.append((float(Fraction(count) / rate), name, report["prefix"] + name))
    return entries


def join(spec: FarmJob, reports: list[dict[str, Any]], audio: dict[str, Any] | None, prefix: str) -> Stitched:
    """The stitched title from every chunk's report (in order) and the sound's; playlists are to be
    stored under ``prefix``. Raises StitchError when the chunks do not join exactly."""
    if len(reports) != len(spec.chunks):
        raise StitchError(f"{len(reports)} of {len(spec.chunks)} chunks are finished")
    stitched = Stitched()
    plan = spec.plan_for(Path("."), "")  # read, never written
    for rung in plan.rungs:
        first = reports[0]["rungs"].get(rung.name)
        if not first or not first["pts"]:
            raise StitchError(f"the first chunk has no {rung.name} segments")
        base = round(first["pts"][0] * PTS_CLOCK) - ticks(spec.chunks[0].starts[0], spec.rate)
        entries = _rung_entries(spec, rung.name, reports, base)
        playlist = layout.playlist_name(rung.name)
        stitched.playlists[playlist] = render_vod_playlist([(d, name) for d, name, _ in entries])
        stitched.files[playlist] = prefix + playlist
        stitched.files.update({name: key for _, name, key in entries})
    for report in reports:
        segments = {name for written in report["rungs"].values() for name in written["segments"]}
        stitched.files.update({n: report["prefix"] + n for n in report["files"] if n not in segments})
    if audio is not None:
        stitched.files.update({n: audio["prefix"] + n for n in audio["files"]})
    elif plan.audio:
        raise StitchError("the sound was not encoded")
    return stitched
