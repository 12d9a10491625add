"""An utterance's audio and marks, placed clause by clause on the session timeline.

Speech arrives from the voice as clauses at the voice's rate; :func:`resample_clause` turns each
into output-rate PCM with its phoneme and word marks in output samples. :class:`Utterance` holds
what is ready, places clauses contiguously on the timeline as the session reaches them, and hands
out audio chunks with the marks that start inside them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import soxr

from faceplex.models.face.visemes import viseme_for
from faceplex.models.speech.piper_voice import SpeechChunk
from faceplex.models.speech.text import ClauseBuffer


@dataclass
class TimedMark:
    """A word or phoneme in output samples, relative to its clause (later: to the timeline)."""

    kind: str  # "word" | "phoneme"
    start: int
    end: int
    text: str
    viseme: Optional[str] = None


@dataclass
class Clause:
    """One synthesized clause at the output rate.

    ``pcm``: ``(N,) int16`` at the session's output rate; ``chunk``: the voice-rate original (the
    face animator works from it); ``marks`` in output samples from the clause's first sample.
    """

    chunk: SpeechChunk
    pcm: np.ndarray
    marks: list[TimedMark]


def resample_clause(chunk: SpeechChunk, out_rate: int) -> Clause:
    """Resample one clause to ``out_rate`` Hz with soxr (VHQ) and scale its marks.

    A whole clause is resampled at once: clauses begin and end in the voice's own silence, so
    independent resampling leaves no audible seam. Mark positions scale by ``out_rate / in_rate``
    and are rounded; the last phoneme ends exactly at the resampled length.
    """
    if chunk.sample_rate == out_rate:
        pcm = chunk.audio.astype(np.int16, copy=False)
    else:
        pcm = soxr.resample(chunk.audio, chunk.sample_rate, out_rate, quality="VHQ").astype(np.int16)
    ratio = out_rate / chunk.sample_rate
    n = int(pcm.shape[0])

    def scale(x: int) -> int:
        return min(n, int(round(x * ratio)))

    marks = [TimedMark("word", scale(w.start), scale(w.end), w.text) for w in chunk.words]
    phones = [TimedMark("phoneme", scale(p.start), scale(p.end), p.phoneme, viseme_for(p.phoneme))
              for p in chunk.phonemes]
    if phones:
        phones[-1].end = n
    marks.extend(phones)
    marks.sort(key=lambda mk: (mk.start, mk.kind != "word"))
    return Clause(chunk=chunk, pcm=pcm, marks=marks)


@dataclass
class Utterance:
    """One ``say``: text in, placed audio out. Timeline positions are output samples."""

    utt: str
    reply_to: Optional[str]
    voice: str
    speed: float
    expressiveness: Optional[float] = None  # style.expressiveness, None = the session setting
    emotion: Optional[str] = None            # style.emotion, None = the session setting
    emotion_intensity: Optional[float] = None  # style.emotion_intensity, None = the session setting
    text_buffer: ClauseBuffer = field(default_factory=ClauseBuffer)
    text_chars: int = 0
    final: bool = False              # no more text will be appended
    clauses_pending: int = 0         # sent to synthesis, not back yet
    clauses_submitted: int = 0
    trim_next_lead: bool = False     # the previous piece was cut mid-sentence (split_head)
    ready: deque = field(default_factory=deque)   # Clause objects waiting to be placed
    start: Optional[int] = None      # timeline sample of the first audio sample
    cursor: int = 0                  # next timeline sample to send
    placed_end: int = 0              # end of audio placed on the timeline
    _pcm: list = field(default_factory=list)      # placed, unsent pcm arrays (from cursor)
    _marks: deque = field(default_factory=deque)  # placed, unsent marks (absolute)
    gap_samples: int = 0             # silence inserted because synthesis or text came late
    text: str = ""                   # all text received (a resumed interruption speaks its rest)
    words: list = field(default_factory=list)     # word marks sent so far (what was spoken)
    lipsync: Optional[object] = None  # bridge.lipsync.LipsyncStream for audio-driven utterances
    language_checked: bool = False   # the text's language was checked (one warning at most)

    @property
    def started(self) -> bool:
        return self.start is not None

    @property
    def text_done(self) -> bool:
        """No more audio can come: final text received and every clause synthesized and placed."""
        return self.final and self.clauses_pending == 0 and not self.ready and self.text_buffer.pending_chars == 0

    def begin(self, start: int) -> None:
        self.start = self.cursor = self.placed_end = start

    def place_next(self) -> Optional[Clause]:
        """Place the next ready clause at the end of placed audio; returns it (None if none)."""
        if not self.ready:
            return None
        clause = self.ready.popleft()
        offset = self.placed_end
        self._pcm.append(clause.pcm)
        for mk in clause.marks:
            self._marks.append(TimedMark(mk.kind, mk.start + offset, mk.end + offset, mk.text, mk.viseme))
        self.placed_end += int(clause.pcm.shape[0])
        return clause

    def place_silence(self, samples: int) -> None:
        """Insert ``samples`` of silence (the next text or clause is late)."""
        self._pcm.append(np.zeros(samples, dtype=np.int16))
        self.placed_end += samples
        self.gap_samples += samples

    def take(self, samples: int) -> tuple[int, np.ndarray, list[TimedMark]]:
        """Remove up to ``samples`` of placed audio from the cursor.

        Returns ``(start, pcm (M,) int16, marks starting in [start, start + M))``.
        """
        want = min(samples, self.placed_end - self.cursor)
        parts, got = [], 0
        while got < want:
            head = self._pcm[0]
            take = min(want - got, head.shape[0])
            parts.append(head[:take])
            if take == head.shape[0]:
                self._pcm.pop(0)
            else:
                self._pcm[0] = head[take:]
            got += take
        start = self.cursor
        self.cursor += got
        marks = []
        while self._marks and self._marks[0].start < self.cursor:
            marks.append(self._marks.popleft())
        pcm = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        return start, pcm, marks
