"""The HlsStudioError family.

Every error the engine raises on purpose carries two things: ``message``, one line a content-team
user can act on (shown in a job's row, printed by the CLI), and ``detail``, the technical story
(an ffmpeg stderr tail, a server response) shown on demand.
"""

from __future__ import annotations


class HlsStudioError(Exception):
    """Base class: a one-line user message plus optional technical detail."""

    def __init__(self, message: str, detail: str = "") -> None:
        first_line = message.strip().splitlines()[0] if message.strip() else "unknown error"
        super().__init__(first_line)
        self.message = first_line
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class ToolchainError(HlsStudioError):
    """ffmpeg/ffprobe missing, not runnable, or lacking a required capability."""


class ProbeError(HlsStudioError):
    """A source file cannot be used: missing, empty, not media, no video, no decoder."""


class LadderError(HlsStudioError):
    """A ladder or ladder preset is invalid."""


class SettingsError(HlsStudioError):
    """Settings or a preset file cannot be read or written."""


class TranscodeError(HlsStudioError):
    """ffmpeg failed or produced unusable output."""


class StallError(TranscodeError):
    """ffmpeg stopped reporting progress for longer than the stall timeout."""


class CancelledError(HlsStudioError):
    """The user cancelled the work."""

    def __init__(self, message: str = "cancelled", detail: str = "") -> None:
        super().__init__(message, detail)


class ValidationFailed(HlsStudioError):
    """A finished package does not pass the HLS validator."""


class StorageError(HlsStudioError):
    """A destination (R2, S3-compatible, local folder) refused or failed an operation."""


class ConfigError(HlsStudioError):
    """Destination or app configuration is missing or invalid."""


class LiveTitleError(HlsStudioError):
    """Publishing would replace a title viewers can play now, and nobody confirmed it."""


class NonconformantPackage(HlsStudioError):
    """A package breaks a rule players need (a MUST of its conformance report), so it is not published
    unless publishing such packages is allowed in Settings."""
