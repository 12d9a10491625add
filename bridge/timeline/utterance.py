"""An utterance's audio and marks, placed clause by clause on the session timeline.

Speech arrives from the voice as pieces of sentences at the voice's rate (``SpeechChunk`` with
``offset/total/last``, see ``models.speech.clause_stream``); :class:`PieceResampler` turns each
into output-rate PCM with its phoneme and word marks in output samples (one soxr stream per
sentence: the same samples as resampling the sentence in one pass). :class:`Utterance` holds what
is ready, places pieces contiguously on the timeline as soon as the utterance has started
(contract 3), and hands out audio chunks with the marks that start inside them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import soxr

from faceplex.models.face.visemes import viseme_for
from faceplex.models.speech.contract import SpeechChunk
from faceplex.models.speech.streaming import to_pcm16
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
    """One synthesized piece of a clause (or a whole clause) at the output rate.

    ``pcm``: ``(N,) int16`` at the session's output rate; ``chunk``: the voice-rate original (the
    face animator works from it); ``marks`` in output samples from the pcm's first sample;
    ``anim_shift``: output samples from the pcm's first sample to the chunk's first sample (the
    resampler's delay holds a piece's last few ms back until the next piece).
    """

    chunk: SpeechChunk
    pcm: np.ndarray
    marks: list[TimedMark]
    anim_shift: float = 0.0


class PieceResampler:
    """Resamples the pieces of consecutive sentences in order with a soxr VHQ stream (state carries across
    pieces, so the seams are sample-exact) and places their marks in output samples.

    The sentence's output length is exactly ``round(total * out_rate / in_rate)``: the last piece
    flushes the stream and pads or trims the last sample or two.
    """

    def __init__(self, in_rate: int, out_rate: int):
        self.in_rate, self.out_rate = in_rate, out_rate
        self.ratio = out_rate / in_rate
        self._stream = None
        self._emitted = 0
        self._open = False

    def push(self, chunk: SpeechChunk) -> Clause:
        """One piece (in order; ``chunk.last`` ends the sentence, ``offset == 0`` starts the next)
        -> its output-rate :class:`Clause`."""
        if chunk.offset == 0 or not self._open:  # a new sentence: a fresh stream
            self._emitted, self._open = 0, True
            self._stream = None if self.in_rate == self.out_rate else soxr.ResampleStream(
                self.in_rate, self.out_rate, 1, dtype="float32", quality="VHQ")
        total = chunk.total if chunk.total is not None else chunk.offset + chunk.num_samples
        if self._stream is None:
            pcm = chunk.audio.astype(np.int16, copy=False)
        else:
            y = self._stream.resample_chunk(chunk.audio.astype(np.float32), last=chunk.last)
            if chunk.last:
                want = int(round(total * self.ratio)) - self._emitted
                y = np.concatenate([y, np.zeros(max(0, want - y.shape[0]), np.float32)])[:max(0, want)]
            pcm = to_pcm16(y)
        base = self._emitted
        self._emitted += int(pcm.shape[0])
        self._open = not chunk.last
        end = int(round(total * self.ratio))

        def pos(x: int) -> int:  # sentence-relative voice sample -> piece-pcm-relative output sample
            return min(end, int(round((chunk.offset + x) * self.ratio))) - base

        marks = [TimedMark("word", pos(w.start), pos(w.end), w.text) for w in chunk.words]
        phones = [TimedMark("phoneme", pos(p.start), pos(p.end), p.phoneme, viseme_for(p.phoneme))
                  for p in chunk.phonemes]
        if phones and chunk.last:
            phones[-1].end = end - base
        marks.extend(phones)
        marks.sort(key=lambda mk: (mk.start, mk.kind != "word"))
        return Clause(chunk=chunk, pcm=pcm, marks=marks, anim_shift=chunk.offset * self.ratio - base)


def resample_clause(chunk: SpeechChunk, out_rate: int) -> Clause:
    """Resample one whole sentence (a single piece) to ``out_rate`` Hz with soxr (VHQ) and scale
    its marks (:class:`PieceResampler` with one piece).

    Sentences begin and end in the voice's own silence, so independent resampling leaves no
    audible seam. Mark positions scale by ``out_rate / in_rate`` and are rounded; the last phoneme
    ends exactly at the resampled length; samples are limited to -1 dBFS after resampling
    (``streaming.to_pcm16``: soxr's interpolation overshoots between samples).
    """
    whole = SpeechChunk(text=chunk.text, sample_rate=chunk.sample_rate, audio=chunk.audio, phonemes=chunk.phonemes,
                        words=chunk.words, offset=0, total=chunk.num_samples, last=True)
    clause = PieceResampler(chunk.sample_rate, out_rate).push(whole)
    clause.chunk = chunk
    return clause


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
    job: Optional[object] = None     # the synthesis job of the clause in progress (bridge.synthesis)
    job_done: Optional[object] = None  # asyncio future the session's synthesizer awaits
    head_total_s: Optional[float] = None  # length of the first sentence (known from its durations)
    head_ready_s: float = 0.0        # of it, decoded so far (for the start rule, bridge.preroll)
    head_rest_s: float = 0.0         # estimated audio of the runs that continue the first sentence
    head_runs: int = 1               # voice runs of the first sentence (split_head, split_long)

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
