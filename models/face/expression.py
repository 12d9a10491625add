"""Emotion (mood) and the rest of the face: expression profiles, their timeline, couplings, asymmetry.

Emotion profiles are the prototypes of the basic emotions in FACS action units (Ekman & Friesen,
*Facial Action Coding System*, 1978; the EMFACS prototypes in Ekman, Friesen & Hager, *FACS
Investigator's Guide*, 2002), mapped to the ARKit shapes that carry each unit (Apple
``ARFaceAnchor.BlendShapeLocation``):

- happy: AU6 cheek raiser (cheekSquint, eyeSquint) + AU12 lip corner puller (mouthSmile), a
  little AU14 (mouthDimple); head slightly up.
- sad: AU1 inner brow raiser (browInnerUp) + AU4 brow lowerer (browDown) + AU15 lip corner
  depressor (mouthFrown) + AU17 chin raiser (mouthShrugLower); head and gaze down.
- angry: AU4 (browDown) + AU5 upper lid raiser (eyeWide) + AU7 lid tightener (eyeSquint) + AU23/24
  lip tightener / presser (mouthPress); AU9/10 a little (noseSneer); chin down, jaw forward.
- surprised: AU1 + AU2 outer brow raiser (browOuterUp) + AU5 (eyeWide) + AU26 jaw drop (jawOpen).
- afraid: AU1 + AU2 + AU4 + AU5 + AU20 lip stretcher (mouthStretch) + AU26; head back a little.
- disgusted: AU9 nose wrinkler (noseSneer) + AU10 upper lip raiser (mouthUpperUp) + AU15 + AU17,
  with AU4 and AU6; one-sided (mouthLeft / the right side stronger), head turned a little away.

Each profile is a vector over the 59 wire channels at intensity 1; ``emotion_intensity`` scales
it linearly. While the character speaks, the profile's *mouth* share (jaw* and mouth* shapes) is
capped at :data:`MOUTH_SHARE_SPEAKING` of its value (the visemes own the mouth), and its
lip-opening shapes (jawOpen, mouthStretch, mouthUpperUp, mouthLowerDown) are removed in proportion
to the bilabial closure share, so p b m stay sealed under every emotion.

Changes of emotion ease in over :data:`EMOTION_RAMP_S` (smoothstep) from the value at the change.
"""

from __future__ import annotations

import numpy as np

from faceplex.protocol.names import ARKIT_52, CHANNEL_INDEX, NUM_CHANNELS

_C = CHANNEL_INDEX
EMOTIONS = ("neutral", "happy", "sad", "angry", "surprised", "afraid", "disgusted")
#: Time over which a change of emotion eases in (s): facial expressions of emotion take ~0.3-1 s
#: to reach their apex in posed and spontaneous displays.
EMOTION_RAMP_S = 0.5
#: Share of an emotion's mouth shapes kept while articulating (activity 1).
MOUTH_SHARE_SPEAKING = 0.35
#: Shapes whose weight opens the lips: removed from the expression where a p b m closes them.
_LIP_OPENING = [_C[n] for n in ("jawOpen", "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft",
                                 "mouthUpperUpRight", "mouthLowerDownLeft", "mouthLowerDownRight")]
_MOUTH = np.array([n.startswith(("jaw", "mouth")) for n in ARKIT_52] + [False] * (NUM_CHANNELS - len(ARKIT_52)))


def _lr(name: str, v: float, right: float | None = None) -> dict[str, float]:
    return {name + "Left": v, name + "Right": v if right is None else right}


#: Emotion -> {channel: weight at intensity 1}. Head rotations in rad (headPitch + = down).
PROFILES: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {**_lr("mouthSmile", 0.55), **_lr("cheekSquint", 0.40), **_lr("eyeSquint", 0.30),
              **_lr("mouthDimple", 0.15), "browInnerUp": 0.05, **_lr("browOuterUp", 0.08),
              "headPitch": -0.02},
    "sad": {"browInnerUp": 0.60, **_lr("browDown", 0.25), **_lr("mouthFrown", 0.45), "mouthShrugLower": 0.25,
            **_lr("eyeSquint", 0.10), **_lr("mouthPress", 0.10), "headPitch": 0.05,
            "leftEyePitch": 0.05, "rightEyePitch": 0.05},
    "angry": {**_lr("browDown", 0.70), **_lr("eyeSquint", 0.35), **_lr("eyeWide", 0.12), **_lr("mouthPress", 0.30),
              **_lr("noseSneer", 0.25), **_lr("mouthFrown", 0.20), "jawForward": 0.10, "mouthShrugLower": 0.10,
              "headPitch": 0.03},
    "surprised": {"browInnerUp": 0.70, **_lr("browOuterUp", 0.70), **_lr("eyeWide", 0.60), "jawOpen": 0.20,
                  **_lr("mouthLowerDown", 0.10), "headPitch": -0.03},
    "afraid": {"browInnerUp": 0.70, **_lr("browOuterUp", 0.40), **_lr("browDown", 0.30), **_lr("eyeWide", 0.60),
               **_lr("mouthStretch", 0.40), "jawOpen": 0.10, **_lr("mouthFrown", 0.10), "headPitch": -0.02},
    "disgusted": {**_lr("noseSneer", 0.50, 0.62), **_lr("mouthUpperUp", 0.25, 0.35), **_lr("mouthFrown", 0.30),
                  **_lr("browDown", 0.35), **_lr("cheekSquint", 0.25, 0.32), "mouthShrugLower": 0.20,
                  **_lr("eyeSquint", 0.20), "mouthRight": 0.10, "headYaw": -0.03, "headPitch": 0.01},
}


def profile_vector(emotion: str, intensity: float) -> np.ndarray:
    """``(59,) float64`` expression of ``emotion`` at ``intensity`` (0-1).

    Raises:
        ValueError: ``emotion`` is not one of :data:`EMOTIONS` or ``intensity`` is outside 0-1.
    """
    if emotion not in PROFILES:
        raise ValueError(f"emotion must be one of {', '.join(EMOTIONS)}")
    if not 0.0 <= float(intensity) <= 1.0:
        raise ValueError("emotion_intensity must be within 0-1")
    v = np.zeros(NUM_CHANNELS)
    for name, w in PROFILES[emotion].items():
        v[_C[name]] = w * float(intensity)
    return v


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


class EmotionTrack:
    """Piecewise emotion on the session time axis: an initial value and timed changes."""

    def __init__(self, emotion: str = "neutral", intensity: float = 0.5):
        self._v0 = profile_vector(emotion, intensity)
        self._changes: list[tuple[float, np.ndarray]] = []   # (time s, target)
        self.current = (emotion, float(intensity))

    def set(self, emotion: str, intensity: float, at_s: float) -> None:
        """From ``at_s`` (s) ease towards ``emotion`` at ``intensity`` over EMOTION_RAMP_S."""
        v = profile_vector(emotion, intensity)
        last = self._changes[-1][1] if self._changes else self._v0
        self.current = (emotion, float(intensity))
        if np.array_equal(v, last):
            return
        self._changes.append((float(at_s), v))

    def evaluate(self, t: np.ndarray) -> np.ndarray:
        """``(B, 59)`` expression at times ``t`` ``(B,)``."""
        out = np.repeat(self._v0[None, :], t.shape[0], axis=0)
        prev = self._v0
        for at, v in self._changes:
            if at > t[-1]:
                break
            out += _smoothstep((t - at) / EMOTION_RAMP_S)[:, None] * (v - prev)[None, :]
            prev = v
        return out


def apply_expression(out: np.ndarray, expr: np.ndarray, activity: np.ndarray, closure: np.ndarray) -> None:
    """Add the expression ``expr`` ``(B, 59)`` to ``out`` in place: mouth shapes capped while
    speaking (``activity`` ``(B,)``), lip-opening shapes removed where a p b m seals the lips
    (``closure`` ``(B,)``, the bilabials' dominance share)."""
    e = expr.copy()
    e[:, _MOUTH] *= (1.0 - (1.0 - MOUTH_SHARE_SPEAKING) * np.clip(activity, 0.0, 1.0))[:, None]
    e[:, _LIP_OPENING] *= (1.0 - np.clip(2.0 * closure, 0.0, 1.0))[:, None]
    out += e


def couple(out: np.ndarray, expr: np.ndarray) -> None:
    """Muscle couplings on the summed frame ``out`` ``(B, 59)`` (in place): a smile raises the
    cheeks and narrows the eyes (AU12 with AU6, strongest for the expression's smile, a trace for
    articulatory lip spreading); an upper-lip raise wrinkles the nose a little (AU10 and AU9 share
    levator labii superioris alaeque nasi)."""
    for side in ("Left", "Right"):
        smile_expr = expr[:, _C["mouthSmile" + side]]
        smile_art = np.maximum(out[:, _C["mouthSmile" + side]] - smile_expr, 0.0)
        out[:, _C["cheekSquint" + side]] += 0.35 * smile_expr + 0.15 * smile_art
        out[:, _C["eyeSquint" + side]] += 0.25 * smile_expr + 0.10 * smile_art
        out[:, _C["noseSneer" + side]] += 0.12 * out[:, _C["mouthUpperUp" + side]]


#: Left/right pairs that get the seeded asymmetry (gaze shapes follow the eye angles exactly and
#: blinks are kept symmetric: both are geometry, not muscle tone).
PAIRS = [(_C[n], _C[n[:-4] + "Right"]) for n in ARKIT_52
         if n.endswith("Left") and not n.startswith(("eyeLook", "eyeBlink")) and n not in ("jawLeft", "mouthLeft")]


def asymmetry_gains(seed: int) -> np.ndarray:
    """``(len(PAIRS),)`` seeded asymmetry ``a``: the left shape is scaled by ``1 - a``, the right by
    ``1 + a`` (|a| <= 0.12): expressions are measurably stronger on one side of the face (Sackeim,
    Gur & Saucy 1978, Science 202), and which side and by how much differs between people."""
    rng = np.random.default_rng([int(seed), 707])
    return np.clip(rng.normal(0.0, 0.06, size=len(PAIRS)), -0.12, 0.12)


def apply_asymmetry(out: np.ndarray, gains: np.ndarray) -> None:
    """Scale the left/right pairs of ``out`` ``(B, 59)`` in place by ``1 -/+ gains``."""
    for (li, ri), a in zip(PAIRS, gains):
        out[:, li] *= 1.0 - a
        out[:, ri] *= 1.0 + a
