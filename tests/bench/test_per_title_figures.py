"""The per-title benchmark's arithmetic: bytes and bitrate of a rung from its playlist, the two ladders
side by side, a title's BD-rate (cellular rung left out, and with it), the overall summary and goals."""

from __future__ import annotations

from pathlib import Path

import pytest
from per_title_figures import (
    RungFigures,
    TitleFigures,
    figures,
    overall,
    paired_rungs,
    rung_table,
    summary_rows,
    video_bytes_and_seconds,
)

SIZES = {234: 416, 360: 640, 480: 854, 720: 1280, 1080: 1920}
FIXED_KBPS = {234: 80, 360: 800, 480: 1400, 720: 2800, 1080: 5000}
FIXED_VMAF = {234: 40.0, 360: 70.0, 480: 80.0, 720: 90.0, 1080: 95.0}


def rung(
    height: int,
    kbps: float,
    vmaf: float | None,
    *,
    name: str = "",
    crf: float | None = None,
    predicted: tuple[float, float] | None = None,
) -> RungFigures:
    """A rung of 10 s carrying ``kbps`` of video."""
    return RungFigures(
        name=name or f"{height}p", width=SIZES[height], height=height,
        video_bytes=round(kbps * 1000 / 8 * 10), seconds=10.0, vmaf=vmaf, crf=crf, predicted=predicted,
    )  # fmt: skip


def fixed_ladder() -> list[RungFigures]:
    return [rung(h, FIXED_KBPS[h], FIXED_VMAF[h]) for h in SIZES]


def title(tuned: list[RungFigures], **kw: float) -> TitleFigures:
    values = {"analysis_cpu": 20.0, "encode_cpu": 100.0, "fixed_encode_cpu": 110.0, **kw}
    return TitleFigures("t", fixed_ladder(), tuned, **values)  # type: ignore[arg-type]


def test_bytes_and_seconds_come_from_the_segments_the_playlist_lists(tmp_path: Path) -> None:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:6", "#EXT-X-PLAYLIST-TYPE:VOD"]
    for index, (seconds, size) in enumerate([(2.0, 1000), (6.0, 3000), (4.0, 2000)]):
        (tmp_path / f"stream_720p_{index:03d}.ts").write_bytes(b"\x47" * size)
        lines += [f"#EXTINF:{seconds:.3f},", f"stream_720p_{index:03d}.ts"]
    (tmp_path / "stream_720p_999.ts").write_bytes(b"\x47" * 5000)  # not listed: not counted
    (tmp_path / "stream_720p.m3u8").write_text("\n".join([*lines, "#EXT-X-ENDLIST", ""]), encoding="utf-8")

    video_bytes, seconds = video_bytes_and_seconds(tmp_path / "stream_720p.m3u8")

    assert (video_bytes, seconds) == (6000, pytest.approx(12.0))
    figures_ = RungFigures("720p", 1280, 720, video_bytes, seconds)
    assert figures_.kbps == pytest.approx(4.0)  # 6000 bytes * 8 / 12 s / 1000


def test_rungs_are_paired_by_height_with_a_second_rung_of_one_size_on_a_row_of_its_own() -> None:
    tuned = [rung(1080, 3000, 95.0), rung(720, 2000, 91.0, name="720p-2000k"), rung(720, 1200, 88.0),
             rung(360, 400, 70.0), rung(234, 80, 41.0)]  # fmt: skip

    rows = paired_rungs(fixed_ladder(), tuned)

    shown = [(a and a.name, b and b.name) for a, b in rows]
    assert shown == [("234p", "234p"), ("360p", "360p"), ("480p", None), ("720p", "720p"),
                     (None, "720p-2000k"), ("1080p", "1080p")]  # fmt: skip


def test_the_table_gives_ratios_and_differences_only_where_both_sides_have_the_height() -> None:
    tuned = [
        rung(234, 80, 41.0, crf=30),
        rung(360, 400, 70.5, crf=27.5, predicted=(380, 74.125)),
        rung(1080, 3000, 94.25, crf=23),
    ]

    rows = {
        row[0].split()[0] if row[0] != "—" else row[3].split()[0]: row
        for row in rung_table(fixed_ladder(), tuned)
    }

    fixed_side, tuned_side, compared = rows["360p"][:3], rows["360p"][3:8], rows["360p"][8:]
    assert fixed_side == ["360p 640x360", "800", "70.00"]
    assert tuned_side == ["360p 640x360", "400", "70.50", "27.5", "380 / 74.12"]
    assert compared == ["0.50", "+0.50"]
    assert rows["480p"][3:] == ["—", "—", "—", "—", "—", "", ""]
    assert rows["1080p"][6:] == ["23", "", "0.60", "-0.75"]  # no prediction given: left blank


def test_bd_rate_leaves_the_cellular_rung_out_and_every_rung_figure_keeps_it() -> None:
    tuned = [rung(h, FIXED_KBPS[h] * (1.0 if h == 234 else 0.6), FIXED_VMAF[h]) for h in SIZES]

    figures_ = title(tuned)

    assert figures_.bd_rate == pytest.approx(-40.0, abs=1e-6)  # 40 % fewer bits at every regular rung
    assert figures_.bd_rate_all_rungs is not None
    assert -40.0 < figures_.bd_rate_all_rungs < -10.0  # the shared cellular point pulls it toward 0


def test_bytes_ratio_top_rung_and_analysis_share_of_a_title() -> None:
    tuned = [rung(234, 80, 40.0), rung(480, 700, 80.0), rung(1080, 2000, 93.0),
             rung(1080, 1500, 99.0, name="1080p-1500k")]  # fmt: skip

    figures_ = title(tuned, analysis_cpu=30.0, encode_cpu=60.0)

    fixed_kbps = sum(FIXED_KBPS.values())  # every rung lasts 10 s: bytes are proportional to kbps
    assert figures_.bytes_ratio == pytest.approx((80 + 700 + 2000 + 1500) / fixed_kbps, rel=1e-4)
    assert figures_.top_vmaf == (95.0, 93.0)  # of two 1080p rungs, the one with more bits is the top
    assert figures_.top_drop == pytest.approx(-2.0)
    assert figures_.analysis_share == pytest.approx(0.5)


def test_a_title_whose_ladders_share_no_quality_range_has_no_bd_rate() -> None:
    tuned = [rung(720, 500, 20.0), rung(1080, 900, 30.0)]

    assert title(tuned).bd_rate is None


def test_overall_averages_bd_rates_but_sums_bytes_and_pools_cpu() -> None:
    cheap = [rung(h, FIXED_KBPS[h] * 0.5, FIXED_VMAF[h]) for h in SIZES]
    small = TitleFigures("small", [rung(360, 100, 70.0), rung(720, 300, 90.0)],
                         [rung(360, 100, 70.0), rung(720, 300, 90.0)], 10.0, 100.0, 100.0)  # fmt: skip
    unmeasurable = title([rung(720, 500, 20.0), rung(1080, 900, 30.0)], analysis_cpu=45.0, encode_cpu=50.0)

    summary = overall([title(cheap), small, unmeasurable])

    assert summary.bd_rate == pytest.approx((-50.0 + 0.0) / 2, abs=1e-6)  # the title without one is left out
    fixed = 2 * sum(FIXED_KBPS.values()) + 400
    tuned = sum(FIXED_KBPS.values()) * 0.5 + 400 + 1400
    assert summary.bytes_ratio == pytest.approx(tuned / fixed, rel=1e-3)  # not the mean of the ratios
    assert summary.worst_top_drop == pytest.approx(-65.0)  # 30 against the fixed top's 95
    assert summary.worst_analysis_share == pytest.approx(0.9)
    assert summary.analysis_share == pytest.approx((20.0 + 10.0 + 45.0) / (100.0 + 100.0 + 50.0))


def test_the_goals_are_judged_on_the_summary() -> None:
    good = title([rung(h, FIXED_KBPS[h] * 0.6, FIXED_VMAF[h] - (0.5 if h == 1080 else 0.0)) for h in SIZES])
    poor = title([rung(h, FIXED_KBPS[h] * 0.8, FIXED_VMAF[h]) for h in SIZES], analysis_cpu=80.0)

    met = {f.name: f.met for f in figures(overall([good]), "test")}
    missed = {f.name: f.met for f in figures(overall([poor]), "test")}

    assert all(met.values()) and len(met) == 4
    assert missed["BD-rate per-title vs fixed (mean)"] is False  # -20 %, the goal is -30 %
    assert missed["analysis CPU / encode CPU (worst)"] is False  # 0.8
    assert missed["video bytes per-title / fixed"] is True


def test_the_summary_has_a_row_per_title_then_the_overall_row() -> None:
    cheap = title([rung(h, FIXED_KBPS[h] * 0.5, FIXED_VMAF[h]) for h in SIZES], analysis_cpu=30.0)
    cheap.title, cheap.predicted_bd_rate = "animation", -45.25
    same = title(fixed_ladder(), analysis_cpu=70.0)
    same.title = "static"

    rows = summary_rows([cheap, same])

    assert [row[0] for row in rows] == ["animation", "static", "**overall**"]
    assert rows[0][1] == "-50.0 %" and rows[0][3] == "-45.2 %" and rows[0][4] == "0.500"
    assert rows[1][1:3] == ["+0.0 %", "+0.0 %"] and rows[1][3] == "n/a"
    assert rows[2][1] == "-25.0 %"  # the mean of the titles' BD-rates
    assert rows[2][-1] == "0.50 (worst 0.70)"  # (30 + 70) / (100 + 100), and the worst title's share
