"""Idle ("alive") layer: blinks, eye saccades, slow head drift, breathing.

Randomness is drawn lazily *in time order* from per-stream numpy Generators seeded by the session
seed, so the schedules are a pure function of (seed, time): however ``frames()`` is chunked, the
same blinks and saccades come out.

Sources of the constants:
- Spontaneous blink rate ~15-20 / min in conversation, inter-blink intervals roughly exponential
  with a refractory minimum (Bentivoglio et al. 1997, "Analysis of blink rate patterns in normal
  subjects", Mov. Disord. 12(6)); blink duration 100-400 ms with a fast closing phase and a slower
  opening (~1:2) (VanderWerf et al. 2003, J. Neurophysiol. 89).
- Conversational gaze: saccades every ~0.5-3 s, mostly within ±10-15° of the partner, saccade
  duration 30-60 ms for such amplitudes (the main sequence, Bahill et al. 1975).
- Quiet breathing ~12-18 breaths / min (0.2-0.3 Hz); head sway of a seated talker is a few degrees.
"""

from __future__ import annotations

import bisect

import numpy as np

from faceplex.protocol.names import CHANNEL_INDEX, NUM_CHANNELS

_C = CHANNEL_INDEX

BLINK_REFRACTORY_S = 0.8
BLINK_CLOSE_FRACTION = 0.33        # closing is ~1/3 of the blink, opening ~2/3
SACCADE_DURATION_S = 0.045
#: Eye angle (rad) at which an eyeLook* shape reaches 1.0 (ARKit's eyeLook shapes span ~25-30°).
EYE_LOOK_FULL_RAD = 0.45
BREATH_HZ = 0.25


def smoothstep(x: np.ndarray) -> np.ndarray:
    """Cubic Hermite ease 0->1 on [0, 1], clamped outside."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


class _LazySchedule:
    """Events drawn one by one in time order from a seeded Generator, extended on demand."""

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self.times: list[float] = []
        self.values: list[tuple] = []
        self._next_t = 0.0

    def _draw(self, t: float) -> tuple[float, tuple]:  # pragma: no cover - overridden
        raise NotImplementedError

    def extend_to(self, t_end: float) -> None:
        while self._next_t <= t_end:
            t_next, value = self._draw(self._next_t)
            self.times.append(self._next_t)
            self.values.append(value)
            self._next_t = t_next


class BlinkSchedule(_LazySchedule):
    """Spontaneous blinks: ``times`` (s) of blink onsets, ``values`` = (duration_s,).

    Interval = refractory 0.8 s + exponential with mean ``60 / rate - 0.8`` (so the mean rate is
    ``rate`` per minute); duration ~ N(0.22, 0.05) s clipped to [0.12, 0.38].
    """

    def __init__(self, rng: np.random.Generator, rate_per_min: float):
        super().__init__(rng)
        self.rate = rate_per_min
        mean = 60.0 / rate_per_min if rate_per_min > 0 else np.inf
        self._exp_mean = max(mean - BLINK_REFRACTORY_S, 0.05)
        # The first blink comes after a random part of an interval, not at t = 0.
        self._next_t = float(rng.uniform(0.3, 0.3 + min(mean, 6.0))) if rate_per_min > 0 else np.inf

    def _draw(self, t):
        dur = float(np.clip(self._rng.normal(0.22, 0.05), 0.12, 0.38))
        gap = BLINK_REFRACTORY_S + float(self._rng.exponential(self._exp_mean))
        return t + gap, (dur,)


class SaccadeSchedule(_LazySchedule):
    """Gaze targets: ``times`` (s) of saccade onsets, ``values`` = (yaw_rad, pitch_rad).

    Interval 0.3 s + exponential(mean 1.2 s); targets ~ N(0, 0.08) rad yaw, N(0.02, 0.045) rad
    pitch (slightly down, toward a listener's face), clipped to ±0.22 / ±0.15 rad. Every third gaze
    shift on average returns close to centre (back to the partner's eyes).
    """

    def __init__(self, rng: np.random.Generator):
        super().__init__(rng)
        self._next_t = float(rng.uniform(0.2, 1.5))

    def _draw(self, t):
        if self._rng.uniform() < 0.33:
            yaw, pitch = self._rng.normal(0.0, 0.02), self._rng.normal(0.01, 0.015)
        else:
            yaw, pitch = self._rng.normal(0.0, 0.08), self._rng.normal(0.02, 0.045)
        gap = 0.3 + float(self._rng.exponential(1.2))
        return t + gap, (float(np.clip(yaw, -0.22, 0.22)), float(np.clip(pitch, -0.15, 0.15)))


def blink_curve(t: np.ndarray, onsets: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """Eyelid closure ``(B,)`` in [0, 1] at times ``t`` ``(B,)`` from blinks (onset s, duration s):
    fast smoothstep close over the first third, slower ease-out open over the rest; overlapping
    blinks combine by max (a lid cannot close twice)."""
    if onsets.size == 0:
        return np.zeros_like(t)
    x = t[:, None] - onsets[None, :]
    close = BLINK_CLOSE_FRACTION * durations[None, :]
    opening = durations[None, :] - close
    up = smoothstep(x / close)
    # Opening: quadratic ease-out tail -- the lid rises quickly then creeps the last part.
    y = np.clip((x - close) / opening, 0.0, 1.0)
    down = (1.0 - y) ** 2
    c = np.where(x < close, up, down)
    c = np.where((x < 0.0) | (x > durations[None, :]), 0.0, c)
    return c.max(axis=1)


class IdleLayer:
    """Deterministic idle motion for a seed. :meth:`evaluate` adds the layer to frames.

    Args:
        seed: session seed.
        blink_rate_per_min: mean spontaneous blink rate (0 disables spontaneous blinks).
        idle_motion: False freezes head drift, saccades and breathing (blinks stay).
    """

    def __init__(self, seed: int, blink_rate_per_min: float = 17.0, idle_motion: bool = True):
        self.idle_motion = idle_motion
        self.blinks = BlinkSchedule(np.random.default_rng([seed, 101]), blink_rate_per_min)
        self.saccades = SaccadeSchedule(np.random.default_rng([seed, 202]))
        rng = np.random.default_rng([seed, 303])
        # Head drift: a few incommensurate slow sinusoids per axis (smooth, never repeating visibly).
        self._freq = rng.uniform(0.03, 0.19, size=(3, 3))          # (axis, component) Hz
        self._phase = rng.uniform(0.0, 2 * np.pi, size=(3, 3))
        amp = np.array([0.035, 0.018, 0.015])[:, None]             # yaw, pitch, roll (rad)
        self._amp = amp * rng.uniform(0.5, 1.0, size=(3, 3)) / 1.5
        self._breath_phase = float(rng.uniform(0.0, 2 * np.pi))

    def blink(self, t: np.ndarray, extra_onsets: np.ndarray, extra_durations: np.ndarray) -> np.ndarray:
        """Blink closure ``(B,)`` at ``t`` ``(B,)``: spontaneous blinks plus ``extra`` ones (clause
        boundaries); a spontaneous blink within the refractory time of an extra one is skipped."""
        t0, t1 = float(t[0]), float(t[-1])
        self.blinks.extend_to(t1)
        # bisect on the Python list: O(log n) per block however long the session has run.
        lo = bisect.bisect_left(self.blinks.times, t0 - 0.5)
        hi = bisect.bisect_right(self.blinks.times, t1)
        on = np.array(self.blinks.times[lo:hi], dtype=np.float64)
        dur = np.array([v[0] for v in self.blinks.values[lo:hi]], dtype=np.float64)
        if extra_onsets.size and on.size:
            near = np.abs(on[:, None] - extra_onsets[None, :]).min(axis=1) < BLINK_REFRACTORY_S
            on, dur = on[~near], dur[~near]
        return blink_curve(t, np.concatenate([on, extra_onsets]), np.concatenate([dur, extra_durations]))

    def gaze(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Eye yaw, pitch (rad) ``(B,)`` each at ``t``: piecewise-constant fixations joined by
        smoothstep saccades of SACCADE_DURATION_S."""
        self.saccades.extend_to(float(t[-1]))
        # Only the saccades from the one in progress at t[0] up to t[-1] matter (plus its predecessor,
        # the fixation it leaves).
        lo = max(bisect.bisect_right(self.saccades.times, float(t[0])) - 1, 0)
        hi = bisect.bisect_right(self.saccades.times, float(t[-1]))
        if hi <= lo:
            return np.zeros_like(t), np.zeros_like(t)
        times = np.array(self.saccades.times[lo:hi], dtype=np.float64)
        vals = np.array(self.saccades.values[lo:hi], dtype=np.float64).reshape(-1, 2)   # (S, 2)
        first_prev = np.array(self.saccades.values[lo - 1] if lo > 0 else (0.0, 0.0), dtype=np.float64)
        prev = np.vstack([first_prev[None, :], vals[:-1]])
        k = np.searchsorted(times, t, side="right") - 1              # last saccade started at/before t
        kk = np.maximum(k, 0)
        s = smoothstep((t - times[kk]) / SACCADE_DURATION_S)[:, None]
        g = prev[kk] + (vals[kk] - prev[kk]) * s
        g[k < 0] = first_prev if lo > 0 else 0.0
        return g[:, 0], g[:, 1]

    def head(self, t: np.ndarray) -> np.ndarray:
        """Head yaw, pitch, roll drift plus breathing pitch, ``(B, 3)`` rad."""
        ph = 2 * np.pi * self._freq[None, :, :] * t[:, None, None] + self._phase[None, :, :]
        out = (self._amp[None, :, :] * np.sin(ph)).sum(axis=2)
        out[:, 1] += 0.006 * np.sin(2 * np.pi * BREATH_HZ * t + self._breath_phase)
        return out

    def breath(self, t: np.ndarray) -> np.ndarray:
        """Breathing cycle in [0, 1] ``(B,)`` at BREATH_HZ (drives a barely open jaw on inhale)."""
        return 0.5 + 0.5 * np.sin(2 * np.pi * BREATH_HZ * t + self._breath_phase)

    def evaluate(self, t: np.ndarray, out: np.ndarray, scale: float, speaking: np.ndarray,
                 extra_blinks: tuple[np.ndarray, np.ndarray]) -> None:
        """Add the idle layer to ``out`` ``(B, 59)`` in place at times ``t`` ``(B,)`` (s).

        ``scale`` is the expressiveness; ``speaking`` ``(B,)`` in [0, 1] (speech activity) quiets
        breathing while talking and narrows gaze toward the listener.
        """
        assert out.shape[1] == NUM_CHANNELS
        lid = self.blink(t, *extra_blinks) * min(1.0, scale)
        out[:, _C["eyeBlinkLeft"]] += lid
        out[:, _C["eyeBlinkRight"]] += lid
        if not self.idle_motion:
            return
        yaw, pitch = self.gaze(t)
        narrow = 1.0 - 0.4 * speaking
        yaw, pitch = yaw * scale * narrow, pitch * scale * narrow
        out[:, _C["leftEyeYaw"]] += yaw
        out[:, _C["rightEyeYaw"]] += yaw
        out[:, _C["leftEyePitch"]] += pitch
        out[:, _C["rightEyePitch"]] += pitch
        # Yaw + = toward the character's left: the left eye turns out, the right eye turns in.
        left = np.clip(yaw / EYE_LOOK_FULL_RAD, 0.0, 1.0)
        right = np.clip(-yaw / EYE_LOOK_FULL_RAD, 0.0, 1.0)
        out[:, _C["eyeLookOutLeft"]] += left
        out[:, _C["eyeLookInRight"]] += left
        out[:, _C["eyeLookInLeft"]] += right
        out[:, _C["eyeLookOutRight"]] += right
        down = np.clip(pitch / EYE_LOOK_FULL_RAD, 0.0, 1.0)          # pitch + = looking down
        up = np.clip(-pitch / EYE_LOOK_FULL_RAD, 0.0, 1.0)
        for side in ("Left", "Right"):
            out[:, _C["eyeLookDown" + side]] += down
            out[:, _C["eyeLookUp" + side]] += up
        head = self.head(t) * scale
        out[:, _C["headYaw"]] += head[:, 0]
        out[:, _C["headPitch"]] += head[:, 1]
        out[:, _C["headRoll"]] += head[:, 2]
        out[:, _C["jawOpen"]] += 0.015 * scale * self.breath(t) * (1.0 - speaking)
