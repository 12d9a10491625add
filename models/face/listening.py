"""Listening layer: how the face listens to its partner (the player) between and during its turns.

Driven by the partner's microphone audio (16 kHz float32) and the partner's turn boundaries, on
the session time axis (s):

- features (:func:`partner_features`): every 10 ms, loudness (dB over the stream's running
  floor) and pitch (F0, Hz; 0 when unvoiced) from a normalised-autocorrelation estimator (a
  simplified YIN, de Cheveigné & Kawahara 2002: 40 ms window, 70-400 Hz, voicing threshold 0.5).
- the face follows the partner after a reaction delay :data:`REACT_S` (listeners' backchannel
  responses come ~0.2-0.5 s after the cue, Ward & Tsukahara 2000); the delay also covers the
  daemon's send-ahead, so frames already sent never depended on audio not yet heard.
- while the partner speaks (eased in/out): eyes hold on the partner (idle saccades shrink),
  a slight attentive head tilt, brows rise with the partner's emphasis (loudness and pitch above
  their running level) and the head dips a little on loud syllables.
- small nods at the partner's pauses (>= 200 ms of quiet inside a turn), with probability
  :data:`NOD_P` drawn from the seed, and a blink at turn boundaries (:data:`TURN_BLINK_P`).

Deterministic for a seed: every random draw is indexed by (seed, event index), never by call order.
"""

from __future__ import annotations

import numpy as np

from faceplex.protocol.names import CHANNEL_INDEX

_C = CHANNEL_INDEX
RATE = 16000
HOP = 160                 # 10 ms
WIN = 640                 # 40 ms
REACT_S = 0.3
EASE_IN_S, EASE_OUT_S = 0.12, 0.5
PAUSE_S = 0.2
NOD_P = 0.6
TURN_BLINK_P = 0.6
_EYE_SHAPES = [_C[n] for n in _C if n.startswith("eyeLook")]
_EYE_ROT = [_C[n] for n in ("leftEyeYaw", "leftEyePitch", "rightEyeYaw", "rightEyePitch")]


def partner_features(x: np.ndarray, floor_db: float = -60.0) -> tuple[np.ndarray, np.ndarray]:
    """``(loudness dB re full scale, f0 Hz)`` per 10 ms hop of ``x`` (16 kHz float32 in [-1, 1]).

    Hop ``i`` covers ``x[i*160 : i*160 + 640]`` (only complete windows)."""
    n = (len(x) - WIN) // HOP + 1
    if n <= 0:
        return np.zeros(0), np.zeros(0)
    idx = np.arange(WIN)[None, :] + HOP * np.arange(n)[:, None]
    fr = x[idx].astype(np.float64)
    fr = fr - fr.mean(axis=1, keepdims=True)
    rms = np.sqrt((fr ** 2).mean(axis=1)) + 1e-9
    db = np.maximum(20 * np.log10(rms), floor_db)
    spec = np.fft.rfft(fr * np.hanning(WIN), 2 * WIN, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :WIN]
    ac = ac / np.maximum(ac[:, :1], 1e-12)
    lo, hi = RATE // 400, RATE // 70
    seg = ac[:, lo:hi]
    k = seg.argmax(axis=1)
    peak = seg[np.arange(n), k]
    f0 = np.where((peak > 0.5) & (db > -45), RATE / (k + lo), 0.0)
    return db, f0


class ListeningLayer:
    """Partner features and turn events on the session time axis, evaluated into frames."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._tail = np.zeros(0, dtype=np.float32)   # samples not yet in a complete hop window
        self._t0 = None                               # session time of the first stored hop
        self._db = np.zeros(0)
        self._f0 = np.zeros(0)
        self._next_s = None                           # session time of the next expected sample
        self.turns: list[tuple[float, str]] = []      # (time s, "start" | "stop")
        self.blinks_t: list[float] = []
        self.blinks_d: list[float] = []
        self._nods: list[tuple[float, float]] = []    # (time s, amplitude rad)
        self._quiet_run = 0
        self._in_pause = True

    # ---------------------------------------------------------------- input
    def add_audio(self, x: np.ndarray, start_s: float) -> None:
        """Partner audio ``x`` (16 kHz float32) whose first sample sits at ``start_s``."""
        if self._next_s is None or abs(start_s - self._next_s) > 0.05:
            # (re)anchor: a gap in the stream starts a fresh hop grid
            self._tail = np.zeros(0, dtype=np.float32)
            self._hop_start = float(start_s)
            if self._t0 is None:
                self._t0 = float(start_s)
            else:  # pad the feature track with silence up to the new anchor
                gap = int(round((start_s - (self._t0 + len(self._db) * 0.01)) / 0.01))
                if gap > 0:
                    self._db = np.concatenate([self._db, np.full(gap, -60.0)])
                    self._f0 = np.concatenate([self._f0, np.zeros(gap)])
        self._next_s = float(start_s) + len(x) / RATE
        buf = np.concatenate([self._tail, np.asarray(x, dtype=np.float32)])
        db, f0 = partner_features(buf)
        if len(db):
            self._tail = buf[len(db) * HOP:]
            base = len(self._db)
            self._db = np.concatenate([self._db, db])
            self._f0 = np.concatenate([self._f0, f0])
            self._find_pauses(base)
        else:
            self._tail = buf

    def _find_pauses(self, base: int) -> None:
        """Nod candidates: the partner's loudness falls quiet for PAUSE_S inside a turn."""
        if len(self._db) == 0:
            return
        ref = float(np.percentile(self._db[-300:], 90))
        for i in range(base, len(self._db)):
            quiet = self._db[i] < ref - 25.0 or self._db[i] < -50.0
            self._quiet_run = self._quiet_run + 1 if quiet else 0
            if not quiet:
                self._in_pause = False
            elif not self._in_pause and self._quiet_run * 0.01 >= PAUSE_S and self._speaking_at(self._t(i)):
                self._in_pause = True
                k = len(self._nods) + 1
                rng = np.random.default_rng([self.seed, 505, k])
                if rng.uniform() < NOD_P:
                    self._nods.append((self._t(i) + REACT_S - PAUSE_S + 0.1, float(rng.uniform(0.03, 0.055))))

    def _t(self, i: int) -> float:
        return self._t0 + i * 0.01 + WIN / 2 / RATE

    def _speaking_at(self, t: float) -> bool:
        state = False
        for tt, kind in self.turns:
            if tt > t:
                break
            state = kind == "start"
        return state

    def turn(self, kind: str, t: float) -> None:
        """The partner's turn ``"start"``s or ``"stop"``s; takes effect at session time ``t``."""
        self.turns.append((float(t), kind))
        self.turns.sort()
        rng = np.random.default_rng([self.seed, 606, len(self.turns)])
        if rng.uniform() < TURN_BLINK_P:
            self.blinks_t.append(float(t) + 0.05)
            self.blinks_d.append(float(np.clip(rng.normal(0.2, 0.04), 0.12, 0.32)))
        if kind == "stop":
            self._in_pause = True

    # ---------------------------------------------------------------- output
    def weight(self, t: np.ndarray) -> np.ndarray:
        """Listening weight in [0, 1]: eases in at a turn start, out after its stop."""
        w = np.zeros_like(t)
        state_t, state = None, "stop"
        for tt, kind in self.turns:
            if kind == state:
                continue
            if kind == "start":
                w = np.where(t >= tt, np.maximum(w, np.clip((t - tt) / EASE_IN_S, 0, 1)), w)
            else:
                if state_t is not None:
                    fall = np.clip(1 - (t - tt) / EASE_OUT_S, 0, 1)
                    w = np.where(t >= tt, np.minimum(w, fall), w)
            state_t, state = tt, kind
        return w * w * (3 - 2 * w)

    def _feature(self, arr: np.ndarray, t: np.ndarray, default: float) -> np.ndarray:
        if self._t0 is None or len(arr) == 0:
            return np.full(t.shape, default)
        i = np.round((t - REACT_S - self._t0) / 0.01).astype(int)
        ok = (i >= 0) & (i < len(arr))
        return np.where(ok, arr[np.clip(i, 0, len(arr) - 1)], default)

    def evaluate(self, t: np.ndarray, out: np.ndarray, x: float) -> None:
        """Add listening motion for times ``t`` ``(B,)`` to ``out`` ``(B, 59)`` (after the idle layer)."""
        w = self.weight(t)
        if self._nods:
            nt = np.array([n[0] for n in self._nods])
            na = np.array([n[1] for n in self._nods])
            dt = t[:, None] - nt[None, :]
            shape = np.where(np.abs(dt / 0.35 - 0.5) < 0.5, np.sin(np.pi * np.clip(dt / 0.35, 0, 1)), 0.0)
            out[:, _C["headPitch"]] += x * (na[None, :] * shape).sum(axis=1)
        if not w.any():
            return
        # Attention: eyes hold on the partner, head tilts a little.
        out[:, _EYE_SHAPES] *= (1 - 0.5 * w)[:, None]
        out[:, _EYE_ROT] *= (1 - 0.5 * w)[:, None]
        out[:, _C["headRoll"]] += x * 0.035 * w
        if self._t0 is None:
            return
        db = self._feature(self._db, t, -60.0)
        f0 = self._feature(self._f0, t, 0.0)
        recent = self._db[-300:]
        level = float(np.percentile(recent, 70)) if len(recent) else -30.0
        loud = np.clip((db - level) / 10.0, 0.0, 1.0)
        voiced = self._f0[-300:][self._f0[-300:] > 0]
        if len(voiced):
            semis = np.where(f0 > 0, 12 * np.log2(np.maximum(f0, 1) / np.median(voiced)), 0.0)
        else:
            semis = np.zeros_like(t)
        rise = np.clip(semis / 4.0, 0.0, 1.0)
        emph = w * np.clip(0.6 * loud + 0.6 * rise, 0.0, 1.0)
        out[:, _C["browInnerUp"]] += x * 0.35 * emph
        out[:, _C["browOuterUpLeft"]] += x * 0.25 * emph
        out[:, _C["browOuterUpRight"]] += x * 0.23 * emph
        out[:, _C["headPitch"]] += x * 0.012 * w * loud
