"""The package layout: one place for every file name, and the "final while encoding" rule that the
command builder's flags make true."""

from __future__ import annotations

from pathlib import Path

from hlsstudio.core import layout
from hlsstudio.core.command import build_hls_command
from hlsstudio.core.hls.master import MASTER_NAME, playlist_name_for
from hlsstudio.core.storage.base import MASTER_NAME as STORED_MASTER
from tests.core.test_command import media, plan_for


def test_names() -> None:
    assert layout.playlist_name("360p") == "stream_360p.m3u8"
    assert layout.segment_name("360p", 7) == "stream_360p_007.ts"
    assert layout.thumbnail_name(12) == "thumb_012.jpg"
    assert layout.variant_of_playlist("stream_1080p.m3u8") == "1080p"
    assert layout.variant_of_playlist("master.m3u8") is None
    assert MASTER_NAME == STORED_MASTER == layout.MASTER == "master.m3u8"
    assert playlist_name_for("720p") == layout.playlist_name("720p")


def test_final_while_encoding_is_segments_and_thumbnails_only() -> None:
    final = [layout.segment_name("360p", 0), layout.segment_name("1080p", 123), layout.thumbnail_name(4)]
    not_final = [
        layout.MASTER,
        layout.POSTER,
        layout.playlist_name("360p"),
        "stream_360p_000.ts.tmp",
        ".hlsstudio-folder.json",
        "thumb_x.jpg",
    ]
    assert all(layout.is_final_while_encoding(n) for n in final)
    assert not any(layout.is_final_while_encoding(n) for n in not_final)


def test_the_command_writes_the_layouts_names_atomically() -> None:
    plan, _ = plan_for(media(), thumbnail_interval=10.0)
    cmd = build_hls_command(plan)
    out = Path("/out/work")
    names = [rung.name for rung in plan.rungs]  # with fast start, one HLS output per rung
    segments = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-hls_segment_filename"]
    sound = [r.rendition for r in plan.audio]  # one HLS output per audio rendition too
    assert segments == [str(out / layout.SEGMENT_PATTERN.replace(layout.VARIANT_TOKEN, n)) for n in names] + [
        str(out / layout.AUDIO_SEGMENT_PATTERN.replace(layout.VARIANT_TOKEN, r)) for r in sound
    ]
    assert all(str(out / layout.playlist_name(n)) in cmd for n in names)
    assert all(str(out / layout.audio_playlist_name(r)) in cmd for r in sound)
    assert all(layout.is_final_while_encoding(layout.audio_segment_name(r, 7)) for r in sound)
    shared = build_hls_command(plan_for(media(), thumbnail_interval=10.0, first_segment_duration=None)[0])
    assert str(out / layout.SEGMENT_PATTERN) == shared[shared.index("-hls_segment_filename") + 1]
    assert str(out / layout.PLAYLIST_PATTERN) in shared
    assert layout.HLS_TEMP_FLAG in cmd[cmd.index("-hls_flags") + 1].split("+")
    thumbs = cmd.index(str(out / layout.THUMB_PATTERN))
    assert cmd[cmd.index("-atomic_writing", thumbs - 12) + 1] == "1"
    assert str(out / layout.POSTER) in cmd
