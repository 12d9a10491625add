"""Lip-sync and motion measures against the audio itself (not against the teacher's timing).

The reference for articulation is an independent PocketSphinx forced alignment of the take's own
audio to its transcript (:func:`aligned_phones`; ARPAbet phones, 10 ms frames), so a model is not
rewarded for copying the rule animator:

- :func:`bilabials`: for every aligned P/B/M, whether the lips are held shut
  (``visemes.lips_shut``) for at least 2 consecutive frames within the phone's span widened by
  one frame each side, and the timing error (ms, + = late) of the shut run's centre against the
  phone's centre;
- :func:`open_vowels`: for every aligned open vowel (AA AE AO AW AY), whether ``jawOpen`` reaches
  :data:`OPEN_JAW` inside its span;
- :func:`jaw_lag_ms`: lag (ms, + = jaw after audio) maximizing the correlation of ``jawOpen``
  with the audio's RMS envelope;
- :func:`smoothness`: mean |velocity| and |jerk| of the mouth channels (units/s, units/s^3);
- :func:`listening_motion`: upper-face speed while the partner speaks and the avatar does not.
"""

from __future__ import annotations

import numpy as np

from faceplex.models.face.visemes import MOUTH_INDEX, lips_shut
from faceplex.protocol.names import ARKIT_52, CHANNEL_INDEX, NUM_CHANNELS

_C = CHANNEL_INDEX
_NS = len(ARKIT_52)
UPPER = np.array([_C[n] for n in ARKIT_52 if n.startswith(("brow", "eyeBlink", "eyeLook", "eyeSquint", "eyeWide"))]
                 + list(range(_NS, NUM_CHANNELS)))
BILABIAL = ("P", "B", "M")
OPEN_VOWELS = ("AA", "AE", "AO", "AW", "AY")
#: jawOpen an open vowel must reach to count as opened.
OPEN_JAW = 0.2


def aligned_phones(audio: np.ndarray, sr: int, clauses: list[tuple[float, float, str]]) -> list[tuple[str, float, float]]:
    """PocketSphinx forced alignment of each clause ``(start_s, end_s, text)`` of ``audio``
    (``(N,) int16`` at ``sr``) -> ``[(ARPAbet phone, start_s, end_s)]`` on the take's axis."""
    import re

    from faceplex.models.speech.align import aligner

    from .features import to_16k

    out = []
    al = aligner()
    for a_s, b_s, text in clauses:
        seg = audio[int(a_s * sr): int(b_s * sr)]
        x16 = np.clip(np.round(to_16k(seg, sr) * 32768.0), -32768, 32767).astype(np.int16)
        phones, _ = al.align(x16, text)
        for p in phones:
            out.append((re.sub(r"\d", "", p.phone.upper()), a_s + p.start / 16000, a_s + p.end / 16000))
    return out


def bilabials(frames: np.ndarray, fps: int, phones) -> list[tuple[bool, float | None]]:
    """``[(held shut >= 2 frames, timing error ms or None)]`` per aligned P/B/M."""
    shut = lips_shut(frames)
    out = []
    for ph, a, b in phones:
        if ph not in BILABIAL:
            continue
        lo, hi = max(0, int(np.floor(a * fps)) - 1), min(frames.shape[0], int(np.ceil(b * fps)) + 2)
        seg = shut[lo:hi]
        best, run, best_end = 0, 0, -1
        for i, s in enumerate(seg):
            run = run + 1 if s else 0
            if run > best:
                best, best_end = run, i
        if best >= 2:
            centre = (lo + best_end - (best - 1) / 2) / fps
            out.append((True, 1000.0 * (centre - (a + b) / 2)))
        else:
            out.append((False, None))
    return out


def open_vowels(frames: np.ndarray, fps: int, phones) -> list[bool]:
    jaw = frames[:, _C["jawOpen"]]
    out = []
    for ph, a, b in phones:
        if ph in OPEN_VOWELS:
            lo, hi = int(np.floor(a * fps)), max(int(np.floor(a * fps)) + 1, int(np.ceil(b * fps)) + 1)
            out.append(bool(jaw[lo:hi].max(initial=0.0) >= OPEN_JAW))
    return out


def envelope(audio: np.ndarray, sr: int, fps: int, n: int) -> np.ndarray:
    x = audio.astype(np.float64) / 32768.0
    hop = sr / fps
    env = np.zeros(n)
    for i in range(n):
        a, b = int(max(0, (i - 0.5) * hop)), int(min(x.shape[0], (i + 0.5) * hop))
        env[i] = np.sqrt((x[a:b] ** 2).mean()) if b > a else 0.0
    return env


def jaw_lag_ms(frames: np.ndarray, audio: np.ndarray, sr: int, fps: int, max_lag: int | None = None) -> float:
    n = frames.shape[0]
    env = envelope(audio, sr, fps, n)
    jaw = frames[:, _C["jawOpen"]].astype(np.float64)
    env, jaw = env - env.mean(), jaw - jaw.mean()
    max_lag = max_lag or fps // 5
    best, best_l = -np.inf, 0
    for lag in range(-max_lag, max_lag + 1):
        a = jaw[max(0, lag): n + min(0, lag)]
        b = env[max(0, -lag): n - max(0, lag)]
        c = float((a * b).sum() / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
        if c > best:
            best, best_l = c, lag
    return 1000.0 * best_l / fps


def smoothness(frames: np.ndarray, fps: int) -> tuple[float, float]:
    """Mean |velocity| (units/s) and |jerk| (units/s^3) of the mouth channels."""
    m = frames[:, MOUTH_INDEX].astype(np.float64)
    if m.shape[0] < 4:
        return float("nan"), float("nan")
    v = np.diff(m, axis=0) * fps
    j = np.diff(m, n=3, axis=0) * fps ** 3
    return float(np.abs(v).mean()), float(np.abs(j).mean())


def listening_motion(frames: np.ndarray, mask: np.ndarray, fps: int) -> tuple[float, float, int]:
    """(mean |d/dt| of the upper face while listening, frozen fraction of 1 s windows, windows)."""
    if mask.sum() < 2:
        return float("nan"), float("nan"), 0
    up = frames[:, UPPER].astype(np.float64)
    d = np.abs(np.diff(up, axis=0)).mean(axis=1) * fps
    speed = float(d[mask[1:] & mask[:-1]].mean())
    frozen, windows = 0, 0
    idx = np.flatnonzero(mask)
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
    for r in runs:
        for s in range(r[0], r[-1] - fps + 2, fps):
            w = up[s: s + fps]
            windows += 1
            frozen += bool(np.abs(w - w[0]).max() < 1e-3)
    return speed, (frozen / windows if windows else float("nan")), windows
