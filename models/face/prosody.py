"""Audio energy of a synthesized clause: RMS envelope, per-phone energy, stressed-syllable accents.

The energy scales how wide vowels open (louder -> wider, as in real speech where jaw opening and
vocal effort rise together) and picks the accents that get brow raises and head nods.

The animator uses :func:`phone_rms_energy`: each phone's RMS over its own samples against a fixed
reference level, so a clause streamed as sub-chunks cut on phone boundaries gets exactly the
energies of the whole clause (no per-chunk normalisation).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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


#: Phones whose span may hold the clause's trailing silence (:func:`trim_silent_tails`): vowels
#: and these sonorants (first character). Stops are left alone: their closure *is* silence.
TAIL_SONORANTS = frozenset("mnŋɴɲɳlɹrɻjwɰ")
#: A tail counts as silent below this share of the phone's loudest window ...
TAIL_SILENT_REL = 0.1
#: ... and is split off only when at least this long (s).
TAIL_MIN_S = 0.05


def trim_silent_tails(phonemes, audio: np.ndarray, sample_rate: int) -> list:
    """The phones with each vowel's or sonorant's silent tail split off as a ``"_"`` pause.

    Kokoro's Japanese and Mandarin clauses (misaki G2P) end without a pause token, so the last
    vowel or nasal's span swallows the trailing silence: 0.5-0.6 s against ~0.15 s of sound
    (``bench_lipsync --voice zf_xiaoxiao``). The animator centres a phone's target on its span,
    so the jaw then opened in the silence after the line (aperture-envelope lag +142 ms). Here
    the span ends after the last 10 ms window (:data:`HOP_S`) whose RMS reaches
    :data:`TAIL_SILENT_REL` of the phone's loudest window, when that leaves at least
    :data:`TAIL_MIN_S` of tail. Depends on each phone's own samples only, so sub-chunks cut on
    phone boundaries trim exactly as the whole clause. Spans in samples; the result still tiles
    the phones' range; phones without sound (all-zero audio) are kept whole.

    Args:
        phonemes: TimedPhoneme list (sample spans from the chunk's first sample).
        audio: ``(N,)`` int16 (full scale 32768) or float PCM of the chunk.
        sample_rate: Hz of the spans.
    """
    x = np.asarray(audio).reshape(-1)
    hop = max(1, int(round(HOP_S * sample_rate)))
    min_tail = int(round(TAIL_MIN_S * sample_rate))
    out = []
    for p in phonemes:
        s, e = int(max(p.start, 0)), int(min(p.end, x.size))
        n = (e - s) // hop
        if p.phoneme == "_" or n < 1 or not (is_vowel(p.phoneme) or p.phoneme[:1] in TAIL_SONORANTS):
            out.append(p)
            continue
        seg = np.array(x[s: s + n * hop], dtype=np.float64).reshape(n, hop)
        rms = np.sqrt((seg * seg).mean(axis=1))
        loud = np.flatnonzero(rms >= TAIL_SILENT_REL * rms.max())
        cut = s + (int(loud[-1]) + 1) * hop
        if rms.max() <= 0.0 or p.end - cut < min_tail:
            out.append(p)
            continue
        out += [replace(p, end=cut), replace(p, phoneme="_", start=cut, stressed=False)]
    return out


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
