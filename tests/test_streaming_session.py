"""Contract 3 and cancellation in a real in-process daemon on loopback (real voice, real sockets).

- Every decoded piece reaches the animator when it is decoded, even while the producer sends
  nothing (a client that does not read): pieces are placed on the timeline at once.
- Pieces are SpeechChunks cut on phone boundaries; a clause arrives as several of them.
- Cancel stops the clause being synthesized between windows and drops its state.
No wall-clock limits: bounded polling loops wait for events, assertions are on samples and counts.
"""

from __future__ import annotations

import asyncio
import socket

import msgpack
import pytest
from websockets.asyncio.client import connect

from conftest import TOKEN
from faceplex.bridge.client import FacePlexClient
from faceplex.bridge.server.daemon import Daemon
from faceplex.models.face.animator import FaceAnimator
from faceplex.protocol import messages as m
from faceplex.protocol.codec import encode

LONG = ("Long ago, before the river changed its course, this valley was home to a small village of potters "
        "and weavers. Every spring they would carry their work to the market in the capital.")
ONE_CLAUSE = " ".join(["the old road runs on past the mill and the bridge and the quiet farms"] * 20)


class RecordingAnimator(FaceAnimator):
    """The real rule animator, recording every ``add_speech`` call (chunk, start_s)."""

    calls: list = []
    lookahead_s = 0.1  # contract 3: a look-ahead the scheduler's deadlines account for

    def add_speech(self, chunk, start_s):
        RecordingAnimator.calls.append((chunk, start_s))
        super().add_speech(chunk, start_s)


async def _daemon():
    d = Daemon(port=0)
    d.animator_cls = RecordingAnimator
    await d.start()
    return d


async def _until(pred, limit=3000):
    for _ in range(limit):  # bounded: 3000 x 20 ms
        if pred():
            return True
        await asyncio.sleep(0.02)
    return False


def test_pieces_reach_the_animator_as_decoded_while_the_client_reads_nothing():
    async def go():
        RecordingAnimator.calls = []
        d = await _daemon()
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", d.port))
            ws = await connect(f"ws://127.0.0.1:{d.port}/", sock=sock, max_queue=1, compression=None)
            await ws.send(encode(m.Hello(id="h", token=TOKEN)))
            assert msgpack.unpackb(await ws.recv())["type"] == "welcome"
            await ws.send(encode(m.Config(settings={"max_backlog_ms": 100, "stall_timeout_ms": 60000})))
            await ws.send(encode(m.Say(utt="a", text=LONG)))
            # ... and reads nothing more: the producer stops at its backlog.
            assert await _until(lambda: d.sessions and next(iter(d.sessions)).queue)
            session = next(iter(d.sessions))
            utt = session.queue[0]
            assert await _until(lambda: utt.text_done or (utt.final and utt.clauses_pending == 0 and not utt.ready))
            # (the producer is held by the client: asserted below by how little of the placed
            # audio was sent; _backlogged() itself flips as the kernel buffers drain, seen idle)
            rate = session.sample_rate
            calls = RecordingAnimator.calls
            placed = utt.placed_end - utt.start - utt.gap_samples
            # Everything synthesized is placed and was handed to the animator, though the client
            # took only a few hundred ms of it.
            assert sum(c.num_samples / c.sample_rate for c, _ in calls) == pytest.approx(placed / rate, abs=0.01)
            assert (utt.placed_end - utt.cursor) / rate > 3.0
            # Sub-chunks: more pieces than clauses; each tiles itself with phones; on the timeline
            # in order with no overlap.
            assert len(calls) > 4 and sum(c.last for c, _ in calls) >= 2
            for (c, s), (c2, s2) in zip(calls, calls[1:]):
                assert c.phonemes[0].start == 0 and c.phonemes[-1].end == c.num_samples
                assert s2 >= s + c.num_samples / c.sample_rate - 2 / rate
            ws.transport.abort()
        finally:
            await d.stop()

    asyncio.run(go())


def test_cancel_stops_synthesis_of_the_clause_in_progress_and_frees_it():
    async def go():
        RecordingAnimator.calls = []
        d = await _daemon()
        try:
            async with FacePlexClient(f"ws://127.0.0.1:{d.port}/") as client:
                utt, _ = await client.say(ONE_CLAUSE)  # ~1,400 characters, one clause: 5 voice runs
                await client.wait_for(lambda x: isinstance(x, m.Audio), timeout=120)
                session = next(iter(d.sessions))
                u = session.by_id[utt]
                job = u.job
                await client.cancel(utt)
                await client.wait_for(lambda x: isinstance(x, m.UtteranceCancelled), timeout=60)
                assert job is not None and job.cancelled
                stream = job.stream.stream
                assert await _until(lambda: stream.done)
                assert stream._lat is None  # the latent of the cancelled run is released
                # The rest was never synthesized: the run in progress stopped between windows
                # (its ~19 s of audio were not all decoded) and no later run started.
                run_s = len(ONE_CLAUSE) / u.clauses_submitted * 0.064
                assert job.stats["audio_s"] < 0.5 * run_s
                assert u.clauses_submitted >= 5 and u.job is None
                assert session.scheduler._heap == [] or all(e[-1].cancelled or e[-1] is not job
                                                            for e in session.scheduler._heap)
                # The session goes on speaking.
                rec = await client.speak("Still here.")
                assert rec.outcome == "finished"
        finally:
            await d.stop()

    asyncio.run(go())


def test_a_saved_take_drops_silence_the_daemon_inserted():
    """Real voice audio with 0.5 s of inserted silence mid-sentence (as the producer places it:
    after a piece, phone marks not covering it): the take keeps only what the voice spoke."""
    import numpy as np

    from faceplex.bridge.outputs.take_gaps import drop_inserted_silence
    from faceplex.bridge.timeline.utterance import resample_clause
    from faceplex.models.speech.piper_voice import Voice

    sr, fps = 48000, 60
    (chunk,) = list(Voice.default().synthesize("Peter bought a big map of Bombay.", seed=0))
    clause = resample_clause(chunk, sr)
    cut_at = next(mk.start for mk in clause.marks if mk.kind == "word" and mk.text == "map")
    gap = 24000
    audio = np.concatenate([clause.pcm[:cut_at], np.zeros(gap, np.int16), clause.pcm[cut_at:]])
    marks = [{"kind": mk.kind, "sample": mk.start + (gap if mk.start >= cut_at else 0),
              "end": mk.end + (gap if mk.end > cut_at else 0), "text": mk.text} for mk in clause.marks]
    n_frames = -(-audio.shape[0] * fps // sr)
    frames = np.arange(n_frames, dtype=np.float32)[:, None].repeat(3, axis=1)
    out, f2, m2, cut = drop_inserted_silence(audio, frames, marks, sr, fps)
    # Cut in whole frames (audio and frames stay on one grid): less than two frames (33 ms) stay.
    frame = sr // fps
    assert gap - 2 * frame < cut <= gap and cut % frame == 0
    rest = gap - cut
    assert np.array_equal(out, np.concatenate([clause.pcm[:cut_at], np.zeros(rest, np.int16), clause.pcm[cut_at:]]))
    assert f2.shape[0] == n_frames - cut // frame
    assert [(mk["sample"], mk["end"]) for mk in m2] == [
        (mk.start + (rest if mk.start >= cut_at else 0), mk.end + (rest if mk.end > cut_at else 0)) for mk in clause.marks]
    # Without a gap nothing changes.
    same = drop_inserted_silence(clause.pcm, frames, [{"kind": mk.kind, "sample": mk.start, "end": mk.end}
                                                      for mk in clause.marks], sr, fps)
    assert same[3] == 0 and np.array_equal(same[0], clause.pcm)
