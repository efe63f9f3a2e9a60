"""The master playlist's subtitle renditions: one ``#EXT-X-MEDIA:TYPE=SUBTITLES`` line per track.

Every variant's ``#EXT-X-STREAM-INF`` then names the group (``SUBTITLES="subs"``). Names are
unique within the group, at most one rendition is the default, and ``AUTOSELECT`` is YES for
every track (players pick by the viewer's language); SDH tracks carry Apple's accessibility
characteristics.
"""

from __future__ import annotations

from collections.abc import Sequence

from hlsstudio.core.subtitles.languages import UNDETERMINED, TrackLabel

GROUP_ID = "subs"
SDH_CHARACTERISTICS = (
    "public.accessibility.describes-music-and-sound,public.accessibility.transcribes-spoken-dialog"
)


class SubtitleRendition(TrackLabel):
    """A subtitle track as the master lists it: its label, its playlist's URI, its menu name
    (None: from the label, see ``TrackLabel.display_name``) and whether it is the default."""

    uri: str
    name: str | None = None
    default: bool = False
    autoselect: bool = True


def quoted(value: str) -> str:
    """A value for a quoted attribute: no double quote, no line break (RFC 8216 4.2)."""
    return " ".join(value.replace('"', "'").split())


def unique_names(names: Sequence[str]) -> list[str]:
    """``names`` with repeats told apart: "English", "English 2", "English 3" (first one unchanged)."""
    taken: set[str] = set()
    result: list[str] = []
    for name in names:
        candidate, number = name, 1
        while candidate.casefold() in taken:
            number += 1
            candidate = f"{name} {number}"
        taken.add(candidate.casefold())
        result.append(candidate)
    return result


def media_line(rendition: SubtitleRendition, name: str, group_id: str = GROUP_ID) -> str:
    """The ``#EXT-X-MEDIA`` line of one subtitle rendition, named ``name``."""
    yes_no = {True: "YES", False: "NO"}
    attributes = [
        "TYPE=SUBTITLES",
        f'GROUP-ID="{quoted(group_id)}"',
        f'NAME="{quoted(name)}"',
        f'LANGUAGE="{quoted(rendition.language or UNDETERMINED)}"',
        f"DEFAULT={yes_no[rendition.default]}",
        f"AUTOSELECT={yes_no[rendition.autoselect or rendition.default]}",
        f"FORCED={yes_no[rendition.forced]}",
    ]
    if rendition.sdh:
        attributes.append(f'CHARACTERISTICS="{SDH_CHARACTERISTICS}"')
    attributes.append(f'URI="{quoted(rendition.uri)}"')
    return "#EXT-X-MEDIA:" + ",".join(attributes)


def labelled(renditions: Sequence[SubtitleRendition]) -> list[tuple[SubtitleRendition, str]]:
    """Each rendition as the group lists it, with its menu name: names made unique, and only the
    first rendition marked default stays the default."""
    names = unique_names([r.name or r.display_name() for r in renditions])
    first_default = next((index for index, r in enumerate(renditions) if r.default), None)
    return [
        (r.model_copy(update={"default": index == first_default}), name)
        for index, (r, name) in enumerate(zip(renditions, names, strict=True))
    ]


def media_lines(renditions: Sequence[SubtitleRendition], group_id: str = GROUP_ID) -> list[str]:
    """The ``#EXT-X-MEDIA`` lines of a subtitle group, in order (see ``labelled``)."""
    return [media_line(r, name, group_id) for r, name in labelled(renditions)]
