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
- whole face while talking: emphasis raises the brows (browInnerUp, browOuterUp*, a little eyeWide)
  or, for a seeded quarter of the emphases, lowers them (browDown*, eyeSquint); a question raises
  the brows and tilts the head over its final rise; the jaw and mouth drift subtly sideways
  (jawLeft/Right, mouthLeft/Right, seeded favoured side); visemes add jawForward (rounded and
  protruded lips), mouthShrugLower (p b m, f v) and mouthDimple (spread vowels).
- emotion (:mod:`.expression`): ``emotion`` / ``emotion_intensity`` (constructor, :meth:`FaceAnimator.set_emotion`)
  add a FACS-prototype expression to speech, idle and listening frames alike, easing in over 0.5 s;
  while speaking its mouth share is capped and its lip-opening shapes vanish at p b m closures.
  Couplings: smiles raise the cheeks and narrow the eyes (cheekSquint, eyeSquint), an upper-lip
  raise wrinkles the nose (noseSneer). Every left/right pair but blinks and gaze gets a seeded
  asymmetry (one side up to 12 % stronger).
- deliberately static: :data:`STATIC_SHAPES` (cheekPuff: a gesture, not speech or a basic emotion).
  tongueOut moves only on dental consonants (th): the tongue's other shapes are hidden behind the
  teeth and ARKit has no other tongue shape. mouthFrown moves only with an emotion (a neutral
  talker's corners do not turn down).

Timing (:mod:`.coarticulation`, :class:`~.coarticulation.ArticulationParams`): targets lead
Piper's phone spans by its measured alignment offset plus a physiological lead, so the lips move
with the audio itself, slightly ahead of it. ``lookahead_s`` is how much placed speech past a
frame can still change it (the voice contract's streaming rule, ``models/speech/contract.py`` ``SpeechChunk``). Frames returned by :meth:`FaceAnimator.frames`
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

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from faceplex.protocol.names import ARKIT_52, CHANNEL_INDEX, NUM_CHANNELS

from .expression import EmotionTrack, apply_asymmetry, apply_expression, asymmetry_gains, couple
from .coarticulation import (DEFAULT_ARTICULATION, ArticulationParams, PhoneArrays, blend, build_phones, onset_ramp_s,
                             smooth_jaw)
from .idle import IdleLayer, smoothstep
from .listening import ListeningLayer
from .prosody import accents, phone_rms_energy, trim_silent_tails
from .visemes import MOUTH_INDEX

if TYPE_CHECKING:  # pragma: no cover
    from faceplex.models.speech.contract import SpeechChunk

#: Frames per evaluation block (fixed global grid; see the module docstring).
BLOCK = 32
_C = CHANNEL_INDEX
_N_SHAPES = len(ARKIT_52)
_HEAD = slice(_N_SHAPES, _N_SHAPES + 3)
_EYES = slice(_N_SHAPES + 3, NUM_CHANNELS)
HEAD_LIMIT_RAD = 0.15
EYE_LIMIT_RAD = 0.25
#: Speech ending this long (s) before the first frame not yet returned is dropped from the schedule.
PRUNE_AFTER_S = 4.0
#: ARKit shapes the rule animator leaves at 0 on purpose, and why.
STATIC_SHAPES: dict[str, str] = {
    "cheekPuff": "puffed cheeks belong to gestures (blowing, holding breath, exaggerated plosives), "
                 "not to conversational speech or the basic emotions; a constant small puff reads as swelling",
}
#: Share of emphasised syllables whose brows lower (a frown of concentration) instead of rising.
ACCENT_FROWN_P = 0.25
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
    accent_frown: np.ndarray      # (A,) bool: this emphasis lowers the brows instead of raising them
    question_t: np.ndarray        # (Q,) s, end of the last voiced phone of a question
    gate: float = -np.inf         # late-added: ramps in from this time (s) ...
    ramp: float = 0.1             # ... over this long (s)
    accent_kill: float = np.inf   # cut: accents fade out from this time (s)


#: Upper-face levels while speaking, calibrated so that the spread (standard deviation over a
#: line) of browInnerUp, cheekSquint and mouthSmile on the bench's Piper lines falls within
#: +-30 % of the median of 14 public Live Link Face takes (:mod:`.reference_stats`;
#: ``bench/bench_lipsync.py`` prints both). Brow raises on loud accents were at 2.1x the
#: reference (0.111 vs 0.053) and scale down; cheek squint (0.006 vs 0.023) and smile (0.043 vs
#: 0.074) had no speech-driven part and get one.
ACCENT_BROW_GAIN = 0.55
ACCENT_CHEEK = 0.045
ACCENT_SMILE = 0.15
#: A recorded line's accents (vowels that stand out from the loud speech around them,
#: :mod:`faceplex.models.speech.acoustic_stress`) count as at least this loud: their absolute
#: level says more about the recording's gain than about emphasis.
ACOUSTIC_ACCENT_ENERGY = 0.8


def _ends_question(chunk) -> bool:
    """The chunk ends its text and the text is a question (the session synthesizes clause by
    clause, so a chunk's text is its clause; a voice given several sentences repeats the whole
    text on each chunk, so only the chunk holding the text's last word counts)."""
    text = (chunk.text or "").rstrip()
    if not text.endswith("?"):
        return False
    words = list(chunk.words)
    if not words:
        return True
    tail = re.findall(r"[\w']+", text)
    return bool(tail) and tail[-1].lower() == words[-1].text.lower()


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
        emotion, emotion_intensity: the initial mood (:data:`.expression.EMOTIONS`, 0-1); change it
            with :meth:`set_emotion`. Not scaled by ``expressiveness``.

    Raises:
        ValueError: ``fps`` is not positive, or an unknown emotion / intensity outside 0-1.
    """

    def __init__(self, fps: int, seed: int = 0, expressiveness: float = 1.0,
                 blink_rate_per_min: float = 17.0, idle_motion: bool = True,
                 articulation: ArticulationParams = DEFAULT_ARTICULATION,
                 emotion: str = "neutral", emotion_intensity: float = 0.5):
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.articulation = articulation
        self._emotion0 = (emotion, float(emotion_intensity))
        EmotionTrack(emotion, emotion_intensity)  # validates: ValueError for an unknown emotion
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
        self._emotion = EmotionTrack(*self._emotion0)
        self._asym = asymmetry_gains(self.seed)
        rng = np.random.default_rng([self.seed, 808])
        # Slow sideways drift of jaw and mouth while talking: (jaw, mouth) x 2 sinusoids, Hz.
        self._drift_f = rng.uniform(0.15, 0.6, size=(2, 2))
        self._drift_p = rng.uniform(0.0, 2 * np.pi, size=(2, 2))
        self._drift_bias = rng.uniform(-0.5, 0.5, size=2)   # a favoured side, per face
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
        self._acc_frown = cat("accent_frown")[o].astype(bool) if self._tracks else np.zeros(0, dtype=bool)
        self._q_t = np.sort(cat("question_t"))
        self._blink_t, self._blink_d = self._boundary_blinks(self._ph)

    @property
    def lookahead_s(self) -> float:
        """Placed speech (s) past a frame that can still change it (the voice contract's streaming rule, ``models/speech/contract.py`` ``SpeechChunk``): the session
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
        # A vowel or nasal whose span holds the clause's trailing silence would open the jaw
        # after the sound (Kokoro's ja/zh clause ends): its silent tail becomes a pause.
        phonemes = trim_silent_tails(list(chunk.phonemes), chunk.audio, sr)
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
            near = self._ph.select(np.abs(self._ph.center - free) < par.reach_s() + self._max_plateau + 0.5)
            ramp = onset_ramp_s(free, near, phones, par)
            if ramp > 0.0:  # 0: continuing running speech, not ramped (see onset_ramp_s)
                gate = free
                phones.gate = np.full(len(phones), gate)
                phones.ramp = np.full(len(phones), ramp)
        acc = accents(phonemes, energy, sr)
        s0 = int(round(start_s * sr))  # sample-exact times, as in build_phones
        acc_t = np.array([(s0 + a.centre_sample) / sr - (0.0 if acoustic else par.timing_offset_s) for a in acc])
        # Random draws are keyed by the event's time (ms), not by the chunk: sub-chunks of a
        # clause draw exactly what the whole clause draws.
        draws = [np.random.default_rng([self.seed, 404, int(round(t * 1000))]).uniform(size=2) for t in acc_t]
        sign = np.array([1.0 if d[0] < 0.5 else -1.0 for d in draws], dtype=np.float64)
        frown = np.array([d[1] < ACCENT_FROWN_P for d in draws], dtype=bool)
        question = np.zeros(0)
        if _ends_question(chunk) and phones.voiced.any():
            question = np.array([float(phones.end[phones.voiced].max())])
        track = _Track(
            phones=phones, start_s=start_s, end_s=start_s + chunk.num_samples / sr,
            accent_t=acc_t, accent_e=np.array([max(a.energy, ACOUSTIC_ACCENT_ENERGY) if acoustic else a.energy
                                               for a in acc]), accent_sign=sign, gate=gate,
            accent_frown=frown, question_t=question, ramp=max(ramp, 0.1),
        )
        # Speech that ended well before the frames already returned can no longer change a frame
        # (dominance reach 0.45 s, accents 0.6 s, clause-blink gap 2 s): drop it, so a long session
        # does not rebuild its whole history on every clause.
        self._tracks = [tr for tr in self._tracks if tr.end_s > free - PRUNE_AFTER_S] + [track]
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
            tr.accent_frown = tr.accent_frown[a]
            tr.question_t = tr.question_t[tr.question_t <= kill]
            tr.accent_kill = min(tr.accent_kill, kill)
            tr.end_s = min(tr.end_s, at_s)
            if len(ph):
                kept.append(tr)
        self._tracks = kept
        self._rebuild()

    def set_emotion(self, emotion: str, intensity: float, at_s: float | None = None) -> None:
        """From session time ``at_s`` (s; default: the first frame not yet returned) the face eases
        into ``emotion`` at ``intensity`` (0-1) over ``expression.EMOTION_RAMP_S``. Applies to
        speech, idle and listening frames alike.

        Raises:
            ValueError: unknown emotion or intensity outside 0-1.
        """
        at = self._free_s() if at_s is None else max(float(at_s), self._free_s())
        self._emotion.set(emotion, intensity, at)
        self._cache.clear()

    @property
    def emotion(self) -> tuple[str, float]:
        """The emotion and intensity most recently set."""
        return self._emotion.current

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
        # the jaw's smoothing window and the seal's rate bound reach this much further each way
        w = par.jaw_smooth_s + par.jaw_seal_reach_s
        lo = np.searchsorted(ph.center, t0 - w - par.reach_s() - self._max_plateau)
        hi = np.searchsorted(ph.center, t1 + w + par.anticipation_end_s + self._max_plateau, side="right")
        near = ph.select(slice(lo, hi))
        mouth, activity, closure = blend(t, near, par)
        smooth_jaw(t, near, mouth, par, closure)
        out[:, MOUTH_INDEX] = mouth
        x = self.expressiveness
        self._accents(t, out, x)
        self._questions(t, out, x)
        self._drift(t, out, x, activity)
        self._idle.evaluate(t, out, x, activity, self._clause_blinks(t0, t1))
        self._listen.evaluate(t, out, x)
        expr = self._emotion.evaluate(t)
        apply_expression(out, expr, activity, closure)
        couple(out, expr)
        apply_asymmetry(out, self._asym)
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
        k = np.clip((ae - 0.6) / 0.4, 0.0, 1.0)[None, :] * g
        bump = k * _bump((dt + 0.03) / 0.32)
        fr = self._acc_frown[lo:hi][None, :]
        brow = np.where(fr, 0.0, bump).sum(axis=1)
        frown = np.where(fr, bump, 0.0).sum(axis=1)
        out[:, _C["headPitch"]] += x * nod
        out[:, _C["headYaw"]] += x * sway
        gb = ACCENT_BROW_GAIN
        out[:, _C["browInnerUp"]] += x * 0.45 * gb * brow
        out[:, _C["browOuterUpLeft"]] += x * 0.32 * gb * brow
        out[:, _C["browOuterUpRight"]] += x * 0.32 * gb * brow
        # Speakers smile into their emphasis: cheeks rise and the corners pull on accents (every
        # accent, by its energy; the level is calibrated, see ACCENT_CHEEK).
        # (a mouth shape: after a cut it fades within 0.1 s, with the mouth, not the brows' 0.3 s)
        gw = smoothstep((t[:, None] - self._acc_gate[None, lo:hi]) / self._acc_ramp[None, lo:hi])
        gw *= 1.0 - smoothstep((t[:, None] - self._acc_kill[None, lo:hi]) / 0.1)
        warm = (np.clip(ae, 0.0, 1.3)[None, :] * gw * _bump((dt + 0.03) / 0.5)).sum(axis=1)
        for side in ("Left", "Right"):
            out[:, _C["cheekSquint" + side]] += x * ACCENT_CHEEK * warm
            out[:, _C["mouthSmile" + side]] += x * ACCENT_SMILE * warm
        out[:, _C["eyeWideLeft"]] += x * 0.10 * brow
        out[:, _C["eyeWideRight"]] += x * 0.10 * brow
        out[:, _C["browDownLeft"]] += x * 0.35 * frown
        out[:, _C["browDownRight"]] += x * 0.35 * frown
        out[:, _C["eyeSquintLeft"]] += x * 0.10 * frown
        out[:, _C["eyeSquintRight"]] += x * 0.10 * frown

    def _questions(self, t: np.ndarray, out: np.ndarray, x: float) -> None:
        """A question raises the brows and tilts the head over its last ~0.6 s (the final rise)."""
        if self._q_t.size == 0 or x == 0.0:
            return
        lo = np.searchsorted(self._q_t, t[0] - 0.5)
        hi = np.searchsorted(self._q_t, t[-1] + 0.8, side="right")
        if hi <= lo:
            return
        dt = t[:, None] - self._q_t[None, lo:hi]
        w = _bump((dt + 0.15) / 0.5).sum(axis=1)
        out[:, _C["browInnerUp"]] += x * 0.35 * w
        out[:, _C["browOuterUpLeft"]] += x * 0.28 * w
        out[:, _C["browOuterUpRight"]] += x * 0.28 * w
        out[:, _C["headRoll"]] += x * 0.02 * w
        out[:, _C["headPitch"]] -= x * 0.01 * w

    def _drift(self, t: np.ndarray, out: np.ndarray, x: float, activity: np.ndarray) -> None:
        """Subtle sideways jaw and mouth movement while talking (no speaker's jaw moves in a pure
        vertical plane, but its lateral excursions in speech are small, about a millimetre: Ostry,
        Vatikiotis-Bateson & Gribble 1997, J. Speech Lang. Hear. Res. 40), with a seeded favoured
        side."""
        if x == 0.0:
            return
        ph = 2 * np.pi * self._drift_f[None, :, :] * t[:, None, None] + self._drift_p[None, :, :]
        s = np.sin(ph).sum(axis=2) / 2 + self._drift_bias[None, :]      # (B, 2) in about -1.5..1.5
        a = activity[:, None] * x
        jaw, mouth = 0.03 * a[:, 0] * s[:, 0], 0.05 * a[:, 0] * s[:, 1]
        out[:, _C["jawLeft"]] += np.maximum(jaw, 0.0)
        out[:, _C["jawRight"]] += np.maximum(-jaw, 0.0)
        out[:, _C["mouthLeft"]] += np.maximum(mouth, 0.0)
        out[:, _C["mouthRight"]] += np.maximum(-mouth, 0.0)


def animate_speech(chunks_with_starts: "list[tuple[SpeechChunk, float]]", fps: int, num_frames: int,
                   seed: int = 0) -> np.ndarray:
    """Offline: animate clauses ``[(chunk, start_s), ...]`` into ``(num_frames, 59) float32`` frames
    (frame ``n`` at ``n / fps`` s) with a fresh :class:`FaceAnimator`."""
    anim = FaceAnimator(fps, seed=seed)
    for chunk, start_s in chunks_with_starts:
        anim.add_speech(chunk, start_s)
    return anim.frames(0, num_frames)
