"""The app never deletes or replaces a folder it did not make (real ffmpeg, the real CLI in-process).

Each case puts a user's file where the output would go and checks that it survives, byte for byte,
and that the job fails with one line that says what to do (or picks another folder name).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hlsstudio.cli import main
from hlsstudio.core.install import install_package, package_dirs, safe_folder_name, work_dir_for
from hlsstudio.core.ownership import (
    MARKER_NAME,
    FolderKind,
    FolderNotOursError,
    is_ours,
    make_owned_dir,
    remove_owned,
)

USER_BYTES = b"my holiday notes\n"


def user_file(folder: Path, name: str = "notes.txt") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(USER_BYTES)
    return path


def leftovers(parent: Path) -> list[str]:
    """Hidden working or old folders the app left in ``parent``."""
    return sorted(p.name for p in parent.iterdir() if ".partial-" in p.name or ".old-" in p.name)


def test_transcode_into_a_users_folder_fails_and_keeps_its_files(
    small_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    desktop = tmp_path / "Desktop"
    notes = user_file(desktop)
    code = main(["transcode", str(small_clip), "--out", str(desktop)])
    err = capsys.readouterr().err
    assert code == 1
    assert "already holds other files: choose an empty or new folder" in err
    assert len(err.strip().splitlines()) == 1
    assert notes.read_bytes() == USER_BYTES
    assert sorted(p.name for p in desktop.iterdir()) == ["notes.txt"]
    assert leftovers(tmp_path) == []


def test_the_sources_own_folder_is_never_the_package_folder(
    small_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holiday = tmp_path / "Videos" / "Holiday"
    holiday.mkdir(parents=True)
    source = holiday / "Holiday.mp4"
    shutil.copyfile(small_clip, source)
    original = source.read_bytes()
    code = main(["transcode", str(source), "--out", str(holiday)])
    assert code == 1
    assert "holds the source video Holiday.mp4" in capsys.readouterr().err
    assert source.read_bytes() == original
    assert sorted(p.name for p in holiday.iterdir()) == ["Holiday.mp4"]


def test_the_source_inside_an_app_package_folder_is_kept(small_clip: Path, tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    assert main(["transcode", str(small_clip), "--out", str(package)]) == 0
    source = package / "dropped-here.mp4"
    shutil.copyfile(small_clip, source)
    assert main(["transcode", str(source), "--out", str(package)]) == 1
    assert source.is_file()


def test_several_sources_never_replace_a_users_folder(small_clip: Path, tmp_path: Path) -> None:
    videos = tmp_path / "Videos"
    mine = user_file(videos / "a")
    a = tmp_path / "in" / "a.mp4"
    b = tmp_path / "in" / "b.mp4"
    a.parent.mkdir()
    shutil.copyfile(small_clip, a)
    shutil.copyfile(small_clip, b)
    assert main(["transcode", str(a), str(b), "--out", str(videos)]) == 0
    assert mine.read_bytes() == USER_BYTES
    assert sorted(p.name for p in (videos / "a").iterdir()) == ["notes.txt"]
    for name in ("a-2", "b"):
        assert (videos / name / "master.m3u8").is_file()
        assert is_ours(videos / name)
    assert leftovers(videos) == []


def test_running_a_batch_again_replaces_its_own_packages(small_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    a = tmp_path / "a.mp4"
    shutil.copyfile(small_clip, a)
    assert main(["transcode", str(a), str(small_clip), "--out", str(out)]) == 0
    first = sorted(p.name for p in out.iterdir())
    stale = out / "a" / "stale.txt"
    stale.write_text("from the first run")
    assert main(["transcode", str(a), str(small_clip), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == first  # the same folders, no -2
    assert not stale.exists()
    assert (out / "a" / "master.m3u8").is_file()


def test_run_out_dir_with_user_files_fails_and_publishes_nothing(
    small_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "Work"
    notes = user_file(work)
    code = main(
        ["run", str(small_clip), "--content-type", "movie", "--content-id", "film", "--out-dir", str(work)]
    )
    assert code == 1
    assert "already holds other files" in capsys.readouterr().err
    assert notes.read_bytes() == USER_BYTES
    assert sorted(p.name for p in work.iterdir()) == ["notes.txt"]


def test_an_empty_folder_may_become_the_package(small_clip: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["transcode", str(small_clip), "--out", str(empty)]) == 0
    assert (empty / "master.m3u8").is_file()
    assert (empty / MARKER_NAME).is_file()


def test_folder_names_are_safe_and_never_collide(tmp_path: Path) -> None:
    out = tmp_path / "out"
    user_file(out / "Clip")  # a user's folder, in another case
    (out / "notes").write_text("a user's file")
    made = package_dirs(
        [Path(n) for n in ("clip.mp4", "CLIP.mov", "con.mp4", "nul.mkv", "com1.tar.mp4", "trail. .mp4")]
        + [Path("notes.mp4"), Path("a:b?.mp4"), Path("..mp4")],
        out,
    )
    names = [p.name for p in made]
    assert names == ["clip-2", "CLIP-3", "con_", "nul_", "com1.tar_", "trail", "notes-2", "a_b_", "video"]
    assert len({n.casefold() for n in names}) == len(names)


def test_folder_name_from_a_name_that_is_not_text() -> None:
    stem = b"caf\xe9".decode("utf-8", "surrogateescape")
    assert safe_folder_name(stem) == "caf_"


def test_install_refuses_a_target_that_changed_during_the_encode(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    work = work_dir_for(target, "job-1")
    (work / "master.m3u8").write_text("#EXTM3U\n")
    notes = user_file(target)  # the user made the folder while the job ran
    with pytest.raises(FolderNotOursError):
        install_package(work, target)
    assert notes.read_bytes() == USER_BYTES
    assert remove_owned(work)


def test_remove_owned_leaves_user_folders_alone(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    notes = user_file(mine)
    assert remove_owned(mine) is False
    assert notes.read_bytes() == USER_BYTES
    (mine / MARKER_NAME).write_text('{"app": "someone else"}')
    assert remove_owned(mine) is False
    made = make_owned_dir(tmp_path / "made", FolderKind.TEMP, "job-2")
    (made / "x").write_text("x")
    assert remove_owned(made) is True
    assert not made.exists()


def test_a_link_to_a_package_folder_is_not_followed(tmp_path: Path) -> None:
    made = make_owned_dir(tmp_path / "made", FolderKind.PACKAGE, "job-3")
    link = tmp_path / "link"
    link.symlink_to(made, target_is_directory=True)
    assert remove_owned(link) is False
    assert made.is_dir()
