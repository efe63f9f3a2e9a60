"""The conformance report on hand-made packages: a tiny real package that meets every rule, then copies
broken one way at a time (playlists edited by hand, segments and sprite sheets made by ffmpeg)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hlsstudio.core.conformance import ConformanceFinding, ConformanceReport
from hlsstudio.core.errors import NonconformantPackage
from hlsstudio.core.hls import report as report_module
from hlsstudio.core.hls.master import MasterVariantSpec, finalize_master
from hlsstudio.core.hls.report import RULES, allow_anyway, publish_refusal, summary_line
from hlsstudio.core.hls.storyboard_check import jpeg_size
from hlsstudio.core.hls.validate import check_package, validate_package
from tests.hlsfixtures import Rendition, build_package

SEGMENT = 2.0
DURATION = 6.0
RENDITIONS = (Rendition("90p", 160, 90, 40), Rendition("180p", 320, 180, 300))
NAMES = [r.name for r in RENDITIONS]
STORYBOARD = (
    "WEBVTT\n\n"
    "00:00:00.000 --> 00:00:02.000\nsprite_000.jpg#xywh=0,0,160,90\n\n"
    "00:00:02.000 --> 00:00:04.000\nsprite_000.jpg#xywh=160,0,160,90\n\n"
    "00:00:04.000 --> 00:00:06.000\nsprite_000.jpg#xywh=0,90,160,90\n"
)


def make_sprite(path: Path, width: int = 320, height: int = 180) -> None:
    """A real JPEG sheet made by ffmpeg."""
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"]
    args += ["-i", f"color=c=gray:s={width}x{height}:d=1", "-frames:v", "1", str(path)]
    subprocess.run(args, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two video-only rungs (the lower one well under 192 kb/s), the measured master with its I-frame
    playlists, and a storyboard over one 2x2 sprite sheet."""
    package = build_package(
        tmp_path_factory.mktemp("conformance") / "good",
        renditions=RENDITIONS,
        segment=SEGMENT,
        duration=DURATION,
        audio=False,
    )
    specs = [
        MasterVariantSpec(
            name=r.name, playlist=f"stream_{r.name}.m3u8", width=r.width, height=r.height, frame_rate=25
        )
        for r in RENDITIONS
    ]
    finalize_master(package, specs)
    make_sprite(package / "sprite_000.jpg")
    (package / "thumbnails.vtt").write_text(STORYBOARD, encoding="utf-8")
    return package


@pytest.fixture
def copy(good: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(good, tmp_path / "pkg"))


def judge(
    package: Path, pending: dict[str, str] | None = None, variants: list[str] = NAMES
) -> ConformanceReport:
    """The conformance report, every rule enforced unless ``pending`` says otherwise."""
    verdict = check_package(
        package,
        segment_duration=SEGMENT,
        expected_duration=DURATION,
        expected_variants=variants,
        pending={} if pending is None else pending,
    )
    return verdict.conformance


def finding(report: ConformanceReport, rule: str) -> ConformanceFinding:
    (found,) = [f for f in report.findings if f.rule == rule]
    return found


def not_passed(report: ConformanceReport) -> dict[str, str]:
    return {f.rule: f.verdict for f in report.findings if f.verdict != "pass"}


def edit(path: Path, change: Callable[[str], str]) -> None:
    text = path.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text, f"{path.name} did not change"
    path.write_text(changed, encoding="utf-8")


def drop_attribute(name: str, tag: str = "#EXT-X-STREAM-INF") -> Callable[[str], str]:
    """Remove attribute ``name`` from every ``tag`` line (wherever it stands in the line)."""
    value = r'(?:"[^"]*"|[^,\n]*)'
    inside, first = re.compile(rf",{name}={value}"), re.compile(rf"(?<=:){name}={value},?")

    def change(line: str) -> str:
        return first.sub("", inside.sub("", line)) if line.startswith(tag + ":") else line

    return lambda text: "".join(change(line) for line in text.splitlines(keepends=True))


def master(package: Path) -> Path:
    return package / "master.m3u8"


def variant_lines(text: str) -> list[tuple[str, str]]:
    """(EXT-X-STREAM-INF line, URI line) pairs of a master, in order."""
    lines = text.splitlines()
    return [(line, lines[i + 1]) for i, line in enumerate(lines) if line.startswith("#EXT-X-STREAM-INF:")]


# --- the whole report -------------------------------------------------------------------------------


def test_a_conformant_package_passes_every_rule_with_its_source(good: Path) -> None:
    report = judge(good)
    assert [f.rule for f in report.findings] == [r.name for r in RULES]
    assert not_passed(report) == {}
    assert not report.blocks_publishing and report.must_failures == []
    assert all(f.source and f.message and f.fix == "" for f in report.findings)
    assert finding(report, "cellular-variant").source == "HLS Authoring Spec 9.21 (iOS)"
    assert finding(report, "iframe-playlists").source.startswith("HLS Authoring Spec 6.1")
    assert summary_line(report) == f"{len(RULES)} passed, 0 warnings, 0 failed"


def test_the_validator_report_is_the_same_as_before(good: Path) -> None:
    verdict = check_package(
        good, segment_duration=SEGMENT, expected_duration=DURATION, expected_variants=NAMES
    )
    plain = validate_package(
        good, segment_duration=SEGMENT, expected_duration=DURATION, expected_variants=NAMES
    )
    assert verdict.validation == plain and plain.ok
    assert {c.name for c in plain.checks}.isdisjoint({"cellular", "iframe_streams", "storyboard"})


def test_a_missing_master_fails_the_master_rules_without_crashing(copy: Path) -> None:
    master(copy).unlink()
    report = judge(copy)
    assert finding(report, "master-playlist").verdict == "fail"
    assert {"cellular-variant", "iframe-playlists", "codecs"} <= set(not_passed(report))


# --- cellular variant (9.21) ------------------------------------------------------------------------


def test_cellular_variant_passes_with_a_rung_under_192_kbps(good: Path) -> None:
    found = finding(judge(good), "cellular-variant")
    assert found.verdict == "pass" and found.strength == "must"
    assert "stream_90p.m3u8 peaks at" in found.message and "(limit 192 kb/s)" in found.message


def only_180p(text: str) -> str:
    """The master without its 90p variant."""
    (low, uri), _ = variant_lines(text)
    return text.replace(f"{low}\n{uri}\n", "")


def test_cellular_variant_fails_without_one_and_blocks_publishing(copy: Path) -> None:
    edit(master(copy), only_180p)
    report = judge(copy, variants=["180p"])
    found = finding(report, "cellular-variant")
    assert found.verdict == "fail"
    assert "the lowest, stream_180p.m3u8, peaks at" in found.message
    assert "cellular rung in the Ladder tab" in found.fix
    assert report.blocks_publishing and [f.rule for f in report.must_failures] == ["cellular-variant"]


def test_a_declared_peak_over_192_kbps_is_not_cellular_even_if_the_segments_are_light(copy: Path) -> None:
    edit(master(copy), lambda text: re.sub(r"BANDWIDTH=\d+,AVERAGE", "BANDWIDTH=250000,AVERAGE", text))
    assert finding(judge(copy), "cellular-variant").verdict == "fail"


def test_a_pending_rule_only_warns_and_does_not_block(copy: Path) -> None:
    edit(master(copy), only_180p)
    pending = {"cellular-variant": "not blocking publishing yet"}
    report = judge(copy, pending=pending, variants=["180p"])
    found = finding(report, "cellular-variant")
    assert found.verdict == "warn" and found.strength == "must"
    assert "not blocking publishing yet" in found.message
    assert not report.blocks_publishing
    enforced = judge(copy, pending=report_module.NOT_YET_WRITTEN, variants=["180p"])
    assert finding(enforced, "cellular-variant").verdict == "fail" and enforced.blocks_publishing


# --- I-frame playlists (6.1, 6.8, 9.3, 9.4) ---------------------------------------------------------


def without_iframe_entries(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#EXT-X-I-FRAME-STREAM-INF"))


def test_iframe_playlists_missing_from_the_master_fail(copy: Path) -> None:
    edit(master(copy), without_iframe_entries)
    for name in NAMES:
        (copy / f"iframes_{name}.m3u8").unlink()
    report = judge(copy)
    found = finding(report, "iframe-playlists")
    assert found.verdict == "fail" and found.message.endswith("master.m3u8 lists none")
    assert finding(report, "iframe-playlist-contents").verdict == "pass"  # nothing listed to check
    assert report.blocks_publishing


def test_iframe_playlists_on_disk_but_not_listed_fail(copy: Path) -> None:
    edit(master(copy), lambda text: "\n".join(
        line for line in text.splitlines() if "iframes_90p" not in line
    ))  # fmt: skip
    found = finding(judge(copy), "iframe-playlists")
    assert found.verdict == "fail" and "iframes_90p.m3u8 is not listed in master.m3u8" in found.message


@pytest.mark.parametrize("attribute", ["CODECS", "RESOLUTION", "BANDWIDTH"])
def test_an_iframe_entry_without_a_required_attribute_fails(copy: Path, attribute: str) -> None:
    edit(master(copy), drop_attribute(attribute, "#EXT-X-I-FRAME-STREAM-INF"))
    found = finding(judge(copy), "iframe-playlists")
    assert found.verdict == "fail" and f"iframes_90p.m3u8 lacks {attribute}" in found.message


def test_an_iframe_playlist_without_iframes_only_fails(copy: Path) -> None:
    edit(copy / "iframes_180p.m3u8", lambda text: text.replace("#EXT-X-I-FRAMES-ONLY\n", ""))
    found = finding(judge(copy), "iframe-playlist-contents")
    assert found.verdict == "fail" and "iframes_180p.m3u8 lacks EXT-X-I-FRAMES-ONLY" in found.message


def test_an_iframe_playlist_must_say_version_4(copy: Path) -> None:
    edit(copy / "iframes_180p.m3u8", lambda text: re.sub(r"#EXT-X-VERSION:\d+", "#EXT-X-VERSION:3", text))
    found = finding(judge(copy), "iframe-playlist-contents")
    assert found.verdict == "fail" and "EXT-X-VERSION 3 (needs 4)" in found.message


def test_an_iframe_range_off_a_ts_packet_fails(copy: Path) -> None:
    edit(
        copy / "iframes_90p.m3u8",
        lambda text: re.sub(r"@(\d+)", lambda m: f"@{int(m[1]) + 1}", text, count=1),
    )
    found = finding(judge(copy), "iframe-playlist-contents")
    assert found.verdict == "fail" and "does not start a TS packet" in found.message


def test_an_iframe_range_past_the_end_of_its_segment_fails(copy: Path) -> None:
    edit(
        copy / "iframes_90p.m3u8",
        lambda text: re.sub(r"BYTERANGE:(\d+)@", "BYTERANGE:99999999@", text, count=1),
    )
    found = finding(judge(copy), "iframe-playlist-contents")
    assert found.verdict == "fail" and "run past the end of stream_90p_000.ts" in found.message


def test_an_iframe_without_a_byte_range_fails(copy: Path) -> None:
    edit(copy / "iframes_90p.m3u8", lambda text: re.sub(r"#EXT-X-BYTERANGE:[^\n]*\n", "", text, count=1))
    found = finding(judge(copy), "iframe-playlist-contents")
    assert found.verdict == "fail" and "has no EXT-X-BYTERANGE" in found.message


def test_a_first_iframe_range_without_an_offset_fails(copy: Path) -> None:
    edit(
        copy / "iframes_90p.m3u8", lambda text: re.sub(r"BYTERANGE:(\d+)@\d+", r"BYTERANGE:\1", text, count=1)
    )
    found = finding(judge(copy), "iframe-playlist-contents")
    assert found.verdict == "fail" and "a range of stream_90p_000.ts has no offset" in found.message


def test_the_iframe_ranges_really_start_with_a_ts_packet(good: Path) -> None:
    text = (good / "iframes_90p.m3u8").read_text()
    offsets = [int(m) for m in re.findall(r"#EXT-X-BYTERANGE:\d+@(\d+)", text)]
    assert offsets and all(o % 188 == 0 for o in offsets)


# --- master attributes: VIDEO-RANGE (9.16), CLOSED-CAPTIONS, declared attributes --------------------


def test_missing_video_range_is_a_warning(copy: Path) -> None:
    edit(master(copy), drop_attribute("VIDEO-RANGE"))
    report = judge(copy)
    found = finding(report, "video-range")
    assert (found.verdict, found.strength) == ("warn", "should")
    assert "stream_90p.m3u8 has no VIDEO-RANGE" in found.message and found.fix
    assert not report.blocks_publishing


def test_an_unknown_video_range_is_a_warning(copy: Path) -> None:
    edit(master(copy), lambda text: text.replace("VIDEO-RANGE=SDR,CLOSED", "VIDEO-RANGE=HDR,CLOSED", 1))
    assert "VIDEO-RANGE=HDR" in finding(judge(copy), "video-range").message


def test_missing_closed_captions_none_is_a_warning(copy: Path) -> None:
    edit(master(copy), drop_attribute("CLOSED-CAPTIONS"))
    found = finding(judge(copy), "closed-captions")
    assert found.verdict == "warn" and "has no CLOSED-CAPTIONS" in found.message


def test_closed_captions_may_name_a_group_declared_with_a_language(copy: Path) -> None:
    media = '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="English",LANGUAGE="en",INSTREAM-ID="CC1"'
    edit(master(copy), lambda text: text.replace("CLOSED-CAPTIONS=NONE", 'CLOSED-CAPTIONS="cc"'))
    assert finding(judge(copy), "closed-captions").verdict == "warn"  # the group is not declared
    edit(
        master(copy),
        lambda text: text.replace("#EXT-X-INDEPENDENT-SEGMENTS\n", f"#EXT-X-INDEPENDENT-SEGMENTS\n{media}\n"),
    )
    assert finding(judge(copy), "closed-captions").verdict == "pass"


@pytest.mark.parametrize(
    ("attribute", "rule"),
    [("RESOLUTION", "resolution"), ("FRAME-RATE", "frame-rate"), ("AVERAGE-BANDWIDTH", "average-bandwidth")],
)
def test_a_variant_without_a_required_attribute_fails(copy: Path, attribute: str, rule: str) -> None:
    edit(master(copy), drop_attribute(attribute))
    found = finding(judge(copy), rule)
    assert found.verdict == "fail" and f"has no {attribute}" in found.message


def test_a_bandwidth_far_from_the_measured_peak_fails(copy: Path) -> None:
    edit(
        master(copy),
        lambda text: re.sub(r"BANDWIDTH=(\d+),AVERAGE", lambda m: f"BANDWIDTH={int(m[1]) * 2},AVERAGE", text),
    )
    report = judge(copy)
    assert finding(report, "peak-bandwidth").verdict == "fail"
    assert finding(report, "average-bandwidth").verdict == "pass"


# --- variants: no audio-only, first the lowest ------------------------------------------------------


def test_an_audio_only_variant_fails(copy: Path) -> None:
    audio_only = (
        '#EXT-X-STREAM-INF:BANDWIDTH=64000,AVERAGE-BANDWIDTH=64000,CODECS="mp4a.40.2"\nstream_90p.m3u8\n'
    )
    edit(
        master(copy),
        lambda text: text.replace("#EXT-X-I-FRAME-STREAM-INF", audio_only + "#EXT-X-I-FRAME-STREAM-INF", 1),
    )
    report = judge(copy)
    found = finding(report, "no-audio-only")
    assert found.verdict == "fail" and "has no video (mp4a.40.2)" in found.message
    assert "Media3" in found.source and "9.20" in found.source
    assert report.blocks_publishing


def test_listing_a_higher_variant_first_is_a_warning(copy: Path) -> None:
    def swap(text: str) -> str:
        (low, low_uri), (high, high_uri) = variant_lines(text)
        return text.replace(
            f"{low}\n{low_uri}\n{high}\n{high_uri}\n", f"{high}\n{high_uri}\n{low}\n{low_uri}\n"
        )

    edit(master(copy), swap)
    report = judge(copy)
    found = finding(report, "first-variant-lowest")
    assert found.verdict == "warn" and "stream_180p.m3u8 is first, not stream_90p.m3u8" in found.message
    assert not_passed(report) == {"first-variant-lowest": "warn"}


def test_a_peak_above_twice_the_average_is_a_warning(copy: Path) -> None:
    # two segments said to last 0.5 s each: a run of 1 s (half the target duration) holds 4 s of bits
    def squeeze(text: str) -> str:
        for n in ("000", "001"):
            text = text.replace(
                f"#EXTINF:2.000000,\nstream_180p_{n}.ts", f"#EXTINF:0.500000,\nstream_180p_{n}.ts"
            )
        return text

    edit(copy / "stream_180p.m3u8", squeeze)
    found = finding(judge(copy), "peak-to-average")
    assert found.verdict == "warn" and "stream_180p.m3u8 peaks at" in found.message


# --- storyboard -------------------------------------------------------------------------------------


def test_storyboard_passes_with_tiles_inside_the_sheet(good: Path) -> None:
    found = finding(judge(good), "storyboard")
    assert found.verdict == "pass" and "3 preview(s) on 1 sprite sheet(s)" in found.message
    assert jpeg_size(good / "sprite_000.jpg") == (320, 180)


def test_no_storyboard_is_a_warning(copy: Path) -> None:
    (copy / "thumbnails.vtt").unlink()
    report = judge(copy)
    found = finding(report, "storyboard")
    assert (found.verdict, found.strength) == (
        "warn",
        "should",
    ) and "there is no thumbnails.vtt" in found.message
    assert not report.blocks_publishing


def test_a_storyboard_naming_a_missing_sheet_is_a_warning(copy: Path) -> None:
    (copy / "sprite_000.jpg").unlink()
    found = finding(judge(copy), "storyboard")
    assert found.verdict == "warn" and "sprite_000.jpg is missing or not a JPEG picture" in found.message


def test_a_tile_outside_its_sheet_is_a_warning(copy: Path) -> None:
    edit(copy / "thumbnails.vtt", lambda text: text.replace("xywh=0,90,160,90", "xywh=200,90,160,90"))
    found = finding(judge(copy), "storyboard")
    assert found.verdict == "warn" and "lies outside the 320x180 sheet" in found.message


def test_a_storyboard_that_is_not_webvtt_is_a_warning(copy: Path) -> None:
    (copy / "thumbnails.vtt").write_text("sprite_000.jpg\n", encoding="utf-8")
    assert "is not WebVTT" in finding(judge(copy), "storyboard").message


# --- what the pipeline does with the report ----------------------------------------------------------


def failing_report() -> ConformanceReport:
    passed = ConformanceFinding(
        rule="keyframes", source="HLS Authoring Spec 7.4", strength="must", verdict="pass",
        message="Every segment starts with a keyframe (IDR): fine",
    )  # fmt: skip
    failed = ConformanceFinding(
        rule="cellular-variant", source="HLS Authoring Spec 9.21 (iOS)", strength="must", verdict="fail",
        message="A rung of at most 192 kb/s: the lowest peaks at 600 kb/s",
        fix="Turn on the cellular rung in the Ladder tab.",
    )  # fmt: skip
    warned = ConformanceFinding(
        rule="storyboard", source="Shaka", strength="should", verdict="warn",
        message="Seek-bar previews: there is no thumbnails.vtt", fix="Turn it on.",
    )  # fmt: skip
    return ConformanceReport(findings=[passed, failed, warned])


def test_the_refusal_says_how_many_rules_which_first_and_where_to_look() -> None:
    refusal = publish_refusal(failing_report())
    assert isinstance(refusal, NonconformantPackage)
    assert refusal.message == (
        "not published: the package breaks 1 rule players need (first: a rung of at most 192 kb/s, sound "
        "included, for phones on cellular networks); see Details ▸ Conformance, or allow publishing anyway "
        "in Settings"
    )
    assert (
        "✗ A rung of at most 192 kb/s" in refusal.detail
        and "What to do: Turn on the cellular" in refusal.detail
    )
    assert "storyboard" not in refusal.detail.lower()


def test_allowing_anyway_marks_the_report_overridden_only_when_a_must_fails() -> None:
    report = failing_report()
    assert report.blocks_publishing
    allowed = allow_anyway(report, True)
    assert allowed.overridden and not allowed.blocks_publishing and allowed.must_failures
    assert allow_anyway(report, False) == report
    clean = ConformanceReport(findings=report.findings[:1])
    assert not allow_anyway(clean, True).overridden
    assert summary_line(allowed) == "1 passed, 1 warning, 1 failed, publishing allowed anyway"
