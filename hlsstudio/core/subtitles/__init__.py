"""Subtitles for HLS packages: found beside a source or inside it, read, and written as WebVTT.

* ``sidefiles``: subtitle files named after a source (``film.fr.srt``), with language and flags.
* ``reading``: any common format and encoding into cues (pysubs2), refusing what is not subtitles.
* ``embedded``: a source's text subtitle tracks, extracted with ffmpeg.
* ``timeline``: the segments and first timestamp of a finished video variant.
* ``webvtt``: segmented WebVTT aligned with the video, and its media playlist.
* ``renditions``: the master playlist's ``#EXT-X-MEDIA:TYPE=SUBTITLES`` lines.

Every failure is a ``SubtitleError`` whose message names the file or track.
"""

from __future__ import annotations

from hlsstudio.core.subtitles.embedded import (
    IMAGE_SUBTITLES_MESSAGE,
    extract_embedded,
    is_text_codec,
)
from hlsstudio.core.subtitles.languages import TrackLabel, language_name, normalize_language
from hlsstudio.core.subtitles.reading import SubtitleError, cue_text, read_subtitle_file
from hlsstudio.core.subtitles.renditions import GROUP_ID, SubtitleRendition, media_line, media_lines
from hlsstudio.core.subtitles.sidefiles import SideSubtitle, find_side_subtitles
from hlsstudio.core.subtitles.timeline import VideoTimeline, read_video_timeline
from hlsstudio.core.subtitles.webvtt import WebVttTrack, write_webvtt_track

__all__ = [
    "GROUP_ID",
    "IMAGE_SUBTITLES_MESSAGE",
    "SideSubtitle",
    "SubtitleError",
    "SubtitleRendition",
    "TrackLabel",
    "VideoTimeline",
    "WebVttTrack",
    "cue_text",
    "extract_embedded",
    "find_side_subtitles",
    "is_text_codec",
    "language_name",
    "media_line",
    "media_lines",
    "normalize_language",
    "read_subtitle_file",
    "read_video_timeline",
    "write_webvtt_track",
]
