"""Whisper through CTranslate2 (``faster-whisper`` 1.2.1's model, feature extractor, tokenizer and
word alignment), called directly so that the encoder sees only the audio there is.

Why not ``WhisperModel.transcribe``: it pads every call to Whisper's 30 s window, so the encoder
costs the same for 1 s as for 30 s (tiny.en int8, 1 thread, busy 2-core machine: ~450-680 ms per
call). CTranslate2's Whisper encoder accepts shorter inputs (the positional embedding is sliced;
whisper.cpp's ``audio_ctx`` trick): 6.5 s of frames encode in ~50 ms there. The audio is padded with
:data:`PAD_S` of silence and to whole :data:`FRAME_STEP` frames (a cut mid-word made it loop), and
at least :data:`MIN_FRAMES`.

Decoding: greedy (beam 1), ``<|notimestamps|>``, a prompt (``<|startofprev|>`` + vocabulary hints)
and an optional forced prefix (the segment's committed words: the decoder reads them in one pass
and only generates the rest). Word timings: Whisper's cross-attention alignment heads (faster-
whisper's ``find_alignment``, DTW over the heads), in seconds from the first sample.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Optional

import numpy as np

from .result import Hypothesis

RATE = 16000
#: Silence appended after the audio (s): the last word is whole inside the encoder's view.
PAD_S = 1.0
#: Encoder input is a whole number of these frames (100 frames/s): few distinct shapes.
FRAME_STEP = 50
MIN_FRAMES = 300
MAX_FRAMES = 3000            # Whisper's 30 s window
#: Above this no-speech probability with a low text probability the reading is empty (noise).
NO_SPEECH = 0.6
LOW_PROB = 0.35
#: Tokens generated per second of audio at most (fast speech is ~4-5), plus a margin: a
#: truncated or noisy input that starts repeating stops there.
TOKENS_PER_S = 6
#: Multilingual models: other languages take more tokens per second (Spanish at 6/s was cut off).
TOKENS_PER_S_MULTILINGUAL = 12
TOKEN_MARGIN = 8
#: A run of this many tokens that already occurred ends the reading (see :func:`trim_repeat`).
REPEAT_NGRAM = 4
END_GUARD_S = 0.03
MAX_PROMPT_TOKENS = 100


def trim_repeat(tokens: list[int], keep: int, n: int = REPEAT_NGRAM) -> list[int]:
    """``tokens`` cut where an ``n``-token run repeats an earlier one (never inside the first
    ``keep``, the forced prefix). With the encoder window shortened to the audio, Whisper does not
    see 30 s of silence after the speech and may read the segment again from the start; the
    budget in tokens bounds that, this removes it."""
    seen = set()
    for i in range(len(tokens) - n + 1):
        g = tuple(tokens[i:i + n])
        if g in seen and i >= keep:
            return tokens[:i]
        seen.add(g)
    return tokens


def merge_punctuation(words: list[tuple[str, float, float]]) -> list[tuple[str, float, float]]:
    """Whisper aligns punctuation as words of its own: attach it to the word before (its end
    stays that word's end: the mark has no sound) and drop empty ones."""
    out: list[tuple[str, float, float]] = []
    for text, a, b in words:
        if not text:
            continue
        if out and not any(c.isalnum() for c in text):
            out[-1] = (out[-1][0] + text, out[-1][1], out[-1][2])
        else:
            out.append((text, a, b))
    return out


class WhisperEngine:
    """One loaded Whisper model (CTranslate2, CPU, int8, ``threads`` intra-op threads).

    ``name``: the protocol's model name. Thread-compatible, not thread-safe: one caller at a time
    (the worker process has one thread)."""

    def __init__(self, model_dir: Path, name: str, threads: int = 1):
        from faster_whisper import WhisperModel

        self.name = name
        self._m = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads,
                               num_workers=1, local_files_only=True)
        self.multilingual = self._m.model.is_multilingual
        self._tok: dict[str, object] = {}

    def _tokenizer(self, language: str):
        from faster_whisper.tokenizer import Tokenizer

        t = self._tok.get(language)
        if t is None:
            t = self._tok[language] = Tokenizer(self._m.hf_tokenizer, self.multilingual, task="transcribe",
                                                language=language)
        return t

    def encode(self, audio: np.ndarray):
        """``audio`` ``(N,) float32`` at 16 kHz -> (encoder output, frames of real audio)."""
        import ctranslate2

        n_real = int(math.ceil(len(audio) / 160))
        frames = max(MIN_FRAMES, int(math.ceil((len(audio) / RATE + PAD_S) * 100 / FRAME_STEP)) * FRAME_STEP)
        frames = min(frames, MAX_FRAMES)
        x = np.zeros(frames * 160, dtype=np.float32)
        x[:min(len(audio), len(x))] = audio[:len(x)]
        feats = self._m.feature_extractor(x, padding=0)[:, :frames]
        if feats.shape[1] < frames:
            feats = np.pad(feats, ((0, 0), (0, frames - feats.shape[1])), constant_values=float(feats.min()))
        sv = ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None], dtype=np.float32))
        return self._m.model.encode(sv, to_cpu=False), min(n_real, frames)

    def transcribe(self, audio: np.ndarray, *, prompt: str = "", prefix: str = "", language: Optional[str] = None,
                   words: bool = False) -> Hypothesis:
        """Read ``audio`` (``(N,) float32``, 16 kHz, at most 30 s).

        ``prompt``: vocabulary hints / previous text (conditions the decoder, not output).
        ``prefix``: text forced as the start of the output (the committed words). ``language``:
        a code, or None to detect it (multilingual models; English-only models read "en")."""
        t0 = time.process_time()
        enc, n_frames = self.encode(audio)
        if not self.multilingual:
            language = "en"
        elif language is None:
            res = self._m.model.detect_language(enc)[0]
            language = res[0][0][2:-2]
        tok = self._tokenizer(language)
        seq: list[int] = []
        if prompt.strip():
            seq = [tok.sot_prev] + tok.encode(" " + prompt.strip())[-MAX_PROMPT_TOKENS:]
        seq += list(tok.sot_sequence) + [tok.no_timestamps]
        pre = tok.encode(" " + prefix.strip()) if prefix.strip() else []
        per_s = TOKENS_PER_S_MULTILINGUAL if self.multilingual else TOKENS_PER_S
        budget = int(len(audio) / RATE * per_s) + TOKEN_MARGIN
        r = self._m.model.generate(enc, [seq + pre], beam_size=1, return_scores=True, return_no_speech_prob=True,
                                   max_length=min(448, len(seq) + len(pre) + budget), suppress_blank=not pre)[0]
        # the result holds the forced prefix too
        text_tokens = trim_repeat([t for t in r.sequences_ids[0] if t < tok.eot], len(pre))
        gen = text_tokens[len(pre):]
        score = r.scores[0] if r.scores else -10.0
        prob = float(math.exp(score)) if gen else 1.0
        if r.no_speech_prob > NO_SPEECH and prob < LOW_PROB and not pre:
            text_tokens = []
        text = tok.decode(text_tokens).strip()
        out_words: list[tuple[str, float, float]] = []
        confidence = prob if text else 0.0
        if words and text_tokens:
            al = self._m.find_alignment(tok, [text_tokens], enc, n_frames)
            # words placed at the very end of the real audio are past it: a shortened encoder
            # window invites Whisper to read the segment again (seen: the line twice, its second
            # copy aligned at the last frame)
            end_s = n_frames / 100 - END_GUARD_S
            ws = [w for w in (al[0] if al else []) if w["start"] < end_s or w["end"] - w["start"] > END_GUARD_S]
            out_words = merge_punctuation([(w["word"].strip(), float(w["start"]), float(w["end"])) for w in ws])
            text = tok.decode([t for w in ws for t in w["tokens"]]).strip()
            confidence = float(np.mean([w["probability"] for w in ws])) if ws else 0.0
        return Hypothesis(text=text, words=out_words, language=language, confidence=round(confidence, 3),
                          model=self.name, compute_s=time.process_time() - t0)
