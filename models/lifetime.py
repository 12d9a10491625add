"""How FacePlex's worker pools and worker processes begin and end, written once.

- :class:`ProcessWide`: the one pool of a kind per process (the lip-sync analysis pool, the VAD
  threads, the transcription pool), made on first use and closed by the daemon's shutdown
  (``bridge/server/shutdown.py``: ``close(timeout_s)`` stops accepting, drops
  what is queued and joins).
- :class:`WorkerProcess`: a helper interpreter (``python -c``, like multiprocessing's ``spawn``
  without re-importing the caller's ``__main__``; in the frozen bundle ``sys.executable`` runs
  ``-c`` the same way, ``bridge/bundle/entry.py``) that answers ``(op, args)`` requests on a
  socket pair wrapped in :class:`multiprocessing.connection.Connection`: replies
  ``("ok", result)`` or ``("err", text)``. Used by the PocketSphinx analysis worker
  (``bridge/listening/analysis.py``) and the transcription worker (``models/asr/worker.py``).

Here, in ``models``, because both ``bridge`` and ``models`` use it and rooms import downward.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from typing import Callable, Generic, Optional, TypeVar

log = logging.getLogger("faceplex.workers")

T = TypeVar("T")

#: Seconds a worker is given to die after SIGTERM, then after SIGKILL, once it has not left by
#: itself within the caller's timeout.
SIGNAL_WAIT_S = 0.5


class ProcessWide(Generic[T]):
    """One ``T`` per process: made by ``make()`` on the first :meth:`get`, closed and forgotten
    by :meth:`close` (a later :meth:`get` makes a new one). Thread-safe. ``T`` has
    ``close(timeout_s)``."""

    def __init__(self, make: Callable[[], T]):
        self._make = make
        self._obj: Optional[T] = None
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            if self._obj is None:
                self._obj = self._make()
            return self._obj

    def started(self) -> Optional[T]:
        """The object if something made it, else None (nothing is made)."""
        return self._obj

    def close(self, timeout_s: float = 1.0) -> None:
        """Close the object if it was made, within about ``timeout_s`` seconds (its own rule)."""
        with self._lock:
            obj, self._obj = self._obj, None
        if obj is not None:
            obj.close(timeout_s)


class WorkerProcess:
    """The process and its pipe; :meth:`call` is used by one thread at a time (a pool's
    dispatcher). The process starts on the first call and again on the call after it died (the
    call that was running when it died raises RuntimeError). It exits when its pipe closes, so
    it never outlives the daemon.

    Args:
        entry: ``"module:function"``; the child runs ``function(fd)`` with the inherited socket
            descriptor and serves until it reads ``None`` or the pipe closes.
        what: its name in log lines and errors (``"analysis worker"``).
    """

    def __init__(self, entry: str, what: str):
        self._module, _, self._function = entry.partition(":")
        self.what = what
        self._proc: Optional[subprocess.Popen] = None
        self._conn: Optional[Connection] = None

    def start(self) -> None:
        parent, child = socket.socketpair()
        fd = child.fileno()
        code = f"from {self._module} import {self._function}; {self._function}({fd})"
        env = {k: v for k, v in os.environ.items() if k != "FACEPLEX_TOKEN"}   # it needs no secret
        self._proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=(fd,), stdin=subprocess.DEVNULL,
                                      close_fds=True, env=env)
        child.close()
        self._conn = Connection(parent.detach())

    @property
    def pid(self) -> Optional[int]:
        """The running process's id (None before the first call, after :meth:`stop`, or dead)."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def call(self, op: str, *args):
        """Send ``(op, args)`` and return the worker's result.

        Raises RuntimeError with the worker's ``"Type: message"`` when the op failed there, or
        when the worker died during the call."""
        if self._proc is None or self._proc.poll() is not None:
            if self._proc is not None:
                log.error("%s died (exit %s): restarting it", self.what, self._proc.returncode)
                self._conn.close()
            self.start()
        try:
            self._conn.send((op, args))
            status, res = self._conn.recv()
        except (EOFError, OSError) as exc:
            try:
                self._proc.wait(0.1)   # reap it, so its exit code is in the restart's log line
            except subprocess.TimeoutExpired:
                pass
            raise RuntimeError(f"the {self.what} died ({exc or type(exc).__name__})") from None
        if status != "ok":
            raise RuntimeError(res)
        return res

    def stop(self, timeout_s: float) -> None:
        """Ask the worker to leave (``None`` on its pipe) and wait up to ``timeout_s`` seconds
        (at least 0.05) for it to finish what it runs; then SIGTERM, then SIGKILL, each given
        :data:`SIGNAL_WAIT_S`. The pipe is closed last: a worker still answering does not hit a
        closed pipe while it may leave by itself."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if proc is None:
            return
        try:
            conn.send(None)
        except OSError:
            pass
        for signal_it in (None, proc.terminate, proc.kill):
            if signal_it is not None:
                signal_it()
            try:
                proc.wait(max(0.05, timeout_s) if signal_it is None else SIGNAL_WAIT_S)
                break
            except subprocess.TimeoutExpired:
                continue
        conn.close()
