"""Child processes (ffmpeg, ffprobe, capability queries): started so that they never outlive the app.

Every child is started through ``spawn``, which ``run_bounded`` here and ``runner.run_ffmpeg`` share.
A child runs in its own session (POSIX) so that a Ctrl-C in the terminal does not reach ffmpeg
directly (the app stops it cleanly with ``q`` on its stdin), and it is tied to the life of the app:

* Linux: the child asks the kernel for SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``),
  through util-linux's ``setpriv --pdeathsig`` (or, without it, in a ``preexec_fn`` that also exits
  at once if the parent died before the call took effect). This covers ``kill -9`` of the app or
  the CLI too. The kernel sends the signal when the *thread* that started the child exits, not
  the process: every caller here waits for its child on the thread that started it
  (``run_bounded``, ``run_ffmpeg``), so the child always ends before that thread can.
* Windows: each child is put in one Job Object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE whose only
  handle this process holds (not inheritable) until it exits; when the app ends, however it ends,
  Windows closes the handle and kills every child in the job.
* macOS (and other POSIX systems): there is no parent-death signal. Children are registered while
  they run; an exiting interpreter kills them (``atexit``), and so do SIGTERM and SIGHUP (handlers
  installed by ``install_signal_cleanup``: the app calls it at start-up, ``spawn`` on the main
  thread, as in the CLI); SIGINT ends the interpreter through KeyboardInterrupt, so ``atexit``. A
  SIGKILL'd app cannot be followed: its ffmpeg runs to the end of its input, and the app removes the
  partial output at its next start (the job store's recovery).

The registry and the ``atexit`` clean-up apply on every platform (an orderly exit stops children
at once rather than waiting for the kernel).
"""

from __future__ import annotations

import atexit
import errno
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS = 9
CLEANUP_SIGNALS = ("SIGTERM", "SIGHUP")


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
    if sys.platform == "win32":
        return  # the priority class was set at creation (``background_kwargs``)
    if hasattr(os, "setpriority"):
        try:
            niceness = os.getpriority(os.PRIO_PROCESS, 0) + BACKGROUND_NICENESS
            os.setpriority(os.PRIO_PROCESS, pid, min(19, niceness))
        except OSError:
            pass


# --- the live children: killed at interpreter exit (and by the signal handlers where installed) ---

_live: set[subprocess.Popen[bytes]] = set()
# re-entrant: the signal handlers (macOS) run on the main thread, which may be holding it already
_live_lock = threading.RLock()


@atexit.register
def kill_live_children() -> None:
    """Kill (and reap) every child started by ``spawn`` that is still running."""
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def forget(proc: subprocess.Popen[bytes]) -> None:
    """Take a child that has been reaped out of the registry of live children."""
    with _live_lock:
        _live.discard(proc)


# --- Linux: the parent-death signal -------------------------------------------------------------

_PrctlFunction = Callable[[int, int, int, int, int], int]
_prctl_cache: list[_PrctlFunction | None] = []


def _linux_prctl() -> _PrctlFunction | None:
    """libc's ``prctl``, resolved once in the parent (None where it cannot be had)."""
    if not _prctl_cache:
        found: _PrctlFunction | None = None
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                function = ctypes.CDLL(None, use_errno=True).prctl
                function.argtypes = [
                    ctypes.c_int,
                    ctypes.c_ulong,
                    ctypes.c_ulong,
                    ctypes.c_ulong,
                    ctypes.c_ulong,
                ]
                function.restype = ctypes.c_int
                found = function
            except (OSError, AttributeError) as exc:
                log.warning("children cannot be tied to the app's life (no prctl: %s)", exc)
        _prctl_cache.append(found)
    return _prctl_cache[0]


_setpriv_cache: list[list[str]] = []


def _setpriv_prefix() -> list[str]:
    """``setpriv --pdeathsig KILL --`` where util-linux has it (Linux), else [].

    The child asks for the parent-death signal through this small program, which then execs the
    real one (the signal survives the exec). Preferred to ``preexec_fn``: a ``preexec_fn`` makes
    Python fork the whole app instead of using vfork, about 15 ms per child with the GUI loaded,
    during which the forking thread holds the GIL (hundreds of probes would stall the window). The
    one moment it leaves open — the app dying between the fork and setpriv's own ``prctl`` — is
    microseconds long.
    """
    if not _setpriv_cache:
        found: list[str] = []
        path = shutil.which("setpriv") if sys.platform.startswith("linux") else None
        if path:
            try:
                done = subprocess.run(
                    [path, "--help"], capture_output=True, text=True, timeout=5, check=False
                )
                if "--pdeathsig" in done.stdout:
                    found = [path, "--pdeathsig", "KILL", "--"]
            except (OSError, subprocess.TimeoutExpired):
                pass
        _setpriv_cache.append(found)
    return _setpriv_cache[0]


def _die_with_parent_hook() -> Callable[[], None] | None:
    """The ``preexec_fn`` that makes a Linux child die with this process (None elsewhere).

    ``subprocess`` offers no other place to run code between fork and exec, and the parent-death
    signal must be asked for by the child itself. ``preexec_fn`` is unsafe in general in a threaded
    program because the forked child runs Python code while locks held by other threads stay
    locked; this hook stays clear of that: ``prctl`` is resolved in the parent beforehand, and the
    child only makes that one foreign call, ``os.getppid`` and possibly ``os._exit``: nothing
    that takes a lock another thread could hold (no imports, no logging, no I/O). A wrapper
    executable (``setpriv
    --pdeathsig``) was not used: it is not installed everywhere and does not close the race below.
    """
    if sys.platform == "win32":
        return None
    prctl = _linux_prctl()
    if prctl is None:
        return None
    parent = os.getpid()
    kill_signal = int(signal.SIGKILL)

    def die_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, kill_signal, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return die_with_parent


# --- Windows: one kill-on-close Job Object for all children ---------------------------------------

_windows_job: list[int | None] = []
_windows_job_lock = threading.Lock()


def _create_kill_on_close_job() -> int | None:  # pragma: no cover - Windows only
    """A new Job Object that kills its processes when its last handle closes (None on failure)."""
    if sys.platform != "win32":
        return None
    import ctypes
    from ctypes import wintypes

    class IoCounters(ctypes.Structure):
        _fields_ = [
            (name, ctypes.c_ulonglong)
            for name in ("Read", "Write", "Other", "ReadBytes", "WriteBytes", "OtherBytes")
        ]

    class BasicLimits(ctypes.Structure):
        _fields_ = [
            ("PerProcessUserTimeLimit", ctypes.c_int64),  # LARGE_INTEGER
            ("PerJobUserTimeLimit", ctypes.c_int64),
            ("LimitFlags", wintypes.DWORD),
            ("MinimumWorkingSetSize", ctypes.c_size_t),
            ("MaximumWorkingSetSize", ctypes.c_size_t),
            ("ActiveProcessLimit", wintypes.DWORD),
            ("Affinity", ctypes.c_size_t),  # ULONG_PTR
            ("PriorityClass", wintypes.DWORD),
            ("SchedulingClass", wintypes.DWORD),
        ]

    class ExtendedLimits(ctypes.Structure):
        _fields_ = [
            ("BasicLimitInformation", BasicLimits),
            ("IoInfo", IoCounters),
            ("ProcessMemoryLimit", ctypes.c_size_t),
            ("JobMemoryLimit", ctypes.c_size_t),
            ("PeakProcessMemoryUsed", ctypes.c_size_t),
            ("PeakJobMemoryUsed", ctypes.c_size_t),
        ]

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateJobObjectW.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR]
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.SetInformationJobObject.argtypes = [
        wintypes.HANDLE,
        ctypes.c_int,
        ctypes.c_void_p,
        wintypes.DWORD,
    ]
    kernel32.SetInformationJobObject.restype = wintypes.BOOL
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    kernel32.CloseHandle.restype = wintypes.BOOL
    # NULL security attributes: the handle is not inheritable, so no child keeps the job open
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        log.warning("cannot create a job object for children (error %s)", ctypes.get_last_error())
        return None
    limits = ExtendedLimits()
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    if not kernel32.SetInformationJobObject(
        job, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS, ctypes.byref(limits), ctypes.sizeof(limits)
    ):
        log.warning("cannot set kill-on-close on the children's job (error %s)", ctypes.get_last_error())
        kernel32.CloseHandle(job)
        return None
    return int(job)


def _assign_to_job(proc: subprocess.Popen[bytes]) -> None:  # pragma: no cover - Windows only
    """Put a just-started Windows child in the app's kill-on-close job (best effort, logged)."""
    if sys.platform != "win32":
        return
    import ctypes
    from ctypes import wintypes

    with _windows_job_lock:
        if not _windows_job:
            # held in this module until the process ends: closing it would kill every child
            _windows_job.append(_create_kill_on_close_job())
        job = _windows_job[0]
    if job is None:
        return
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.AssignProcessToJobObject.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
    kernel32.AssignProcessToJobObject.restype = wintypes.BOOL
    # the child runs for the moment between its creation and this call; ffmpeg starts no
    # processes of its own, so nothing can escape the job in that moment
    process_handle = int(getattr(proc, "_handle"))  # noqa: B009  (Popen's Windows process handle)
    if not kernel32.AssignProcessToJobObject(job, process_handle):
        log.warning("cannot put pid %s in the children's job (error %s)", proc.pid, ctypes.get_last_error())


# --- macOS and other POSIX systems: signal handlers that kill the children -----------------------

_signals_installed: list[bool] = []


def install_signal_cleanup() -> bool:
    """Where no parent-death signal exists (macOS …): SIGTERM/SIGHUP kill the children, then the app.

    Each handler kills the registered children, then hands the signal on (to the handler that was
    there before, or to the default action, which ends the process). Must run on the main thread;
    returns True when the handlers are (already) in place, False where they are not needed or
    cannot be installed. Does nothing on Linux and Windows, whose kernels end the children.
    """
    if sys.platform == "win32" or _linux_prctl() is not None:
        return False
    if _signals_installed:
        return True
    if threading.current_thread() is not threading.main_thread():
        return False
    for name in CLEANUP_SIGNALS:
        number = getattr(signal, name, None)
        # an ignored signal (SIGHUP under nohup) stays ignored: the children keep running too
        if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
            _chain_handler(signal.Signals(number))
    _signals_installed.append(True)
    return True


def _chain_handler(signum: signal.Signals) -> None:
    previous = signal.getsignal(signum)

    def handler(number: int, frame: FrameType | None) -> None:
        kill_live_children()
        if callable(previous):
            previous(number, frame)
            return
        signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        os.kill(os.getpid(), number)

    signal.signal(signum, handler)


# --- starting children --------------------------------------------------------------------------


def spawn(args: list[str], *, background: bool = False, **popen: Any) -> subprocess.Popen[bytes]:
    """Start ``args`` as a child tied to this process's life (see the module docstring).

    ``popen`` goes to ``subprocess.Popen`` (pipes …); the platform flags are added here, and
    ``background`` adds the lower priority. The child is registered as live until ``forget``.
    Raises OSError when it cannot be started.
    """
    install_signal_cleanup()  # no-op on Linux/Windows and off the main thread
    flags = background_kwargs() if background else popen_kwargs()
    wrapper = _setpriv_prefix()
    if wrapper:
        if shutil.which(args[0]) is None:  # setpriv would start and fail: say it the usual way
            raise FileNotFoundError(errno.ENOENT, "No such file or executable", args[0])
        args = [*wrapper, *args]
    else:
        hook = _die_with_parent_hook()
        if hook is not None:
            flags["preexec_fn"] = hook
    proc: subprocess.Popen[bytes] = subprocess.Popen(args, **flags, **popen)
    with _live_lock:
        _live.add(proc)
    _assign_to_job(proc)
    if background:
        lower_priority(proc.pid)
    return proc


def run_bounded(args: list[str], timeout: float, *, background: bool = False) -> Completed:
    """Run ``args`` to completion with captured output, killing it if it exceeds ``timeout`` s.

    ``background`` runs it at a lower CPU priority, for work nobody waits on interactively (probing
    files queued by the hundred must not take the cores from the GUI thread).
    Raises TimedOut (after kill + wait, so no process is left behind) and OSError when the
    executable cannot be started.
    """
    proc = spawn(
        args, background=background, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
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
    finally:
        forget(proc)
    return Completed(proc.returncode, out, err)
