"""The real ffmpeg/ffprobe: versions, capabilities, the NVENC trial and the capability cache.

The real binaries are linked into temporary folders, or wrapped in shell scripts that count their
runs or hide encoders to stand in for other FFmpeg builds; the code under test runs unchanged. Every
test has its own HLSSTUDIO_HOME (see conftest), so its own disk cache. Where the binaries are looked
for is in ``tests/core/test_toolchain_lookup.py``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hlsstudio.core.errors import ToolchainError
from hlsstudio.core.toolchain import (
    CACHE_VERSION,
    ENCODERS,
    FILTERS,
    capabilities,
    locate_toolchain,
    probe_capabilities,
    read_version,
)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in builds are POSIX shell scripts")


def version_line(binary: str) -> str:
    out = subprocess.run([binary, "-version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"version\s+(\S+)", out.splitlines()[0])
    assert match
    return match.group(1)


def linked(folder: Path, name: str, target: str) -> Path:
    """``folder/name`` as a symlink to ``target``."""
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / name
    link.symlink_to(target)
    return link


def wrapper(folder: Path, real: str, *, hide: str = "", count_to: Path | None = None) -> Path:
    """A script that runs the real binary; ``hide`` drops matching lines from its output."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ffmpeg"
    lines = ["#!/bin/sh"]
    if count_to:
        lines.append(f'echo "$*" >> "{count_to}"')
    if hide:
        lines.append(f'"{real}" "$@" | grep -v -E "{hide}"')
        lines.append("exit 0")
    else:
        lines.append(f'exec "{real}" "$@"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def runs(count_file: Path) -> list[str]:
    return count_file.read_text(encoding="utf-8").splitlines() if count_file.exists() else []


# --- versions and where they come from ---------------------------------------------------------


def test_versions_are_read_from_the_binaries(ffmpeg_bin: str, ffprobe_bin: str) -> None:
    assert read_version(ffmpeg_bin) == version_line(ffmpeg_bin)
    assert read_version(ffprobe_bin) == version_line(ffprobe_bin)


def test_locate_toolchain_reads_both_versions(
    ffmpeg_bin: str, ffprobe_bin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HLSSTUDIO_FFMPEG", raising=False)
    monkeypatch.delenv("HLSSTUDIO_FFPROBE", raising=False)
    on_path = tmp_path / "path-bin"
    ffmpeg, ffprobe = linked(on_path, "ffmpeg", ffmpeg_bin), linked(on_path, "ffprobe", ffprobe_bin)
    monkeypatch.setenv("PATH", str(on_path))
    chain = locate_toolchain()
    assert (chain.ffmpeg, chain.ffmpeg_source) == (str(ffmpeg), "PATH")
    assert (chain.ffprobe, chain.ffprobe_source) == (str(ffprobe), "PATH")
    assert chain.ffprobe_version == version_line(ffprobe_bin)
    assert chain.capabilities.version == version_line(ffmpeg_bin)

    chosen = linked(tmp_path / "settings-bin", "ffmpeg", ffmpeg_bin)
    chain = locate_toolchain(str(chosen), None)
    assert (chain.ffmpeg, chain.ffmpeg_source) == (str(chosen), "settings")
    assert (chain.ffprobe, chain.ffprobe_source) == (str(ffprobe), "PATH")


@posix_only
def test_something_that_is_not_ffmpeg_is_refused(tmp_path: Path) -> None:
    impostor = tmp_path / "ffmpeg"
    impostor.write_text("#!/bin/sh\necho 'hello from a shell script'\n", encoding="utf-8")
    impostor.chmod(0o755)
    with pytest.raises(ToolchainError, match="does not look like FFmpeg"):
        read_version(str(impostor))
    with pytest.raises(ToolchainError, match="cannot run"):
        read_version(str(tmp_path / "absent"))


# --- what the build can do ---------------------------------------------------------------------


def listed(ffmpeg: str, flag: str) -> set[str]:
    out = subprocess.run([ffmpeg, "-hide_banner", flag], capture_output=True, text=True, check=True).stdout
    return {line.split()[1] for line in out.splitlines() if len(line.split()) > 1}


def test_capabilities_match_what_the_build_lists(ffmpeg_bin: str) -> None:
    caps = probe_capabilities(ffmpeg_bin)
    encoders, filters = listed(ffmpeg_bin, "-encoders"), listed(ffmpeg_bin, "-filters")
    assert caps.encoders == {name: name in encoders for name in ENCODERS}
    assert caps.filters == {name: name in filters for name in FILTERS}
    assert caps.encoders["libx264"] is True  # the app cannot work without it
    assert caps.version == version_line(ffmpeg_bin)
    assert caps.can_tonemap == ("zscale" in filters and "tonemap" in filters)
    assert caps.deinterlacer == ("bwdif" if "bwdif" in filters else "yadif" if "yadif" in filters else None)
    assert caps.deinterlacer in ("bwdif", "yadif")


def test_nvenc_is_only_usable_when_a_trial_encode_works(ffmpeg_bin: str) -> None:
    caps = probe_capabilities(ffmpeg_bin)
    trial = subprocess.run(
        [ffmpeg_bin, "-v", "error", "-f", "lavfi", "-i", "color=black:s=256x256:r=25:d=0.2",
         "-c:v", "h264_nvenc", "-f", "null", "-"],
        capture_output=True, check=False,
    )  # fmt: skip
    assert caps.nvenc_usable is (trial.returncode == 0)
    if caps.nvenc_usable:
        return
    if not caps.encoders["h264_nvenc"]:
        assert caps.nvenc_reason == "this FFmpeg build has no h264_nvenc encoder"
        return
    # one clean line: ffmpeg's "[h264_nvenc @ 0x...]" log prefix is dropped
    reason = caps.nvenc_reason
    assert reason.startswith("no usable NVIDIA GPU/driver")
    assert "@ 0x" not in reason and "\n" not in reason
    if not Path("/dev/nvidia0").exists():  # no GPU at all: the driver cannot even load
        assert reason.startswith("no usable NVIDIA GPU/driver (") and "[" not in reason


@posix_only
def test_a_build_without_nvenc_is_reported_without_a_trial(ffmpeg_bin: str, tmp_path: Path) -> None:
    count = tmp_path / "runs.txt"
    no_nvenc = wrapper(tmp_path / "bin", ffmpeg_bin, hide="nvenc", count_to=count)
    caps = probe_capabilities(str(no_nvenc))
    assert caps.encoders["h264_nvenc"] is False and caps.encoders["hevc_nvenc"] is False
    assert caps.encoders["libx264"] is True
    assert (caps.nvenc_usable, caps.nvenc_reason) == (False, "this FFmpeg build has no h264_nvenc encoder")
    assert not any("h264_nvenc" in run for run in runs(count))


# --- the capability cache ----------------------------------------------------------------------


def cache_file(home: Path) -> Path:
    return home / "cache" / "toolchain.json"


def cache_entries(home: Path) -> dict[str, dict[str, object]]:
    doc = json.loads(cache_file(home).read_text(encoding="utf-8"))
    assert doc["version"] == CACHE_VERSION
    entries: dict[str, dict[str, object]] = doc["entries"]
    return entries


def key_of(binary: Path) -> str:
    st = binary.resolve().stat()
    return f"{binary.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def capabilities_in_a_new_process(ffmpeg: Path, *, refresh: bool = False) -> str:
    """The cached-or-probed version, from a fresh interpreter (empty memory cache, same HLSSTUDIO_HOME)."""
    code = (
        "import sys; from hlsstudio.core.toolchain import capabilities; "
        f"print(capabilities(sys.argv[1], refresh={refresh}).version)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ffmpeg)],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
        check=True,
    )
    return done.stdout.strip()


@posix_only
def test_within_a_process_the_memory_cache_answers(
    ffmpeg_bin: str, tmp_path: Path, hlsstudio_home: Path
) -> None:
    count = tmp_path / "runs.txt"
    counted = wrapper(tmp_path / "bin", ffmpeg_bin, count_to=count)
    first = capabilities(str(counted))
    probing_runs = len(runs(count))
    assert probing_runs >= 3  # -encoders, -filters, -version (+ the NVENC trial where listed)
    entries = cache_entries(hlsstudio_home)
    assert list(entries) == [key_of(counted)]
    assert entries[key_of(counted)] == first.model_dump()

    cache_file(hlsstudio_home).unlink()
    assert capabilities(str(counted)) == first
    assert len(runs(count)) == probing_runs  # not probed ...
    assert not cache_file(hlsstudio_home).exists()  # ... and not written again
    assert capabilities(str(counted), refresh=True) == first
    assert len(runs(count)) == 2 * probing_runs  # refresh probes ...
    assert list(cache_entries(hlsstudio_home)) == [key_of(counted)]  # ... and writes


@posix_only
def test_a_new_process_answers_from_the_disk_cache(
    ffmpeg_bin: str, tmp_path: Path, hlsstudio_home: Path
) -> None:
    count = tmp_path / "runs.txt"
    counted = wrapper(tmp_path / "bin", ffmpeg_bin, count_to=count)
    capabilities(str(counted))
    probing_runs = len(runs(count))
    # prove the answer comes from the file by marking the cached entry
    entries = cache_entries(hlsstudio_home)
    entries[key_of(counted)]["version"] = "cached-answer"
    cache_file(hlsstudio_home).write_text(
        json.dumps({"version": CACHE_VERSION, "entries": entries}), encoding="utf-8"
    )
    assert capabilities_in_a_new_process(counted) == "cached-answer"
    assert len(runs(count)) == probing_runs  # the new process did not run ffmpeg
    assert capabilities_in_a_new_process(counted, refresh=True) == version_line(ffmpeg_bin)
    assert len(runs(count)) == 2 * probing_runs  # refresh re-probes


@posix_only
def test_a_changed_binary_is_probed_again(ffmpeg_bin: str, tmp_path: Path, hlsstudio_home: Path) -> None:
    count = tmp_path / "runs.txt"
    counted = wrapper(tmp_path / "bin", ffmpeg_bin, count_to=count)
    capabilities(str(counted))
    probing_runs = len(runs(count))
    old_key = key_of(counted)
    later = counted.stat().st_mtime_ns + 5_000_000_000
    os.utime(counted, ns=(later, later))  # an upgrade in place: a new key, in memory and on disk
    assert capabilities(str(counted)).version == version_line(ffmpeg_bin)
    assert len(runs(count)) == 2 * probing_runs
    entries = cache_entries(hlsstudio_home)
    assert sorted(entries) == sorted([old_key, key_of(counted)])  # both entries kept
    assert entries[key_of(counted)]["version"] == version_line(ffmpeg_bin)


@posix_only
def test_a_damaged_or_old_disk_cache_is_ignored(
    ffmpeg_bin: str, tmp_path: Path, hlsstudio_home: Path
) -> None:
    counted = wrapper(tmp_path / "bin", ffmpeg_bin, count_to=tmp_path / "runs.txt")
    cache_file(hlsstudio_home).parent.mkdir(parents=True, exist_ok=True)
    old = {"version": CACHE_VERSION - 1, "entries": {key_of(counted): {"version": "old"}}}
    for junk in ("{ damaged", json.dumps(old)):
        cache_file(hlsstudio_home).write_text(junk, encoding="utf-8")
        assert capabilities_in_a_new_process(counted) == version_line(ffmpeg_bin)
        assert list(cache_entries(hlsstudio_home)) == [key_of(counted)]
