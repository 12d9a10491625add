"""Transcription off the daemon: one worker process at nice :data:`WORKER_NICE` that owns the
models, and :class:`TranscribePool`, the daemon-side dispatcher that feeds it one job at a time.

Why a process: PocketSphinx holds Python's interpreter lock while it decodes (1.4 s for a 5 s
line here; issue 14 measured the daemon's loop frozen by it), and Whisper's feature extraction is
numpy on the calling thread. CTranslate2 computes on threads it creates itself, which inherit
the niceness of the thread that creates them: the worker lowers its priority before it loads a
model, so every thread that runs Whisper is at nice 10 (the weight of a nice-10 thread is 110
against 1,024 at nice 0: synthesis and the loop win the cores; PROTOCOL.md's "below synthesis").

Scheduling: finals before interims (the partner is waiting for the answer; an interim is only a
preview), then first come first served. A session has at most one job queued or running (the
caller's rule, :class:`~faceplex.models.asr.stream.TranscriptStream`), so the queue is a round-robin
over sessions. :meth:`TranscribePool.cancel` drops a closed session's queued job and the result
of its running one. A worker that dies is restarted with the next job (the job it was running
fails with RuntimeError).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
from multiprocessing.connection import Connection
from typing import Callable, Hashable, Optional

import numpy as np

from faceplex.models.lifetime import ProcessWide, WorkerProcess

from .result import Hypothesis

log = logging.getLogger("faceplex.transcribe")

WORKER_NICE = 10


# ---------------------------------------------------------------------- the worker process
def _entry(fd: int) -> None:
    _serve(Connection(fd))


def _engine(name: str, cache: dict):
    e = cache.get(name)
    if e is None:
        from . import models

        if name == models.POCKETSPHINX:
            from .sphinx import SphinxEngine

            e = SphinxEngine()
        else:
            d = models.model_dir(name)
            if d is None:
                raise FileNotFoundError(f"transcription model {name!r} is not installed")
            from .whisper import WhisperEngine

            e = WhisperEngine(d, name)
        cache[name] = e
    return e


def _serve(conn) -> None:
    try:
        os.nice(WORKER_NICE)
    except OSError:
        pass
    cache: dict = {}
    while True:
        try:
            req = conn.recv()
        except (EOFError, OSError):
            return
        if req is None:
            return
        op, args = req
        try:
            if op == "warm":
                for name in args[0]:
                    _engine(name, cache)
                res = os.getpid()
            elif op == "run":
                name, pcm, kw = args
                audio = np.frombuffer(pcm, dtype=np.float32)
                h = _engine(name, cache).transcribe(audio, **kw)
                res = h.__dict__
            else:
                raise ValueError(f"unknown transcription op {op!r}")
            conn.send(("ok", res))
        except Exception as exc:
            conn.send(("err", f"{type(exc).__name__}: {exc}"))


Callback = Callable[[object, Optional[Hypothesis], Optional[BaseException]], None]


class TranscribePool:
    """``submit(key, job, words, done)`` queues a :class:`~.stream.Job` for session ``key``;
    ``done(job, hypothesis, error)`` is called on the dispatcher thread (the caller hands it to
    its loop), never for a cancelled key. :meth:`cancel` forgets a session; :meth:`close` stops."""

    def __init__(self) -> None:
        self._worker = WorkerProcess("faceplex.models.asr.worker:_entry", "transcription worker")
        self._heap: list = []
        self._order = itertools.count()
        self._cv = threading.Condition()
        self._running: Optional[Hashable] = None
        self._dead: set = set()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="faceplex-transcribe", daemon=True)
        self._thread.start()

    def warm(self, names: list[str]) -> None:
        """Load these models in the worker now (the daemon's start-up), not on the first job."""
        done = threading.Event()
        with self._cv:
            heapq.heappush(self._heap, (-1, next(self._order), None, ("warm", names), lambda *a: done.set()))
            self._cv.notify()
        done.wait(120)

    def submit(self, key: Hashable, job, words: bool, done: Callback) -> bool:
        with self._cv:
            if self._closed:
                return False
            self._dead.discard(key)
            heapq.heappush(self._heap, (0 if job.final else 1, next(self._order), key, (job, words), done))
            self._cv.notify()
        return True

    def cancel(self, key: Hashable) -> None:
        """Drop ``key``'s queued jobs; its running job's result is dropped when it comes."""
        with self._cv:
            self._heap = [e for e in self._heap if e[2] != key]
            heapq.heapify(self._heap)
            if self._running == key:
                self._dead.add(key)

    def pending(self, key: Hashable) -> int:
        """Jobs of ``key`` queued or running."""
        with self._cv:
            return sum(1 for e in self._heap if e[2] == key) + (self._running == key and key not in self._dead)

    @property
    def worker_pid(self) -> Optional[int]:
        return self._worker.pid

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._heap and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                _, _, key, payload, done = heapq.heappop(self._heap)
                self._running = key
            hyp = err = None
            try:
                if key is None:
                    self._worker.call(*payload)
                else:
                    job, words = payload
                    kw = {"prompt": job.prompt, "prefix": job.prefix, "language": job.language, "words": words}
                    hyp = Hypothesis(**self._worker.call("run", job.model, job.audio.astype(np.float32).tobytes(), kw))
            except Exception as exc:
                err = exc
            with self._cv:
                self._running = None
                dead = key in self._dead
                self._dead.discard(key)
            if key is None:
                done(None, None, err)
            elif not dead:
                try:
                    done(payload[0], hyp, err)
                except Exception:
                    log.exception("transcript callback failed")

    def close(self, timeout_s: float = 1.0) -> None:
        with self._cv:
            self._closed = True
            self._heap.clear()
            self._cv.notify_all()
        self._worker.stop(timeout_s)
        self._thread.join(timeout_s)


_POOL: ProcessWide[TranscribePool] = ProcessWide(TranscribePool)


def transcribe_pool() -> TranscribePool:
    return _POOL.get()


def started_pool() -> Optional[TranscribePool]:
    """The process's pool if something started it, else None (nothing is started)."""
    return _POOL.started()


def close(timeout_s: float = 1.0) -> None:
    _POOL.close(timeout_s)
