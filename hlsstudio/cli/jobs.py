"""Job store commands: ``history`` (every stored job) and ``queue`` (the jobs not finished yet).

They read the job store the desktop app and every command line share, and change nothing in it:
a batch another terminal or the app is running shows up here while it runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from hlsstudio.cli.output import print_json
from hlsstudio.core.jobowner import owner_alive, parse_owner, process_owner
from hlsstudio.core.jobstore import JobRecord, JobStore
from hlsstudio.core.models import JobState

UNFINISHED = (
    JobState.QUEUED,
    JobState.PROBING,
    JobState.ANALYSING,
    JobState.READY,
    JobState.TRANSCODING,
    JobState.VALIDATING,
    JobState.PUBLISHING,
)


def limit_count(text: str) -> int:
    """``--limit``: a whole number of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError("must be a whole number of 1 or more")
    return value


def register(sub: Any) -> None:
    """Add the ``history`` and ``queue`` sub-commands."""
    history = sub.add_parser("history", help="list every stored job (the app's and the command line's)")
    history.add_argument("--json", action="store_true", help="print a JSON list, one object per job")
    history.add_argument("--limit", type=limit_count, metavar="N", help="only the N most recent jobs")
    history.set_defaults(handler=cmd_history)

    queue = sub.add_parser("queue", help="list the jobs not finished yet and which process runs them")
    queue.add_argument("--json", action="store_true", help="print a JSON list, one object per job")
    queue.set_defaults(handler=cmd_queue)


def stored_jobs() -> list[JobRecord]:
    """Every job in the shared store, read as it is (nothing is recovered or changed)."""
    store = JobStore.open(recover=False)
    try:
        return store.jobs()
    finally:
        store.close()


def output_of(record: JobRecord) -> str | None:
    """Where a job's package went: its URL once published, else its folder."""
    if record.hls_url:
        return record.hls_url
    if record.result is not None and record.result.output_dir:
        return record.result.output_dir
    return record.out_dir


def driven_by(owner: str | None) -> str:
    """Who runs a job, for people: "this computer, process N", another computer's name, or nobody."""
    parsed = parse_owner(owner) if owner else None
    if parsed is None:
        return "no process"
    host, pid, _ = parsed
    mine = parse_owner(process_owner())
    if mine is not None and host != mine[0]:
        return host
    return f"this computer, process {pid}" + ("" if owner_alive(owner) else " (not running)")


def job_doc(record: JobRecord) -> dict[str, Any]:
    """A job as JSON: what ``history`` and ``queue`` print."""
    return {
        "id": record.id,
        "state": record.state.value,
        "source": record.source,
        "content_type": record.content_type.value,
        "content_id": record.content_id,
        "output": output_of(record),
        "hls_url": record.hls_url,
        "error": record.error,
        "owner": record.owner,
        "driven_by": driven_by(record.owner),
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def cmd_history(args: argparse.Namespace) -> int:
    """Every stored job, oldest first (``--limit N``: the N most recent)."""
    records = sorted(stored_jobs(), key=lambda r: (r.created_at, r.id))
    if args.limit:
        records = records[-args.limit :]
    if args.json:
        print_json([job_doc(r) for r in records])
        return 0
    if not records:
        print("no jobs yet")
    for record in records:
        output = output_of(record)
        print(f"{record.id:>5}  {record.state.value:14} {record.content_id:24} {record.source}")
        if output:
            print(f"       -> {output}")
        if record.error:
            print(f"       error: {record.error}")
    return 0


def cmd_queue(args: argparse.Namespace) -> int:
    """The jobs not finished (queued … publishing), in queue order, with the process running each."""
    records = [r for r in stored_jobs() if r.state in UNFINISHED]
    if args.json:
        print_json([job_doc(r) for r in records])
        return 0
    if not records:
        print("no unfinished jobs")
    for record in records:
        print(f"{record.id:>5}  {record.state.value:14} {record.source}  [{driven_by(record.owner)}]")
    return 0
