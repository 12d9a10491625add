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

Timing (:mod:`.coarticulation`, :class:`~.coarticulation.ArticulationParams`): targets lead
Piper's phone spans by its measured alignment offset plus a physiological lead, so the lips move
with the audio itself, slightly ahead of it. ``lookahead_s`` is how much placed speech past a
frame can still change it (TEAM.md contract 3). Frames returned by :meth:`FaceAnimator.frames`
are final: speech added (or cut) after frames past its reach were returned ramps in (or fades)
from the first frame not yet returned, never faster than a natural articulation velocity at an
onset (``onset_rate_per_s``, tests/test_face_animator.py states the bound and its source).

Output frames are ``(count, 59) float32`` in ``faceplex.protocol.names.FRAME_CHANNELS`` order: 52
blendshapes clipped to [0, 1], head rotations clipped to ±0.15 rad, eye rotations to ±0.25 rad.

Determinism and chunking: frames are computed in fixed blocks of :data:`BLOCK` frames on the global
frame grid (block ``k`` = frames ``k*BLOCK .. k*BLOCK+BLOCK-1``) and every random schedule is drawn
in time order from seeded Generators, so any split of a range into ``frames()`` calls returns
bit-identical values to one call for the whole range. A clause added as consecutive sub-chunks
(cut on phone boundaries, each placed at the clause start plus its sample offset) animates
bit-identically to the whole clause: phone times come from integer sample positions, energies from
each phone's own samples against a fixed level, and random draws are keyed by event times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from faceplex.protocol.names import ARKIT_52, CHANNEL_INDEX, NUM_CHANNELS

from .coarticulation import DEFAULT_ARTICULATION, ArticulationParams, PhoneArrays, blend, build_phones, onset_ramp_s
from .idle import IdleLayer, smoothstep
from .listening import ListeningLayer
from .prosody import accents, phone_rms_energy
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
    gate: float = -np.inf         # late-added: ramps in from this time (s) ...
    ramp: float = 0.1             # ... over this long (s)
    accent_kill: float = np.inf   # cut: accents fade out from this time (s)


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
        articulation: the articulation parameters (:class:`~.coarticulation.ArticulationParams`):
            timing lead, dominance, vowel gain; the default is what the daemon runs.

    Raises:
        ValueError: ``fps`` is not positive.
    """

    def __init__(self, fps: int, seed: int = 0, expressiveness: float = 1.0,
                 blink_rate_per_min: float = 17.0, idle_motion: bool = True,
                 articulation: ArticulationParams = DEFAULT_ARTICULATION):
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.articulation = articulation
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
        self._returned_end = 0          # frames below this index were returned: final
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
        ag = np.concatenate([np.full(len(tr.accent_t), tr.gate) for tr in self._tracks]) if self._tracks else np.zeros(0)
        ar = np.concatenate([np.full(len(tr.accent_t), tr.ramp) for tr in self._tracks]) if self._tracks else np.zeros(0)
        ak = np.concatenate([np.full(len(tr.accent_t), tr.accent_kill) for tr in self._tracks]) if self._tracks else np.zeros(0)
        o = np.argsort(at, kind="stable")
        self._acc_t, self._acc_e, self._acc_sign = at[o], ae[o], asg[o]
        self._acc_gate, self._acc_kill, self._acc_ramp = ag[o], ak[o], ar[o]
        self._blink_t, self._blink_d = self._boundary_blinks(self._ph)

    @property
    def lookahead_s(self) -> float:
        """Placed speech (s) past a frame that can still change it (TEAM.md contract 3): the session
        should add speech at least this long before its first frame is computed; speech added
        later still animates, ramped in from the first frame not yet returned."""
        return self.articulation.lookahead_s

    def _free_s(self) -> float:
        """Session time (s) of the first frame not yet returned by :meth:`frames`."""
        return self._returned_end / self.fps

    def add_speech(self, chunk: "SpeechChunk", start_s: float) -> None:
        """Schedule synthesized speech whose first audio sample sits at session time ``start_s`` (s).

        Uses the chunk's timed phones (sample spans, tiling the chunk), its PCM (per-phone RMS
        energy against a fixed level) and its stress flags. Chunks may be whole clauses or
        consecutive sub-chunks of one cut on phone boundaries: both animate identically. Chunks may
        be added in any order; overlapping speech blends. Speech that reaches frames already
        returned ramps in from the first frame not yet returned (``onset_ramp_s``).
        """
        sr = int(chunk.sample_rate)
        phonemes = list(chunk.phonemes)
        self._n_added += 1
        if not phonemes:
            return
        par = self.articulation
        start_s = float(start_s)
        starts = np.array([p.start for p in phonemes], dtype=np.int64)
        ends = np.array([p.end for p in phonemes], dtype=np.int64)
        energy = phone_rms_energy(chunk.audio, starts, ends, par.energy_ref_rms)
        acoustic = bool(getattr(chunk, "acoustic_timing", False))
        phones = build_phones(phonemes, energy, sr, start_s, par, acoustic)
        free = self._free_s()
        gate = -np.inf
        ramp = 0.0
        if len(phones) and float((phones.center - phones.plateau).min()) - par.anticipation_end_s < free:
            gate = free
            near = self._ph.select(np.abs(self._ph.center - gate) < par.reach_s() + self._max_plateau + 0.5)
            ramp = onset_ramp_s(gate, near, phones, par)
            phones.gate = np.full(len(phones), gate)
            phones.ramp = np.full(len(phones), ramp)
        acc = accents(phonemes, energy, sr)
        s0 = int(round(start_s * sr))  # sample-exact times, as in build_phones
        acc_t = np.array([(s0 + a.centre_sample) / sr - (0.0 if acoustic else par.timing_offset_s) for a in acc])
        # Random draws are keyed by the event's time (ms), not by the chunk: sub-chunks of a
        # clause draw exactly what the whole clause draws.
        sign = np.array([np.random.default_rng([self.seed, 404, int(round(t * 1000))]).choice([-1.0, 1.0])
                         for t in acc_t], dtype=np.float64)
        track = _Track(
            phones=phones, start_s=start_s, end_s=start_s + chunk.num_samples / sr,
            accent_t=acc_t, accent_e=np.array([a.energy for a in acc]), accent_sign=sign, gate=gate, ramp=max(ramp, 0.1),
        )
        self._tracks.append(track)
        self._rebuild()

    def _boundary_blinks(self, ph: PhoneArrays) -> tuple[np.ndarray, np.ndarray]:
        """Blinks at clause boundaries, from all scheduled phones (time-sorted): after a voiced phone
        followed by at least CLAUSE_BLINK_MIN_PAUSE_S of pause (a real boundary, not a commit edge
        cut mid-word), with probability CLAUSE_BLINK_P, at most one per CLAUSE_BLINK_MIN_GAP_S.
        A pure function of the phones and the seed (draws keyed by the boundary's time), so
        however a clause is chunked the same blinks come out."""
        bt, bd = [], []
        last = -np.inf
        n = len(ph)
        voiced = ph.voiced
        for i in np.flatnonzero(voiced[:-1] & ~voiced[1:]):
            end_v = float(ph.end[i])
            if end_v > ph.kill[i]:
                continue  # cancelled speech
            j = i + 1
            while j < n and not voiced[j]:
                j += 1
            if float(ph.end[j - 1]) - end_v < CLAUSE_BLINK_MIN_PAUSE_S:
                continue
            rng = np.random.default_rng([self.seed, 405, int(round(end_v * 1000))])
            duration = float(np.clip(rng.normal(0.2, 0.04), 0.12, 0.32))
            if rng.uniform() < CLAUSE_BLINK_P and end_v - last >= CLAUSE_BLINK_MIN_GAP_S:
                bt.append(end_v + 0.03)
                bd.append(duration)
                last = end_v
        return np.array(bt, dtype=np.float64), np.array(bd, dtype=np.float64)

    def cut_speech(self, at_s: float) -> None:
        """Cancel: drop every scheduled speech after ``at_s`` (s); the mouth eases to rest within
        ~100 ms after ``at_s`` (cancelled phones' targets fade to rest over ``cut_fade_s``, then
        their dominance fades out; nods and brow raises fade the same way). Frames already
        returned are final, so the cut takes effect at ``max(at_s, first frame not returned)``."""
        at_s = float(at_s)
        kill = max(at_s, self._free_s())
        reach = self.articulation.lookahead_s
        kept = []
        for tr in self._tracks:
            ph = tr.phones
            # Phones that already pull the mouth at the cut stay (their targets fade): dropping
            # them would snap the mouth in the first frame after it.
            ph = ph.select(ph.start < kill + reach)
            ph.kill = np.minimum(ph.kill, kill)
            tr.phones = ph
            a = tr.accent_t <= kill + 0.6
            tr.accent_t, tr.accent_e, tr.accent_sign = tr.accent_t[a], tr.accent_e[a], tr.accent_sign[a]
            tr.accent_kill = min(tr.accent_kill, kill)
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
        self._returned_end = max(self._returned_end, last + 1)
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
        par = self.articulation
        ph = self._ph
        lo = np.searchsorted(ph.center, t0 - par.reach_s() - self._max_plateau)
        hi = np.searchsorted(ph.center, t1 + par.anticipation_end_s + self._max_plateau, side="right")
        mouth, activity, _closure = blend(t, ph.select(slice(lo, hi)), par)
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
        # Late-added accents ramp in from their gate; cut ones fade out from the cut.
        g = smoothstep((t[:, None] - self._acc_gate[None, lo:hi]) / self._acc_ramp[None, lo:hi])
        g *= 1.0 - smoothstep((t[:, None] - self._acc_kill[None, lo:hi]) / 0.3)
        e = np.clip(ae, 0.0, 1.3)[None, :] * g
        # Nod: the head dips slightly ahead of the stressed vowel (gesture leads speech ~50 ms).
        nod = (0.028 * e * _bump((dt + 0.05) / 0.22)).sum(axis=1)
        sway = (0.012 * e * sg[None, :] * _bump(dt / 0.45)).sum(axis=1)
        # Brows only on loud accents: emphasis, not every stressed syllable.
        k = np.clip((ae - 0.75) / 0.35, 0.0, 1.0)[None, :] * g
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
