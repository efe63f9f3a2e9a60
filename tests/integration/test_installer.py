"""The desktop build: ``build_installer.py`` makes a one-folder app that works where PATH has no FFmpeg.

The first tests check the build's rules (what is trimmed, the FFmpeg launcher, the icons) and the
self-test logic without building. The ``slow`` ones build the app once for this module into a
temporary folder (about 40 s on 2 cores; nothing is reused between runs but what PyInstaller caches
itself), then run the built executables with a PATH that holds no ffmpeg (an empty folder), a fresh
HLSSTUDIO_HOME and no HLSSTUDIO_FFMPEG/FFPROBE: as on a machine without FFmpeg installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import build_installer
from hlsstudio.selftest import run_self_test
from tests.s3server import S3Setup, list_keys, make_package

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 780
RUN_TIMEOUT = 180
SELF_TEST_TIMEOUT = 90  # it takes about 3 s
# 620 MiB: FFmpeg with its libraries 233, the VMAF FFmpeg (imageio-ffmpeg) 165, Qt 129 (84 before the preview
# and the ladder plot: Qt's own libav*/libsw* 18.5, the QtQuick/QtQml libraries its FFmpeg plugin links 16,
# QtMultimedia 3.6, QtCharts 3.2)
SIZE_BUDGET_MIB = 640
KEPT_PLUGINS = (
    "multimedia/libffmpegmediaplugin.so",
    "platforms/libqoffscreen.so",
    "platforms/libqxcb.so",
    "platforms/libqwayland.so",
    "imageformats/libqsvg.so",
    "imageformats/libqjpeg.so",
    "iconengines/libqsvgicon.so",
)
# QtNetwork stays: the local socket that hands a second start's files to the running app. QtMultimedia's
# FFmpeg plugin links QtQuick and QtQml (their core libraries ship, nothing built on them does).
UNUSED_QT = re.compile(
    r"libQt6(Quick(Controls|Templates|Dialogs|Layouts|Shapes|Particles|Effects|Widgets|Test|Timeline|Vector|3D)"
    r"|Qml(Compiler|Core|XmlListModel)|MultimediaQuick|SpatialAudio|ChartsQml|NetworkAuth|Pdf|WebEngine|Sql"
    r"|Test|Designer|3D)"
)
# what the preview (QtMultimedia, its FFmpeg back end) and the ladder plot (QtCharts) load
PREVIEW_AND_PLOT = (
    "PySide6/QtMultimedia.abi3.so",
    "PySide6/QtMultimediaWidgets.abi3.so",
    "PySide6/QtCharts.abi3.so",
    "PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so",
)


@dataclass(frozen=True)
class BuiltApp:
    """The built app folder and what the build printed."""

    folder: Path
    output: str

    @property
    def gui(self) -> Path:
        return self.folder / "hlsstudio"

    @property
    def cli(self) -> Path:
        return self.folder / "hlsstudio-cli"

    @property
    def internal(self) -> Path:
        return self.folder / "_internal"


def require_pyinstaller() -> None:
    """Skip without PyInstaller on a developer machine; in CI a missing dev extra is a failure."""
    done = subprocess.run([sys.executable, "-c", "import PyInstaller"], capture_output=True, check=False)
    if done.returncode != 0:
        message = "PyInstaller is not installed (pip install -e '.[dev]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


# --------------------------------------------------------------------------- the build's rules


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platforms/qwindows.dll", True),
        ("PySide6/Qt/plugins/platforms/libqcocoa.dylib", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
        ("PySide6/Qt/plugins/platforms/libqminimalegl.so", False),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),
        ("PySide6/Qt/plugins/imageformats/libqpdf.so", False),
        ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", True),
        ("PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so", True),
        ("PySide6\\Qt\\plugins\\multimedia\\ffmpegmediaplugin.dll", True),
        ("PySide6/Qt/plugins/multimedia/libgstreamermediaplugin.so", False),
        ("PySide6/Qt/plugins/multimedia/windowsmediaplugin.dll", False),
        ("PySide6/Qt/plugins/styles/qmodernwindowsstyle.dll", True),
        ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", False),
        ("PySide6\\Qt\\plugins\\tls\\qopensslbackend.dll", False),
        ("PySide6/Qt/lib/libQt6Core.so.6", True),
        ("libpython3.11.so.1.0", True),
    ],
)
def test_which_qt_plugins_are_kept(dest: str, kept: bool) -> None:
    assert build_installer.plugin_is_kept(dest) is kept


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("botocore/data/s3/2006-03-01/service-2.json.gz", True),
        ("botocore/data/sts/2011-06-15/service-2.json.gz", True),
        ("botocore/data/ec2/2016-11-15/service-2.json.gz", False),
        ("botocore/data/endpoints.json", True),
        ("botocore/data/partitions.json", True),
        ("boto3/data/s3/2006-03-01/resources-1.json", True),
        ("boto3/data/dynamodb/2012-08-10/resources-1.json", False),
        ("PySide6/Qt/translations/qtbase_de.qm", False),
        ("PySide6/opengl32sw.dll", False),
        ("resources/presets/default.json", True),
    ],
)
def test_which_data_files_are_kept(dest: str, kept: bool) -> None:
    assert build_installer.data_is_kept(dest) is kept


def test_prune_orphans_removes_only_what_dropped_plugins_alone_needed() -> None:
    imports = {
        "/s/qpdf.so": {"libQt6Pdf.so.6", "libQt6Gui.so.6"},
        "/s/libQt6Pdf.so.6": {"libQt6Core.so.6", "libpdfium.so"},
        "/s/qxcb.so": {"libQt6XcbQpa.so.6"},
        "/s/libQt6XcbQpa.so.6": {"libQt6Gui.so.6"},
        "/s/libQt6Gui.so.6": {"libQt6Core.so.6"},
    }

    def imports_of(source: str) -> set[str]:
        return imports.get(source, set())

    def entry(name: str) -> tuple[str, str, str]:
        return (f"PySide6/Qt/lib/{name}", f"/s/{name}", "BINARY")

    kept = [entry(n) for n in ("libQt6Pdf.so.6", "libpdfium.so", "libQt6XcbQpa.so.6", "libQt6Gui.so.6")]
    kept += [entry("libQt6Core.so.6"), ("plugins/platforms/qxcb.so", "/s/qxcb.so", "BINARY")]
    kept.append(("libQt6Pdf.so.6", "PySide6/Qt/lib/libQt6Pdf.so.6", "SYMLINK"))
    dropped = [("plugins/imageformats/qpdf.so", "/s/qpdf.so", "BINARY")]
    names = [e[0] for e in build_installer.prune_orphans(kept, dropped, imports_of)]
    assert names == [
        "PySide6/Qt/lib/libQt6XcbQpa.so.6",
        "PySide6/Qt/lib/libQt6Gui.so.6",
        "PySide6/Qt/lib/libQt6Core.so.6",
        "plugins/platforms/qxcb.so",
        "libQt6Pdf.so.6",
    ]
    present = {n for n in names if n != "libQt6Pdf.so.6"}
    links = [("libQt6Pdf.so.6", "PySide6/Qt/lib/libQt6Pdf.so.6", "SYMLINK")]
    links.append(("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"))
    assert build_installer.drop_dangling_links(links, present) == links[1:]


def test_parse_ldd() -> None:
    output = (
        "\tlinux-vdso.so.1 (0x00007ffd)\n"
        "\tlibavcodec.so.59 => /lib/x86_64-linux-gnu/libavcodec.so.59 (0x00007f33)\n"
        "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f32)\n"
        "\t/lib64/ld-linux-x86-64.so.2 (0x00007f34)\n"
    )
    assert build_installer.parse_ldd(output) == {
        "libavcodec.so.59": Path("/lib/x86_64-linux-gnu/libavcodec.so.59"),
        "libc.so.6": Path("/lib/x86_64-linux-gnu/libc.so.6"),
    }
    assert build_installer.GLIBC_LIBRARIES.fullmatch("libc.so.6")
    assert not build_installer.GLIBC_LIBRARIES.fullmatch("libcrypto.so.3")
    with pytest.raises(build_installer.BuildError, match=r"libx265\.so\.199"):
        build_installer.parse_ldd("\tlibx265.so.199 => not found\n")


@pytest.mark.skipif(sys.platform == "win32", reason="the launcher is a POSIX shell script")
def test_linux_launcher_runs_the_real_binary_with_its_library_folder(tmp_path: Path) -> None:
    folder = tmp_path / "with space" / "ffmpeg"
    (folder / "bin").mkdir(parents=True)
    fake = folder / "bin" / "ffmpeg"
    fake.write_text('#!/bin/sh\necho "$LD_LIBRARY_PATH"\nfor a in "$@"; do echo "[$a]"; done\n')
    fake.chmod(0o755)
    launcher = folder / "ffmpeg"
    launcher.write_text(build_installer.LINUX_LAUNCHER.format(name="ffmpeg"))
    launcher.chmod(0o755)
    env = {"PATH": str(tmp_path), "LD_LIBRARY_PATH": "/opt/user"}
    done = subprocess.run([launcher, "-i", "a b.mp4"], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [f"{folder}/lib:/opt/user", "[-i]", "[a b.mp4]"]


def test_icons_for_windows_and_macos_embed_the_png(tmp_path: Path) -> None:
    png = (ROOT / "resources" / "icons" / "hlsstudio.png").read_bytes()
    ico = build_installer.write_ico(png, tmp_path / "a.ico").read_bytes()
    assert ico[:6] == b"\x00\x00\x01\x00\x01\x00" and ico.endswith(png)
    icns = build_installer.write_icns(png, tmp_path / "a.icns").read_bytes()
    assert icns[:4] == b"icns" and int.from_bytes(icns[4:8], "big") == len(icns) and icns.endswith(png)
    assert build_installer.version_tuple("0.1.0") == (0, 1, 0, 0)
    assert build_installer.version_tuple("1.2rc1") == (1, 2, 0, 0)


def test_self_test_runs_from_source_and_reports_a_broken_window() -> None:
    passed, message = run_self_test(None)
    assert passed, message
    assert message.startswith("self-test passed") and "2 variants" in message

    def broken_window() -> object:
        raise RuntimeError("could not connect to display")

    assert run_self_test(broken_window) == (
        False,
        "self-test failed: RuntimeError: could not connect to display",
    )


# --------------------------------------------------------------------------- the built app


def needs_build(test: Any) -> Any:
    """Marks of the tests that build the app: slow, a long timeout, Linux only (what CI builds)."""
    for mark in (
        pytest.mark.slow,
        pytest.mark.timeout(900),
        pytest.mark.skipif(not sys.platform.startswith("linux"), reason="CI builds and checks the Linux app"),
    ):
        test = mark(test)
    return test


@pytest.fixture(scope="module")
def built_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltApp]:
    """The app built by ``build_installer.py`` into a temporary folder (removed afterwards: ~0.5 GB)."""
    require_pyinstaller()
    base = tmp_path_factory.mktemp("installer")
    args = [sys.executable, str(ROOT / "build_installer.py"), "--dist", str(base / "dist")]
    try:
        done = subprocess.run(
            [*args, "--workpath", str(base / "work")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        yield BuiltApp(base / "dist" / "hlsstudio", done.stdout)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def bare_env(tmp_path: Path) -> dict[str, str]:
    """An environment like a fresh machine's: no ffmpeg on PATH, an empty app home, no overrides."""
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {
        "PATH": str(empty_bin),
        "HOME": str(tmp_path / "user"),
        "HLSSTUDIO_HOME": str(tmp_path / "hlsstudio-home"),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
    }
    assert shutil.which("ffmpeg", path=env["PATH"]) is None
    assert shutil.which("ffprobe", path=env["PATH"]) is None
    return env


def run(
    args: list[Any], env: dict[str, str], timeout: float = RUN_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@needs_build
def test_the_build_has_both_executables_ffmpeg_and_resources(built_app: BuiltApp) -> None:
    for executable in (built_app.gui, built_app.cli):
        assert executable.is_file() and os.access(executable, os.X_OK)
    ffmpeg = built_app.folder / "ffmpeg"
    for name in ("ffmpeg", "ffprobe"):
        assert os.access(ffmpeg / name, os.X_OK) and os.access(ffmpeg / "bin" / name, os.X_OK)
    assert (ffmpeg / "lib" / "libavcodec.so.59").is_file() or any((ffmpeg / "lib").glob("libavcodec.so.*"))
    resources = built_app.internal / "resources"
    assert (resources / "icons" / "hlsstudio.svg").is_file()
    shipped = sorted(p.name for p in (ROOT / "resources" / "presets").glob("*.json"))
    assert shipped and sorted(p.name for p in (resources / "presets").glob("*.json")) == shipped
    assert (built_app.folder / "hlsstudio.desktop").is_file()
    assert os.access(built_app.folder / "install.sh", os.X_OK)


@needs_build
def test_the_build_is_trimmed_and_reports_its_size(built_app: BuiltApp) -> None:
    plugins = built_app.internal / "PySide6" / "Qt" / "plugins"
    for plugin in KEPT_PLUGINS:
        assert (plugins / plugin).is_file(), plugin
    assert not (plugins / "platforms" / "libqeglfs.so").exists()
    assert not (plugins / "imageformats" / "libqpdf.so").exists()
    assert not (built_app.internal / "PySide6" / "Qt" / "translations").exists()
    unused = [p.name for p in built_app.internal.rglob("libQt6*") if UNUSED_QT.match(p.name)]
    assert unused == []
    dangling = [p for p in built_app.internal.rglob("*") if p.is_symlink() and not p.exists()]
    assert dangling == []
    services = {p.name for p in (built_app.internal / "botocore" / "data").iterdir() if p.is_dir()}
    assert services == set(build_installer.AWS_SERVICES_KEPT)
    assert not (built_app.internal / "tkinter").exists()
    size = re.search(r"^size: ([\d.]+) MiB", built_app.output, re.MULTILINE)
    assert size, built_app.output[-2000:]
    assert float(size.group(1)) < SIZE_BUDGET_MIB


@needs_build
def test_the_preview_and_the_ladder_plot_load_only_bundled_qt_and_libav(built_app: BuiltApp) -> None:
    qt_lib = (built_app.internal / "PySide6" / "Qt" / "lib").resolve()
    loaded: dict[str, dict[str, Path]] = {}
    for name in PREVIEW_AND_PLOT:
        binary = built_app.internal / name
        assert binary.is_file(), name
        done = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True)
        assert "not found" not in done.stdout, done.stdout
        loaded[name] = build_installer.parse_ldd(done.stdout)
        ours = {n: p for n, p in loaded[name].items() if n.startswith(("libQt6", "libav", "libsw", "libicu"))}
        assert all(p.resolve().parent == qt_lib for p in ours.values()), ours
    plugin_needs = {name.split(".so")[0] for name in loaded[PREVIEW_AND_PLOT[-1]]}
    assert {"libavcodec", "libavformat", "libavutil", "libswscale", "libswresample"} <= plugin_needs
    assert [p.name for p in built_app.internal.rglob("libgstreamermediaplugin*")] == []


@needs_build
def test_the_bundled_ffmpeg_loads_only_its_own_libraries(built_app: BuiltApp) -> None:
    lib = built_app.folder / "ffmpeg" / "lib"
    for name in ("ffmpeg", "ffprobe"):
        done = subprocess.run(
            ["ldd", str(built_app.folder / "ffmpeg" / "bin" / name)],
            env={**os.environ, "LD_LIBRARY_PATH": str(lib)},
            capture_output=True,
            text=True,
            check=True,
        )
        libraries = build_installer.parse_ldd(done.stdout)
        foreign = [
            f"{n} => {p}"
            for n, p in libraries.items()
            if p.parent != lib and not build_installer.GLIBC_LIBRARIES.fullmatch(n)
        ]
        assert foreign == []


@needs_build
def test_doctor_reports_the_bundled_ffmpeg(built_app: BuiltApp, bare_env: dict[str, str]) -> None:
    done = run([built_app.cli, "doctor", "--json"], bare_env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for name in ("ffmpeg", "ffprobe"):
        assert report[name]["source"] == "bundled"
        assert Path(report[name]["path"]) == built_app.folder / "ffmpeg" / name
    assert report["encoders"]["libx264"] and report["ok"]


@needs_build
def test_transcode_makes_a_valid_package(
    built_app: BuiltApp, bare_env: dict[str, str], small_clip: Path, tmp_path: Path
) -> None:
    out = tmp_path / "package"
    args = [built_app.cli, "transcode", small_clip, "--out", out, "--segment-duration", "2"]
    done = run([*args, "--preset", "ultrafast", "--json"], bare_env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "completed" and result["validation"]["ok"]
    assert Path(result["command"][0]) == built_app.folder / "ffmpeg" / "ffmpeg"
    master = (out / "master.m3u8").read_text(encoding="utf-8")
    playlists = [line for line in master.splitlines() if line.endswith(".m3u8")]
    assert playlists and all((out / p).is_file() for p in playlists)


@needs_build
def test_gui_self_test_passes(built_app: BuiltApp, bare_env: dict[str, str]) -> None:
    try:
        done = run([built_app.gui, "--self-test"], bare_env, timeout=SELF_TEST_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail("hlsstudio --self-test did not exit (does hlsstudio/__main__.py handle --self-test?)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("self-test passed") and "(bundled: " in done.stdout


@needs_build
def test_publish_to_s3_works_with_the_trimmed_botocore(
    built_app: BuiltApp, bare_env: dict[str, str], s3: S3Setup, moto_client: Any, tmp_path: Path
) -> None:
    names = make_package(tmp_path / "pkg")
    env = {**bare_env, **s3.env(), "AWS_MAX_ATTEMPTS": "2"}
    args = [built_app.cli, "publish", tmp_path / "pkg", "--content-type", "movie", "--content-id", "film-1"]
    done = run([*args, "--json"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["master_key"] == "hls/movies/film-1/master.m3u8"
    build = json.loads(done.stdout)["build"]
    stored = list_keys(moto_client, s3.bucket, "hls/movies/film-1/")
    assert len([k for k in stored if k.startswith(f"hls/movies/film-1/{build}/")]) == len(names) - 1
    assert "hls/movies/film-1/master.m3u8" in stored  # the master sits beside the build, pointing into it


@needs_build
def test_install_script_adds_and_removes_the_menu_entry(built_app: BuiltApp, tmp_path: Path) -> None:
    data = tmp_path / "share"
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    done = subprocess.run(
        [built_app.folder / "install.sh"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    desktop = data / "applications" / "hlsstudio.desktop"
    text = desktop.read_text(encoding="utf-8")
    assert f'Exec="{built_app.gui}" %F' in text and "Icon=hlsstudio" in text
    assert (data / "icons" / "hicolor" / "256x256" / "apps" / "hlsstudio.png").is_file()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "hlsstudio.svg").is_file()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", desktop], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr
    done = subprocess.run(
        [built_app.folder / "install.sh", "--uninstall"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert not desktop.exists()
