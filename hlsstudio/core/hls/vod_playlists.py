"""Complete VOD variant playlists when the first segments are shorter (fast start).

FFmpeg's HLS muxer makes the first segments ``-hls_init_time`` long only while its playlist is a
sliding window (``-hls_list_size K``: the first K segments are short, later ones ``-hls_time``); with
a VOD playlist it makes every segment short. So a fast-start encode runs with a window of K entries
and keeps every segment file, and ``complete_playlist`` then writes the whole VOD playlist: the
durations ffmpeg wrote for the segments still in its window, and for the earlier ones the distance
between consecutive segments' first video timestamps (audio timestamps for audio-only segments),
read from the TS files themselves.
"""

from __future__ import annotations

import math
from pathlib import Path

from hlsstudio.core.errors import ValidationFailed
from hlsstudio.core.hls.master import write_atomically
from hlsstudio.core.hls.playlists import read_media_playlist
from hlsstudio.core.hls.tsinfo import pts_difference, read_segment_info


def _first_pts(path: Path) -> float:
    """The segment's first video timestamp; for an audio-only segment, its first audio timestamp."""
    info = read_segment_info(path, audio=True)
    pts = info.video_pts if info.video_pid is not None else info.audio_pts
    if pts is None:
        raise ValidationFailed(f"{path.name}: no timestamp to measure its duration")
    return pts


def render_vod_playlist(entries: list[tuple[float, str]]) -> str:
    """A complete VOD media playlist for (duration, uri) entries, in order."""
    target = max([1, *(math.floor(duration + 0.5) for duration, _ in entries)])
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for duration, uri in entries:
        lines += [f"#EXTINF:{duration:.6f},", uri]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def complete_playlist(playlist: Path, segments: list[str]) -> None:
    """Rewrite ``playlist`` (ffmpeg's window) as the VOD playlist of every one of ``segments``.

    ``segments`` are the variant's segment file names in order (index 0 first). Raises
    ValidationFailed when the window does not end the segment list or a timestamp is missing.
    """
    written = read_media_playlist(playlist)
    sequence, window = written.media_sequence, [(seg.duration, seg.uri) for seg in written.segments]
    if not window or [uri for _, uri in window] != segments[sequence : sequence + len(window)]:
        raise ValidationFailed(f"{playlist.name}: its segments do not match the files written")
    if sequence + len(window) != len(segments):
        raise ValidationFailed(f"{playlist.name}: segments after the playlist's last entry")
    folder = playlist.parent
    starts = [_first_pts(folder / name) for name in segments[: sequence + 1]]
    earlier = [(pts_difference(starts[i + 1], starts[i]), segments[i]) for i in range(sequence)]
    write_atomically(playlist, render_vod_playlist(earlier + window))
