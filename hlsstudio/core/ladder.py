"""Quality ladders: the default template, planning the rungs a source really gets, presets on disk.

``plan_ladder`` never upscales: a rung is kept only when the source's short side reaches its height
(within ``SIZE_TOLERANCE``, so a 1072-line "1080p" master still gets its 1080p rung, at 1072 lines).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import ValidationError

from hlsstudio.core.errors import LadderError
from hlsstudio.core.models import EncodeSettings, Ladder, MediaInfo, PlannedRung, Rung
from hlsstudio.core.subtitles.languages import language_name, normalize_language

PRESET_SCHEMA_VERSION = 1
SIZE_TOLERANCE = 0.05
MAXRATE_FACTOR = 1.10
BUFSIZE_FACTOR = 1.5
MIN_VIDEO_KBPS = 64
CELLULAR_VIDEO_KBPS = 80
CELLULAR_AUDIO_KBPS = 40
CELLULAR_LIMIT_KBPS = 192
"""Apple's cellular variant: peak BANDWIDTH at most 192 kb/s, sound included (Authoring Spec 9.21)."""
CELLULAR_MAXRATE_FACTOR = 1.05
CLOSE_RUNG_RATIO = 1.15
"""A rung's video must carry at least 15 % more bits than the rung below it, or it is left out."""

# H.264 Annex A: level -> (max macroblocks/s, max frame size in MBs, max bitrate kbps for Main).
_H264_LEVELS: list[tuple[str, int, int, int]] = [
    ("3.0", 40_500, 1_620, 10_000),
    ("3.1", 108_000, 3_600, 14_000),
    ("3.2", 216_000, 5_120, 20_000),
    ("4.0", 245_760, 8_192, 20_000),
    ("4.1", 245_760, 8_192, 50_000),
    ("4.2", 522_240, 8_704, 50_000),
    ("5.0", 589_824, 22_080, 135_000),
    ("5.1", 983_040, 36_864, 240_000),
    ("5.2", 2_073_600, 36_864, 240_000),
    ("6.0", 4_177_920, 139_264, 240_000),
    ("6.1", 8_355_840, 139_264, 480_000),
    ("6.2", 16_711_680, 139_264, 800_000),
]


def default_ladder() -> Ladder:
    """The deployment guide's ladder, 360p..2160p, below it a cellular rung (``234p``, 416x234 at
    80 kb/s video + 40 kb/s mono AAC-LC: its measured peak stays under Apple's 192 kb/s for cellular
    networks) that players start on and leave as soon as the link allows."""
    return Ladder(
        rungs=[
            Rung(name="234p", height=234, video_kbps=CELLULAR_VIDEO_KBPS, audio_kbps=CELLULAR_AUDIO_KBPS),
            Rung(name="360p", height=360, video_kbps=800, audio_kbps=128),
            Rung(name="480p", height=480, video_kbps=1400, audio_kbps=128),
            Rung(name="720p", height=720, video_kbps=2800, audio_kbps=192),
            Rung(name="1080p", height=1080, video_kbps=5000, audio_kbps=192),
            Rung(name="1440p", height=1440, video_kbps=8000, audio_kbps=256),
            Rung(name="2160p", height=2160, video_kbps=14000, audio_kbps=256),
        ]
    )


def even(value: float) -> int:
    """Nearest even integer, at least 2 (libx264 refuses odd sizes with 4:2:0)."""
    return max(2, 2 * round(value / 2))


def h264_level(width: int, height: int, fps: float, maxrate_kbps: int, profile: str) -> str:
    """Smallest H.264 level (3.0 or above) whose frame size, macroblock rate and bitrate fit."""
    mbs = math.ceil(width / 16) * math.ceil(height / 16)
    mbps = mbs * max(fps, 1.0)
    br_factor = 1.25 if profile == "high" else 1.0
    for level, max_mbps, max_fs, max_br in _H264_LEVELS:
        if mbs <= max_fs and mbps <= max_mbps and maxrate_kbps <= max_br * br_factor:
            return level
    return _H264_LEVELS[-1][0]


def even_floor(value: int) -> int:
    """Largest even integer not above ``value``, at least 2."""
    return max(2, value - value % 2)


def _output_size(info: MediaInfo, short_side: int) -> tuple[int, int]:
    # rounding to even may never make a rung larger than the source (no upscaling, not by a pixel)
    aspect = info.width / info.height
    short = min(even(short_side), even_floor(min(info.width, info.height)))
    long_limit = even_floor(max(info.width, info.height))
    if info.portrait:
        return short, min(even(short / aspect), long_limit)
    return min(even(short * aspect), long_limit), short


def _plan_one(info: MediaInfo, rung: Rung, short_side: int, name: str, fps: float) -> PlannedRung:
    width, height = _output_size(info, short_side)
    video_kbps = rung.video_kbps
    if info.bit_rate:
        video_kbps = max(MIN_VIDEO_KBPS, min(video_kbps, info.bit_rate // 1000))
    cellular = video_kbps * CELLULAR_MAXRATE_FACTOR + rung.audio_kbps <= CELLULAR_LIMIT_KBPS
    # a cellular rung's peak is its promise: a tight cap and a buffer no larger than the cap
    maxrate = round(video_kbps * (CELLULAR_MAXRATE_FACTOR if cellular else MAXRATE_FACTOR))
    bufsize = maxrate if cellular else round(video_kbps * BUFSIZE_FACTOR)
    profile = "high" if min(width, height) >= 720 else "main"
    return PlannedRung(
        name=name,
        width=width,
        height=height,
        video_kbps=video_kbps,
        audio_kbps=rung.audio_kbps,
        maxrate_kbps=maxrate,
        bufsize_kbps=bufsize,
        profile=profile,
        level=h264_level(width, height, fps, maxrate, profile),
    )


def leave_out_close_rungs(rungs: list[PlannedRung]) -> tuple[list[PlannedRung], list[str]]:
    """(rungs less those whose video bitrate is within 15 % of the rung kept below them, notes).

    A source whose own bitrate is below the upper rungs' caps them all to about the same rate: a
    larger picture at the same rate costs as much as the rung below without looking better.
    """
    kept: list[PlannedRung] = rungs[:1]
    left_out: dict[str, list[str]] = {}
    for rung in rungs[1:]:
        if rung.video_kbps < kept[-1].video_kbps * CLOSE_RUNG_RATIO:
            left_out.setdefault(kept[-1].name, []).append(rung.name)
        else:
            kept.append(rung)
    notes = [
        f"{', '.join(names)} left out: this source's own bitrate puts "
        f"{'it' if len(names) == 1 else 'them'} within 15 % of {below}'s, so "
        f"{'it' if len(names) == 1 else 'they'} would cost as much without looking better"
        for below, names in left_out.items()
    ]
    return kept, notes


def plan_ladder_noted(
    info: MediaInfo, ladder: Ladder, fps: float | None = None
) -> tuple[list[PlannedRung], list[str]]:
    """``plan_ladder`` and the notes about what it left out (for the job's warnings)."""
    return leave_out_close_rungs(_plan_all(info, ladder, fps))


def plan_ladder(info: MediaInfo, ladder: Ladder, fps: float | None = None) -> list[PlannedRung]:
    """The rungs a source actually gets, lowest first (see ``_plan_all``), less rungs within 15 % of
    the bitrate of the rung below them (``leave_out_close_rungs``)."""
    return plan_ladder_noted(info, ladder, fps)[0]


def _plan_all(info: MediaInfo, ladder: Ladder, fps: float | None = None) -> list[PlannedRung]:
    """The rungs a source reaches, lowest first.

    Input: probed ``info``, a validated ``ladder`` and the output frame rate (defaults to the
    source's). Output: one ``PlannedRung`` per enabled rung whose height the source reaches (short
    side for portrait), aspect kept from the display size, even sizes, bitrate capped at the
    source's own. A source smaller than every rung gets one rung at its own size, with the rates of
    the smallest rung. Raises LadderError when the ladder has no enabled rung.
    """
    enabled = ladder.enabled_rungs
    if not enabled:
        raise LadderError("the ladder has no enabled rung")
    rate = fps or info.fps or 30.0
    source_short = min(info.width, info.height)
    planned = [
        _plan_one(info, rung, min(rung.height, source_short), rung.name, rate)
        for rung in enabled
        if rung.height <= source_short * (1 + SIZE_TOLERANCE)
    ]
    if planned:
        return planned
    own = even_floor(source_short)
    return [_plan_one(info, enabled[0], own, f"{own}p", rate)]


LadderMode = Literal["fixed", "per-title"]
LADDER_MODES: tuple[str, ...] = get_args(LadderMode)


@dataclass(frozen=True)
class PresetLanguages:
    """What a preset sets besides its rungs: the languages it makes the default (the audio a player
    starts with, the subtitles shown from the start; BCP 47 tags) and whether its rungs are used as
    they are or as the ceiling of per-title rungs (``ladder_mode``). None: not set by the preset."""

    audio: str | None = None
    subtitles: str | None = None
    ladder_mode: LadderMode | None = None

    def sets_any(self) -> bool:
        """True when the preset sets a language or a ladder mode."""
        return bool(self.audio or self.subtitles or self.ladder_mode)


@dataclass(frozen=True)
class Preset:
    """A preset file's contents: its name, its ladder and its default languages."""

    name: str
    ladder: Ladder
    languages: PresetLanguages = PresetLanguages()


def with_preset_languages(encode: EncodeSettings, languages: PresetLanguages) -> EncodeSettings:
    """``encode`` with the default languages a preset sets (those it leaves unset stay as they are)."""
    update = {
        key: value
        for key, value in (
            ("default_audio_language", languages.audio),
            ("default_subtitle_language", languages.subtitles),
            ("ladder_mode", languages.ladder_mode),
        )
        if value
    }
    return encode.model_copy(update=update)


def preset_languages_words(languages: PresetLanguages) -> str:
    """ "Français audio and English subtitles" (what a preset sets, in words; "per-title rungs" too)."""
    named = [(languages.audio, "audio"), (languages.subtitles, "subtitles")]
    words = [f"{language_name(tag)} {kind}" for tag, kind in named if tag]
    if languages.ladder_mode:
        words.append(MODE_WORDS[languages.ladder_mode])
    return " and ".join(words)


MODE_WORDS: dict[str, str] = {"per-title": "per-title rungs", "fixed": "the same rungs for every video"}
MODE_KEY = "ladder_mode"
"""The preset document's key for the ladder mode (optional)."""


LANGUAGE_KEYS = {"audio": "default_audio_language", "subtitles": "default_subtitle_language"}
"""PresetLanguages field -> the preset document's key (both optional)."""


def preset_to_json(ladder: Ladder, name: str, languages: PresetLanguages | None = None) -> dict[str, Any]:
    """A ladder as a preset document (``schema_version``, ``name``, ``rungs``, and the default
    languages that are set)."""
    doc: dict[str, Any] = {
        "schema_version": PRESET_SCHEMA_VERSION,
        "name": name,
        "rungs": [r.model_dump() for r in ladder.rungs],
    }
    for field, key in LANGUAGE_KEYS.items():
        value = getattr(languages, field) if languages is not None else None
        if value:
            doc[key] = value
    if languages is not None and languages.ladder_mode:
        doc[MODE_KEY] = languages.ladder_mode
    return doc


def preset_languages(doc: Any) -> PresetLanguages:
    """The default languages of a preset document (none when its keys are absent or null).

    Raises LadderError for a value that is not a language code.
    """
    found: dict[str, str | None] = {}
    for field, key in LANGUAGE_KEYS.items():
        value = doc.get(key) if isinstance(doc, dict) else None
        if value is None or value == "":
            found[field] = None
            continue
        tag = normalize_language(value) if isinstance(value, str) else None
        if tag is None:
            raise LadderError(
                f"invalid ladder preset: {key} {value!r} is not a language code (e.g. en, pt-BR)"
            )
        found[field] = tag
    mode = doc.get(MODE_KEY) if isinstance(doc, dict) else None
    if mode is not None and mode not in LADDER_MODES:
        choices = " or ".join(LADDER_MODES)
        raise LadderError(f"invalid ladder preset: {MODE_KEY} {mode!r} is not {choices}")
    return PresetLanguages(audio=found["audio"], subtitles=found["subtitles"], ladder_mode=mode)


def ladder_from_json(doc: Any) -> tuple[str, Ladder]:
    """Parse a preset document into (name, ladder). Raises LadderError with the reason."""
    if not isinstance(doc, dict) or "rungs" not in doc:
        raise LadderError("not a ladder preset: expected an object with 'rungs'")
    version = doc.get("schema_version", 1)
    if not isinstance(version, int) or version > PRESET_SCHEMA_VERSION:
        raise LadderError(f"ladder preset schema {version!r} is newer than this app understands")
    try:
        ladder = Ladder(rungs=[Rung.model_validate(r) for r in doc["rungs"]])
    except (ValidationError, TypeError, ValueError) as exc:
        raise LadderError(f"invalid ladder preset: {_first_error(exc)}", str(exc)) from exc
    return str(doc.get("name") or "preset"), ladder


def preset_from_json(doc: Any) -> Preset:
    """Parse a preset document into its name, ladder and default languages. Raises LadderError."""
    name, ladder = ladder_from_json(doc)
    return Preset(name, ladder, preset_languages(doc))


def save_preset(path: Path, ladder: Ladder, name: str, languages: PresetLanguages | None = None) -> None:
    """Write a ladder preset JSON file (export), with the default languages that are set."""
    text = json.dumps(preset_to_json(ladder, name, languages), indent=2) + "\n"
    path.write_text(text, encoding="utf-8")


def read_preset(path: Path) -> Preset:
    """Read a ladder preset JSON file with its default languages (import). Raises LadderError for
    unreadable or invalid files."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LadderError(f"cannot read ladder preset {path.name}: {exc}") from exc
    return preset_from_json(doc)


def load_preset(path: Path) -> tuple[str, Ladder]:
    """Read a ladder preset JSON file (import): (name, ladder); ``read_preset`` adds the default
    languages. Raises LadderError for unreadable or invalid files."""
    preset = read_preset(path)
    return preset.name, preset.ladder


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        return f"{where}: {err['msg']}" if where else str(err["msg"])
    return str(exc).splitlines()[0]
