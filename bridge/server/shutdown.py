"""Daemon shutdown (PROTOCOL.md §8): every worker pool is closed and joined before the
interpreter exits.

Why it matters: the interpreter's finalization while a worker thread is still inside
onnxruntime (Piper's synthesis) aborts the process (``terminate called without an active
exception``, SIGABRT, seen in 2 of 6 SIGTERM runs before this). Each pool exposes
``close(timeout_s)`` (every worker pool's shutdown rule: stop accepting, cancel what is queued, join); whatever is
still running after the shared deadline is a native call that cannot be interrupted, and then
the process leaves with ``os._exit(0)`` after flushing its output, skipping the finalization
that would crash under that thread.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Iterable

log = logging.getLogger("faceplex.daemon")

#: Threads whose names start with this belong to FacePlex's pools (synthesis, lip sync, ...).
WORKER_PREFIX = "faceplex-"


def close_pools(pools: Iterable[object], timeout_s: float) -> bool:
    """Call ``close(remaining)`` on each pool (an object or module with ``close``, or a close
    function itself; others are skipped), all within ``timeout_s`` seconds together. Returns True when no FacePlex worker thread is alive
    afterwards."""
    deadline = time.monotonic() + timeout_s
    for pool in pools:
        close = getattr(pool, "close", None) or (pool if callable(pool) else None)
        if close is None:
            continue
        try:
            close(max(0.0, deadline - time.monotonic()))
        except Exception:  # a pool that fails to close must not keep the others open
            log.exception("closing %r failed", pool)
    return not busy_workers()


def busy_workers() -> list[str]:
    """Names of FacePlex worker threads still alive."""
    return [t.name for t in threading.enumerate()
            if t.is_alive() and t is not threading.current_thread() and t.name.startswith(WORKER_PREFIX)]


def hard_exit(code: int = 0) -> None:
    """Leave now without interpreter finalization (a worker is inside native code)."""
    log.warning("exiting with workers still running: %s", ", ".join(busy_workers()))
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)
