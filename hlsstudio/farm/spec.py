"""What a farm job's tasks are given: the plan, the chunks and where the source is (JSON through Celery).

The plan is the desktop's ``EncodePlan`` with the machine-local parts left out (the working folder, the
subtitles, which finalize writes on the desktop, the storyboard, packed there too): each worker puts
its own folder and its own reading of the source into it (``plan_for``).
"""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from hlsstudio.core.command import EncodePlan, VideoEncoder
from hlsstudio.core.models import ContentType, EncodeSettings, Ladder, MediaInfo
from hlsstudio.core.storyboard import TileGrid
from hlsstudio.core.subtitles.tracks import SubtitleSource
from hlsstudio.farm.chunks import Chunk, frame_count, segment_frames
from hlsstudio.farm.progress import AUDIO, chunk_part

Queue = Literal["gpu", "cpu"]
LAST_CHUNK_MARGIN = 3
"""The last chunk cuts at this many segment starts past the expected end (a source a little longer
than its probed duration still gets regular segments)."""


class ChunkSpec(BaseModel):
    """One chunk: its number, first segment, segment start frames and end (None: the title's end)."""

    index: int
    first_segment: int
    starts: list[int]
    end_frame: int | None = None

    def chunk(self) -> Chunk:
        """As the pure ``chunks.Chunk``."""
        return Chunk(self.index, self.first_segment, tuple(self.starts), self.end_frame)

    @property
    def part(self) -> str:
        """Its part name on the board (``c0003``)."""
        return chunk_part(self.index)


class FinishSpec(BaseModel):
    """What a worker needs to finish the title and publish it itself: the job's own finalize,
    validate, measure, install and publish stages, run after the stitch (``farm.finish``)."""

    job: str  # the desktop's job id: the package's ownership marker names it
    content_type: ContentType
    content_id: str
    replace_live: bool = True
    store: str  # the destination the desktop publishes to (its description): the worker's must match
    public_base: str = ""  # the desktop's public URL base: the master URL it hands out
    ladder: Ladder
    settings: EncodeSettings
    info: MediaInfo
    subtitles: list[SubtitleSource] = []  # every track as a file, its ``path`` a key in the store
    storyboard: TileGrid | None = None
    keep_package: bool = True
    """The desktop keeps the package (or needs it for a retry): the finished files stay for it."""


class FarmJob(BaseModel):
    """One title's work on the farm."""

    job: str
    source: str  # the source's key in the farm's store
    audio_inputs: list[str] = []  # keys of the audio files beside the source (inputs 1, 2 …)
    plan: dict[str, Any]
    chunks: list[ChunkSpec]
    duration: float
    queue: Queue = "cpu"
    created: float = 0.0
    finish: FinishSpec | None = None  # set: a worker finishes and publishes the title itself

    @classmethod
    def of(
        cls,
        job: str,
        plan: EncodePlan,
        chunks: list[Chunk],
        *,
        source: str,
        audio_inputs: list[str],
        duration: float,
        queue: Queue,
        finish: FinishSpec | None = None,
    ) -> FarmJob:
        """The job for ``plan`` cut into ``chunks``; the encoder follows the queue (NVENC on GPUs)."""
        encoder: VideoEncoder = "h264_nvenc" if queue == "gpu" else "libx264"
        return cls(
            job=job,
            source=source,
            audio_inputs=audio_inputs,
            plan=plan_document(plan.model_copy(update={"encoder": encoder})),
            chunks=[
                ChunkSpec(
                    index=c.index, first_segment=c.first_segment, starts=list(c.starts), end_frame=c.end_frame
                )
                for c in chunks
            ],
            duration=duration,
            queue=queue,
            created=time.time(),
            finish=finish,
        )

    @property
    def parts(self) -> list[str]:
        """Every part: the chunks, then the sound (when the title has any)."""
        names = [c.part for c in self.chunks]
        return [*names, AUDIO] if self.plan.get("audio") else names

    @property
    def rate(self) -> Fraction:
        """The output frame rate."""
        return Fraction(str(self.plan["frame_rate"]))

    def weights(self) -> dict[str, float]:
        """Each part's share of the work: chunks by their frames, the sound as a twentieth of a chunk."""
        total = frame_count(self.duration, self.rate)
        weights: dict[str, float] = {}
        for spec in self.chunks:
            weights[spec.part] = float((spec.end_frame or total) - spec.starts[0]) or 1.0
        if AUDIO in self.parts:
            weights[AUDIO] = max(sum(weights.values()) / max(len(self.chunks), 1) / 20, 1.0)
        return weights

    def chunk_spec(self, index: int) -> ChunkSpec:
        """Chunk number ``index``."""
        return self.chunks[index]

    def plan_for(self, out_dir: Path, source: str, audio_inputs: list[str] | None = None) -> EncodePlan:
        """The plan as this machine runs it: its own output folder and its reading of the inputs."""
        doc = dict(self.plan)
        doc.update(
            source=Path(source),
            out_dir=out_dir,
            frame_rate=self.rate,
            audio_inputs=[Path(p) for p in (audio_inputs or [])],
            subtitles=[],
            storyboard=None,
        )
        return EncodePlan(**doc)

    def cut_points(self, index: int) -> list[int]:
        """Where chunk ``index`` cuts: its segment starts; the last chunk also a few starts past the
        expected end of the title."""
        spec = self.chunks[index]
        if spec.end_frame is not None or index + 1 < len(self.chunks):
            return list(spec.starts)
        plan = self.plan_for(Path("."), "")
        longer = frame_count(self.duration + LAST_CHUNK_MARGIN * plan.segment_duration, self.rate)
        return [f for f in segment_frames(plan, longer) if f >= spec.starts[0]]


def plan_document(plan: EncodePlan) -> dict[str, Any]:
    """``plan`` as JSON-ready data, without what only the desktop uses."""
    doc = plan.model_dump(
        mode="json", exclude={"source", "out_dir", "audio_inputs", "subtitles", "storyboard"}
    )
    doc["frame_rate"] = str(plan.frame_rate)
    return doc
