"""Where ffmpeg/ffprobe are looked for, in order, what a missing one says, and how a failed NVENC
trial reads (no binary is run: the "binaries" here are empty scripts in temporary folders).

The real binaries' versions, capabilities and the capability cache are in
``tests/integration/test_toolchain.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from hlsstudio.core.errors import HlsStudioError, ToolchainError
from hlsstudio.core.toolchain import find_binary, install_hint, nvenc_failure_reason

VARIABLE = {"ffmpeg": "HLSSTUDIO_FFMPEG", "ffprobe": "HLSSTUDIO_FFPROBE"}


def fake_binary(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No HLSSTUDIO_FFMPEG/FFPROBE, not frozen, and a PATH holding only an empty folder (returned)."""
    monkeypatch.delenv("HLSSTUDIO_FFMPEG", raising=False)
    monkeypatch.delenv("HLSSTUDIO_FFPROBE", raising=False)
    monkeypatch.delattr(sys, "frozen", raising=False)
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


@pytest.mark.parametrize("name", ["ffmpeg", "ffprobe"])
def test_settings_path_beats_the_environment_which_beats_path(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    on_path = fake_binary(tmp_path / "bin", name)
    monkeypatch.setenv("PATH", f"{clean_env}{os.pathsep}{on_path.parent}")  # found in a later entry
    from_env = fake_binary(tmp_path / "env", f"my-{name}")
    from_settings = fake_binary(tmp_path / "settings", name)
    monkeypatch.setenv(VARIABLE[name], str(from_env))

    assert find_binary(name, str(from_settings)) == (str(from_settings), "settings")
    assert find_binary(name) == (str(from_env), VARIABLE[name])
    monkeypatch.delenv(VARIABLE[name])
    assert find_binary(name) == (str(on_path), "PATH")
    assert find_binary(name, "") == (str(on_path), "PATH")  # an empty setting means "not set"


def test_ffprobe_has_its_own_environment_variable(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = fake_binary(tmp_path / "env-bin", "ffprobe")
    monkeypatch.setenv("HLSSTUDIO_FFPROBE", str(probe))
    monkeypatch.setenv("HLSSTUDIO_FFMPEG", str(tmp_path / "nowhere"))
    assert find_binary("ffprobe") == (str(probe), "HLSSTUDIO_FFPROBE")


def test_binary_next_to_the_frozen_app_beats_path(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(fake_binary(tmp_path / "bin", "ffmpeg").parent))
    app = tmp_path / "HLS Studio"
    fake_binary(app, "hlsstudio")
    bundled = fake_binary(app / "ffmpeg", "ffmpeg")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app / "hlsstudio"))
    assert find_binary("ffmpeg") == (str(bundled), "bundled")
    # the environment still wins over the bundle
    from_env = fake_binary(tmp_path / "env", "ffmpeg")
    monkeypatch.setenv("HLSSTUDIO_FFMPEG", str(from_env))
    assert find_binary("ffmpeg") == (str(from_env), "HLSSTUDIO_FFMPEG")


def test_frozen_app_without_a_bundled_binary_falls_back_to_path(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    on_path = fake_binary(tmp_path / "bin", "ffprobe")
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(fake_binary(tmp_path / "app", "hlsstudio")))
    assert find_binary("ffprobe") == (str(on_path), "PATH")


@pytest.mark.parametrize("name", ["ffmpeg", "ffprobe"])
def test_missing_binary_names_itself_and_how_to_install_it(clean_env: Path, name: str) -> None:
    with pytest.raises(ToolchainError) as caught:
        find_binary(name)
    error = caught.value
    assert isinstance(error, HlsStudioError)
    assert error.message == f"{name} not found: {install_hint()}"
    assert "install" in error.message.lower()
    assert "\n" not in error.message


def test_install_hint_uses_this_systems_package_manager(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if sys.platform in ("darwin", "win32"):
        assert "ffmpeg" in install_hint().lower()
        return
    assert "ffmpeg.org" in install_hint()  # nothing on PATH: the download page
    monkeypatch.setenv("PATH", str(fake_binary(tmp_path / "bin", "apt-get").parent))
    assert install_hint() == "install it with: sudo apt-get install ffmpeg"
    monkeypatch.setenv("PATH", str(fake_binary(tmp_path / "dnf-bin", "dnf").parent))
    assert install_hint() == "install it with: sudo dnf install ffmpeg"


def test_a_setting_or_variable_pointing_nowhere_is_an_error_not_skipped(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(fake_binary(tmp_path / "bin", "ffmpeg").parent))  # never used silently
    gone = tmp_path / "gone" / "ffmpeg"
    with pytest.raises(ToolchainError) as caught:
        find_binary("ffmpeg", str(gone))
    assert caught.value.message == f"ffmpeg not found at {gone} (set in HLS Studio settings)"
    with pytest.raises(ToolchainError) as caught:
        find_binary("ffmpeg", str(tmp_path))  # a folder is not a binary
    assert caught.value.message == f"ffmpeg not found at {tmp_path} (set in HLS Studio settings)"
    monkeypatch.setenv("HLSSTUDIO_FFMPEG", str(gone))
    with pytest.raises(ToolchainError) as caught:
        find_binary("ffmpeg")
    assert caught.value.message == f"ffmpeg not found at {gone} (HLSSTUDIO_FFMPEG)"
    monkeypatch.setenv("HLSSTUDIO_FFPROBE", str(tmp_path / "nowhere"))
    with pytest.raises(ToolchainError) as caught:
        find_binary("ffprobe")
    assert caught.value.message == f"ffprobe not found at {tmp_path / 'nowhere'} (HLSSTUDIO_FFPROBE)"


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
