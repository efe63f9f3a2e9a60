"""An encode's audio renditions as the master lists them and as the job's result reports them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hlsstudio.core import layout
from hlsstudio.core.command import EncodePlan
from hlsstudio.core.errors import ValidationFailed
from hlsstudio.core.hls.audio_media import AudioMediaSpec, group_defaults
from hlsstudio.core.hls.master import measure_audio
from hlsstudio.core.hls.playlists import read_master_playlist
from hlsstudio.core.models import RenditionResult


def audio_specs(plan: EncodePlan) -> list[AudioMediaSpec]:
    """The master's audio renditions of ``plan``, group by group (lowest rate first)."""
    return [
        AudioMediaSpec(
            group=r.group,
            name=r.name,
            language=r.language,
            default=r.default,
            channels=r.channels,
            playlist=layout.audio_playlist_name(r.rendition),
        )
        for r in sorted(plan.audio, key=lambda r: (r.kbps, r.track))
    ]


def audio_results(package_dir: Path, specs: list[AudioMediaSpec]) -> list[RenditionResult]:
    """The audio renditions for the result, with their measured peak rates (each group's default as
    the master has it). Raises ValidationFailed when a playlist cannot be measured."""
    measured = measure_audio(package_dir, specs)
    return [
        RenditionResult(
            type="audio",
            group=item.spec.group,
            name=item.spec.name,
            language=item.spec.language or "und",
            default=default,
            channels=item.spec.channels,
            bitrate=item.peak,
            playlist=item.spec.playlist,
        )
        for item, default in zip(measured, group_defaults(specs), strict=True)
    ]


def renditions_in(master: Path, url_of: Callable[[str], str] | None = None) -> list[RenditionResult]:
    """The audio and subtitle renditions ``master`` lists, with ``url_of(uri)`` as their URLs when
    given; [] for a master that cannot be read (its own check reports that)."""
    try:
        entries = read_master_playlist(master).media
    except ValidationFailed:
        return []
    found: list[RenditionResult] = []
    for entry in entries:
        kind = {"AUDIO": "audio", "SUBTITLES": "subtitles"}.get(entry.type)
        if kind is None or entry.uri is None:
            continue
        found.append(
            RenditionResult(
                type="audio" if kind == "audio" else "subtitles",
                group=entry.group_id,
                name=entry.name,
                language=entry.language or "und",
                default=entry.default,
                forced=entry.forced,
                sdh="transcribes-spoken-dialog" in (entry.characteristics or ""),
                channels=int(entry.channels.split("/")[0]) if entry.channels else None,
                playlist=entry.uri,
                url=url_of(entry.uri) if url_of is not None else None,
            )
        )
    return found
