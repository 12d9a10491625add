"""IPA phone -> viseme class -> ARKit mouth blendshape targets.

Viseme classes are the 15 of Oculus/Meta OVRLipSync (``sil PP FF TH DD kk CH SS nn RR aa E ih oh
ou``), the set engines and avatar rigs already know. Phones are espeak-ng IPA symbols as Piper emits
them (one code point per phone; ``"_"`` is a pause; diphthongs arrive as two phones, e.g. ``a ɪ``).

Mouth convention (ARKit semantics, Apple ``ARFaceAnchor.BlendShapeLocation``):
``jawOpen`` opens the jaw *and* the lips with it; ``mouthClose`` brings the lips back together
while the jaw stays open, so the vertical lip gap is proportional to ``jawOpen - mouthClose``
(``mouthClose`` is meaningful only up to ``jawOpen``; the animator clamps it there). With every
weight at 0 the lips rest together. Lips count as *shut* (:func:`lips_shut`) when the lip gap
``jawOpen - mouthClose < 0.08`` and ``jawOpen < 0.15`` (a jaw that far open stretches the seal).

Target values are hand-set in the way a character animator keys an ARKit rig (relative jaw
openness of vowels follows the IPA vowel chart: open a ɑ æ > mid ɛ ɔ > close i u). Secondary
shapes: lip protrusion (ʃ ʒ, r, u w) brings the jaw slightly forward (jawForward); pressing the
lips for p b m and tucking the lower lip for f v raise the chin (mouthShrugLower, mentalis AU17);
spread vowels dimple the corners a little (mouthDimple, AU14).
"""

from __future__ import annotations

import unicodedata

import numpy as np

from faceplex.protocol.names import CHANNEL_INDEX

#: OVRLipSync viseme names, in OVRLipSync's order.
VISEMES: tuple[str, ...] = (
    "sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou",
)

#: espeak-ng IPA symbol -> viseme. Symbols not listed fall back as :func:`viseme_for` describes.
PHONEME_TO_VISEME: dict[str, str] = {
    "_": "sil", "ʔ": "sil",
    # bilabials: lips shut
    "p": "PP", "b": "PP", "m": "PP",
    # labiodentals: lower lip to upper teeth
    "f": "FF", "v": "FF",
    # dentals: tongue tip between the teeth
    "θ": "TH", "ð": "TH",
    # alveolar stops/taps
    "t": "DD", "d": "DD", "ɾ": "DD",
    # velars (and glottal h, which takes its neighbours' shape through low dominance)
    "k": "kk", "ɡ": "kk", "g": "kk", "ŋ": "kk", "x": "kk", "h": "kk",
    # postalveolars (lips protrude)
    "ʃ": "CH", "ʒ": "CH", "ʧ": "CH", "ʤ": "CH", "ç": "CH",
    # sibilants
    "s": "SS", "z": "SS",
    # alveolar nasal / laterals
    "n": "nn", "l": "nn", "ɫ": "nn", "ɬ": "nn",
    # rhotics (English r is lip-rounded)
    "ɹ": "RR", "r": "RR", "ɚ": "RR", "ɝ": "RR", "ɻ": "RR",
    # open vowels
    "a": "aa", "ɑ": "aa", "æ": "aa", "ɐ": "aa", "ʌ": "aa", "ɶ": "aa",
    # mid front / central vowels
    "e": "E", "ɛ": "E", "ə": "E", "ɜ": "E", "œ": "E", "ø": "E",
    # close front vowels and the palatal glide
    "i": "ih", "ɪ": "ih", "ᵻ": "ih", "ɨ": "ih", "y": "ih", "j": "ih",
    # mid/open back rounded vowels
    "o": "oh", "ɔ": "oh", "ɒ": "oh", "ɵ": "oh",
    # close back rounded vowels and w
    "u": "ou", "ʊ": "ou", "w": "ou", "ʉ": "ou", "ɯ": "ou", "ʍ": "ou",
    # --- other languages (espeak-ng IPA in Kokoro's vocabulary; issue 19) ---
    # bilabial approximant/fricative (Spanish "la bota" laβota; misaki's Japanese w, as in the
    # particle "wa" βa, and fu ɸɯ): the lips narrow but never seal -- the sound is voiced (β) or
    # frication through the lip gap (ɸ), so it is shown as the narrow labial opening of w, not as
    # a p b m closure (sealed lips through the loud "wa" of a Japanese line put the face one
    # syllable late against the audio: bench_lipsync --voice jf_alpha lag +100 -> +46 ms)
    "β": "ou", "ɸ": "ou",
    # labiodental approximant
    "ʋ": "FF",
    # retroflex stops and flap (Hindi), as the alveolar ones
    "ʈ": "DD", "ɖ": "DD", "ɽ": "DD",
    # palatal, velar and uvular stops, fricatives and approximants (Hindi ɟ c, Spanish ɣ,
    # French r ʁ, German-style χ): the tongue body works, the lips stay neutral
    "c": "kk", "ɟ": "kk", "q": "kk", "ɣ": "kk", "χ": "kk", "ʁ": "kk", "ɰ": "kk", "ɴ": "kk",
    # alveolo-palatal and retroflex sibilants, affricates (Mandarin x, sh, zh; Polish-style ć):
    # lips protrude as for ʃ
    "ɕ": "CH", "ʂ": "CH", "ʨ": "CH", "ʥ": "CH", "\uab67": "CH",
    # alveolar affricates ts dz (Italian "pizza", Japanese tsu)
    "ʦ": "SS", "ʣ": "SS",
    # palatal and retroflex nasals and the palatal lateral (Spanish ñ, Italian gn / gli, Hindi ɳ)
    "ɲ": "nn", "ɳ": "nn", "ʎ": "nn",
    # palatal fricative (Spanish "mayo" maʝo), like j
    "ʝ": "ih",
    # labial-palatal glide (French "huit" ɥit): rounded lips
    "ɥ": "ou",
    # close-mid back unrounded vowel (Mandarin e) and the superscript schwa: mid, unrounded
    "ɤ": "E", "ᵊ": "E",
}

#: Jaw openness of vowels (and syllabic r) before energy scaling, 0..1, from the IPA vowel chart's
#: height axis: open > open-mid > close-mid > close.
JAW_OPENNESS: dict[str, float] = {
    "a": 0.62, "ɑ": 0.64, "æ": 0.58, "ɶ": 0.55, "ɐ": 0.46, "ʌ": 0.48,
    "ɒ": 0.52, "ɔ": 0.46, "ɛ": 0.40, "ɜ": 0.36, "œ": 0.36, "ə": 0.30,
    "e": 0.30, "ø": 0.28, "o": 0.34, "ɵ": 0.30, "ɚ": 0.26, "ɝ": 0.28,
    "ɪ": 0.20, "ᵻ": 0.20, "ʊ": 0.20, "ɨ": 0.16, "ʉ": 0.16, "ɯ": 0.16,
    "i": 0.14, "y": 0.14, "u": 0.15,
    "ɤ": 0.32, "ᵊ": 0.28,
}
VOWELS = frozenset(JAW_OPENNESS)

#: Phones produced with rounded/protruded lips.
ROUNDED = frozenset("uʊoɔɒwʉɵøœyʍɥ")


def _lr(name: str, v: float) -> dict[str, float]:
    return {name + "Left": v, name + "Right": v}


#: Mouth blendshape targets per viseme (ARKit names; unlisted shapes are 0). ``jawOpen`` of vowel
#: visemes is replaced per phone by :data:`JAW_OPENNESS`.
VISEME_TARGETS: dict[str, dict[str, float]] = {
    "sil": {},
    # Lips sealed: jaw nearly closed, mouthClose == jawOpen (zero lip gap), lips pressed and rolled.
    "PP": {"jawOpen": 0.04, "mouthClose": 0.04, **_lr("mouthPress", 0.45),
           "mouthRollLower": 0.22, "mouthRollUpper": 0.14, "mouthShrugLower": 0.12},
    # Lower lip tucked under the upper teeth: roll lower lip in, upper lip lifted a little.
    "FF": {"jawOpen": 0.07, "mouthClose": 0.03, "mouthRollLower": 0.60, **_lr("mouthUpperUp", 0.20),
           "mouthShrugUpper": 0.12, **_lr("mouthStretch", 0.06), "mouthShrugLower": 0.08},
    "TH": {"jawOpen": 0.15, "tongueOut": 0.18, **_lr("mouthUpperUp", 0.10), **_lr("mouthLowerDown", 0.10),
           **_lr("mouthStretch", 0.08)},
    "DD": {"jawOpen": 0.15, **_lr("mouthStretch", 0.10), **_lr("mouthUpperUp", 0.08),
           **_lr("mouthLowerDown", 0.10)},
    "kk": {"jawOpen": 0.20, **_lr("mouthStretch", 0.12), **_lr("mouthLowerDown", 0.12)},
    "CH": {"jawOpen": 0.12, "mouthFunnel": 0.45, "mouthPucker": 0.22, **_lr("mouthUpperUp", 0.20),
           **_lr("mouthLowerDown", 0.20), "mouthShrugUpper": 0.10, "jawForward": 0.10},
    "SS": {"jawOpen": 0.08, **_lr("mouthStretch", 0.30), **_lr("mouthSmile", 0.12),
           **_lr("mouthUpperUp", 0.15), **_lr("mouthLowerDown", 0.15)},
    "nn": {"jawOpen": 0.14, **_lr("mouthStretch", 0.08), **_lr("mouthLowerDown", 0.08)},
    "RR": {"jawOpen": 0.16, "mouthFunnel": 0.30, "mouthPucker": 0.32, **_lr("mouthUpperUp", 0.08),
           "jawForward": 0.04},
    "aa": {"jawOpen": 0.60, **_lr("mouthLowerDown", 0.35), **_lr("mouthUpperUp", 0.15),
           **_lr("mouthStretch", 0.10)},
    "E": {"jawOpen": 0.35, **_lr("mouthStretch", 0.25), **_lr("mouthSmile", 0.12),
          **_lr("mouthLowerDown", 0.25), **_lr("mouthUpperUp", 0.12), **_lr("mouthDimple", 0.05)},
    "ih": {"jawOpen": 0.18, **_lr("mouthStretch", 0.35), **_lr("mouthSmile", 0.20),
           **_lr("mouthUpperUp", 0.12), **_lr("mouthLowerDown", 0.12), **_lr("mouthDimple", 0.08)},
    "oh": {"jawOpen": 0.40, "mouthFunnel": 0.50, "mouthPucker": 0.25, **_lr("mouthLowerDown", 0.15)},
    "ou": {"jawOpen": 0.18, "mouthFunnel": 0.35, "mouthPucker": 0.65, "jawForward": 0.06},
}

#: Channels the speech layer drives, in wire order.
MOUTH_CHANNELS: tuple[str, ...] = tuple(sorted(
    {name for t in VISEME_TARGETS.values() for name in t}, key=lambda n: CHANNEL_INDEX[n]))
MOUTH_INDEX = np.array([CHANNEL_INDEX[n] for n in MOUTH_CHANNELS], dtype=np.int64)
#: Lip-shape channels (rounding vs spreading). Tongue-articulated consonants have low dominance over
#: these, so their lips take the neighbouring vowel's rounding (the "t" in "two" is rounded).
SHAPE_CHANNELS = frozenset({"mouthFunnel", "mouthPucker", "mouthStretchLeft", "mouthStretchRight",
                            "mouthSmileLeft", "mouthSmileRight"})
SHAPE_MASK = np.array([n in SHAPE_CHANNELS for n in MOUTH_CHANNELS])
#: Channels scaled by the audio energy on vowels (how wide the mouth opens).
_OPENING = frozenset({"jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight",
                      "mouthUpperUpLeft", "mouthUpperUpRight"})
OPENING_MASK = np.array([n in _OPENING for n in MOUTH_CHANNELS])
_JAW = MOUTH_CHANNELS.index("jawOpen")

_VISEME_VECTORS = {
    v: np.array([t.get(n, 0.0) for n in MOUTH_CHANNELS], dtype=np.float64) for v, t in VISEME_TARGETS.items()
}

#: Thresholds of :func:`lips_shut` (see the module docstring).
LIP_GAP_SHUT = 0.08
JAW_SHUT = 0.15


def is_modifier(phoneme: str) -> bool:
    """True for diacritics/length marks that Piper may emit as their own phone (e.g. syllabic ``̩``):
    they carry no mouth shape and the animator lets them continue the previous phone."""
    return bool(phoneme) and all(unicodedata.combining(ch) or ch in "ːˑʰʲʷ˞ᵝ" for ch in phoneme)


def viseme_for(phoneme: str) -> str:
    """The OVRLipSync viseme name for an espeak-ng IPA phone (``"_"`` and unknown symbols -> ``"sil"``).

    Multi-character symbols are looked up whole, then by their first listed character (so ``tʃ``
    or a phone with a diacritic still maps)."""
    v = PHONEME_TO_VISEME.get(phoneme)
    if v is not None:
        return v
    if phoneme in ("tʃ", "dʒ"):
        return "CH"
    for ch in phoneme:
        v = PHONEME_TO_VISEME.get(ch)
        if v is not None:
            return v
    return "sil"


def _base(phoneme: str) -> str:
    if phoneme in JAW_OPENNESS:
        return phoneme
    for ch in phoneme:
        if ch in JAW_OPENNESS:
            return ch
    return phoneme


def is_vowel(phoneme: str) -> bool:
    """True for vowels (and syllabic r) -- the phones whose jaw opening follows the audio energy."""
    return _base(phoneme) in VOWELS


def target_vector(phoneme: str) -> np.ndarray:
    """Mouth targets of one phone, ``(len(MOUTH_CHANNELS),) float64`` in MOUTH_CHANNELS order: its
    viseme's targets with ``jawOpen`` set from :data:`JAW_OPENNESS` for vowels."""
    vec = _VISEME_VECTORS[viseme_for(phoneme)].copy()
    base = _base(phoneme)
    if base in JAW_OPENNESS:
        vec[_JAW] = JAW_OPENNESS[base]
    return vec


def lips_shut(frame) -> "bool | np.ndarray":
    """Whether the lips are sealed in a wire frame ``(..., 59)``: lip gap ``jawOpen - mouthClose``
    below 0.08 and ``jawOpen`` below 0.15. Returns a bool for one frame, a bool array otherwise."""
    f = np.asarray(frame)
    jaw = f[..., CHANNEL_INDEX["jawOpen"]]
    close = f[..., CHANNEL_INDEX["mouthClose"]]
    out = (jaw - close < LIP_GAP_SHUT) & (jaw < JAW_SHUT)
    return bool(out) if out.ndim == 0 else out
