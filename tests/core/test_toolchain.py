"""Finding ffmpeg/ffprobe, reading what they can do, and the capability cache — with the real binaries.

Binaries are the real ones, linked or copied into temporary folders; PATH and the environment are
changed per test with monkeypatch, and every test has its own HLSSTUDIO_HOME (see conftest).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hlsstudio.core.errors import HlsStudioError, ToolchainError
from hlsstudio.core.toolchain import (
    capabilities,
    find_binary,
    install_hint,
    locate_toolchain,
    nvenc_failure_reason,
    probe_capabilities,
    read_version,
)

REAL = {name: shutil.which(name) or f"/usr/bin/{name}" for name in ("ffmpeg", "ffprobe")}
APT_GET = shutil.which("apt-get")
IN_A_NEW_PROCESS = (
    "import sys; from hlsstudio.core.toolchain import capabilities; print(capabilities(sys.argv[1]).version)"
)


def linked(folder: Path, name: str, target: str | None = None) -> Path:
    """``folder/name`` as a symlink to the real binary (or ``target``)."""
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / name
    link.symlink_to(target or REAL[name])
    return link


def copied_ffmpeg(folder: Path) -> Path:
    """A real copy of ffmpeg (its own inode, so touching it leaves the system binary alone)."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(REAL["ffmpeg"], folder / "ffmpeg"))


def version_line(binary: str) -> str:
    out = subprocess.run([binary, "-version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"version\s+(\S+)", out.splitlines()[0])
    assert match
    return match.group(1)


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No HLSSTUDIO_FFMPEG/FFPROBE and a PATH of one empty folder (returned)."""
    monkeypatch.delenv("HLSSTUDIO_FFMPEG", raising=False)
    monkeypatch.delenv("HLSSTUDIO_FFPROBE", raising=False)
    empty = tmp_path / "path-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


# --- where the binaries are found ----------------------------------------------------------------


def test_settings_path_beats_the_environment_which_beats_path(
    isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path = linked(isolated, "ffmpeg")
    from_env = linked(tmp_path / "env-bin", "ffmpeg")
    from_settings = linked(tmp_path / "settings-bin", "ffmpeg")
    monkeypatch.setenv("HLSSTUDIO_FFMPEG", str(from_env))

    assert find_binary("ffmpeg", str(from_settings)) == (str(from_settings), "settings")
    assert find_binary("ffmpeg") == (str(from_env), "HLSSTUDIO_FFMPEG")
    monkeypatch.delenv("HLSSTUDIO_FFMPEG")
    assert find_binary("ffmpeg") == (str(on_path), "PATH")
    assert find_binary("ffmpeg", "") == (str(on_path), "PATH")  # an empty setting means "not set"


def test_ffprobe_has_its_own_environment_variable(
    isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = linked(tmp_path / "env-bin", "ffprobe")
    monkeypatch.setenv("HLSSTUDIO_FFPROBE", str(probe))
    monkeypatch.setenv("HLSSTUDIO_FFMPEG", str(tmp_path / "nowhere"))
    assert find_binary("ffprobe") == (str(probe), "HLSSTUDIO_FFPROBE")


def test_missing_ffmpeg_says_how_to_install_it(isolated: Path) -> None:
    with pytest.raises(ToolchainError) as caught:
        find_binary("ffmpeg")
    assert isinstance(caught.value, HlsStudioError)
    assert caught.value.message == f"ffmpeg not found: {install_hint()}"
    assert "\n" not in caught.value.message


@pytest.mark.skipif(APT_GET is None, reason="not a Debian-family system")
def test_on_debian_the_hint_is_apt_get(isolated: Path) -> None:
    linked(isolated, "apt-get", APT_GET)
    with pytest.raises(ToolchainError) as caught:
        find_binary("ffprobe")
    assert caught.value.message == "ffprobe not found: install it with: sudo apt-get install ffmpeg"


def test_a_setting_or_variable_pointing_nowhere_is_an_error_not_skipped(
    isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linked(isolated, "ffmpeg")  # PATH would have one: it must not be used silently
    gone = tmp_path / "gone" / "ffmpeg"
    with pytest.raises(ToolchainError) as caught:
        find_binary("ffmpeg", str(gone))
    assert caught.value.message == f"ffmpeg not found at {gone} (set in HLS Studio settings)"
    monkeypatch.setenv("HLSSTUDIO_FFMPEG", str(gone))
    with pytest.raises(ToolchainError) as caught:
        find_binary("ffmpeg")
    assert caught.value.message == f"ffmpeg not found at {gone} (HLSSTUDIO_FFMPEG)"


def test_locate_toolchain_reads_both_versions(isolated: Path, tmp_path: Path) -> None:
    ffmpeg = linked(tmp_path / "a", "ffmpeg")
    ffprobe = linked(isolated, "ffprobe")
    chain = locate_toolchain(str(ffmpeg), None)
    assert (chain.ffmpeg, chain.ffmpeg_source) == (str(ffmpeg), "settings")
    assert (chain.ffprobe, chain.ffprobe_source) == (str(ffprobe), "PATH")
    assert chain.ffprobe_version == version_line(REAL["ffprobe"])
    assert chain.capabilities.version == version_line(REAL["ffmpeg"])


def test_something_that_is_not_ffmpeg_is_refused(tmp_path: Path) -> None:
    impostor = tmp_path / "ffmpeg"
    impostor.write_text("#!/bin/sh\necho hello\n", encoding="utf-8")
    impostor.chmod(0o755)
    with pytest.raises(ToolchainError, match="does not look like FFmpeg"):
        read_version(str(impostor))
    with pytest.raises(ToolchainError, match="cannot run"):
        read_version(str(tmp_path / "missing"))


# --- what the build can do ---------------------------------------------------------------------


def listed(flag: str) -> set[str]:
    out = subprocess.run(
        [REAL["ffmpeg"], "-hide_banner", flag], capture_output=True, text=True, check=True
    ).stdout
    return {line.split()[1] for line in out.splitlines() if len(line.split()) > 1}


def test_capabilities_match_what_the_build_lists() -> None:
    caps = probe_capabilities(REAL["ffmpeg"])
    encoders, filters = listed("-encoders"), listed("-filters")
    assert caps.encoders == {name: name in encoders for name in caps.encoders}
    assert caps.filters == {name: name in filters for name in caps.filters}
    assert caps.encoders["libx264"] is True
    assert caps.version == version_line(REAL["ffmpeg"])
    assert caps.can_tonemap == ("zscale" in filters and "tonemap" in filters)
    assert caps.deinterlacer == ("bwdif" if "bwdif" in filters else "yadif" if "yadif" in filters else None)


@pytest.mark.skipif(Path("/dev/nvidia0").exists(), reason="this machine has an NVIDIA GPU")
def test_nvenc_is_listed_but_not_usable_without_a_gpu() -> None:
    caps = probe_capabilities(REAL["ffmpeg"])
    if not caps.encoders["h264_nvenc"]:
        assert caps.nvenc_reason == "this FFmpeg build has no h264_nvenc encoder"
        return
    assert caps.nvenc_usable is False
    assert caps.nvenc_reason.startswith("no usable NVIDIA GPU/driver (")
    assert "@ 0x" not in caps.nvenc_reason and "[" not in caps.nvenc_reason
    assert "\n" not in caps.nvenc_reason


def test_nvenc_failure_reason_drops_the_log_prefix() -> None:
    stderr = (
        "[h264_nvenc @ 0x55d1c0a3e2c0] Cannot load libcuda.so.1\n"
        "Error initializing output stream 0:0 -- Error while opening encoder for output stream #0:0\n"
    )
    assert nvenc_failure_reason(stderr) == "no usable NVIDIA GPU/driver (Cannot load libcuda.so.1)"
    assert (
        nvenc_failure_reason(
            "[h264_nvenc @ 0x7f00aa] [error] OpenEncodeSessionEx failed: no encode device (1)\n"
        )
        == "no usable NVIDIA GPU/driver ([error] OpenEncodeSessionEx failed: no encode device (1))"
    )
    assert nvenc_failure_reason("Conversion failed!\n") == "no usable NVIDIA GPU/driver"
    assert nvenc_failure_reason("") == "no usable NVIDIA GPU/driver"


def test_a_build_without_nvenc_is_reported_without_a_trial(tmp_path: Path) -> None:
    wrapper = tmp_path / "ffmpeg"
    wrapper.write_text(f'#!/bin/sh\n"{REAL["ffmpeg"]}" "$@" | grep -v nvenc\n', encoding="utf-8")
    wrapper.chmod(0o755)
    caps = probe_capabilities(str(wrapper))
    assert caps.encoders["h264_nvenc"] is False and caps.encoders["libx264"] is True
    assert (caps.nvenc_usable, caps.nvenc_reason) == (False, "this FFmpeg build has no h264_nvenc encoder")


# --- the capability cache ----------------------------------------------------------------------


def cache_file(home: Path) -> Path:
    return home / "cache" / "toolchain.json"


def cache_entries(home: Path) -> dict[str, dict[str, object]]:
    doc = json.loads(cache_file(home).read_text(encoding="utf-8"))
    assert doc["version"] == 2
    entries: dict[str, dict[str, object]] = doc["entries"]
    return entries


def key_of(binary: Path) -> str:
    st = binary.resolve().stat()
    return f"{binary.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def capabilities_in_a_new_process(binary: Path) -> str:
    """The cached-or-probed version string, from a fresh interpreter (empty memory cache)."""
    done = subprocess.run(
        [sys.executable, "-c", IN_A_NEW_PROCESS, str(binary)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def test_capabilities_are_cached_on_disk_per_path_and_mtime(tmp_path: Path, hlsstudio_home: Path) -> None:
    ffmpeg = copied_ffmpeg(tmp_path / "bin")
    caps = capabilities(str(ffmpeg))
    entries = cache_entries(hlsstudio_home)
    assert list(entries) == [key_of(ffmpeg)]
    assert entries[key_of(ffmpeg)] == caps.model_dump()
    assert caps.nvenc_reason == entries[key_of(ffmpeg)]["nvenc_reason"]

    # a new process answers from the disk cache: prove it by marking the cached entry
    entries[key_of(ffmpeg)]["version"] = "cached-answer"
    cache_file(hlsstudio_home).write_text(json.dumps({"version": 2, "entries": entries}), encoding="utf-8")
    assert capabilities_in_a_new_process(ffmpeg) == "cached-answer"

    # touching the binary (an upgrade in place) makes a new key: probed again, both entries kept
    later = ffmpeg.stat().st_mtime_ns + 5_000_000_000
    os.utime(ffmpeg, ns=(later, later))
    assert capabilities_in_a_new_process(ffmpeg) == version_line(REAL["ffmpeg"])
    entries = cache_entries(hlsstudio_home)
    assert len(entries) == 2 and key_of(ffmpeg) in entries
    assert entries[key_of(ffmpeg)]["version"] == version_line(REAL["ffmpeg"])


def test_within_a_process_the_memory_cache_answers(tmp_path: Path, hlsstudio_home: Path) -> None:
    ffmpeg = copied_ffmpeg(tmp_path / "bin")
    first = capabilities(str(ffmpeg))
    cache_file(hlsstudio_home).unlink()
    assert capabilities(str(ffmpeg)) == first
    assert not cache_file(hlsstudio_home).exists()  # not probed, not written again
    assert capabilities(str(ffmpeg), refresh=True) == first
    assert list(cache_entries(hlsstudio_home)) == [key_of(ffmpeg)]  # refresh probes and writes


def test_a_damaged_or_old_disk_cache_is_ignored(tmp_path: Path, hlsstudio_home: Path) -> None:
    ffmpeg = copied_ffmpeg(tmp_path / "bin")
    cache_file(hlsstudio_home).parent.mkdir(parents=True, exist_ok=True)
    for junk in ("{ not json", json.dumps({"version": 1, "entries": {key_of(ffmpeg): {"version": "old"}}})):
        cache_file(hlsstudio_home).write_text(junk, encoding="utf-8")
        assert capabilities_in_a_new_process(ffmpeg) == version_line(REAL["ffmpeg"])
        assert list(cache_entries(hlsstudio_home)) == [key_of(ffmpeg)]
