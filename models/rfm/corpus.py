"""``faceplex corpus``: a synthetic dialogue corpus in the Live Link Face take format.

Each take is a folder ``take_NNNN/`` with
- ``take.wav``: the avatar's own speech (PCM16 mono, 22050 Hz), silence where it does not speak;
- ``take.csv``: the face, Live Link Face CSV (60 rows/s), from the teacher (the phoneme-driven
  :class:`~faceplex.models.face.animator.FaceAnimator`, with its listening layer -- partner audio
  and turn boundaries, ``add_partner_audio``/``partner_turn`` -- when it has one);
- ``partner.wav``: the conversation partner's speech on the same clock (dialogue takes);
- ``take.txt``: the transcript of the avatar's own speech;
- ``take.phonemes.json``: timed phones ``[{phoneme, start, end}]`` in samples of ``take.wav`` (optional
  in user corpora: captured takes without it train with phones "unknown");
- ``take.json``: metadata (kind, style id, character id, expressiveness, own clause spans).

That is the format a user captures with the Live Link Face app (WAV + CSV, plus transcript and
partner WAV for dialogue), so the same loader (:mod:`.data`) reads users' own actors.

Kinds of take: ``speak`` (1-3 clauses back to back), ``dialogue`` (the partner speaks, then the
avatar answers), ``listen`` (only the partner speaks). Reproducible for a seed: texts, timings,
speeds, styles and teacher seeds come from ``numpy.random.default_rng([seed, index])`` and Piper
runs with ``noise_scale = noise_w_scale = 0`` (its sampling noise is not seedable), so the same
command writes the same files.

Any voice (``voices``): ``piper`` (joe only), ``mixed`` (joe at 0.8-1.3x speed, and espeak-ng
voices x variants at 130-250 words/min, pitch 15-85, range 20-90, with exact phone timing from
espeak-ng's phoneme events, :mod:`.espeak`), ``unseen`` (espeak-ng dialects and variants training
never draws: the eval's unseen voices). ``split`` holds a fixed fifth of the sentences out of
training (:func:`heldout_sentence`). espeak-ng's audio varies by a few samples from call to call (measured
26389-26394 samples for one line), so espeak-ng takes reproduce their draws (voice, text, timing,
augmentation), not their bytes; each take's phone timing belongs to its own audio. ``augment`` (:mod:`.augment`) adds gain, EQ, reverb and noise
floors to what the model hears; the teacher animates from the clean speech, with expressiveness
(0.4-1.6) and blink rate randomized, and with ``articulation`` its articulation style too
(:func:`draw_articulation` over the rule animator's ``ArticulationParams``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from faceplex.models.face.animator import FaceAnimator
from faceplex.models.face.live_link_csv import CSV_FPS
from faceplex.models.speech.contract import SpeechChunk
from faceplex.models.speech.piper_voice import Voice

SR = 22050

_SUBJECTS = ["Peter", "my mother", "Bob", "the baker", "Maria", "the prince", "my brother", "Pam", "the bishop",
             "a big man", "the people", "Ben", "the miller", "Emma", "the captain", "your friend", "Tom",
             "the guard", "my boss", "the pilot", "a woman", "the boy"]
_VERBS = ["bought", "brought", "built", "painted", "packed", "broke", "dropped", "kept", "mapped", "borrowed",
          "mixed", "picked", "burned", "found", "carried", "opened", "sold", "lost", "made", "washed",
          "grabbed", "moved", "hid", "wanted", "needed", "remembered"]
_OBJECTS = ["a big map", "the apples", "some bread", "the blue boat", "a bottle of milk", "the book",
            "my umbrella", "a pair of boots", "the empty box", "the broom", "a bag of plums", "the lamp",
            "the old bell", "a basket of berries", "the paper", "the hammer", "the window", "a warm blanket",
            "the map of Bombay", "a bowl of soup", "the bamboo pipe", "the gate", "the money"]
_PLACES = ["by the bridge", "in the market", "before noon", "at the mill", "by the pub", "in the barn",
           "after dinner", "near the temple", "up the mountain", "on the boat", "behind the bakery",
           "in Memphis", "at the palace", "by the pond", "maybe tomorrow", "every morning", "at the bus stop"]
_OPENERS = ["", "", "", "Well, ", "Oh, ", "Maybe ", "But ", "Hmm, ", "Please, ", "Believe me, ", "Yes, ", "So "]
_QUESTIONS = ["Did you bring the map?", "Where is the big boat?", "Can you open the box?", "What happened at the mill?",
              "Why did Bob buy a lamp?", "Have you seen my brother?", "Is the market open?", "Who broke the window?",
              "Could you pass me the bread?", "How far is Bombay?", "Are we meeting by the bridge?"]
_SHORT = ["Maybe.", "Probably not.", "By all means.", "My pleasure.", "Oh boy.", "Perhaps, but maybe not.",
          "Absolutely.", "Please be patient.", "Not bad at all.", "Mmm, I remember."]


def make_sentence(rng: np.random.Generator) -> str:
    r = rng.uniform()
    if r < 0.12:
        return str(rng.choice(_SHORT))
    if r < 0.3:
        return str(rng.choice(_QUESTIONS))
    s = f"{rng.choice(_OPENERS)}{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
    if rng.uniform() < 0.7:
        s += f" {rng.choice(_PLACES)}"
    s = s[0].upper() + s[1:]
    return s + str(rng.choice([".", ".", "!", "?"]) if "?" not in s else "")


def synthesize_exact(voice: Voice, text: str, speed: float = 1.0, noise: bool = False) -> list[SpeechChunk]:
    """Like :meth:`Voice.synthesize`, with Piper's sampling noise off (deterministic) unless ``noise``."""
    return list(voice.synthesize(text, speed=speed, noise=noise))


def _place(track: np.ndarray, pos: int, audio: np.ndarray) -> np.ndarray:
    end = pos + audio.shape[0]
    if end > track.shape[0]:
        track = np.concatenate([track, np.zeros(end - track.shape[0], np.int16)])
    track[pos:end] = audio
    return track


#: espeak-ng voices and variants the training corpus draws from; the held-out ("unseen") voices
#: are other dialects with other variants, so neither the voice nor the variant was seen in training.
TRAIN_ESPEAK_VOICES = ("en-us", "en-gb-x-gbcwmd", "en-029", "en-gb-scotland")
TRAIN_VARIANTS = ("", "m1", "m2", "m3", "m4", "m5", "f1", "f2", "f3", "klatt", "klatt3", "Andy", "Annie",
                  "Michael", "linda", "rob", "steph", "edward", "john", "paul", "victor", "zac")
UNSEEN_ESPEAK_VOICES = ("en-gb-x-gbclan", "en-gb-x-rp")
UNSEEN_VARIANTS = ("f4", "m6", "m7", "Alicia", "grandpa", "benjamin", "shelby", "max")
#: ``voices`` choices of :func:`make_corpus` ("cast" and "unseen_cast" need the installed cast of
#: Kokoro voices: :mod:`.cast_corpus`).
VOICE_SETS = ("piper", "mixed", "unseen", "cast", "unseen_cast")


def heldout_sentence(text: str) -> bool:
    """Sentences held out of training (a fixed fifth, by a stable hash of the text)."""
    import zlib

    return zlib.crc32(text.strip().lower().encode()) % 5 == 0


def draw_sentence(rng: np.random.Generator, split: str) -> str:
    """A sentence of ``split`` ("train": never a held-out one, "heldout": only those, "all")."""
    for _ in range(200):
        s = make_sentence(rng)
        if split == "all" or heldout_sentence(s) == (split == "heldout"):
            return s
    return s


def draw_text(rng: np.random.Generator, vp: dict, split: str) -> str:
    """A sentence for voice ``vp``: the English generator (:func:`draw_sentence`, honouring
    ``split``) or, for a Kokoro voice of another language, one in its language."""
    if vp["engine"] == "kokoro":
        from .cast_corpus import draw_text as kokoro_text

        text = kokoro_text(rng, vp)
        if text is not None:
            return text
    return draw_sentence(rng, split)


def draw_voice(rng: np.random.Generator, voices: str) -> dict:
    """Voice parameters of one take: Piper joe (speed, sampling noise) or espeak-ng (voice,
    variant, rate in words/min, pitch and pitch range 0-100) or a Kokoro voice of the cast
    ("cast": a quarter joe, a third espeak-ng, the rest Kokoro in every language; "unseen_cast":
    the held-out English Kokoro voices, :mod:`.cast_corpus`)."""
    if voices in ("cast", "unseen_cast"):
        from .cast_corpus import draw_kokoro

        u = rng.uniform() if voices == "cast" else 1.0
        if u < 0.25:
            return {"engine": "piper", "voice": "joe", "speed": float(rng.uniform(0.8, 1.3))}
        if u < 0.6:
            return draw_voice(rng, "mixed_espeak")
        return draw_kokoro(rng, heldout=voices == "unseen_cast")
    if voices == "piper" or (voices == "mixed" and rng.uniform() < 0.35):
        return {"engine": "piper", "voice": "joe", "speed": float(rng.uniform(0.8, 1.3))}
    names, variants = (UNSEEN_ESPEAK_VOICES, UNSEEN_VARIANTS) if voices == "unseen" else (TRAIN_ESPEAK_VOICES, TRAIN_VARIANTS)
    return {"engine": "espeak", "voice": str(rng.choice(names)), "variant": str(rng.choice(variants)),
            "rate": int(rng.integers(130, 250)), "pitch": int(rng.integers(15, 85)),
            "range": int(rng.integers(20, 90))}


def draw_articulation(rng: np.random.Generator):
    """A teacher articulation style: :class:`~faceplex.models.face.coarticulation.ArticulationParams`
    with its lead, coarticulation reach, vowel opening and closure shift drawn around the defaults
    (a family of styles, not one). Returns ``(params, the drawn values)``."""
    from dataclasses import replace

    from faceplex.models.face.coarticulation import DEFAULT_ARTICULATION as D

    vals = {"lead_s": round(float(rng.uniform(0.0, 0.04)), 4),
            "bilabial_shift_s": round(float(rng.uniform(0.025, 0.055)), 4),
            "taper_end_s": round(float(D.taper_end_s * rng.uniform(0.8, 1.2)), 4),
            "anticipation_end_s": round(float(D.anticipation_end_s * rng.uniform(0.8, 1.2)), 4),
            "vowel_gain_floor": round(float(D.vowel_gain_floor * rng.uniform(0.85, 1.15)), 4),
            "vowel_gain_slope": round(float(D.vowel_gain_slope * rng.uniform(0.7, 1.3)), 4)}
    vals["taper_start_s"] = round(min(D.taper_start_s, vals["taper_end_s"] - 0.05), 4)
    return replace(D, **vals), vals


def make_take(voice: Voice, seed: int, index: int, out_dir: Path, noise: bool = False, voices: str = "piper",
              split: str = "all", augment: bool = False, articulation: bool = False) -> dict:
    """Generate take ``index`` of corpus ``seed`` into ``out_dir`` (created). Returns its metadata.

    ``voices``: "piper" (joe only, the old corpus), "mixed" (joe + the training espeak-ng voices),
    "unseen" (held-out espeak-ng voices only). ``split``: sentences "all", "train" or "heldout"
    (:func:`heldout_sentence`). espeak-ng's audio varies by a few samples from call to call (measured
26389-26394 samples for one line), so espeak-ng takes reproduce their draws (voice, text, timing,
augmentation), not their bytes; each take's phone timing belongs to its own audio. ``augment``: gain/EQ/reverb/noise floor on the audio the model
    hears (own and partner tracks; the teacher animates from the clean speech)."""
    from faceplex.models.audio.wav import write_wav
    from faceplex.models.face.live_link_csv import write_live_link_csv

    rng = np.random.default_rng([seed, index])
    kind = str(rng.choice(["speak", "dialogue", "listen"], p=[0.55, 0.3, 0.15]))
    if voices == "piper" and not augment:   # the original corpus recipe (kept reproducible)
        expr = float(rng.choice([0.5, 1.0, 1.5], p=[0.2, 0.6, 0.2]))
        blink_rate = 17.0
    else:  # teacher articulation style randomized (what the rules animator exposes today)
        expr = float(np.round(rng.uniform(0.4, 1.6), 3))
        blink_rate = float(np.round(rng.uniform(8.0, 26.0), 1))
    style = 1 if expr <= 0.75 else (2 if expr >= 1.25 else 0)
    teacher_seed = int(rng.integers(0, 2**31 - 1))
    art, art_meta = None, None
    if articulation:
        art, art_meta = draw_articulation(np.random.default_rng([seed, index, 3]))
    kw = {"articulation": art} if art is not None else {}
    anim = FaceAnimator(CSV_FPS, seed=teacher_seed, expressiveness=expr, blink_rate_per_min=blink_rate, **kw)
    vp = draw_voice(rng, voices)
    pvp = draw_voice(rng, "mixed" if voices == "piper" and augment else voices) if kind != "speak" else None
    if voices == "piper" and not augment:
        pvp = vp
    own = np.zeros(0, np.int16)
    partner = np.zeros(0, np.int16)
    pos = int(rng.uniform(0.15, 0.6) * SR)
    clauses, phones, texts, partner_texts = [], [], [], []
    if kind in ("dialogue", "listen"):
        for _ in range(1 if kind == "dialogue" else int(rng.integers(1, 3))):
            text = draw_text(rng, pvp, split)
            p0 = pos
            for ch in speak(voice, pvp, text, float(rng.uniform(0.9, 1.2)), noise):
                partner = _place(partner, pos, ch.audio)
                pos += ch.num_samples
            if hasattr(anim, "add_partner_audio"):  # the teacher's listening layer (full-duplex issue)
                from .features import to_16k

                anim.add_partner_audio(to_16k(partner[p0:pos], SR), p0 / SR)
                if hasattr(anim, "partner_turn"):  # as the daemon's VAD reports turns: a little late
                    anim.partner_turn("start", p0 / SR + 0.2)
                    anim.partner_turn("stop", pos / SR + 0.3)
            partner_texts.append(text)
            pos += int(rng.uniform(0.1, 0.4) * SR)
        pos += int(rng.uniform(0.1, 0.5) * SR)
    if kind in ("speak", "dialogue"):
        n_clauses = int(rng.integers(1, 4)) if kind == "speak" else int(rng.integers(1, 3))
        speed = float(rng.uniform(0.85, 1.2))
        for _ in range(n_clauses):
            text = draw_text(rng, vp, split)
            for ch in speak(voice, vp, text, speed, noise):
                anim.add_speech(ch, pos / SR)
                own = _place(own, pos, ch.audio)
                clauses.append({"start_s": pos / SR, "end_s": (pos + ch.num_samples) / SR, "text": text})
                phones.extend({"phoneme": p.phoneme, "start": pos + p.start, "end": pos + p.end} for p in ch.phonemes)
                pos += ch.num_samples
            texts.append(text)
            if pos > 7.0 * SR:
                break
    pos += int(rng.uniform(0.3, 0.8) * SR)
    n = pos
    own = np.concatenate([own, np.zeros(max(0, n - own.shape[0]), np.int16)])[:n]
    num_frames = -(-n * CSV_FPS // SR)
    frames = anim.frames(0, num_frames)
    aug: dict = {}
    if augment:
        from .augment import augment as _augment

        own, aug["own"] = _augment(own, SR, np.random.default_rng([seed, index, 1]))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_wav(out_dir / "take.wav", own, SR)
    write_live_link_csv(out_dir / "take.csv", frames, CSV_FPS)
    if partner.shape[0]:
        partner = np.concatenate([partner, np.zeros(max(0, n - partner.shape[0]), np.int16)])[:n]
        if augment:
            partner, aug["partner"] = _augment(partner, SR, np.random.default_rng([seed, index, 2]))
        write_wav(out_dir / "partner.wav", partner, SR)
    (out_dir / "take.txt").write_text(" ".join(texts) + "\n", encoding="utf-8")
    (out_dir / "take.phonemes.json").write_text(json.dumps({"sample_rate": SR, "phonemes": phones}, ensure_ascii=False))
    meta = {"kind": kind, "style": style, "character": 0, "expressiveness": expr, "teacher_seed": teacher_seed,
            "clauses": clauses, "partner_text": " ".join(partner_texts), "duration_s": n / SR,
            "teacher_listening": hasattr(anim, "add_partner_audio"), "piper_noise": bool(noise),
            "voice": vp, "partner_voice": pvp, "split": split, "blink_rate_per_min": blink_rate, "augment": aug,
            "articulation": art_meta}
    (out_dir / "take.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    return meta


def speak(voice: Voice, vp: dict, text: str, speed_scale: float, noise: bool) -> list[SpeechChunk]:
    """``text`` in voice ``vp`` (:func:`draw_voice`) as chunks at the corpus rate :data:`SR`."""
    if vp["engine"] == "piper":
        return synthesize_exact(voice, text, speed_scale * vp.get("speed", 1.0), noise)
    if vp["engine"] == "kokoro":
        from .cast_corpus import speak_kokoro

        return speak_kokoro(vp, text, speed_scale, SR)
    from . import espeak

    ch = espeak.synthesize(text, vp["voice"], vp["variant"], int(vp["rate"] * speed_scale), vp["pitch"], vp["range"])
    if ch.sample_rate != SR:  # espeak-ng speaks at 22050 Hz, as Piper's medium voices
        raise RuntimeError(f"espeak-ng rate {ch.sample_rate} Hz != corpus rate {SR} Hz")
    return [ch]


def _take_job(job: tuple) -> dict:
    seed, i, out, noise, voices, split, augment, articulation = job
    return make_take(_default_voice(), seed, i, out / f"take_{i:04d}", noise, voices, split, augment, articulation)


def _default_voice() -> Voice:
    global _VOICE
    if _VOICE is None:
        _VOICE = Voice.default()
    return _VOICE


_VOICE = None


def make_corpus(out: Path, count: int, seed: int = 0, noise: bool = False, progress: bool = True,
                voices: str = "piper", split: str = "all", augment: bool = False,
                articulation: bool = False, jobs: int = 1) -> list[dict]:
    """Write ``count`` takes into ``out/take_NNNN``. Reproducible for ``seed`` (Piper with ``noise``
    False; espeak-ng is deterministic). ``voices``/``split``/``augment``: :func:`make_take`.
    ``jobs`` worker processes (spawned; each take draws from its own generator, so the corpus
    does not depend on ``jobs``). Raises ValueError for an unknown ``voices``."""
    if voices not in VOICE_SETS:
        raise ValueError(f"voices must be one of {VOICE_SETS}")
    out = Path(out)
    todo = [(seed, i, out, noise, voices, split, augment, articulation) for i in range(count)]
    bar = None
    if progress:
        try:
            from tqdm import tqdm

            bar = tqdm(total=count, desc="corpus", unit="take")
        except ImportError:  # pragma: no cover
            pass
    if jobs > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(jobs) as pool:
            metas = []
            for m in pool.imap(_take_job, todo):
                metas.append(m)
                bar is not None and bar.update()
    else:
        metas = []
        for job in todo:
            metas.append(_take_job(job))
            bar is not None and bar.update()
    if bar is not None:
        bar.close()
    (out / "corpus.json").write_text(json.dumps({"seed": seed, "count": count, "piper_noise": noise,
                                                 "voices": voices, "split": split, "augment": augment,
                                                 "kinds": {k: sum(m["kind"] == k for m in metas)
                                                           for k in ("speak", "dialogue", "listen")},
                                                 "seconds": round(sum(m["duration_s"] for m in metas), 1)}, indent=1))
    return metas
