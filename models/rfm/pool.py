"""``MotionPool``: the daemon's RFM inference, off the event loop, every due session in one graph call.

One worker thread serves every :class:`~.animator.RfmAnimator` registered with the pool. Each
round it asks every session for its next graph call (:meth:`RfmAnimator.job`: a session is due
while it has fewer than ``AHEAD_FRAMES`` committed frames past the last one ``frames()``
returned), stacks the inputs along the graph's named dynamic ``batch`` axis (export.py) and runs
ONE onnxruntime call for all of them, then hands each session its slice (:meth:`RfmAnimator.done`;
a session whose queue changed meanwhile discards it). The event loop only copies committed frames;
it commits inline only when the pool is behind (counted in ``RfmAnimator.stats["inline_commits"]``).

Sessions are independent: a session's job is computed under its own lock, and a session that
raises is dropped from that round (logged) without touching the others.

``close(timeout_s)`` (team contract 5): stops accepting sessions, wakes the worker, joins it.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref

import numpy as np

log = logging.getLogger("faceplex.rfm.pool")

#: Idle poll of the worker (s): sessions also kick it when frames are taken or speech lands.
POLL_S = 0.01


class MotionPool:
    """Batched commits of many sessions on one worker thread. ``model``: an OnnxCommit."""

    def __init__(self, model, max_batch: int = 64, name: str = "faceplex-motion", start: bool = True):
        """``start=False``: no worker thread; the caller runs :meth:`step` (tests, benchmarks)."""
        self.model = model
        self.max_batch = int(max_batch)
        self._members: "weakref.WeakSet" = weakref.WeakSet()
        self._cv = threading.Condition()
        self._kicked = False
        self._closed = False
        self.stats = {"graph_calls": 0, "session_calls": 0, "max_batch": 0, "errors": 0, "busy_s": 0.0}
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        if start:
            self._thread.start()

    @property
    def closed(self) -> bool:
        return self._closed

    def register(self, anim) -> None:
        if self._closed:
            raise RuntimeError("motion pool is closed")
        with self._cv:
            self._members.add(anim)
            self._kicked = True
            self._cv.notify()

    def unregister(self, anim) -> None:
        with self._cv:
            self._members.discard(anim)

    def kick(self) -> None:
        with self._cv:
            self._kicked = True
            self._cv.notify()

    def close(self, timeout_s: float = 2.0) -> bool:
        """Stop the worker (queued work is dropped: sessions commit inline from now on) and join it.
        Returns True when the worker ended within ``timeout_s``."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=max(0.0, float(timeout_s)))
        with self._cv:
            for a in list(self._members):
                a.pool = None
            self._members.clear()
        return not self._thread.is_alive()

    def step(self) -> int:
        """One round: gather the due sessions' calls, run them as one batch. Returns the batch size."""
        with self._cv:
            members = list(self._members)
        jobs = []
        for a in members:
            try:
                j = a.job()
            except Exception:   # one broken session must not stop the others
                log.exception("motion job failed")
                self.stats["errors"] += 1
                continue
            if j is not None:
                jobs.append((a, j))
            if len(jobs) >= self.max_batch:
                break
        if not jobs:
            return 0
        t = time.perf_counter()
        arrays = [np.stack([j[1][i] for _, j in jobs]).astype(np.float32) for i in range(6)]
        style = np.array([j[2] for _, j in jobs], np.int64)
        character = np.array([j[3] for _, j in jobs], np.int64)
        out = np.asarray(self.model(*arrays, style, character), np.float32)
        self.stats["graph_calls"] += 1
        self.stats["session_calls"] += len(jobs)
        self.stats["max_batch"] = max(self.stats["max_batch"], len(jobs))
        for k, (a, j) in enumerate(jobs):
            try:
                a.done(j, out[k])
            except Exception:
                log.exception("motion result failed")
                self.stats["errors"] += 1
        self.stats["busy_s"] += time.perf_counter() - t
        return len(jobs)

    def _run(self) -> None:
        while True:
            with self._cv:
                if not self._kicked and not self._closed:
                    self._cv.wait(POLL_S)
                self._kicked = False
                if self._closed:
                    return
            try:
                while self.step() and not self._closed:
                    pass
            except Exception:   # the model failed: sessions fall back to inline commits
                log.exception("motion pool round failed")
                self.stats["errors"] += 1
                time.sleep(POLL_S)


_default: MotionPool | None = None
_default_lock = threading.Lock()


def default_pool(model_path=None) -> MotionPool:
    """The process-wide pool over the shipped (or ``FACEPLEX_RFM_MODEL``) model, 1 intra-op thread."""
    global _default
    from .animator import load_model

    with _default_lock:
        if _default is None or _default.closed:
            _default = MotionPool(load_model(model_path, threads=1))
        return _default


def close_default_pool(timeout_s: float = 2.0) -> bool:
    """Close the process-wide pool if one was started (the daemon's shutdown calls this)."""
    global _default
    with _default_lock:
        p, _default = _default, None
    return p.close(timeout_s) if p is not None else True
