"""A hand-edited settings file with a wrong value does not stop the CLI: the value falls back to its
default with one warning, and everything else in the file still applies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hlsstudio.cli import main
from hlsstudio.core.settings import settings_path
from tests.mediasamples import MediaSet


def test_a_wrong_value_warns_once_and_the_rest_applies(
    media: MediaSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 12 s: after the two 2 s fast-start segments come full 4 s ones (with the default 6 s: 2, 2, 2, 6)
    clip = media.clip(duration=12.0, gop=25)
    path = settings_path()
    path.write_text(
        json.dumps(
            {
                "schema_version": 2,
                "default_content_type": "film",
                "concurrent_jobs": -3,
                "encode": {"segment_duration": 4, "preset": "ultrafast"},
            }
        )
    )
    out = tmp_path / "pkg"
    assert main(["transcode", str(clip), "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2
    assert any("default_content_type" in w or "content type" in w for w in warnings)
    assert json.loads(captured.out)["status"] == "completed"
    playlist = (out / "stream_180p.m3u8").read_text()
    # the valid values in the file still apply: 4 s segments, after the short first ones
    assert "#EXT-X-TARGETDURATION:4" in playlist
    durations = [float(line[8:].rstrip(",")) for line in playlist.splitlines() if line.startswith("#EXTINF:")]
    assert durations == pytest.approx([2, 2, 2, 4, 2], abs=0.05)
