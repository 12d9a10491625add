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
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from faceplex.models.face.animator import FaceAnimator
from faceplex.models.speech.piper_voice import SpeechChunk, Voice

SR = 22050
CSV_FPS = 60

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


def make_take(voice: Voice, seed: int, index: int, out_dir: Path, noise: bool = False) -> dict:
    """Generate take ``index`` of corpus ``seed`` into ``out_dir`` (created). Returns its metadata."""
    from faceplex.bridge.take import write_live_link_csv, write_wav

    rng = np.random.default_rng([seed, index])
    kind = str(rng.choice(["speak", "dialogue", "listen"], p=[0.55, 0.3, 0.15]))
    expr = float(rng.choice([0.5, 1.0, 1.5], p=[0.2, 0.6, 0.2]))
    style = 1 if expr < 0.75 else (2 if expr > 1.25 else 0)
    teacher_seed = int(rng.integers(0, 2**31 - 1))
    anim = FaceAnimator(CSV_FPS, seed=teacher_seed, expressiveness=expr)
    own = np.zeros(0, np.int16)
    partner = np.zeros(0, np.int16)
    pos = int(rng.uniform(0.15, 0.6) * SR)
    clauses, phones, texts, partner_texts = [], [], [], []
    if kind in ("dialogue", "listen"):
        for _ in range(1 if kind == "dialogue" else int(rng.integers(1, 3))):
            text = make_sentence(rng)
            p0 = pos
            for ch in synthesize_exact(voice, text, float(rng.uniform(0.9, 1.2)), noise):
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
            text = make_sentence(rng)
            for ch in synthesize_exact(voice, text, speed, noise):
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
    out_dir.mkdir(parents=True, exist_ok=True)
    write_wav(out_dir / "take.wav", own, SR)
    write_live_link_csv(out_dir / "take.csv", frames, CSV_FPS)
    if partner.shape[0]:
        partner = np.concatenate([partner, np.zeros(max(0, n - partner.shape[0]), np.int16)])[:n]
        write_wav(out_dir / "partner.wav", partner, SR)
    (out_dir / "take.txt").write_text(" ".join(texts) + "\n", encoding="utf-8")
    (out_dir / "take.phonemes.json").write_text(json.dumps({"sample_rate": SR, "phonemes": phones}, ensure_ascii=False))
    meta = {"kind": kind, "style": style, "character": 0, "expressiveness": expr, "teacher_seed": teacher_seed,
            "clauses": clauses, "partner_text": " ".join(partner_texts), "duration_s": n / SR,
            "teacher_listening": hasattr(anim, "add_partner_audio"), "piper_noise": bool(noise)}
    (out_dir / "take.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    return meta


def make_corpus(out: Path, count: int, seed: int = 0, noise: bool = False, progress: bool = True) -> list[dict]:
    """Write ``count`` takes into ``out/take_NNNN``. Reproducible for ``seed`` (with ``noise`` False)."""
    out = Path(out)
    voice = Voice.default()
    metas = []
    it = range(count)
    if progress:
        try:
            from tqdm import tqdm

            it = tqdm(it, desc="corpus", unit="take")
        except ImportError:  # pragma: no cover
            pass
    for i in it:
        metas.append(make_take(voice, seed, i, out / f"take_{i:04d}", noise))
    (out / "corpus.json").write_text(json.dumps({"seed": seed, "count": count, "piper_noise": noise,
                                                 "kinds": {k: sum(m["kind"] == k for m in metas)
                                                           for k in ("speak", "dialogue", "listen")},
                                                 "seconds": round(sum(m["duration_s"] for m in metas), 1)}, indent=1))
    return metas
