"""Speech synthesis of all sessions: bounded steps, earliest deadline first, priority by deadline.

Why not a plain executor: with many sessions, a FIFO pool makes a new line's first audio wait
behind other sessions' later clauses, which are not needed for seconds. Every job is a
``ClauseStream`` run one *step* at a time (the text -> latent part and a first decoder window, or
one more window: tens of ms of CPU each, see ``models.speech.clause_stream``), and a step carries
the wall time its audio is needed (its *deadline*). Workers always take the step with the earliest
deadline, so one session's load (16 queued long utterances, a 2,000-character clause split into
bounded runs) waits behind another session's audio that is due sooner: a job waits at most one
step of another job per worker. Each session has one clause in flight at a time (its synthesizer
awaits it), so a session cannot fill the queue with work of its own.

Priority policy (``--synthesis-priority``, :data:`POLICIES`):

- ``deadline`` (default): audio about to be heard (a new utterance's first piece, whose deadline
  is now, or any piece whose deadline is within :data:`URGENT_S` + 2 x the measured background step
  time of now) runs on *urgent* workers at normal priority (nice 0),
  so it gets its fair share beside a game's threads; work further ahead runs on *background*
  workers at nice :data:`BACKGROUND_NICE` and only while fewer than ``workers`` steps are running
  (Linux weights nice 10 at 110 against 1,024: it yields to the game). Two fixed pools rather than
  re-nicing a thread per job: an unprivileged thread may raise its nice value but not lower it.
- ``background``: every worker at ``SCHED_IDLE`` (nice 19 where that is unavailable): the daemon
  runs strictly behind the game and audio may be late when the game uses every core.
- ``normal``: every worker at nice 0 (a dedicated machine).

Why two widths: Piper's graph runs a short step ~1.5x faster with two intra-op threads than with
one, while two one-thread steps side by side give the best throughput; a worker that finds itself
alone (no other step running or waiting) runs its step wide - unless wide steps measured slower
than narrow ones (a busy machine: two threads must both get a core; measured 2-4x slower beside
a load of 11 on 2 cores). Only workers at normal priority run wide (urgent ones, or all under
``normal``): onnxruntime's second pool thread runs at the nice value it was created with (0), so
a wide step would take part of its work out of ``background``'s SCHED_IDLE. A clause's first
step follows the measured widths; the step after it runs narrow (the event loop is sending the
first audio). The voice's pools do not spin (``piper_voice.Voice.load``).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

#: Nice value of background synthesis workers under the ``deadline`` policy.
BACKGROUND_NICE = 10
#: A piece whose deadline is within this many seconds of now, plus twice the measured duration of
#: a background step (a busy machine runs nice steps much slower: promote them earlier), is urgent.
URGENT_S = 0.15
POLICIES = ("deadline", "background", "normal")


@dataclass(eq=False)
class SynthesisJob:
    """A step-wise job: ``stream.step(wide) -> list of results`` until ``stream.done``.

    ``deadline`` (``time.monotonic()`` seconds) of its next step; ``on_result(item)`` and
    ``on_done(exc or None)`` are called on the submitting event loop; ``piece_s(item)`` gives the
    audio duration of a result (seconds), which moves the next deadline forward after each step.
    """

    stream: Any
    deadline: float
    on_result: Callable[[Any], None]
    on_done: Callable[[Optional[BaseException]], None]
    piece_s: Callable[[Any], float] = lambda item: 0.0
    #: Called on the loop when :meth:`SynthesisScheduler.close` drops the job while it waits.
    on_cancel: Optional[Callable[[], None]] = None
    session: Optional[str] = None
    #: The voice engine of a one-pass stream (``"kokoro"``), whose decode speed is measured on its
    #: own (:attr:`SynthesisScheduler.run_speed`); None for windowed streams (Piper).
    engine: Optional[str] = None
    cancelled: bool = False
    loop: Optional[asyncio.AbstractEventLoop] = None
    _version: int = 0
    _queued: bool = False
    _running: bool = False
    #: The step just run gave a clause's first piece: the next one runs narrow (see ``_work``).
    _after_first: bool = False
    stats: dict = field(default_factory=lambda: {"steps": 0, "cpu_s": 0.0, "audio_s": 0.0})

    @property
    def urgent_step(self) -> bool:
        """The next step gives a clause's first audio."""
        return bool(getattr(self.stream, "first_piece_next", False))


class SynthesisScheduler:
    """Earliest-deadline-first runner of step-wise jobs with deadline-driven priority.

    Args:
        workers: steps allowed to run at once on background workers (the cores to use).
        policy: one of :data:`POLICIES` (module docstring).
    """

    def __init__(self, workers: int = 2, policy: str = "deadline"):
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}, not {policy!r}")
        self.workers, self.policy = workers, policy
        self._heap: list = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._running = 0
        #: Steps of one-pass jobs (``SynthesisJob.engine``) running now: they may hold at most
        #: :attr:`one_pass_slots` workers, so a Kokoro run's decode (seconds on a busy machine)
        #: never leaves the windowed voices' short steps without a worker (a newcomer measured
        #: Piper's first audio at 1.5-5.9 s beside three Kokoro sessions, 60-150 ms alone).
        self._running_one_pass = 0
        self._candidate: Optional[tuple] = None   # the heap entry _pick last considered
        #: Workers one-pass steps may hold at once: all but one (one with a single worker).
        self.one_pass_slots = max(1, workers - 1)
        self._closed = False
        #: Measured speed, EWMA of audio seconds per wall second of a narrow step (None: unmeasured).
        self.speed: Optional[float] = None
        self.speed_wide: Optional[float] = None
        #: One-pass engines (a stream with ``decoded_s``, e.g. Kokoro: one step decodes a whole run,
        #: the next steps only hand its pieces out): EWMA of decoded audio seconds per wall second
        #: of a decoding step, by engine. Kept apart from :attr:`speed`: a hand-out step's piece
        #: costs microseconds and would make the windowed voices' speed look thousands of times
        #: faster than it is (the start rule then starts their utterances too early).
        self.run_speed: dict[str, float] = {}
        #: EWMA of a background step's wall time (s): sizes the urgency horizon.
        self.step_s = 0.1
        self._alone_steps = 0
        self._idle_urgent = 0
        kinds = ["urgent"] * workers + ["background"] * workers if policy == "deadline" else ["any"] * workers
        self._threads = [threading.Thread(target=self._work, args=(kind,), name=f"faceplex-synth-{kind}-{i}-{id(self) % 10000}",
                                          daemon=True) for i, kind in enumerate(kinds)]
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------------ API (event loop side)
    def submit_job(self, job: SynthesisJob) -> SynthesisJob:
        """Queue ``job``; its callbacks run on the calling event loop. Raises RuntimeError once closed."""
        job.loop = asyncio.get_running_loop()
        with self._cond:
            if self._closed:
                raise RuntimeError("synthesis scheduler is closed")
            self._push(job)
            self._cond.notify_all()
        return job

    def submit(self, deadline_s: float, fn: Callable[..., Any], *args) -> asyncio.Future:
        """One-shot job ``fn(*args, wide=...)`` -> asyncio future of its result (one step)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        box: list = []

        class _Once:
            done = False
            first_piece_next = True

            def step(self, wide=False):
                self.done = True
                return [fn(*args, wide=wide)]

        def on_done(exc):
            if future.cancelled():
                return
            if exc is not None:
                future.set_exception(exc)
            else:
                future.set_result(box[0] if box else None)

        if self._closed:  # after close(): no new work (the awaiting session is ending anyway)
            future.cancel()
            return future
        self.submit_job(SynthesisJob(_Once(), deadline_s, box.append, on_done, on_cancel=future.cancel))
        return future

    def reschedule(self, job: SynthesisJob, deadline_s: float) -> None:
        """Move the deadline of ``job``'s next step (e.g. once its utterance's start is known)."""
        with self._cond:
            job.deadline = deadline_s
            if job._queued and not job.cancelled:
                self._push(job)
                self._cond.notify_all()

    def cancel(self, job: SynthesisJob) -> None:
        """Stop ``job`` between steps; drops its state at once if it is waiting (no memory held)."""
        with self._cond:
            job.cancelled = True
            if not job._running:
                _close(job)

    def close(self, timeout_s: float = 2.0) -> bool:
        """Stop accepting jobs, cancel the queued ones, join the workers (contract 5).

        A step already running finishes (onnxruntime cannot be interrupted) and its result is
        dropped. Returns True when every worker exited within ``timeout_s``.
        """
        with self._cond:
            self._closed = True
            queued = [entry[-1] for entry in self._heap]
            self._heap.clear()
            for job in queued:
                job.cancelled = True
                _close(job)
            self._cond.notify_all()
        for job in {id(j): j for j in queued}.values():  # tell the awaiting sessions
            if job.on_cancel is not None and job.loop is not None:
                try:
                    job.loop.call_soon_threadsafe(job.on_cancel)
                except RuntimeError:  # that loop is already closed
                    pass
        end = time.monotonic() + timeout_s
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, end - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def shutdown(self) -> None:
        """Stop without waiting (older name; :meth:`close` joins)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # ------------------------------------------------------------------ workers
    def _push(self, job: SynthesisJob) -> None:
        job._version += 1
        job._queued = True
        heapq.heappush(self._heap, (job.deadline, next(self._order), job._version, job))

    def speed_per_job(self, jobs: Optional[int] = None, engine: Optional[str] = None) -> Optional[float]:
        """Audio seconds per wall second one job can expect now: the measured step speed shared
        among the jobs waiting or running when there are more of them than ``workers`` (None:
        not measured yet). The start rule (``bridge.preroll``) sizes the pre-roll from it: with
        four sessions starting at once on two workers, each one's next piece comes after the
        others' steps, not right after its own first piece. ``jobs``: :meth:`jobs_in_flight`
        when the caller has it; ``engine``: a one-pass engine's decode speed (:attr:`run_speed`)."""
        speed = self.speed if engine is None else self.run_speed.get(engine)
        if speed is None:
            return None
        jobs = self.jobs_in_flight() if jobs is None else jobs
        return speed * min(1.0, self.workers / max(1, jobs))

    def jobs_in_flight(self) -> int:
        """Jobs waiting for a worker or running a step now."""
        with self._cond:
            return sum(map(_live, self._heap)) + self._running

    def urgent_horizon_s(self) -> float:
        return URGENT_S + 2.0 * self.step_s

    def _is_urgent(self, job: SynthesisJob, now: float) -> bool:
        return job.deadline <= now + self.urgent_horizon_s()

    def _wide_ok(self, first: bool) -> bool:
        """Run a lone step wide? Narrow first; wide once measured faster, re-probed every 16th
        lone window step. Only window steps are measured (a clause's first step also runs the
        text encoder), so a first step follows the measurement and never probes: probing on first
        steps left the wide speed at its one cold measurement and first steps narrow for good."""
        if self.speed is None:
            return False
        if self.speed_wide is None:
            return not first
        better = self.speed_wide > self.speed
        if first:
            return better
        self._alone_steps += 1
        return better != (self._alone_steps % 16 == 0)

    def _pick(self, kind: str) -> Optional[SynthesisJob]:
        """Pop the earliest valid job this worker may run, or None (caller holds the lock)."""
        while self._heap and not _live(self._heap[0]):
            job = heapq.heappop(self._heap)[-1]
            if job.cancelled and not job._running:
                _close(job)
        self._candidate = None
        if not self._heap:
            return None
        entry = self._heap[0]
        if entry[-1].engine is not None and self._running_one_pass >= self.one_pass_slots:
            # the one-pass slots are taken: the earliest windowed job, if any, goes first
            entry = next((e for e in sorted(self._heap) if _live(e) and e[-1].engine is None), None)
            if entry is None:
                return None  # woken when a step ends
        self._candidate = entry
        job = entry[-1]
        if kind == "urgent" and not self._is_urgent(job, time.monotonic()):
            return None  # far ahead of its deadline: a background worker's (nice) job
        if kind in ("background", "any") and self._running >= self.workers:
            return None
        if kind == "background" and self._idle_urgent and self._is_urgent(job, time.monotonic()):
            return None  # an idle urgent worker runs it at normal priority
        if entry is self._heap[0]:
            heapq.heappop(self._heap)
        else:
            self._heap.remove(entry)
            heapq.heapify(self._heap)
        return job

    def _wide_kind(self, kind: str) -> bool:
        """May a worker of ``kind`` run a step with the two-thread sessions? Only the workers at
        normal priority: ``urgent`` ones, or every one under ``normal``."""
        return kind == "urgent" or (kind == "any" and self.policy == "normal")

    def _waiting(self) -> bool:
        """A job is waiting for a worker (caller holds the lock)."""
        return any(map(_live, self._heap))

    def _wait_s(self) -> Optional[float]:
        """How long an urgent worker may sleep before the head job becomes urgent."""
        if self._candidate is None:  # nothing it may run until a step ends (notified then)
            return None
        return max(0.001, self._candidate[-1].deadline - self.urgent_horizon_s() - time.monotonic())

    def _work(self, kind: str) -> None:
        _set_thread_priority(kind, self.policy)
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    job = self._pick(kind)
                    if job is not None:
                        break
                    self._idle_urgent += kind == "urgent"
                    self._cond.wait(self._wait_s() if kind == "urgent" else None)
                    self._idle_urgent -= kind == "urgent"
                job._queued = False
                job._running = True
                # Not wide right after a clause's first piece: the event loop then sends the
                # first audio and its face frames, and a two-thread step beside it on two cores
                # delayed that by 5-15 ms (measured, idle machine).
                # Wide only at normal priority: onnxruntime's extra pool thread was created at
                # load, at nice 0, so a wide step under ``background`` ran half of its work
                # outside SCHED_IDLE (a newcomer's per-thread CPU count found it).
                wide = (self._wide_kind(kind) and self._running == 0 and not self._waiting() and not job._after_first
                        and self._wide_ok(job.urgent_step))
                self._running += 1
                self._running_one_pass += job.engine is not None
            first = job.urgent_step  # a clause's first step also runs its text -> latent part
            job._after_first = first
            items, exc, t0 = [], None, time.perf_counter()
            try:
                items = job.stream.step(wide=wide)
            except BaseException as e:  # delivered to the session
                exc = e
            cpu = time.perf_counter() - t0
            audio = sum(job.piece_s(it) for it in items) if exc is None else 0.0
            with self._cond:
                self._running -= 1
                self._running_one_pass -= job.engine is not None
                job._running = False
                job.stats["steps"] += 1
                job.stats["cpu_s"] += cpu
                job.stats["audio_s"] += audio
                decoded = getattr(job.stream, "decoded_s", None) if exc is None else None
                if decoded is not None:  # a one-pass engine: only its decoding steps measure it
                    if decoded > 0 and cpu > 0:
                        r, prev = decoded / cpu, self.run_speed.get(job.engine or "")
                        self.run_speed[job.engine or ""] = r if prev is None else 0.8 * prev + 0.2 * r
                elif audio > 0 and cpu > 0 and not first:
                    r = audio / cpu  # decoder windows only: comparable across steps and widths
                    if wide:
                        self.speed_wide = r if self.speed_wide is None else 0.7 * self.speed_wide + 0.3 * r
                    else:
                        self.speed = r if self.speed is None else 0.8 * self.speed + 0.2 * r
                if kind == "background":
                    self.step_s = 0.8 * self.step_s + 0.2 * cpu
                finished = exc is not None or job.stream.done or job.cancelled or self._closed
                if finished:
                    _close(job)
                else:
                    job.deadline += audio  # the next piece plays right after this one
                    self._push(job)
                idle = self._running == 0 and not self._waiting()
                self._cond.notify_all()
            if not job.cancelled and job.loop is not None:
                try:
                    for it in items:
                        job.loop.call_soon_threadsafe(_deliver, job, it)
                    if finished:
                        job.loop.call_soon_threadsafe(_done, job, exc)
                except RuntimeError:  # the loop is closed (daemon shutting down)
                    pass
            del items
            if idle:
                release_free_memory()


def _live(entry: tuple) -> bool:
    """A heap entry ``(deadline, order, version, job)`` of a job waiting for a worker. The heap
    also holds superseded entries (a rescheduled job is pushed again; the old entry is dropped
    lazily) and entries of cancelled jobs: those do not count."""
    job = entry[-1]
    return job._queued and not job.cancelled and entry[2] == job._version


def _deliver(job: SynthesisJob, item: Any) -> None:
    if not job.cancelled:
        job.on_result(item)


def _done(job: SynthesisJob, exc: Optional[BaseException]) -> None:
    if not job.cancelled:
        job.on_done(exc)


def _close(job: SynthesisJob) -> None:
    close = getattr(job.stream, "close", None)
    if close is not None:
        close()


def _set_thread_priority(kind: str, policy: str) -> None:
    """Per-thread priority on Linux (a thread id is a process id for setpriority); no-op elsewhere."""
    tid = threading.get_native_id()
    try:
        if policy == "background":
            try:
                os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
            except (AttributeError, OSError):
                os.setpriority(os.PRIO_PROCESS, tid, 19)
        elif policy == "deadline" and kind == "background":
            os.setpriority(os.PRIO_PROCESS, tid, BACKGROUND_NICE)
    except (AttributeError, OSError, PermissionError):
        pass


def thread_priorities() -> dict[str, int]:
    """``{thread name: nice}`` of this process's synthesis workers (Linux; for tests and logs)."""
    out = {}
    for t in threading.enumerate():
        if t.name.startswith("faceplex-synth-") and t.native_id is not None:
            try:
                out[t.name] = os.getpriority(os.PRIO_PROCESS, t.native_id)
            except OSError:
                pass
    return out


def _load_libc():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return None


_LIBC = _load_libc()


def release_free_memory() -> None:
    """Give memory freed by synthesis back to the OS (glibc ``malloc_trim``).

    onnxruntime allocates and frees the activations of every step; glibc keeps the freed pages
    in its arenas, so without this the daemon's resident memory grows by the peak of the busiest
    moment and stays there (measured: +190 MB after 20 sessions spoke at once).
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


#: Speech duration per character of English text at speed 1.0 (Piper en_US-joe-medium, measured
#: over the bench lines: ~0.064 s/char), used only to set deadlines.
SECONDS_PER_CHAR = 0.064


def estimate_seconds(text: str, speed: float) -> float:
    """Rough spoken duration of ``text`` in seconds (for scheduling, not timing)."""
    return len(text) * SECONDS_PER_CHAR / speed


#: Longest text one voice run takes (characters). The text -> latent part's memory grows with the
#: clause (attention over its phonemes, the flow over its frames); a 2,000-character clause grew
#: the daemon by ~1.3 GB (issue 13). Clauses are split before synthesis to at most this. Measured
#: peak growth of one run (VmHWM over the idle voice, one thread): 300 characters +80 MB with
#: window decoding (+330 MB decoded in one pass); 2,000 characters in one run would be +960 MB.
MAX_RUN_CHARS = 300


def split_long(text: str, max_chars: int = MAX_RUN_CHARS) -> list[str]:
    """Split ``text`` into pieces of at most ``max_chars`` characters, at the last comma, semicolon
    or dash before the limit, else at the last space, else hard (one very long word)."""
    out, rest = [], text.strip()
    while len(rest) > max_chars:
        window = rest[:max_chars + 1]
        cut = max(window.rfind(", "), window.rfind("; "), window.rfind(" - "), window.rfind(" – "))
        cut = cut + 1 if cut > max_chars // 3 else window.rfind(" ")
        if cut <= 0:
            cut = max_chars
        out.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        out.append(rest)
    return out


def now_s() -> float:
    return time.monotonic()
