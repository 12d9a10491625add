"""One client session of the daemon: its timeline, utterance queue, pacing and outgoing queue.

The session owns three asyncio tasks: a *synthesizer* (clauses -> voice, through the daemon's
earliest-deadline-first scheduler), a *producer* (paces media onto the timeline, at most
``lead_ms`` ahead of the media clock) and a *writer* (moves encoded messages to the socket). The producer never awaits the socket, so a
client that stops reading only stops its own writer (PROTOCOL.md §6).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import time
from collections import deque
from typing import Awaitable, Callable, Optional

import numpy as np

from faceplex.models.face.animator import FaceAnimator
from faceplex.models.speech.language import language_warning
from faceplex.models.speech.contract import ClauseSynthesis, SpeechEngine
from faceplex.models.speech.text import is_speakable, split_head
from faceplex.protocol import messages as m
from faceplex.protocol.codec import pack_map
from faceplex.protocol.connection import ServerConnection
from faceplex.protocol.errors import ErrorCode, ProtocolError
from faceplex.protocol.names import FRAME_CHANNELS

from faceplex.bridge.session.settings import SessionConfig
from faceplex.bridge.session.duplex import DuplexMixin
from faceplex.bridge.session.limits import (MAX_APPENDS_PER_S, MAX_OUTGOING_BYTES, MAX_PENDING_CHARS, MAX_QUEUED_UTTERANCES,
                                            MAX_SESSION_PENDING_CHARS, MAX_TEXT_CHARS, RateBucket)
from faceplex.bridge.timeline.preroll import PIECE_S, may_start
from faceplex.bridge.speaking.synthesis import SynthesisJob, SynthesisScheduler, estimate_seconds, now_s, split_long
from faceplex.bridge.timeline.utterance import PieceResampler, Utterance

log = logging.getLogger("faceplex.session")

#: An appended utterance's language is checked once this much text arrived (or at ``final``).
LANGUAGE_CHECK_CHARS = 80
_session_ids = itertools.count(1)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Session(DuplexMixin):
    """Runtime of one WebSocket session after a successful ``hello``.

    Args:
        conn: the sans-I/O server connection (already ``accept``-ed by :meth:`open`).
        send: coroutine that writes one binary message to the socket.
        voices: name -> loaded :class:`~faceplex.models.speech.contract.SpeechEngine` (shared across sessions).
        scheduler: the daemon's earliest-deadline-first synthesis runner (shared).
        sample_rate: output rate in Hz; fps: face frames per second.
    """

    def __init__(self, conn: ServerConnection, send: Callable[[bytes], Awaitable[None]],
                 voices: dict[str, SpeechEngine], scheduler: SynthesisScheduler, sample_rate: int, fps: int,
                 frame_sink: Optional[Callable[[int, np.ndarray], None]] = None,
                 animator_cls: Callable = FaceAnimator):
        self.id = f"s{next(_session_ids)}"
        self.conn = conn
        self._send = send
        self.voices = voices
        self.scheduler = scheduler
        self._planned_end_s = 0.0  # wall time when the speech submitted so far should end
        self.sample_rate = sample_rate
        self.fps = fps
        self.frame_sink = frame_sink  # e.g. the Live Link Face UDP sender
        self.animator_cls = animator_cls  # motion backend (bridge.motion)
        self.config = SessionConfig()
        self.animator = self._new_animator()
        self._animator_dirty = False
        self.queue: deque[Utterance] = deque()      # [current, queued...]
        self.by_id: dict[str, Utterance] = {}
        self.next_frame = 0
        self.audio_seq = 0
        self._synth_q: asyncio.Queue = asyncio.Queue()
        self._out: deque[tuple[bytes, int]] = deque()   # (message, timeline sample it reaches)
        self._out_bytes = 0  # bytes in _out, every message counted (PROTOCOL.md §8)
        self._out_event = asyncio.Event()
        #: Called once with a reason when the outgoing queue passes MAX_OUTGOING_BYTES (the
        #: daemon closes the socket); the queue is dropped at once.
        self.on_overflow: Optional[Callable[[str], None]] = None
        self._appends = RateBucket(MAX_APPENDS_PER_S, 2 * MAX_APPENDS_PER_S)
        self._wake = asyncio.Event()
        self.queued_sample = 0
        self.written_sample = 0
        self._stall_since: Optional[float] = None
        self._resync = False
        self._t0_ns = 0
        self._tasks: list[asyncio.Task] = []
        self.closed = False
        self.played_sample: Optional[int] = None  # last playback position the client reported
        self.played_utt: Optional[str] = None
        self._duplex_init()
        self.stats = {"gap_samples": 0, "stalls": 0, "skipped_idle_frames": 0}

    # ------------------------------------------------------------------ lifecycle
    def open(self, hello: m.Hello, server_name: str) -> None:
        """Send ``welcome`` and start the session's tasks; the timeline starts now."""
        self.conn.accept(m.Welcome(
            reply_to=hello.id, session=self.id, server=server_name,
            audio=m.AudioFormat(sample_rate=self.sample_rate),
            face=m.FaceFormatInfo(fps=self.fps, channels=list(FRAME_CHANNELS)),
            voices=sorted(self.voices), config=self.config.model_dump(),
            limits=m.Limits(max_message_bytes=self.conn.max_message_bytes, max_text_chars=MAX_TEXT_CHARS,
                            max_pending_chars=MAX_PENDING_CHARS, max_queued_utterances=MAX_QUEUED_UTTERANCES),
        ))
        self._t0_ns = time.monotonic_ns()
        self._flush(0)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._writer()), loop.create_task(self._producer()),
                       loop.create_task(self._synthesizer())]

    def shutdown(self) -> None:
        """Daemon shutdown: every open utterance gets ``utterance_cancelled {reason:
        "shutdown"}`` and nothing is produced after it (the writer still sends what is queued)."""
        for utt in list(self.queue):
            self._cancel(utt, "shutdown", None)
        self._flush(None)
        self.closed = True

    async def drained(self) -> None:
        """Wait until the writer has handed every queued message to the socket."""
        while self._out and not self._writer_done():
            await asyncio.sleep(0.005)

    def _writer_done(self) -> bool:
        return bool(self._tasks) and self._tasks[0].done()

    async def close(self) -> None:
        self.closed = True
        if hasattr(self.animator, "close"):
            self.animator.close()   # e.g. leave the RFM motion pool
        for utt in list(self.queue):
            if utt.job is not None:
                self.scheduler.cancel(utt.job)  # stop its synthesis between steps, free its state
        for task in self._tasks:
            task.cancel()
        await asyncio.wait(self._tasks, timeout=2.0)

    def _new_animator(self) -> FaceAnimator:
        old = getattr(self, "animator", None)
        if old is not None and hasattr(old, "close"):
            old.close()
        c = self.config
        anim = self.animator_cls(self.fps, seed=c.seed, expressiveness=c.expressiveness,
                                 blink_rate_per_min=c.blink_rate_per_min, idle_motion=c.idle_motion)
        if hasattr(anim, "set_emotion"):
            anim.set_emotion(c.emotion, c.emotion_intensity, at_s=0.0)
        return anim

    # ------------------------------------------------------------------ clocks
    def clock_sample(self) -> int:
        """The daemon's media clock: output samples since ``welcome``."""
        return (time.monotonic_ns() - self._t0_ns) * self.sample_rate // 1_000_000_000

    def frame_sample(self, n: int) -> int:
        """Timeline sample of face frame ``n``: floor(n * sample_rate / fps)."""
        return n * self.sample_rate // self.fps

    # ------------------------------------------------------------------ client messages
    def handle(self, msg) -> None:
        """Act on one decoded client message (already past the handshake)."""
        try:
            if isinstance(msg, m.Mic):
                self._on_mic(msg)
            elif isinstance(msg, m.Say):
                self._duplex_client_reacted()
                self._on_say(msg)
            elif isinstance(msg, m.Cancel):
                self._duplex_client_reacted()
                self._on_cancel(msg)
            elif isinstance(msg, m.Lipsync):
                self._on_lipsync(msg)
            elif isinstance(msg, m.Config):
                merged = self.config.merged(msg.settings, msg.id)
                if merged.voice not in self.voices:
                    raise ProtocolError(ErrorCode.INVALID_CONFIG, f"voice: {merged.voice!r} is not one of {sorted(self.voices)}", msg.id)
                emotion_only = merged.model_copy(update={"emotion": self.config.emotion,
                                                         "emotion_intensity": self.config.emotion_intensity}) == self.config
                self.config = merged
                if emotion_only:  # the mood eases in on the running face (models/face/expression.py)
                    self._set_emotion(self.queue[0] if self.queue and self.queue[0].started else None)
                else:
                    self._animator_dirty = True
                self.conn.send(m.Configured(reply_to=msg.id, config=self.config.model_dump()))
            elif isinstance(msg, m.Ping):
                self.conn.send(m.Pong(reply_to=msg.id, client_time_us=msg.client_time_us,
                                      server_time_us=time.monotonic_ns() // 1000, sample=self.clock_sample(),
                                      played=self.played_sample))
            elif isinstance(msg, m.Playback):
                self._on_playback(msg)
        except ProtocolError as err:
            self.conn.send_error(err.code, err.message, err.reply_to)
        self._flush(None)
        self._wake.set()

    def _on_say(self, msg: m.Say) -> None:
        if _CONTROL_CHARS.search(msg.text):
            raise ProtocolError(ErrorCode.INVALID_FIELD, "say.text contains control characters (only tab and newline are allowed)", msg.id)
        if len(msg.text) > MAX_TEXT_CHARS:
            raise ProtocolError(ErrorCode.TEXT_TOO_LONG, f"text is {len(msg.text)} characters; the limit is {MAX_TEXT_CHARS}", msg.id)
        if msg.append and self._appends.take() > 0:
            raise ProtocolError(ErrorCode.RATE_LIMITED, f"more than {MAX_APPENDS_PER_S} say appends per second; "
                                "this fragment was not added (send fewer, longer fragments)", msg.id)
        if self._pending_chars() + len(msg.text) > MAX_SESSION_PENDING_CHARS:
            raise ProtocolError(ErrorCode.PENDING_TEXT_FULL, f"this session already has {self._pending_chars()} "
                                f"characters waiting to be spoken; the limit is {MAX_SESSION_PENDING_CHARS}", msg.id)
        if msg.append:
            utt = self.by_id.get(msg.utt)
            if utt is None or utt.final:
                raise ProtocolError(ErrorCode.UNKNOWN_UTTERANCE, f"no open utterance {msg.utt!r} to append to", msg.id)
            if utt.text_chars + len(msg.text) > MAX_PENDING_CHARS:
                raise ProtocolError(ErrorCode.TEXT_TOO_LONG, f"utterance {msg.utt!r} would exceed {MAX_PENDING_CHARS} characters", msg.id)
            self._add_text(utt, msg.text, msg.final)
            return
        if msg.utt in self.by_id:
            raise ProtocolError(ErrorCode.DUPLICATE_UTTERANCE, f"utterance {msg.utt!r} is already playing or queued", msg.id)
        if msg.final and not is_speakable(msg.text):
            raise ProtocolError(ErrorCode.EMPTY_TEXT, "say.text has nothing speakable", msg.id)
        voice = msg.voice or self.config.voice
        if voice not in self.voices:
            raise ProtocolError(ErrorCode.UNKNOWN_VOICE, f"voice {voice!r} is not one of {sorted(self.voices)}", msg.id)
        speed = self.config.speed
        if msg.style is not None and msg.style.speed is not None:
            if not 0.5 <= msg.style.speed <= 2.0:
                raise ProtocolError(ErrorCode.INVALID_STYLE, "style.speed must be within 0.5-2.0", msg.id)
            speed = msg.style.speed
        if msg.style is not None and msg.style.expressiveness is not None and not 0.0 <= msg.style.expressiveness <= 2.0:
            raise ProtocolError(ErrorCode.INVALID_STYLE, "style.expressiveness must be within 0-2", msg.id)
        if msg.style is not None and msg.style.emotion is not None and msg.style.emotion not in m.EMOTIONS:
            raise ProtocolError(ErrorCode.INVALID_STYLE, f"style.emotion must be one of {', '.join(m.EMOTIONS)}", msg.id)
        if msg.style is not None and msg.style.emotion_intensity is not None and not 0.0 <= msg.style.emotion_intensity <= 1.0:
            raise ProtocolError(ErrorCode.INVALID_STYLE, "style.emotion_intensity must be within 0-1", msg.id)
        if len(self.queue) > MAX_QUEUED_UTTERANCES:
            raise ProtocolError(ErrorCode.QUEUE_FULL, f"{MAX_QUEUED_UTTERANCES} utterances are already waiting", msg.id)
        style = msg.style
        utt = Utterance(utt=msg.utt, reply_to=msg.id, voice=voice, speed=speed,
                        expressiveness=style.expressiveness if style is not None else None,
                        emotion=style.emotion if style is not None else None,
                        emotion_intensity=style.emotion_intensity if style is not None else None)
        self.queue.append(utt)
        self.by_id[utt.utt] = utt
        self._add_text(utt, msg.text, msg.final)

    def _pending_chars(self) -> int:
        """Characters of text in this session's open and queued utterances (PROTOCOL.md §8)."""
        return sum(u.text_chars for u in self.queue)

    def _add_text(self, utt: Utterance, text: str, final: bool) -> None:
        utt.text_chars += len(text)
        utt.text += text
        if not utt.language_checked and (final or utt.text_chars >= LANGUAGE_CHECK_CHARS):
            utt.language_checked = True
            self._warn_language(utt)
        clauses = utt.text_buffer.push(text)
        if final:
            clauses += utt.text_buffer.flush()
            utt.final = True
        pieces = [(c, False) for c in clauses]
        if pieces and utt.clauses_submitted == 0:
            pieces[:1] = split_head(pieces[0][0])  # first audio sooner for long first clauses
        # No voice run longer than synthesis.MAX_RUN_CHARS (its memory grows with the clause):
        # a long clause goes in runs that join like a split_head cut.
        pieces = [(run, joins or i < len(runs) - 1) for text, joins in pieces
                  for runs in [split_long(text)] for i, run in enumerate(runs)]
        if utt.clauses_submitted == 0:
            # The runs after the first that continue its sentence: the start rule counts them.
            chain = 0
            for text, joins in pieces:
                if not joins:
                    break
                chain += 1
            utt.head_rest_s = sum(estimate_seconds(t, utt.speed) for t, _ in pieces[1:chain + 1])
            utt.head_runs = chain + 1
        for piece in pieces:
            utt.clauses_pending += 1
            utt.clauses_submitted += 1
            # Deadline: when the audio before this piece is expected to run out.
            deadline = max(now_s(), self._planned_end_s)
            self._planned_end_s = deadline + estimate_seconds(piece[0], utt.speed)
            self._synth_q.put_nowait((utt, piece, deadline))

    def _warn_language(self, utt: Utterance) -> None:
        """``warning {code: language_not_supported}`` for text that is not English; it is spoken
        anyway (models/speech/language.py; ~0.1 ms, the model was loaded before the ready line)."""
        message = language_warning(utt.text, utt.voice)
        if message is not None:
            self.conn.send(m.Warning(reply_to=utt.reply_to, utt=utt.utt, code="language_not_supported",
                                     message=message))

    def _on_playback(self, msg: m.Playback) -> None:
        if msg.sample < 0:
            raise ProtocolError(ErrorCode.INVALID_FIELD, "playback.sample must be >= 0", msg.id)
        # Positions only move forward; a late report (reordered by the client) is ignored.
        if self.played_sample is None or msg.sample > self.played_sample:
            self.played_sample = msg.sample
            self.played_utt = msg.utt
            self._played_at = time.monotonic()

    def _on_cancel(self, msg: m.Cancel) -> None:
        if msg.utt is None:
            for utt in list(self.queue):
                self._cancel(utt, "client", msg.id)
            return
        utt = self.by_id.get(msg.utt)
        if utt is None:
            raise ProtocolError(ErrorCode.UNKNOWN_UTTERANCE, f"utterance {msg.utt!r} is not playing or queued", msg.id)
        self._cancel(utt, "client", msg.id)

    def _cancel(self, utt: Utterance, reason: str, reply_to: Optional[str]) -> None:
        """Stop ``utt`` at its cursor: nothing of it is produced after the event."""
        if utt.started:
            cut = utt.cursor
            self.animator.cut_speech(cut / self.sample_rate)
            self._set_expressiveness(None)
            self._set_emotion(None)
            sent = cut - utt.start
        else:
            cut, sent = self.frame_sample(self.next_frame), 0
        self.queue.remove(utt)
        self.by_id.pop(utt.utt, None)
        utt.final, utt.ready = True, deque()
        self._stop_synthesis(utt)
        if not self.queue:
            self._planned_end_s = now_s()
        self.conn.send(m.UtteranceCancelled(utt=utt.utt, reply_to=reply_to, reason=reason, sample=cut, samples=sent,
                                            inserted_silence=utt.gap_samples))

    # ------------------------------------------------------------------ synthesis
    async def _synthesizer(self) -> None:
        """One clause at a time per session: a step-wise job on the shared scheduler whose
        pieces are placed (and handed to the animator) as each is decoded (contract 3)."""
        loop = asyncio.get_running_loop()
        while True:
            utt, (text, joins_next), deadline = await self._synth_q.get()
            if utt.utt not in self.by_id or self.by_id[utt.utt] is not utt:
                continue  # cancelled while waiting
            voice = self.voices[utt.voice]
            sr = voice.sample_rate
            stream = _PlacedStream(voice.stream(
                text, speed=utt.speed, seed=self.config.seed,
                trim_lead=int(SEAM_LEAD_S * sr) if utt.trim_next_lead else None,
                trim_tail=int(SEAM_TAIL_S * sr) if joins_next else None), self.sample_rate)
            done = loop.create_future()
            job = SynthesisJob(stream, self._next_deadline(utt, deadline), session=self.id,
                               on_result=lambda clause, utt=utt: self._on_piece(utt, clause),
                               on_done=lambda exc, f=done: f.done() or f.set_result(exc),
                               on_cancel=lambda f=done: f.done() or f.set_result(None),
                               piece_s=lambda clause: clause.pcm.shape[0] / self.sample_rate)
            utt.job, utt.job_done = job, done
            try:
                self.scheduler.submit_job(job)
            except RuntimeError:  # the daemon is shutting down
                return
            exc = await done
            utt.job = utt.job_done = None
            utt.trim_next_lead = joins_next
            if self.by_id.get(utt.utt) is not utt:
                continue  # cancelled meanwhile: its pieces were dropped
            if exc is not None:  # the voice failed on this text: report, cancel, keep serving
                log.error("synthesis failed on %r: %r", text, exc)
                self.conn.send_error(ErrorCode.SYNTHESIS_FAILED, f"the voice failed on {text!r}: {exc}", utt.reply_to)
                self._cancel(utt, "error", utt.reply_to)
                self._flush(None)
                continue
            utt.clauses_pending -= 1
            self._wake.set()

    def _on_piece(self, utt: Utterance, clause) -> None:
        """A decoded piece: place it now if its utterance plays (the animator sees it at once)."""
        if self.by_id.get(utt.utt) is not utt:
            return
        if not utt.started and utt.clauses_submitted - utt.clauses_pending == 0 and utt.head_total_s is None:
            utt.head_total_s = clause.chunk.total / clause.chunk.sample_rate
        if not utt.started:
            utt.head_ready_s += clause.chunk.num_samples / clause.chunk.sample_rate
        utt.ready.append(clause)
        if utt.started:
            self._place_ready(utt)
        if utt.job is not None:
            self.scheduler.reschedule(utt.job, self._next_deadline(utt, None))
        self._wake.set()

    def _next_deadline(self, utt: Utterance, planned: Optional[float]) -> float:
        """Wall time (``time.monotonic``) by which the next piece of ``utt`` must be decoded: its
        playback time - lead - the animator's look-ahead (contract 3). Before the utterance plays:
        now if it is next in the queue (with its ready audio's length added), else ``planned``.

        The look-ahead is not taken off an utterance that has not started: nothing of it plays
        yet, so nothing can run out. With it taken off, four sessions whose lines arrived 100-200
        ms apart had the later ones' first pieces served before the next piece of one that had
        started, which then had silence inserted (beside stress-ng 2 x 50 %)."""
        look = float(getattr(self.animator, "lookahead_s", 0.0) or 0.0)
        lead = self.config.lead_ms / 1000
        if utt.started:
            wall = self._t0_ns / 1e9 + utt.placed_end / self.sample_rate
            return wall - lead - look
        if self.queue and self.queue[0] is utt:
            return now_s() + sum(c.pcm.shape[0] for c in utt.ready) / self.sample_rate
        return planned if planned is not None else now_s()

    def _place_ready(self, utt: Utterance) -> None:
        """Place every ready piece on the timeline and hand it to the animator."""
        while utt.ready:
            at = utt.placed_end
            clause = utt.place_next()
            self.animator.add_speech(clause.chunk, (at + clause.anim_shift) / self.sample_rate)

    def _stop_synthesis(self, utt: Utterance) -> None:
        """Cancel/barge-in: stop the clause in progress between steps and drop its state."""
        if utt.job is not None:
            self.scheduler.cancel(utt.job)
        if utt.job_done is not None and not utt.job_done.done():
            utt.job_done.set_result(None)

    def _speech_may_start(self, utt: Utterance) -> bool:
        """Pre-roll from measured synthesis speed (``bridge.preroll``): a later start rather than
        silence inside the first sentence."""
        if utt.lipsync is not None:
            return self._may_start(utt)
        if utt.head_total_s is None:
            return True
        if utt.clauses_submitted - utt.clauses_pending >= utt.head_runs:
            return True  # the whole first sentence is decoded
        remaining = max(0.0, utt.head_total_s + utt.head_rest_s - utt.head_ready_s)
        job = utt.job
        nxt = job.stream.stream.next_piece_samples if job is not None else None
        jobs = self.scheduler.jobs_in_flight()
        return may_start(utt.head_ready_s, remaining, self.scheduler.speed_per_job(jobs), self.config.lead_ms / 2000,
                         nxt / self.voices[utt.voice].sample_rate if nxt else PIECE_S,
                         pieces_ready=len(utt.ready), contended=jobs > self.scheduler.workers)

    # ------------------------------------------------------------------ pacing
    async def _producer(self) -> None:
        tick = 0.01
        loop = asyncio.get_running_loop()
        while not self.closed:
            try:
                self._produce()
            except Exception:  # a bug must not kill the session's face stream silently
                log.exception("producer step failed")
                self.conn.send_error(ErrorCode.INTERNAL, "internal error while producing media")
                self._flush(None)
            self._wake.clear()
            # Sleep one tick or until woken. Not asyncio.wait_for: before Python 3.12 it can
            # swallow a cancellation that coincides with the wake-up, and the session would
            # never close (seen: say, then close the socket at once).
            timer = loop.call_later(tick, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()

    def _produce(self) -> None:
        cfg = self.config
        now = self.clock_sample()
        if self._backlogged(now):
            return
        lead = cfg.lead_ms * self.sample_rate // 1000
        horizon = now + lead
        chunk = max(1, cfg.audio_chunk_ms * self.sample_rate // 1000)
        self._maybe_resume()
        while True:
            utt = self.queue[0] if self.queue else None
            if utt is not None and not utt.started:
                if self._hold_new_utterance():
                    utt = None  # the partner is speaking: the reply waits for its turn
                elif utt.ready and self._speech_may_start(utt):
                    self._start(utt)
                elif utt.text_done:  # only unspeakable text arrived (e.g. "..." appended)
                    self.queue.popleft()
                    self.by_id.pop(utt.utt, None)
                    self.conn.send(m.UtteranceCancelled(utt=utt.utt, reply_to=utt.reply_to, reason="empty",
                                                        sample=self.frame_sample(self.next_frame), samples=0))
                    continue
                elif utt.ready:
                    utt = None  # a lipsync utterance gathers its pre-roll
                else:
                    utt = None  # still synthesizing its first clause: keep the idle face going
            if utt is None:
                if self._animator_dirty:
                    self.animator, self._animator_dirty = self._new_animator(), False
                if self.frame_sample(self.next_frame) >= horizon:
                    break
                self._resync_idle(now)
                self._emit_frames(None, self.frame_sample(self.next_frame) + 1)
                continue
            if utt.cursor >= horizon and utt.cursor > utt.start:
                break  # (an utterance's first chunk goes at once: it starts at the idle horizon)
            self._place_ready(utt)  # everything decoded goes to the animator at once (contract 3)
            avail = utt.placed_end - utt.cursor
            if avail >= chunk or (avail > 0 and utt.text_done):
                self._emit_audio(utt, chunk)
            elif utt.text_done:
                self._finish(utt)
            elif utt.cursor < now + max(chunk, lead // 2):
                # The next clause (or the LLM's next words) is late: keep the timeline moving with
                # silence instead of letting the client underrun. A client plays up to about
                # lead - pre-roll ahead of the daemon's clock, so act with half the lead left.
                utt.place_silence(chunk - avail)
                self.stats["gap_samples"] += chunk - avail
                self._emit_audio(utt, chunk)
            else:
                break

    def _set_expressiveness(self, value: Optional[float]) -> None:
        """Per-utterance ``style.expressiveness``: applies to the frames produced while it plays."""
        if hasattr(self.animator, "expressiveness"):
            self.animator.expressiveness = self.config.expressiveness if value is None else value

    def _set_emotion(self, utt: Optional[Utterance]) -> None:
        """Per-utterance ``style.emotion``/``emotion_intensity`` (else the session's settings): the
        face eases into it from the next frame (``FaceAnimator.set_emotion``)."""
        if hasattr(self.animator, "set_emotion"):
            c = self.config
            name = utt.emotion if utt is not None and utt.emotion is not None else c.emotion
            value = utt.emotion_intensity if utt is not None and utt.emotion_intensity is not None else c.emotion_intensity
            self.animator.set_emotion(name, value)

    def _start(self, utt: Utterance) -> None:
        start = self.frame_sample(self.next_frame)
        utt.begin(start)
        self._set_expressiveness(utt.expressiveness)
        self._set_emotion(utt)
        self.conn.send(m.UtteranceStarted(utt=utt.utt, reply_to=utt.reply_to, sample=start))

    def _finish(self, utt: Utterance) -> None:
        self._set_expressiveness(None)
        self._set_emotion(None)
        self.queue.popleft()
        self.by_id.pop(utt.utt, None)
        self.conn.send(m.UtteranceFinished(utt=utt.utt, sample=utt.cursor, samples=utt.cursor - utt.start,
                                           inserted_silence=utt.gap_samples))
        self._flush(utt.cursor)

    def _emit_audio(self, utt: Utterance, chunk: int) -> None:
        start, pcm, marks = utt.take(chunk)
        pcm = self._duck(pcm)
        utt.words.extend(mk for mk in marks if mk.kind == "word")
        self._note_output(start, pcm)
        for mk in marks:
            self.conn.send_bytes(pack_map({"type": "mark", "utt": utt.utt, "kind": mk.kind, "sample": mk.start,
                                           "end": mk.end, "text": mk.text, "viseme": mk.viseme}))
        self.conn.send_bytes(pack_map({"type": "audio", "utt": utt.utt, "seq": self.audio_seq, "sample": start,
                                       "pcm": pcm.astype("<i2", copy=False).tobytes()}))
        self.audio_seq += 1
        self._flush(start)
        self._emit_frames(utt.utt, utt.cursor)

    def _emit_frames(self, utt_id: Optional[str], end_sample: int) -> None:
        """Send every frame whose sample is below ``end_sample``."""
        first = self.next_frame
        count = 0
        while self.frame_sample(first + count) < end_sample:
            count += 1
        if not count:
            return
        values = self.animator.frames(first, count)
        for i in range(count):
            n = first + i
            self.conn.send_bytes(pack_map({"type": "face", "utt": utt_id, "seq": n, "frame": n,
                                           "sample": self.frame_sample(n), "values": values[i].tolist()}))
            if self.frame_sink is not None:
                self.frame_sink(n, values[i])
        self.next_frame = first + count
        self._flush(self.frame_sample(self.next_frame - 1))

    def _resync_idle(self, now: int) -> None:
        """Skip idle frames already in the past (after a stall): never burst-replay them."""
        behind = now - self.frame_sample(self.next_frame)
        frame_len = self.sample_rate // self.fps
        if behind > 2 * frame_len or self._resync:
            target = max(self.next_frame, -(-now * self.fps // self.sample_rate))
            self.stats["skipped_idle_frames"] += target - self.next_frame
            self.next_frame = target
            self._resync = False

    # ------------------------------------------------------------------ slow clients
    def _backlogged(self, now: int) -> bool:
        """True while the client has not read ``max_backlog_ms`` of queued media (§6)."""
        backlog = self.queued_sample - self.written_sample
        if backlog <= self.config.max_backlog_ms * self.sample_rate // 1000:
            self._stall_since = None
            return False
        t = time.monotonic()
        if self._stall_since is None:
            self._stall_since = t
            self.stats["stalls"] += 1
        elif t - self._stall_since > self.config.stall_timeout_ms / 1000 and self.queue:
            for utt in list(self.queue):
                self._cancel(utt, "client_too_slow", None)
            self._resync = True
            self._flush(None)
        return True

    # ------------------------------------------------------------------ output
    def _flush(self, sample: Optional[int]) -> None:
        """Move the connection's encoded messages to the writer queue, tagged with a position."""
        data = self.conn.data_to_send()
        if not data:
            return
        if sample is not None:
            self.queued_sample = max(self.queued_sample, sample)
        tag = self.queued_sample
        for item in data:
            self._out.append((item, tag))
            self._out_bytes += len(item)
        self._out_event.set()
        if self._out_bytes > MAX_OUTGOING_BYTES:
            self._overflow()

    def _overflow(self) -> None:
        """The client has not read ``MAX_OUTGOING_BYTES`` of messages: drop the queue now (its
        memory is returned at once) and have the daemon close the socket."""
        queued = self._out_bytes
        self._out.clear()
        self._out_bytes = 0
        self.closed = True
        for utt in list(self.queue):  # nothing more is synthesized or analysed for it
            self.queue.remove(utt)
            self.by_id.pop(utt.utt, None)
            utt.ready = deque()
        if self.on_overflow is not None:
            callback, self.on_overflow = self.on_overflow, None
            callback(f"outgoing queue over {MAX_OUTGOING_BYTES} bytes ({queued} unread): client not reading")

    async def _writer(self) -> None:
        while True:
            await self._out_event.wait()
            self._out_event.clear()
            while self._out:
                data, sample = self._out.popleft()
                self._out_bytes -= len(data)
                try:
                    await self._send(data)
                except Exception:  # the socket closed (the handler ends the session)
                    return
                self.written_sample = max(self.written_sample, sample)


#: Pauses kept at the seam of a sentence cut for latency (voice samples: ~30 ms and ~10 ms).
SEAM_TAIL_S, SEAM_LEAD_S = 0.03, 0.01


class _PlacedStream:
    """A clause's synthesis (:class:`ClauseSynthesis`) whose pieces come out resampled to the
    session's rate (in the worker thread): ``step()`` returns :class:`~faceplex.bridge.timeline.utterance.Clause` objects."""

    def __init__(self, stream: ClauseSynthesis, out_rate: int):
        self.stream, self.out_rate = stream, out_rate
        self._resampler: Optional[PieceResampler] = None

    @property
    def done(self) -> bool:
        return self.stream.done

    @property
    def first_piece_next(self) -> bool:
        return self.stream.first_piece_next

    def close(self) -> None:
        self.stream.close()
        self._resampler = None

    def step(self, wide: bool = False) -> list:
        out = []
        for chunk in self.stream.step(wide=wide):
            if self._resampler is None:
                self._resampler = PieceResampler(chunk.sample_rate, self.out_rate)
            out.append(self._resampler.push(chunk))
        return out
