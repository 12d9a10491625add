"""Streaming phoneme-driven ARKit-52 face animator: speech layer + idle layer.

Layers (all on the session time axis, seconds; frame ``n`` sits at ``n / fps``):

- speech (mouth): Piper's timed phones -> OVRLipSync visemes -> ARKit mouth targets, blended by
  Cohen & Massaro (1993) dominance coarticulation (:mod:`.coarticulation`); vowel opening scaled by
  the clause's RMS energy (:mod:`.prosody`). Not affected by ``expressiveness``.
- speech (upper face): stressed syllables give head nods (headPitch +, i.e. down), a little head
  yaw sway, and -- when loud -- brow raises (browInnerUp, browOuterUp*); clause ends sometimes get a
  blink (people blink at syntactic boundaries, Cummins 2012 / Nakano & Kitazawa 2010).
- idle (:mod:`.idle`): spontaneous blinks, gaze saccades with consistent eyeLook* shapes, slow head
  drift and breathing. Runs all the time.

Output frames are ``(count, 59) float32`` in ``faceplex.protocol.names.FRAME_CHANNELS`` order: 52
blendshapes clipped to [0, 1], head rotations clipped to ±0.15 rad, eye rotations to ±0.25 rad.

Determinism and chunking: frames are computed in fixed blocks of :data:`BLOCK` frames on the global
frame grid (block ``k`` = frames ``k*BLOCK .. k*BLOCK+BLOCK-1``) and every random schedule is drawn
in time order from seeded Generators, so any split of a range into ``frames()`` calls returns
bit-identical values to one call for the whole range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from faceplex.protocol.names import ARKIT_52, CHANNEL_INDEX, NUM_CHANNELS

from .coarticulation import REACH_S, PhoneArrays, blend, build_phones
from .idle import IdleLayer
from .listening import ListeningLayer
from .prosody import accents, phone_energy, rms_envelope
from .visemes import MOUTH_INDEX

if TYPE_CHECKING:  # pragma: no cover
    from faceplex.models.speech.piper_voice import SpeechChunk

#: Frames per evaluation block (fixed global grid; see the module docstring).
BLOCK = 32
_C = CHANNEL_INDEX
_N_SHAPES = len(ARKIT_52)
_HEAD = slice(_N_SHAPES, _N_SHAPES + 3)
_EYES = slice(_N_SHAPES + 3, NUM_CHANNELS)
HEAD_LIMIT_RAD = 0.15
EYE_LIMIT_RAD = 0.25
#: Probability of a blink right after a clause ends.
CLAUSE_BLINK_P = 0.5
#: A clause blink needs this much pause after the clause's last voiced phone (s) ...
CLAUSE_BLINK_MIN_PAUSE_S = 0.08
#: ... and this much time since the previous clause blink (s).
CLAUSE_BLINK_MIN_GAP_S = 2.0


@dataclass
class _Track:
    """One scheduled clause: its phones and its upper-face events, on the session time axis."""

    phones: PhoneArrays
    start_s: float
    end_s: float
    accent_t: np.ndarray          # (A,) s, centre of each stressed vowel
    accent_e: np.ndarray          # (A,) normalised energy
    accent_sign: np.ndarray       # (A,) ±1, direction of the yaw sway
    blink_t: np.ndarray = field(default_factory=lambda: np.zeros(0))   # clause-boundary blink onset
    blink_d: np.ndarray = field(default_factory=lambda: np.zeros(0))   # its duration (s)


def _bump(x: np.ndarray) -> np.ndarray:
    """Raised-cosine bump, 1 at 0, 0 for |x| >= 1 (smooth, C1)."""
    return np.where(np.abs(x) < 1.0, 0.5 + 0.5 * np.cos(np.pi * np.clip(x, -1.0, 1.0)), 0.0)


class FaceAnimator:
    """Streaming per-session face state: speech layer + idle layer. Deterministic for a seed.

    Args:
        fps: frame rate; frame ``n`` is at ``n / fps`` s of session time.
        seed: seeds every random schedule (blinks, saccades, head drift, clause blinks, sway).
        expressiveness: scales all non-articulatory motion (head, eyes, brows, nods, breathing,
            blink depth up to 1); lip/jaw articulation is never scaled.
        blink_rate_per_min: mean spontaneous blink rate (human conversation: ~15-20 / min).
        idle_motion: False keeps the head and eyes still (blinks and speech still animate).
    """

    def __init__(self, fps: int, seed: int = 0, expressiveness: float = 1.0,
                 blink_rate_per_min: float = 17.0, idle_motion: bool = True):
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.fps = int(fps)
        self.seed = int(seed)
        self.expressiveness = float(max(0.0, expressiveness))
        self.blink_rate_per_min = float(blink_rate_per_min)
        self.idle_motion = bool(idle_motion)
        self.reset()

    # ----------------------------------------------------------------------------- state
    def reset(self) -> None:
        """Drop all speech and restart the idle schedules from the seed (a fresh session)."""
        self._idle = IdleLayer(self.seed, self.blink_rate_per_min, self.idle_motion)
        self._listen = ListeningLayer(self.seed)
        self._tracks: list[_Track] = []
        self._n_added = 0
        self._last_clause_blink_s = -np.inf
        self._cache: dict[int, np.ndarray] = {}
        self._rebuild()

    def _rebuild(self) -> None:
        """Concatenate the tracks into time-sorted arrays used by evaluation; drop cached blocks."""
        self._cache.clear()
        ph = PhoneArrays.concat([tr.phones for tr in self._tracks])
        order = np.argsort(ph.center, kind="stable")
        self._ph = ph.select(order)
        self._max_plateau = float(self._ph.plateau.max()) if len(self._ph) else 0.0

        def cat(name):
            return np.concatenate([getattr(tr, name) for tr in self._tracks]) if self._tracks else np.zeros(0)

        at, ae, asg = cat("accent_t"), cat("accent_e"), cat("accent_sign")
        o = np.argsort(at, kind="stable")
        self._acc_t, self._acc_e, self._acc_sign = at[o], ae[o], asg[o]
        bt, bd = cat("blink_t"), cat("blink_d")
        o = np.argsort(bt, kind="stable")
        self._blink_t, self._blink_d = bt[o], bd[o]

    def add_speech(self, chunk: "SpeechChunk", start_s: float) -> None:
        """Schedule a synthesized clause whose first audio sample sits at session time ``start_s`` (s).

        Uses the chunk's timed phones (sample spans, tiling the chunk), its PCM (RMS energy) and its
        stress flags. Clauses may be added in any order; overlapping clauses blend.
        """
        sr = int(chunk.sample_rate)
        phonemes = list(chunk.phonemes)
        self._n_added += 1
        if not phonemes:
            return
        env = rms_envelope(chunk.audio, sr)
        starts = np.array([p.start for p in phonemes], dtype=np.float64)
        ends = np.array([p.end for p in phonemes], dtype=np.float64)
        energy = phone_energy(env, starts, ends, sr)
        phones = build_phones(phonemes, energy, sr, float(start_s))
        acc = accents(phonemes, energy, sr)
        # Per-clause Generator: the draw depends on the seed and the clause's index only.
        rng = np.random.default_rng([self.seed, 404, self._n_added])
        sign = rng.choice([-1.0, 1.0], size=len(acc)) if acc else np.zeros(0)
        track = _Track(
            phones=phones, start_s=float(start_s), end_s=float(start_s) + chunk.num_samples / sr,
            accent_t=np.array([a.time_s + start_s for a in acc]), accent_e=np.array([a.energy for a in acc]),
            accent_sign=np.asarray(sign, dtype=np.float64),
        )
        if rng.uniform() < CLAUSE_BLINK_P and phones.voiced.any():
            last_voiced_end = float(phones.end[phones.voiced].max())
            duration = float(np.clip(rng.normal(0.2, 0.04), 0.12, 0.32))
            trailing_pause = float(phones.end.max()) - last_voiced_end
            # Only at a real clause boundary (a pause follows: not a lip-sync commit edge cut
            # mid-word) and not within CLAUSE_BLINK_MIN_GAP_S of the previous clause blink.
            if trailing_pause >= CLAUSE_BLINK_MIN_PAUSE_S and \
                    last_voiced_end - self._last_clause_blink_s >= CLAUSE_BLINK_MIN_GAP_S:
                track.blink_t = np.array([last_voiced_end + 0.03])
                track.blink_d = np.array([duration])
                self._last_clause_blink_s = last_voiced_end
        self._tracks.append(track)
        self._rebuild()

    def cut_speech(self, at_s: float) -> None:
        """Cancel: drop every scheduled speech after ``at_s`` (s); the mouth eases to rest within
        ~80 ms after ``at_s`` (cancelled phones' dominance fades out, the rest target takes over)."""
        at_s = float(at_s)
        kept = []
        for tr in self._tracks:
            ph = tr.phones
            keep = ph.start < at_s
            ph = ph.select(keep)
            ph.kill = np.minimum(ph.kill, at_s)
            tr.phones = ph
            a = tr.accent_t <= at_s
            tr.accent_t, tr.accent_e, tr.accent_sign = tr.accent_t[a], tr.accent_e[a], tr.accent_sign[a]
            b = tr.blink_t <= at_s
            tr.blink_t, tr.blink_d = tr.blink_t[b], tr.blink_d[b]
            tr.end_s = min(tr.end_s, at_s)
            if len(ph):
                kept.append(tr)
        self._tracks = kept
        self._rebuild()

    def add_partner_audio(self, audio16k: np.ndarray, start_s: float) -> None:
        """The partner's (player's) microphone audio, 16 kHz mono float32, first sample at session
        time ``start_s``: drives the listening motion (:mod:`.listening`) after its reaction delay."""
        self._listen.add_audio(audio16k, start_s)
        self._cache.clear()

    def partner_turn(self, kind: str, at_s: float) -> None:
        """The partner starts (``"start"``) or stops (``"stop"``) speaking; the face eases into or
        out of listening from session time ``at_s`` (gaze hold, blink at the boundary)."""
        self._listen.turn(kind, at_s)
        self._cache.clear()

    def speech_end_s(self) -> float:
        """End time (s) of the last scheduled speech, or ``-inf`` when none is scheduled."""
        return max((tr.end_s for tr in self._tracks), default=float("-inf"))

    # ----------------------------------------------------------------------------- output
    def frames(self, first_frame: int, count: int) -> np.ndarray:
        """``(count, 59) float32`` for session frames ``first_frame .. first_frame + count - 1`` at
        times ``n / fps`` s. Chunked consecutive calls equal one call over the whole range."""
        count = int(count)
        out = np.empty((max(count, 0), NUM_CHANNELS), dtype=np.float32)
        if count <= 0:
            return out
        first = int(first_frame)
        last = first + count - 1
        for b in range(first // BLOCK, last // BLOCK + 1):
            blk = self._cache.get(b)
            if blk is None:
                blk = self._block(b)
                if len(self._cache) >= 4:  # streaming touches at most two blocks at a time
                    self._cache.pop(next(iter(self._cache)))
                self._cache[b] = blk
            lo, hi = max(first, b * BLOCK), min(last, b * BLOCK + BLOCK - 1)
            out[lo - first: hi - first + 1] = blk[lo - b * BLOCK: hi - b * BLOCK + 1]
        return out

    def _block(self, b: int) -> np.ndarray:
        t = np.arange(b * BLOCK, (b + 1) * BLOCK, dtype=np.float64) / self.fps
        t0, t1 = float(t[0]), float(t[-1])
        out = np.zeros((BLOCK, NUM_CHANNELS), dtype=np.float64)
        # Speech layer: only phones whose dominance can reach this block.
        reach = REACH_S + self._max_plateau
        ph = self._ph
        lo = np.searchsorted(ph.center, t0 - reach)
        hi = np.searchsorted(ph.center, t1 + reach, side="right")
        mouth, activity = blend(t, ph.select(slice(lo, hi)))
        out[:, MOUTH_INDEX] = mouth
        x = self.expressiveness
        self._accents(t, out, x)
        self._idle.evaluate(t, out, x, activity, self._clause_blinks(t0, t1))
        self._listen.evaluate(t, out, x)
        # ARKit: mouthClose only has meaning up to jawOpen (lips can at most meet).
        out[:, _C["mouthClose"]] = np.minimum(out[:, _C["mouthClose"]], out[:, _C["jawOpen"]])
        np.clip(out[:, :_N_SHAPES], 0.0, 1.0, out=out[:, :_N_SHAPES])
        np.clip(out[:, _HEAD], -HEAD_LIMIT_RAD, HEAD_LIMIT_RAD, out=out[:, _HEAD])
        np.clip(out[:, _EYES], -EYE_LIMIT_RAD, EYE_LIMIT_RAD, out=out[:, _EYES])
        return out.astype(np.float32)

    def _clause_blinks(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        # Wide window: a spontaneous blink near a clause blink must see it to be suppressed.
        lo = np.searchsorted(self._blink_t, t0 - 2.0)
        hi = np.searchsorted(self._blink_t, t1 + 2.0, side="right")
        bt, bd = self._blink_t[lo:hi], self._blink_d[lo:hi]
        if self._listen.blinks_t:  # blinks at the partner's turn boundaries
            lt, ld = np.array(self._listen.blinks_t), np.array(self._listen.blinks_d)
            near = (lt >= t0 - 2.0) & (lt <= t1 + 2.0)
            if near.any():
                bt, bd = np.concatenate([bt, lt[near]]), np.concatenate([bd, ld[near]])
                o = np.argsort(bt, kind="stable")
                bt, bd = bt[o], bd[o]
        return bt, bd

    def _accents(self, t: np.ndarray, out: np.ndarray, x: float) -> None:
        """Nods, yaw sway and brow raises on stressed syllables, added to ``out`` ``(B, 59)``."""
        lo = np.searchsorted(self._acc_t, t[0] - 0.6)
        hi = np.searchsorted(self._acc_t, t[-1] + 0.6, side="right")
        if hi <= lo or x == 0.0:
            return
        at, ae, sg = self._acc_t[lo:hi], self._acc_e[lo:hi], self._acc_sign[lo:hi]
        dt = t[:, None] - at[None, :]                                   # (B, A)
        e = np.clip(ae, 0.0, 1.3)[None, :]
        # Nod: the head dips slightly ahead of the stressed vowel (gesture leads speech ~50 ms).
        nod = (0.028 * e * _bump((dt + 0.05) / 0.22)).sum(axis=1)
        sway = (0.012 * e * sg[None, :] * _bump(dt / 0.45)).sum(axis=1)
        # Brows only on loud accents: emphasis, not every stressed syllable.
        k = np.clip((ae - 0.75) / 0.35, 0.0, 1.0)[None, :]
        brow = (k * _bump((dt + 0.03) / 0.32)).sum(axis=1)
        out[:, _C["headPitch"]] += x * nod
        out[:, _C["headYaw"]] += x * sway
        out[:, _C["browInnerUp"]] += x * 0.45 * brow
        out[:, _C["browOuterUpLeft"]] += x * 0.32 * brow
        out[:, _C["browOuterUpRight"]] += x * 0.30 * brow


def animate_speech(chunks_with_starts: "list[tuple[SpeechChunk, float]]", fps: int, num_frames: int,
                   seed: int = 0) -> np.ndarray:
    """Offline: animate clauses ``[(chunk, start_s), ...]`` into ``(num_frames, 59) float32`` frames
    (frame ``n`` at ``n / fps`` s) with a fresh :class:`FaceAnimator`."""
    anim = FaceAnimator(fps, seed=seed)
    for chunk, start_s in chunks_with_starts:
        anim.add_speech(chunk, start_s)
    return anim.frames(0, num_frames)
