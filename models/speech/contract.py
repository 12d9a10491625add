"""The voice contract: what every speech engine gives the daemon, and the types it gives it in.

Data path: text -> :class:`SpeechEngine.stream` -> a :class:`ClauseSynthesis` stepped by the
synthesis scheduler (``faceplex.bridge.speaking``) -> :class:`SpeechChunk` pieces (PCM16 with
exact per-phone sample spans and word marks) -> the session's timeline and the face animator.
The session, scheduler, animator and protocol use only what is defined here, so they do not know
which engine speaks (Piper today: ``piper_voice.Voice``; a second engine implements the same).

This module imports nothing from the engines (it is the bottom of ``models/speech``'s imports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Protocol

import numpy as np

#: IPA modifiers Piper/espeak emit as separate symbols; they carry no mouth shape of their own.
STRESS_MARKS = {"ˈ", "ˌ"}
LENGTH_MARKS = {"ː", "ˑ"}
#: Symbols that are pauses or boundaries (word gaps, punctuation, Piper's BOS/EOS/PAD).
PAUSE_SYMBOLS = set(" ,.;:!?—–-…\"'()^$_")

@dataclass(frozen=True)
class TimedPhoneme:
    """One phone on a chunk's sample axis: ``[start, end)`` in samples at the voice's rate.

    ``phoneme`` is an IPA symbol as espeak-ng writes it, or ``"_"`` for a pause;
    ``stressed`` marks a phone that followed a primary stress mark (ˈ).
    """

    phoneme: str
    start: int
    end: int
    stressed: bool = False


@dataclass(frozen=True)
class TimedWord:
    """One word on a chunk's sample axis: ``[start, end)`` in samples."""

    text: str
    start: int
    end: int


@dataclass
class SpeechChunk:
    """One synthesized clause.

    Fields: ``audio`` ``(N,) int16`` mono PCM at ``sample_rate`` Hz; ``phonemes`` and ``words``
    timed in samples from the chunk's first sample (phonemes tile ``[0, N)`` exactly);
    ``text`` the clause that was spoken.

    Streaming (contract 3): a sentence may arrive as consecutive pieces, each a SpeechChunk cut on
    phone boundaries; ``offset`` is the piece's first sample within its sentence, ``total`` the
    sentence's length in samples (known from the durations before any audio) and ``last`` marks
    its final piece. A whole sentence is one piece with ``offset=0, last=True``. A piece's
    ``words`` are those that start in it, whole (a word's ``end`` may pass the piece's end).
    """

    text: str
    sample_rate: int
    audio: np.ndarray
    phonemes: list[TimedPhoneme] = field(default_factory=list)
    words: list[TimedWord] = field(default_factory=list)
    #: True when the phone spans come from an alignment of this audio (PocketSphinx), False for a
    #: synthesizer's own durations (Piper's), which the face animator corrects by their measured
    #: offset against the audio (models/face/coarticulation.py, ArticulationParams).
    acoustic_timing: bool = False
    offset: int = 0
    total: Optional[int] = None
    last: bool = True

    @property
    def num_samples(self) -> int:
        return int(self.audio.shape[0])


def merge_alignment(symbols: list[str], counts: list[int]) -> list[TimedPhoneme]:
    """Turn Piper's per-symbol sample counts into timed phones.

    Stress marks give their samples (and a ``stressed`` flag) to the next phone, length marks to
    the previous one; consecutive pause symbols merge into one ``"_"``. The result tiles
    ``[0, sum(counts))`` with no gaps.

    Args:
        symbols: Piper alignment symbols (BOS ``^``, phonemes, EOS ``$``), length S.
        counts: samples per symbol, length S.
    """
    phones: list[list] = []  # [phoneme, start, end, stressed]
    pos = 0
    carry = 0  # samples of a stress mark waiting for its phone
    stress_next = False
    for sym, n in zip(symbols, counts):
        n = int(n)
        if sym in STRESS_MARKS:
            carry += n
            stress_next = sym == "ˈ"
        elif sym in LENGTH_MARKS and phones:
            phones[-1][2] += n
        elif sym in PAUSE_SYMBOLS or sym.isspace():
            if phones and phones[-1][0] == "_" and carry == 0:
                phones[-1][2] += n
            else:
                phones.append(["_", pos - carry, pos + n, False])
                carry = 0
        else:
            phones.append([sym, pos - carry, pos + n, stress_next])
            carry, stress_next = 0, False
        pos += n
    if carry:  # a trailing stress mark: give it to the last phone
        if phones:
            phones[-1][2] = pos
        else:
            phones.append(["_", 0, pos, False])
    return [TimedPhoneme(p, s, e, st) for p, s, e, st in phones]


class ClauseSynthesis(Protocol):
    """One clause being synthesized as bounded steps (the unit of preemption and cancellation).

    The synthesis scheduler calls :meth:`step` from its worker threads, one step at a time per
    clause; :meth:`close` may come from any thread and frees the clause's memory at once.
    """

    done: bool
    pieces_done: int

    @property
    def first_piece_next(self) -> bool:
        """True until the first piece was returned (the next step gives the first audio)."""

    @property
    def next_piece_samples(self) -> Optional[int]:
        """Samples (at the engine's rate) of the piece the next step decodes, or None if unknown."""

    def step(self, wide: bool = False) -> list[SpeechChunk]:
        """Run one bounded piece of work; returns the pieces it finished (zero or one).
        ``wide``: the caller has the machine to itself (use the engine's wider thread pool)."""

    def close(self) -> None:
        """Stop: drop every buffer; later steps return nothing."""


class SpeechEngine(Protocol):
    """A loaded voice, shared by all sessions (thread-safe; each clause has its own state).

    ``name`` is the voice id clients choose (``say.voice``, the ``voice`` setting);
    ``sample_rate`` in Hz of the PCM its pieces carry.
    """

    name: str
    sample_rate: int

    def stream(self, text: str, speed: float = 1.0, seed: Optional[int] = 0, noise: bool = True,
               trim_lead: Optional[int] = None, trim_tail: Optional[int] = None) -> ClauseSynthesis:
        """Start synthesizing one clause. ``speed`` > 1 speaks faster; ``seed`` seeds the engine's
        sampling noise (same text, speed and seed: bit-identical audio; None: fresh noise);
        ``trim_lead``/``trim_tail``: keep at most this many samples of the clause's leading /
        trailing pause (seams of a sentence cut for latency)."""
