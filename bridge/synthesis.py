"""Speech synthesis jobs of all sessions, run earliest-deadline-first on a small thread pool.

Why not a plain executor: with many sessions, a FIFO pool makes a new line's first clause wait
behind other sessions' later clauses, which are not needed for seconds. Each job carries the wall
time its audio is needed (a new utterance: now; a later clause: when the audio before it runs
out), and the workers always take the most urgent job.

Why two widths: on this class of machine Piper's ONNX graph synthesizes a short clause in ~38 ms
with two intra-op threads but ~58 ms with one, while two one-thread jobs side by side give the
best throughput (measured: 28 s of audio per second vs 21-24). So a worker that finds itself alone
(no other job running or waiting) runs its job wide; otherwise narrow.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import os
import threading
import time
from typing import Any, Callable


#: Nice increment of the synthesis threads (0 = normal, 19 = lowest priority).
SYNTH_NICE = 10


class SynthesisScheduler:
    """Earliest-deadline-first job runner.

    ``submit(deadline_s, fn, *args)`` returns an asyncio future (of the calling loop) for
    ``fn(*args, wide=...)``; ``deadline_s`` is a ``time.monotonic()`` time. ``wide`` tells the job
    it may use both cores.
    """

    def __init__(self, workers: int = 2):
        self._heap: list = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._busy = 0
        self._closed = False
        self._threads = [threading.Thread(target=self._work, name=f"faceplex-synth-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, deadline_s: float, fn: Callable[..., Any], *args) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if self._closed:  # after close(): no new work (the awaiting session is ending anyway)
            future.cancel()
            return future
        with self._cond:
            heapq.heappush(self._heap, (deadline_s, next(self._order), fn, args, loop, future))
            self._cond.notify()
        return future

    def shutdown(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def close(self, timeout_s: float = 1.0) -> bool:
        """Stop accepting jobs, cancel the queued ones and join the workers (TEAM contract 5).

        A job already inside the voice finishes first (an onnxruntime run cannot be interrupted
        from Python). Returns True when every worker ended within ``timeout_s`` seconds."""
        with self._cond:
            self._closed = True
            queued, self._heap = self._heap, []
            self._cond.notify_all()
        for *_, loop, future in queued:
            try:
                loop.call_soon_threadsafe(future.cancel)
            except RuntimeError:  # that loop is already closed
                pass
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def _work(self) -> None:
        # Synthesis yields the CPU to the event loop: a late face frame or audio chunk is an
        # underrun at every client, a clause finishing 10 ms later is not (it has a deadline
        # seconds away). Per-thread nice is Linux-only; elsewhere this is a no-op.
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SYNTH_NICE)
        except (AttributeError, OSError, PermissionError):
            pass
        while True:
            with self._cond:
                while not self._heap and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                _, _, fn, args, loop, future = heapq.heappop(self._heap)
                wide = self._busy == 0 and not self._heap
                self._busy += 1
            try:
                if not future.cancelled():
                    result = fn(*args, wide=wide)
                    loop.call_soon_threadsafe(_resolve, future, result, None)
            except BaseException as exc:  # delivered to the awaiting session
                loop.call_soon_threadsafe(_resolve, future, None, exc)
            finally:
                with self._cond:
                    self._busy -= 1
                    idle = self._busy == 0 and not self._heap
                if idle:
                    release_free_memory()


def _load_libc():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return None


_LIBC = _load_libc()


def release_free_memory() -> None:
    """Give memory freed by synthesis back to the OS (glibc ``malloc_trim``).

    onnxruntime allocates and frees the activations of every clause; glibc keeps the freed pages
    in its arenas, so without this the daemon's resident memory grows by the peak of the busiest
    moment and stays there (measured: +190 MB after 20 sessions spoke at once).
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _resolve(future: asyncio.Future, result: Any, exc: BaseException | None) -> None:
    if future.cancelled():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


#: Speech duration per character of English text at speed 1.0 (Piper en_US-joe-medium, measured
#: over the bench lines: ~0.064 s/char), used only to set deadlines.
SECONDS_PER_CHAR = 0.064


def estimate_seconds(text: str, speed: float) -> float:
    """Rough spoken duration of ``text`` in seconds (for scheduling, not timing)."""
    return len(text) * SECONDS_PER_CHAR / speed


def now_s() -> float:
    return time.monotonic()
