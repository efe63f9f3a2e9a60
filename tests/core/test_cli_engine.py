"""``hlsstudio-cli probe`` and ``doctor``: in-process through ``main`` and as the installed command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hlsstudio.cli import main
from hlsstudio.core.settings import AppSettings, save_settings
from tests.mediagen import MediaSet

GOOD = ("h264_1080p", "portrait_phone", "rotated_metadata", "noaudio", "hevc_hdr10", "interlaced_mpeg2",
        "two_audio", "vfr")  # fmt: skip
BAD = {
    "empty": "empty file (0 bytes)",
    "text_as_mp4": "not a media file, or its container is damaged",
    "audio_only": "audio only: the file has no video stream",
    "truncated_mp4": "incomplete MP4: the moov atom is missing (file cut off while copying or recording)",
}
INFO_KEYS = {
    "path", "container", "duration", "size", "bit_rate", "video_codec", "profile", "coded_width",
    "coded_height", "width", "height", "rotation", "fps", "vfr", "pix_fmt", "bit_depth", "color_transfer",
    "color_primaries", "hdr", "interlaced", "audio_streams", "subtitle_streams", "warnings",
}  # fmt: skip


def cli_command() -> list[str]:
    """The installed ``hlsstudio-cli`` console script (or the same entry point through python)."""
    script = Path(sys.executable).with_name("hlsstudio-cli")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from hlsstudio.cli import main; sys.exit(main())"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli_command(), *args], capture_output=True, text=True, timeout=180, env=env, check=False
    )


@pytest.fixture
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """ffmpeg/ffprobe found on PATH, not through HLSSTUDIO_FFMPEG/FFPROBE."""
    monkeypatch.delenv("HLSSTUDIO_FFMPEG", raising=False)
    monkeypatch.delenv("HLSSTUDIO_FFPROBE", raising=False)


def no_ffmpeg_env(tmp_path: Path) -> dict[str, str]:
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("HLSSTUDIO_FFMPEG", "HLSSTUDIO_FFPROBE")}
    env["PATH"] = str(empty)
    return env


def by_name(entries: list[dict[str, Any]], media: MediaSet, names: list[str]) -> dict[str, dict[str, Any]]:
    assert [e["path"] for e in entries] == [str(media[n]) for n in names]  # input order kept
    return dict(zip(names, entries, strict=True))


# --- probe ----------------------------------------------------------------------------------------


def test_probe_json_reports_every_source(
    media: MediaSet, plain_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    names = list(GOOD)
    assert main(["probe", "--json", *(str(media[n]) for n in names)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    entries = by_name(json.loads(out), media, names)
    for name, entry in entries.items():
        assert set(entry) == {"path", "ok", "info"} and entry["ok"] is True, name
        assert set(entry["info"]) == INFO_KEYS, name
        assert entry["info"]["path"] == str(media[name])
    info = {name: entry["info"] for name, entry in entries.items()}
    assert (info["h264_1080p"]["width"], info["h264_1080p"]["height"], info["h264_1080p"]["fps"]) == (
        1920,
        1080,
        25.0,
    )
    assert info["h264_1080p"]["audio_streams"] == [
        {"codec": "aac", "channels": 2, "channel_layout": "stereo", "sample_rate": 48000, "language": "und",
         "default": True}
    ]  # fmt: skip
    assert (info["portrait_phone"]["width"], info["portrait_phone"]["height"]) == (360, 640)
    rotated = info["rotated_metadata"]
    assert (rotated["rotation"], rotated["coded_width"], rotated["width"], rotated["height"]) == (
        90,
        320,
        180,
        320,
    )
    assert info["noaudio"]["audio_streams"] == [] and info["noaudio"]["container"] == "mkv"
    hdr = info["hevc_hdr10"]
    assert (hdr["hdr"], hdr["bit_depth"], hdr["color_transfer"], hdr["color_primaries"]) == (
        True,
        10,
        "smpte2084",
        "bt2020",
    )
    assert "HDR (PQ): will be tone-mapped to SDR" in hdr["warnings"]
    assert info["interlaced_mpeg2"]["interlaced"] is True
    assert [(a["language"], a["default"]) for a in info["two_audio"]["audio_streams"]] == [
        ("eng", False),
        ("fra", True),
    ]
    assert [n for n in names if info[n]["vfr"]] == ["vfr"]


def test_probe_json_with_bad_files_exits_1_with_one_line_each(
    media: MediaSet, plain_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ["tiny", *BAD]
    assert main(["probe", "--json", *(str(media[n]) for n in names)]) == 1
    out, err = capsys.readouterr()
    entries = by_name(json.loads(out), media, names)
    assert entries["tiny"]["ok"] is True
    for name, message in BAD.items():
        assert entries[name] == {"path": str(media[name]), "ok": False, "error": message}
    assert err.splitlines() == [f"{media[name]}: {message}" for name, message in BAD.items()]
    assert "Traceback" not in out + err


def test_probe_prints_a_readable_summary(
    media: MediaSet, plain_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["probe", str(media.two_audio), str(media.rotated_metadata)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == str(media.two_audio)
    assert "video      h264 (Constrained Baseline), 320x180, 25 fps, yuv420p 8-bit" in out
    assert "  audio 2    aac, stereo, 48000 Hz, fra (default)" in lines
    assert "  warning    2 audio tracks: only track 2 (fra) is used" in lines
    assert "180x320 (coded 320x180)" in out and "rotated 90°" in out


def test_probe_verbose_adds_the_technical_detail(
    media: MediaSet, plain_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-v", "probe", str(media.truncated_mp4)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"{media.truncated_mp4}: {BAD['truncated_mp4']}"
    assert "moov atom not found" in err


def test_probe_without_ffprobe_is_one_line(
    media: MediaSet,
    tmp_path: Path,
    plain_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["probe", str(media.tiny)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("error: ffprobe not found: ")


def test_probe_uses_the_ffprobe_from_the_settings(
    media: MediaSet,
    tmp_path: Path,
    plain_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real = shutil.which("ffprobe")
    assert real
    monkeypatch.setenv("PATH", str(tmp_path))  # not findable any other way
    chosen = tmp_path / "tools" / "ffprobe"
    chosen.parent.mkdir()
    chosen.symlink_to(real)
    save_settings(AppSettings(ffprobe_path=str(chosen)))
    assert main(["probe", "--json", str(media.tiny)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["info"]["width"] == 160
    save_settings(AppSettings(ffprobe_path=str(tmp_path / "gone")))
    assert main(["probe", str(media.tiny)]) == 1
    assert (
        capsys.readouterr().err
        == f"error: ffprobe not found at {tmp_path / 'gone'} (set in HLS Studio settings)\n"
    )


def test_installed_command_probe_json(media: MediaSet, tmp_path: Path) -> None:
    missing = tmp_path / "not here.mp4"
    done = run_cli("probe", "--json", str(media.hevc_hdr10), str(media.audio_only), str(missing))
    assert done.returncode == 1
    entries = json.loads(done.stdout)
    assert [(e["path"], e["ok"]) for e in entries] == [
        (str(media.hevc_hdr10), True),
        (str(media.audio_only), False),
        (str(missing), False),
    ]
    assert (entries[0]["info"]["hdr"], entries[0]["info"]["bit_depth"]) == (True, 10)
    assert entries[1]["error"] == BAD["audio_only"]
    assert entries[2]["error"] == f"file not found: {missing}"
    assert done.stderr.splitlines() == [
        f"{media.audio_only}: {BAD['audio_only']}",
        f"{missing}: file not found: {missing}",
    ]
    assert "Traceback" not in done.stdout + done.stderr


def test_installed_command_usage_error_is_not_a_traceback() -> None:
    done = run_cli("probe")
    assert done.returncode == 2
    assert "usage:" in done.stderr and "Traceback" not in done.stderr


# --- doctor ---------------------------------------------------------------------------------------


def test_doctor_json_on_this_machine(plain_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True
    for name in ("ffmpeg", "ffprobe"):
        assert doc[name]["found"] is True
        assert (doc[name]["path"], doc[name]["source"]) == (shutil.which(name), "PATH")
        assert doc[name]["version"]
    assert doc["encoders"]["libx264"] is True
    assert set(doc["filters"]) >= {"zscale", "tonemap", "bwdif", "yadif"}
    assert set(doc["nvenc"]) == {"usable", "reason"}
    if not doc["nvenc"]["usable"]:
        assert "@ 0x" not in doc["nvenc"]["reason"]
        assert doc["nvenc"]["reason"].startswith(("no usable NVIDIA GPU/driver", "this FFmpeg build has no"))
    assert "missing" not in doc


def test_doctor_text_says_ready(plain_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "status    ready"
    assert f"{shutil.which('ffmpeg')}  (from PATH)" in out
    assert "NVENC     " in out


def test_installed_doctor_without_ffmpeg_on_path_exits_1(tmp_path: Path) -> None:
    done = run_cli("doctor", env=no_ffmpeg_env(tmp_path))
    assert done.returncode == 1
    assert "ffmpeg    MISSING — ffmpeg not found: " in done.stdout
    assert "ffprobe   MISSING — ffprobe not found: " in done.stdout
    assert done.stdout.splitlines()[-1] == "status    not ready: fix what is MISSING above"
    assert "Traceback" not in done.stdout + done.stderr

    as_json = run_cli("doctor", "--json", env=no_ffmpeg_env(tmp_path))
    assert as_json.returncode == 1
    doc = json.loads(as_json.stdout)
    assert doc["ok"] is False
    assert doc["ffmpeg"]["found"] is False and doc["ffmpeg"]["error"].startswith("ffmpeg not found: ")
    assert "encoders" not in doc


def test_installed_doctor_exits_0_here() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("HLSSTUDIO_FFMPEG", "HLSSTUDIO_FFPROBE")}
    done = run_cli("doctor", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "status    ready"
