"""Audio-driven lip sync: speech FacePlex did not make, streamed in by the client, becomes an
utterance whose audio is the client's (resampled to the session rate and sent back as ``audio``)
and whose face comes from PocketSphinx phone timing.

Streaming with a bounded look-ahead (PROTOCOL.md §11): the input is kept at 16 kHz for analysis
and at the output rate for playback. Each analysis step (scheduled round-robin across sessions by
:mod:`faceplex.bridge.listening.analysis`, PocketSphinx in its worker process, off the event loop and off
the interpreter lock) commits audio up to the *commit point* ``received - lookahead``
(``received``: input audio that has arrived, counted at the input rate; everything once
``final``), and never more than :data:`STEP_MAX_S` past the committed audio, however fast the
input came (so a step's cost is bounded: 10 minutes sent at once are many short steps):

- with a transcript (accurate, word level): the next words are found with a grammar that accepts
  any prefix of the transcript's remaining words; the words that end before the commit point are
  force-aligned (phones) and committed. A word still running at the commit point waits (at most
  :data:`MAX_WINDOW_S` of audio, after which the window is committed by phone recognition). The
  utterance starts once :data:`TEXT_PREROLL_S` is committed, which absorbs the word waits.
  Where PocketSphinx stumbles, the tracker keeps its place rather than fall back (issue 23): a
  step whose window lost the grammar's path keeps the previous step's hypothesis from the same
  commit point (no resync), a grammar that finds none of the next words is followed by a forced
  alignment of the window to the next words when they account for all its speech, and a segment
  that does not align on its own is aligned with its neighbouring word as context.
- without one (phone recognition): each step recognises a bounded window (:data:`CONTEXT_S` of
  already committed context + the new audio + the look-ahead) and commits exactly up to the commit
  point, rounded down to whole ``audio`` chunks of the session (the phone running there is cut;
  its rest is recognised again with the next step), at least :func:`step_chunks` chunks per step.
  The commit lag is therefore bounded: look-ahead + one step + the analysis time; the utterance
  starts with its first commit (:func:`preroll_samples`), and the ``lead_ms`` the daemon sends
  ahead absorbs the lag's jitter, so real-time input plays without gaps.

Each commit is a :class:`~faceplex.bridge.timeline.utterance.Clause`, placed on the timeline like a
synthesized clause; when the input runs slower than real time the session fills the gap with
silence before the client would underrun, so the face never runs ahead of its audio.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from typing import Optional

import numpy as np
import soxr

from faceplex.models.face.visemes import viseme_for
from faceplex.models.speech.align import ALIGN_RATE, AlignedPhone, aligner, to_chunk

from faceplex.bridge.listening.listener import to_mono_float
from faceplex.bridge.timeline.utterance import Clause, TimedMark

log = logging.getLogger("faceplex.lipsync")

#: Already committed audio re-analysed before new audio (phone recognition): the decoder's
#: left context. Phone recognition costs ~33 ms per second of audio on one core (measured).
CONTEXT_S = 0.3
MAX_WINDOW_S = 3.0
#: One step commits at most this much new audio (16 kHz seconds), so it analyses at most
#: CONTEXT_S + STEP_MAX_S + the look-ahead: with a transcript a word waits at most MAX_WINDOW_S,
#: which must fit in one step.
STEP_MAX_S = MAX_WINDOW_S
STEP16 = int(STEP_MAX_S * ALIGN_RATE)
#: With a transcript: a step runs once this much new audio can be committed.
MIN_STEP_S = 0.08
#: With a transcript, the utterance starts once this much is committed: the commits wait for
#: the word running at the commit point to end, and the pre-roll absorbs that.
TEXT_PREROLL_S = 0.6
#: Phone recognition: jitter of the commit lag (analysis time, scheduling) that the pre-roll
#: plus ``lead_ms`` must absorb (see :func:`preroll_samples`).
JITTER_S = 0.04
#: The face's hold (s): a lipsync utterance's audio, and the frames sent with it, go out only while
#: this much committed audio lies past them (until the stream is done), so the animator knows the
#: next commit's phones before it returns a frame: the mouth's 20 ms lead and the jaw's +-30 ms
#: smoothing then hold across commit boundaries (issue 23). Measured on bench_lipsync's lipsync
#: lines streamed step by step (espeak-ng and flite): the jaw's largest step per 60 fps frame
#: 0.47 without a hold, 0.21 at 50 ms, 0.16 at 70 ms, 0.15 at 100 ms. Its cost: this much more
#: latency from lipsync input to face and audio (the pre-roll grows by it). When the client
#: would underrun the hold gives way (audio that is ready is sent rather than silence).
FACE_HOLD_S = 0.08
#: One lipsync utterance holds at most this much audio (the daemon keeps it for analysis).
MAX_LIPSYNC_SECONDS = 120

_warm = threading.Lock()
_warm_future: Optional[Future] = None


def warm_up(wait: bool = False) -> None:
    """Start the analysis worker process (:mod:`faceplex.bridge.listening.analysis`), which loads every
    PocketSphinx decoder, once per process (the daemon starts it before its ready line, so no
    session's first ``say`` or ``lipsync`` competes with the load). ``wait``: block until loaded."""
    global _warm_future
    from faceplex.bridge.listening.analysis import analysis_pool

    with _warm:
        if _warm_future is None:
            _warm_future = analysis_pool().start()
        fut = _warm_future
    if wait:
        fut.result()


def step_chunks(lookahead_ms: int, chunk_ms: int) -> int:
    """Phone recognition: whole ``audio`` chunks committed per step, at least half the look-ahead.

    Each step re-analyses ``CONTEXT_S`` + the step + the look-ahead, so the CPU per second of
    audio is ``(CONTEXT_S + step + lookahead) / step`` times the recognition cost: a long
    look-ahead takes longer steps (200 ms: 2 chunks of 40 ms), a short one the shortest (1 chunk)."""
    return max(1, -(-lookahead_ms // (2 * max(1, chunk_ms))))


def preroll_samples(text: bool, lookahead_ms: int, chunk_ms: int, lead_ms: int, out_rate: int) -> int:
    """Committed output samples a lipsync utterance gathers before it starts (PROTOCOL.md §11).

    With a transcript: :data:`TEXT_PREROLL_S` (commits wait for word ends). Phone recognition:
    commits trail the input by a bounded lag (look-ahead + one step + analysis time) that stays
    about constant, so the utterance starts with its first commit; the daemon places it at its
    lead horizon, ``lead_ms`` ahead of its clock, and fills silence only once less than
    ``max(chunk_ms, lead_ms / 2)`` is left (``Session._produce``), so commits may come up to
    ``lead_ms - max(chunk_ms, lead_ms / 2)`` late without a gap. The pre-roll covers what that
    slack does not: one step + :data:`JITTER_S` beyond it (5 ms with the defaults, less than the
    first commit). Both get the face's hold, :data:`FACE_HOLD_S`, on top."""
    hold = int(FACE_HOLD_S * out_rate)   # the face's hold comes on top (FACE_HOLD_S)
    if text:
        return int(TEXT_PREROLL_S * out_rate) + hold
    step_ms = step_chunks(lookahead_ms, chunk_ms) * chunk_ms
    need_ms = step_ms + JITTER_S * 1000 + max(chunk_ms, lead_ms / 2) - lead_ms
    return max(0, int(need_ms * out_rate // 1000)) + hold


class LipsyncStream:
    """Input audio of one lipsync utterance and its committed analysis.

    ``chunk_out`` (the session's ``audio`` chunk in output samples) and ``align_offset`` (silence
    the session inserted into the utterance, modulo a chunk) are kept current by the session:
    phone-recognition commits end on the session's chunk boundaries, so each commit is sent at
    once rather than waiting for the next one to complete a chunk."""

    def __init__(self, out_rate: int, lookahead_ms: int, text: Optional[str], chunk_ms: int = 40):
        self.out_rate = out_rate
        self.lookahead_ms = lookahead_ms
        self.lookahead16 = lookahead_ms * ALIGN_RATE // 1000
        self.text = text or ""
        self.words_left: Optional[list[str]] = None   # filled by the first analysis (dictionary words)
        self._fmt = None
        self._rs16 = self._rs_out = None
        self._a16 = _Buffer()
        self._aout = _Buffer()
        self.received = 0          # input frames pushed (at the input rate)
        self.committed16 = 0
        self.committed_out = 0
        self.final = False
        self.lock = threading.Lock()
        self.busy = False
        self.chunk_ms = chunk_ms
        self.chunk_out = max(1, chunk_ms * out_rate // 1000)
        self.align_offset = 0
        self._idle_at = -1         # ``received`` when a step last committed nothing
        #: The word tracker's last non-empty hypothesis ``(committed16, [(word, start, end)],
        #: window length)`` (relative to that commit point, 16 kHz samples), and the last
        #: committed word ``(word, start16)``.
        self._last_hyp: Optional[tuple[int, list, int]] = None
        self._prev_word: Optional[tuple[str, int]] = None
        #: Why (part of) the transcript could not be used, once: the session sends it as
        #: ``warning {code: transcript_not_used}`` (never a silent fall-back to recognition).
        self.transcript_note: Optional[str] = None
        self._note_taken = False
        #: Instrumentation: per step ``(analysis_s, committed_ms, commit_lag_ms)``; lag = input
        #: received minus committed, when the step ended.
        self.step_log: list[tuple[float, float, float]] = []

    @property
    def a16(self) -> np.ndarray:
        """The input at 16 kHz so far, ``(N,) int16`` (a view: later pushes never change it)."""
        return self._a16.view()

    @property
    def aout(self) -> np.ndarray:
        """The input at the output rate so far, ``(N,) int16``."""
        return self._aout.view()

    @property
    def pending_seconds(self) -> float:
        """Input held but not yet committed (seconds)."""
        return max(0, len(self._a16) - self.committed16) / ALIGN_RATE

    @property
    def seconds(self) -> float:
        return len(self.a16) / ALIGN_RATE

    @property
    def done(self) -> bool:
        return self.final and self.committed16 >= len(self.a16)

    @property
    def phone_mode(self) -> bool:
        """No usable transcript: phone recognition (known after the first step; a transcript
        with no dictionary word falls back to it)."""
        return not self.text or self.words_left == []

    def take_transcript_note(self) -> Optional[str]:
        """The ``transcript_not_used`` message, the first time there is one; None otherwise."""
        if self.transcript_note is None or self._note_taken:
            return None
        self._note_taken = True
        return self.transcript_note

    def _not_used(self, message: str) -> None:
        if self.transcript_note is None:
            self.transcript_note = message

    def set_chunk(self, chunk_ms: int, gap_samples: int) -> None:
        self.chunk_ms = chunk_ms
        self.chunk_out = max(1, chunk_ms * self.out_rate // 1000)
        self.align_offset = gap_samples % self.chunk_out

    def push(self, pcm: bytes, sample_rate: int, channels: int, final: bool) -> None:
        """Append a chunk (format already checked); the declared format must not change."""
        if self._fmt is None:
            self._fmt = (sample_rate, channels)
            self._rs16 = soxr.ResampleStream(sample_rate, ALIGN_RATE, 1, dtype="float32", quality="HQ")
            self._rs_out = soxr.ResampleStream(sample_rate, self.out_rate, 1, dtype="float32", quality="VHQ")
        elif self._fmt != (sample_rate, channels):
            raise ValueError(f"format changed from {self._fmt} to {(sample_rate, channels)} inside one utterance")
        x = to_mono_float(pcm, channels)
        with self.lock:
            self._a16.append(_i16(self._rs16.resample_chunk(x, last=final)))
            self._aout.append(_i16(self._rs_out.resample_chunk(x, last=final)))
            self.received += len(x)
            self.final = self.final or final

    def _limit16(self, n16: int, n_out: int, final: bool) -> int:
        """The commit point in 16 kHz samples, never past the analysed audio nor the output-rate
        audio (each resampler withholds ~30 ms of its input). Phone recognition: input received
        minus the look-ahead (the recogniser sees look-ahead - ~30 ms past it). With a
        transcript: the analysed audio minus the look-ahead (the word decisions keep the whole
        look-ahead of right context, as before the low-latency mode)."""
        if final:
            return n16
        if self.phone_mode:
            received16 = self.received * ALIGN_RATE // self._fmt[0] if self._fmt else 0
            base = received16
        else:
            base = n16
        return min(base - self.lookahead16, n16, n_out * ALIGN_RATE // self.out_rate)

    def _phone_target(self, n16: int, n_out: int, final: bool) -> Optional[tuple[int, int]]:
        """Phone recognition: the next commit ``(end16, end_out)`` on a chunk boundary, at least
        one step past the committed audio; None if not yet."""
        if final and n16 - self.committed16 <= STEP16:
            return (n16, n_out) if self.committed16 < n16 else None
        lim_out = self._limit16(n16, n_out, False) * self.out_rate // ALIGN_RATE
        lim_out = min(lim_out, self.committed_out + int(STEP_MAX_S * self.out_rate))
        L, off = self.chunk_out, self.align_offset
        end_out = (lim_out + off) // L * L - off
        if end_out - self.committed_out < step_chunks(self.lookahead_ms, self.chunk_ms) * L:
            return None
        return end_out * ALIGN_RATE // self.out_rate, end_out

    def wants_step(self) -> bool:
        if self.busy:
            return False
        if self.final:
            return not self.done
        if self.received == self._idle_at:
            return False    # the last step committed nothing (a word waits): wait for more audio
        with self.lock:
            n16, n_out = len(self.a16), len(self.aout)
        if self.phone_mode:
            return self._phone_target(n16, n_out, False) is not None
        return self._limit16(n16, n_out, False) - self.committed16 >= MIN_STEP_S * ALIGN_RATE

    # ------------------------------------------------------------------ analysis (worker thread)
    def step(self, al=None) -> list[Clause]:
        """Commit what the look-ahead allows, at most :data:`STEP_MAX_S`; returns the new clauses
        (possibly none). ``al``: the aligner (the analysis worker's
        :class:`~faceplex.bridge.listening.analysis.RemoteAligner`; default: this thread's own, in-process)."""
        t0 = time.perf_counter()
        with self.lock:
            a16, final = self.a16, self.final
            n_out = len(self.aout)
            received = self.received
        n = len(a16)
        c = self.committed16
        al = al if al is not None else aligner()
        if self.words_left is None:
            self.words_left = al.known_words(self.text) if self.text else []
            if self.text and not self.words_left:
                self._not_used(NO_DICTIONARY_WORD)
        end_out = None
        if self.words_left:
            limit = self._limit16(n, n_out, final)
            if limit <= c:
                self._idle_at = received
                return []
            capped = limit > c + STEP16
            limit = min(limit, c + STEP16)
            end, phones, words = self._step_text(al, a16, c, limit, final and not capped)
        else:
            target = self._phone_target(n, n_out, final)
            if target is None:
                return []
            end, end_out = target
            phones, words = self._step_phones(al, a16, c, end, final and end >= n), []
        if end <= c:
            self._idle_at = received
            return []
        clause = self._commit(a16, c, end, phones, words, final and end >= n, end_out)
        dt = time.perf_counter() - t0
        rate_in = self._fmt[0]
        self.step_log.append((dt, 1000 * end / ALIGN_RATE, 1000 * (received / rate_in - end / ALIGN_RATE)))
        if log.isEnabledFor(logging.DEBUG):
            log.debug("lipsync step %.1f ms: committed to %.0f ms, %.0f ms behind the input",
                      *(1000 * dt, *self.step_log[-1][1:]))
        return [clause]

    def _step_phones(self, al, a16, c, end, final):
        """Phones of ``[c, end)`` from a bounded window: CONTEXT_S before ``c`` to the look-ahead
        past ``end`` (the phone running at ``end`` is cut there)."""
        w0 = max(0, c - int(CONTEXT_S * ALIGN_RATE))
        w1 = len(a16) if final else min(len(a16), end + self.lookahead16)
        phones = [AlignedPhone(p.phone, p.start + w0, p.end + w0) for p in al.recognize(a16[w0:w1])]
        return [p for p in phones if p.end > c and p.start < end]

    def _step_text(self, al, a16, c, limit, final):
        # the words up to the commit point, with the look-ahead of right context past it
        window = a16[c:len(a16)] if final else a16[c:min(len(a16), limit + self.lookahead16)]
        if final:
            phones, words = al.align(window, " ".join(self.words_left))
            if not words:
                phones, words = self._align_in_context(al, a16, c, len(a16), self.words_left)
            if not words:
                self._not_used(_span_note("could not be aligned", c, len(a16)))
            self.words_left = []
            return limit, _shift(phones, c), [(w, s + c, e + c) for w, s, e in words]
        hyp = al.prefix_words(window, self.words_left)   # [(word, start, end)] relative to c
        running = True   # the last hypothesised word may still be running
        if hyp:
            self._last_hyp = (c, hyp, len(window))
        elif (self._last_hyp is not None and self._last_hyp[0] == c
              and [w for w, _, _ in self._last_hyp[1]] == self.words_left[:len(self._last_hyp[1])]):
            # An earlier step found the next words from this commit point, and this window's
            # tail (a word cut at its end) lost the grammar's path: keep the earlier hypothesis
            # rather than resync. Seen (flite "Please remember ..."): "please" found for ten
            # steps, then not; the resync skipped three words and the line's words and p/b/m
            # went to the wrong audio. Its last word had ended if it ended clearly before that
            # window's end (else it waited for good: espeak-ng's "at" before "midnight").
            _, hyp, n_old = self._last_hyp
            running = hyp[-1][2] > n_old - int(STALE_END_S * ALIGN_RATE)
        if not hyp and limit - c > 0.5 * ALIGN_RATE:
            hyp = self._resync(al, window)
            if hyp:
                self._last_hyp = (c, hyp, len(window))
        if not hyp and limit - c > 0.5 * ALIGN_RATE and not _quiet(a16[c:limit - int(0.2 * ALIGN_RATE)]):
            hyp = self._align_next(al, window)
            running = False
        done = [(w, s, e) for w, s, e in hyp if e + c <= limit]
        if len(done) == len(hyp) and hyp and running:
            done = done[:-1]     # the last word may still be running: it waits
        if not done:
            if not hyp and limit - c > 0.5 * ALIGN_RATE:
                end = limit - int(0.2 * ALIGN_RATE)
                if _quiet(a16[c:end]):   # no word yet: silence, commit it
                    return end, [], []
                # Speech that matches none of the next words (a word the decoder missed, or
                # speech off the transcript): its phones, so the mouth keeps moving with it.
                self._not_used(_span_note("matched none of the next transcript words", c, end))
                return end, self._step_phones(al, a16, c, end, False), []
            if limit - c >= MAX_WINDOW_S * ALIGN_RATE:   # no word ends in 3 s: commit by phones
                self._not_used(_span_note("held no word end in 3 s", c, limit))
                return limit, self._step_phones(al, a16, c, limit, False), []
            return c, [], []
        end = done[-1][2] + c
        words = [w for w, _, _ in done]
        phones, wts = al.align(a16[c:end], " ".join(words))
        if not wts:
            nxt = hyp[len(done)] if len(hyp) > len(done) else None
            phones, wts = self._align_in_context(al, a16, c, end, words, nxt)
        if not wts:
            self._not_used(_span_note("could not be aligned", c, end))
        self.words_left = self.words_left[len(words):]
        if wts:
            self._prev_word = (wts[-1][0], wts[-1][1] + c)
        return end, _shift(phones, c), [(w, s + c, e + c) for w, s, e in wts]

    def _align_in_context(self, al, a16, c, end, words, nxt=None):
        """Forced alignment of ``a16[c:end]`` to ``words`` once more, with a neighbouring word as
        context: the next hypothesised word ``nxt`` (``(word, start, end)`` relative to ``c``) and
        its audio after ``end``, else the last committed word and its audio before ``c``, else
        both. Returns ``(phones, words)`` relative to ``c``, cut to ``[0, end - c)``, or
        ``([], [])``. A segment cut at a word boundary can fail to align on its own (seen:
        espeak-ng's "remember" between "please" and "to", whose p/b/m then went to phone
        recognition; with "to" after it, it aligns)."""
        n = end - c
        left = self._prev_word if self._prev_word is not None and 0 <= c - self._prev_word[1] <= MAX_WINDOW_S * ALIGN_RATE \
            else None
        tries = []
        if nxt is not None:
            tries.append((None, nxt))
        if left is not None:
            tries.append((left, None))
            if nxt is not None:
                tries.append((left, nxt))
        for lw, rw in tries:
            p0 = lw[1] if lw else c
            p1 = c + rw[2] if rw else end
            text = ([lw[0]] if lw else []) + words + ([rw[0]] if rw else [])
            phones, wts = al.align(a16[p0:p1], " ".join(text))
            if len(wts) != len(text):
                continue
            d = p0 - c
            wts = wts[1:] if lw else wts
            wts = [(w, max(s + d, 0), min(e + d, n)) for w, s, e in wts[:len(words)]]
            phones = [AlignedPhone(p.phone, max(p.start + d, 0), min(p.end + d, n)) for p in phones
                      if p.end + d > 0 and p.start + d < n]
            return phones, wts
        return [], []

    def _align_next(self, al, window) -> list:
        """The word tracker found none of the next words (the prefix grammar kept only silence,
        seen on espeak-ng's "at midnight" at a line's end): force-align the window to the next
        1..:data:`RESYNC_WORDS` words and keep the first alignment whose words are followed by
        quiet audio to the window's end (so they are all the window's speech and the last one has
        ended); ``[(word, start, end)]`` relative to the window, or ``[]``."""
        for k in range(1, min(RESYNC_WORDS, len(self.words_left)) + 1):
            _, wts = al.align(window, " ".join(self.words_left[:k]))
            if len(wts) == k and len(window) - wts[-1][2] >= 0.05 * ALIGN_RATE and _quiet(window[wts[-1][2]:]):
                return wts
        return []

    def _resync(self, al, window) -> list:
        """The word tracker lost its place (the next transcript word is not found, e.g. PocketSphinx
        missed a reduced "of"): look for the words after the next :data:`RESYNC_WORDS` and skip
        the ones passed. Without this the tracker waited for the missed word for good and the rest
        of the line got no words (seen: a line's words stopped after "map" in "map of Bombay")."""
        for skip in range(1, RESYNC_WORDS + 1):
            if skip >= len(self.words_left):
                break
            hyp = al.prefix_words(window, self.words_left[skip:])
            if hyp:
                self.words_left = self.words_left[skip:]
                return hyp
        return []

    def _commit(self, a16, c, end, phones, words, last, end_out=None) -> Clause:
        rel = [AlignedPhone(p.phone, p.start - c, p.end - c) for p in phones]
        chunk = to_chunk(a16[c:end], rel, [(w, s - c, e - c) for w, s, e in words], self.text,
                         context16=a16, offset16=c)   # stress judged with the look-ahead's audio
        o0 = self.committed_out
        with self.lock:
            o1 = len(self.aout) if last else min(len(self.aout), end_out if end_out is not None
                                                 else end * self.out_rate // ALIGN_RATE)
            pcm = self.aout[o0:o1].copy()
        ratio = (o1 - o0) / max(1, end - c)

        def scale(x: int) -> int:
            return min(o1 - o0, int(round(x * ratio)))

        marks = [TimedMark("word", scale(w.start), scale(w.end), w.text) for w in chunk.words]
        marks += [TimedMark("phoneme", scale(p.start), scale(p.end), p.phoneme, viseme_for(p.phoneme))
                  for p in chunk.phonemes]
        marks = [mk for mk in marks if mk.end > mk.start]
        marks.sort(key=lambda mk: (mk.start, mk.kind != "word"))
        self.committed16, self.committed_out = end, o1
        return Clause(chunk=chunk, pcm=pcm, marks=marks)


class _Buffer:
    """A growing ``int16`` array (amortised doubling): appending 20 s in 40 ms chunks copied the
    whole recording on every chunk, on the event loop."""

    def __init__(self) -> None:
        self._a = np.zeros(4096, dtype=np.int16)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, x: np.ndarray) -> None:
        n = self._n + len(x)
        if n > len(self._a):
            a = np.zeros(max(n, 2 * len(self._a)), dtype=np.int16)
            a[:self._n] = self._a[:self._n]
            self._a = a
        self._a[self._n:n] = x
        self._n = n

    def view(self) -> np.ndarray:
        return self._a[:self._n]


#: Transcript words the tracker may skip to find its place again (``LipsyncStream._resync``).
RESYNC_WORDS = 3
#: A kept hypothesis's last word (``LipsyncStream._step_text``) had ended if it ended at least
#: this long (s) before the end of the window it was found in: 100 ms, ten decoder frames.
STALE_END_S = 0.1
#: Audio whose 20 ms RMS stays below this (int16 units; -40 dBFS) is silence for the word tracker.
QUIET_RMS = 328


def _quiet(a16: np.ndarray) -> bool:
    """True when no 20 ms frame of ``a16`` (16 kHz int16) reaches :data:`QUIET_RMS`."""
    n = len(a16) // 320 * 320
    if n == 0:
        return True
    frames = a16[:n].astype(np.float32).reshape(-1, 320)
    return float(np.sqrt((frames ** 2).mean(axis=1)).max()) < QUIET_RMS


#: ``transcript_not_used`` message for a transcript with no word in PocketSphinx's dictionary.
NO_DICTIONARY_WORD = ("no word of the transcript is in PocketSphinx's English dictionary: "
                      "phone recognition used instead")


def _span_note(what: str, start16: int, end16: int) -> str:
    """``transcript_not_used`` message for the audio ``[start16, end16)`` (16 kHz samples)."""
    return (f"the audio from {start16 / ALIGN_RATE:.2f} s to {end16 / ALIGN_RATE:.2f} s {what}: "
            "phone recognition used there instead of the transcript")


def transcript_not_used(text: Optional[str], words: list) -> Optional[str]:
    """Offline (bake): the ``transcript_not_used`` message when ``text`` was given but gave no
    word (``words``: the aligned words), else None."""
    if not text:
        return None
    if not aligner().known_words(text):
        return NO_DICTIONARY_WORD
    return "the transcript could not be aligned to the audio: phone recognition used instead" if not words else None


def _shift(phones, c):
    return [AlignedPhone(p.phone, p.start + c, p.end + c) for p in phones]


def _i16(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16)


def analyse_file(audio: np.ndarray, rate: int, text: Optional[str]) -> tuple[np.ndarray, object]:
    """Offline (``faceplex say --audio``): the whole recording at once -> (16 kHz int16, SpeechChunk)."""
    a16 = _i16(soxr.resample(audio.astype(np.float32) / 32768.0, rate, ALIGN_RATE, quality="VHQ"))
    al = aligner()
    if text and al.known_words(text):
        phones, words = al.align(a16, text)
    else:
        phones, words = al.recognize(a16), []
    return a16, to_chunk(a16, phones, words, text or "")
