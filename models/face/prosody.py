"""Audio energy of a synthesized clause: RMS envelope, per-phone energy, stressed-syllable accents.

The energy scales how wide vowels open (louder -> wider, as in real speech where jaw opening and
vocal effort rise together) and picks the accents that get brow raises and head nods.

The animator uses :func:`phone_rms_energy`: each phone's RMS over its own samples against a fixed
reference level, so a clause streamed as sub-chunks cut on phone boundaries gets exactly the
energies of the whole clause (no per-chunk normalisation).
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


def phone_rms_energy(audio: np.ndarray, starts: np.ndarray, ends: np.ndarray, ref_rms: float) -> np.ndarray:
    """Energy of each phone ``(P,)``: RMS of ``audio[start:end]`` (int16 PCM read as full scale
    1.0, or float) divided by ``ref_rms``. Depends on the phone's samples only."""
    x = np.asarray(audio)
    scale = 1.0 / 32768.0 if np.issubdtype(x.dtype, np.integer) else 1.0
    x = x.reshape(-1)
    out = np.zeros(len(starts))
    for i, (s, e) in enumerate(zip(starts, ends)):
        s, e = int(max(s, 0)), int(min(e, x.size))
        if e > s:
            # A fresh copy per phone: the sum then cannot depend on where the phone sits in its chunk.
            seg = np.array(x[s:e], dtype=np.float64) * scale
            out[i] = np.sqrt(float(np.dot(seg, seg)) / (e - s))
    return out / max(ref_rms, 1e-9)


@dataclass(frozen=True)
class Accent:
    """A stressed syllable: time of its vowel's centre (s, chunk-relative) and energy (≈0..1.5)."""

    time_s: float
    energy: float
    centre_sample: float = 0.0   # the vowel's centre in samples from the chunk's first (half-integer)


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
        out.append(Accent(0.5 * (q.start + q.end) / sample_rate, float(energy[j]), 0.5 * (q.start + q.end)))
    return out
