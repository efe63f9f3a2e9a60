"""Who drives a job: the owner id of a process, and whether the process it names still runs.

The job store is shared by the desktop app and the command line at the same time, so every job
that is being driven records its owner, ``"<hostname>:<pid>:<start>"``. The start time (Linux: field
22 of ``/proc/<pid>/stat``, in clock ticks since boot; elsewhere the time this module was first
imported, in whole seconds) tells a live owner from a later process that was given the same pid.

A job whose owner is not alive may be taken over (recovered as interrupted, or claimed); one whose
owner is alive, or runs on another machine (which cannot be checked from here), is left alone.
"""

from __future__ import annotations

import functools
import os
import socket
import sys
import time
from pathlib import Path

_IMPORTED_AT = round(time.time())
# /proc/<pid>/stat: the fields after the ")" that ends the command name start at field 3
_STAT_START_FIELD = 22 - 3
# a zombie (exited, not yet reaped) or a dead task no longer drives anything
_DEAD_STATES = ("Z", "X", "x")
_WINDOWS_STILL_ACTIVE = 259
_WINDOWS_QUERY_LIMITED_INFORMATION = 0x1000


def _hostname() -> str:
    return socket.gethostname() or "localhost"


def _linux_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` from field 3 on (None without ``/proc`` or such a pid)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields if len(fields) > _STAT_START_FIELD else None


def _linux_start_time(pid: int) -> str | None:
    fields = _linux_stat(pid)
    return fields[_STAT_START_FIELD] if fields else None


def owner_of_pid(pid: int) -> str:
    """The owner id of the running process ``pid`` on this machine.

    Raises ProcessLookupError where ``/proc`` exists but has no such pid. Without ``/proc`` the
    start of another process cannot be read and is given as ``0`` (only the pid is checked then).
    """
    start = _linux_start_time(pid)
    if start is None:
        if pid == os.getpid():
            start = str(_IMPORTED_AT)
        elif Path("/proc/self/stat").exists():
            raise ProcessLookupError(f"no process {pid}")
        else:
            start = "0"
    return f"{_hostname()}:{pid}:{start}"


@functools.cache
def process_owner() -> str:
    """This process's owner id, ``"<hostname>:<pid>:<start>"`` (computed once)."""
    return owner_of_pid(os.getpid())


def parse_owner(owner: str) -> tuple[str, int, str] | None:
    """(hostname, pid, start) of an owner id, or None when it is malformed."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3:
        return None
    host, pid_text, start = parts
    if not host or not start or not pid_text.isdigit() or int(pid_text) <= 0:
        return None
    return host, int(pid_text), start


def _pid_exists(pid: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows only; os.kill(pid, 0) would end it there
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(_WINDOWS_QUERY_LIMITED_INFORMATION, False, pid)
        if not handle:
            return bool(ctypes.GetLastError() == 5)  # ERROR_ACCESS_DENIED: it exists
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == _WINDOWS_STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True  # it exists, it is only someone else's
    except OSError:
        return False
    return True


def owner_alive(owner: str | None) -> bool:
    """Whether the process named by ``owner`` still runs.

    None or a malformed id: False. Another machine's process: True (it cannot be checked from
    here, and another machine's jobs are never taken over). On this machine: the pid exists and,
    where its start time can be read, it is the recorded one (a reused pid is another process).
    """
    if owner is None:
        return False
    parsed = parse_owner(owner)
    if parsed is None:
        return False
    host, pid, start = parsed
    if host != _hostname():
        return True
    if pid == os.getpid():
        return owner == process_owner()
    if not _pid_exists(pid):
        return False
    fields = _linux_stat(pid)
    if fields is None:
        return True  # no /proc: the pid is all there is to go by
    return fields[0] not in _DEAD_STATES and fields[_STAT_START_FIELD] == start
