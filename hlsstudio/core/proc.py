"""Short-lived helper processes (ffprobe, capability queries): run, bound in time, never orphaned."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any


def popen_kwargs() -> dict[str, Any]:
    """Platform flags for child processes: no console window on Windows, own session elsewhere."""
    if sys.platform == "win32":
        return {"creationflags": getattr(subprocess, "CREATE_NO_WINDOW", 0)}
    return {"start_new_session": True}


@dataclass(frozen=True)
class Completed:
    """What a finished helper process returned."""

    returncode: int
    stdout: bytes
    stderr: bytes


class TimedOut(Exception):
    """The helper did not finish in time; it has been killed and reaped."""


BACKGROUND_NICENESS = 10


def background_kwargs() -> dict[str, Any]:
    """``popen_kwargs()`` plus, on Windows, the below-normal priority class (see ``lower_priority``)."""
    kwargs = popen_kwargs()
    if sys.platform == "win32":
        kwargs["creationflags"] |= getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0)
    return kwargs


def lower_priority(pid: int) -> None:
    """Let a started child yield the CPU to the app's interactive threads (POSIX: niceness +10).

    Best effort: a child that already exited, or a platform without ``setpriority``, is left as is.
    """
    if hasattr(os, "setpriority"):
        try:
            niceness = os.getpriority(os.PRIO_PROCESS, 0) + BACKGROUND_NICENESS
            os.setpriority(os.PRIO_PROCESS, pid, min(19, niceness))
        except OSError:
            pass


def run_bounded(args: list[str], timeout: float, *, background: bool = False) -> Completed:
    """Run ``args`` to completion with captured output, killing it if it exceeds ``timeout`` s.

    ``background`` runs it at a lower CPU priority, for work nobody waits on interactively (probing
    files queued by the hundred must not take the cores from the GUI thread).
    Raises TimedOut (after kill + wait, so no process is left behind) and OSError when the
    executable cannot be started.
    """
    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **(background_kwargs() if background else popen_kwargs()),
    )
    if background:
        lower_priority(proc.pid)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise TimedOut(f"{args[0]} did not finish within {timeout:g} s") from None
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return Completed(proc.returncode, out, err)
