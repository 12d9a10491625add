"""The lip-sync analysis scheduler and its bounded steps (issues 13/14)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from faceplex.bridge.listening.analysis import AnalysisPool
from faceplex.bridge.listening.lipsync import STEP_MAX_S, LipsyncStream
from faceplex.models.speech.piper_voice import Voice

TEXT = ("Bob, my mum bought a big map of Bombay, and maybe we could pop by the market on the way back. "
        "The baker there makes the best bread in the whole town, and his brother builds boats by the bay.")


def test_steps_are_round_robin_across_sessions_and_close_cancels_and_joins():
    """Session A queues 10 steps, then B one: B's runs second, after one of A's (not after all
    ten); close() cancels what is queued and joins the dispatcher."""
    pool = AnalysisPool()
    gate, order = threading.Event(), []

    def job(name):
        def fn(al):
            gate.wait(10)
            order.append(name)
            return name
        return fn

    futs = [pool.submit("A", job(f"a{i}")) for i in range(10)]
    futs.append(pool.submit("B", job("b0")))
    futs.append(pool.submit("C", job("c0")))
    gate.set()
    for f in futs:
        f.result(30)
    assert order[:4] == ["a0", "b0", "c0", "a1"], order
    held = threading.Event()
    running = pool.submit("A", lambda al: held.wait(10))
    while not running.running():
        pass
    queued = [pool.submit("B", job("late")) for _ in range(3)]
    # Release the running step only once close() has taken the queue (releasing it first let
    # the dispatcher start a queued step before close() ran: seen on a quiet machine).
    closer = threading.Thread(target=pool.close, args=(5.0,))
    closer.start()
    while not pool._closed:
        pass
    held.set()
    closer.join()
    assert all(f.cancelled() for f in queued)
    assert pool.submit("A", job("after")).cancelled()
    assert pool._thread is not None and not pool._thread.is_alive()


@pytest.mark.parametrize("text", [None, TEXT], ids=["phone_recognition", "forced_alignment"])
def test_a_line_sent_at_once_is_analysed_in_bounded_steps(text):
    """~15 s of speech pushed as one final chunk: no step commits more than STEP_MAX_S, and the
    steps together commit every sample (PocketSphinx in-process here: the step logic is the same)."""
    voice = Voice.default()
    audio = np.concatenate([c.audio for c in voice.synthesize(TEXT, noise=False)]).astype("<i2")
    s = LipsyncStream(48000, 200, text)
    s.push(audio.tobytes(), voice.sample_rate, 1, final=True)
    total, steps = 0, 0
    while not s.done and steps < 100:
        before = s.committed16
        clauses = s.step()
        steps += 1
        assert s.committed16 - before <= STEP_MAX_S * 16000
        total += sum(len(c.pcm) for c in clauses)
    assert s.done and total == len(s.aout)
    assert steps >= len(audio) / voice.sample_rate / STEP_MAX_S
