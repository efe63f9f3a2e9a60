"""The audio check's timing rule: an audio rendition must cut where the video cuts and last as long,
to within an AAC frame or two; a last sliver of either (one video frame past the sound) is allowed."""

from __future__ import annotations

from hlsstudio.core.hls.audio_check import _timing_problems


def test_equal_cuts_within_a_frame_pass() -> None:
    video = [2.0, 2.0, 2.0, 4.0, 2.0]
    audio = [2.005, 2.005, 2.005, 3.989, 1.973]
    assert _timing_problems("a.m3u8", audio, video) == []


def test_a_last_video_frame_past_the_sound_is_not_a_cut() -> None:
    video = [2.0] * 6 + [0.04]
    audio = [2.005, 2.005, 2.005, 1.984, 2.005, 1.994]
    assert _timing_problems("a.m3u8", audio, video) == []


def test_a_different_grid_or_a_short_sound_is_caught() -> None:
    video = [2.0, 2.0, 2.0, 4.0, 6.0, 4.0]
    assert _timing_problems("a.m3u8", [2.0, 2.0, 2.0, 2.0, 4.0, 6.0, 2.0], video) == [
        "a.m3u8: its segments do not start where the video's do"
    ]
    assert _timing_problems("a.m3u8", [2.0, 2.0, 2.0, 4.0, 6.0, 2.0], video) == [
        "a.m3u8 lasts 18.00 s, the video 20.00 s"
    ]
    assert _timing_problems("a.m3u8", [2.0], None) == []  # no video to compare with
