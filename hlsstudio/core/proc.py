"""Short-lived helper processes (ffprobe, capability queries): run, bound in time, never orphaned."""

from __future__ import annotations

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


def run_bounded(args: list[str], timeout: float) -> Completed:
    """Run ``args`` to completion with captured output, killing it if it exceeds ``timeout`` s.

    Raises TimedOut (after kill + wait, so no process is left behind) and OSError when the
    executable cannot be started.
    """
    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen_kwargs(),
    )
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
