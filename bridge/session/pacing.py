"""The pacer of a session: places speech on the timeline and sends it in real time.

Its task (:meth:`Pacer.run`) produces audio chunks, marks and face frames at most ``lead_ms``
ahead of the media clock, starts and finishes utterances, fills a late clause with silence, keeps
the idle face going between lines and holds back while the client does not read (PROTOCOL.md §6).
It never awaits the socket: everything goes through :class:`~faceplex.bridge.session.outgoing.Outgoing`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Optional

from faceplex.protocol import messages as m
from faceplex.protocol.codec import pack_map
from faceplex.protocol.errors import ErrorCode

from faceplex.bridge.listening.lipsync import FACE_HOLD_S
from faceplex.bridge.session.listening import ListeningSide
from faceplex.bridge.session.outgoing import Outgoing
from faceplex.bridge.session.speaking import SpeakingSide
from faceplex.bridge.session.state import SessionState
from faceplex.bridge.timeline.utterance import Utterance

log = logging.getLogger("faceplex.session")


class Pacer:
    """Paces one session's media onto its timeline.

    Args:
        state: the session's shared timeline and queue.
        outgoing: where produced messages go (and how far the client has read).
        speaking: asked whether a synthesized utterance may start (its pre-roll).
        listening: asked whether the partner holds the turn, for ducking, lipsync pre-roll and
            a resumed line; told every audio chunk sent (the echo gate).
        cancel: stop an utterance at its cursor with ``utterance_cancelled`` (the coordinator's).

    Attributes:
        stats: ``gap_samples`` (silence inserted), ``stalls`` (backlog episodes),
            ``skipped_idle_frames`` (idle frames skipped after a stall).
    """

    def __init__(self, state: SessionState, outgoing: Outgoing, speaking: SpeakingSide, listening: ListeningSide,
                 cancel: Callable[[Utterance, str, Optional[str]], None]):
        self.state = state
        self.outgoing = outgoing
        self.speaking = speaking
        self.listening = listening
        self._cancel = cancel
        self.audio_seq = 0
        self._stall_since: Optional[float] = None
        self._resync = False
        self.stats = {"gap_samples": 0, "stalls": 0, "skipped_idle_frames": 0}

    async def run(self) -> None:
        """The producer task: one step per 10 ms tick, or at once when ``state.wake`` is set."""
        tick = 0.01
        loop = asyncio.get_running_loop()
        while not self.state.closed:
            try:
                self._produce()
            except Exception:  # a bug must not kill the session's face stream silently
                log.exception("producer step failed")
                self.state.conn.send_error(ErrorCode.INTERNAL, "internal error while producing media")
                self.outgoing.flush(None)
            self.state.wake.clear()
            # Sleep one tick or until woken. Not asyncio.wait_for: before Python 3.12 it can
            # swallow a cancellation that coincides with the wake-up, and the session would
            # never close (seen: say, then close the socket at once).
            timer = loop.call_later(tick, self.state.wake.set)
            try:
                await self.state.wake.wait()
            finally:
                timer.cancel()

    def _produce(self) -> None:
        cfg = self.state.config
        now = self.state.clock_sample()
        if self._backlogged(now):
            return
        lead = cfg.lead_ms * self.state.sample_rate // 1000
        horizon = now + lead
        chunk = max(1, cfg.audio_chunk_ms * self.state.sample_rate // 1000)
        face_hold = int(FACE_HOLD_S * self.state.sample_rate)
        self.listening.maybe_resume()
        while True:
            utt = self.state.queue[0] if self.state.queue else None
            if utt is not None and not utt.started:
                if self.listening.hold_new_utterance():
                    utt = None  # the partner is speaking: the reply waits for its turn
                elif utt.ready and self._may_start(utt):
                    self._start(utt)
                elif utt.text_done:  # only unspeakable text arrived (e.g. "..." appended)
                    self.state.queue.popleft()
                    self.state.by_id.pop(utt.utt, None)
                    self.state.conn.send(m.UtteranceCancelled(utt=utt.utt, reply_to=utt.reply_to, reason="empty",
                                                              sample=self.state.frame_sample(self.state.next_frame), samples=0))
                    continue
                elif utt.ready:
                    utt = None  # a lipsync utterance gathers its pre-roll
                else:
                    utt = None  # still synthesizing its first clause: keep the idle face going
            if utt is None:
                if self.state.animator_dirty:
                    self.state.animator, self.state.animator_dirty = self.state.new_animator(), False
                if self.state.frame_sample(self.state.next_frame) >= horizon:
                    break
                self._resync_idle(now)
                self._emit_frames(None, self.state.frame_sample(self.state.next_frame) + 1)
                continue
            if utt.cursor >= horizon and utt.cursor > utt.start:
                break  # (an utterance's first chunk goes at once: it starts at the idle horizon)
            self.state.place_ready(utt)  # everything decoded goes to the animator at once (contract 3)
            avail = utt.placed_end - utt.cursor
            # lipsync: the face's hold (FACE_HOLD_S) of committed audio past what is sent
            hold = face_hold if utt.lipsync is not None and not utt.lipsync.done else 0
            if avail >= chunk + hold or (avail > 0 and utt.text_done):
                self._emit_audio(utt, chunk)
            elif utt.text_done:
                self._finish(utt)
            elif utt.cursor < now + max(chunk, lead // 2) and avail >= chunk:
                self._emit_audio(utt, chunk)   # the hold gives way before the client would underrun
            elif utt.cursor < now + max(chunk, lead // 2):
                # The next clause (or the LLM's next words) is late: keep the timeline moving with
                # silence instead of letting the client underrun. A client plays up to about
                # lead - pre-roll ahead of the daemon's clock, so act with half the lead left.
                utt.place_silence(chunk - avail)
                self.stats["gap_samples"] += chunk - avail
                self._emit_audio(utt, chunk)
            else:
                break

    def _may_start(self, utt: Utterance) -> bool:
        """A lipsync utterance waits for its analysed pre-roll, a synthesized one for its own."""
        if utt.lipsync is not None:
            return self.listening.may_start(utt)
        return self.speaking.may_start(utt)

    def _start(self, utt: Utterance) -> None:
        start = self.state.frame_sample(self.state.next_frame)
        utt.begin(start)
        self.state.set_expressiveness(utt.expressiveness)
        self.state.set_emotion(utt)
        self.state.conn.send(m.UtteranceStarted(utt=utt.utt, reply_to=utt.reply_to, sample=start))

    def _finish(self, utt: Utterance) -> None:
        self.state.set_expressiveness(None)
        self.state.set_emotion(None)
        self.state.queue.popleft()
        self.state.by_id.pop(utt.utt, None)
        self.state.conn.send(m.UtteranceFinished(utt=utt.utt, sample=utt.cursor, samples=utt.cursor - utt.start,
                                                 inserted_silence=utt.gap_samples))
        self.outgoing.flush(utt.cursor)

    def _emit_audio(self, utt: Utterance, chunk: int) -> None:
        start, pcm, marks = utt.take(chunk)
        pcm = self.listening.duck(pcm)
        utt.words.extend(mk for mk in marks if mk.kind == "word")
        self.listening.note_output(start, pcm)
        for mk in marks:
            self.state.conn.send_bytes(pack_map({"type": "mark", "utt": utt.utt, "kind": mk.kind, "sample": mk.start,
                                                 "end": mk.end, "text": mk.text, "viseme": mk.viseme}))
        self.state.conn.send_bytes(pack_map({"type": "audio", "utt": utt.utt, "seq": self.audio_seq, "sample": start,
                                             "pcm": pcm.astype("<i2", copy=False).tobytes()}))
        self.audio_seq += 1
        self.outgoing.flush(start)
        self._emit_frames(utt.utt, utt.cursor)

    def _emit_frames(self, utt_id: Optional[str], end_sample: int) -> None:
        """Send every frame whose sample is below ``end_sample``."""
        first = self.state.next_frame
        count = 0
        while self.state.frame_sample(first + count) < end_sample:
            count += 1
        if not count:
            return
        values = self.state.animator.frames(first, count)
        for i in range(count):
            n = first + i
            self.state.conn.send_bytes(pack_map({"type": "face", "utt": utt_id, "seq": n, "frame": n,
                                                 "sample": self.state.frame_sample(n), "values": values[i].tolist()}))
            if self.state.frame_sink is not None:
                self.state.frame_sink(n, values[i])
        self.state.next_frame = first + count
        self.outgoing.flush(self.state.frame_sample(self.state.next_frame - 1))

    def _resync_idle(self, now: int) -> None:
        """Skip idle frames already in the past (after a stall): never burst-replay them."""
        behind = now - self.state.frame_sample(self.state.next_frame)
        frame_len = self.state.sample_rate // self.state.fps
        if behind > 2 * frame_len or self._resync:
            target = max(self.state.next_frame, -(-now * self.state.fps // self.state.sample_rate))
            self.stats["skipped_idle_frames"] += target - self.state.next_frame
            self.state.next_frame = target
            self._resync = False

    # ------------------------------------------------------------------ slow clients
    def _backlogged(self, now: int) -> bool:
        """True while the client has not read ``max_backlog_ms`` of queued media (§6)."""
        backlog = self.outgoing.backlog()
        if backlog <= self.state.config.max_backlog_ms * self.state.sample_rate // 1000:
            self._stall_since = None
            return False
        t = time.monotonic()
        if self._stall_since is None:
            self._stall_since = t
            self.stats["stalls"] += 1
        elif t - self._stall_since > self.state.config.stall_timeout_ms / 1000 and self.state.queue:
            for utt in list(self.state.queue):
                self._cancel(utt, "client_too_slow", None)
            self._resync = True
            self.outgoing.flush(None)
        return True
