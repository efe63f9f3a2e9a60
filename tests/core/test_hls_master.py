"""Measuring variant playlists and writing the master playlist, on packages ffmpeg really made."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import m3u8
import pytest

from hlsstudio.core.errors import ValidationFailed
from hlsstudio.core.hls.master import (
    MasterVariantSpec,
    finalize_master,
    measure_playlist,
    measure_rates,
    render_master,
)
from hlsstudio.core.models import VariantResult
from tests.hlsfixtures import Rendition, build_package

SPECS = [
    MasterVariantSpec(name="360p", playlist="stream_360p.m3u8", width=640, height=360, frame_rate=25.0),
    MasterVariantSpec(name="180p", playlist="stream_180p.m3u8", width=320, height=180, frame_rate=25.0),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(tmp_path_factory.mktemp("master") / "pkg")


@pytest.fixture
def package(built: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built, tmp_path / "pkg"))


def _recompute(playlist: Path) -> tuple[int, int, float]:
    """(peak, average, duration) from the playlist text and file sizes, without the code under test."""
    lines = playlist.read_text().splitlines()
    pairs = [
        (float(line.removeprefix("#EXTINF:").split(",")[0]), lines[i + 1])
        for i, line in enumerate(lines)
        if line.startswith("#EXTINF:")
    ]
    sizes = [(playlist.parent / uri).stat().st_size for _, uri in pairs]
    rates = [size * 8 / duration for size, (duration, _) in zip(sizes, pairs, strict=True)]
    duration = sum(d for d, _ in pairs)
    return math.ceil(max(rates)), math.ceil(sum(sizes) * 8 / duration), duration


def _ffmpeg_codecs(package: Path) -> dict[str, str]:
    parsed = m3u8.load(str(package / "master.m3u8"))
    return {p.uri: p.stream_info.codecs for p in parsed.playlists}


def test_measure_playlist_equals_recomputation(built: Path) -> None:
    for name in ("180p", "360p"):
        playlist = built / f"stream_{name}.m3u8"
        measure = measure_playlist(playlist)
        peak, average, duration = _recompute(playlist)
        assert (measure.peak_bandwidth, measure.average_bandwidth) == (peak, average)
        assert measure.duration == pytest.approx(duration)
        assert measure.segment_count == 3
        assert measure.first_segment == built / f"stream_{name}_000.ts"
        assert measure.total_bytes == sum(p.stat().st_size for p in built.glob(f"stream_{name}_*.ts"))
        assert measure.peak_bandwidth >= measure.average_bandwidth


def test_finalize_master_writes_every_attribute_in_bandwidth_order(package: Path) -> None:
    ffmpeg_codecs = _ffmpeg_codecs(package)
    results = finalize_master(package, SPECS)

    assert [r.quality for r in results] == ["180p", "360p"]
    text = (package / "master.m3u8").read_text()
    # version 4: the master lists I-frame playlists (EXT-X-I-FRAME-STREAM-INF)
    assert text.splitlines()[:3] == ["#EXTM3U", "#EXT-X-VERSION:4", "#EXT-X-INDEPENDENT-SEGMENTS"]
    parsed = m3u8.loads(text)
    assert parsed.is_independent_segments
    assert [p.uri for p in parsed.playlists] == ["stream_180p.m3u8", "stream_360p.m3u8"]
    assert [p.uri for p in parsed.iframe_playlists] == ["iframes_180p.m3u8", "iframes_360p.m3u8"]
    bandwidths = [p.stream_info.bandwidth for p in parsed.playlists]
    assert bandwidths == sorted(bandwidths)
    for result, entry in zip(results, parsed.playlists, strict=True):
        info = entry.stream_info
        peak, average, _ = _recompute(package / entry.uri)
        assert (info.bandwidth, info.average_bandwidth) == (peak, average)
        assert (result.bandwidth, result.average_bandwidth) == (peak, average)
        assert info.codecs == result.codecs == ffmpeg_codecs[entry.uri]
        assert result.codecs.endswith(",mp4a.40.2")
        assert info.frame_rate == 25.0
        assert (info.video_range, info.closed_captions) == ("SDR", "NONE")
        assert "FRAME-RATE=25.000" in text
    assert [(r.resolution, r.playlist) for r in results] == [
        ("320x180", "stream_180p.m3u8"),
        ("640x360", "stream_360p.m3u8"),
    ]
    assert sorted(p.name for p in package.iterdir() if p.name.startswith(".")) == []


def test_missing_segment_raises_and_keeps_the_old_master(package: Path) -> None:
    before = (package / "master.m3u8").read_text()
    (package / "stream_360p_001.ts").unlink()
    with pytest.raises(ValidationFailed, match=r"stream_360p_001\.ts"):
        finalize_master(package, SPECS)
    assert (package / "master.m3u8").read_text() == before


def test_unreadable_first_segment_raises(package: Path) -> None:
    (package / "stream_180p_000.ts").write_text("not a transport stream\n" * 20)
    with pytest.raises(ValidationFailed, match=r"stream_180p_000\.ts"):
        finalize_master(package, SPECS)


def test_no_variants_raises(package: Path) -> None:
    with pytest.raises(ValidationFailed):
        finalize_master(package, [])


def test_video_only_package_declares_only_the_video_codec(tmp_path: Path) -> None:
    package = build_package(
        tmp_path / "silent", renditions=(Rendition("180p", 320, 180, 300),), duration=3.0, audio=False
    )
    ffmpeg_codecs = _ffmpeg_codecs(package)
    spec = MasterVariantSpec(name="180p", playlist="stream_180p.m3u8", width=320, height=180, frame_rate=25.0)
    (result,) = finalize_master(package, [spec])
    assert result.codecs == ffmpeg_codecs["stream_180p.m3u8"]
    assert re.fullmatch(r"avc1\.[0-9a-f]{6}", result.codecs)


def test_render_master_formats_frame_rate_and_omits_it_when_unknown() -> None:
    """Without I-frame playlists the master stays at version 3; every entry says SDR, no captions."""
    ntsc = VariantResult(
        quality="720p",
        resolution="1280x720",
        bandwidth=3_000_000,
        average_bandwidth=2_500_000,
        codecs="avc1.64001f,mp4a.40.2",
        frame_rate=30000 / 1001,
        playlist="stream_720p.m3u8",
    )
    unknown = ntsc.model_copy(update={"frame_rate": None, "playlist": "stream_x.m3u8"})
    lines = render_master([ntsc, unknown]).splitlines()
    assert lines[1] == "#EXT-X-VERSION:3"
    assert lines[3] == (
        '#EXT-X-STREAM-INF:BANDWIDTH=3000000,AVERAGE-BANDWIDTH=2500000,CODECS="avc1.64001f,mp4a.40.2",'
        "RESOLUTION=1280x720,FRAME-RATE=29.970,VIDEO-RANGE=SDR,CLOSED-CAPTIONS=NONE"
    )
    assert lines[4] == "stream_720p.m3u8"
    assert "FRAME-RATE" not in lines[5]


def test_peak_is_apples_peak_segment_bit_rate_not_a_short_last_segment() -> None:
    # 6 s segments at 150 kb/s, then a 0.2 s last segment that is mostly its keyframe (240 kb/s alone)
    six = (round(150_000 * 6 / 8), 6.0)
    tail = (6_000, 0.2)
    peak, average = measure_rates([six, six, tail])
    bits = 8 * (six[0] + tail[0])
    assert peak == math.ceil(bits / 6.2)  # the tail is measured with the segment before it
    assert peak < 160_000 and average < 160_000
    # runs of 0.5-1.5 x the target duration: two 2 s segments (4 s) can form the peak run
    short = [(50_000, 2.0), (50_000, 2.0), (10_000, 6.0)]
    assert measure_rates(short)[0] == math.ceil(8 * 100_000 / 4.0)
    # a playlist shorter than half its target: the whole playlist is the run
    assert measure_rates([(1_000, 1.0)]) == (8_000, 8_000)
