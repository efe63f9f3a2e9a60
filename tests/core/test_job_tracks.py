"""A job's tracks in the job service: found after the probe (real ffprobe on a generated clip with two
audio languages and a subtitle file beside it), edited, files attached, kept across retries and
restarts. The InlineExecutor runs each probe before the call that caused it returns."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hlsstudio.core.jobs import events as ev
from hlsstudio.core.jobs.executor import InlineExecutor
from hlsstudio.core.jobs.service import JobService
from hlsstudio.core.jobs.tracking import tidy_tracks
from hlsstudio.core.jobstore import JobRecord, JobStore
from hlsstudio.core.models import JobState
from hlsstudio.core.settings import AppSettings
from hlsstudio.core.tracks.choices import JobTracks, TrackChoice
from tests.mediasamples import MediaSet

SRT = "1\n00:00:00,000 --> 00:00:00,800\nHabari\n\n"


@pytest.fixture
def film(media: MediaSet, tmp_path: Path) -> Path:
    """film.mp4 (AAC eng + AAC fra, fra the default) with film.sw.srt beside it."""
    folder = tmp_path / "films"
    folder.mkdir()
    source = folder / "film.mp4"
    shutil.copyfile(media.two_audio, source)
    (folder / "film.sw.srt").write_text(SRT, encoding="utf-8")
    return source


@pytest.fixture
def service(tmp_path: Path) -> Iterator[JobService]:
    settings = AppSettings(output_dir=str(tmp_path / "out"))
    found = JobService(JobStore.open(), InlineExecutor(), settings)
    try:
        yield found
    finally:
        found.store.close()


def stored(service: JobService, job_id: int) -> JobRecord:
    record = service.store.get(job_id)
    assert record is not None
    return record


def tracks_of(service: JobService, job_id: int) -> JobTracks:
    tracks = stored(service, job_id).tracks
    assert tracks is not None
    return tracks


def test_a_probed_job_stores_its_audio_tracks_and_the_subtitle_file_beside_it(
    service: JobService, film: Path
) -> None:
    changes: list[ev.JobsChanged] = []
    service.subscribe(lambda event: changes.append(event) if isinstance(event, ev.JobsChanged) else None)

    job = service.add([film])[0]

    record = stored(service, job.id)
    assert record.state is JobState.READY
    tracks = tracks_of(service, job.id)
    assert tracks.discovered
    assert [(t.origin, t.language, t.include) for t in tracks.audio] == [
        ("embedded", "en", True),
        ("embedded", "fr", True),
    ]
    assert [t.default for t in tracks.audio] == [False, True]  # the source's default
    assert [(t.origin, t.language, Path(t.path or "").name) for t in tracks.subtitles] == [
        ("side", "sw", "film.sw.srt")
    ]
    announced = [r for e in changes for r in e.records if r.id == job.id and r.state is JobState.READY]
    assert announced and announced[-1].tracks == tracks
    assert tracks.summary() == "2 audio (en, fr) · 1 subtitle (sw)"


def test_edited_tracks_are_stored_tidied_and_survive_a_retry_and_a_restart(
    service: JobService, film: Path
) -> None:
    job = service.add([film])[0]
    tracks = tracks_of(service, job.id)
    english, french = tracks.audio
    edited = tracks.model_copy(
        update={
            "audio": [
                english.model_copy(update={"default": True, "name": "  English   (original) "}),
                french.model_copy(update={"language": "Deutsch", "default": True}),
            ],
            "subtitles": [tracks.subtitles[0].model_copy(update={"language": "xx-nonsense", "sdh": True})],
        }
    )

    record = service.set_tracks(job.id, edited)

    assert record is not None and record.tracks is not None
    saved = tracks_of(service, job.id)
    assert saved == record.tracks
    assert [(t.language, t.default) for t in saved.audio] == [("en", True), ("de", False)]
    assert saved.audio[0].name == "English (original)"
    assert (saved.subtitles[0].language, saved.subtitles[0].sdh) == (None, True)

    service.transition(job.id, JobState.FAILED, error="it broke")
    assert service.retry([job.id]) == 1
    assert stored(service, job.id).state is JobState.READY
    assert tracks_of(service, job.id) == saved

    service.store.close()
    service.store = JobStore.open()
    again = JobService(service.store, InlineExecutor(), service.settings)
    again.load()
    assert tracks_of(again, job.id) == saved


def test_tracks_of_a_running_job_are_not_changed(service: JobService, film: Path) -> None:
    lines: list[str] = []
    service.subscribe(lambda event: lines.append(event.text) if isinstance(event, ev.LogLine) else None)
    job = service.add([film])[0]
    before = tracks_of(service, job.id)
    service.transition(job.id, JobState.TRANSCODING)

    assert service.set_tracks(job.id, JobTracks(discovered=True)) is None
    problems = service.attach_files(job.id, [film.with_name("film.sw.srt")])

    assert tracks_of(service, job.id) == before
    assert lines == ["film.mp4: its tracks can't change while it runs"]
    assert problems == ["film.mp4: its tracks can't change while it runs"]


def test_attached_files_are_stored_and_a_text_file_is_refused_in_one_line(
    service: JobService, film: Path
) -> None:
    job = service.add([film])[0]
    dub = film.with_name("dub.fr.wav")
    dub.write_bytes(b"RIFF")
    notes = film.with_name("notes.txt")
    notes.write_text("not subtitles", encoding="utf-8")
    extra = film.with_name("extra.en.vtt")
    extra.write_text("WEBVTT\n", encoding="utf-8")

    problems = service.attach_files(job.id, [dub, notes, extra])

    assert len(problems) == 1 and "\n" not in problems[0]
    assert problems[0].startswith("notes.txt is not a subtitle or audio file")
    tracks = tracks_of(service, job.id)
    assert [(t.origin, Path(t.path).name) for t in tracks.audio if t.path] == [("attached", "dub.fr.wav")]
    assert [Path(t.path).name for t in tracks.subtitles if t.path] == ["film.sw.srt", "extra.en.vtt"]
    assert service.attach_files(job.id, [notes]) == [problems[0]]
    assert tracks_of(service, job.id) == tracks


def test_a_file_attached_before_the_probe_is_kept_when_the_tracks_are_found(
    service: JobService, film: Path, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere" / "commentary.es.srt"
    other.parent.mkdir()
    other.write_text(SRT, encoding="utf-8")
    service.probes.add = lambda ids: None  # type: ignore[method-assign]  (probed by hand below)
    job = service.add([film])[0]

    assert service.attach_files(job.id, [other]) == []
    waiting = tracks_of(service, job.id)
    assert not waiting.discovered and [t.language for t in waiting.subtitles] == ["es"]

    del service.probes.add
    service.probes.add([job.id])

    tracks = tracks_of(service, job.id)
    assert tracks.discovered and len(tracks.audio) == 2
    assert [t.language for t in tracks.subtitles] == ["sw", "es"]


def test_a_file_attached_while_the_probe_ends_is_not_lost(service: JobService, film: Path) -> None:
    late = film.with_name("late.it.srt")
    late.write_text(SRT, encoding="utf-8")
    found = service._tracks_found
    attached: list[list[str]] = []

    def then_attach(answers):  # type: ignore[no-untyped-def]
        result = found(answers)
        attached.append(service.attach_files(answers[0][0], [late]))
        return result

    service._tracks_found = then_attach  # type: ignore[method-assign]
    job = service.add([film])[0]

    assert attached == [[]]
    tracks = tracks_of(service, job.id)
    assert tracks.discovered and len(tracks.audio) == 2
    assert sorted(t.language or "" for t in tracks.subtitles) == ["it", "sw"]


def test_tidy_tracks_keeps_one_audio_default_and_at_most_one_subtitle_default() -> None:
    def sub(**fields: object) -> TrackChoice:
        return TrackChoice(kind="subtitle", origin="embedded", **fields)  # type: ignore[arg-type]

    tracks = JobTracks(
        audio=[
            TrackChoice(kind="audio", origin="embedded", include=False, default=True, forced=True),
            TrackChoice(kind="audio", origin="embedded", default=True, language="FRE"),
        ],
        subtitles=[
            sub(usable=False, include=True, default=True),
            sub(default=True, language="pt_br", name="   "),
            sub(default=True, language="English"),
        ],
        discovered=True,
    )

    tidy = tidy_tracks(tracks)

    assert [(t.default, t.forced, t.language) for t in tidy.audio] == [
        (False, False, None),
        (True, False, "fr"),
    ]
    assert [(t.include, t.default, t.language, t.name) for t in tidy.subtitles] == [
        (False, False, None, None),
        (True, True, "pt-BR", None),
        (True, False, "en", None),
    ]
    assert tidy.discovered


def test_leaving_out_the_default_audio_makes_the_first_carried_one_the_default() -> None:
    audio = [
        TrackChoice(kind="audio", origin="embedded", index=0, default=True, include=False),
        TrackChoice(kind="audio", origin="embedded", index=1),
        TrackChoice(kind="audio", origin="embedded", index=2),
    ]
    subtitles = [TrackChoice(kind="subtitle", origin="embedded", default=True, include=False)]

    tidy = tidy_tracks(JobTracks(audio=audio, subtitles=subtitles))

    assert [t.default for t in tidy.audio] == [False, True, False]
    assert [t.default for t in tidy.subtitles] == [False]
