"""Validate a finished HLS package folder: RFC 8216 and Apple HLS authoring checks.

``validate_package`` reads the folder once (``facts``), runs every rule (``checks``) and returns a
compact ValidationReport: one check per rule, each naming the first few offenders.
"""

from __future__ import annotations

from pathlib import Path

from hlsstudio.core.hls.checks import RULES, CheckOptions
from hlsstudio.core.hls.facts import gather_package
from hlsstudio.core.hls.master import MASTER_NAME
from hlsstudio.core.models import ValidationReport


def validate_package(
    package_dir: Path,
    *,
    segment_duration: float,
    expected_duration: float | None = None,
    expected_variants: list[str] | None = None,
    master_name: str = MASTER_NAME,
) -> ValidationReport:
    """Check the HLS package in ``package_dir``.

    ``segment_duration`` is the target segment length the package was cut with (s);
    ``expected_duration`` the source duration every variant should last (None: not checked);
    ``expected_variants`` the variant names (``stream_<name>.m3u8``) the master must list.
    Returns a ValidationReport whose ``ok`` is True only when every check passes. Never raises for
    a bad or missing package: every problem becomes a failed check naming the file or segment.
    """
    facts = gather_package(package_dir, master_name=master_name, expected_variants=expected_variants)
    options = CheckOptions(
        segment_duration=segment_duration,
        expected_duration=expected_duration,
        expected_variants=expected_variants,
    )
    checks = [rule(facts, options) for rule in RULES]
    return ValidationReport(ok=all(check.ok for check in checks), checks=checks)
