"""One client session of the daemon: the coordinator that routes its messages to its parts.

A :class:`Session` holds one shared state object and four parts, each in its own module:

- :class:`~faceplex.bridge.session.state.SessionState`: the timeline, utterance queue, settings
  and face that the parts share (not a part: plain fields and small helpers);
- :class:`~faceplex.bridge.session.speaking.SpeakingSide`: ``say`` text -> clauses -> synthesis
  jobs on the daemon's scheduler -> decoded pieces (its *synthesizer* task);
- :class:`~faceplex.bridge.session.listening.ListeningSide`: ``mic`` (VAD, turns, barge-in,
  listening motion) and ``lipsync`` (full duplex);
- :class:`~faceplex.bridge.session.pacing.Pacer`: paces media onto the timeline, at most
  ``lead_ms`` ahead of the media clock (its *producer* task);
- :class:`~faceplex.bridge.session.outgoing.Outgoing`: the bounded outgoing queue and its
  *writer* task, the only one that awaits the socket, so a client that stops reading only stops
  its own writer (PROTOCOL.md §6).

The session itself answers ``config``, ``ping``, ``playback`` and ``cancel`` and owns what spans
parts: cancelling an utterance, overflow, and the life cycle (open, shutdown, close).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from typing import Awaitable, Callable, Optional

import numpy as np

from faceplex.models.face.animator import FaceAnimator
from faceplex.models.speech.contract import SpeechEngine
from faceplex.protocol import messages as m
from faceplex.protocol.connection import ServerConnection
from faceplex.protocol.errors import ErrorCode, ProtocolError
from faceplex.protocol.names import FRAME_CHANNELS

from faceplex.bridge.session.limits import MAX_PENDING_CHARS, MAX_QUEUED_UTTERANCES, MAX_TEXT_CHARS
from faceplex.bridge.session.listening import ListeningSide
from faceplex.bridge.listening.transcription import TRANSCRIPTION_KEYS, check_setting
from faceplex.bridge.session.outgoing import Outgoing
from faceplex.bridge.session.pacing import Pacer
from faceplex.bridge.session.speaking import SpeakingSide, check_voice, voice_catalog
from faceplex.bridge.session.state import SessionState
from faceplex.bridge.speaking.synthesis import SynthesisScheduler
from faceplex.bridge.timeline.utterance import Utterance

_session_ids = itertools.count(1)


def _shared(name: str, doc: str) -> property:
    """A session attribute that lives on its :class:`SessionState` (read and written there)."""
    return property(lambda self: getattr(self.state, name), lambda self, value: setattr(self.state, name, value),
                    doc=doc)


class Session:
    """Runtime of one WebSocket session after a successful ``hello``.

    Args:
        conn: the sans-I/O server connection (already ``accept``-ed by :meth:`open`).
        send: coroutine that writes one binary message to the socket.
        voices: name -> loaded :class:`~faceplex.models.speech.contract.SpeechEngine` (shared across sessions).
        scheduler: the daemon's earliest-deadline-first synthesis runner (shared).
        sample_rate: output rate in Hz; fps: face frames per second.
        frame_sink: optional ``(frame, values)`` callback for every face frame (Live Link UDP).
        animator_cls: the motion backend (``bridge.session.motion``).
    """

    id = _shared("id", "The session id sent in ``welcome`` (``s1``, ``s2``...).")
    sample_rate = _shared("sample_rate", "Output sample rate in Hz.")
    fps = _shared("fps", "Face frames per second.")
    config = _shared("config", "The session's settings (:class:`~faceplex.bridge.session.settings.SessionConfig`).")
    animator = _shared("animator", "The session's motion backend.")
    queue = _shared("queue", "``[current, queued...]`` utterances.")
    by_id = _shared("by_id", "Utterance id -> its playing or queued utterance.")
    closed = _shared("closed", "True once nothing more is produced (closed, shut down or overflowed).")
    frame_sink = _shared("frame_sink", "Optional ``(frame, values)`` callback for every face frame.")
    played_sample = _shared("played_sample", "The last playback position the client reported (samples).")

    def __init__(self, conn: ServerConnection, send: Callable[[bytes], Awaitable[None]],
                 voices: dict[str, SpeechEngine], scheduler: SynthesisScheduler, sample_rate: int, fps: int,
                 frame_sink: Optional[Callable[[int, np.ndarray], None]] = None,
                 animator_cls: Callable = FaceAnimator):
        self.state = SessionState(f"s{next(_session_ids)}", conn, sample_rate, fps, animator_cls)
        self.state.frame_sink = frame_sink
        self.conn = conn
        self.voices = voices
        self.scheduler = scheduler
        #: Called once with a reason when the outgoing queue passes MAX_OUTGOING_BYTES (the
        #: daemon closes the socket); the queue is dropped at once.
        self.on_overflow: Optional[Callable[[str], None]] = None
        self.outgoing = Outgoing(conn, send, self._overflowed)
        self.speaking = SpeakingSide(self.state, voices, scheduler, self._flush, self._cancel)
        self.listening = ListeningSide(self.state, self._flush, self._cancel, self.speaking.add_text)
        self.pacer = Pacer(self.state, self.outgoing, self.speaking, self.listening, self._cancel)
        self._tasks: list[asyncio.Task] = []
        #: The daemon's ``features`` (welcome.features; set by the daemon before :meth:`open`).
        self.features: Optional[dict] = None

    @property
    def stats(self) -> dict:
        """The pacer's counters: ``gap_samples``, ``stalls``, ``skipped_idle_frames``."""
        return self.pacer.stats

    # ------------------------------------------------------------------ lifecycle
    def open(self, hello: m.Hello, server_name: str) -> None:
        """Send ``welcome`` and start the session's tasks; the timeline starts now."""
        self.conn.accept(m.Welcome(
            reply_to=hello.id, session=self.id, server=server_name,
            audio=m.AudioFormat(sample_rate=self.sample_rate),
            face=m.FaceFormatInfo(fps=self.fps, channels=list(FRAME_CHANNELS)),
            voices=sorted(self.voices), config=self.config.model_dump(),
            features=m.Features.model_validate(self.features) if self.features else None,
            limits=m.Limits(max_message_bytes=self.conn.max_message_bytes, max_text_chars=MAX_TEXT_CHARS,
                            max_pending_chars=MAX_PENDING_CHARS, max_queued_utterances=MAX_QUEUED_UTTERANCES),
            voice_catalog=voice_catalog(self.voices),
        ))
        self.state.t0_ns = time.monotonic_ns()
        self._flush(0)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self.outgoing.writer()), loop.create_task(self.pacer.run()),
                       loop.create_task(self.speaking.synthesizer())]

    def shutdown(self) -> None:
        """Daemon shutdown: every open utterance gets ``utterance_cancelled {reason:
        "shutdown"}`` and nothing is produced after it (the writer still sends what is queued)."""
        for utt in list(self.queue):
            self._cancel(utt, "shutdown", None)
        self._flush(None)
        self.closed = True

    async def drained(self) -> None:
        """Wait until the writer has handed every queued message to the socket."""
        while self.outgoing.pending and not self._writer_done():
            await asyncio.sleep(0.005)

    def _writer_done(self) -> bool:
        return bool(self._tasks) and self._tasks[0].done()

    async def close(self) -> None:
        self.closed = True
        if hasattr(self.animator, "close"):
            self.animator.close()   # e.g. leave the RFM motion pool
        self.speaking.close()
        self.listening.close()   # the partner's transcription: queued and running readings dropped
        for task in self._tasks:
            task.cancel()
        await asyncio.wait(self._tasks, timeout=2.0)

    # ------------------------------------------------------------------ clocks
    def clock_sample(self) -> int:
        """The daemon's media clock: output samples since ``welcome``."""
        return self.state.clock_sample()

    def frame_sample(self, n: int) -> int:
        """Timeline sample of face frame ``n``: floor(n * sample_rate / fps)."""
        return self.state.frame_sample(n)

    # ------------------------------------------------------------------ client messages
    def receive(self, data: bytes | str) -> None:
        """One WebSocket message from the client (after ``welcome``): decoded and checked by the
        connection, which answers bytes it cannot take with an ``error`` itself; a message it
        took goes to :meth:`handle`. Either way every reply is then moved to the outgoing queue,
        behind what is already there (``Outgoing.flush``)."""
        msg = self.conn.receive(data)
        if msg is not None:
            self.handle(msg)
        self._flush(None)

    def handle(self, msg) -> None:
        """Act on one decoded client message (already past the handshake): route it to its part.
        A :class:`ProtocolError` becomes an ``error`` message; the session goes on."""
        try:
            if isinstance(msg, m.Mic):
                self.listening.on_mic(msg)
            elif isinstance(msg, m.Say):
                self.listening.client_reacted()
                self.speaking.on_say(msg)
            elif isinstance(msg, m.Cancel):
                self.listening.client_reacted()
                self._on_cancel(msg)
            elif isinstance(msg, m.Lipsync):
                self.listening.on_lipsync(msg)
            elif isinstance(msg, m.MicEnd):
                self.listening.on_mic_end(msg)
            elif isinstance(msg, m.Config):
                self._on_config(msg)
            elif isinstance(msg, m.Ping):
                self.conn.send(m.Pong(reply_to=msg.id, client_time_us=msg.client_time_us,
                                      server_time_us=time.monotonic_ns() // 1000, sample=self.clock_sample(),
                                      played=self.played_sample))
            elif isinstance(msg, m.Playback):
                self._on_playback(msg)
        except ProtocolError as err:
            self.conn.send_error(err.code, err.message, err.reply_to)
        self._flush(None)
        self.state.wake.set()

    def _on_config(self, msg: m.Config) -> None:
        merged = self.config.merged(msg.settings, msg.id)
        check_voice(self.voices, merged.voice, msg.id, ErrorCode.INVALID_CONFIG, "voice: ")
        emotion_only = merged.model_copy(update={"emotion": self.config.emotion,
                                                 "emotion_intensity": self.config.emotion_intensity}) == self.config
        heard = any(getattr(merged, k) != getattr(self.config, k) for k in TRANSCRIPTION_KEYS)
        if heard:
            check_setting(merged.transcription, msg.id)   # before anything changes
        self.config = merged
        if heard:
            self.listening.configure_transcription()
        if emotion_only:  # the mood eases in on the running face (models/face/expression.py)
            self.state.set_emotion(self.queue[0] if self.queue and self.queue[0].started else None)
        else:
            self.state.animator_dirty = True   # rebuilt by the pacer while idle
        self.conn.send(m.Configured(reply_to=msg.id, config=self.config.model_dump()))

    def _on_playback(self, msg: m.Playback) -> None:
        if msg.sample < 0:
            raise ProtocolError(ErrorCode.INVALID_FIELD, "playback.sample must be >= 0", msg.id)
        # Positions only move forward; a late report (reordered by the client) is ignored.
        state = self.state
        if state.played_sample is None or msg.sample > state.played_sample:
            state.played_sample = msg.sample
            state.played_utt = msg.utt
            state.played_at = time.monotonic()

    def _on_cancel(self, msg: m.Cancel) -> None:
        if msg.utt is None:
            for utt in list(self.queue):
                self._cancel(utt, "client", msg.id)
            return
        utt = self.by_id.get(msg.utt)
        if utt is None:
            raise ProtocolError(ErrorCode.UNKNOWN_UTTERANCE, f"utterance {msg.utt!r} is not playing or queued", msg.id)
        self._cancel(utt, "client", msg.id)

    # ------------------------------------------------------------------ across parts
    def _cancel(self, utt: Utterance, reason: str, reply_to: Optional[str]) -> None:
        """Stop ``utt`` at its cursor: nothing of it is produced after the event. (Client cancel,
        shutdown, barge-in, a slow client, a failed voice or analysis: every part calls this.)"""
        state = self.state
        if utt.started:
            cut = utt.cursor
            state.animator.cut_speech(cut / state.sample_rate)
            state.set_expressiveness(None)
            state.set_emotion(None)
            sent = cut - utt.start
        else:
            cut, sent = state.frame_sample(state.next_frame), 0
        state.queue.remove(utt)
        state.by_id.pop(utt.utt, None)
        utt.final, utt.ready = True, deque()
        self.speaking.stop(utt)
        self.conn.send(m.UtteranceCancelled(utt=utt.utt, reply_to=reply_to, reason=reason, sample=cut, samples=sent,
                                            inserted_silence=utt.gap_samples))

    def _flush(self, sample: Optional[int]) -> None:
        """Move the connection's encoded messages to the outgoing queue, tagged with a position."""
        self.outgoing.flush(sample)

    def _overflowed(self, reason: str) -> None:
        """The outgoing queue was dropped (the client is not reading): produce, synthesize and
        analyse nothing more, and have the daemon close the socket."""
        self.closed = True
        for utt in list(self.queue):
            self.queue.remove(utt)
            self.by_id.pop(utt.utt, None)
            utt.ready = deque()
        if self.on_overflow is not None:
            callback, self.on_overflow = self.on_overflow, None
            callback(reason)
