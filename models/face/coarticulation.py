"""Coarticulation by Cohen & Massaro (1993) dominance functions.

Method: M. M. Cohen and D. W. Massaro, "Modeling coarticulation in synthetic visual speech",
Models and Techniques in Computer Animation, Springer 1993. Every phone ``s`` has a target vector
``T_s`` and a dominance function over time

    D_s(t) = alpha_s * exp(-theta_s * tau^c),   tau = |t - centre_s| (less a plateau, see below)

with a separate ``theta`` before the centre (anticipation: how early the phone pulls the mouth
towards itself) and after it (carry-over). The mouth at time ``t`` is the dominance-weighted mean

    F(t) = sum_s D_s(t) T_s / sum_s D_s(t).

As in the original model, dominance is per articulatory parameter: here two groups, the jaw/lip
aperture channels and the lip *shape* channels (rounding/spreading). Tongue consonants (t d n k s)
have low shape dominance, so their lips take the neighbouring vowel's rounding.

Two additions an animator needs for a rig driven at 30-60 fps:
- a *plateau*: ``tau`` is measured from the edge of a flat top of half-width ``h``. Bilabials and
  labiodentals get ``h`` of at least 20 / 15 ms and very high ``alpha``, which makes the lips reach
  closure at the phone centre (the closure of a real stop lasts 50-100 ms; Piper's alignment gives
  p/b/m only their release, often 23 ms) and so any frame within half a frame period of the centre
  of a p/b/m shows sealed lips even at 30 fps.
- a constant *rest* term ``alpha_rest`` with an all-zero target, so far from any phone (before and
  after speech) the mouth settles to rest.
- cancellation: after a cut at ``kill``, a cancelled phone's target fades to rest over 80 ms and its
  dominance then fades out, so the mouth closes smoothly within ~100 ms.

Dominance is tapered to exactly 0 beyond 0.45 s from the plateau so evaluation only needs the
phones near the query times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .visemes import MOUTH_CHANNELS, OPENING_MASK, SHAPE_MASK, is_modifier, is_vowel, target_vector, viseme_for

#: Dominance of the all-zero rest target, everywhere.
ALPHA_REST = 0.01
#: Dominance beyond the plateau fades to 0 between these distances (s).
TAPER_START_S = 0.25
TAPER_END_S = 0.45
#: Reach of a phone beyond its plateau (s); used to select phones for a time range.
REACH_S = TAPER_END_S
#: Time over which a cancelled phone's dominance fades out after a cut (s).
CUT_FADE_S = 0.08


@dataclass(frozen=True)
class DominanceParams:
    """Cohen-Massaro parameters of a viseme class: ``alpha_jaw`` / ``alpha_shape`` magnitudes for the
    two channel groups, ``theta_before`` / ``theta_after`` rates (1/s), exponent ``c``, and the
    minimum plateau half-width ``min_plateau_s`` (s)."""

    alpha_jaw: float
    alpha_shape: float
    theta_before: float
    theta_after: float
    c: float = 1.0
    min_plateau_s: float = 0.0


#: Per-viseme dominance. Values chosen so vowels reach ~70-85 % of their target (natural undershoot),
#: bilabial closure is always reached, and tongue consonants are transparent for lip shape.
DOMINANCE: dict[str, DominanceParams] = {
    "sil": DominanceParams(1.0, 1.0, 12.0, 12.0),            # alpha scaled by pause length, see below
    "PP": DominanceParams(25.0, 1.2, 100.0, 100.0, 1.0, 0.020),
    "FF": DominanceParams(6.0, 0.8, 70.0, 70.0, 1.0, 0.015),
    "TH": DominanceParams(3.0, 0.5, 40.0, 40.0),
    "DD": DominanceParams(1.2, 0.3, 35.0, 35.0),
    "kk": DominanceParams(1.0, 0.3, 35.0, 35.0),
    "CH": DominanceParams(2.0, 2.0, 30.0, 30.0),
    "SS": DominanceParams(1.5, 0.6, 35.0, 35.0),
    "nn": DominanceParams(1.0, 0.3, 35.0, 35.0),
    "RR": DominanceParams(1.0, 1.5, 25.0, 20.0),
    "aa": DominanceParams(1.0, 1.0, 18.0, 14.0),
    "E": DominanceParams(1.0, 1.0, 18.0, 14.0),
    "ih": DominanceParams(1.0, 1.0, 18.0, 14.0),
    "oh": DominanceParams(1.0, 1.2, 16.0, 12.0),
    "ou": DominanceParams(1.0, 1.5, 16.0, 12.0),
}
#: /h/ has almost no articulation of its own: it takes the shape of the vowel that follows.
H_PARAMS = DominanceParams(0.15, 0.15, 35.0, 35.0)


@dataclass
class PhoneArrays:
    """Phones of one or more clauses on the session time axis, as parallel arrays (P = phones).

    ``center``, ``plateau``, ``kill`` in seconds (``kill`` = time after which the phone fades out,
    +inf unless cut); ``alpha`` ``(P, 2)`` [jaw group, shape group]; ``theta_before``,
    ``theta_after``, ``c`` ``(P,)``; ``targets`` ``(P, len(MOUTH_CHANNELS))``; ``voiced`` ``(P,)``
    bool (False for pauses); ``start``/``end`` (s) the phone's span.
    """

    start: np.ndarray
    end: np.ndarray
    center: np.ndarray
    plateau: np.ndarray
    alpha: np.ndarray
    theta_before: np.ndarray
    theta_after: np.ndarray
    c: np.ndarray
    targets: np.ndarray
    voiced: np.ndarray
    kill: np.ndarray

    @staticmethod
    def empty() -> "PhoneArrays":
        z = np.zeros(0)
        return PhoneArrays(z, z, z, z, np.zeros((0, 2)), z, z, z, np.zeros((0, len(MOUTH_CHANNELS))),
                           np.zeros(0, dtype=bool), z)

    def __len__(self) -> int:
        return int(self.center.shape[0])

    def select(self, mask_or_idx) -> "PhoneArrays":
        return PhoneArrays(*(getattr(self, f)[mask_or_idx] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(parts: list["PhoneArrays"]) -> "PhoneArrays":
        parts = [p for p in parts if len(p)]
        if not parts:
            return PhoneArrays.empty()
        return PhoneArrays(*(np.concatenate([getattr(p, f) for p in parts])
                             for f in PhoneArrays.__dataclass_fields__))


def vowel_gain(energy: np.ndarray) -> np.ndarray:
    """Jaw-opening gain of a vowel from its normalised energy: 0.55 at silence .. 1.15 at 1.2 and
    above (loud speech opens wider; quiet speech still articulates)."""
    return 0.55 + 0.5 * np.clip(energy, 0.0, 1.2)


def build_phones(phonemes, energy: np.ndarray, sample_rate: int, start_s: float) -> PhoneArrays:
    """Dominance parameters and targets for the phones of one clause.

    Args:
        phonemes: TimedPhoneme list (sample spans from the clause's first sample).
        energy: ``(P,)`` normalised energy per phone (prosody.phone_energy).
        sample_rate: Hz of the spans.
        start_s: session time of the clause's first sample (s).
    """
    rows = []
    prev_vis = "sil"
    prev_vec = target_vector("_")
    for p, e in zip(phonemes, energy):
        dur = (p.end - p.start) / sample_rate
        if is_modifier(p.phoneme):  # a stray diacritic continues the previous phone's shape
            vis, vec = prev_vis, prev_vec.copy()
        else:
            vis, vec = viseme_for(p.phoneme), target_vector(p.phoneme)
        params = H_PARAMS if p.phoneme == "h" else DOMINANCE[vis]
        a_jaw, a_shape = params.alpha_jaw, params.alpha_shape
        plateau = max(params.min_plateau_s, 0.0)
        if vis == "sil":
            # Short word-gap pauses (< 60 ms) barely pull the mouth; long pauses bring it to rest.
            k = float(np.clip((dur - 0.05) / 0.15, 0.03, 1.5))
            a_jaw, a_shape = k, k
            plateau = max(0.0, dur / 2 - 0.04)
        elif vis in ("PP", "FF"):
            plateau = max(plateau, dur / 2)
        if is_vowel(p.phoneme):
            vec = vec.copy()
            vec[OPENING_MASK] *= vowel_gain(np.array([e]))[0]
        rows.append((start_s + p.start / sample_rate, start_s + p.end / sample_rate,
                     start_s + 0.5 * (p.start + p.end) / sample_rate, plateau, a_jaw, a_shape,
                     params.theta_before, params.theta_after, params.c, vec, vis != "sil"))
        prev_vis, prev_vec = vis, vec
    if not rows:
        return PhoneArrays.empty()
    cols = list(zip(*rows))
    f = lambda i: np.array(cols[i], dtype=np.float64)  # noqa: E731
    return PhoneArrays(
        start=f(0), end=f(1), center=f(2), plateau=f(3),
        alpha=np.stack([f(4), f(5)], axis=1), theta_before=f(6), theta_after=f(7), c=f(8),
        targets=np.clip(np.stack(cols[9]), 0.0, 1.0), voiced=np.array(cols[10], dtype=bool),
        kill=np.full(len(rows), np.inf),
    )


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def blend(t: np.ndarray, ph: PhoneArrays) -> tuple[np.ndarray, np.ndarray]:
    """Mouth channels at times ``t`` ``(B,)`` (s) from phones ``ph``.

    Returns ``(mouth (B, len(MOUTH_CHANNELS)) float64, activity (B,) float64)`` where activity is
    the share of jaw dominance held by voiced phones (0 = at rest / pausing, ~1 = articulating).
    """
    B = t.shape[0]
    if len(ph) == 0:
        return np.zeros((B, len(MOUTH_CHANNELS))), np.zeros(B)
    tau = t[:, None] - ph.center[None, :]                               # (B, P), + after the centre
    theta = np.where(tau < 0.0, ph.theta_before[None, :], ph.theta_after[None, :])
    d = np.maximum(np.abs(tau) - ph.plateau[None, :], 0.0)
    base = np.exp(-theta * np.power(d, ph.c[None, :]))
    base *= 1.0 - _smoothstep((d - TAPER_START_S) / (TAPER_END_S - TAPER_START_S))
    # After a cut, a cancelled phone's *target* fades to rest over CUT_FADE_S (so the mouth closes
    # smoothly, linearly in the fade, with no pop), and only afterwards does its dominance fade out.
    # Fading the dominance alone would keep the normalised mix unchanged until the tiny rest term
    # takes over at the very end: a snap.
    cut = t[:, None] - ph.kill[None, :]
    cut = np.where(np.isfinite(cut), cut, -1.0)
    keep = 1.0 - _smoothstep(cut / CUT_FADE_S)
    base *= 1.0 - _smoothstep((cut - CUT_FADE_S) / (2 * CUT_FADE_S))
    d_jaw = base * ph.alpha[None, :, 0]
    d_shape = base * ph.alpha[None, :, 1]
    den_jaw = d_jaw.sum(axis=1) + ALPHA_REST
    den_shape = d_shape.sum(axis=1) + ALPHA_REST
    mouth_jaw = ((d_jaw * keep) @ ph.targets) / den_jaw[:, None]
    mouth_shape = ((d_shape * keep) @ ph.targets) / den_shape[:, None]
    mouth = np.where(SHAPE_MASK[None, :], mouth_shape, mouth_jaw)
    activity = (d_jaw * keep * ph.voiced[None, :]).sum(axis=1) / den_jaw
    return mouth, activity
