"""``hlsstudio-cli probe`` and ``doctor`` with the real ffmpeg: as the installed command and in-process.

The installed console script (next to the interpreter) runs ``probe --json``, ``doctor --json``, a
usage error and ``--version``; everything else goes through ``hlsstudio.cli.main`` with capsys. What
a probe finds in each sample is pinned in ``test_probe_files.py``: here the CLI must report exactly
that, in order, with one line per failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hlsstudio import __version__
from hlsstudio.cli import main
from hlsstudio.core.probe import probe_file
from hlsstudio.core.settings import AppSettings, save_settings
from tests.mediasamples import BAD_SAMPLES, GOOD_SAMPLES, MediaSet

# damaged-but-readable sources are the transcoder's business; every other good sample must probe
USABLE = tuple(name for name in GOOD_SAMPLES if name != "truncated_mkv")
ERRORS = {
    "empty": "empty file (0 bytes)",
    "text_as_mp4": "not a media file, or its container is damaged",
    "audio_only": "audio only: the file has no video stream",
    "truncated_mp4": "incomplete MP4: the moov atom is missing (file cut off while copying or recording)",
    "cover_art_mp3": "audio only: the file has no video stream",
}


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


def plain_environ() -> dict[str, str]:
    """This environment without HLSSTUDIO_FFMPEG/FFPROBE: ffmpeg and ffprobe come from PATH."""
    return {k: v for k, v in os.environ.items() if k not in ("HLSSTUDIO_FFMPEG", "HLSSTUDIO_FFPROBE")}


@pytest.fixture
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """ffmpeg/ffprobe found on PATH, not through HLSSTUDIO_FFMPEG/FFPROBE."""
    monkeypatch.delenv("HLSSTUDIO_FFMPEG", raising=False)
    monkeypatch.delenv("HLSSTUDIO_FFPROBE", raising=False)


# --- probe ----------------------------------------------------------------------------------------


def test_installed_command_probe_json_reports_every_sample_and_fails_on_the_bad_ones(
    media: MediaSet, ffprobe_bin: str, tmp_path: Path
) -> None:
    missing = tmp_path / "not here.mp4"
    names = [*USABLE, *BAD_SAMPLES]
    paths = [media[name] for name in names]
    done = run_cli("probe", "--json", *map(str, paths), str(missing))
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    entries: list[dict[str, Any]] = json.loads(done.stdout)
    assert [e["path"] for e in entries] == [*map(str, paths), str(missing)]  # input order kept
    by_name = dict(zip(names, entries[:-1], strict=True))
    for name in USABLE:
        entry = by_name[name]
        assert set(entry) == {"path", "ok", "info", "tracks"} and entry["ok"] is True, name
        # exactly what probe_file finds (every field: see test_probe_files.py and test_probe_parse.py)
        assert entry["info"] == probe_file(ffprobe_bin, media[name]).model_dump(mode="json"), name
    assert set(ERRORS) == set(BAD_SAMPLES)
    for name, message in ERRORS.items():
        assert by_name[name] == {"path": str(media[name]), "ok": False, "error": message}
    assert entries[-1] == {"path": str(missing), "ok": False, "error": f"file not found: {missing}"}
    assert done.stderr.splitlines() == [
        *(f"{media[name]}: {ERRORS[name]}" for name in BAD_SAMPLES),
        f"{missing}: file not found: {missing}",
    ]


def test_probe_prints_a_readable_summary(
    media: MediaSet, plain_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ("two_audio", "rotated_metadata", "h264_1080p", "hevc_hdr10", "interlaced_mpeg2", "vfr",
             "noaudio", "subtitled")  # fmt: skip
    assert main(["probe", *(str(media[n]) for n in names)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == str(media.two_audio)
    assert all(str(media[n]) in lines for n in names)
    assert "video      h264 (Constrained Baseline), 320x180, 25 fps, yuv420p 8-bit" in out
    assert "  audio 2    aac, stereo, 48000 Hz, fra (default)" in lines
    assert "  audio 1    aac, stereo, 48000 Hz, eng" in lines  # every track is carried: no warning
    assert not any(line.startswith("  warning") for line in lines[: lines.index(str(media.rotated_metadata))])
    for fact in ("1920x1080", "10-bit HDR", "180x320 (coded 320x180)", "rotated 90°", "interlaced", "VFR",
                 "audio      none", "subtitle 1 subrip, eng, text"):  # fmt: skip
        assert fact in out, fact


def test_probe_failure_is_one_line_and_verbose_adds_the_technical_detail(
    media: MediaSet, plain_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    truncated = media.truncated_mp4
    assert main(["probe", str(truncated)]) == 1
    quiet = capsys.readouterr()
    assert quiet.out == ""
    assert quiet.err.splitlines() == [f"{truncated}: {ERRORS['truncated_mp4']}"]
    assert main(["-v", "probe", str(truncated)]) == 1
    verbose = capsys.readouterr().err
    assert verbose.splitlines()[0] == f"{truncated}: {ERRORS['truncated_mp4']}"
    assert "moov atom not found" in verbose  # ffprobe's own stderr as the detail


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
    out, err = capsys.readouterr()
    assert (json.loads(out)[0]["info"]["width"], err) == (160, "")
    save_settings(AppSettings(ffprobe_path=str(tmp_path / "gone")))
    assert main(["probe", str(media.tiny)]) == 1
    assert (
        capsys.readouterr().err
        == f"error: ffprobe not found at {tmp_path / 'gone'} (set in HLS Studio settings)\n"
    )


def test_installed_command_usage_error_is_not_a_traceback() -> None:
    done = run_cli("probe")
    assert done.returncode == 2
    assert "usage:" in done.stderr and "Traceback" not in done.stderr


def test_installed_command_version_flag() -> None:
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"hlsstudio {__version__}"


# --- doctor ---------------------------------------------------------------------------------------


def test_installed_doctor_json_on_this_machine(ffmpeg_bin: str, ffprobe_bin: str) -> None:
    done = run_cli("doctor", "--json", env=plain_environ())
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    assert doc["ok"] is True
    assert doc["platform"]
    for name, binary in (("ffmpeg", ffmpeg_bin), ("ffprobe", ffprobe_bin)):
        assert doc[name]["found"] is True
        assert (doc[name]["path"], doc[name]["source"]) == (binary, "PATH")
        assert doc[name]["version"]
    assert doc["encoders"]["libx264"] is True
    assert set(doc["filters"]) == {"zscale", "tonemap", "libvmaf", "bwdif", "yadif"}
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
    assert "libx264 yes" in out
    assert "NVENC     " in out


def test_doctor_exits_1_and_names_a_missing_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HLSSTUDIO_FFMPEG", raising=False)
    monkeypatch.setenv("HLSSTUDIO_FFPROBE", str(tmp_path / "no-ffprobe"))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "ffprobe   MISSING" in out
    assert "(HLSSTUDIO_FFPROBE)" in out
    assert "not ready" in out
    assert main(["doctor", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False
    assert doc["ffprobe"]["found"] is False and doc["ffmpeg"]["found"] is True


def test_doctor_without_ffmpeg_on_path_exits_1(
    tmp_path: Path, plain_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["doctor"]) == 1
    out, err = capsys.readouterr()
    assert "ffmpeg    MISSING — ffmpeg not found: install" in out
    assert "ffprobe   MISSING — ffprobe not found: install" in out
    assert out.splitlines()[-1] == "status    not ready: fix what is MISSING above"
    assert "Traceback" not in out + err

    assert main(["doctor", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False
    assert doc["ffmpeg"]["found"] is False and doc["ffmpeg"]["error"].startswith("ffmpeg not found: ")
    assert "encoders" not in doc


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in build is a shell script")
def test_doctor_exits_1_for_a_build_without_libx264(
    ffmpeg_bin: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_x264 = tmp_path / "ffmpeg"
    no_x264.write_text(f'#!/bin/sh\n"{ffmpeg_bin}" "$@" | grep -v libx264\n', encoding="utf-8")
    no_x264.chmod(0o755)
    save_settings(AppSettings(ffmpeg_path=str(no_x264)))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "MISSING   libx264 encoder (required)" in out
    assert str(no_x264) in out and "(from settings)" in out
