"""The ladder presets shipped in resources/presets load and match what they promise."""

from __future__ import annotations

from pathlib import Path

import pytest

from hlsstudio.core.ladder import default_ladder, load_preset

PRESETS = Path(__file__).resolve().parents[2] / "resources" / "presets"


@pytest.mark.parametrize("path", sorted(PRESETS.glob("*.json")), ids=lambda p: p.stem)
def test_shipped_preset_loads(path: Path) -> None:
    name, ladder = load_preset(path)
    assert name
    assert ladder.enabled_rungs
    heights = [r.height for r in ladder.rungs]
    assert heights == sorted(heights)


def test_default_preset_is_the_default_ladder() -> None:
    _, ladder = load_preset(PRESETS / "default.json")
    assert ladder == default_ladder()
    assert len(list(PRESETS.glob("*.json"))) >= 3
