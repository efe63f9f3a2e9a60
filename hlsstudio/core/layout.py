"""The names of every file in a package, and which files are final while ffmpeg still writes.

One place for them: the command builder tells ffmpeg these names, the validator and the master
writer read them, the publisher streams the files that are final, and the GUI looks for the master.
A package is laid out as the deployment guide names it::

    master.m3u8
    stream_360p.m3u8  stream_360p_000.ts  stream_360p_001.ts …   (picture only)
    audio_a0-128k.m3u8  audio_a0-128k_000.ts …  (one per audio track and audio rate)
    iframes_360p.m3u8   (byte ranges into stream_360p_NNN.ts)
    thumb_000.jpg  thumb_001.jpg …  poster.jpg

"Final" is a promise the command builder keeps: segments are written with the HLS muxer's
``temp_file`` flag and images with ``-atomic_writing 1``, so ffmpeg writes each under a temporary
name and renames it when complete. A file under its final segment or thumbnail name is therefore
complete and will not change; playlists, the master and the poster are final only once the package
is (they are rewritten or written last). I-frame playlists are written at finalize, from the
finished segments, just before the master.
"""

from __future__ import annotations

import re

MASTER = "master.m3u8"
POSTER = "poster.jpg"
VARIANT_TOKEN = "%v"
"""What ffmpeg's HLS muxer replaces with each variant's name (``-var_stream_map`` ``name:``)."""

PLAYLIST_PATTERN = f"stream_{VARIANT_TOKEN}.m3u8"
IFRAME_PLAYLIST_PATTERN = f"iframes_{VARIANT_TOKEN}.m3u8"
SEGMENT_PATTERN = f"stream_{VARIANT_TOKEN}_%03d.ts"
AUDIO_PLAYLIST_PATTERN = f"audio_{VARIANT_TOKEN}.m3u8"
AUDIO_SEGMENT_PATTERN = f"audio_{VARIANT_TOKEN}_%03d.ts"
THUMB_PATTERN = "thumb_%03d.jpg"
HLS_TEMP_FLAG = "temp_file"
"""The ``-hls_flags`` value that makes segment files final under their own name (see above)."""

_FINAL_WHILE_ENCODING = re.compile(r"^((stream|audio)_.+_\d+\.ts|thumb_\d+\.jpg)$")
_PLAYLIST = re.compile(r"^stream_(.+)\.m3u8$")
_IFRAME_PLAYLIST = re.compile(r"^iframes_(.+)\.m3u8$")


def playlist_name(variant: str) -> str:
    """The variant playlist of ``variant`` (a rung name): ``stream_<name>.m3u8``."""
    return PLAYLIST_PATTERN.replace(VARIANT_TOKEN, variant)


def audio_playlist_name(rendition: str) -> str:
    """The media playlist of an audio rendition (``<track>-<kbps>k``): ``audio_<rendition>.m3u8``."""
    return AUDIO_PLAYLIST_PATTERN.replace(VARIANT_TOKEN, rendition)


def audio_segment_name(rendition: str, index: int) -> str:
    """The ``index``-th segment of an audio rendition: ``audio_<rendition>_<NNN>.ts``."""
    return AUDIO_SEGMENT_PATTERN.replace(VARIANT_TOKEN, rendition) % index


def iframe_playlist_name(variant: str) -> str:
    """The I-frame-only playlist of ``variant`` (a rung name): ``iframes_<name>.m3u8``."""
    return IFRAME_PLAYLIST_PATTERN.replace(VARIANT_TOKEN, variant)


def segment_name(variant: str, index: int) -> str:
    """The ``index``-th segment of ``variant``: ``stream_<name>_<NNN>.ts``."""
    return SEGMENT_PATTERN.replace(VARIANT_TOKEN, variant) % index


def thumbnail_name(index: int) -> str:
    """The ``index``-th loose thumbnail: ``thumb_<NNN>.jpg``."""
    return THUMB_PATTERN % index


def variant_of_playlist(name: str) -> str | None:
    """The variant name of a variant playlist file name, or None for any other file."""
    match = _PLAYLIST.match(name)
    return match.group(1) if match else None


def variant_of_iframe_playlist(name: str) -> str | None:
    """The variant name of an I-frame playlist file name, or None for any other file."""
    match = _IFRAME_PLAYLIST.match(name)
    return match.group(1) if match else None


def is_final_while_encoding(name: str) -> bool:
    """True for a file that is complete as soon as it appears under ``name`` (a segment or a
    thumbnail), so it may be uploaded while ffmpeg goes on. Playlists (I-frame ones included, which
    finalize writes), the master and the poster are not."""
    return bool(_FINAL_WHILE_ENCODING.match(name))
