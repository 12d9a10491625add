"""One clause of text -> consecutive timed pieces of speech, decoded window by window.

:class:`ClauseStream` is a step-wise job (the synthesis scheduler runs one step at a time, so a
step is the unit of preemption, cancellation and fairness): the first step phonemizes the clause,
runs the text encoder and durations of its first sentence, then the flow and the decoder over the
first piece only (``streaming.Latent.ensure``: the flow is convolutional as well, so the first
audio does not wait for the whole sentence's flow); each later step runs the flow and the decoder
over one more piece (or starts the next sentence). Pieces are cut on phone
boundaries (whole latent frames), at a word boundary when one lies near the target size
(:func:`plan_cuts`), and carry their phones (clipped to the piece) and the words that start in
them (whole: a word's end may lie in a later piece) (``SpeechChunk.offset/total/last``).

Work bound of one step: the text encoder and durations of one sentence (bounded by the caller's
clause length, see ``bridge.synthesis.split_long``), plus one window of at most
``window_frames * 1.5 + 2 * CONTEXT_FRAMES`` latent frames through the decoder and
``window_frames * 1.5 + CONTEXT_FRAMES + 2 * FLOW_CONTEXT_FRAMES`` through the flow.
"""

from __future__ import annotations

import zlib
from typing import Optional


from .contract import SpeechChunk, TimedPhoneme, TimedWord, merge_alignment
from .streaming import CONTEXT_FRAMES, HOP, decoder_to_pcm16, noise_rng
from .words import timed_words

#: First piece of a clause: at least this many latent frames (12 x 256 samples = 139 ms at
#: 22050 Hz: three 40 ms audio messages), up to twice that to end on a word boundary.
FIRST_FRAMES = 12
#: Later pieces: about this many frames (743 ms), 0.6-1.5x to end on a word boundary. Decoding
#: cost is (window + 2 x context) / window of one pass: 1.375x at 64 frames of window.
WINDOW_FRAMES = 64


def plan_cuts(phones: list[TimedPhoneme], words: list[TimedWord], s0: int, s1: int,
              first: int = FIRST_FRAMES * HOP, window: int = WINDOW_FRAMES * HOP) -> list[int]:
    """Piece boundaries in samples ``[s0, c1, ..., s1]`` over a sentence cropped to ``[s0, s1)``.

    Cuts lie on phone boundaries; among those within the allowed range the one nearest the
    target size that is a word boundary (a word's start or end, or a pause's edge) wins, else the
    nearest phone boundary, else the first phone boundary past the range (a long phone is never
    cut). No piece after the first is shorter than half a window.
    """
    bounds = sorted({p.start for p in phones if s0 < p.start < s1})
    wordish = {w.start for w in words} | {w.end for w in words}
    wordish |= {p.start for p in phones if p.phoneme == "_"} | {p.end for p in phones if p.phoneme == "_"}
    cuts, pos, target, lo_f, hi_f = [s0], s0, first, 1.0, 2.0
    while s1 - pos > target + window // 2:
        lo, hi, aim = pos + int(target * lo_f), pos + int(target * hi_f), pos + target
        inside = [b for b in bounds if lo <= b <= hi and s1 - b >= window // 2]
        good = [b for b in inside if b in wordish]
        pick = min(good or inside, key=lambda b: abs(b - aim)) if (good or inside) else None
        if pick is None:
            later = [b for b in bounds if b > hi and s1 - b >= window // 2]
            if not later:
                break
            pick = later[0]
        cuts.append(pick)
        pos, target, lo_f, hi_f = pick, window, 0.6, 1.5
    cuts.append(s1)
    return cuts


def _clip_piece(phones, words, a: int, b: int) -> tuple[list[TimedPhoneme], list[TimedWord]]:
    ph = [TimedPhoneme(p.phoneme, max(p.start, a) - a, min(p.end, b) - a, p.stressed)
          for p in phones if p.end > a and p.start < b]
    # Words that start in the piece, whole (a word's end may lie in a later piece): each word is in
    # exactly one piece, so word marks are never duplicated or clipped.
    wd = [TimedWord(w.text, w.start - a, w.end - a) for w in words if a <= w.start < b]
    return ph, wd


class ClauseStream:
    """Synthesis of one clause as a sequence of :meth:`step` calls (see the module docstring).

    Args:
        voice: a loaded ``piper_voice.Voice``.
        text: the clause; ``speed``, ``seed``, ``noise``: as ``Voice.synthesize``.
        trim_lead / trim_tail: keep at most this many samples of the first sentence's leading and
            the last sentence's trailing pause (the seams of a sentence cut for latency), or None.
        one_pass: decode each sentence in one decoder run (one piece per sentence).

    Not thread-safe; one step at a time (the scheduler guarantees it). ``close()`` drops the
    latent and pending text at once (a cancelled clause holds no memory).
    """

    def __init__(self, voice, text: str, speed: float = 1.0, seed: Optional[int] = 0, noise: bool = True,
                 trim_lead: Optional[int] = None, trim_tail: Optional[int] = None, one_pass: bool = False,
                 first_frames: int = FIRST_FRAMES, window_frames: int = WINDOW_FRAMES):
        self.voice, self.text, self.speed, self.seed, self.noise = voice, text, speed, seed, noise
        self.trim_lead, self.trim_tail, self.one_pass = trim_lead, trim_tail, one_pass
        self.first, self.window = first_frames * HOP, window_frames * HOP
        self._sentences: Optional[list] = None
        self._spans: list = []    # exact word marks on the sentences' symbols (models/speech/words.py)
        self._index = -1          # sentence being decoded
        self._lat = None          # its streaming.Latent (z (1, 192, T), computed by blocks)
        self._phones: list[TimedPhoneme] = []
        self._twords: list[TimedWord] = []
        self._cuts: list[int] = []
        self._piece = 0
        self.done = False
        self.pieces_done = 0      # pieces returned so far (0: the next step gives first audio)

    @property
    def first_piece_next(self) -> bool:
        return self.pieces_done == 0

    @property
    def next_piece_samples(self) -> Optional[int]:
        """Voice samples of the piece the next step decodes in the current sentence (None: the
        next step starts a sentence, or the clause is done). Read by the start rule
        (``bridge.preroll``) from another thread: a snapshot, never a promise."""
        cuts, k = self._cuts, self._piece
        if self._lat is None or k + 1 >= len(cuts):
            return None
        return cuts[k + 1] - cuts[k]

    def close(self) -> None:
        self._lat, self._sentences, self._phones, self._twords, self._spans, self.done = None, [], [], [], [], True

    def step(self, wide: bool = False) -> list[SpeechChunk]:
        """Run one bounded piece of work; returns the pieces it finished (zero or one).

        Raises RuntimeError when the voice produced no frames for a sentence.
        """
        if self.done:
            return []
        if self._sentences is None:
            from .normalize import normalize

            # Piper reads the normalized text ("3/4/2025" -> "March fourth twenty twenty-five");
            # the word marks keep the client's words (models/speech/normalize.py).
            spoken, words = normalize(self.text)
            self._sentences = self.voice.sentences(spoken)
            self._spans = self._align_words(words)
        if self._lat is None or self._piece >= len(self._cuts) - 1:
            if self._index + 1 >= len(self._sentences):
                self.close()
                return []
            self._begin_sentence(self._index + 1, wide)
        graphs = self.voice.graphs_wide if wide else self.voice.graphs
        a, b = self._cuts[self._piece], self._cuts[self._piece + 1]
        fa, fb = a // HOP, -(-b // HOP)
        if self.one_pass:
            audio = graphs.decode_all(self._lat.z)[a:b]
        else:
            # The flow runs block by block too: this window's frames and the decoder's context.
            z = self._lat.ensure(graphs, fb + CONTEXT_FRAMES)
            audio = graphs.decode_window(z, fa, fb, CONTEXT_FRAMES)[a - fa * HOP:b - fa * HOP]
        phones, words = _clip_piece(self._phones, self._twords, a, b)
        s0, s1 = self._cuts[0], self._cuts[-1]
        self._piece += 1
        last = self._piece >= len(self._cuts) - 1
        piece = SpeechChunk(text=self.text, sample_rate=self.voice.sample_rate, audio=decoder_to_pcm16(audio),
                            phonemes=phones, words=words, offset=a - s0, total=s1 - s0, last=last)
        if last:
            self._lat = None  # the latent is not needed any more
            if self._index + 1 >= len(self._sentences):
                self.close()
        self.pieces_done += 1
        return [piece]

    def _align_words(self, words) -> list:
        """Word spans of the clause on its sentences' alignment symbols (known before any audio:
        only the phonemes are needed; ``words.align_words``)."""
        from piper.const import BOS, EOS

        from .words import align_words, word_phonemes

        phones = [word_phonemes(w.spoken, self.voice.phonemize_word) for w in words]
        return align_words(words, phones, [[BOS, *ph, EOS] for ph, _ in self._sentences])

    def _begin_sentence(self, i: int, wide: bool) -> None:
        voice = self.voice
        graphs = voice.graphs_wide if wide else voice.graphs
        phonemes, ids = self._sentences[i]
        rng = noise_rng(self.seed, zlib.crc32(self.text.encode("utf-8")), i)
        scales = voice.scales(self.speed, self.noise)
        latent = graphs.latent(ids, scales, rng) if self.one_pass else graphs.prior(ids, scales, rng)
        if latent.frames == 0:
            raise RuntimeError(f"voice {voice.name} produced no audio for {self.text!r}")
        symbols, counts = voice.alignment(phonemes, ids, latent.frames_per_id)
        n = latent.frames * HOP
        counts[-1] += n - sum(counts)  # durations sum to the latent length (guard the invariant)
        phones = merge_alignment(symbols, counts)
        twords = timed_words(self._spans, i, counts)
        last_sentence = i == len(self._sentences) - 1
        s0, s1 = 0, n
        if self.trim_lead is not None and i == 0 and phones and phones[0].phoneme == "_":
            s0 = max(0, phones[0].end - self.trim_lead)
        if self.trim_tail is not None and last_sentence and phones and phones[-1].phoneme == "_":
            s1 = min(n, max(phones[-1].start + self.trim_tail, s0 + 1))
        self._index, self._lat, self._piece = i, latent, 0
        self._phones, self._twords = phones, twords
        self._cuts = [s0, s1] if self.one_pass else plan_cuts(phones, twords, s0, s1, self.first, self.window)
