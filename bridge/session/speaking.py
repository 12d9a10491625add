"""The speaking side of a session: ``say`` text -> clauses -> synthesis jobs -> placed pieces.

In: ``say`` messages (new utterances and appends). Out: :class:`~faceplex.bridge.timeline.utterance.Utterance`
objects on the shared queue whose decoded pieces are ready to place (or placed, once the utterance
plays; the animator sees each at once, contract 3). One clause at a time per session goes to the
daemon's earliest-deadline-first scheduler (:mod:`faceplex.bridge.speaking.synthesis`), each with
the wall time by which its next piece must be decoded.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Callable, Optional

from faceplex.models.speech.language import language_mismatch, language_warning
from faceplex.models.speech.catalog import InvalidVoice, UnknownVoice
from faceplex.models.speech.contract import ClauseSynthesis, SpeechEngine
from faceplex.models.speech.text import is_speakable, split_head
from faceplex.protocol import messages as m
from faceplex.protocol.errors import ErrorCode, ProtocolError

from faceplex.bridge.session.limits import (MAX_APPENDS_PER_S, MAX_PENDING_CHARS, MAX_QUEUED_UTTERANCES,
                                            MAX_SESSION_PENDING_CHARS, MAX_TEXT_CHARS, RateBucket)
from faceplex.bridge.session.state import SessionState
from faceplex.bridge.timeline.preroll import PIECE_S, may_start
from faceplex.bridge.speaking.synthesis import SynthesisJob, SynthesisScheduler, estimate_seconds, now_s, split_long
from faceplex.bridge.timeline.utterance import PieceResampler, Utterance

log = logging.getLogger("faceplex.session")

#: An appended utterance's language is checked once this much text arrived (or at ``final``).
LANGUAGE_CHECK_CHARS = 80
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class SpeakingSide:
    """``say``/append/cancel of synthesized speech for one session.

    Args:
        state: the session's shared timeline and queue.
        voices: name -> loaded :class:`~faceplex.models.speech.contract.SpeechEngine` (shared across sessions).
        scheduler: the daemon's earliest-deadline-first synthesis runner (shared).
        flush: move the connection's messages to the outgoing queue (``Outgoing.flush``).
        cancel: stop an utterance at its cursor with ``utterance_cancelled`` (the coordinator's).
    """

    def __init__(self, state: SessionState, voices: dict[str, SpeechEngine], scheduler: SynthesisScheduler,
                 flush: Callable[[Optional[int]], None], cancel: Callable[[Utterance, str, Optional[str]], None]):
        self.state = state
        self.voices = voices
        self.scheduler = scheduler
        self._flush = flush
        self._cancel = cancel
        self._planned_end_s = 0.0  # wall time when the speech submitted so far should end
        self._synth_q: asyncio.Queue = asyncio.Queue()
        self._appends = RateBucket(MAX_APPENDS_PER_S, 2 * MAX_APPENDS_PER_S)

    def on_say(self, msg: m.Say) -> None:
        if _CONTROL_CHARS.search(msg.text):
            raise ProtocolError(ErrorCode.INVALID_FIELD, "say.text contains control characters (only tab and newline are allowed)", msg.id)
        if len(msg.text) > MAX_TEXT_CHARS:
            raise ProtocolError(ErrorCode.TEXT_TOO_LONG, f"text is {len(msg.text)} characters; the limit is {MAX_TEXT_CHARS}", msg.id)
        if msg.append and self._appends.take() > 0:
            raise ProtocolError(ErrorCode.RATE_LIMITED, f"more than {MAX_APPENDS_PER_S} say appends per second; "
                                "this fragment was not added (send fewer, longer fragments)", msg.id)
        if self.pending_chars() + len(msg.text) > MAX_SESSION_PENDING_CHARS:
            raise ProtocolError(ErrorCode.PENDING_TEXT_FULL, f"this session already has {self.pending_chars()} "
                                f"characters waiting to be spoken; the limit is {MAX_SESSION_PENDING_CHARS}", msg.id)
        if msg.append:
            utt = self.state.by_id.get(msg.utt)
            if utt is None or utt.final:
                raise ProtocolError(ErrorCode.UNKNOWN_UTTERANCE, f"no open utterance {msg.utt!r} to append to", msg.id)
            if utt.text_chars + len(msg.text) > MAX_PENDING_CHARS:
                raise ProtocolError(ErrorCode.TEXT_TOO_LONG, f"utterance {msg.utt!r} would exceed {MAX_PENDING_CHARS} characters", msg.id)
            self.add_text(utt, msg.text, msg.final)
            return
        if msg.utt in self.state.by_id:
            raise ProtocolError(ErrorCode.DUPLICATE_UTTERANCE, f"utterance {msg.utt!r} is already playing or queued", msg.id)
        if msg.final and not is_speakable(msg.text):
            raise ProtocolError(ErrorCode.EMPTY_TEXT, "say.text has nothing speakable", msg.id)
        # nil is the session's voice; "" is a malformed id (invalid_voice), not the default
        voice = msg.voice if msg.voice is not None else self.state.config.voice
        check_voice(self.voices, voice, msg.id)
        speed = self.state.config.speed
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
        if len(self.state.queue) > MAX_QUEUED_UTTERANCES:
            raise ProtocolError(ErrorCode.QUEUE_FULL, f"{MAX_QUEUED_UTTERANCES} utterances are already waiting", msg.id)
        style = msg.style
        utt = Utterance(utt=msg.utt, reply_to=msg.id, voice=voice, speed=speed,
                        expressiveness=style.expressiveness if style is not None else None,
                        emotion=style.emotion if style is not None else None,
                        emotion_intensity=style.emotion_intensity if style is not None else None)
        self.state.queue.append(utt)
        self.state.by_id[utt.utt] = utt
        self.add_text(utt, msg.text, msg.final)

    def pending_chars(self) -> int:
        """Characters of text in this session's open and queued utterances (PROTOCOL.md §8)."""
        return sum(u.text_chars for u in self.state.queue)

    def add_text(self, utt: Utterance, text: str, final: bool) -> None:
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
        """A warning for text that does not look like the voice's language; it is spoken anyway
        (models/speech/language.py; ~0.1 ms, the model was loaded before the ready line).
        English voices: ``language_not_supported`` (text that is not English), as before the
        cast; the other voices: ``text_language_mismatch`` (``language.language_mismatch``)."""
        language = getattr(self.voices[utt.voice], "language", "en-US")
        if language.startswith("en"):
            code, message = "language_not_supported", language_warning(utt.text, utt.voice)
        else:
            code, message = "text_language_mismatch", language_mismatch(utt.text, utt.voice, language)
        if message is not None:
            self.state.conn.send(m.Warning(reply_to=utt.reply_to, utt=utt.utt, code=code, message=message))

    async def synthesizer(self) -> None:
        """One clause at a time per session: a step-wise job on the shared scheduler whose
        pieces are placed (and handed to the animator) as each is decoded (contract 3)."""
        loop = asyncio.get_running_loop()
        while True:
            utt, (text, joins_next), deadline = await self._synth_q.get()
            if utt.utt not in self.state.by_id or self.state.by_id[utt.utt] is not utt:
                continue  # cancelled while waiting
            voice = self.voices[utt.voice]
            sr = voice.sample_rate
            stream = _PlacedStream(voice.stream(
                text, speed=utt.speed, seed=self.state.config.seed,
                trim_lead=int(SEAM_LEAD_S * sr) if utt.trim_next_lead else None,
                trim_tail=int(SEAM_TAIL_S * sr) if joins_next else None), self.state.sample_rate)
            done = loop.create_future()
            job = SynthesisJob(stream, self._next_deadline(utt, deadline), session=self.state.id,
                               on_result=lambda clause, utt=utt: self._on_piece(utt, clause),
                               on_done=lambda exc, f=done: f.done() or f.set_result(exc),
                               on_cancel=lambda f=done: f.done() or f.set_result(None),
                               piece_s=lambda clause: clause.pcm.shape[0] / self.state.sample_rate,
                               engine=getattr(voice, "engine", None) if stream.decoded_s is not None else None)
            utt.job, utt.job_done = job, done
            try:
                self.scheduler.submit_job(job)
            except RuntimeError:  # the daemon is shutting down
                return
            exc = await done
            utt.job = utt.job_done = None
            utt.trim_next_lead = joins_next
            if self.state.by_id.get(utt.utt) is not utt:
                continue  # cancelled meanwhile: its pieces were dropped
            if exc is not None:  # the voice failed on this text: report, cancel, keep serving
                log.error("synthesis failed on %r: %r", text, exc)
                self.state.conn.send_error(ErrorCode.SYNTHESIS_FAILED, f"the voice failed on {text!r}: {exc}", utt.reply_to)
                self._cancel(utt, "error", utt.reply_to)
                self._flush(None)
                continue
            utt.clauses_pending -= 1
            self.state.wake.set()

    def _on_piece(self, utt: Utterance, clause) -> None:
        """A decoded piece: place it now if its utterance plays (the animator sees it at once)."""
        if self.state.by_id.get(utt.utt) is not utt:
            return
        if not utt.started and utt.clauses_submitted - utt.clauses_pending == 0 and utt.head_total_s is None:
            utt.head_total_s = clause.chunk.total / clause.chunk.sample_rate
        if not utt.started:
            utt.head_ready_s += clause.chunk.num_samples / clause.chunk.sample_rate
        utt.ready.append(clause)
        if utt.started:
            self.state.place_ready(utt)
        if utt.job is not None:
            self.scheduler.reschedule(utt.job, self._next_deadline(utt, None))
        self.state.wake.set()

    def _next_deadline(self, utt: Utterance, planned: Optional[float]) -> float:
        """Wall time (``time.monotonic``) by which the next piece of ``utt`` must be decoded: its
        playback time - lead - the animator's look-ahead (contract 3). Before the utterance plays:
        now if it is next in the queue (with its ready audio's length added), else ``planned``.

        The look-ahead is not taken off an utterance that has not started: nothing of it plays
        yet, so nothing can run out. With it taken off, four sessions whose lines arrived 100-200
        ms apart had the later ones' first pieces served before the next piece of one that had
        started, which then had silence inserted (beside stress-ng 2 x 50 %)."""
        look = float(getattr(self.state.animator, "lookahead_s", 0.0) or 0.0)
        lead = self.state.config.lead_ms / 1000
        if utt.started:
            wall = self.state.t0_ns / 1e9 + utt.placed_end / self.state.sample_rate
            return wall - lead - look
        if self.state.queue and self.state.queue[0] is utt:
            return now_s() + sum(c.pcm.shape[0] for c in utt.ready) / self.state.sample_rate
        return planned if planned is not None else now_s()

    def stop(self, utt: Utterance) -> None:
        """Cancel/barge-in of ``utt`` (already taken off the queue): stop the clause in progress
        between steps and drop its state; with the queue empty, new speech is due at once."""
        if utt.job is not None:
            self.scheduler.cancel(utt.job)
        if utt.job_done is not None and not utt.job_done.done():
            utt.job_done.set_result(None)
        if not self.state.queue:
            self._planned_end_s = now_s()

    def close(self) -> None:
        """The session closes: stop every queued utterance's synthesis between steps, free its state."""
        for utt in list(self.state.queue):
            if utt.job is not None:
                self.scheduler.cancel(utt.job)

    def may_start(self, utt: Utterance) -> bool:
        """Whether synthesized ``utt`` may start now. Pre-roll from measured synthesis speed
        (``bridge.timeline.preroll``): a later start rather than silence inside the first sentence."""
        if utt.head_total_s is None:
            return True
        if utt.clauses_submitted - utt.clauses_pending >= utt.head_runs:
            return True  # the whole first sentence is decoded
        remaining = max(0.0, utt.head_total_s + utt.head_rest_s - utt.head_ready_s)
        job = utt.job
        nxt = job.stream.stream.next_piece_samples if job is not None else None
        jobs = self.scheduler.jobs_in_flight()
        if job is not None and job.engine is not None:
            # A one-pass engine (Kokoro) decodes a whole run before any of it plays: foresee the
            # rest of the first sentence as one piece, at that engine's own decode speed (the
            # decoded run's pieces are handed out in the next steps at no cost, so ``ready``
            # catches up with them at once).
            return may_start(utt.head_ready_s, remaining, self.scheduler.speed_per_job(jobs, job.engine),
                             self.state.config.lead_ms / 2000, remaining,
                             pieces_ready=len(utt.ready), contended=jobs > self.scheduler.workers)
        return may_start(utt.head_ready_s, remaining, self.scheduler.speed_per_job(jobs), self.state.config.lead_ms / 2000,
                         nxt / self.voices[utt.voice].sample_rate if nxt else PIECE_S,
                         pieces_ready=len(utt.ready), contended=jobs > self.scheduler.workers)


def voice_catalog(voices) -> list[m.VoiceInfo]:
    """``welcome.voice_catalog``: one entry per id of ``welcome.voices`` (sorted), same order.
    A registry (``catalog.VoiceRegistry``) knows its voices; a plain dict of Piper voices is
    described from them (language from the voice if it says, else en-US)."""
    info = getattr(voices, "info", None)
    out = []
    for vid in sorted(voices):
        if info is not None:
            out.append(m.VoiceInfo(**info(vid).to_dict()))
        else:
            v = voices[vid]
            out.append(m.VoiceInfo(id=vid, language=getattr(v, "language", "en-US"), sample_rate=int(v.sample_rate),
                                   engine=getattr(v, "engine", "piper")))
    return out


def check_voice(voices, vid: str, reply_to: Optional[str], unknown: ErrorCode = ErrorCode.UNKNOWN_VOICE,
                prefix: str = "") -> None:
    """Raise ProtocolError unless ``vid`` is an installed voice or a valid blend of them
    (``models/speech/catalog.VoiceRegistry``): ``invalid_voice`` for a malformed blend or one
    mixing languages, ``unknown`` naming the installed voices otherwise."""
    if vid in voices:
        return
    try:
        voices[vid]  # a registry resolves blend ids (cached); a plain dict raises KeyError
    except InvalidVoice as exc:
        raise ProtocolError(ErrorCode.INVALID_VOICE, f"{prefix}{exc}", reply_to) from None
    except KeyError as exc:
        text = str(exc) if isinstance(exc, UnknownVoice) else f"voice {vid!r} is not one of {sorted(voices)}"
        raise ProtocolError(unknown, f"{prefix}{text}", reply_to) from None


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

    @property
    def decoded_s(self) -> Optional[float]:
        """A one-pass engine's audio decoded in the last step (``KokoroStream.decoded_s``), else None."""
        return getattr(self.stream, "decoded_s", None)

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
