"""The conformance report's shape: each rule a package is held to, in plain words, and its verdict.

Only the models live here (no rules): ``core.hls.report`` turns the validator's findings into a
``ConformanceReport``. A rule comes from Apple's HLS Authoring Specification (its section number) or
protects a player (Media3, hls.js, Safari, Shaka); MUST rules that fail block publishing unless the
job was told to publish anyway, which the report records.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Verdict = Literal["pass", "warn", "fail"]
Strength = Literal["must", "should"]


class ConformanceFinding(BaseModel):
    """One rule applied to one package: what it asks, where it comes from, how the package did."""

    rule: str
    """A short stable name, e.g. ``cellular-variant``."""
    source: str
    """Where the rule comes from: "HLS Authoring Spec 9.21", "hls.js", "Media3"…"""
    strength: Strength
    verdict: Verdict
    message: str
    """The rule and the package's verdict in plain words."""
    fix: str = ""
    """What to do when it does not pass ('' when it passes)."""


class ConformanceReport(BaseModel):
    """Every rule's verdict for one package; ``overridden``: published despite MUST failures."""

    findings: list[ConformanceFinding] = Field(default_factory=list)
    overridden: bool = False

    @property
    def must_failures(self) -> list[ConformanceFinding]:
        """The MUST rules the package fails."""
        return [f for f in self.findings if f.strength == "must" and f.verdict == "fail"]

    @property
    def blocks_publishing(self) -> bool:
        """True when a MUST rule fails and nobody said to publish anyway."""
        return bool(self.must_failures) and not self.overridden
