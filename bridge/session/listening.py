"""The listening side of a session (full duplex): the partner's microphone (voice activity,
barge-in, listening motion) and audio-driven lip sync (``lipsync`` utterances).

In: ``mic`` and ``lipsync`` messages, the pacer's outgoing audio (for the echo gate). Out: partner
events and ``interrupted`` on the connection, listening motion and lipsync pieces for the animator
and the shared queue. It uses the session's shared state (:mod:`~faceplex.bridge.session.state`).
Barge-in acts inside the handling of the ``mic`` chunk that confirms the partner's speech, not
in the producer's tick: the current utterance stops at its cursor (nothing more of it is sent),
``interrupted`` goes out at once, and the face eases into listening from the cut.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Callable, Optional

import numpy as np

from faceplex.models.speech.words import text_after_marks
from faceplex.protocol import messages as m
from faceplex.protocol.errors import ErrorCode, ProtocolError, WarningCode

from faceplex.bridge.listening.analysis import analysis_pool
from faceplex.bridge.listening.lipsync import MAX_LIPSYNC_SECONDS, LipsyncStream, preroll_samples, warm_up
from faceplex.bridge.listening.listener import CADENCE_TOLERANCE, GAP_S, MicFormatError, MicListener, check_pcm_format, float32_suspect
from faceplex.bridge.listening.input_limits import MAX_SESSION_LIPSYNC_S, MIC_MAX_RATE, MicRateLimit
from faceplex.bridge.listening.vad_pool import vad_pool
from faceplex.bridge.listening.transcription import PartnerTranscription
from faceplex.models.audio.vad import vad_status
from faceplex.bridge.session.limits import MAX_QUEUED_UTTERANCES
from faceplex.bridge.session.state import SessionState
from faceplex.bridge.timeline.utterance import Utterance

log = logging.getLogger("faceplex.duplex")

#: Gain of the avatar's voice while the partner speaks under ``interruption: "duck"`` (-12 dB).
DUCK_GAIN = 10 ** (-12 / 20)
#: A playback report older than this is not extrapolated (the client stopped reporting).
PLAYBACK_FRESH_S = 0.5
#: The partner's turn ends when no ``mic`` chunk arrived for this long (a stream that stopped
#: mid-speech, e.g. the game muted its microphone): later ``say``s are not held by it.
MIC_TIMEOUT_S = 1.0
_FLOAT_MESSAGE = ("{kind} pcm must be PCM16LE, but these bytes look like float32 samples (every second 16-bit "
                  "word reads as a float exponent): convert to int16 before sending; the chunk was dropped")


class ListeningSide:
    """The partner's side of one session: ``mic`` (turns, barge-in, listening motion) and ``lipsync``.

    Args:
        state: the session's shared timeline and queue.
        flush: move the connection's messages to the outgoing queue (``Outgoing.flush``).
        cancel: stop an utterance at its cursor with ``utterance_cancelled`` (the coordinator's).
        speak: add text to an utterance already on the queue (``SpeakingSide.add_text``): the
            rest of a falsely interrupted line is spoken again through it.
    """

    def __init__(self, state: SessionState, flush: Callable[[Optional[int]], None],
                 cancel: Callable[[Utterance, str, Optional[str]], None],
                 speak: Callable[[Utterance, str, bool], None]):
        self.state = state
        self._flush = flush
        self._cancel = cancel
        self._speak = speak
        self.listener: Optional[MicListener] = None
        self._recent_out: deque = deque(maxlen=64)   # (start, pcm) sent before the first mic chunk
        self.partner_speaking = False
        self._resume: Optional[dict] = None           # an interrupted utterance that may resume
        self.stats = {"interruptions": 0, "mic_chunks": 0, "mic_refused_s": 0.0}
        self._mic_limit = MicRateLimit()
        self._mic_float = False             # the last decidable mic chunk looked like float32
        self._mic_run: Optional[list] = None  # arrival cadence of the current declared format
        self._mic_faulted: Optional[tuple] = None   # a declared format refused as contradicting its bytes
        self._mic_jobs: list[tuple] = []    # mic chunks waiting for the VAD pool (in order)
        self._mic_busy = False              # a job of this session is on the pool
        self._vad_refused = False           # feature_unavailable was sent for a missing VAD model
        self.transcription = PartnerTranscription(state.id, state.sample_rate, self._send_transcript)
        warm_up()   # phone recognition's decoder: a no-op when the daemon already loaded it

    # ------------------------------------------------------------------ microphone
    def on_mic(self, msg: m.Mic) -> None:
        """Check the chunk here (errors at once), then queue it for speech detection on the VAD
        pool (:mod:`faceplex.bridge.listening.vad_pool`); its events are acted on back on the loop, in
        order. The timeline position and the echo gate's lag are taken now, at arrival."""
        check_pcm_format(msg.pcm, msg.sample_rate, msg.channels, msg.id)
        if self.listener is None:
            ok, why = vad_status()
            if not ok:
                # a missing model is the daemon's install, not this chunk: said once per session
                # (and in welcome.features.vad), later chunks are dropped
                report, self._vad_refused = not self._vad_refused, True
                if report:
                    raise ProtocolError(ErrorCode.FEATURE_UNAVAILABLE,
                                        f"mic needs voice activity detection, which is unavailable: {why}", msg.id)
                return
        suspect = float32_suspect(msg.pcm)
        if suspect:
            # dropped (never analysed: float noise once interrupted the avatar); reported once a run
            report, self._mic_float = not self._mic_float, True
            if report:
                raise ProtocolError(ErrorCode.AUDIO_FORMAT_MISMATCH, _FLOAT_MESSAGE.format(kind="mic"), msg.id)
            return
        if suspect is False:
            self._mic_float = False
        seconds = len(msg.pcm) // (2 * msg.channels) / msg.sample_rate
        t = time.monotonic()
        fmt = (msg.sample_rate, msg.channels)
        run = self._mic_run
        if run is None or run[0] != fmt or t - run[3] > GAP_S:
            run = self._mic_run = [fmt, t, 0.0, t]
            if fmt != self._mic_faulted:
                self._mic_faulted = None     # format, first arrival, seconds after it, last arrival
        else:
            run[2] += seconds
            run[3] = t
        if fmt == self._mic_faulted:
            return     # reported once; dropped until the declared format changes
        admitted, report = self._mic_limit.admit(seconds, t)
        if not admitted:
            self.stats["mic_refused_s"] += seconds
            if report:
                ratio = run[2] / max(1e-3, t - run[1])
                if t - run[1] >= 0.25 and ratio > CADENCE_TOLERANCE[1]:   # a wrong declaration, not a fast mic
                    self._mic_faulted = fmt
                    raise ProtocolError(ErrorCode.AUDIO_FORMAT_MISMATCH,
                                        f"mic declared {fmt[0]} Hz x {fmt[1]} channel(s) but delivers {ratio:.2f}x that "
                                        "many bytes per second: the real rate or channel count differs; chunks are "
                                        "dropped", msg.id)
                raise ProtocolError(ErrorCode.MIC_RATE_EXCEEDED,
                                    f"mic audio arrives faster than {MIC_MAX_RATE:g}x real time: chunks are dropped "
                                    "until the stream is back to real time", msg.id)
            return
        if self.listener is None:
            self.listener = MicListener(self.state.sample_rate)
            for start, pcm in self._recent_out:   # the echo gate needs what is playing now
                self.listener.note_output(start, pcm)
            self._recent_out.clear()
        cfg = self.state.config
        self.stats["mic_chunks"] += 1
        now = self.state.clock_sample()
        self._mic_jobs.append((msg.pcm, msg.sample_rate, msg.channels, now, time.monotonic(), cfg.vad_threshold,
                               cfg.vad_silence_ms, cfg.min_interruption_ms, msg.id, self._echo_lag(now)))
        if not self._mic_busy:
            self._mic_submit()

    def _mic_submit(self) -> None:
        jobs, self._mic_jobs = self._mic_jobs, []
        listener, loop = self.listener, asyncio.get_running_loop()

        def work() -> None:   # on a VAD pool thread
            results = []
            for args in jobs:
                if args is None:                 # mic_end, in order with the chunks before it
                    results.append((listener.end_turn(), None, None, None))
                    continue
                try:
                    events, audio = listener.push(*args)
                    raw = audio                  # as heard, for the transcript
                    if audio is not None and len(audio[0]):   # the echo-gated stream for the animator
                        audio = (listener.echo_gated(audio[0], audio[1], args[-1]), audio[1])
                    results.append((events, audio, raw, None))
                except MicFormatError as err:    # with the stop of speech the bad stream started
                    results.append((err.events, None, None, err))
                except ProtocolError as err:
                    results.append(([], None, None, err))
            loop.call_soon_threadsafe(self._mic_done, results)

        self._mic_busy = vad_pool().submit(work)

    def _mic_done(self, results) -> None:
        self._mic_busy = False
        if self.state.closed:
            return
        for events, audio, raw, err in results:
            if audio is not None and len(audio[0]) and hasattr(self.state.animator, "add_partner_audio"):
                self.state.animator.add_partner_audio(audio[0], audio[1] / self.state.sample_rate)
            self._partner_events(events)
            if raw is not None and len(raw[0]):
                # after the events: a start opens the segment with the audio held before it
                self.transcription.audio(raw[0], raw[1])
            if err is not None:
                self.state.conn.send_error(err.code, err.message, err.reply_to)
        if self._mic_jobs:
            self._mic_submit()
        self._flush(None)
        self.state.wake.set()

    def _partner_events(self, events: list[tuple]) -> None:
        """Act on the listener's events (on the loop, in the order of the chunks)."""
        cfg = self.state.config
        vad = getattr(self.state.animator, "partner_vad", None)
        for ev in events:
            if vad is not None and ev[0] in ("start", "stop"):
                vad(ev[0], ev[1] / self.state.sample_rate)   # the Silero VAD state, at the sample it names
            if ev[0] == "start":
                self.partner_speaking = True
                self.state.conn.send(m.PartnerSpeechStarted(sample=ev[1]))
                self.transcription.started(ev[1])
                self._turn("start")
            elif ev[0] == "confirmed":
                if cfg.interruption == "interrupt":
                    self._interrupt(ev[1])
            elif ev[0] == "stop":
                self.partner_speaking = False
                self.state.conn.send(m.PartnerSpeechStopped(sample=ev[1], samples=ev[2]))
                self.transcription.stopped(ev[1])   # the final transcript follows
                self._turn("stop")
                if self._resume is not None:
                    self._resume["deadline"] = time.monotonic() + cfg.false_interruption_timeout_ms / 1000

    def on_mic_end(self, msg) -> None:
        """``mic_end`` (push-to-talk released): the partner's turn ends now. Queued behind the
        chunks already received, so the stop lands where their audio ends; nothing happens when
        the partner is not speaking."""
        if self.listener is None:
            return
        self._mic_jobs.append(None)
        if not self._mic_busy:
            self._mic_submit()

    def configure_transcription(self) -> None:
        """The ``transcription*`` settings changed (the coordinator checked the model first)."""
        cfg = self.state.config
        self.transcription.configure(cfg.transcription, cfg.transcription_language, cfg.transcription_hints)

    def _send_transcript(self, fields: dict) -> None:
        if self.state.closed:
            return
        self.state.conn.send(m.PartnerTranscript(**fields))
        self._flush(None)
        self.state.wake.set()

    def close(self) -> None:
        """The session closed: its transcription's queued and running readings are dropped."""
        self.transcription.close()

    def _echo_lag(self, now: int) -> Optional[int]:
        """Media clock - the client's playback position (the last ``playback`` report extrapolated
        by the clock) while the report is fresh, else None: where the echo gate looks."""
        if self.state.played_sample is None or self.state.played_at is None:
            return None
        age = time.monotonic() - self.state.played_at
        if age >= PLAYBACK_FRESH_S:
            return None
        return now - (self.state.played_sample + int(age * self.state.sample_rate))

    def _turn(self, kind: str) -> None:
        """Tell the animator from the first frame not yet produced (sent frames never change)."""
        if hasattr(self.state.animator, "partner_turn"):
            self.state.animator.partner_turn(kind, self.state.frame_sample(self.state.next_frame) / self.state.sample_rate)

    def _played_position(self, utt: Utterance, cut: int) -> int:
        """What the listener heard of ``utt``: the last playback report extrapolated by the
        daemon's clock while fresh (else the clock itself), clipped to ``[start, cut]``."""
        now = self.state.clock_sample()
        if self.state.played_sample is not None and self.state.played_at is not None:
            age = time.monotonic() - self.state.played_at
            played = self.state.played_sample + (int(age * self.state.sample_rate) if age < PLAYBACK_FRESH_S else 0)
            if self.state.played_sample < utt.start:
                played = min(played, utt.start)
        else:
            played = now
        return int(min(max(played, utt.start), cut))

    def _interrupt(self, partner_sample: int) -> None:
        """Barge-in: stop the current utterance at its cursor and every queued one."""
        utt = self.state.queue[0] if self.state.queue and self.state.queue[0].started else None
        if utt is None:
            return
        cut = utt.cursor
        played = self._played_position(utt, cut)
        words = [w.text for w in utt.words if w.end <= played]
        self.stats["interruptions"] += 1
        self.state.conn.send(m.Interrupted(utt=utt.utt, reply_to=utt.reply_to, sample=cut, samples_sent=cut - utt.start,
                                           samples_played=played - utt.start, words_spoken=words,
                                           text_spoken=" ".join(words), partner_sample=partner_sample))
        if self.state.config.resume_false_interruption and utt.lipsync is None:
            rest = text_after_marks(utt.text, words)  # the marks' own words, not a word count
            if rest.strip():
                self._resume = {"utt": utt.utt, "reply_to": utt.reply_to, "voice": utt.voice,
                                "speed": utt.speed, "text": rest, "deadline": None}
        for u in list(self.state.queue):
            self._cancel(u, "interrupted", None)
        self._turn("start")   # the face eases into listening from the cut
        self._flush(None)

    def maybe_resume(self) -> None:
        """A false interruption: the partner stopped and the game did not react in time."""
        r = self._resume
        if r is None or r["deadline"] is None or self.partner_speaking or time.monotonic() < r["deadline"]:
            return
        self._resume = None
        if self.state.queue or r["utt"] in self.state.by_id:
            return
        utt = Utterance(utt=r["utt"], reply_to=r["reply_to"], voice=r["voice"], speed=r["speed"])
        self.state.queue.append(utt)
        self.state.by_id[utt.utt] = utt
        self._speak(utt, r["text"], True)

    def client_reacted(self) -> None:
        self._resume = None

    def hold_new_utterance(self) -> bool:
        """New utterances wait while the partner speaks (turn taking), unless the policy ignores it.
        The partner's turn ends when its microphone stops (:data:`MIC_TIMEOUT_S` without a chunk):
        the hold never outlives the stream that started it."""
        if self.partner_speaking and self.listener is not None and not self._mic_busy:
            events = self.listener.expire(time.monotonic(), MIC_TIMEOUT_S)
            if events:
                self._partner_events(events)
                self._flush(None)
        return self.partner_speaking and self.state.config.interruption != "ignore"

    def note_output(self, start: int, pcm: np.ndarray) -> None:
        if self.listener is not None:
            self.listener.note_output(start, pcm)
        else:
            self._recent_out.append((start, pcm))

    def duck(self, pcm: np.ndarray) -> np.ndarray:
        if self.partner_speaking and self.state.config.interruption == "duck":
            return (pcm.astype(np.float32) * DUCK_GAIN).astype(np.int16)
        return pcm

    # ------------------------------------------------------------------ lip sync
    def may_start(self, utt: Utterance) -> bool:
        """A lipsync utterance starts once its pre-roll is analysed (or all of it): with a
        transcript 0.6 s (commits wait for word ends), with phone recognition its first commit
        (the commit lag is bounded and ``lead_ms`` absorbs its jitter): see
        :func:`~faceplex.bridge.listening.lipsync.preroll_samples`."""
        s = utt.lipsync
        if s is None or s.done:
            return True
        cfg = self.state.config
        return s.committed_out >= preroll_samples(not s.phone_mode, s.lookahead_ms, cfg.audio_chunk_ms,
                                                  cfg.lead_ms, self.state.sample_rate)

    def on_lipsync(self, msg: m.Lipsync) -> None:
        check_pcm_format(msg.pcm, msg.sample_rate, msg.channels, msg.id)
        if float32_suspect(msg.pcm):
            raise ProtocolError(ErrorCode.AUDIO_FORMAT_MISMATCH, _FLOAT_MESSAGE.format(kind="lipsync"), msg.id)
        held = self._lipsync_held_s() + len(msg.pcm) // (2 * msg.channels) / msg.sample_rate
        if held > MAX_SESSION_LIPSYNC_S:
            raise ProtocolError(ErrorCode.LIPSYNC_OVERFLOW,
                                f"this session holds {held:.0f} s of lipsync audio not yet sent back; the limit is "
                                f"{MAX_SESSION_LIPSYNC_S:g} s: resend this chunk later", msg.id)
        utt = self.state.by_id.get(msg.utt)
        if utt is None:

            if len(self.state.queue) > MAX_QUEUED_UTTERANCES:
                raise ProtocolError(ErrorCode.QUEUE_FULL, f"{MAX_QUEUED_UTTERANCES} utterances are already waiting", msg.id)
            utt = Utterance(utt=msg.utt, reply_to=msg.id, voice="", speed=1.0)
            utt.lipsync = LipsyncStream(self.state.sample_rate, self.state.config.lipsync_lookahead_ms, msg.text,
                                        self.state.config.audio_chunk_ms)
            utt.clauses_pending = 1
            self.state.queue.append(utt)
            self.state.by_id[utt.utt] = utt
        elif utt.lipsync is None or utt.lipsync.final:
            raise ProtocolError(ErrorCode.DUPLICATE_UTTERANCE, f"utterance {msg.utt!r} is not an open lipsync stream", msg.id)
        stream = utt.lipsync
        if stream.seconds > MAX_LIPSYNC_SECONDS:
            raise ProtocolError(ErrorCode.LIPSYNC_OVERFLOW, f"lipsync utterance over {MAX_LIPSYNC_SECONDS} s", msg.id)
        try:
            stream.push(msg.pcm, msg.sample_rate, msg.channels, msg.final)
        except ValueError as exc:
            raise ProtocolError(ErrorCode.AUDIO_FORMAT_MISMATCH, str(exc), msg.id) from None
        if msg.final:
            utt.final = True
        self._lipsync_kick(utt)

    def _lipsync_held_s(self) -> float:
        """Seconds of lipsync input the session holds that it has not sent back yet."""
        held = 0.0
        for u in self.state.queue:
            if u.lipsync is not None:
                sent = max(0, u.cursor - u.start - u.gap_samples) if u.started else 0
                held += max(0.0, u.lipsync.seconds - sent / self.state.sample_rate)
        return held

    def _lipsync_kick(self, utt: Utterance) -> None:
        stream = utt.lipsync
        # commits end on the session's audio chunk boundaries (after any silence it inserted)
        stream.set_chunk(self.state.config.audio_chunk_ms, utt.gap_samples)
        if not stream.wants_step():
            return
        stream.busy = True
        # one bounded step, queued behind at most one step of every other busy session
        fut = asyncio.wrap_future(analysis_pool().submit(
            self.state.id, stream.step, alive=lambda: not self.state.closed and self.state.by_id.get(utt.utt) is utt))
        fut.add_done_callback(lambda f: self._lipsync_done(utt, f))

    def _lipsync_done(self, utt: Utterance, fut) -> None:
        stream = utt.lipsync
        stream.busy = False
        if fut.cancelled() or self.state.closed or self.state.by_id.get(utt.utt) is not utt:
            return   # cancelled meanwhile (or the pool closed at shutdown)
        try:
            clauses = fut.result()
        except Exception as exc:
            log.exception("lipsync analysis failed")
            self.state.conn.send_error(ErrorCode.INTERNAL, f"lip sync analysis failed: {exc}", utt.reply_to)
            self._cancel(utt, "error", utt.reply_to)
            self._flush(None)
            return
        utt.ready.extend(clauses)
        note = stream.take_transcript_note()
        if note is not None:   # never a silent fall-back (PROTOCOL.md, warning codes)
            self.state.conn.send(m.Warning(reply_to=utt.reply_to, utt=utt.utt,
                                           code=WarningCode.TRANSCRIPT_NOT_USED.value, message=note))
        if stream.done:
            utt.clauses_pending = 0
        self._lipsync_kick(utt)
        self.state.wake.set()


