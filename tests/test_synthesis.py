"""The synthesis scheduler: earliest deadline first, wide only when alone, errors delivered."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from faceplex.bridge.speaking.synthesis import (BACKGROUND_NICE, MAX_RUN_CHARS, SynthesisJob, SynthesisScheduler,
                                      estimate_seconds, split_long, thread_priorities)


def test_jobs_run_earliest_deadline_first_and_wide_only_when_alone():
    async def go():
        sched = SynthesisScheduler(workers=1, policy="normal")
        sched.speed, sched.speed_wide = 1.0, 2.0  # wide measured faster (else narrow: _wide_ok)
        gate = threading.Event()
        order = []

        def job(name, wide=False):
            if name == "blocker":
                gate.wait(5)
            order.append((name, wide))
            return name

        first = sched.submit(0.0, job, "blocker")
        await asyncio.sleep(0.05)  # the single worker is now busy with the blocker
        late = sched.submit(100.0, job, "late")
        urgent = sched.submit(1.0, job, "urgent")
        gate.set()
        assert await asyncio.gather(first, late, urgent) == ["blocker", "late", "urgent"]
        sched.shutdown()
        return order

    order = asyncio.run(go())
    assert [name for name, _ in order] == ["blocker", "urgent", "late"]
    assert order[0][1] is True     # alone when it started
    assert order[1][1] is False    # another job was waiting
    assert order[2][1] is True


def test_a_failing_job_raises_in_the_awaiting_session():
    async def go():
        sched = SynthesisScheduler(workers=2)

        def boom(wide=False):
            raise RuntimeError("voice failed")

        with pytest.raises(RuntimeError, match="voice failed"):
            await sched.submit(time.monotonic(), boom)
        sched.shutdown()

    asyncio.run(go())


def test_estimate_scales_with_text_and_speed():
    assert estimate_seconds("x" * 100, 1.0) == pytest.approx(6.4)
    assert estimate_seconds("x" * 100, 2.0) == pytest.approx(3.2)


class _Steps:
    """A step-wise job of ``n`` steps that records which steps ran (each returns one item)."""

    def __init__(self, name, n, log, gate=None):
        self.name, self.n, self.log, self.gate = name, n, log, gate
        self.i, self.done, self.closed = 0, False, False
        self.first_piece_next = True

    def step(self, wide=False):
        if isinstance(self.gate, threading.Event):
            self.gate.wait(5)
        elif self.gate is not None:
            self.gate.acquire(timeout=5)
        self.log.append((self.name, self.i))
        self.i += 1
        self.first_piece_next = False
        self.done = self.i >= self.n
        return [self.i]

    def close(self):
        self.closed = True
        self.done = True


def test_cancel_stops_between_steps_and_frees_the_job():
    async def go():
        sched = SynthesisScheduler(workers=1, policy="normal")
        log, got, finished = [], [], []
        # Two steps may run before the cancel; the rest wait for permits released after it (on an
        # idle machine all 1000 steps ran before the loop saw the first result).
        gate = threading.Semaphore(2)
        job = SynthesisJob(_Steps("a", 1000, log, gate), time.monotonic(), got.append, finished.append)
        sched.submit_job(job)
        while not got:
            await asyncio.sleep(0.001)
        sched.cancel(job)
        ran = len(log)
        for _ in range(1000):
            gate.release()
        await asyncio.sleep(0.05)
        assert sched.close(2.0)
        return job, ran, log, finished

    job, ran, log, finished = asyncio.run(go())
    assert len(log) <= ran + 1 < 1000      # at most the step that was running when cancelled
    assert job.stream.closed and finished == []  # state dropped, no completion delivered


def test_one_sessions_long_work_does_not_delay_anothers_urgent_step():
    """EDF over bounded steps: a job due now runs before the rest of a job due later, however
    much work that one has queued (issue 13's fairness, one worker)."""
    async def go():
        sched = SynthesisScheduler(workers=1, policy="normal")
        log = []
        done_b = asyncio.get_running_loop().create_future()
        now = time.monotonic()
        steps = threading.Semaphore(3)  # the flood may run 3 steps before the victim arrives
        flood = SynthesisJob(_Steps("flood", 50, log, steps), now + 5.0, lambda _: None, lambda _: None,
                             piece_s=lambda _: 1.0, session="s1")
        sched.submit_job(flood)
        while len(log) < 3:
            await asyncio.sleep(0.001)
        victim = SynthesisJob(_Steps("victim", 2, log), time.monotonic(), lambda _: None,
                              lambda exc: done_b.set_result(exc), session="s2")
        sched.submit_job(victim)
        for _ in range(60):
            steps.release()
        await done_b
        at = len(log)
        sched.close(2.0)
        return log, at

    log, at = asyncio.run(go())
    names = [n for n, _ in log]
    first_victim = names.index("victim")
    assert names[first_victim:first_victim + 2] == ["victim", "victim"]  # not interleaved with the flood
    assert first_victim in (3, 4)  # after the 3 flood steps (and the one the worker may already hold)


def test_close_cancels_queued_jobs_joins_workers_and_refuses_new_ones():
    async def go():
        sched = SynthesisScheduler(workers=1, policy="normal")
        gate = threading.Event()
        log = []
        running = SynthesisJob(_Steps("running", 2, log, gate), time.monotonic(), lambda _: None, lambda _: None)
        queued = SynthesisJob(_Steps("queued", 2, log), time.monotonic() + 10, lambda _: None, lambda _: None)
        sched.submit_job(running)
        sched.submit_job(queued)
        await asyncio.sleep(0.05)
        gate.set()
        assert sched.close(5.0)
        with pytest.raises(RuntimeError):
            sched.submit_job(SynthesisJob(_Steps("late", 1, log), 0.0, lambda _: None, lambda _: None))
        return sched, queued, log

    sched, queued, log = asyncio.run(go())
    assert queued.stream.closed and ("queued", 0) not in log
    assert not any(t.is_alive() for t in sched._threads)


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread priority is Linux-only")
def test_priority_policy_sets_worker_niceness():
    base = os.getpriority(os.PRIO_PROCESS, 0)
    sched = SynthesisScheduler(workers=2, policy="deadline")
    time.sleep(0.1)
    mine = {t.name for t in sched._threads}
    prio = {k: v for k, v in thread_priorities().items() if k in mine}
    sched.close(2.0)
    urgent = [v for k, v in prio.items() if "-urgent-" in k]
    background = [v for k, v in prio.items() if "-background-" in k]
    assert len(urgent) == 2 and len(background) == 2
    assert all(v == base for v in urgent) and all(v == min(19, base + BACKGROUND_NICE) or v == BACKGROUND_NICE for v in background)
    with pytest.raises(ValueError):
        SynthesisScheduler(workers=1, policy="fastest")


def test_split_long_bounds_every_voice_run():
    clause = ("word " * 30 + "and then, ") * 14  # ~2,000 characters, one clause
    runs = split_long(clause)
    assert len(runs) > 1 and all(0 < len(r) <= MAX_RUN_CHARS for r in runs)
    assert " ".join(runs).split() == clause.split()
    assert split_long("short one") == ["short one"]
    assert all(len(r) <= 10 for r in split_long("x" * 35, 10))


def test_jobs_in_flight_and_the_speed_each_can_expect():
    """The start rule's inputs: distinct jobs waiting or running, and the measured step speed
    shared among them when there are more than workers (bridge/timeline/preroll.py)."""
    async def go():
        sched = SynthesisScheduler(workers=2, policy="normal")
        assert sched.jobs_in_flight() == 0 and sched.speed_per_job() is None
        gate, log, done = threading.Event(), [], []
        for name in "abcd":
            sched.submit_job(SynthesisJob(_Steps(name, 2, log, gate), time.monotonic(), lambda item: None,
                                          done.append))
        assert sched.jobs_in_flight() == 4  # two running (blocked on the gate), two waiting
        sched.speed = 8.0
        assert sched.speed_per_job() == pytest.approx(4.0)
        assert sched.speed_per_job(jobs=1) == pytest.approx(8.0)
        gate.set()
        while len(done) < 4:
            await asyncio.sleep(0.01)
        assert sched.jobs_in_flight() == 0 and sched.speed_per_job() == pytest.approx(8.0)
        sched.close()

    asyncio.run(go())


def test_widths_first_step_wide_the_next_narrow_then_wide():
    """A lone job: its first step runs wide (measured faster), the step after a first piece runs
    narrow (the event loop is sending the first audio then), later lone steps wide again."""
    async def go():
        sched = SynthesisScheduler(workers=1, policy="normal")
        sched.speed, sched.speed_wide = 1.0, 2.0
        widths, done = [], asyncio.get_running_loop().create_future()

        class Stream:
            i, done = 0, False

            @property
            def first_piece_next(self):
                return self.i == 0

            def step(self, wide=False):
                widths.append(wide)
                self.i += 1
                self.done = self.i >= 4
                return []

        sched.submit_job(SynthesisJob(Stream(), time.monotonic() + 100, lambda item: None, done.set_result))
        await asyncio.wait_for(done, 10)
        sched.close()
        return widths

    assert asyncio.run(go()) == [True, False, True, True]


def test_a_first_step_never_probes_the_slower_width():
    """Only window steps are measured, so only they probe (every 16th lone one): a first step
    follows the measurement."""
    sched = SynthesisScheduler(workers=1, policy="normal")
    sched.speed, sched.speed_wide = 2.0, 1.0  # narrow measured faster
    assert not any(sched._wide_ok(first=True) for _ in range(40))
    assert sum(sched._wide_ok(first=False) for _ in range(32)) == 2  # the probes
    sched.speed_wide = None
    assert sched._wide_ok(first=False) and not sched._wide_ok(first=True)
    sched.close()


def test_superseded_heap_entries_are_not_waiting_jobs():
    """reschedule() leaves the old entries in the heap (dropped lazily); they must not make a lone
    step look crowded (it would then never run wide, nor release memory when idle)."""
    sched = SynthesisScheduler(workers=1, policy="normal")
    sched.close()  # no workers: the heap is inspected as it is
    job = SynthesisJob(_Steps("a", 1, []), 1.0, lambda item: None, lambda exc: None)
    with sched._cond:
        sched._push(job)
    for k in range(4):
        sched.reschedule(job, 2.0 + k)
    assert len(sched._heap) == 5 and sched._waiting()
    job._queued = False  # taken by a worker: every entry is superseded
    assert len(sched._heap) == 5 and not sched._waiting()


@pytest.mark.parametrize("policy,wide", [("background", False), ("normal", True)])
def test_background_policy_never_runs_wide(policy, wide):
    """Under ``background`` no step uses the two-thread sessions: onnxruntime's second pool thread
    runs at nice 0, outside SCHED_IDLE."""
    async def go():
        sched = SynthesisScheduler(workers=1, policy=policy)
        sched.speed, sched.speed_wide = 1.0, 2.0  # wide measured faster
        widths, done = [], asyncio.get_running_loop().create_future()

        class Stream:
            i, done = 0, False
            first_piece_next = False

            def step(self, wide=False):
                widths.append(wide)
                self.i += 1
                self.done = self.i >= 3
                return []

        sched.submit_job(SynthesisJob(Stream(), time.monotonic(), lambda item: None, done.set_result))
        await asyncio.wait_for(done, 10)
        sched.close()
        return widths

    assert asyncio.run(go()) == [wide] * 3


def test_one_pass_steps_leave_a_worker_to_the_windowed_voices():
    """Kokoro decodes a whole run in one step (seconds on a busy machine): such steps hold at most
    ``workers - 1`` workers, so a Piper session's short steps always find one (the steps here
    block on a gate, standing for a slow decode; nothing is timed)."""
    async def go():
        for policy in ("deadline", "normal"):
            sched = SynthesisScheduler(workers=2, policy=policy)
            gate, log, done = threading.Event(), [], []
            now = time.monotonic()
            for name in "abc":   # three Kokoro sessions, due first
                sched.submit_job(SynthesisJob(_Steps(name, 2, log, gate), now - 1.0, lambda item: None, done.append,
                                              engine="kokoro"))
            await asyncio.sleep(0.05)
            piper = SynthesisJob(_Steps("piper", 3, log), now, lambda item: None, done.append)
            sched.submit_job(piper)
            while len(done) < 1:   # the windowed job finishes while every one-pass step waits on the gate
                await asyncio.sleep(0.01)
            assert [n for n, _ in log] == ["piper"] * 3, (policy, log)
            assert sched._running_one_pass == 1 == sched.one_pass_slots
            gate.set()
            while len(done) < 4:
                await asyncio.sleep(0.01)
            assert sorted(n for n, _ in log) == ["a", "a", "b", "b", "c", "c"] + ["piper"] * 3
            assert sched._running_one_pass == 0
            sched.close()

    asyncio.run(go())
