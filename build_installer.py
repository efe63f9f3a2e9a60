"""Build the desktop app of HLS Studio: one self-contained folder made by PyInstaller, FFmpeg inside.

    python build_installer.py [--ffmpeg PATH] [--ffprobe PATH] [--dist DIR] [--workpath DIR] [--no-trim]

Run it with the Python of the project's virtual env (PyInstaller installed) on the OS you build for:

* Linux:   ``dist/hlsstudio/`` with ``hlsstudio`` (GUI), ``hlsstudio-cli``, ``ffmpeg/`` and ``install.sh``
  (adds HLS Studio to the application menu of the current user).
* Windows: ``dist\\hlsstudio\\`` with ``hlsstudio.exe`` (no console), ``hlsstudio-cli.exe``, ``ffmpeg\\``.
* macOS:   ``dist/HLS Studio.app``: both executables in ``Contents/MacOS``, FFmpeg in ``Contents/Frameworks``.

ffmpeg and ffprobe are the ones named with ``--ffmpeg``/``--ffprobe``, else the ones on PATH. On Linux the
libraries they load (everything ``ldd`` lists but glibc, which is the system's own) are copied beside them;
two small launchers put that folder on their ``LD_LIBRARY_PATH``; on Windows the DLLs next to the given
executables are copied with them (a static build has none); on macOS PyInstaller collects their dylibs.
The bundle is kept lean: Qt modules, Qt plugins and translations the app does not use are left out, and
botocore keeps only the service models HLS Studio talks to. ``--no-trim`` builds without that trimming
(to compare sizes). The last lines printed are the size of the result.
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import re
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "hlsstudio.spec"
RESOURCES = ROOT / "resources"
APP_ICON = RESOURCES / "icons" / "hlsstudio.png"

DISPLAY_NAME = "HLS Studio"
APP_DIR = "hlsstudio"
GUI_NAME = "hlsstudio"
CLI_NAME = "hlsstudio-cli"
BUNDLE_ID = "org.hlsstudio.HLSStudio"
FFMPEG_DIR = "ffmpeg"

# Python modules that are installed (Qt bindings, dev tools) but never imported by the app. Of the Addons
# wheel the app uses QtMultimedia + QtMultimediaWidgets (the preview window) and QtCharts (the ladder plot).
UNUSED_QT_MODULES = tuple(
    f"PySide6.{name}"
    for name in (
        "QtQml", "QtQmlFeatures", "QtQuick", "QtQuickControls2", "QtQuickTest", "QtQuickWidgets", "QtQuick3D",
        "QtSql", "QtTest", "QtDesigner", "QtHelp", "QtUiTools", "QtXml", "QtOpenGL", "QtOpenGLWidgets",
        "QtPrintSupport", "QtConcurrent", "QtDBus", "QtSvgWidgets", "QtLabsStyleKit", "QtWebEngineCore",
        "QtWebEngineWidgets", "QtWebEngineQuick", "QtWebChannel", "QtWebSockets", "QtWebView",
        "QtSpatialAudio", "QtTextToSpeech", "QtDataVisualization", "QtGraphs", "QtGraphsWidgets",
        "QtBluetooth", "QtNfc", "QtPdf", "QtPdfWidgets", "QtPositioning", "QtLocation", "QtSensors",
        "QtSerialPort", "QtSerialBus", "QtRemoteObjects", "QtScxml", "QtStateMachine", "QtHttpServer",
        "QtNetworkAuth", "QtAxContainer", "Qt3DCore", "Qt3DRender", "Qt3DInput", "Qt3DLogic", "Qt3DAnimation",
        "Qt3DExtras",
    )
)  # fmt: skip
UNUSED_PYTHON_MODULES = (
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "lib2to3", "pydoc_data", "ensurepip", "venv",
    "pip", "setuptools", "pkg_resources", "distutils", "pytest", "_pytest", "pytestqt", "pytest_timeout",
    "mypy", "mypyc", "mypy_extensions", "moto", "selenium", "ruff", "IPython", "jedi", "numpy",
    "boto3_stubs", "mypy_boto3_s3", "botocore_stubs", "flask", "werkzeug", "jinja2", "docker", "test",
)  # fmt: skip

# Qt plugins kept, by plugin folder: a regex the plugin's name ("qxcb" for libqxcb.so) must match in full.
# Folders not listed are left out entirely (eglfs, vnc, sql drivers, tls, network information, ...).
QT_PLUGINS_KEPT = {
    "platforms": r"q(xcb|wayland|offscreen|minimal|windows|cocoa|direct2d)",
    "platformthemes": r"qxdgdesktopportal",
    "platforminputcontexts": r"(compose|ibus)platforminputcontextplugin",
    "imageformats": r"q(svg|jpeg|ico|gif)",
    "multimedia": r"ffmpegmediaplugin",  # QtMultimedia's FFmpeg back end (it brings Qt's libav*/libsw*)
    "iconengines": r"qsvgicon",
    "styles": r".+",
    "xcbglintegrations": r".+",
    "wayland-decoration-client": r".+",
    "wayland-shell-integration": r".+",
    "wayland-graphics-integration-client": r".+",
}
# botocore/boto3 service models kept: S3 (publishing) and what credential providers may call.
AWS_SERVICES_KEPT = ("s3", "sts", "sso", "sso-oidc")
# Files PyInstaller's Qt hooks collect that a widgets-only app never loads.
UNUSED_QT_FILES = ("opengl32sw.dll", "d3dcompiler_47.dll")
# glibc: always the target system's own (it must match the kernel and the system's ld.so).
GLIBC_LIBRARIES = re.compile(
    r"(ld-linux.*|libc|libm|libmvec|libdl|libpthread|librt|libresolv|libutil|libanl|libBrokenLocale|"
    r"libthread_db|libnss_.*|libc_malloc_debug|libmemusage|libpcprofile|libSegFault)\.so(\..*)?"
)
LINUX_LAUNCHER = """#!/bin/sh
# Runs the bundled {name} with the libraries shipped beside it in lib/: no system FFmpeg needed.
case "$0" in */*) here="${{0%/*}}" ;; *) here=. ;; esac
LD_LIBRARY_PATH="$here/lib${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}" exec "$here/bin/{name}" "$@"
"""


class BuildError(Exception):
    """The build cannot go on; the message says why and what to do."""


# --------------------------------------------------------------------------- configuration for the spec


@dataclass
class SpecConfig:
    """Everything ``packaging/hlsstudio.spec`` needs, written as JSON by this script."""

    root: str
    gui_script: str
    cli_script: str
    version: str
    icon: str | None = None
    version_file: str | None = None
    trim: bool = True
    gui_name: str = GUI_NAME
    cli_name: str = CLI_NAME
    app_dir: str = APP_DIR
    display_name: str = DISPLAY_NAME
    bundle_id: str = BUNDLE_ID
    datas: list[tuple[str, str]] = field(default_factory=list)
    binaries: list[tuple[str, str]] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    hiddenimports: list[str] = field(default_factory=list)
    runtime_hooks: list[str] = field(default_factory=list)

    def save(self, path: Path) -> Path:
        """Write the configuration as JSON to ``path``; returns ``path``."""
        path.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> SpecConfig:
        """Read a configuration written by ``save``."""
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["datas"] = [tuple(d) for d in doc["datas"]]
        doc["binaries"] = [tuple(b) for b in doc["binaries"]]
        return cls(**doc)


# --------------------------------------------------------------------------- trimming (used by the spec)

# PyInstaller's table of contents entries: (name inside the bundle, source path, type code).
TocEntry = tuple[str, str, str]


def plugin_is_kept(dest: str) -> bool:
    """False for a Qt plugin the app does not need (``PySide6/Qt/plugins/<kind>/<file>``); True otherwise."""
    parts = PurePosixPath(dest.replace("\\", "/")).parts
    if "plugins" not in parts or parts[0] != "PySide6":
        return True
    rest = parts[parts.index("plugins") + 1 :]
    if len(rest) < 2:
        return True
    pattern = QT_PLUGINS_KEPT.get(rest[0])
    stem = re.sub(r"^lib", "", rest[-1].split(".")[0])
    return pattern is not None and re.fullmatch(pattern, stem) is not None


def data_is_kept(dest: str) -> bool:
    """False for Qt translations, unused botocore/boto3 service models and unused Qt files."""
    parts = PurePosixPath(dest.replace("\\", "/")).parts
    if parts[-1].lower() in UNUSED_QT_FILES:
        return False
    if parts[:3] == ("PySide6", "Qt", "translations"):
        return False
    if len(parts) > 3 and parts[0] in ("botocore", "boto3") and parts[1] == "data":
        return parts[2] in AWS_SERVICES_KEPT
    return True


def _name(entry: TocEntry) -> str:
    return PurePosixPath(entry[0].replace("\\", "/")).name


def _closure(start: Iterable[str], imports_of: Callable[[str], set[str]], known: dict[str, str]) -> set[str]:
    """Names of the bundled libraries reachable from ``start`` (library names) through their imports."""
    seen: set[str] = set()
    todo = [name for name in start if name in known]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(dep for dep in imports_of(known[name]) if dep in known and dep not in seen)
    return seen


def prune_orphans(
    kept: list[TocEntry], dropped: list[TocEntry], imports_of: Callable[[str], set[str]]
) -> list[TocEntry]:
    """``kept`` without the libraries that only the ``dropped`` entries needed.

    ``imports_of(source path)`` gives the file names of the libraries a binary links to. A library is
    removed only when a dropped entry pulled it in and no kept binary needs it, directly or not.
    Symbolic links (type SYMLINK) are not binaries: ``drop_dangling_links`` deals with them.
    """
    files = [e for e in kept if e[2] != "SYMLINK"]
    known = {_name(e): e[1] for e in files}
    dropped_imports = {dep for e in dropped if e[2] != "SYMLINK" for dep in imports_of(e[1])}
    pulled = _closure(dropped_imports, imports_of, known)
    roots = [name for name in known if name not in pulled]
    needed = _closure({dep for name in roots for dep in imports_of(known[name])}, imports_of, known)
    return [e for e in kept if e[2] == "SYMLINK" or _name(e) not in pulled or _name(e) in needed]


def drop_dangling_links(entries: list[TocEntry], present: set[str]) -> list[TocEntry]:
    """``entries`` without the SYMLINK entries whose target (relative to the link) is not in ``present``."""
    result = []
    for entry in entries:
        if entry[2] == "SYMLINK":
            link = PurePosixPath(entry[0].replace("\\", "/"))
            target = posixpath.normpath((link.parent / entry[1].replace("\\", "/")).as_posix())
            if target not in present:
                continue
        result.append(entry)
    return result


def trim_collected(
    binaries: list[TocEntry], datas: list[TocEntry], imports_of: Callable[[str], set[str]]
) -> tuple[list[TocEntry], list[TocEntry]]:
    """The binaries and data files worth shipping (see ``plugin_is_kept`` and ``data_is_kept``)."""
    kept = [e for e in binaries if plugin_is_kept(e[0]) and data_is_kept(e[0])]
    dropped = [e for e in binaries if e not in kept]
    kept = prune_orphans(kept, dropped, imports_of)
    datas = [e for e in datas if data_is_kept(e[0])]
    present = {e[0].replace("\\", "/") for e in kept + datas if e[2] != "SYMLINK"}
    return drop_dangling_links(kept, present), drop_dangling_links(datas, present)


# --------------------------------------------------------------------------- icons and version resources


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG image (from its IHDR chunk)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise BuildError("the app icon is not a PNG file")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def write_ico(png: bytes, out: Path) -> Path:
    """An .ico holding the PNG as is (Windows Vista and later read PNG-compressed icons)."""
    width, height = png_size(png)
    entry = struct.pack("<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(png), 6 + 16)
    out.write_bytes(struct.pack("<HHH", 0, 1, 1) + entry + png)
    return out


def write_icns(png: bytes, out: Path) -> Path:
    """An .icns holding the PNG (types ic07/ic08/ic09/ic10 carry 128/256/512/1024 px PNG data)."""
    kinds = {128: b"ic07", 256: b"ic08", 512: b"ic09", 1024: b"ic10"}
    width, _ = png_size(png)
    if width not in kinds:
        raise BuildError(f"the app icon is {width} px wide; macOS needs 128, 256, 512 or 1024")
    chunk = kinds[width] + struct.pack(">I", 8 + len(png)) + png
    out.write_bytes(b"icns" + struct.pack(">I", 8 + len(chunk)) + chunk)
    return out


def platform_icon(work: Path) -> str | None:
    """The app icon in the format this OS's executables take; None when there is none (default icon)."""
    if not APP_ICON.is_file():
        print(f"note: {APP_ICON.relative_to(ROOT)} not found, the executables get the default icon")
        return None
    if sys.platform == "win32":
        return str(write_ico(APP_ICON.read_bytes(), work / "hlsstudio.ico"))
    if sys.platform == "darwin":
        return str(write_icns(APP_ICON.read_bytes(), work / "hlsstudio.icns"))
    return None  # Linux executables carry no icon: the .desktop file and the window set it


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """Windows file version numbers: "0.1.0" -> (0, 1, 0, 0), "1.2rc1" -> (1, 2, 0, 0)."""
    release = re.match(r"\d+(\.\d+)*", version)
    numbers = [int(n) for n in release.group(0).split(".")] if release else []
    major, minor, micro, build = (*numbers, 0, 0, 0, 0)[:4]
    return major, minor, micro, build


def write_windows_version_file(version: str, out: Path) -> Path:
    """The version resource of the Windows executables (PyInstaller's VSVersionInfo text form)."""
    numbers = version_tuple(version)
    strings = {
        "CompanyName": DISPLAY_NAME,
        "FileDescription": DISPLAY_NAME,
        "FileVersion": version,
        "InternalName": APP_DIR,
        "ProductName": DISPLAY_NAME,
        "ProductVersion": version,
    }
    table = ", ".join(f"StringStruct({k!r}, {v!r})" for k, v in strings.items())
    out.write_text(
        f"VSVersionInfo(ffi=FixedFileInfo(filevers={numbers}, prodvers={numbers}, mask=0x3f, flags=0x0, "
        "OS=0x40004, fileType=0x1, subtype=0x0, date=(0, 0)), "
        f"kids=[StringFileInfo([StringTable('040904B0', [{table}])]), "
        "VarFileInfo([VarStruct('Translation', [1033, 1200])])])\n",
        encoding="utf-8",
    )
    return out


# --------------------------------------------------------------------------- FFmpeg


def resolve_tool(name: str, given: str | None) -> Path:
    """The ffmpeg/ffprobe to bundle: ``given`` or the one on PATH. Raises BuildError when missing."""
    found = given or shutil.which(name)
    if not found or not Path(found).is_file():
        where = f"at {given}" if given else "on PATH"
        raise BuildError(f"{name} not found {where}: install FFmpeg or pass --{name} PATH")
    return Path(found).resolve()


def parse_ldd(output: str) -> dict[str, Path]:
    """``ldd`` output -> {library name: resolved file}; raises BuildError for a library not found."""
    libraries: dict[str, Path] = {}
    for line in output.splitlines():
        name, arrow, rest = line.strip().partition(" => ")
        if not arrow:
            continue  # linux-vdso, the dynamic loader itself
        if rest.startswith("not found"):
            raise BuildError(f"{name} is needed by FFmpeg but not found on this system")
        libraries[name] = Path(rest.split(" (")[0])
    return libraries


def linux_libraries(binaries: Iterable[Path]) -> dict[str, Path]:
    """Every shared library the binaries load (ldd resolves the whole tree), glibc excepted."""
    libraries: dict[str, Path] = {}
    for binary in binaries:
        done = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False)
        if done.returncode != 0 and "not a dynamic executable" not in done.stdout + done.stderr:
            raise BuildError(f"ldd {binary} failed: {done.stderr.strip()}")
        libraries.update(parse_ldd(done.stdout))
    return {name: path for name, path in libraries.items() if not GLIBC_LIBRARIES.fullmatch(name)}


def install_ffmpeg_linux(target: Path, tools: dict[str, Path]) -> None:
    """bin/ (the executables), lib/ (their libraries) and one launcher per tool in ``target``."""
    (target / "bin").mkdir(parents=True)
    (target / "lib").mkdir()
    libraries = linux_libraries(tools.values())
    for name, source in sorted(libraries.items()):
        shutil.copyfile(source, target / "lib" / name)
    for name, source in tools.items():
        shutil.copy2(source, target / "bin" / name)
        launcher = target / name
        launcher.write_text(LINUX_LAUNCHER.format(name=name), encoding="utf-8")
        launcher.chmod(0o755)
    sources = "\n".join(f"  {name}  <- {path}" for name, path in sorted({**tools, **libraries}.items()))
    (target / "SOURCES.txt").write_text(f"Copied from this build machine:\n{sources}\n", encoding="utf-8")


def install_ffmpeg_windows(target: Path, tools: dict[str, Path]) -> None:
    """ffmpeg.exe, ffprobe.exe and the DLLs beside them (a shared build) in ``target``."""
    target.mkdir(parents=True)
    for name, source in tools.items():
        shutil.copy2(source, target / exe_name(name))
        for dll in source.parent.glob("*.dll"):
            if not (target / dll.name).exists():
                shutil.copy2(dll, target / dll.name)


def macos_foreign_dylibs(binary: Path) -> list[str]:
    """The non-system dylibs a macOS binary links to (``otool -L``)."""
    done = subprocess.run(["otool", "-L", str(binary)], capture_output=True, text=True, check=False)
    names = [line.strip().split(" (")[0] for line in done.stdout.splitlines()[1:]]
    return [n for n in names if n and not n.startswith(("/usr/lib/", "/System/"))]


def ffmpeg_spec_binaries(tools: dict[str, Path], work: Path) -> list[tuple[str, str]]:
    """macOS: ffmpeg/ffprobe go through PyInstaller (it collects and relinks their dylibs).

    They are copied into ``work`` first, so that they are named ffmpeg and ffprobe in the bundle.
    """
    if sys.platform != "darwin":
        return []
    staging = work / "ffmpeg-input"
    staging.mkdir(exist_ok=True)
    binaries = []
    for name, path in tools.items():
        foreign = macos_foreign_dylibs(path)
        if foreign:
            print(f"note: {path} links {len(foreign)} non-system dylibs; PyInstaller collects them")
        shutil.copy2(path, staging / name)
        binaries.append((str(staging / name), FFMPEG_DIR))
    return binaries


# --------------------------------------------------------------------------- the build


def make_config(work: Path, tools: dict[str, Path], trim: bool) -> SpecConfig:
    """The spec configuration for this OS (icon and version resources written into ``work``)."""
    from hlsstudio import __version__

    version_file = None
    if sys.platform == "win32":
        version_file = str(write_windows_version_file(__version__, work / "version.txt"))
    return SpecConfig(
        root=str(ROOT),
        gui_script=str(PACKAGING / "entry" / "gui_main.py"),
        cli_script=str(PACKAGING / "entry" / "cli_main.py"),
        version=__version__,
        icon=platform_icon(work),
        version_file=version_file,
        trim=trim,
        datas=[(str(RESOURCES / kind), f"resources/{kind}") for kind in ("icons", "presets")],
        binaries=ffmpeg_spec_binaries(tools, work),
        excludes=[*UNUSED_QT_MODULES, *UNUSED_PYTHON_MODULES] if trim else ["tkinter", "_tkinter"],
        # QtCharts: the ladder plot's module, shipped even while only some windows import it
        hiddenimports=["hlsstudio.selftest", "hlsstudio.cli.publishing", "PySide6.QtCharts"],
        runtime_hooks=[str(PACKAGING / "rthooks" / "child_env.py")],
    )


def run_pyinstaller(config_path: Path, dist: Path, work: Path) -> None:
    """Run PyInstaller on the spec; raises BuildError when it fails."""
    args = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", str(dist), "--workpath", str(work), str(SPEC), "--", "--config", str(config_path),
    ]  # fmt: skip
    if subprocess.run(args, cwd=ROOT, check=False).returncode != 0:
        raise BuildError("PyInstaller failed (see its output above)")


def app_layout(dist: Path) -> tuple[Path, Path]:
    """(folder holding the executables, folder to put ffmpeg/ into) of the built app."""
    if sys.platform == "darwin":
        contents = dist / f"{DISPLAY_NAME}.app" / "Contents"
        return contents / "MacOS", contents / "Frameworks"
    return dist / APP_DIR, dist / APP_DIR


def install_linux_menu_files(app: Path) -> None:
    """The .desktop file and its installer beside the executables (see packaging/linux/install.sh)."""
    shutil.copy2(PACKAGING / "linux" / "hlsstudio.desktop", app / "hlsstudio.desktop")
    shutil.copy2(PACKAGING / "linux" / "install.sh", app / "install.sh")
    (app / "install.sh").chmod(0o755)


def exe_name(name: str) -> str:
    """``name`` as an executable file name on this OS ("ffmpeg.exe" on Windows)."""
    return f"{name}.exe" if sys.platform == "win32" else name


def smoke_check(exe_dir: Path, ffmpeg_root: Path) -> None:
    """The bundled ffmpeg starts and ``hlsstudio-cli --version`` answers; raises BuildError if not."""
    checks = [
        [str(ffmpeg_root / FFMPEG_DIR / exe_name("ffmpeg")), "-hide_banner", "-version"],
        [str(exe_dir / exe_name(CLI_NAME)), "--version"],
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("HLSSTUDIO_FFMPEG", "HLSSTUDIO_FFPROBE")}
    for args in checks:
        done = subprocess.run(args, capture_output=True, text=True, check=False, env=env, timeout=120)
        if done.returncode != 0:
            raise BuildError(f"{' '.join(args)} failed: {(done.stderr or done.stdout).strip()[-500:]}")


def tree_size(path: Path) -> int:
    """Bytes of the regular files under ``path`` (symlinks not followed)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def size_report(top: Path, exe_dir: Path, ffmpeg_root: Path) -> list[str]:
    """Lines: total size and the share of FFmpeg, Qt and botocore."""
    mib = 1024 * 1024
    internal = exe_dir / "_internal" if (exe_dir / "_internal").is_dir() else ffmpeg_root
    parts = {
        "FFmpeg": ffmpeg_root / FFMPEG_DIR,
        "Qt (PySide6)": internal / "PySide6",
        "botocore": internal / "botocore",
    }
    total = tree_size(top)
    lines = [f"  {name:<14}{tree_size(path) / mib:8.1f} MiB" for name, path in parts.items() if path.is_dir()]
    return [*lines, f"size: {total / mib:.1f} MiB ({total} bytes) in {top}"]


def build(args: argparse.Namespace) -> Path:
    """Build the app into ``args.dist``; returns the built app (folder or .app)."""
    tools = {name: resolve_tool(name, getattr(args, name)) for name in ("ffmpeg", "ffprobe")}
    dist, work = Path(args.dist).resolve(), Path(args.workpath).resolve()
    work.mkdir(parents=True, exist_ok=True)
    config = make_config(work, tools, trim=not args.no_trim).save(work / "hlsstudio-build.json")
    run_pyinstaller(config, dist, work)
    exe_dir, ffmpeg_root = app_layout(dist)
    if sys.platform == "linux":
        install_ffmpeg_linux(ffmpeg_root / FFMPEG_DIR, tools)
        install_linux_menu_files(exe_dir)
    elif sys.platform == "win32":
        install_ffmpeg_windows(ffmpeg_root / FFMPEG_DIR, tools)
    smoke_check(exe_dir, ffmpeg_root)
    top = dist / f"{DISPLAY_NAME}.app" if sys.platform == "darwin" else exe_dir
    print("\n".join(size_report(top, exe_dir, ffmpeg_root)))
    return top


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module doc)."""
    parser = argparse.ArgumentParser(
        description="Build the HLS Studio desktop app: one folder, FFmpeg inside."
    )
    parser.add_argument("--ffmpeg", metavar="PATH", help="ffmpeg to bundle (default: the one on PATH)")
    parser.add_argument("--ffprobe", metavar="PATH", help="ffprobe to bundle (default: the one on PATH)")
    parser.add_argument("--dist", default=str(ROOT / "dist"), metavar="DIR", help="output folder (dist/)")
    parser.add_argument(
        "--workpath", default=str(ROOT / "build"), metavar="DIR", help="PyInstaller's work folder (build/)"
    )
    parser.add_argument("--no-trim", action="store_true", help="keep every Qt plugin, translation and model")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Build; exit status 0 on success, 1 with the reason on stderr."""
    args = parse_args(argv)
    started = time.monotonic()
    try:
        top = build(args)
    except (BuildError, subprocess.TimeoutExpired, OSError) as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    print(f"built {top} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
