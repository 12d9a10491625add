"""PocketSphinx off the interpreter lock: one persistent worker process and a fair step scheduler.

PocketSphinx's decoders hold Python's interpreter lock while they work (issue 14: loading a word
decoder blocked the daemon's event loop 0.55 s, recognising 20 s of audio 1.3 s, a forced
alignment 1.2 s; every session froze). So they live in a separate process, a fresh interpreter
(``python -c``, like multiprocessing's ``spawn`` but without re-importing the caller's main
module, so a script that embeds the daemon needs no ``__main__`` guard; and no fork of a process
that runs threads and onnxruntime), that loads all three decoders once at start. The daemon
talks to it over a socket pair wrapped in :class:`multiprocessing.connection.Connection`
(:class:`faceplex.models.lifetime.WorkerProcess`, shared with the transcription worker):
requests ``(op, args)`` with the audio as PCM16LE bytes, replies ``("ok", result)`` or
``("err", text)``; a worker that dies is restarted on the next request (the step that was
running fails, its utterance is cancelled with ``internal``). The worker exits when its socket
closes, so it never outlives the daemon.

Scheduling (issue 13, fairness): lip-sync *steps* (:meth:`LipsyncStream.step
<faceplex.bridge.listening.lipsync.LipsyncStream.step>`, each analysing a bounded window, at most
:data:`~faceplex.bridge.listening.lipsync.STEP_MAX_S` of new audio) queue per session and run one at a
time, round-robin over the sessions that have work. A session's step therefore waits for at
most one step of each other busy session, whatever they sent: 10 minutes of ``lipsync`` at once
is 200 bounded steps of that session, interleaved with everyone else's.

The steps run on :class:`AnalysisPool`'s one dispatcher thread, which does the steps' small
numpy work and blocks on the pipe (releasing the lock) while the worker decodes.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict, deque
from concurrent.futures import CancelledError, Future
from multiprocessing.connection import Connection
from typing import Callable, Hashable, Optional

import numpy as np

from faceplex.models.lifetime import ProcessWide, WorkerProcess
from faceplex.models.speech.align import AlignedPhone

log = logging.getLogger("faceplex.analysis")

#: The worker runs at a lower CPU priority than the daemon: on a busy machine the daemon's loop
#: and the voice's synthesis (whose lateness is an audible gap for every session) win the cores
#: over a lip-sync backlog (whose lateness only delays that one utterance). Measured on a loaded
#: 2-core machine (load ~14, a 20 s lipsync at once beside a speaking session): the victim's
#: worst audio lateness grew by 0.53 s at nice 5, by 0.11-0.13 s at nice 10. Real-time lip sync
#: needs ~30 % of a core, which nice 10 still gets beside a few busy processes.
WORKER_NICE = 10


# ---------------------------------------------------------------------- the worker process
def _worker_entry(fd: int) -> None:
    """``python -c`` entry point: serve on the inherited socket ``fd``."""
    _worker_main(Connection(fd))


def _worker_main(conn) -> None:
    """Entry point of the worker process: serve requests until ``None`` or the pipe closes."""
    from faceplex.models.speech.align import Aligner

    try:
        os.nice(WORKER_NICE)
    except OSError:
        pass
    al = Aligner()
    while True:
        try:
            req = conn.recv()
        except (EOFError, OSError):
            return
        if req is None:
            return
        op, args = req
        try:
            if op == "warm":          # every decoder now, not in the middle of a stream
                al._phone, al._decoder, al._grammar
                res = os.getpid()
            elif op == "recognize":
                res = [(p.phone, p.start, p.end) for p in al.recognize(np.frombuffer(args[0], "<i2"))]
            elif op == "align":
                phones, words = al.align(np.frombuffer(args[0], "<i2"), args[1])
                res = ([(p.phone, p.start, p.end) for p in phones], words)
            elif op == "prefix_words":
                res = al.prefix_words(np.frombuffer(args[0], "<i2"), list(args[1]), args[2])
            elif op == "known_words":
                res = al.known_words(args[0])
            elif op == "pid":
                res = os.getpid()
            else:
                raise ValueError(f"unknown analysis op {op!r}")
            conn.send(("ok", res))
        except Exception as exc:   # reported to the caller; the worker keeps serving
            conn.send(("err", f"{type(exc).__name__}: {exc}"))


class RemoteAligner:
    """The :class:`~faceplex.models.speech.align.Aligner` interface used by lip-sync steps,
    answered by the worker process (same arguments, same results)."""

    def __init__(self, worker: WorkerProcess):
        self._w = worker

    def known_words(self, text: str) -> list[str]:
        return self._w.call("known_words", text)

    def recognize(self, pcm: np.ndarray) -> list[AlignedPhone]:
        return [AlignedPhone(*p) for p in self._w.call("recognize", _bytes(pcm))]

    def align(self, pcm: np.ndarray, text: str):
        phones, words = self._w.call("align", _bytes(pcm), text)
        return [AlignedPhone(*p) for p in phones], [tuple(w) for w in words]

    def prefix_words(self, pcm: np.ndarray, words: list[str], max_words: int = 16):
        return [tuple(w) for w in self._w.call("prefix_words", _bytes(pcm), list(words), max_words)]


def _bytes(pcm: np.ndarray) -> bytes:
    return np.asarray(pcm, dtype="<i2").tobytes()


# ---------------------------------------------------------------------- the scheduler
class _Job:
    __slots__ = ("fn", "future", "alive")

    def __init__(self, fn, future, alive):
        self.fn, self.future, self.alive = fn, future, alive


class AnalysisPool:
    """Round-robin over sessions, one step at a time, PocketSphinx in the worker process.

    :meth:`submit` ``(key, fn, alive)``: ``fn(aligner)`` runs on the dispatcher thread with a
    :class:`RemoteAligner`; returns a :class:`concurrent.futures.Future`. ``key`` names the
    session (its queue); ``alive()`` false when the job's turn comes cancels it (an utterance
    cancelled or a session closed meanwhile). :meth:`close` (contract 5) stops accepting,
    cancels what is queued, and joins the thread and the process."""

    def __init__(self) -> None:
        self._worker = WorkerProcess("faceplex.bridge.listening.analysis:_worker_entry", "analysis worker")
        self.aligner = RemoteAligner(self._worker)
        self._queues: "OrderedDict[Hashable, deque[_Job]]" = OrderedDict()
        self._cv = threading.Condition()
        self._closed = False
        self._thread: Optional[threading.Thread] = None
        self._last_key: Optional[Hashable] = None   # the session served last
        self.steps_run = 0

    def start(self) -> Future:
        """Start the worker process and the dispatcher; the future resolves (to the worker's pid)
        once every decoder is loaded."""
        with self._cv:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="faceplex-analysis", daemon=True)
                self._thread.start()
        return self.submit("_warm", lambda al: al._w.call("warm"))

    @property
    def worker_pid(self) -> Optional[int]:
        return self._worker.pid

    def submit(self, key: Hashable, fn: Callable, alive: Optional[Callable[[], bool]] = None) -> Future:
        fut: Future = Future()
        with self._cv:
            if self._closed:
                fut.cancel()
                return fut
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="faceplex-analysis", daemon=True)
                self._thread.start()
            self._queues.setdefault(key, deque()).append(_Job(fn, fut, alive))
            self._cv.notify()
        return fut

    def pending(self, key: Hashable) -> int:
        with self._cv:
            return len(self._queues.get(key, ()))

    def _next(self) -> Optional[_Job]:
        """The next job, round-robin: the first session's oldest job; that session moves last."""
        with self._cv:
            while not self._queues and not self._closed:
                self._cv.wait()
            if self._closed:
                return None
            key = next(iter(self._queues))
            if key == self._last_key and len(self._queues) > 1:
                # Its queue ran empty while its last step ran and was opened again at the
                # front: the others still go first (seen: a0 a1 b0 c0 on a quiet machine).
                self._queues.move_to_end(key)
                key = next(iter(self._queues))
            q = self._queues[key]
            self._last_key = key
            job = q.popleft()
            del self._queues[key]
            if q:
                self._queues[key] = q     # re-inserted at the end: its next job waits its turn
            return job

    def _run(self) -> None:
        while True:
            job = self._next()
            if job is None:
                return
            if job.alive is not None and not job.alive():
                job.future.cancel()
                continue
            if not job.future.set_running_or_notify_cancel():
                continue
            try:
                result = job.fn(self.aligner)
            except BaseException as exc:   # the caller decides (the session reports `internal`)
                job.future.set_exception(exc)
            else:
                job.future.set_result(result)
            self.steps_run += 1

    def close(self, timeout_s: float = 1.0) -> None:
        """Stop accepting, cancel queued jobs, join the dispatcher (after its running step) and
        the worker process (terminated, then killed, if it does not exit in time)."""
        with self._cv:
            self._closed = True
            jobs = [j for q in self._queues.values() for j in q]
            self._queues.clear()
            self._cv.notify_all()
        for j in jobs:
            j.future.cancel()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(max(0.0, timeout_s / 2))
        self._worker.stop(timeout_s / 2)


_POOL: ProcessWide[AnalysisPool] = ProcessWide(AnalysisPool)


def analysis_pool() -> AnalysisPool:
    """The process's pool (started on first use)."""
    return _POOL.get()


def close(timeout_s: float = 1.0) -> None:
    """Close the process's pool if it was started (contract 5; the daemon's shutdown calls it)."""
    _POOL.close(timeout_s)


__all__ = ["AnalysisPool", "RemoteAligner", "analysis_pool", "close", "CancelledError"]
