"""A worker's work on one part of a farm job: encode a chunk or the sound, store it, report it.

Each run writes into its own temporary folder and uploads under its own attempt prefix, then records
its report (``report.json``); the part's ``done.json`` (the copy that counts) is written only when
none is there yet, so a part that runs twice is harmless and the first finished copy wins. ffmpeg runs
through the app's runner: it dies with this process (also after a SIGKILL), stops on cancel, and is
stopped when it stalls.
"""

from __future__ import annotations

import functools
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from hlsstudio.core import layout
from hlsstudio.core.command import EncodePlan
from hlsstudio.core.errors import CancelledError, TranscodeError
from hlsstudio.core.hls.tsinfo import read_segment_info
from hlsstudio.core.proc import run_bounded
from hlsstudio.core.quality.rungs import children_cpu_seconds
from hlsstudio.core.runner import RunOutcome, run_ffmpeg
from hlsstudio.core.storage.base import Destination
from hlsstudio.core.toolchain import Toolchain, locate_toolchain
from hlsstudio.farm import store as farm_files
from hlsstudio.farm.chunkcmd import (
    audio_command,
    calibration_command,
    calibration_file,
    chunk_command,
    parse_calibration,
    shared_delay,
)
from hlsstudio.farm.heartbeat import Heartbeat
from hlsstudio.farm.spec import FarmJob

CALIBRATION_TIMEOUT = 120.0
STALL_SECONDS = 300.0
REPORT = "report.json"
DONE = "done.json"


@functools.cache
def worker_toolchain() -> Toolchain:
    """This worker's FFmpeg (``HLSSTUDIO_FFMPEG`` or PATH), found once. Raises ToolchainError."""
    return locate_toolchain()


def host_name() -> str:
    """This machine's name, as the per-chunk grid shows it."""
    return socket.gethostname()


def done_key(job: str, part: str) -> str:
    """The key of the part's ``done.json``: the report of the copy that counts."""
    return farm_files.part_folder(job, part) + DONE


_delays: dict[str, dict[str, int]] = {}
_delays_lock = threading.Lock()


def calibrated_delays(plan: EncodePlan, ffmpeg: str, folder: Path) -> dict[str, int]:
    """Each rung's timestamp delay as the one-process encode has it (``chunkcmd``), measured once per
    set of encoder options in this process. Raises TranscodeError when the encoder cannot run."""
    cache_key = repr(
        (ffmpeg, plan.encoder, plan.preset, plan.frame_rate, [r.model_dump() for r in plan.rungs])
    )
    with _delays_lock:
        if cache_key in _delays:
            return _delays[cache_key]
    done = run_bounded(calibration_command(plan, folder, ffmpeg), CALIBRATION_TIMEOUT)
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise TranscodeError(f"the {plan.encoder} encoder cannot run here: {(tail or ['?'])[-1]}")
    delays = {r.name: parse_calibration(calibration_file(folder, r.name).read_text()) for r in plan.rungs}
    delays = shared_delay(plan, delays)
    with _delays_lock:
        _delays[cache_key] = delays
    return delays


def _reason(outcome: RunOutcome) -> str:
    lines = [ln.strip() for ln in outcome.stderr_tail.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower() or "invalid" in ln.lower()]
    return f"ffmpeg failed: {(errors or lines or [f'exit code {outcome.returncode}'])[-1]}"


def _rung_segments(plan: EncodePlan, folder: Path) -> dict[str, dict[str, list[Any]]]:
    """Per rung: its segment files in order and the first video timestamp of each."""
    found: dict[str, dict[str, list[Any]]] = {}
    for rung in plan.rungs:
        prefix = f"stream_{rung.name}_"
        names = sorted((p.name for p in folder.glob(f"{prefix}*.ts")), key=lambda n: int(n[len(prefix) : -3]))
        infos = [read_segment_info(folder / name, audio=False) for name in names]
        if any(not info.starts_with_idr for info in infos):
            raise TranscodeError(f"a {rung.name} segment of this chunk does not start with a keyframe")
        found[rung.name] = {"segments": names, "pts": [info.video_pts for info in infos]}
    return found


def _encode(args: list[str], beat: Heartbeat, duration: float) -> RunOutcome:
    outcome = run_ffmpeg(args, duration=duration, on_progress=beat.progress, cancel=beat.cancel,
                         stall_timeout=STALL_SECONDS)  # fmt: skip
    if outcome.returncode != 0:
        raise TranscodeError(_reason(outcome), outcome.stderr_tail)
    return outcome


def _finish(
    store: Destination,
    spec: FarmJob,
    *,
    part: str,
    attempt: str,
    folder: Path,
    report: dict[str, Any],
    beat: Heartbeat,
) -> dict[str, Any]:
    """Upload the part's files and its report; make it the copy that counts unless one already is."""
    prefix = farm_files.part_prefix(spec.job, part, attempt)
    started = time.monotonic()
    farm_files.upload_folder(store, folder, prefix, beat.cancel)
    report.update(prefix=prefix, attempt=attempt, files=sorted(p.name for p in folder.iterdir()))
    report["upload_seconds"] = round(time.monotonic() - started, 3)
    farm_files.put_json(store, prefix + REPORT, report)
    if store.head(done_key(spec.job, part)) is None:
        farm_files.put_json(store, done_key(spec.job, part), report)
    return report


def run_chunk(store: Destination, spec: FarmJob, index: int, attempt: str, beat: Heartbeat) -> dict[str, Any]:
    """Encode chunk ``index`` of ``spec``, store it under its attempt and return its report.

    Raises CancelledError (the job was cancelled), TranscodeError (ffmpeg failed: not worth
    retrying), StorageError (the store failed: worth retrying), ToolchainError.
    """
    toolchain = worker_toolchain()
    chunk = spec.chunk_spec(index).chunk()
    with tempfile.TemporaryDirectory(prefix="hlsstudio-chunk-") as tmp:
        out = Path(tmp) / "out"
        out.mkdir()
        plan = spec.plan_for(out, farm_files.readable_location(store, spec.source))
        delays = calibrated_delays(plan, toolchain.ffmpeg, Path(tmp))
        args = chunk_command(
            plan, chunk, str(plan.source), delays, starts=spec.cut_points(index), ffmpeg=toolchain.ffmpeg
        )
        started, cpu = time.monotonic(), children_cpu_seconds()
        outcome = _encode(args, beat, max(beat.frames, 1) / float(spec.rate))
        if beat.cancel.is_set():
            raise CancelledError()
        frames = outcome.last_progress.frame if outcome.last_progress and outcome.last_progress.frame else 0
        report: dict[str, Any] = {
            "part": spec.chunks[index].part,
            "frames": frames,
            "rungs": _rung_segments(plan, out),
            "host": host_name(),
            "encoder": plan.encoder,
            "encode_seconds": round(time.monotonic() - started, 3),
            "cpu_seconds": round(children_cpu_seconds() - cpu, 3),
        }
        part = spec.chunks[index].part
        return _finish(store, spec, part=part, attempt=attempt, folder=out, report=report, beat=beat)


def run_audio(store: Destination, spec: FarmJob, attempt: str, beat: Heartbeat) -> dict[str, Any]:
    """Encode the title's sound (every audio rendition, once), store it and return its report.
    Raises as ``run_chunk``."""
    toolchain = worker_toolchain()
    with tempfile.TemporaryDirectory(prefix="hlsstudio-audio-") as tmp:
        out = Path(tmp) / "out"
        out.mkdir()
        inputs = [farm_files.readable_location(store, key) for key in [spec.source, *spec.audio_inputs]]
        plan = spec.plan_for(out, inputs[0], inputs[1:])
        started, cpu = time.monotonic(), children_cpu_seconds()
        _encode(audio_command(plan, inputs, toolchain.ffmpeg), beat, spec.duration)
        if beat.cancel.is_set():
            raise CancelledError()
        report: dict[str, Any] = {
            "part": "audio",
            "host": host_name(),
            "encoder": "aac",
            "playlists": [layout.audio_playlist_name(a.rendition) for a in plan.audio],
            "encode_seconds": round(time.monotonic() - started, 3),
            "cpu_seconds": round(children_cpu_seconds() - cpu, 3),
        }
        return _finish(store, spec, part="audio", attempt=attempt, folder=out, report=report, beat=beat)
