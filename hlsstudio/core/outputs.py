"""The last touches an encode's outputs need before the master is measured.

With fast start, ffmpeg's variant playlists are windows of the short first segments: they are
completed into VOD playlists (``hls.vod_playlists``). With a storyboard, the loose thumbnails are
packed into sprite sheets and indexed by a WebVTT storyboard (``storyboard``).
"""

from __future__ import annotations

import re

from hlsstudio.core import layout
from hlsstudio.core.command import EncodePlan
from hlsstudio.core.hls.vod_playlists import complete_playlist
from hlsstudio.core.proc import TimedOut, run_bounded
from hlsstudio.core.storyboard import build_sprite_command, write_storyboard

SPRITE_TIMEOUT = 300.0


def _segments_of(plan: EncodePlan, first: str) -> list[str]:
    """The segment files of a playlist whose first segment is ``first``, in index order."""
    prefix, suffix = first[: first.rindex("_") + 1], first[first.rindex(".") :]
    pattern = re.compile(re.escape(prefix) + r"(\d+)" + re.escape(suffix))
    found = [(int(m.group(1)), p.name) for p in plan.out_dir.iterdir() if (m := pattern.fullmatch(p.name))]
    return [name for _, name in sorted(found)]


def complete_playlists(plan: EncodePlan) -> None:
    """Complete the variant and audio playlists of a fast-start encode (nothing to do without fast start).

    Raises ValidationFailed for a playlist that does not match its segment files.
    """
    if plan.first_segment_duration is None:
        return
    for rung in plan.rungs:
        playlist = plan.out_dir / layout.playlist_name(rung.name)
        complete_playlist(playlist, _segments_of(plan, layout.segment_name(rung.name, 0)))
    for audio in plan.audio:
        playlist = plan.out_dir / layout.audio_playlist_name(audio.rendition)
        complete_playlist(playlist, _segments_of(plan, layout.audio_segment_name(audio.rendition, 0)))


def make_storyboard(plan: EncodePlan, duration: float, ffmpeg: str) -> tuple[str | None, str | None]:
    """Pack the thumbnails into sprite sheets and write the storyboard.

    Returns (the storyboard's file name or None, why there is none when one was wanted or None):
    a missing storyboard is a warning, never a failed job.
    """
    if plan.storyboard is None or not plan.thumbnail_interval:
        return None, None
    if not (plan.out_dir / layout.thumbnail_name(0)).is_file():
        return None, "no storyboard: the encode made no thumbnails"
    try:
        done = run_bounded(build_sprite_command(plan.out_dir, plan.storyboard, ffmpeg), SPRITE_TIMEOUT)
    except (OSError, TimedOut) as exc:
        return None, f"no storyboard: {exc}"
    if done.returncode != 0:
        return None, "no storyboard: ffmpeg could not pack the thumbnails"
    written = write_storyboard(plan.out_dir, plan.storyboard, plan.thumbnail_interval, duration)
    return (written.name, None) if written is not None else (None, "no storyboard: no sheet was made")
