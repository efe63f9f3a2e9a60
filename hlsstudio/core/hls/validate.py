"""Validate a finished HLS package folder: RFC 8216 and Apple HLS authoring checks.

``validate_package`` reads the folder once (``facts``), runs every rule (``checks``) and returns a
compact ValidationReport: one check per rule, each naming the first few offenders. ``check_package``
also judges the package against the conformance rules (``report``) from the same facts: what phones,
TVs and web players need, in plain words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hlsstudio.core.conformance import ConformanceReport
from hlsstudio.core.hls.audio_check import check_audio
from hlsstudio.core.hls.checks import RULES, CheckOptions
from hlsstudio.core.hls.facts import PackageFacts, gather_package
from hlsstudio.core.hls.master import MASTER_NAME
from hlsstudio.core.hls.mobile_checks import mobile_checks
from hlsstudio.core.hls.report import build_report
from hlsstudio.core.models import ValidationReport


@dataclass(frozen=True)
class PackageVerdict:
    """A package judged twice from one reading: the validator's report (a failure means the package is
    broken) and the conformance report (rules players need; a failed MUST blocks publishing)."""

    validation: ValidationReport
    conformance: ConformanceReport


def _validation(facts: PackageFacts, options: CheckOptions) -> ValidationReport:
    checks = [rule(facts, options) for rule in (*RULES, check_audio)]
    return ValidationReport(ok=all(check.ok for check in checks), checks=checks)


def _options(
    segment_duration: float, expected_duration: float | None, expected_variants: list[str] | None
) -> CheckOptions:
    return CheckOptions(
        segment_duration=segment_duration,
        expected_duration=expected_duration,
        expected_variants=expected_variants,
    )


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
    return _validation(facts, _options(segment_duration, expected_duration, expected_variants))


def check_package(
    package_dir: Path,
    *,
    segment_duration: float,
    expected_duration: float | None = None,
    expected_variants: list[str] | None = None,
    master_name: str = MASTER_NAME,
    pending: Mapping[str, str] | None = None,
) -> PackageVerdict:
    """``validate_package`` and the conformance report of the same reading of ``package_dir``.

    Arguments as for ``validate_package``; ``pending`` as for ``report.build_report`` (None: the rules
    HLS Studio cannot meet yet only warn). Never raises for a bad or missing package.
    """
    facts = gather_package(package_dir, master_name=master_name, expected_variants=expected_variants)
    validation = _validation(facts, _options(segment_duration, expected_duration, expected_variants))
    conformance = build_report([*validation.checks, *mobile_checks(facts)], pending=pending)
    return PackageVerdict(validation=validation, conformance=conformance)
