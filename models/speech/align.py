"""Phone timing for speech FacePlex did not make, with PocketSphinx (the PyPI wheel's English model).

- With a transcript: forced alignment (``set_align_text``, decode, ``set_alignment``, decode
  again, ``get_alignment()``): words and ARPAbet phones with 10 ms frame times.
- Without one: phone recognition with the wheel's phone language model (``allphone``); noisier,
  but bilabial closures (P B M) are found reliably enough for the lips.

ARPAbet phones are mapped to the espeak-style IPA symbols the face model understands
(:func:`faceplex.models.face.visemes.viseme_for`); the results are :class:`SpeechChunk` objects, the
same type Piper's voice produces, so the animator treats recorded and synthesized speech alike.
A :class:`Decoder` is not thread-safe: :func:`aligner` hands out one per thread.

Every decode sees the audio through :func:`dither`: PocketSphinx cannot align audio holding exact
digital silence (runs of 0 samples, as edited voice-over and many TTS engines write between words:
``log(0)`` energy frames break its cepstral features, and forced alignment fails with "Failed to
set up sub-word alignment"; an espeak-ng line with 26 % zero samples gave no word, dithered it
gives all 12). The dither is seeded, so the same audio always gives the same phones and words.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass

import numpy as np

from .acoustic_stress import mark_stress

from .contract import SpeechChunk, TimedPhoneme, TimedWord

ALIGN_RATE = 16000
FRAME_S = 0.01   # PocketSphinx frame: 10 ms
PAD = 800        # samples of silence around an aligned segment
#: Seed of the dither's generator: fixed, and re-seeded for every decode, so a result depends on
#: the audio alone (not on which decodes came before it on this thread).
DITHER_SEED = 0x5EED
#: Dither level, int16 LSB rms (-72 dBFS): below any recording's noise floor. Measured on
#: espeak-ng lines with 21-29 % zero samples (6 voices x 2 lines, 2 seeds each): +-1 LSB aligned
#: only some (the ``+m3`` variants failed, 0 of 12 words), 4 LSB all but one, 8 LSB and above all.
DITHER_RMS = 8.0

#: ARPAbet (CMUdict, no stress digits) -> IPA as espeak-ng writes it.
ARPABET_TO_IPA = {
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "aʊ", "AY": "aɪ", "EH": "ɛ", "ER": "ɚ",
    "EY": "eɪ", "IH": "ɪ", "IY": "i", "OW": "oʊ", "OY": "ɔɪ", "UH": "ʊ", "UW": "u",
    "B": "b", "CH": "tʃ", "D": "d", "DH": "ð", "F": "f", "G": "ɡ", "HH": "h", "JH": "dʒ", "K": "k",
    "L": "l", "M": "m", "N": "n", "NG": "ŋ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ", "T": "t",
    "TH": "θ", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ", "SIL": "_",
}
_WORD = re.compile(r"[A-Za-z']+")
#: The IPA vowels of :data:`ARPABET_TO_IPA` (stress is looked for on them: :mod:`.acoustic_stress`).
VOWELS_IPA = frozenset(ARPABET_TO_IPA[v] for v in ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH",
                                                     "IY", "OW", "OY", "UH", "UW"))


def dither(pcm: np.ndarray) -> bytes:
    """``pcm`` (``(N,) int16``) plus Gaussian dither of :data:`DITHER_RMS` LSB, rounded, as
    little-endian bytes for ``process_raw``. Deterministic: the generator is seeded with
    :data:`DITHER_SEED` on every call."""
    x = np.asarray(pcm, dtype=np.float64)
    noise = np.random.default_rng(DITHER_SEED).normal(0.0, DITHER_RMS, x.shape[0])
    return np.clip(np.round(x + noise), -32768, 32767).astype("<i2").tobytes()


def ipa_for(arpabet: str) -> str:
    """IPA symbol for an ARPAbet phone (stress digits and noise phones -> ``"_"``)."""
    return ARPABET_TO_IPA.get(re.sub(r"\d", "", arpabet.upper()), "_")


@dataclass(frozen=True)
class AlignedPhone:
    """An ARPAbet phone in 16 kHz samples ``[start, end)`` from the analysed audio's first sample."""

    phone: str
    start: int
    end: int


class Aligner:
    """One PocketSphinx decoder for forced alignment and phone recognition at 16 kHz."""

    def __init__(self) -> None:
        import pocketsphinx
        from pocketsphinx import Decoder

        self._model = pocketsphinx.get_model_path()
        self._Decoder = Decoder
        self._dec: dict[str, object] = {}

    # Decoders load on first use (a word decoder ~0.25 s, the phone decoder ~0.07 s): phone
    # recognition alone (lip sync without a transcript) never waits for the word decoders.
    def _get(self, name: str):
        d = self._dec.get(name)
        if d is None:
            D = self._Decoder
            if name == "phone":
                d = D(samprate=ALIGN_RATE, loglevel="FATAL", lm=None, backtrace=True,
                      allphone=os.path.join(self._model, "en-us", "en-us-phone.lm.bin"),
                      beam=1e-20, pbeam=1e-20, lw=2.0)
            else:
                d = D(samprate=ALIGN_RATE, loglevel="FATAL")
            self._dec[name] = d
        return d

    def _start(self, name: str):
        """Start an utterance on decoder ``name`` with fresh feature state (``reinit_feat``,
        0.1 ms): PocketSphinx's live cepstral mean otherwise carries each utterance into the next
        (``set_cmn`` does not reset it), so the same audio aligned differently depending on what
        the decoder had heard before (measured: a line re-aligned after another line moved its
        phones). Results now depend on the audio alone, as the seeded dither intends."""
        d = self._get(name)
        d.reinit_feat()
        d.start_utt()
        return d

    @property
    def _decoder(self):
        return self._get("align")

    @property
    def _grammar(self):
        return self._get("grammar")

    @property
    def _phone(self):
        return self._get("phone")

    def known_words(self, text: str) -> list[str]:
        """The transcript's words that the dictionary knows, lower case, in order."""
        words = [w.lower().strip("'") for w in _WORD.findall(text)]
        return [w for w in words if w and self._decoder.lookup_word(w) is not None]

    def align(self, pcm: np.ndarray, text: str) -> tuple[list[AlignedPhone], list[tuple[str, int, int]]]:
        """Forced alignment of ``pcm`` (``(N,) int16`` at 16 kHz) to ``text``.

        Returns ``(phones, words)``, words as ``(word, start, end)`` in samples. Words missing
        from the dictionary are dropped; if nothing can be aligned, falls back to recognition
        and returns no words: ``words == []`` means the transcript was not used (callers say so
        with a ``transcript_not_used`` warning, never silently)."""
        words = self.known_words(text)
        if not words:
            return self.recognize(pcm), []
        # 50 ms of silence on both sides: a segment cut at a word boundary otherwise often fails
        # to reach the alignment's final state (measured on streamed segments). A segment whose
        # first word starts at its very first sample may still fail (seen: "my" right after a
        # comma's digital silence): it is tried once more with 100 ms.
        for pad_n in (PAD, 2 * PAD):
            got = self._align_once(pcm, words, pad_n)
            if got is not None:
                return got
        return self.recognize(pcm), []

    def _align_once(self, pcm: np.ndarray, words: list[str], pad_n: int):
        """One forced alignment with ``pad_n`` samples of silence each side; None if it fails."""
        pad = np.zeros(pad_n, dtype="<i2")
        data = dither(np.concatenate([pad, np.asarray(pcm, dtype="<i2"), pad]))
        d = self._decoder
        try:
            d.set_align_text(" ".join(words))
            self._start("align"); d.process_raw(data, full_utt=True); d.end_utt()
            d.set_alignment()
            d.start_utt(); d.process_raw(data, full_utt=True); d.end_utt()
            al = d.get_alignment()
            n = len(pcm)

            def span(start, dur):
                return min(max(start * 160 - pad_n, 0), n), min(max((start + dur) * 160 - pad_n, 0), n)

            phones = [AlignedPhone(p.name, *span(p.start, p.duration)) for p in al.phones()]
            phones = [p for p in phones if p.end > p.start]
            wds = [(re.sub(r"\(\d+\)$", "", w.name), *span(w.start, w.duration))
                   for w in al.words() if not w.name.startswith(("<", "["))]
        except (RuntimeError, ValueError, AttributeError):
            return None
        if not phones or not wds:   # no word placed (seen: phones only, the word lost) is a failure
            return None
        return phones, wds

    def prefix_words(self, pcm: np.ndarray, words: list[str], max_words: int = 16) -> list[tuple[str, int, int]]:
        """Which of ``words`` (in order, a prefix of them) are spoken in ``pcm`` (16 kHz int16, from
        a word boundary), with their sample spans: a grammar accepting any prefix of the next
        ``max_words`` words (a streaming alternative to forced alignment, whose transcript must
        cover the whole audio)."""
        words = words[:max_words]
        if not words:
            return []
        rule = ""
        for w in reversed(words):
            rule = f"{w} [ {rule} ]" if rule else w
        d = self._grammar
        d.add_jsgf_string("prefix", f"#JSGF V1.0;\ngrammar prefix;\npublic <s> = [ {rule} ];\n")
        d.activate_search("prefix")
        self._start("grammar")
        d.process_raw(dither(pcm), full_utt=True)
        d.end_utt()
        out = []
        for s in (d.seg() or []) if d.hyp() is not None else []:
            name = re.sub(r"\(\d+\)$", "", s.word)
            if name.startswith(("<", "[")):
                continue
            out.append((name, s.start_frame * 160, (s.end_frame + 1) * 160))
        # the grammar only admits a prefix; guard against a decoder that returned something else
        ok = 0
        while ok < len(out) and ok < len(words) and out[ok][0] == words[ok]:
            ok += 1
        return out[:ok]

    def recognize(self, pcm: np.ndarray) -> list[AlignedPhone]:
        """Phone recognition of ``pcm`` (``(N,) int16`` at 16 kHz), no transcript."""
        d = self._phone
        self._start("phone")
        d.process_raw(dither(pcm), full_utt=True)
        d.end_utt()
        if d.hyp() is None:
            return []
        return [AlignedPhone(s.word, s.start_frame * 160, (s.end_frame + 1) * 160) for s in d.seg()]


_local = threading.local()


def aligner() -> Aligner:
    """This thread's :class:`Aligner` (decoders are not thread-safe; each loads on first use)."""
    a = getattr(_local, "aligner", None)
    if a is None:
        a = _local.aligner = Aligner()
    return a


def to_chunk(audio16: np.ndarray, phones: list[AlignedPhone], words: list[tuple[str, int, int]],
             text: str = "", context16: np.ndarray | None = None, offset16: int = 0) -> SpeechChunk:
    """A 16 kHz :class:`SpeechChunk` whose IPA phones tile ``[0, len(audio16))`` exactly.

    Gaps between aligned phones and the ends become pauses (``"_"``); phones are clipped to
    the audio. Vowels that stand out acoustically are marked ``stressed``
    (:func:`.acoustic_stress.mark_stress`), judged in ``context16`` (the recording so far,
    ``audio16`` starting at its sample ``offset16``; default: ``audio16`` alone)."""
    n = int(audio16.shape[0])
    out: list[TimedPhoneme] = []
    pos = 0
    for p in sorted(phones, key=lambda p: p.start):
        s, e = max(pos, min(p.start, n)), min(p.end, n)
        if e <= s:
            continue
        if s > pos:
            out.append(TimedPhoneme("_", pos, s))
        ipa = ipa_for(p.phone)
        if ipa == "_" and out and out[-1].phoneme == "_":
            out[-1] = TimedPhoneme("_", out[-1].start, e)
        else:
            out.append(TimedPhoneme(ipa, s, e))
        pos = e
    if pos < n:
        if out and out[-1].phoneme == "_":
            out[-1] = TimedPhoneme("_", out[-1].start, n)
        else:
            out.append(TimedPhoneme("_", pos, n))
    if context16 is None:
        context16, offset16 = audio16, 0
    out = mark_stress(out, context16, ALIGN_RATE, offset16, VOWELS_IPA.__contains__)
    timed_words = [TimedWord(w, max(0, min(s, n)), max(0, min(e, n))) for w, s, e in words]
    return SpeechChunk(text=text, sample_rate=ALIGN_RATE, audio=np.asarray(audio16, dtype=np.int16),
                       phonemes=out, words=[w for w in timed_words if w.end > w.start], acoustic_timing=True)
