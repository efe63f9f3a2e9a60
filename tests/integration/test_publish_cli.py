"""The publishing commands of ``hlsstudio-cli`` against moto on loopback and the local folder."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("tests.s3server")

from hlsstudio.cli import main  # noqa: E402
from tests.s3server import S3Setup, list_keys, make_package  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MASTER = "master.m3u8"


def title_keys(content_id: str, build: str, names: list[str]) -> list[str]:
    """Every key of a movie holding one build of ``names``: the package (master at the title) and the
    build index."""
    prefix = f"hls/movies/{content_id}/"
    return sorted(
        [prefix + MASTER, prefix + "_builds.json", *(f"{prefix}{build}/{n}" for n in names if n != MASTER)]
    )


def builds_of(content_id: str, keys: list[str]) -> set[str]:
    """The build ids stored under a movie."""
    prefix = f"hls/movies/{content_id}/"
    return {k.removeprefix(prefix).split("/")[0] for k in keys if k.startswith(prefix) and k.count("/") == 4}


class Terminal(io.StringIO):
    """Standard input that claims to be a terminal, with the user's answer already typed."""

    def isatty(self) -> bool:
        return True


def publish_args(package: Path, content_type: str, content_id: str) -> list[str]:
    return ["publish", str(package), "--content-type", content_type, "--content-id", content_id]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def s3_env(s3: S3Setup, monkeypatch: pytest.MonkeyPatch) -> S3Setup:
    for name, value in s3.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # injected failures need not wait for five attempts
    return s3


def test_publish_list_and_delete_through_the_cli(
    s3_env: S3Setup, tmp_path: Path, moto_client: Any, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    names = make_package(tmp_path / "pkg")
    status, out, err = cli(capsys, *publish_args(tmp_path / "pkg", "movie", "film-9"), "--json")
    assert status == 0, err
    result = json.loads(out)
    assert result["master_key"] == "hls/movies/film-9/master.m3u8"
    assert result["hls_url"] == "https://cdn.example.test/hls/movies/film-9/master.m3u8"
    assert result["files_uploaded"] == len(names)
    assert "no bucket configured" not in err
    first = result["build"]
    assert list_keys(moto_client, s3_env.bucket, "hls/movies/film-9/") == title_keys("film-9", first, names)

    # A title that is live is never replaced without --replace: one line, its own exit status.
    status, out, err = cli(capsys, *publish_args(tmp_path / "pkg", "movie", "film-9"))
    assert status == 3 and out == ""
    assert err.startswith("error: hls/movies/film-9/master.m3u8 is live (published 20")
    assert err.rstrip().endswith("add --replace to replace it") and err.count("\n") == 1
    assert list_keys(moto_client, s3_env.bucket, "hls/movies/film-9/") == title_keys("film-9", first, names)

    # A republish is a new build; the replaced one is kept for its grace period (24 h by default).
    status, out, err = cli(capsys, *publish_args(tmp_path / "pkg", "movie", "film-9"), "--replace")
    assert status == 0, err
    assert "published hls/movies/film-9/master.m3u8" in out and f"{len(names)} uploaded" in out
    assert "0 removed" in out and "1 replaced build(s) kept for viewers" in out
    (second,) = [b for b in builds_of("film-9", list_keys(moto_client, s3_env.bucket)) if b != first]
    assert f"build     {second}" in out
    stored = list_keys(moto_client, s3_env.bucket, "hls/movies/film-9/")
    assert stored == sorted({*title_keys("film-9", first, names), *title_keys("film-9", second, names)})
    count = len(stored)
    assert count == 2 * (len(names) - 1) + 2  # two builds of the package, one master, the build index

    status, out, _ = cli(capsys, "list", "--json")
    assert status == 0
    assert json.loads(out) == [
        {
            "content_type": "movie",
            "content_id": "film-9",
            "master_key": "hls/movies/film-9/master.m3u8",
            "hls_url": "https://cdn.example.test/hls/movies/film-9/master.m3u8",
            "live_build": second,
            "old_builds": 1,
        }
    ]

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal to ask
    status, out, err = cli(capsys, "delete", "--content-type", "movie", "--content-id", "film-9")
    assert status == 1
    assert err.startswith("error: refusing to delete") and "--yes" in err and err.count("\n") == 1
    assert len(list_keys(moto_client, s3_env.bucket, "hls/movies/film-9/")) == count

    status, out, err = cli(capsys, "delete", "--content-type", "movie", "--content-id", "film-9", "--dry-run")
    assert status == 0
    assert f"would delete {count} objects" in out
    assert len(list_keys(moto_client, s3_env.bucket, "hls/movies/film-9/")) == count

    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    status, out, err = cli(capsys, "delete", "--content-type", "movie", "--content-id", "film-9")
    assert status == 1 and "nothing deleted" in err
    assert len(list_keys(moto_client, s3_env.bucket, "hls/movies/film-9/")) == count

    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    status, out, err = cli(capsys, "delete", "--content-type", "movie", "--content-id", "film-9")
    assert status == 0, err
    assert f"deleted {count} objects" in out  # every build, the index and the master
    assert list_keys(moto_client, s3_env.bucket, "hls/movies/film-9/") == []

    cli(capsys, *publish_args(tmp_path / "pkg", "episode", "e1"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    status, out, err = cli(
        capsys, "delete", "--content-type", "episode", "--content-id", "e1", "--yes", "--json"
    )
    assert status == 0, err
    assert json.loads(out)["count"] == len(names) + 1 and json.loads(out)["deleted"] is True
    assert list_keys(moto_client, s3_env.bucket) == []


def test_without_a_bucket_the_cli_uses_the_local_folder(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_package(tmp_path / "pkg")
    status, out, err = cli(capsys, *publish_args(tmp_path / "pkg", "movie", "x"))
    assert status == 0, err
    folder = home / "data" / "published"
    assert err.strip() == f"no bucket configured: publishing to local folder {folder.resolve()}"
    assert f"url       {(folder / 'hls/movies/x/master.m3u8').resolve().as_uri()}" in out
    (segment,) = (folder / "hls/movies/x").glob("b-*/stream_360p_000.ts")
    assert f"build     {segment.parent.name}" in out
    assert (folder / "hls/movies/x/master.m3u8").read_text().count(f"{segment.parent.name}/stream_") == 2
    status, out, err = cli(capsys, "list")
    assert status == 0 and "x" in out and "no bucket configured: using local folder" in err
    (folder / "videos").mkdir()
    (folder / "videos" / "raw.mkv").write_bytes(b"1234")
    status, out, err = cli(capsys, "convert-existing", "--list", "--json")
    assert status == 0
    assert json.loads(out) == [{"key": "videos/raw.mkv", "size": 4}]


@pytest.mark.parametrize("bad", ["../x", "a b", "", "x/y"])
def test_unsafe_ids_fail_cleanly_without_requests(
    s3_env: S3Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    make_package(tmp_path / "pkg")
    for args in (
        ("publish", str(tmp_path / "pkg"), "--content-type", "movie", "--content-id", bad),
        ("delete", "--content-type", "movie", "--content-id", bad, "--yes"),
        ("delete", "--content-type", "movie", "--content-id", bad, "--dry-run"),
    ):
        status, _, err = cli(capsys, *args)
        assert status == 1
        assert err.startswith("error: invalid content id") and err.count("\n") == 1
        assert "Traceback" not in err
    assert s3_env.proxy.requests == []


def test_failed_publish_is_one_line_and_exit_1(s3_env: S3Setup, tmp_path: Path, capsys: Any) -> None:
    make_package(tmp_path / "pkg")
    s3_env.proxy.rule = lambda req: "500" if req.key.endswith("thumb_001.jpg") else None
    status, out, err = cli(capsys, *publish_args(tmp_path / "pkg", "movie", "f"))
    assert status == 1
    assert err.count("\n") == 1 and "thumb_001.jpg" in err and err.startswith("error: ")
    assert out == ""


# --------------------------------------------------------------------------- secrets


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(env: dict[str, str], home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    full = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("R2_", "HLSSTUDIO_"))},
        **env,
        "HLSSTUDIO_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "tests.s3server.MemoryKeyring",
        "PYTHONPATH": str(ROOT),
        "AWS_MAX_ATTEMPTS": "2",
    }
    code = "import sys; from hlsstudio.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=home,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_secret_key_never_appears_in_output_or_logs(s3: S3Setup, tmp_path: Path, home: Path) -> None:
    make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    env = s3.env()
    publish = ("-v", "publish", str(tmp_path / "pkg"), "--content-type", "movie", "--content-id", "s")
    runs = [run_cli(env, home, *publish, "--json")]
    assert runs[0].returncode == 0, runs[0].stderr

    # The endpoint refuses the credentials and (like a careless server) echoes the secret back.
    s3.proxy.rule = lambda req: "403"
    s3.proxy.error_body_extra = s3.secret
    runs.append(run_cli(env, home, *publish))
    assert runs[-1].returncode == 1
    assert "access denied" in runs[-1].stderr and "secret access key" in runs[-1].stderr

    runs.append(run_cli({**env, "R2_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}, home, *publish))
    assert runs[-1].returncode == 1
    assert "cannot connect to the storage endpoint" in runs[-1].stderr

    runs.append(run_cli(env, home, "-v", "list", "--json"))
    runs.append(run_cli(env, home, "-v", "delete", "--content-type", "movie", "--content-id", "s", "--yes"))
    log_text = "".join(p.read_text() for p in (home / "log").glob("hlsstudio.log*"))
    assert "published" in log_text  # the log is written, just without the secret
    for done in runs:
        assert "Traceback" not in done.stderr
        assert s3.secret not in done.stdout and s3.secret not in done.stderr
    assert s3.secret not in log_text
    assert not any(s3.secret in p.read_text(errors="replace") for p in home.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- run / convert-existing


@pytest.fixture
def one_rung_ladder(tmp_path: Path) -> Path:
    path = tmp_path / "ladder.json"
    rung = {"name": "180p", "height": 180, "video_kbps": 80, "audio_kbps": 40, "enabled": True}
    path.write_text(json.dumps({"schema_version": 1, "name": "tiny", "rungs": [rung]}))
    return path


def test_run_refuses_a_live_title_unless_told_to_replace_it(
    *, s3_env: S3Setup, tmp_path: Path, moto_client: Any, capsys: Any, small_clip: Path, one_rung_ladder: Path
) -> None:
    make_package(tmp_path / "pkg")
    assert cli(capsys, *publish_args(tmp_path / "pkg", "movie", "live-1"))[0] == 0
    before = list_keys(moto_client, s3_env.bucket, "hls/movies/live-1/")
    run = ["run", str(small_clip), "--content-type", "movie", "--content-id", "live-1"]
    run += ["--ladder", str(one_rung_ladder), "--preset", "ultrafast", "--out-dir", str(tmp_path / "out")]
    status, _, err = cli(capsys, *run)
    assert status == 3 and "is live (published" in err and "--replace" in err
    assert not (tmp_path / "out").exists()  # refused before anything was encoded
    assert list_keys(moto_client, s3_env.bucket, "hls/movies/live-1/") == before
    status, _, err = cli(capsys, *run, "--replace", "--json")
    assert status == 0, err
    after = list_keys(moto_client, s3_env.bucket, "hls/movies/live-1/")
    assert set(before) - {"hls/movies/live-1/master.m3u8", "hls/movies/live-1/_builds.json"} <= set(after)


def test_run_transcodes_and_publishes(
    *, s3_env: S3Setup, tmp_path: Path, moto_client: Any, capsys: Any, small_clip: Path, one_rung_ladder: Path
) -> None:
    pytest.importorskip("hlsstudio.core.pipeline")
    status, out, err = cli(
        capsys,
        "run",
        str(small_clip),
        "--content-type",
        "movie",
        "--content-id",
        "clip",
        "--ladder",
        str(one_rung_ladder),
        "--preset",
        "ultrafast",
        "--segment-duration",
        "2",
        "--out-dir",
        str(tmp_path / "out"),
        "--json",
    )
    assert status == 0, err
    result = json.loads(out)
    assert result["status"] == "completed"
    assert result["publish"]["hls_url"] == "https://cdn.example.test/hls/movies/clip/master.m3u8"
    keys = list_keys(moto_client, s3_env.bucket, "hls/movies/clip/")
    build = result["publish"]["build"]
    assert "hls/movies/clip/master.m3u8" in keys and "hls/movies/clip/_builds.json" in keys
    package = [k for k in keys if k.startswith(f"hls/movies/clip/{build}/")]
    assert any(k.endswith(".ts") for k in package)
    assert len(package) == len(keys) - 2  # everything else lies in the build
    assert len(keys) == result["publish"]["files_uploaded"] + 1  # + the build index
    # the scrub-thumbnail storyboard's public URL, inside the build, beside its sprite sheets
    storyboard = f"https://cdn.example.test/hls/movies/clip/{build}/thumbnails.vtt"
    assert result["publish"]["storyboard_url"] == storyboard
    assert f"hls/movies/clip/{build}/thumbnails.vtt" in keys and result["storyboard"] == "thumbnails.vtt"


def test_convert_existing_transcodes_a_stored_source(
    *, s3_env: S3Setup, tmp_path: Path, moto_client: Any, capsys: Any, small_clip: Path, one_rung_ladder: Path
) -> None:
    pytest.importorskip("hlsstudio.core.pipeline")
    moto_client.put_object(Bucket=s3_env.bucket, Key="videos/clip.mp4", Body=small_clip.read_bytes())
    status, out, _ = cli(capsys, "convert-existing", "--list")
    assert status == 0 and "videos/clip.mp4" in out
    status, out, err = cli(
        capsys,
        "convert-existing",
        "videos/clip.mp4",
        "--content-type",
        "episode",
        "--content-id",
        "ep-1",
        "--ladder",
        str(one_rung_ladder),
        "--preset",
        "ultrafast",
        "--out-dir",
        str(tmp_path / "out"),
        "--json",
    )
    assert status == 0, err
    result = json.loads(out)
    assert result["status"] == "completed" and result["source"] == "videos/clip.mp4"
    assert "hls/episodes/ep-1/master.m3u8" in list_keys(moto_client, s3_env.bucket, "hls/episodes/ep-1/")
    assert not list((Path(os.environ["HLSSTUDIO_HOME"]) / "cache" / "convert").iterdir())
