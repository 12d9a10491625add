"""Audio-driven lip sync: speech FacePlex did not make, streamed in by the client, becomes an
utterance whose audio is the client's (resampled to the session rate and sent back as ``audio``)
and whose face comes from PocketSphinx phone timing.

Streaming with a bounded look-ahead (PROTOCOL.md §11): the input is kept at 16 kHz for analysis
and at the output rate for playback. Each analysis step (on the default executor, off the event
loop) commits the audio up to ``received - lookahead`` (everything once ``final``):

- with a transcript: the next words are found with a grammar that accepts any prefix of the
  transcript's remaining words; the words that end before the commit point are force-aligned
  (phones) and committed. A word still running at the commit point waits (at most
  :data:`MAX_WINDOW_S` of audio, after which the window is committed by phone recognition).
- without one: phone recognition over the new audio (plus :data:`CONTEXT_S` of context); phones
  ending before the commit point are committed.

Each commit is a :class:`~faceplex.bridge.utterance.Clause`, placed on the timeline like a
synthesized clause; when the input runs slower than real time the session fills the gap with
silence before the client would underrun, so the face never runs ahead of its audio.
"""

from __future__ import annotations

import threading
from typing import Optional

import numpy as np
import soxr

from faceplex.models.face.visemes import viseme_for
from faceplex.models.speech.align import ALIGN_RATE, AlignedPhone, aligner, to_chunk

from .listener import to_mono_float
from .utterance import Clause, TimedMark

CONTEXT_S = 0.5
MAX_WINDOW_S = 3.0
MIN_STEP_S = 0.08
#: One lipsync utterance holds at most this much audio (the daemon keeps it for analysis).
MAX_LIPSYNC_SECONDS = 120


class LipsyncStream:
    """Input audio of one lipsync utterance and its committed analysis."""

    def __init__(self, out_rate: int, lookahead_ms: int, text: Optional[str]):
        self.out_rate = out_rate
        self.lookahead16 = lookahead_ms * ALIGN_RATE // 1000
        self.text = text or ""
        self.words_left: Optional[list[str]] = None   # filled by the first analysis (dictionary words)
        self._fmt = None
        self._rs16 = self._rs_out = None
        self.a16 = np.zeros(0, dtype=np.int16)
        self.aout = np.zeros(0, dtype=np.int16)
        self.committed16 = 0
        self.committed_out = 0
        self.final = False
        self.lock = threading.Lock()
        self.busy = False

    @property
    def seconds(self) -> float:
        return len(self.a16) / ALIGN_RATE

    @property
    def done(self) -> bool:
        return self.final and self.committed16 >= len(self.a16)

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
            self.a16 = np.concatenate([self.a16, _i16(self._rs16.resample_chunk(x, last=final))])
            self.aout = np.concatenate([self.aout, _i16(self._rs_out.resample_chunk(x, last=final))])
            self.final = self.final or final

    def wants_step(self) -> bool:
        return not self.busy and (self.final and not self.done or
                                  len(self.a16) - self.lookahead16 - self.committed16 >= MIN_STEP_S * ALIGN_RATE)

    # ------------------------------------------------------------------ analysis (worker thread)
    def step(self) -> list[Clause]:
        """Commit what the look-ahead allows; returns the new clauses (possibly none)."""
        with self.lock:
            a16, final = self.a16, self.final
            n_out = len(self.aout)
        n = len(a16)
        limit = n if final else n - self.lookahead16
        # the output-rate audio may lag by the resampler's delay: never commit past it
        limit = min(limit, n_out * ALIGN_RATE // self.out_rate if not final else n)
        c = self.committed16
        if limit <= c:
            return []
        al = aligner()
        if self.words_left is None:
            self.words_left = al.known_words(self.text)
        if self.words_left:
            end, phones, words = self._step_text(al, a16, c, limit, final)
        else:
            end, phones, words = self._step_phones(al, a16, c, limit, final)
        if end <= c:
            return []
        return [self._commit(a16, c, end, phones, words, final and end >= n)]

    def _step_phones(self, al, a16, c, limit, final):
        w0 = max(0, c - int(CONTEXT_S * ALIGN_RATE))
        phones = [AlignedPhone(p.phone, p.start + w0, p.end + w0) for p in al.recognize(a16[w0:len(a16)])]
        if final:
            return limit, [p for p in phones if p.end > c], []
        end = c
        for p in phones:
            if p.end <= limit:
                end = max(end, p.end)
        if end <= c and limit - c > MAX_WINDOW_S * ALIGN_RATE:
            end = limit
        return end, [p for p in phones if p.end > c and p.start < end], []

    def _step_text(self, al, a16, c, limit, final):
        window = a16[c:len(a16)]
        if final:
            phones, words = al.align(window, " ".join(self.words_left))
            self.words_left = []
            return limit, _shift(phones, c), [(w, s + c, e + c) for w, s, e in words]
        hyp = al.prefix_words(window, self.words_left)   # [(word, start, end)] relative to c
        done = [(w, s, e) for w, s, e in hyp if e + c <= limit]
        if len(done) == len(hyp) and hyp:
            done = done[:-1]     # the last word may still be running: it waits
        if not done:
            if not hyp and limit - c > 0.5 * ALIGN_RATE:   # no word yet: silence, commit it
                return limit - int(0.2 * ALIGN_RATE), [], []
            if limit - c > MAX_WINDOW_S * ALIGN_RATE:
                return self._step_phones(al, a16, c, limit, False)
            return c, [], []
        end = done[-1][2] + c
        words = [w for w, _, _ in done]
        phones, wts = al.align(a16[c:end], " ".join(words))
        self.words_left = self.words_left[len(words):]
        return end, _shift(phones, c), [(w, s + c, e + c) for w, s, e in wts]

    def _commit(self, a16, c, end, phones, words, last) -> Clause:
        rel = [AlignedPhone(p.phone, p.start - c, p.end - c) for p in phones]
        chunk = to_chunk(a16[c:end], rel, [(w, s - c, e - c) for w, s, e in words], self.text)
        o0 = self.committed_out
        with self.lock:
            o1 = len(self.aout) if last else min(len(self.aout), end * self.out_rate // ALIGN_RATE)
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
