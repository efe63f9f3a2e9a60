"""The command line on the farm: ``transcode --farm`` against a real Redis and two real workers makes
a valid package (downloaded and checked here), ``farm status`` lists the workers, their queues and
the farm's jobs, and ``--farm`` without a usable farm says why in one line and runs nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hlsstudio.cli import main
from hlsstudio.core.ladder import save_preset
from hlsstudio.core.models import Ladder
from tests.farm.conftest import Farm
from tests.farm.farmjobs import RUNGS
from tests.farm.farmlab import free_port


def use_farm(farm: Farm, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process sees the farm as its workers do: Redis, the bucket, the farm's timers."""
    for name, value in farm.env.items():
        if name.startswith(("R2_", "HLSSTUDIO_")):
            monkeypatch.setenv(name, value)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_transcode_on_the_farm_makes_a_valid_package_and_status_shows_the_workers(
    farm: Farm,
    title: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_farm(farm, monkeypatch)
    ladder = tmp_path / "ladder.json"
    save_preset(ladder, Ladder(rungs=RUNGS), "farm test")
    assert main(["farm", "status"]) == 0
    text = capsys.readouterr().out
    assert "2 workers:" in text and "(CPU, I/O)" in text and "jobs      none" in text

    out = tmp_path / "package"
    args = ["transcode", str(title), "--out", str(out), "--ladder", str(ladder), "--preset", "fast",
            "--segment-duration", "4", "--no-quality", "--farm", "--json"]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "completed" and result["validation"]["ok"], result
    assert sorted(v["quality"] for v in result["variants"]) == sorted(r.name for r in RUNGS)
    assert (out / "master.m3u8").is_file()
    assert farm.keys("farm/") == []  # collected: the farm's work files are removed

    assert main(["farm", "status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["usable"] and set(report["queues"]) == {"cpu", "io"}
    assert all(job["manifest"] for job in report["jobs"])  # the job above, stitched (kept an hour)
    assert len(report["jobs"]) == 1 and report["jobs"][0]["fraction"] == 1.0


def test_farm_needs_a_reachable_redis(
    title: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HLSSTUDIO_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert main(["transcode", str(title), "--out", str(tmp_path / "p"), "--farm"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot use the farm: Redis at 127.0.0.1:") and "refused" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "p").exists()
    assert main(["farm", "status"]) == 1
    assert "refused the connection" in capsys.readouterr().out
