"""The tracks a job carries, as the user sees and edits them, and the renditions a package lists.

``JobTracks`` is stored with the job (the Tracks tab edits it; ``discover`` makes the first one from
the probe and the files beside the source). Each ``TrackChoice`` is one audio or subtitle track:
where it comes from (a stream of the source, a file found beside it, a file the user attached),
whether it is carried, and the label the master playlist gives it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from hlsstudio.core.subtitles.languages import UNDETERMINED, language_name

TrackKind = Literal["audio", "subtitle"]
TrackOrigin = Literal["embedded", "side", "attached"]
"""embedded: a stream of the source; side: a file named after the source, found beside it;
attached: a file the user added to the job."""


class TrackChoice(BaseModel):
    """One audio or subtitle track of a job: where it comes from, whether it is carried, its label."""

    kind: TrackKind
    origin: TrackOrigin
    index: int | None = None
    """embedded: the N-th stream of its kind in the source (``0:a:N`` / ``0:s:N``)."""
    path: str | None = None
    """side and attached: the file."""
    include: bool = True
    language: str | None = None  # a BCP 47 tag; None: undetermined
    name: str | None = None  # the player's menu name; None: from the language
    default: bool = False
    forced: bool = False  # subtitles only
    sdh: bool = False  # subtitles only
    codec: str = ""  # what the probe (or the file's extension) says it is
    channels: int = 0  # audio: the source's channel count (0: not known yet)
    usable: bool = True
    """False for a track that cannot be carried (image subtitles): never included."""
    note: str = ""
    """What the user should know ("image subtitles can't be converted to text", "5.1 → stereo")."""

    @property
    def carried(self) -> bool:
        """True when the track goes into the package."""
        return self.include and self.usable

    def display_name(self) -> str:
        """The menu name: the user's, else from the language and flags ("English (SDH)")."""
        if self.name and self.name.strip():
            return " ".join(self.name.split())
        if self.kind == "audio":
            return language_name(self.language) if self.language else "Audio"
        flags = [word for word, on in (("SDH", self.sdh), ("forced", self.forced)) if on]
        base = language_name(self.language)
        return f"{base} ({', '.join(flags)})" if flags else base

    def describe(self) -> str:
        """How messages name the track: its file, or "audio track 2 (fr)"."""
        if self.path:
            return self.path.replace("\\", "/").rsplit("/", 1)[-1]
        language = f" ({self.language})" if self.language else ""
        return f"{'audio' if self.kind == 'audio' else 'subtitle'} track {(self.index or 0) + 1}{language}"

    @property
    def language_tag(self) -> str:
        """The LANGUAGE a playlist gives it (``und`` when undetermined)."""
        return self.language or UNDETERMINED


class JobTracks(BaseModel):
    """Every audio and subtitle track a job knows of, in the order the master lists them."""

    audio: list[TrackChoice] = Field(default_factory=list)
    subtitles: list[TrackChoice] = Field(default_factory=list)
    discovered: bool = False
    """True once the source's own tracks and its side files are listed (``discover``); until then
    the list holds only the files attached so far."""

    def carried_audio(self) -> list[TrackChoice]:
        """The audio tracks that go into the package."""
        return [t for t in self.audio if t.carried]

    def carried_subtitles(self) -> list[TrackChoice]:
        """The subtitle tracks that go into the package."""
        return [t for t in self.subtitles if t.carried]

    def summary(self) -> str:
        """A short line: "2 audio (en, fr) · 2 subtitles (en, sw)"."""
        parts = []
        for word, tracks in (("audio", self.carried_audio()), ("subtitles", self.carried_subtitles())):
            if tracks:
                langs = ", ".join(t.language or UNDETERMINED for t in tracks)
                label = word if word == "audio" or len(tracks) != 1 else "subtitle"
                parts.append(f"{len(tracks)} {label} ({langs})")
        return " · ".join(parts) or "no audio, no subtitles"
