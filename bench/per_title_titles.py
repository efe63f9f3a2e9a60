"""The four titles of ``per_title.py``, each made once from the real footage of /work/shared/media.

Every title is 1920x1080, 25 fps, progressive, without sound (sound is packaged alike by both ladders
and would only add the same bytes and CPU to both sides), ``--seconds`` long (30 s by default). The
footage is smaller than 1080p, so it is scaled up: the default ladder keeps a rung only where the
source is at least that tall (it never upscales), so without this the 720p and 1080p rungs would not
exist. Upscaled footage is softer than native 1080p and so cheaper to encode at the top rungs; both
ladders see the same pictures.

Each title is kept as a high-rate H.264 file (the reference VMAF is measured against): its bitrate
must stay above the top rung's 5000 kbps, since the app caps every rung at the source's own bitrate.
The static title is coded with a short keyframe interval for that reason (a still picture costs almost
nothing between keyframes).

- **animation**: Big Buck Bunny (720p, 5.3 s) looped and scaled to 1080p: CG animation, clean edges,
  flat areas, moderate motion.
- **live-action**: bikes (640x272, 10 s, six shots) looped, scaled to 1080 lines and centre-cropped to
  16:9: real camera footage with cuts, people and traffic.
- **static**: one frame of Big Buck Bunny held for the whole title with a slow push-in (1.0x to 1.1x,
  resampled every frame): a still or a slow establishing shot.
- **high-motion**: bikes at twice the speed, a fast sweeping pan across a 1296-line scale (up to about
  1200 px/s) and moving grain (``noise=alls=7:allf=t+u``, like a sensor in low light): fast, noisy
  footage.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import CACHE_DIR, MEDIA_DIR, run_checked

TITLES_DIR = CACHE_DIR / "per-title"
FPS = 25
BBB = "bigbuckbunny.mp4"
BIKES = "bikes.mp4"
BBB_SECONDS = 5.3
BIKES_SECONDS = 10.0
FULL_HD = "1920:1080"


@dataclass(frozen=True)
class Title:
    """One kind of content: its name, what it is (one line), the clip it comes from, how it is made."""

    name: str
    kind: str
    clip: str
    inputs: Callable[[int], list[str]]
    """The input options (seek, loop, ``-i``) for a title of that many seconds."""
    filters: str
    coding: tuple[str, ...]
    """x264 options of the kept file (a high rate: it is the reference)."""


def _looped(clip: str, clip_seconds: float) -> Callable[[int], list[str]]:
    def inputs(seconds: int) -> list[str]:
        loops = math.ceil(seconds / clip_seconds)  # one more than needed: never short
        return ["-stream_loop", str(loops), "-i", str(MEDIA_DIR / clip)]

    return inputs


def _one_frame_at(clip: str, second: float) -> Callable[[int], list[str]]:
    def inputs(seconds: int) -> list[str]:
        return ["-ss", f"{second:g}", "-i", str(MEDIA_DIR / clip)]

    return inputs


def _push_in(seconds: int) -> str:
    """Hold the first frame for the whole title and zoom in slowly from 1.0x to 1.1x."""
    frames = seconds * FPS
    return (
        f"trim=end_frame=1,loop=loop={frames - 1}:size=1,setpts=N/{FPS}/TB,"
        f"scale=w='2*trunc(1920*(1+0.1*t/{seconds})/2)':h=-2:eval=frame:flags=lanczos,crop={FULL_HD}"
    )


TITLES: tuple[Title, ...] = (
    Title(
        "animation",
        "CG animation (Big Buck Bunny), looped, 720p scaled to 1080p",
        BBB,
        _looped(BBB, BBB_SECONDS),
        f"scale={FULL_HD}:flags=lanczos",
        ("-crf", "12"),
    ),
    Title(
        "live-action",
        "camera footage with cuts (bikes), looped, 640x272 scaled to 1080 lines and cropped to 16:9",
        BIKES,
        _looped(BIKES, BIKES_SECONDS),
        f"scale=-2:1080:flags=lanczos,crop={FULL_HD}",
        ("-crf", "12"),
    ),
    Title(
        "static",
        "one frame of Big Buck Bunny held, slow push-in (1.0x to 1.1x over the title)",
        BBB,
        _one_frame_at(BBB, 2.0),
        "",  # made by _push_in, which needs the length
        ("-crf", "10", "-g", "10"),
    ),
    Title(
        "high-motion",
        "bikes at twice the speed, fast sweeping pan, moving grain",
        BIKES,
        _looped(BIKES, BIKES_SECONDS / 2),
        f"setpts=0.5*PTS,fps={FPS},scale=-2:1296:flags=lanczos,"
        f"crop={FULL_HD}:x='(iw-ow)/2*(1+sin(2*PI*t/2.5))':y='(ih-oh)/2',noise=alls=7:allf=t+u",
        ("-crf", "18"),
    ),
)


def title_named(name: str) -> Title:
    """The title called ``name``; raises SystemExit naming the known ones."""
    for title in TITLES:
        if title.name == name:
            return title
    raise SystemExit(f"unknown title {name!r}: one of {', '.join(t.name for t in TITLES)}")


def title_filters(title: Title, seconds: int) -> str:
    """The filter chain making ``title`` ``seconds`` long at 25 fps."""
    chain = _push_in(seconds) if title.name == "static" else title.filters
    return f"{chain},setsar=1,fps={FPS},format=yuv420p"  # square pixels: scale=-2 leaves a SAR off by 0.1 %


def title_command(title: Title, seconds: int, target: Path) -> list[str]:
    """The ffmpeg command that makes ``title`` into ``target``."""
    return [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        *title.inputs(seconds), "-map", "0:v:0", "-an", "-sn",
        "-vf", title_filters(title, seconds), "-t", str(seconds), "-r", str(FPS),
        "-c:v", "libx264", "-preset", "veryfast", *title.coding, "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", str(target),
    ]  # fmt: skip


def prepare_title(title: Title, seconds: int) -> Path:
    """``title`` of ``seconds`` s in the cache (made once; the recipe's file name says its length)."""
    target = TITLES_DIR / f"{title.name}_{seconds}s.mp4"
    if target.is_file():
        return target
    if not (MEDIA_DIR / title.clip).is_file():
        raise SystemExit(f"{MEDIA_DIR / title.clip} is missing: this benchmark needs the real footage")
    TITLES_DIR.mkdir(parents=True, exist_ok=True)
    print(f"preparing {target.name} from {title.clip} (once) ...", flush=True)
    part = target.with_suffix(f".{os.getpid()}.part.mp4")  # two runs at once never write one file
    run_checked(title_command(title, seconds, part))
    part.replace(target)
    return target
