"""Speech detection off the event loop: a small pool of threads that run sessions' ``mic`` jobs.

Silero VAD (onnxruntime, which releases the interpreter lock while it runs) plus the downmix and
resampling cost ~0.3-1 ms per 32 ms window; on the event loop that is time every other session
waits. Each session hands its pending ``mic`` chunks to this pool as *one* job at a time (the
chunks that arrived meanwhile are batched into its next job), so a session's chunks stay in order
and no session has more than one job queued: the pool's FIFO is then a round-robin over sessions,
and the per-session mic rate limit (PROTOCOL.md §11) bounds each job. Barge-in latency grows
only by the hand-off to an idle thread (well under a millisecond on an idle machine).
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable, Optional

from faceplex.models.lifetime import ProcessWide

log = logging.getLogger("faceplex.vad")

#: Two threads: one session's job never waits behind another's on a 2-core machine.
WORKERS = 2


class VadPool:
    """``submit(fn)`` runs ``fn()`` on a pool thread; :meth:`close` (contract 5) stops accepting,
    drops queued jobs and joins the threads."""

    def __init__(self, workers: int = WORKERS):
        self._q: "queue.SimpleQueue[Optional[Callable[[], None]]]" = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, name=f"faceplex-vad_{i}", daemon=True)
                         for i in range(workers)]
        for t in self._threads:
            t.start()

    def submit(self, fn: Callable[[], None]) -> bool:
        """Queue ``fn``; False once closed (the job is dropped)."""
        with self._lock:
            if self._closed:
                return False
            self._q.put(fn)
            return True

    def _run(self) -> None:
        while True:
            fn = self._q.get()
            if fn is None or self._closed:
                return
            try:
                fn()
            except Exception:   # jobs report their own errors; this is a bug
                log.exception("mic job failed")

    def close(self, timeout_s: float = 1.0) -> None:
        with self._lock:
            self._closed = True
        for _ in self._threads:
            self._q.put(None)
        per = max(0.0, timeout_s) / max(1, len(self._threads))
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(per)


_POOL: ProcessWide[VadPool] = ProcessWide(VadPool)


def vad_pool() -> VadPool:
    return _POOL.get()


def close(timeout_s: float = 1.0) -> None:
    """Close the process's pool if started (the daemon's shutdown calls it)."""
    _POOL.close(timeout_s)
