"""The real ffmpeg/ffprobe: version, capabilities, the NVENC trial and the capability cache.

Wrappers around the real ffmpeg (shell scripts that count their runs or hide encoders) stand in for
other FFmpeg builds; the code under test runs unchanged.
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

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="wrappers are POSIX shell scripts")


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


def test_versions_are_read_from_the_binaries(ffmpeg_bin: str, ffprobe_bin: str) -> None:
    first_line = subprocess.run([ffmpeg_bin, "-version"], capture_output=True, text=True, check=True).stdout
    expected = re.match(r"ffmpeg version (\S+)", first_line)
    assert expected is not None
    assert read_version(ffmpeg_bin) == expected.group(1)
    assert read_version(ffprobe_bin)


def test_locate_toolchain_finds_the_binaries_on_path(
    ffmpeg_bin: str, ffprobe_bin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HLSSTUDIO_FFMPEG", raising=False)
    monkeypatch.delenv("HLSSTUDIO_FFPROBE", raising=False)
    chain = locate_toolchain()
    assert (chain.ffmpeg, chain.ffmpeg_source) == (ffmpeg_bin, "PATH")
    assert (chain.ffprobe, chain.ffprobe_source) == (ffprobe_bin, "PATH")
    assert chain.ffprobe_version == read_version(ffprobe_bin)
    assert chain.capabilities.version == read_version(ffmpeg_bin)


def test_capabilities_match_what_the_build_lists(ffmpeg_bin: str) -> None:
    caps = probe_capabilities(ffmpeg_bin)
    listed = (
        subprocess.run(
            [ffmpeg_bin, "-hide_banner", "-encoders"], capture_output=True, text=True, check=True
        ).stdout
        + subprocess.run(
            [ffmpeg_bin, "-hide_banner", "-filters"], capture_output=True, text=True, check=True
        ).stdout
    )
    names = {line.split()[1] for line in listed.splitlines() if len(line.split()) > 1}
    assert set(caps.encoders) == set(ENCODERS)
    assert set(caps.filters) == set(FILTERS)
    assert caps.encoders == {name: name in names for name in ENCODERS}
    assert caps.filters == {name: name in names for name in FILTERS}
    assert caps.encoders["libx264"] is True  # the app cannot work without it
    assert caps.deinterlacer in ("bwdif", "yadif")
    assert caps.can_tonemap == (caps.filters["zscale"] and caps.filters["tonemap"])


def test_nvenc_is_only_usable_when_a_trial_encode_works(ffmpeg_bin: str) -> None:
    caps = probe_capabilities(ffmpeg_bin)
    trial = subprocess.run(
        [ffmpeg_bin, "-v", "error", "-f", "lavfi", "-i", "color=black:s=256x256:r=25:d=0.2",
         "-c:v", "h264_nvenc", "-f", "null", "-"],
        capture_output=True, check=False,
    )  # fmt: skip
    assert caps.nvenc_usable is (trial.returncode == 0)
    if not caps.nvenc_usable:
        assert caps.nvenc_reason
    if caps.encoders["h264_nvenc"] and not caps.nvenc_usable:
        assert caps.nvenc_reason.startswith("no usable NVIDIA GPU/driver")


def test_a_build_without_nvenc_is_reported_without_a_trial(ffmpeg_bin: str, tmp_path: Path) -> None:
    count = tmp_path / "runs.txt"
    no_nvenc = wrapper(tmp_path / "bin", ffmpeg_bin, hide="nvenc", count_to=count)
    caps = probe_capabilities(str(no_nvenc))
    assert caps.encoders["h264_nvenc"] is False and caps.encoders["hevc_nvenc"] is False
    assert caps.encoders["libx264"] is True
    assert (caps.nvenc_usable, caps.nvenc_reason) == (False, "this FFmpeg build has no h264_nvenc encoder")
    assert not any("h264_nvenc" in run for run in runs(count))


def test_something_that_is_not_ffmpeg_is_refused(tmp_path: Path) -> None:
    impostor = tmp_path / "ffmpeg"
    impostor.write_text("#!/bin/sh\necho 'hello from a shell script'\n", encoding="utf-8")
    impostor.chmod(0o755)
    with pytest.raises(ToolchainError, match="does not look like FFmpeg"):
        read_version(str(impostor))
    with pytest.raises(ToolchainError, match="cannot run"):
        read_version(str(tmp_path / "absent"))


def _capabilities_in_a_new_process(ffmpeg: Path, *, refresh: bool = False) -> str:
    """Ask for capabilities from a fresh interpreter (empty memory cache, same HLSSTUDIO_HOME)."""
    code = (
        "import sys; from hlsstudio.core.toolchain import capabilities; "
        f"print(capabilities(sys.argv[1], refresh={refresh}).version)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ffmpeg)],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=True,
    )
    return done.stdout.strip()


def test_capabilities_are_cached_per_binary_in_memory_and_on_disk(
    ffmpeg_bin: str, tmp_path: Path, hlsstudio_home: Path
) -> None:
    count = tmp_path / "runs.txt"
    counted = wrapper(tmp_path / "bin", ffmpeg_bin, count_to=count)

    first = capabilities(str(counted))
    probing_runs = len(runs(count))
    assert probing_runs >= 3  # -encoders, -filters, -version (+ the NVENC trial where listed)
    assert capabilities(str(counted)) == first
    assert len(runs(count)) == probing_runs  # memory cache
    assert (hlsstudio_home / "cache" / "toolchain.json").is_file()

    assert _capabilities_in_a_new_process(counted) == first.version
    assert len(runs(count)) == probing_runs  # disk cache: a new process did not run ffmpeg

    assert _capabilities_in_a_new_process(counted, refresh=True) == first.version
    assert len(runs(count)) == 2 * probing_runs  # refresh re-probes


def test_a_changed_binary_is_probed_again(ffmpeg_bin: str, tmp_path: Path) -> None:
    count = tmp_path / "runs.txt"
    counted = wrapper(tmp_path / "bin", ffmpeg_bin, count_to=count)
    capabilities(str(counted))
    probing_runs = len(runs(count))
    stat = counted.stat()
    os.utime(counted, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # an upgrade in place
    capabilities(str(counted))
    assert len(runs(count)) == 2 * probing_runs


def test_a_damaged_disk_cache_is_ignored(ffmpeg_bin: str, tmp_path: Path, hlsstudio_home: Path) -> None:
    cache = hlsstudio_home / "cache" / "toolchain.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("{ damaged", encoding="utf-8")
    counted = wrapper(tmp_path / "bin", ffmpeg_bin, count_to=tmp_path / "runs.txt")
    assert _capabilities_in_a_new_process(counted) == read_version(ffmpeg_bin)
    rewritten = json.loads(cache.read_text(encoding="utf-8"))
    assert rewritten["version"] == CACHE_VERSION
    assert len(rewritten["entries"]) == 1
