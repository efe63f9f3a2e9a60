"""``hlsstudio-cli probe`` and ``doctor``: through the installed entry point and through ``main()``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hlsstudio import __version__
from hlsstudio.cli import main
from tests.mediagen import BAD_SAMPLES, GOOD_SAMPLES, MediaSet

USABLE = tuple(name for name in GOOD_SAMPLES if name != "truncated_mkv")

ONE_LINE_ERRORS = {
    "empty": "empty file (0 bytes)",
    "audio_only": "audio only: the file has no video stream",
    "cover_art_mp3": "audio only: the file has no video stream",
}


def cli_command() -> list[str]:
    script = Path(sys.executable).with_name("hlsstudio-cli")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from hlsstudio.cli import main; sys.exit(main())"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli_command(), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env=env or os.environ.copy(),
    )


def write_settings(home: Path, **fields: Any) -> None:
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps({"schema_version": 1, **fields}), encoding="utf-8")


def test_probe_json_reports_every_sample_and_fails_on_the_bad_ones(media: MediaSet) -> None:
    names = [*USABLE, *BAD_SAMPLES]
    paths = [media.sample(name) for name in names]
    done = run_cli("probe", "--json", *map(str, paths))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert [entry["path"] for entry in report] == [str(p) for p in paths]
    by_name = dict(zip(names, report, strict=True))
    for name in USABLE:
        entry = by_name[name]
        assert entry["ok"] is True, entry
        assert entry["info"]["path"] == str(media.sample(name))
    for name in BAD_SAMPLES:
        entry = by_name[name]
        assert entry["ok"] is False and set(entry) == {"path", "ok", "error"}
        assert entry["error"] and "\n" not in entry["error"]
        assert f"{media.sample(name)}: {entry['error']}" in done.stderr
    for name, message in ONE_LINE_ERRORS.items():
        assert by_name[name]["error"] == message
    assert "moov atom" in by_name["truncated_mp4"]["error"]

    info = {name: by_name[name]["info"] for name in USABLE}
    assert (info["h264_1080p"]["width"], info["h264_1080p"]["height"]) == (1920, 1080)
    assert info["h264_1080p"]["audio_streams"][0] == {
        "codec": "aac", "channels": 2, "channel_layout": "stereo", "sample_rate": 48000,
        "language": "und", "default": True,
    }  # fmt: skip
    assert (info["portrait_phone"]["width"], info["portrait_phone"]["height"]) == (360, 640)
    assert (info["rotated_metadata"]["rotation"], info["rotated_metadata"]["width"]) == (90, 180)
    assert (info["noaudio"]["container"], info["noaudio"]["audio_streams"]) == ("mkv", [])
    hdr = info["hevc_hdr10"]
    assert (hdr["video_codec"], hdr["bit_depth"], hdr["hdr"], hdr["color_transfer"]) == (
        "hevc",
        10,
        True,
        "smpte2084",
    )
    assert info["interlaced_mpeg2"]["interlaced"] is True
    assert [a["language"] for a in info["two_audio"]["audio_streams"]] == ["eng", "fra"]
    assert info["vfr"]["vfr"] is True
    assert "HDR (PQ): will be tone-mapped to SDR" in hdr["warnings"]


def test_probe_of_good_files_exits_0_with_a_summary(media: MediaSet) -> None:
    files = [media.sample("h264_1080p"), media.sample("two_audio")]
    done = run_cli("probe", *map(str, files))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    assert str(files[0]) in out and str(files[1]) in out
    assert "1920x1080" in out
    assert "fra (default)" in out
    assert "2 audio tracks: only track 2 (fra) is used" in out


def test_probe_summary_names_the_interesting_facts(
    media: MediaSet, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ("hevc_hdr10", "rotated_metadata", "interlaced_mpeg2", "vfr", "noaudio", "subtitled")
    status = main(["probe", *(str(media.sample(n)) for n in names)])
    out = capsys.readouterr().out
    assert status == 0
    for fact in ("10-bit HDR", "180x320 (coded 320x180)", "rotated 90°", "interlaced", "VFR",
                 "audio      none", "subtitles  eng"):  # fmt: skip
        assert fact in out, fact


def test_probe_failure_is_one_line_on_stderr_and_details_only_when_verbose(
    media: MediaSet, capsys: pytest.CaptureFixture[str]
) -> None:
    truncated = str(media.sample("truncated"))
    assert main(["probe", truncated]) == 1
    quiet = capsys.readouterr()
    assert quiet.out == ""
    assert quiet.err.strip().count("\n") == 0
    assert quiet.err.startswith(f"{truncated}: incomplete MP4")
    assert main(["-v", "probe", truncated]) == 1
    verbose = capsys.readouterr()
    assert "moov atom not found" in verbose.err  # ffprobe's own stderr as the detail


def test_probe_json_of_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.mp4"
    assert main(["probe", "--json", str(missing)]) == 1
    out = capsys.readouterr()
    assert json.loads(out.out) == [{"path": str(missing), "ok": False, "error": f"file not found: {missing}"}]


def test_probe_uses_the_ffprobe_from_the_settings(
    media: MediaSet, hlsstudio_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_settings(hlsstudio_home, ffprobe_path=str(tmp_path / "missing-ffprobe"))
    assert main(["probe", str(media.sample("tiny"))]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ffprobe not found at")
    assert "Traceback" not in err


def test_doctor_json_on_this_machine(ffmpeg_bin: str, ffprobe_bin: str) -> None:
    done = run_cli("doctor", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    assert doc["ok"] is True
    assert doc["ffmpeg"]["found"] is True and doc["ffprobe"]["found"] is True
    assert doc["ffmpeg"]["path"] == ffmpeg_bin and doc["ffprobe"]["path"] == ffprobe_bin
    assert doc["ffmpeg"]["version"]
    assert doc["encoders"]["libx264"] is True
    assert set(doc["filters"]) == {"zscale", "tonemap", "libvmaf", "bwdif", "yadif"}
    assert set(doc["nvenc"]) == {"usable", "reason"}
    assert doc["platform"]


def test_doctor_text_says_ready(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "status    ready"
    assert "libx264 yes" in out
    assert "NVENC" in out


def test_doctor_exits_1_and_names_a_missing_binary(tmp_path: Path) -> None:
    env = os.environ.copy()
    env["HLSSTUDIO_FFPROBE"] = str(tmp_path / "no-ffprobe")
    done = run_cli("doctor", env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "ffprobe   MISSING" in done.stdout
    assert "(HLSSTUDIO_FFPROBE)" in done.stdout
    assert "not ready" in done.stdout
    as_json = json.loads(run_cli("doctor", "--json", env=env).stdout)
    assert as_json["ok"] is False
    assert as_json["ffprobe"]["found"] is False and as_json["ffmpeg"]["found"] is True


def test_doctor_exits_1_when_nothing_is_installed(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HLSSTUDIO_FF")}
    env["PATH"] = str(tmp_path)  # the interpreter and the script are started by absolute path
    done = run_cli("doctor", env=env)
    assert done.returncode == 1, done.stdout
    assert "ffmpeg    MISSING — ffmpeg not found: install" in done.stdout
    assert "ffprobe   MISSING — ffprobe not found: install" in done.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in build is a shell script")
def test_doctor_exits_1_for_a_build_without_libx264(
    ffmpeg_bin: str, hlsstudio_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_x264 = tmp_path / "ffmpeg"
    no_x264.write_text(f'#!/bin/sh\n"{ffmpeg_bin}" "$@" | grep -v libx264\n', encoding="utf-8")
    no_x264.chmod(0o755)
    write_settings(hlsstudio_home, ffmpeg_path=str(no_x264))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "MISSING   libx264 encoder (required)" in out
    assert str(no_x264) in out and "(from settings)" in out


def test_version_flag() -> None:
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"hlsstudio {__version__}"
