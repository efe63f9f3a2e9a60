"""Where ffmpeg/ffprobe are looked for, in order, and what a missing one says (no binary is run)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hlsstudio.core.errors import HlsStudioError, ToolchainError
from hlsstudio.core.toolchain import find_binary, install_hint


def fake_binary(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No HLSSTUDIO_FFMPEG/FFPROBE, not frozen, and a PATH holding only an empty folder."""
    monkeypatch.delenv("HLSSTUDIO_FFMPEG", raising=False)
    monkeypatch.delenv("HLSSTUDIO_FFPROBE", raising=False)
    monkeypatch.delattr(sys, "frozen", raising=False)
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


@pytest.mark.parametrize("name", ["ffmpeg", "ffprobe"])
def test_path_is_searched_last(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    on_path = fake_binary(tmp_path / "bin", name)
    monkeypatch.setenv("PATH", f"{clean_env}:{on_path.parent}")
    assert find_binary(name) == (str(on_path), "PATH")


def test_environment_variable_beats_path(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    on_path = fake_binary(tmp_path / "bin", "ffmpeg")
    monkeypatch.setenv("PATH", str(on_path.parent))
    from_env = fake_binary(tmp_path / "env", "my-ffmpeg")
    monkeypatch.setenv("HLSSTUDIO_FFMPEG", str(from_env))
    assert find_binary("ffmpeg") == (str(from_env), "HLSSTUDIO_FFMPEG")
    from_env_probe = fake_binary(tmp_path / "env", "my-ffprobe")
    monkeypatch.setenv("HLSSTUDIO_FFPROBE", str(from_env_probe))
    assert find_binary("ffprobe") == (str(from_env_probe), "HLSSTUDIO_FFPROBE")


def test_settings_path_beats_everything(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(fake_binary(tmp_path / "bin", "ffmpeg").parent))
    monkeypatch.setenv("HLSSTUDIO_FFMPEG", str(fake_binary(tmp_path / "env", "ffmpeg")))
    chosen = fake_binary(tmp_path / "settings", "ffmpeg")
    assert find_binary("ffmpeg", str(chosen)) == (str(chosen), "settings")


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


def test_a_configured_path_that_points_nowhere_is_an_error_not_a_fallback(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(fake_binary(tmp_path / "bin", "ffmpeg").parent))
    with pytest.raises(ToolchainError, match=r"ffmpeg not found at .*gone.*\(set in HLS Studio settings\)"):
        find_binary("ffmpeg", str(tmp_path / "gone" / "ffmpeg"))
    with pytest.raises(ToolchainError, match=r"ffmpeg not found at .*\(set in HLS Studio settings\)"):
        find_binary("ffmpeg", str(tmp_path))  # a folder is not a binary
    monkeypatch.setenv("HLSSTUDIO_FFPROBE", str(tmp_path / "nowhere"))
    with pytest.raises(ToolchainError, match=r"ffprobe not found at .*nowhere \(HLSSTUDIO_FFPROBE\)"):
        find_binary("ffprobe")
