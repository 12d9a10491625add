"""Stressed syllables of recorded speech, from the audio alone (issue 23: the upper face of a
``lipsync`` line was dead, because its phones, from PocketSphinx, carry no stress marks).

Piper's phones carry espeak's primary-stress marks, and the animator raises the brows and nods on
them (:func:`faceplex.models.face.prosody.accents`). For speech FacePlex did not make, a vowel is
marked ``stressed`` when it stands out acoustically, the cues of English lexical and phrasal
stress (Fry 1958, "Experiments in the perception of stress": duration and intensity; pitch is not
used here): its loudest 10 ms frame is the loudest within +-:data:`PEAK_S` (a local maximum: one
accent per syllable peak), reaches :data:`LEVEL` of the loud speech around it (the 95th percentile
of the voiced frames over the :data:`CONTEXT_S` before it and what is available after, so a quiet
recording gets as many accents as a loud one), and lasts at least :data:`MIN_VOWEL_S`.

A pure function of the audio up to where the caller has it: the offline bake passes the whole
recording, the streamed word tracker the audio received so far (its look-ahead past the commit).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

#: Envelope hop (s).
HOP_S = 0.010
#: A stressed vowel's peak is the largest within this distance (s).
PEAK_S = 0.15
#: Fraction of the loud speech level (linear RMS, -6 dB) a stressed vowel's peak reaches.
LEVEL = 0.5
#: Context before a vowel (s) whose loud frames set the level.
CONTEXT_S = 2.0
#: Shortest vowel (s) that can carry stress (unstressed English vowels are often shorter).
MIN_VOWEL_S = 0.05


def _envelope(audio: np.ndarray, rate: int) -> np.ndarray:
    x = np.asarray(audio, dtype=np.float64).reshape(-1) / 32768.0
    hop = max(1, int(round(HOP_S * rate)))
    n = x.size // hop
    if n == 0:
        return np.zeros(0)
    return np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1))


def mark_stress(phonemes: list, audio: np.ndarray, rate: int, offset: int, is_vowel) -> list:
    """``phonemes`` (TimedPhoneme, samples from ``offset`` in ``audio``) with ``stressed=True`` on
    the vowels that stand out (module docstring). ``audio``: ``(N,) int16`` at ``rate`` Hz, the
    recording so far (it must hold the phones); ``is_vowel``: phone -> bool. Other phones are
    returned as they are."""
    env = _envelope(audio, rate)
    if env.size == 0:
        return list(phonemes)
    hop = HOP_S * rate
    peak_all = float(env.max())
    out = []
    for p in phonemes:
        if not is_vowel(p.phoneme) or (p.end - p.start) < MIN_VOWEL_S * rate:
            out.append(p)
            continue
        a = int((p.start + offset) // hop)
        b = max(a + 1, int(-(-(p.end + offset) // hop)))
        if a >= env.size:
            out.append(p)
            continue
        b = min(b, env.size)
        k = a + int(env[a:b].argmax())
        v = float(env[k])
        w = int(PEAK_S / HOP_S)
        local = env[max(0, k - w): k + w + 1]
        ctx = env[max(0, k - int(CONTEXT_S / HOP_S)): k + w + 1]
        voiced = ctx[ctx > 0.1 * peak_all]
        level = float(np.percentile(voiced, 95)) if voiced.size else v
        stressed = v >= float(local.max()) and v >= LEVEL * level and v > 0.0
        out.append(replace(p, stressed=True) if stressed and not p.stressed else p)
    return out
