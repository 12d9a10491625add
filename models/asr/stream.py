"""One session's transcription state (sans-I/O): the partner's 16 kHz audio and speech turns in,
transcription jobs out, ``partner_transcript`` fields back.

Like a streaming model's per-session state (Moshi's ``reset_streaming``), a
:class:`TranscriptStream` belongs to one session and is reset with it; the model it feeds is
shared and stateless between calls. Nothing here runs a model: :meth:`TranscriptStream.next_job`
takes an immutable :class:`Job` (a copy of the audio it needs) on the caller's thread, a worker
runs it, and :meth:`TranscriptStream.finish` turns the :class:`~.result.Hypothesis` into messages
back on the caller's thread. One job per session is in flight at a time (the caller's rule).

Incremental reading: while the partner speaks, every :data:`INTERIM_S` of new speech the growing
segment is read again (an *interim*); at the stop the final reads the whole segment, which costs
little because the encoder sees only the segment (:mod:`.whisper`). With ``commit`` (off by
default, :data:`COMMIT`), words on which the last two interims agree, but for the last
:data:`UNSTABLE_WORDS`, are *committed* (LocalAgreement-2, as whisper_streaming does) and forced
as the next reading's prefix, so the decoder reads them in one pass instead of generating them.
The final's word timings span the whole segment either way.

Memory: a segment holds at most :data:`MAX_SEGMENT_S` of audio (Whisper's window is 30 s). A
partner who talks longer gets a final for each full segment, cut at a quiet 32 ms block near the
limit when there is one, and the next segment goes on; before speech only :data:`PREROLL_S` is
kept. So a session holds at most ~``MAX_SEGMENT_S`` + a finished segment waiting for its final.

Timeline: ``start`` is the ``partner_speech_started`` sample (or, after a cut, the cut), ``end``
the ``partner_speech_stopped`` sample (the cut; for an interim the end of the audio read); word
times may begin up to :data:`PREROLL_S` before ``start`` (the pre-roll is read too). All are samples at the session's output rate (``out_rate``),
on the timeline of ``partner_speech_started/stopped.sample``: the caller passes each chunk's
timeline sample (16 kHz sample ``i`` of a contiguous run is at ``t0 + i * out_rate // 16000``).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .result import Hypothesis

RATE = 16000
#: Seconds of new speech between interim readings.
INTERIM_S = 1.0
#: Interims start once the segment holds this much speech (a shorter reading is mostly wrong).
FIRST_INTERIM_S = 1.0
#: Words at the end of an interim never committed (they may change with more audio).
UNSTABLE_WORDS = 2
#: Audio kept before the detected onset (the VAD reports the start 2 windows in; soft onsets).
PREROLL_S = 0.3
#: Audio after the stop sample included in the final (the VAD's stop is the last speech window).
TAIL_S = 0.2
MAX_SEGMENT_S = 25.0
#: Force the committed words as the next reading's prefix. Off: on 6 lines of 1.3-5.3 s
#: (bench_transcribe, busy shared machine) two runs disagreed (with / without the prefix: p50 191
#: / 182 ms, p95 343 / 230 ms at load 4.6; p50 213 / 274, p95 262 / 293 ms at load 1.7-3.3), so
#: no clear gain on short turns, where the shortened encoder already does most; and a prefix locks
#: in a word the interims got wrong. Kept to measure on longer turns.
COMMIT = False
#: An interim waits while the newest QUIET_TAIL_S of the segment is QUIET_DB below its loudest chunk.
QUIET_TAIL_S = 0.25
QUIET_DB = -30.0
_ids = itertools.count(1)
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Job:
    """One reading to run: ``audio`` ``(N,) float32`` 16 kHz (a copy), the first sample at timeline
    ``t0`` (up to :data:`PREROLL_S` before ``onset``, the ``partner_speech_started`` sample that
    messages name as ``start``); ``final``; ``prefix`` (committed words), ``prompt`` (hints), ``language`` (None: detect),
    ``model`` (protocol name); ``segment``/``seq`` identify it for :meth:`TranscriptStream.finish`."""

    segment: int
    seq: int
    final: bool
    audio: np.ndarray
    t0: int
    onset: int
    model: str
    language: Optional[str]
    prompt: str
    prefix: str


@dataclass
class _Segment:
    id: int
    t0: int                                  # timeline sample of audio[0]
    onset: int = 0                           # timeline sample the speech started (messages' start)
    chunks: list = field(default_factory=list)
    n: int = 0                               # 16 kHz samples held
    end: Optional[int] = None                # timeline sample where speech stopped (final due)
    interim_at: int = 0                      # n at the last interim job
    last_words: list = field(default_factory=list)
    committed: list = field(default_factory=list)
    seq: int = 0
    peak: float = 0.0                        # loudest chunk RMS so far
    recent: list = field(default_factory=list)   # (samples, rms) of the newest chunks

    def audio(self, n: Optional[int] = None) -> np.ndarray:
        if len(self.chunks) > 1:
            self.chunks = [np.concatenate(self.chunks)]
        x = self.chunks[0] if self.chunks else np.zeros(0, np.float32)
        return x[: self.n if n is None else n].copy()


def _norm(w: str) -> str:
    return re.sub(r"[^\w']", "", w.lower())


class TranscriptStream:
    """Segments of one partner's speech -> transcription jobs -> ``partner_transcript`` fields.

    ``out_rate``: the session's timeline rate (Hz). Call :meth:`audio` for every 16 kHz chunk in
    order, :meth:`speech_started` / :meth:`speech_stopped` with the listener's events, then
    :meth:`next_job` whenever no job of this session is running."""

    def __init__(self, out_rate: int, interim_s: float = INTERIM_S, max_segment_s: float = MAX_SEGMENT_S,
                 commit: bool = COMMIT):
        self.out_rate = out_rate
        self.interim_s = interim_s
        self.max_segment_s = max_segment_s
        self.commit = commit
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new session, or the partner's stream was dropped)."""
        self._pre: list[tuple[int, np.ndarray]] = []    # (timeline t0, chunk) before speech
        self._pre_n = 0
        self._next_t: Optional[int] = None              # expected timeline sample of the next chunk
        self._n16 = 0                                   # 16 kHz samples since the run's anchor
        self._anchor = 0
        self.current: Optional[_Segment] = None
        self.waiting: list[_Segment] = []               # stopped, final not yet produced

    # ------------------------------------------------------------------ input (caller's thread)
    def _t(self, i16: int) -> int:
        return self._anchor + i16 * self.out_rate // RATE

    def audio(self, x16: np.ndarray, t0: int) -> None:
        """A chunk of partner audio, ``(N,) float32`` at 16 kHz, its first sample at timeline ``t0``."""
        x16 = np.asarray(x16, dtype=np.float32)
        if not len(x16):
            return
        if self._next_t is None or abs(t0 - self._next_t) > 1 + self.out_rate // RATE:
            self._anchor, self._n16 = t0, 0            # a new contiguous run (the listener re-anchored)
            self._pre, self._pre_n = [], 0
        seg = self.current
        if seg is not None:
            seg.chunks.append(x16)
            seg.n += len(x16)
            rms = float(np.sqrt(np.mean(x16 ** 2)))
            seg.peak = max(seg.peak, rms)
            seg.recent.append((len(x16), rms))
            while sum(n for n, _ in seg.recent) - seg.recent[0][0] >= QUIET_TAIL_S * RATE:
                seg.recent.pop(0)
            if seg.n >= self.max_segment_s * RATE:
                self._cut(seg)
        else:
            self._pre.append((self._n16, x16))
            self._pre_n += len(x16)
            while self._pre and self._pre_n - len(self._pre[0][1]) >= PREROLL_S * RATE:
                self._pre_n -= len(self._pre.pop(0)[1])
        self._n16 += len(x16)
        self._next_t = self._t(self._n16)

    def speech_started(self, sample: int) -> None:
        """The partner started speaking at timeline ``sample``: a segment opens ``PREROLL_S``
        before it, with the audio held since."""
        if self.current is not None:
            return
        first = max(sample - int(PREROLL_S * self.out_rate), self._t(self._pre[0][0]) if self._pre else sample)
        seg = _Segment(id=next(_ids), t0=first, onset=sample)
        for i16, x in self._pre:
            t = self._t(i16)
            if t + len(x) * self.out_rate // RATE <= first:
                continue
            skip = max(0, (first - t) * RATE // self.out_rate)
            if not seg.chunks:
                seg.t0 = t + skip * self.out_rate // RATE
            seg.chunks.append(x[skip:])
            seg.n += len(x) - skip
        if not seg.chunks:
            seg.t0 = self._t(self._n16)
        self._pre, self._pre_n = [], 0
        self.current = seg

    def speech_stopped(self, sample: int) -> None:
        """The partner stopped at timeline ``sample`` (or ``mic_end``): the segment's final is due.
        Audio up to :data:`TAIL_S` past the stop that already arrived is kept."""
        seg = self.current
        if seg is None:
            return
        seg.end = sample
        keep = min(seg.n, max(0, (sample - seg.t0) * RATE // self.out_rate + int(TAIL_S * RATE)))
        if keep < seg.n:
            seg.chunks, seg.n = [seg.audio(keep)], keep
        self.current = None
        self.waiting.append(seg)

    def _cut(self, seg: _Segment) -> None:
        """The segment is full: end it at its quietest 32 ms block in the last 2 s and carry on
        with a new one from there (the partner is still speaking)."""
        x = seg.audio()
        tail = x[-2 * RATE:]
        blocks = len(tail) // 512
        at = len(x)
        if blocks:
            rms = [float(np.sqrt(np.mean(tail[i * 512:(i + 1) * 512] ** 2))) for i in range(blocks)]
            at = len(x) - len(tail) + int(np.argmin(rms)) * 512 + 256
        seg.chunks, seg.n = [x[:at]], at
        seg.end = seg.t0 + at * self.out_rate // RATE
        self.waiting.append(seg)
        nxt = _Segment(id=next(_ids), t0=seg.end, onset=seg.end, chunks=[x[at:]], n=len(x) - at)
        self.current = nxt

    # ------------------------------------------------------------------ jobs
    def pending(self) -> bool:
        """Work is due now (a final, or enough new speech for an interim)."""
        return bool(self.waiting) or self._interim_due()

    def _interim_due(self) -> bool:
        seg = self.current
        if (seg is None or seg.n < FIRST_INTERIM_S * RATE
                or seg.n - seg.interim_at < self.interim_s * RATE):
            return False
        # no interim while the newest audio is quiet: the partner may be stopping, and an
        # interim still running when the stop comes delays the final by its whole length
        quiet = seg.peak * 10 ** (QUIET_DB / 20)
        return any(r > quiet for _, r in seg.recent)

    def next_job(self, model: str, language: Optional[str], prompt: str = "", interims: bool = True) -> Optional[Job]:
        """The next reading: a waiting final first, else an interim when due (``interims``)."""
        if self.waiting:
            seg = self.waiting[0]
            seg.seq += 1
            prefix = " ".join(seg.committed) if self.commit else ""
            return Job(seg.id, seg.seq, True, seg.audio(), seg.t0, seg.onset, model, language, prompt, prefix)
        if interims and self._interim_due():
            seg = self.current
            seg.seq += 1
            seg.interim_at = seg.n
            prefix = " ".join(seg.committed) if self.commit else ""
            return Job(seg.id, seg.seq, False, seg.audio(), seg.t0, seg.onset, model, language, prompt, prefix)
        return None

    def finish(self, job: Job, hyp: Hypothesis) -> Optional[dict]:
        """The fields of a ``partner_transcript`` for a finished job (None when it is stale: an
        interim of a segment whose final was taken meanwhile)."""
        def samples(s: float) -> int:
            return job.t0 + int(round(s * RATE)) * self.out_rate // RATE

        if job.final:
            seg = self.waiting.pop(0) if self.waiting and self.waiting[0].id == job.segment else None
            end = seg.end if seg is not None else samples(len(job.audio) / RATE)
        else:
            seg = self.current
            if seg is None or seg.id != job.segment:
                return None
            words = _WORD.findall(hyp.text)
            if self.commit:
                prev = seg.last_words
                agree = 0
                while agree < min(len(prev), len(words)) and _norm(prev[agree]) == _norm(words[agree]):
                    agree += 1
                stable = min(agree, len(words) - UNSTABLE_WORDS)
                if stable > len(seg.committed):
                    seg.committed = words[:stable]
            seg.last_words = words
            end = samples(len(job.audio) / RATE)
        return {"text": hyp.text, "start": job.onset, "end": int(end), "language": hyp.language,
                "confidence": float(hyp.confidence), "final": job.final, "model": hyp.model,
                "words": [{"text": w, "start": samples(a), "end": samples(b)} for w, a, b in hyp.words]}

    def held_samples(self) -> int:
        """16 kHz samples this stream holds (memory bound checks)."""
        return self._pre_n + (self.current.n if self.current else 0) + sum(s.n for s in self.waiting)
