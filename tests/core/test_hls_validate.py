"""validate_package on a good package, then on copies broken one way at a time."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from hlsstudio.core.hls.master import MasterVariantSpec, finalize_master
from hlsstudio.core.hls.validate import validate_package
from hlsstudio.core.models import ValidationCheck, ValidationReport
from tests.hlsfixtures import TWO_RENDITIONS, build_package

SEGMENT = 2.0
DURATION = 5.0
NAMES = ["180p", "360p"]
ALL_CHECKS = {
    "master",
    "master_attributes",
    "variants",
    "playlists",
    "playlist_type",
    "endlist",
    "version",
    "target_duration",
    "segment_duration",
    "segment_files",
    "keyframes",
    "alignment",
    "duration",
    "bandwidth",
    "codecs",
    "audio",
}
SPECS = [
    MasterVariantSpec(
        name=r.name, playlist=f"stream_{r.name}.m3u8", width=r.width, height=r.height, frame_rate=25
    )
    for r in TWO_RENDITIONS
]


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    package = build_package(tmp_path_factory.mktemp("validate") / "good", segment=SEGMENT, duration=DURATION)
    shutil.copy(package / "master.m3u8", package.parent / "ffmpeg_master.m3u8")
    finalize_master(package, SPECS)
    return package


@pytest.fixture
def copy(good: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(good, tmp_path / "pkg"))


def _validate(
    package: Path,
    *,
    segment_duration: float = SEGMENT,
    expected_duration: float | None = DURATION,
    expected_variants: list[str] | None = NAMES,
) -> ValidationReport:
    return validate_package(
        package,
        segment_duration=segment_duration,
        expected_duration=expected_duration,
        expected_variants=expected_variants,
    )


def _check(report: ValidationReport, name: str) -> ValidationCheck:
    (check,) = [c for c in report.checks if c.name == name]
    return check


def _failed(report: ValidationReport) -> set[str]:
    return {c.name for c in report.checks if not c.ok}


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count))


def _swap_rendition(package: Path, donor: Path, name: str) -> None:
    """Replace variant ``name`` of ``package`` (playlist and segments) by the donor's."""
    for old in package.glob(f"stream_{name}*"):
        old.unlink()
    for new in donor.glob(f"stream_{name}*"):
        shutil.copy(new, package / new.name)


def test_good_package_passes_every_check(good: Path) -> None:
    report = _validate(good)
    assert {c.name for c in report.checks} == ALL_CHECKS
    assert report.ok, report.errors
    assert all(c.ok and c.message for c in report.checks)
    assert report.errors == []


def test_deleted_segment(copy: Path) -> None:
    (copy / "stream_360p_001.ts").unlink()
    report = _validate(copy)
    assert not report.ok
    assert "stream_360p_001.ts is missing" in _check(report, "segment_files").message
    assert "stream_360p.m3u8: cannot measure" in _check(report, "bandwidth").message
    assert _check(report, "keyframes").ok and _check(report, "endlist").ok


def test_empty_segment(copy: Path) -> None:
    (copy / "stream_180p_002.ts").write_bytes(b"")
    report = _validate(copy)
    assert "segment_files" in _failed(report)
    assert "stream_180p_002.ts is empty" in _check(report, "segment_files").message


def test_segment_that_is_not_ts(copy: Path) -> None:
    (copy / "stream_180p_001.ts").write_text("<html>404 not found</html>\n" * 10)
    report = _validate(copy)
    assert _failed(report) == {"keyframes", "bandwidth"}
    assert "stream_180p_001.ts: not an MPEG-TS file" in _check(report, "keyframes").message


def test_missing_endlist(copy: Path) -> None:
    _edit(copy / "stream_180p.m3u8", "#EXT-X-ENDLIST\n", "")
    report = _validate(copy)
    assert _failed(report) == {"endlist"}
    assert _check(report, "endlist").message == "stream_180p.m3u8 lacks EXT-X-ENDLIST"


def test_missing_playlist_type(copy: Path) -> None:
    _edit(copy / "stream_360p.m3u8", "#EXT-X-PLAYLIST-TYPE:VOD\n", "")
    report = _validate(copy)
    assert _failed(report) == {"playlist_type"}
    assert "stream_360p.m3u8 has EXT-X-PLAYLIST-TYPE missing" in _check(report, "playlist_type").message


def test_extinf_above_target_duration(copy: Path) -> None:
    _edit(
        copy / "stream_180p.m3u8",
        "#EXTINF:2.000000,\nstream_180p_000.ts",
        "#EXTINF:2.600000,\nstream_180p_000.ts",
    )
    report = _validate(copy)
    message = _check(report, "target_duration").message
    assert not _check(report, "target_duration").ok
    assert "stream_180p_000.ts EXTINF 2.6 s rounds above TARGETDURATION 2" in message
    assert "stream_180p_000.ts lasts 2.6 s" in _check(report, "segment_duration").message


def test_long_segments(copy: Path) -> None:
    report = _validate(copy, segment_duration=1.0)
    assert _failed(report) == {"segment_duration"}
    assert "stream_180p_000.ts lasts 2 s (limit 1.5 s)" in _check(report, "segment_duration").message


def test_variant_with_a_different_keyframe_interval_is_misaligned(copy: Path, tmp_path: Path) -> None:
    donor = build_package(tmp_path / "donor", segment=SEGMENT, duration=DURATION, keyframe_every=3.0)
    _swap_rendition(copy, donor, "360p")
    report = _validate(copy)
    alignment = _check(report, "alignment")
    assert not alignment.ok
    assert "stream_180p.m3u8 has 3 segments, stream_360p.m3u8 has 2" in alignment.message
    assert "segment 1: stream_360p_001.ts starts +1000 ms from stream_180p_001.ts" in alignment.message


def test_variant_with_shifted_timestamps_is_misaligned(copy: Path, tmp_path: Path) -> None:
    donor = build_package(tmp_path / "donor", segment=SEGMENT, duration=DURATION, ts_offset=0.5)
    _swap_rendition(copy, donor, "360p")
    report = _validate(copy)
    alignment = _check(report, "alignment")
    assert not alignment.ok
    assert "segments," not in alignment.message
    assert re.search(
        r"segment 0: stream_360p_000\.ts starts \+\d+ ms from stream_180p_000\.ts", alignment.message
    )


def test_segments_not_starting_on_keyframes(tmp_path: Path) -> None:
    package = build_package(tmp_path / "midgop", segment=1.0, duration=DURATION, gop=250, split_by_time=True)
    finalize_master(package, SPECS)
    report = _validate(package, segment_duration=1.0)
    keyframes = _check(report, "keyframes")
    assert not keyframes.ok
    assert keyframes.message.startswith(
        "stream_180p.m3u8: stream_180p_001.ts does not start with an IDR keyframe"
    )
    # 4 offenders per rendition: three named, the rest counted.
    assert keyframes.message.endswith("; and 5 more")
    assert _check(report, "alignment").ok


def test_wrong_expected_duration(copy: Path) -> None:
    report = _validate(copy, expected_duration=8.0)
    assert _failed(report) == {"duration"}
    assert "stream_180p.m3u8 lasts 5.000 s, expected 8.000 s" in _check(report, "duration").message
    assert _validate(copy, expected_duration=DURATION + 0.4).ok
    assert _check(_validate(copy, expected_duration=None), "duration").ok


def test_declared_bandwidth_off_by_half(copy: Path) -> None:
    master = copy / "master.m3u8"
    declared = int(re.findall(r"BANDWIDTH=(\d+)", master.read_text())[0])
    _edit(master, f"BANDWIDTH={declared},", f"BANDWIDTH={declared * 3 // 2},")
    report = _validate(copy)
    assert _failed(report) == {"bandwidth"}
    assert f"stream_180p.m3u8: BANDWIDTH {declared * 3 // 2} but measured {declared}" == (
        _check(report, "bandwidth").message
    )


def test_declared_codecs_that_differ_from_the_segments(copy: Path) -> None:
    _edit(copy / "master.m3u8", "mp4a.40.2", "mp4a.40.5")
    report = _validate(copy)
    assert _failed(report) == {"codecs"}
    assert 'but segments hold "avc1.' in _check(report, "codecs").message


def test_ffmpeg_original_master_lacks_attributes(copy: Path, good: Path) -> None:
    shutil.copy(good.parent / "ffmpeg_master.m3u8", copy / "master.m3u8")
    report = _validate(copy)
    attributes = _check(report, "master_attributes")
    assert not attributes.ok
    assert "master.m3u8 lacks EXT-X-INDEPENDENT-SEGMENTS" in attributes.message
    assert "stream_180p.m3u8 lacks AVERAGE-BANDWIDTH, FRAME-RATE" in attributes.message


def test_missing_master_still_checks_the_variants(copy: Path) -> None:
    (copy / "master.m3u8").unlink()
    _edit(copy / "stream_180p.m3u8", "#EXT-X-ENDLIST\n", "")
    report = _validate(copy)
    assert _check(report, "master").message == "master.m3u8 does not exist"
    assert "stream_180p.m3u8 lacks EXT-X-ENDLIST" in _check(report, "endlist").message
    assert _check(report, "keyframes").ok and _check(report, "alignment").ok
    assert _failed(report) == {"master", "master_attributes", "variants", "endlist", "bandwidth", "codecs"}


def test_master_that_is_not_a_playlist(copy: Path) -> None:
    (copy / "master.m3u8").write_text("<html>oops</html>\n")
    report = _validate(copy)
    assert "not an M3U8 playlist" in _check(report, "master").message


def test_expected_variant_not_listed_and_listed_playlist_missing(copy: Path) -> None:
    (copy / "stream_360p.m3u8").unlink()
    report = _validate(copy, expected_variants=[*NAMES, "720p"])
    assert _check(report, "variants").message == "720p is not listed in master.m3u8"
    assert _check(report, "playlists").message == "stream_360p.m3u8 does not exist"
    assert not report.ok


def test_missing_folder_gives_a_failed_report(tmp_path: Path) -> None:
    report = _validate(tmp_path / "nowhere")
    assert not report.ok
    assert {"master", "playlists"} <= _failed(report)
