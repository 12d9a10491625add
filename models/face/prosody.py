"""Audio energy of a synthesized clause: RMS envelope, per-phone energy, stressed-syllable accents.

The energy scales how wide vowels open (louder -> wider, as in real speech where jaw opening and
vocal effort rise together) and picks the accents that get brow raises and head nods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .visemes import is_vowel

#: Envelope hop (s): 10 ms, the usual analysis hop for speech energy.
HOP_S = 0.010


def rms_envelope(audio: np.ndarray, sample_rate: int, hop_s: float = HOP_S) -> np.ndarray:
    """Normalised RMS envelope ``(ceil(N / hop),) float64`` of int16 (or float) mono PCM ``(N,)``.

    RMS per ``hop_s`` bin, smoothed with a 3-tap [1 2 1] filter (≈20 ms window), divided by the
    95th percentile of the voiced bins (bins above 10 % of the maximum) so a clause's loud vowels
    sit near 1.0 whatever the voice's level; clipped to [0, 1.5].
    """
    x = np.asarray(audio, dtype=np.float64).reshape(-1)
    if x.size == 0:
        return np.zeros(0)
    if np.issubdtype(np.asarray(audio).dtype, np.integer):
        x = x / 32768.0
    hop = max(1, int(round(hop_s * sample_rate)))
    n = -(-x.size // hop)
    pad = np.zeros(n * hop)
    pad[: x.size] = x
    rms = np.sqrt(np.mean(pad.reshape(n, hop) ** 2, axis=1))
    if n >= 3:
        rms = np.convolve(np.pad(rms, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    peak = rms.max()
    if peak <= 1e-6:
        return np.zeros(n)
    voiced = rms[rms > 0.1 * peak]
    ref = np.percentile(voiced, 95) if voiced.size else peak
    return np.clip(rms / max(ref, 1e-6), 0.0, 1.5)


def phone_energy(env: np.ndarray, starts: np.ndarray, ends: np.ndarray, sample_rate: int,
                 hop_s: float = HOP_S) -> np.ndarray:
    """Mean normalised energy of each phone ``(P,)`` from the envelope; phones are ``[start, end)``
    in samples. A phone shorter than a hop reads the bin it sits in."""
    hop = hop_s * sample_rate
    out = np.zeros(len(starts))
    if env.size == 0:
        return out
    for i, (s, e) in enumerate(zip(starts, ends)):
        a = min(int(s // hop), env.size - 1)
        b = max(a + 1, min(int(-(-e // hop)), env.size))
        out[i] = env[a:b].mean()
    return out


@dataclass(frozen=True)
class Accent:
    """A stressed syllable: time of its vowel's centre (s, chunk-relative) and energy (≈0..1.5)."""

    time_s: float
    energy: float


def accents(phonemes, energy: np.ndarray, sample_rate: int) -> list[Accent]:
    """Stressed syllables of a clause. ``phonemes`` are TimedPhoneme; a stress flag sits on the
    first phone after espeak's ˈ mark, usually the vowel; otherwise the next vowel within 3 phones
    carries the accent."""
    out: list[Accent] = []
    n = len(phonemes)
    for i, p in enumerate(phonemes):
        if not p.stressed:
            continue
        j = i
        while j < min(n, i + 4) and not is_vowel(phonemes[j].phoneme):
            j += 1
        if j >= n or not is_vowel(phonemes[j].phoneme):
            j = i
        q = phonemes[j]
        out.append(Accent(0.5 * (q.start + q.end) / sample_rate, float(energy[j])))
    return out
