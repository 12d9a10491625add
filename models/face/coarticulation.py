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
- cancellation: after a cut at ``kill``, the cancelled phones' dominances freeze at their values
  at the cut, their targets fade to rest over 80 ms and their dominance then fades out, so the
  mouth goes from its pose at the cut to rest smoothly within ~100 ms (peak rate 1.5 x pose / 80 ms).

Dominance is tapered to exactly 0 beyond 0.45 s after the plateau and 0.25 s before it, so
evaluation only needs the phones near the query times and the animator needs at most
``ArticulationParams.lookahead_s`` of placed speech past a frame (the voice contract's streaming rule, ``models/speech/contract.py`` ``SpeechChunk``).

Timing (:class:`ArticulationParams`): every target is placed ``timing_offset_s + lead_s`` earlier
than Piper's phone span says.
- ``timing_offset_s`` (27 ms) is Piper's own alignment offset: Piper's phone centres sit a median
  27 ms after the same phones in a PocketSphinx forced alignment of the audio (measured on the
  bench's held-out lines, all phone classes; bilabials 37 ms, because Piper marks a stop's release
  and the closure silence lies in the phone before it).
- p b m are placed ``bilabial_shift_s`` (40 ms) early instead, with no physiological lead: sealed
  lips *are* the acoustic closure (the silence of a stop, the murmur of m), so the seal is centred
  on it.
- ``lead_s`` (20 ms) is the physiological lead: mouth movements precede the sound they shape
  (Chandrasekaran et al. 2009, PLoS Comput Biol 5(7) e1000436: the mouth starts opening 100-300 ms
  before voice onset at utterance starts, the asynchrony is small but the same sign in running
  syllables), and viewers tolerate picture ahead of sound far better than behind it (ITU-R
  BT.1359: detectability 45 ms for sound ahead, 125 ms for sound behind).
Measured on held-out lines against the audio (bench/bench_lipsync.py): best-correlation lag of lip
aperture vs the RMS envelope +33 ms -> -10 ms (face slightly ahead), bilabial closure centre
+40 ms -> 0 ms (median) from the acoustic closure, open vowels opened 93 % -> 97 % (p b m
dominance ``theta`` 100 -> 120 /s: a sharper closure no longer swallows the schwa beside it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from typing import Optional

import numpy as np

from .visemes import MOUTH_CHANNELS, OPENING_MASK, SHAPE_MASK, is_modifier, is_vowel, target_vector, viseme_for



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
    "PP": DominanceParams(25.0, 1.2, 120.0, 120.0, 1.0, 0.020),
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


@dataclass(frozen=True)
class ArticulationParams:
    """Every articulation parameter of the rule animator, in one place (a family of articulation
    styles is this dataclass with other values; ``dataclasses.replace`` makes one).

    Times in seconds, rates in 1/s, gains unitless (ARKit weights 0..1).

    - ``timing_offset_s``, ``lead_s``: targets are placed ``timing_offset_s + lead_s`` earlier than
      Piper's phone spans, p b m ``bilabial_shift_s`` earlier (module docstring: the measured
      offset and the physiological lead).
    - ``dominance``, ``h_params``: Cohen-Massaro parameters per viseme class and for /h/.
    - ``alpha_rest``: dominance of the all-zero rest target, everywhere.
    - ``taper_start_s``/``taper_end_s``: carry-over dominance fades to 0 between these distances
      after the plateau; ``anticipation_end_s``: anticipatory dominance is 0 beyond this distance
      before it (fading from ``anticipation_end_s - 0.1``).
    - ``cut_fade_s``: a cancelled phone's target fades to rest over this time after a cut.
    - ``vowel_gain_floor``/``vowel_gain_slope``/``vowel_gain_max_energy``: a vowel's opening gain
      is ``floor + slope * min(energy, max_energy)``, energy = the phone's RMS / ``energy_ref_rms``.
    - ``energy_ref_rms``: RMS (full scale 1.0) that counts as energy 1.0: a fixed level, never a
      per-chunk statistic, so a clause streamed as sub-chunks opens exactly like the whole clause
      (Piper's loud vowels: 95th-percentile 10 ms RMS 0.19-0.35, median 0.25).
    - ``onset_ramp_s``, ``onset_rate_per_s``: speech added for a time whose frames were already
      returned ramps in from the first frame not yet returned, at most ``onset_rate_per_s`` (ARKit
      weight per second, peak) and over at most ``onset_ramp_s``: no pop at late-placed onsets;
      ``continuation_ramp_s`` caps it where running speech continues (default 0: not ramped, so
      a late lip-sync commit keeps its closures; the onset bound is for starts from rest).
    - ``jaw_smooth_s``: ``jawOpen`` is the mean of the blend over ``t +- jaw_smooth_s``
      (:func:`smooth_jaw`): the jaw is a heavy articulator and cannot follow the lips' snap at a
      bilabial release into an open vowel (0.25-0.35 per 60 fps frame before, 15-21 units/s, above
      the 12 units/s bound set for onsets; issue 23). The lips (mouthClose, ...) keep their snap.
    - ``jaw_seal_rate_per_s``, ``jaw_seal_reach_s``: where the seal rule pulls the jaw down at a
      p b m (:func:`smooth_jaw`), the jaw moves into and out of the seal at most this fast
      (units/s; 10 = 0.167 per 60 fps frame, under issue 23's 0.2), the bound reaching this far
      from the seal (s; a pull of up to ``rate * reach`` = 0.8 is spread).
    """

    timing_offset_s: float = 0.027
    lead_s: float = 0.020
    bilabial_shift_s: float = 0.040
    dominance: dict = field(default_factory=lambda: dict(DOMINANCE))
    h_params: DominanceParams = H_PARAMS
    alpha_rest: float = 0.01
    taper_start_s: float = 0.25
    taper_end_s: float = 0.45
    anticipation_end_s: float = 0.25
    cut_fade_s: float = 0.08
    vowel_gain_floor: float = 0.70
    vowel_gain_slope: float = 0.5
    vowel_gain_max_energy: float = 1.2
    energy_ref_rms: float = 0.25
    onset_ramp_s: float = 0.15
    onset_rate_per_s: float = 9.0
    continuation_ramp_s: float = 0.0
    jaw_smooth_s: float = 0.03
    jaw_seal_rate_per_s: float = 10.0
    jaw_seal_reach_s: float = 0.08

    @property
    def shift_s(self) -> float:
        """How much earlier than Piper's spans every target is placed (s)."""
        return self.timing_offset_s + self.lead_s

    @property
    def lookahead_s(self) -> float:
        """Placed speech (s) past a frame that can change it: a phone starting later than this
        after a frame has no dominance there (anticipation reach + shift + the 20 ms minimum
        plateau a bilabial may extend before its start)."""
        return (self.anticipation_end_s + max(self.shift_s, self.bilabial_shift_s) + 0.02 + self.jaw_smooth_s
                + self.jaw_seal_reach_s)

    def reach_s(self) -> float:
        """Carry-over reach beyond the plateau (s): phones whose centre is further than this (plus
        their plateau) before a time have no dominance there."""
        return max(self.taper_end_s, self.anticipation_end_s)


#: The default articulation (what the daemon runs).
DEFAULT_ARTICULATION = ArticulationParams()
#: Backwards-compatible names of the default values.
ALPHA_REST = DEFAULT_ARTICULATION.alpha_rest
TAPER_START_S = DEFAULT_ARTICULATION.taper_start_s
TAPER_END_S = DEFAULT_ARTICULATION.taper_end_s
REACH_S = DEFAULT_ARTICULATION.reach_s()
CUT_FADE_S = DEFAULT_ARTICULATION.cut_fade_s


@dataclass
class PhoneArrays:
    """Phones of one or more clauses on the session time axis, as parallel arrays (P = phones).

    ``center``, ``plateau``, ``kill`` in seconds (``kill`` = time after which the phone fades out,
    +inf unless cut); ``gate`` (s) = time from which a late-added phone ramps in (-inf: none);
    ``ramp`` (s) its ramp duration; ``bilabial`` ``(P,)`` bool (p b m); ``alpha`` ``(P, 2)`` [jaw group, shape group]; ``theta_before``,
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
    gate: np.ndarray
    bilabial: np.ndarray
    ramp: np.ndarray

    @staticmethod
    def empty() -> "PhoneArrays":
        z = np.zeros(0)
        return PhoneArrays(z, z, z, z, np.zeros((0, 2)), z, z, z, np.zeros((0, len(MOUTH_CHANNELS))),
                           np.zeros(0, dtype=bool), z, z, np.zeros(0, dtype=bool), z)

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


def vowel_gain(energy: np.ndarray, params: ArticulationParams = DEFAULT_ARTICULATION) -> np.ndarray:
    """Jaw-opening gain of a vowel from its normalised energy: 0.55 at silence .. 1.15 at 1.2 and
    above with the default parameters (loud speech opens wider; quiet speech still articulates)."""
    return params.vowel_gain_floor + params.vowel_gain_slope * np.clip(energy, 0.0, params.vowel_gain_max_energy)


def build_phones(phonemes, energy: np.ndarray, sample_rate: int, start_s: float,
                 params: ArticulationParams = DEFAULT_ARTICULATION, acoustic: bool = False) -> PhoneArrays:
    """Dominance parameters and targets for the phones of one clause.

    Args:
        phonemes: TimedPhoneme list (sample spans from the clause's first sample).
        energy: ``(P,)`` normalised energy per phone (prosody.phone_energy).
        sample_rate: Hz of the spans.
        start_s: session time of the clause's first sample (s).
        params: articulation parameters (timing shift, dominance, vowel gain).
        acoustic: the spans come from an alignment of the audio itself (PocketSphinx): only the
            physiological lead applies, no synthesizer offset, and none for p b m.
    """
    shift = params.lead_s if acoustic else params.shift_s
    bilabial_shift = 0.0 if acoustic else params.bilabial_shift_s
    # Times from integer sample positions on the voice's grid: a sub-chunk placed at the whole
    # clause's start plus its offset gets bit-identical phone times.
    s0 = int(round(start_s * sample_rate))
    rows = []
    prev_vis = "sil"
    prev_vec = target_vector("_")
    for p, e in zip(phonemes, energy):
        dur = (p.end - p.start) / sample_rate
        if is_modifier(p.phoneme):  # a stray diacritic continues the previous phone's shape
            vis, vec = prev_vis, prev_vec.copy()
        else:
            vis, vec = viseme_for(p.phoneme), target_vector(p.phoneme)
        dp = params.h_params if p.phoneme == "h" else params.dominance[vis]
        a_jaw, a_shape = dp.alpha_jaw, dp.alpha_shape
        plateau = max(dp.min_plateau_s, 0.0)
        if vis == "sil":
            # Short word-gap pauses (< 60 ms) barely pull the mouth; long pauses bring it to rest.
            k = float(np.clip((dur - 0.05) / 0.15, 0.03, 1.5))
            a_jaw, a_shape = k, k
            plateau = max(0.0, dur / 2 - 0.04)
        elif vis in ("PP", "FF"):
            plateau = max(plateau, dur / 2)
        if is_vowel(p.phoneme):
            vec = vec.copy()
            vec[OPENING_MASK] *= vowel_gain(np.array([e]), params)[0]
        sh = bilabial_shift if vis == "PP" else shift
        rows.append(((s0 + p.start) / sample_rate - sh, (s0 + p.end) / sample_rate - sh,
                     (2 * s0 + p.start + p.end) / (2 * sample_rate) - sh, plateau, a_jaw, a_shape,
                     dp.theta_before, dp.theta_after, dp.c, vec, vis != "sil", vis == "PP"))
        prev_vis, prev_vec = vis, vec
    if not rows:
        return PhoneArrays.empty()
    cols = list(zip(*rows))
    f = lambda i: np.array(cols[i], dtype=np.float64)  # noqa: E731
    return PhoneArrays(
        start=f(0), end=f(1), center=f(2), plateau=f(3),
        alpha=np.stack([f(4), f(5)], axis=1), theta_before=f(6), theta_after=f(7), c=f(8),
        targets=np.clip(np.stack(cols[9]), 0.0, 1.0), voiced=np.array(cols[10], dtype=bool),
        kill=np.full(len(rows), np.inf), gate=np.full(len(rows), -np.inf),
        bilabial=np.array(cols[11], dtype=bool), ramp=np.zeros(len(rows)),
    )


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def blend(t: np.ndarray, ph: PhoneArrays,
          params: ArticulationParams = DEFAULT_ARTICULATION) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mouth channels at times ``t`` ``(B,)`` (s) from phones ``ph``.

    Phones with a finite ``gate`` (added after frames past their reach were returned) ramp in:
    the mouth is the mix without them plus ``smoothstep((t - gate) / onset_ramp_s)`` times the
    difference the gated phones make, so the first frame not yet returned continues the last one.

    Returns ``(mouth (B, len(MOUTH_CHANNELS)) float64, activity (B,) float64, closure (B,)
    float64)``: activity is the share of jaw dominance held by voiced phones (0 = at rest /
    pausing, ~1 = articulating), closure the share held by bilabials (p b m).
    """
    B = t.shape[0]
    if len(ph) == 0:
        return np.zeros((B, len(MOUTH_CHANNELS))), np.zeros(B), np.zeros(B)
    active = np.isfinite(ph.gate) & (ph.gate + ph.ramp > t[0])
    gates = np.unique(ph.gate[active])
    if gates.size == 0:
        return _blend(t, ph, params)
    # Chain the ramps, earliest gate first: each adds the phones gated at it.
    settled = ~active
    cur = _blend(t, ph.select(settled), params)
    for g in gates:
        sel = ph.gate == g
        settled = settled | sel
        nxt = _blend(t, ph.select(settled), params)
        w = _smoothstep((t - g) / max(float(ph.ramp[sel][0]), 1e-6))[:, None]
        cur = tuple(c + (w if c.ndim == 2 else w[:, 0]) * (n - c) for c, n in zip(cur, nxt))
    return cur


_JAW = MOUTH_CHANNELS.index("jawOpen")
#: Sub-samples of the jaw's smoothing window (:func:`smooth_jaw`): odd, so ``t`` itself is one.
JAW_SMOOTH_TAPS = 7


def smooth_jaw(t: np.ndarray, ph: PhoneArrays, mouth: np.ndarray,
               params: ArticulationParams = DEFAULT_ARTICULATION, closure: Optional[np.ndarray] = None) -> None:
    """Replace ``mouth``'s ``jawOpen`` column (``(B, len(MOUTH_CHANNELS))``, from :func:`blend`
    at ``t`` ``(B,)`` s) in place by the mean of the blended jaw over ``t +- params.jaw_smooth_s``
    (:data:`JAW_SMOOTH_TAPS` evenly spaced times). A step of height ``h`` in the blend becomes a
    ramp of slope ``h / (2 * jaw_smooth_s)``: 0.5 -> 12.5 units/s at 20 ms. Stateless (a function
    of the placed phones and ``t`` alone), so frames stay block-independent; it looks
    ``jaw_smooth_s`` further ahead, counted in :attr:`ArticulationParams.lookahead_s`.

    ``closure`` ``(B,)``, the bilabial share from :func:`blend`: where the lips are sealing, the
    jaw stays no higher than the unsmoothed blend (weighted by the share cubed), so the mean of the
    open vowels around a short p b m ("my mum") cannot hold the jaw open through its closure
    (tests/test_daemon.py's lips-shut check failed on it); the cube keeps the weight near 0 as the
    share falls at a release, so the opening stays spread (the share itself gave steps of 0.21,
    its square 0.203, over the 0.2 bound)."""
    w = params.jaw_smooth_s
    if w <= 0.0 or len(ph) == 0:
        return
    j = _JAW
    offs = np.linspace(-w, w, JAW_SMOOTH_TAPS)
    tt = (t[:, None] + offs[None, :]).reshape(-1)
    jaw = blend(tt, ph, params)[0][:, j].reshape(t.shape[0], JAW_SMOOTH_TAPS)
    smooth = jaw.mean(axis=1)
    if closure is not None:
        raw = mouth[:, j]
        smooth = smooth - np.clip(closure, 0.0, 1.0) ** 3 * np.maximum(smooth - raw, 0.0)
        smooth = np.minimum(smooth, _seal_rate_bound(t, ph, params))
    mouth[:, j] = smooth


def _seal_rate_bound(t: np.ndarray, ph: PhoneArrays, params: ArticulationParams) -> np.ndarray:
    """Upper bound ``(B,)`` on ``jawOpen`` at ``t`` ``(B,)`` s that makes the seal rule's pull
    respect the jaw's rate bound: ``min over g of sealed(g) + jaw_seal_rate_per_s * |t - g|``,
    over the times ``g`` within ``jaw_seal_reach_s`` of ``t`` where the seal rule pulls the jaw
    down (``sealed(g)``: the smoothed jaw after the pull, :func:`smooth_jaw`), ``+inf`` where
    there are none. The jaw then leaves (and reaches) a seal no faster than the bound: it starts
    down earlier and comes up later, and is never higher at a seal than the pull alone put it,
    so the lips stay shut there. Without it the pull's share (the closure share cubed) falls from
    1 to 0 within a frame at a release and the jaw jumped by up to 0.24 per 60 fps frame on
    phone-recognised bilabials (bench_lipsync's lipsync lines, audio only; issue 23: <= 0.2).

    Evaluated on a grid of absolute times ``k * dt`` (``dt`` = the smoothing taps' spacing, so the
    smoothed jaw on the grid is a moving mean of the blend there): stateless and the same for any
    split of the frames into calls. It looks ``jaw_seal_reach_s`` further ahead (counted in
    :attr:`ArticulationParams.lookahead_s`)."""
    B = t.shape[0]
    w, reach, rate = params.jaw_smooth_s, params.jaw_seal_reach_s, params.jaw_seal_rate_per_s
    out = np.full(B, np.inf)
    if B == 0 or reach <= 0.0 or not np.any(ph.bilabial > 0):
        return out
    h = (JAW_SMOOTH_TAPS - 1) // 2
    dt = w / h
    k0 = int(np.floor((float(t.min()) - reach) / dt))
    k1 = int(np.ceil((float(t.max()) + reach) / dt))
    g = np.arange(k0 - h, k1 + h + 1, dtype=np.float64) * dt
    m, _, cl = blend(g, ph, params)
    jaw = m[:, _JAW]
    c = np.concatenate([[0.0], np.cumsum(jaw)])
    smooth = (c[JAW_SMOOTH_TAPS:] - c[:-JAW_SMOOTH_TAPS]) / JAW_SMOOTH_TAPS   # centred on g[h:-h]
    raw, share, g = jaw[h:-h], np.clip(cl[h:-h], 0.0, 1.0), g[h:-h]
    pull = share ** 3 * np.maximum(smooth - raw, 0.0)
    sel = pull > 1e-4
    if not sel.any():
        return out
    gs, sealed = g[sel], (smooth - pull)[sel]
    dist = np.abs(t[:, None] - gs[None, :])
    cand = np.where(dist <= reach, sealed[None, :] + rate * dist, np.inf)
    return cand.min(axis=1)


def onset_ramp_s(t_gate: float, old: PhoneArrays, new: PhoneArrays,
                 params: ArticulationParams = DEFAULT_ARTICULATION) -> float:
    """Ramp duration (s) for phones ``new`` added late at ``t_gate`` on top of ``old``: long enough
    that the step they make at ``t_gate`` is spread at ``params.onset_rate_per_s`` at most (the
    ramp is a smoothstep, whose peak rate is 1.5x the mean). An onset from rest or a pause (the old phones' voiced share below
    0.5 at the gate) always takes the whole ``onset_ramp_s`` (the lips are together at rest, so a
    first p b m stays sealed). Speech continuing running speech (a lip-sync commit, a streamed
    sub-chunk) ramps in as the step needs but within ``continuation_ramp_s`` (default 0: not at
    all; a closure at the start of a late lip-sync commit then stays sealed, and the step it makes
    is the one the old animator made). Returns 0 for "no ramp"."""
    t = np.array([t_gate])
    before, activity, _ = _blend(t, old, params)
    if float(activity[0]) < 0.5:
        return params.onset_ramp_s  # an onset from rest or a pause: the whole gesture ramps in
    after = _blend(t, PhoneArrays.concat([old, new]), params)[0]
    step = float(np.abs(after - before).max())
    return float(np.clip(1.5 * step / params.onset_rate_per_s, 0.0, params.continuation_ramp_s))


def _blend(t: np.ndarray, ph: PhoneArrays, params: ArticulationParams):
    B = t.shape[0]
    if len(ph) == 0:
        return np.zeros((B, len(MOUTH_CHANNELS))), np.zeros(B), np.zeros(B)
    # A cancelled phone's dominance is frozen at the cut: the mouth fades from its pose at the cut
    # to rest (below) instead of finishing a closure or an opening that was under way.
    tau = np.minimum(t[:, None], ph.kill[None, :]) - ph.center[None, :]   # (B, P), + after the centre
    theta = np.where(tau < 0.0, ph.theta_before[None, :], ph.theta_after[None, :])
    d = np.maximum(np.abs(tau) - ph.plateau[None, :], 0.0)
    base = np.exp(-theta * np.power(d, ph.c[None, :]))
    a0, a1 = params.taper_start_s, params.taper_end_s
    b1 = params.anticipation_end_s
    b0 = max(b1 - 0.1, 0.0)
    after = tau >= 0.0
    base *= np.where(after, 1.0 - _smoothstep((d - a0) / (a1 - a0)),
                     1.0 - _smoothstep((d - b0) / max(b1 - b0, 1e-6)))
    # After a cut, a cancelled phone's *target* fades to rest over CUT_FADE_S (so the mouth closes
    # smoothly, linearly in the fade, with no pop), and only afterwards does its dominance fade out.
    # Fading the dominance alone would keep the normalised mix unchanged until the tiny rest term
    # takes over at the very end: a snap.
    cut = t[:, None] - ph.kill[None, :]
    cut = np.where(np.isfinite(cut), cut, -1.0)
    fade = params.cut_fade_s
    keep = 1.0 - _smoothstep(cut / fade)
    base *= 1.0 - _smoothstep((cut - fade) / (2 * fade))
    d_jaw = base * ph.alpha[None, :, 0]
    d_shape = base * ph.alpha[None, :, 1]
    den_jaw = d_jaw.sum(axis=1) + params.alpha_rest
    den_shape = d_shape.sum(axis=1) + params.alpha_rest
    mouth_jaw = ((d_jaw * keep) @ ph.targets) / den_jaw[:, None]
    mouth_shape = ((d_shape * keep) @ ph.targets) / den_shape[:, None]
    mouth = np.where(SHAPE_MASK[None, :], mouth_shape, mouth_jaw)
    activity = (d_jaw * keep * ph.voiced[None, :]).sum(axis=1) / den_jaw
    closure = (d_jaw * keep * ph.bilabial[None, :]).sum(axis=1) / den_jaw
    return mouth, activity, closure
