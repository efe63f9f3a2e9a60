"""Process checks for tests: which children of this test process are still alive."""

from __future__ import annotations

from pathlib import Path


def child_pids() -> set[int]:
    """PIDs of live (non-zombie) direct children of this process (Linux /proc)."""
    pids: set[int] = set()
    for children in Path("/proc/self/task").glob("*/children"):
        pids.update(int(p) for p in children.read_text().split())
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def ffmpeg_children() -> set[int]:
    """Live children whose command line starts with an ffmpeg/ffprobe binary."""
    found = set()
    for pid in child_pids():
        try:
            argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if argv0.rsplit(b"/", 1)[-1] in (b"ffmpeg", b"ffprobe"):
            found.add(pid)
    return found
