"""``serve --parent-pid PID``: the daemon exits when the process that launched it is gone.

Why: an engine editor keeps one daemon across Play sessions (Unity's domain reload loses the
``Process`` object and its stdin pipe, so ``--exit-on-stdin-eof`` cannot tie the daemon to the
editor), and a crashed editor must not leave a daemon behind. The watch polls every
:data:`POLL_S` seconds (one system call per poll; no thread):

- Windows: a ``SYNCHRONIZE`` handle to the parent opened at start (it pins the process object, so a
  reused pid is never mistaken for the parent) and ``WaitForSingleObject(handle, 0)``
  (kernel32, ``synchapi.h``).
- Linux: the parent's start time (``/proc/PID/stat`` field 22, clock ticks since boot; proc(5))
  read at start; gone or changed means the parent died (a reused pid has another start time).
- Other POSIX (macOS): ``kill(pid, 0)``; ``ESRCH`` means gone, ``EPERM`` means alive.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Callable, Optional

log = logging.getLogger("faceplex.daemon")

#: Seconds between two looks at the parent: the daemon is gone within this after the editor dies.
POLL_S = 0.5


class ParentProcess:
    """One process to watch. Raises ProcessLookupError at construction when ``pid`` is not
    running (a wrong ``--parent-pid`` is refused at launch, not noticed half a second later)."""

    def __init__(self, pid: int):
        if pid <= 0:
            raise ProcessLookupError(f"parent process {pid} is not running")
        self.pid = pid
        self._handle = None
        self._start: Optional[str] = None
        if sys.platform == "win32":
            import ctypes

            SYNCHRONIZE = 0x00100000
            self._kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
            self._kernel32.OpenProcess.restype = ctypes.c_void_p
            self._kernel32.WaitForSingleObject.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
            self._handle = self._kernel32.OpenProcess(SYNCHRONIZE, False, pid)
            if not self._handle:
                raise ProcessLookupError(f"parent process {pid} is not running")
        elif sys.platform.startswith("linux"):
            self._start = _linux_start_time(pid)
            if self._start is None:
                raise ProcessLookupError(f"parent process {pid} is not running")
        elif not self._posix_alive():
            raise ProcessLookupError(f"parent process {pid} is not running")

    def alive(self) -> bool:
        """True while the parent runs (a zombie parent counts as gone on Linux)."""
        if self._handle is not None:
            WAIT_TIMEOUT = 0x102
            return self._kernel32.WaitForSingleObject(self._handle, 0) == WAIT_TIMEOUT
        if self._start is not None:
            return _linux_start_time(self.pid) == self._start
        return self._posix_alive()

    def _posix_alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _linux_start_time(pid: int) -> Optional[str]:
    """Field 22 (starttime) of ``/proc/PID/stat``, or None when the process is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 onwards
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


async def watch_parent(parent: ParentProcess, on_gone: Callable[[], None], poll_s: float = POLL_S) -> None:
    """Call ``on_gone()`` once when ``parent`` has exited (an asyncio task; cancel it to stop)."""
    while parent.alive():
        await asyncio.sleep(poll_s)
    log.warning("parent process %d is gone: shutting down", parent.pid)
    on_gone()
