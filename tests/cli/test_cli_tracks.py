"""``hlsstudio-cli``'s track options: attaching files to a job (``--subtitle``/``--audio FILE[:LANG]``),
choosing tracks and defaults, and what ``probe`` says about a source's tracks (real ffprobe/ffmpeg).

Usage errors exit 2 with one line and run nothing; what is attached is stored with the job, as the
app reads it from the shared store.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hlsstudio.cli import build_parser, main
from hlsstudio.cli.common import request_settings
from hlsstudio.cli.tracks import ONE_SOURCE
from hlsstudio.core.jobstore import JobRecord, JobStore
from hlsstudio.core.models import JobState
from tests.mediasamples import MediaSet

SRT = "1\n00:00:00,000 --> 00:00:00,800\nBonjour\n\n"
CONTENT = ["--content-type", "movie", "--content-id", "film"]


def stored() -> list[JobRecord]:
    """The jobs as the desktop app reads them."""
    store = JobStore.open(recover=False)
    try:
        return store.jobs()
    finally:
        store.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """film.mp4 (not probed here), film.fr.srt, dub.wav, notes.txt."""
    found = tmp_path / "in"
    found.mkdir()
    (found / "film.mp4").write_bytes(b"")
    (found / "film.fr.srt").write_text(SRT, encoding="utf-8")
    (found / "dub.wav").write_bytes(b"")
    (found / "notes.txt").write_text("not subtitles", encoding="utf-8")
    return found


def usage_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run a command that argparse refuses; its last stderr line."""
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.splitlines()[-1]


# --- options and help -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["transcode", "run", "convert-existing"])
def test_help_names_every_track_option(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--audio-tracks WHICH", "--subtitle-tracks WHICH", "--default-audio LANG",
                   "--default-subtitles LANG", "--audio FILE[:LANG]", "--subtitle FILE[:LANG]",
                   "--no-subtitles"):  # fmt: skip
        assert option in text, option
    assert "first (the source's default track)" in text and "(repeatable)" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--audio-tracks", "klingon"], "argument --audio-tracks: 'klingon' is not a language"),
        (["--audio-tracks", "none"], "'none' is not a language (use all, first,"),
        (["--subtitle-tracks", "first"], "'first' is not a language (use all, none,"),
        (["--subtitle-tracks", "en,xx"], "'xx' is not a language"),
        (["--default-audio", "xx"], "argument --default-audio: 'xx' is not a language code"),
        (["--default-subtitles", "zz"], "argument --default-subtitles: 'zz' is not a language code"),
        (["--subtitle", "film.srt:xx"], "argument --subtitle: 'xx' after 'film.srt' is not a language code"),
        (["--audio", "dub.wav:klingon"], "argument --audio: 'klingon' after 'dub.wav' is not a language"),
    ],
)
def test_a_selection_or_language_that_is_none_is_a_usage_error(
    args: list[str], message: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = str(folder / "film.mp4")
    line = usage_error(capsys, "transcode", source, "--out", str(folder / "out"), *args)
    assert message in line
    line = usage_error(capsys, "run", source, *CONTENT, *args)
    assert message in line
    assert not (folder / "out").exists()


def test_the_options_set_the_jobs_track_settings(tmp_path: Path) -> None:
    parser = build_parser()
    args = parser.parse_args(["transcode", "f.mp4", "--out", "o", "--audio-tracks", "fre,en",
                              "--subtitle-tracks", "none", "--default-audio", "French",
                              "--default-subtitles", "pt_br"])  # fmt: skip
    _, settings = request_settings(args)
    assert (settings.audio_tracks, settings.subtitle_tracks) == ("fre,en", "none")
    assert (settings.default_audio_language, settings.default_subtitle_language) == ("fr", "pt-BR")
    assert settings.subtitles is True
    _, plain = request_settings(parser.parse_args(["transcode", "f.mp4", "--out", "o", "--no-subtitles"]))
    assert (plain.audio_tracks, plain.subtitle_tracks, plain.subtitles) == ("all", "all", False)
    assert (plain.default_audio_language, plain.default_subtitle_language) == (None, None)


def test_a_ladder_presets_default_languages_apply_unless_the_command_line_says_otherwise(
    tmp_path: Path,
) -> None:
    preset = tmp_path / "dubbed.json"
    rung = {"name": "180p", "height": 180, "video_kbps": 300, "audio_kbps": 64, "enabled": True}
    doc = {"schema_version": 1, "name": "dubbed", "rungs": [rung],
           "default_audio_language": "fra", "default_subtitle_language": "sw"}  # fmt: skip
    preset.write_text(json.dumps(doc), encoding="utf-8")
    parser = build_parser()
    base = ["transcode", "f.mp4", "--out", "o", "--ladder", str(preset)]
    ladder, settings = request_settings(parser.parse_args(base))
    assert [r.name for r in ladder.rungs] == ["180p"]
    assert (settings.default_audio_language, settings.default_subtitle_language) == ("fr", "sw")
    _, settings = request_settings(parser.parse_args([*base, "--default-audio", "en"]))
    assert (settings.default_audio_language, settings.default_subtitle_language) == ("en", "sw")


# --- attached files: refused before anything runs -------------------------------------------------


def test_track_files_need_exactly_one_source(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = folder / "other.mp4"
    other.write_bytes(b"")
    out = folder / "out"
    args = ["transcode", str(folder / "film.mp4"), str(other), "--out", str(out)]
    assert main([*args, "--subtitle", str(folder / "film.fr.srt")]) == 2
    assert capsys.readouterr() == ("", f"error: {ONE_SOURCE}\n")
    assert main([*args, "--audio", str(folder / "dub.wav:de")]) == 2
    assert capsys.readouterr().err == f"error: {ONE_SOURCE}\n"
    assert stored() == [] and not out.exists()


@pytest.mark.parametrize(
    ("option", "name", "message"),
    [
        ("--subtitle", "missing.fr.srt", "error: missing.fr.srt: no such file"),
        ("--subtitle", "notes.txt", "error: notes.txt is not a subtitle or audio file (.aac,"),
        ("--audio", "notes.txt:de", "error: notes.txt is not a subtitle or audio file"),
        ("--subtitle", "dub.wav", "error: dub.wav is an audio file: give it with --audio"),
        ("--audio", "film.fr.srt", "error: film.fr.srt is subtitles: give it with --subtitle"),
    ],
)
def test_a_file_that_cannot_be_attached_stops_the_command_with_one_line(
    option: str, name: str, message: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = folder / "film.mp4", folder / "out"
    given = [option, str(folder / name)]
    commands = [
        ["transcode", str(source), "--out", str(out), *given],
        ["run", str(source), *CONTENT, "--out-dir", str(out), *given],
        ["convert-existing", "videos/film.mp4", *CONTENT, "--out-dir", str(out), *given],
    ]
    for command in commands:
        assert main(command) == 2, command
        out_text, err = capsys.readouterr()
        assert out_text == ""
        assert len(err.splitlines()) == 1 and err.startswith(message), (command, err)
    assert stored() == [] and not out.exists()


# --- attached files: stored with the job ----------------------------------------------------------


def test_the_attached_files_are_stored_with_the_job(
    media: MediaSet, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A source that fails its probe: the job runs no encode, and what was attached is on record."""
    source = folder / "film.mp4"
    shutil.copyfile(media.sample("text_as_mp4"), source)
    args = ["transcode", str(source), "--out", str(folder / "out")]
    args += ["--subtitle", str(folder / "film.fr.srt"), "--audio", f"{folder / 'dub.wav'}:de"]
    args += ["--subtitle", f"{folder / 'film.fr.srt'}:fr-CA"]  # the same file again: listed once
    assert main(args) == 1
    assert "not a media file" in capsys.readouterr().err
    (job,) = stored()
    assert job.state is JobState.FAILED and job.tracks is not None
    assert job.tracks.discovered is False  # the source's own tracks are added when it is planned
    assert [(t.origin, t.path, t.language) for t in job.tracks.audio] == [
        ("attached", str(folder / "dub.wav"), "de")
    ]
    assert [(t.origin, t.path, t.language, t.include) for t in job.tracks.subtitles] == [
        ("attached", str(folder / "film.fr.srt"), "fr-CA", True)
    ]


def test_a_job_without_track_files_stores_no_track_list(
    media: MediaSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["transcode", str(media.sample("text_as_mp4")), "--out", str(tmp_path / "out")]) == 1
    capsys.readouterr()
    (job,) = stored()
    assert job.tracks is None or job.tracks.discovered  # nothing attached: nothing but what is found


def test_an_attached_subtitle_file_becomes_a_subtitle_rendition(
    media: MediaSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The one real encode here: the smallest clip, one rung, a French file shown from the start."""
    source = tmp_path / "in" / "clip.mp4"
    source.parent.mkdir()
    shutil.copyfile(media.tiny, source)
    subtitles = tmp_path / "subs.srt"
    subtitles.write_text(SRT, encoding="utf-8")
    out = tmp_path / "out"
    args = ["transcode", str(source), "--out", str(out), "--preset", "ultrafast", "--json"]
    args += ["--subtitle", f"{subtitles}:fr", "--default-subtitles", "fr"]
    status = main(args)
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert json.loads(captured.out)["status"] == "completed"
    (job,) = stored()
    assert job.tracks is not None
    assert [(t.path, t.language) for t in job.tracks.subtitles if t.origin == "attached"] == [
        (str(subtitles), "fr")
    ]
    media_lines = [
        line for line in (out / "master.m3u8").read_text().splitlines() if "TYPE=SUBTITLES" in line
    ]
    assert len(media_lines) == 1
    assert 'LANGUAGE="fr"' in media_lines[0] and "DEFAULT=YES" in media_lines[0]


# --- probe ----------------------------------------------------------------------------------------


@pytest.fixture
def film(media: MediaSet, tmp_path: Path) -> Path:
    """film.mkv (H.264, AAC, an English SubRip track) with film.sw.srt and film.fra.wav beside it,
    and film.extended.mkv whose film.extended.fr.srt is not film.mkv's."""
    folder = tmp_path / "films"
    folder.mkdir()
    source = folder / "film.mkv"
    shutil.copyfile(media.subtitled, source)
    (folder / "film.sw.srt").write_text(SRT, encoding="utf-8")
    (folder / "film.extended.fr.srt").write_text(SRT, encoding="utf-8")
    (folder / "film.fra.wav").write_bytes(b"")
    (folder / "film.extended.mkv").write_bytes(b"")
    return source


def test_probe_json_lists_the_subtitle_streams_and_every_track_with_the_side_files(
    film: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["probe", "--json", str(film)]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert set(entry) == {"path", "ok", "info", "tracks"}
    assert entry["info"]["subtitle_streams"] == [{"codec": "subrip", "language": "eng", "text": True}]
    tracks = entry["tracks"]
    assert [(t["origin"], t["path"], t["language"], t["include"]) for t in tracks["audio"]] == [
        ("embedded", None, None, True),  # the sample's audio has no language tag
        ("side", str(film.parent / "film.fra.wav"), "fr", True),
    ]
    assert [
        (t["origin"], t["path"], t["language"], t["codec"], t["usable"]) for t in tracks["subtitles"]
    ] == [
        ("embedded", None, "en", "subrip", True),
        ("side", str(film.parent / "film.sw.srt"), "sw", "srt", True),
    ]
    assert [t["default"] for t in tracks["audio"]] == [True, False]  # the first: the source has none


def test_probe_prints_the_audio_and_subtitle_tracks(film: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", str(film)]) == 0
    lines = capsys.readouterr().out.splitlines()
    tracks = [line for line in lines if line.startswith(("  audio", "  subtitle"))]
    assert tracks == [
        "  audio 1    aac, stereo, 48000 Hz",
        "  audio 2    film.fra.wav beside the source, fr",
        "  subtitle 1 subrip, eng, text",
        "  subtitle 2 film.sw.srt beside the source, sw",
    ]
