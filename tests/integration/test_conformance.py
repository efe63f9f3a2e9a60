"""The conformance report in real jobs: recorded in the result, printed by the command line, and a
package that breaks a MUST rule kept local and not published (unless publishing anyway is allowed).

Publishing goes to a local destination folder. The MUST rule broken on purpose is the cellular
variant (HLS Authoring Spec 9.21): a ladder without a rung of at most 192 kb/s. That rule is still in
``report.NOT_YET_WRITTEN`` (the pipeline only warns), so the blocking tests enforce every rule
(``enforce_all``) as the pipeline will once that entry goes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hlsstudio.cli import main
from hlsstudio.core.hls import report as report_module
from hlsstudio.core.hls.report import RULES
from hlsstudio.core.jobs.work import final_state
from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import ContentType, EncodeSettings, JobResult, JobState, Ladder, Rung
from hlsstudio.core.pipeline import JobRequest, run_job
from hlsstudio.core.storage.local import LocalDestination
from hlsstudio.core.toolchain import Toolchain, locate_toolchain

SETTINGS = EncodeSettings(segment_duration=2.0, preset="ultrafast", thumbnail_interval=2.0, stall_timeout=60)
NO_CELLULAR = Ladder(rungs=[Rung(name="180p", height=180, video_kbps=400, audio_kbps=96)])
REFUSAL = "not published: the package breaks 1 rule players need (first: a rung of at most 192 kb/s"


@pytest.fixture(scope="module")
def toolchain() -> Toolchain:
    return locate_toolchain()


@pytest.fixture
def source(media: Any) -> Path:
    return Path(media.clip(duration=4.0, width=640, height=360))


@pytest.fixture
def enforce_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every MUST rule blocks, as once ``NOT_YET_WRITTEN`` is empty."""
    monkeypatch.setattr(report_module, "NOT_YET_WRITTEN", {})


def publish_job(
    source: Path, tmp_path: Path, toolchain: Toolchain, ladder: Ladder, **settings: Any
) -> tuple[JobResult, Path, Path]:
    """Encode ``source`` into ``tmp_path/pkg`` and publish it to the folder ``tmp_path/site``."""
    out, site = tmp_path / "pkg", tmp_path / "site"
    request = JobRequest(
        source=source,
        out_dir=out,
        ladder=ladder,
        settings=SETTINGS.model_copy(update=settings),
        content_type=ContentType.MOVIE,
        content_id="conformance-1",
    )
    return run_job(request, toolchain=toolchain, destination=LocalDestination(site)), out, site


def masters(site: Path) -> list[Path]:
    return sorted(site.rglob("master.m3u8")) if site.exists() else []


def verdicts(result: JobResult) -> dict[str, str]:
    """The verdict of every rule that did not pass."""
    assert result.conformance is not None
    return {f.rule: f.verdict for f in result.conformance.findings if f.verdict != "pass"}


def test_the_default_package_publishes_and_records_every_rule(
    source: Path, tmp_path: Path, toolchain: Toolchain
) -> None:
    result, out, site = publish_job(source, tmp_path, toolchain, default_ladder())
    assert result.status == "completed", result.error
    assert result.validation is not None and result.validation.ok
    report = result.conformance
    assert report is not None and not report.overridden and not report.blocks_publishing
    assert [f.rule for f in report.findings] == [r.name for r in RULES]
    assert verdicts(result) == {}  # cellular rung, I-frame playlists, storyboard: every rule passes
    assert len(masters(site)) == 1 and (out / "master.m3u8").is_file()
    stored = json.loads(result.model_dump_json())["conformance"]
    assert {"rule", "source", "strength", "verdict", "message", "fix"} <= set(stored["findings"][0])


@pytest.mark.usefixtures("enforce_all")
def test_a_must_failure_keeps_the_package_writes_no_master_and_says_why(
    source: Path, tmp_path: Path, toolchain: Toolchain
) -> None:
    result, out, site = publish_job(source, tmp_path, toolchain, NO_CELLULAR)
    assert result.status == "failed"
    assert result.error is not None and result.error.startswith(REFUSAL)
    assert result.error.endswith("see Details ▸ Conformance, or allow publishing anyway in Settings")
    assert result.error_detail is not None and "✗ A rung of at most 192 kb/s" in result.error_detail
    assert "What to do: Turn on the cellular rung in the Ladder tab" in result.error_detail
    assert masters(site) == []  # viewers see nothing: the master was never written
    assert result.publish is None and result.hls_url is None
    report = result.conformance
    assert report is not None and report.blocks_publishing and not report.overridden
    assert [f.rule for f in report.must_failures] == ["cellular-variant"]
    assert result.output_dir == str(out) and (out / "master.m3u8").is_file()
    assert result.validation is not None and result.validation.ok
    assert final_state(result) is JobState.PUBLISH_FAILED  # the encode stands; only publishing waits


@pytest.mark.usefixtures("enforce_all")
def test_publishing_anyway_publishes_and_records_it(
    source: Path, tmp_path: Path, toolchain: Toolchain
) -> None:
    result, _, site = publish_job(source, tmp_path, toolchain, NO_CELLULAR, publish_nonconformant=True)
    assert result.status == "completed", result.error
    assert len(masters(site)) == 1 and result.publish is not None
    report = result.conformance
    assert report is not None and report.overridden and not report.blocks_publishing
    assert [f.rule for f in report.must_failures] == ["cellular-variant"]
    assert any(w.startswith("published although it breaks rules players need") for w in result.warnings)


def test_transcode_prints_the_report_as_json_and_as_text(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--preset", "ultrafast", "--segment-duration", "2"]
    assert main(["transcode", str(source), "--out", str(tmp_path / "a"), *common, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    findings = printed["conformance"]["findings"]
    assert [f["rule"] for f in findings] == [r.name for r in RULES]
    assert {f["verdict"] for f in findings} == {"pass"}
    assert printed["conformance"]["overridden"] is False

    assert main(["transcode", str(source), "--out", str(tmp_path / "b"), *common]) == 0
    assert f"  conformance: {len(RULES)} passed, 0 warnings, 0 failed" in capsys.readouterr().out

    ladder = tmp_path / "ladder.json"
    rung = {"name": "180p", "height": 180, "video_kbps": 400, "audio_kbps": 96, "enabled": True}
    ladder.write_text(json.dumps({"schema_version": 1, "name": "no cellular", "rungs": [rung]}))
    out = tmp_path / "c"
    assert main(["transcode", str(source), "--out", str(out), *common, "--ladder", str(ladder)]) == 0
    text = capsys.readouterr().out
    # transcode alone does not publish, so it still exits 0; the report says what a publish would refuse
    assert f"  conformance: {len(RULES) - 1} passed, 0 warnings, 1 failed" in text
    assert "    ✗ A rung of at most 192 kb/s" in text and "[HLS Authoring Spec 9.21 (iOS)]" in text
    assert "      what to do: Turn on the cellular rung in the Ladder tab" in text
