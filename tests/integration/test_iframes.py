"""The real pipeline writes an I-frame playlist per rung and lists it in the master; an I-frame cut
out of a segment by its byte range decodes on its own as one I picture."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import m3u8
import pytest

from hlsstudio.core.models import EncodeSettings, JobResult, Ladder, Rung
from hlsstudio.core.pipeline import transcode
from hlsstudio.core.toolchain import Toolchain, locate_toolchain

LADDER = Ladder(
    rungs=[
        Rung(name="90p", height=90, video_kbps=150, audio_kbps=64),
        Rung(name="180p", height=180, video_kbps=400, audio_kbps=96),
    ]
)
SETTINGS = EncodeSettings(segment_duration=2.0, preset="ultrafast", thumbnail_interval=2.0, stall_timeout=60)
TS = 188


@pytest.fixture(scope="module")
def toolchain() -> Toolchain:
    return locate_toolchain()


@pytest.fixture(scope="module")
def package(
    small_clip: Path, toolchain: Toolchain, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, JobResult]:
    out = tmp_path_factory.mktemp("iframes") / "pkg"
    result = transcode(small_clip, out, ladder=LADDER, settings=SETTINGS, toolchain=toolchain)
    return out, result


def _frames(path: Path) -> list[dict[str, str]]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-i", str(path), "-select_streams", "v", "-show_entries",
         "frame=pict_type,key_frame", "-of", "json"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    frames: list[dict[str, str]] = json.loads(done.stdout).get("frames", [])
    return frames


def test_each_rung_has_an_iframe_playlist_in_the_master(package: tuple[Path, JobResult]) -> None:
    out, result = package
    assert result.status == "completed"
    assert result.validation is not None and result.validation.ok, result.validation
    names = [variant.quality for variant in result.variants]
    assert set(names) == {"90p", "180p"}
    assert {f"iframes_{name}.m3u8" for name in names} <= set(result.files)

    text = (out / "master.m3u8").read_text()
    master = m3u8.loads(text)
    assert master.version == 4 and master.is_independent_segments
    assert [p.uri for p in master.playlists] == [v.playlist for v in result.variants]
    bandwidths = [p.stream_info.bandwidth for p in master.playlists]
    assert bandwidths == sorted(bandwidths)
    for entry in master.playlists:
        info = entry.stream_info
        assert (info.video_range, info.closed_captions) == ("SDR", "NONE")
        assert info.average_bandwidth and info.frame_rate and info.codecs and info.resolution
    last_variant = max(i for i, line in enumerate(text.splitlines()) if line.startswith("#EXT-X-STREAM-INF"))
    first_iframe = min(i for i, line in enumerate(text.splitlines()) if line.startswith("#EXT-X-I-FRAME"))
    assert last_variant < first_iframe

    by_uri = {v.playlist: v for v in result.variants}
    assert sorted(p.uri for p in master.iframe_playlists) == sorted(f"iframes_{n}.m3u8" for n in names)
    for entry in master.iframe_playlists:
        variant = by_uri[entry.uri.replace("iframes_", "stream_")]
        info = entry.iframe_stream_info
        assert info.codecs == variant.codecs.split(",")[0] and info.codecs.startswith("avc1.")
        assert f"{info.resolution[0]}x{info.resolution[1]}" == variant.resolution
        assert info.video_range == "SDR" and info.bandwidth and info.average_bandwidth


def test_iframe_playlists_parse_and_span_the_rung(package: tuple[Path, JobResult]) -> None:
    out, result = package
    for variant in result.variants:
        media = m3u8.load(str(out / variant.playlist))
        iframes = m3u8.load(str(out / f"iframes_{variant.quality}.m3u8"))
        assert iframes.is_i_frames_only and iframes.is_endlist and iframes.version == 4
        assert iframes.playlist_type == "vod" and iframes.target_duration >= 1
        assert sum(s.duration for s in iframes.segments) == pytest.approx(
            sum(s.duration for s in media.segments), abs=1e-3
        )
        assert {s.uri for s in iframes.segments} == {s.uri for s in media.segments}
        for segment in iframes.segments:
            length, offset = (int(x) for x in str(segment.byterange).split("@"))
            assert offset % TS == 0 and length % TS == 0
            assert offset + length <= (out / segment.uri).stat().st_size


def test_the_first_iframe_cut_out_is_one_i_frame(package: tuple[Path, JobResult], tmp_path: Path) -> None:
    out, result = package
    for variant in result.variants:
        first = m3u8.load(str(out / f"iframes_{variant.quality}.m3u8")).segments[0]
        length, offset = (int(x) for x in str(first.byterange).split("@"))
        data = (out / first.uri).read_bytes()
        extracted = tmp_path / f"{variant.quality}_extracted.ts"
        extracted.write_bytes(data[offset : offset + length])
        frames = _frames(extracted)
        assert [(f["pict_type"], int(f["key_frame"])) for f in frames] == [("I", 1)]
        with_tables = tmp_path / f"{variant.quality}_as_played.ts"  # what players load (RFC 8216 4.3.3.6)
        with_tables.write_bytes(data[:offset] + data[offset : offset + length])
        assert [f["pict_type"] for f in _frames(with_tables)] == ["I"]
