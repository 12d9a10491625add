"""Kokoro voices of the installed cast in the training corpus (issue 19 item 6: the motion model
hears the cast too).

``faceplex corpus --voices cast`` draws a third of its takes from Kokoro voices in every language
the cast speaks; ``--voices unseen_cast`` draws only the English Kokoro voices training never
draws (:data:`HELDOUT_VOICES`, two American and two British, two female and two male), which is
what ``faceplex eval`` judges against a PocketSphinx forced alignment (English only).

Kokoro speaks at 24000 Hz; the corpus is at 22050 Hz (Piper's and espeak-ng's rate), so audio is
resampled with soxr and the phone and word spans scaled by 22050/24000 (rounded; the spans keep
tiling the resampled audio). Sentences in other languages come from :data:`SENTENCES` (written
for this corpus, bilabials and open vowels in each); English takes use the corpus' own
sentence generator so the held-out split still holds.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

import numpy as np

from faceplex.models.speech.contract import SpeechChunk, TimedPhoneme, TimedWord

#: English Kokoro voices held out of training (the "unseen_cast" eval set).
HELDOUT_VOICES = ("af_nicole", "am_michael", "bf_emma", "bm_lewis")

#: A few sentences per non-English cast language, keyed by the language without its region
#: (the catalogue's "pt-BR" -> "pt").
SENTENCES = {
    "es": ["Mi padre compró pan y manzanas en el mercado.", "¿Puedes abrir la puerta, por favor?",
           "El barco llegó al puerto antes de la noche.", "Bueno, mañana vamos a la playa.",
           "Pablo perdió su mapa en el bosque.", "La mamá de Beatriz bebe café por la mañana."],
    "fr": ["Mon père a acheté du pain et des pommes au marché.", "Pouvez-vous ouvrir la porte, s'il vous plaît?",
           "Le bateau est arrivé au port avant la nuit.", "Bon, demain nous irons à la plage.",
           "Pierre a perdu sa montre dans le parc.", "Maman boit un bol de lait chaque matin."],
    "it": ["Mio padre ha comprato il pane e le mele al mercato.", "Puoi aprire la porta, per favore?",
           "La barca è arrivata al porto prima di sera.", "Bene, domani andiamo al mare.",
           "Paolo ha perso la mappa nel bosco.", "La mamma beve un bicchiere di latte."],
    "pt": ["Meu pai comprou pão e maçãs no mercado.", "Você pode abrir a porta, por favor?",
           "O barco chegou ao porto antes da noite.", "Bom, amanhã vamos para a praia.",
           "Paulo perdeu o mapa no bosque.", "A mamãe bebe um copo de leite pela manhã."],
    "hi": ["मेरे पिता ने बाज़ार से रोटी और आम खरीदे।", "क्या आप दरवाज़ा खोल सकते हैं?",
           "नाव रात से पहले बंदरगाह पहुँच गई।", "अच्छा, कल हम समुद्र के किनारे चलेंगे।",
           "बाबा ने पानी की बोतल भर दी।", "माँ हर सुबह दूध पीती है।"],
    "ja": ["父は市場でパンとりんごを買いました。", "ドアを開けてもらえますか。", "船は夜になる前に港に着きました。",
           "まあ、明日は海に行きましょう。", "ぼくは公園で地図をなくしました。", "母は毎朝牛乳を飲みます。"],
    "zh": ["我爸爸在市场买了面包和苹果。", "你可以帮我打开门吗？", "船在晚上以前到了港口。",
           "好吧，明天我们去海边。", "宝宝把杯子放在桌子上。", "妈妈每天早上喝牛奶。"],
}


@lru_cache(maxsize=1)
def _registry():
    from faceplex.models.speech.catalog import open_registry

    reg = open_registry(preload=False)
    if reg.cast_dir is None:
        from faceplex.models.speech.cast_install import HOW_TO_INSTALL

        raise FileNotFoundError(f"--voices cast needs the cast of voices installed ({HOW_TO_INSTALL})")
    return reg


def kokoro_names() -> list[str]:
    """Installed Kokoro voice ids, sorted. Raises FileNotFoundError without the cast."""
    reg = _registry()
    return sorted(v for v in reg.ids() if reg.info(v).engine == "kokoro")


def draw_kokoro(rng: np.random.Generator, heldout: bool) -> dict:
    """Voice parameters of a Kokoro take: ``{"engine": "kokoro", "voice", "language", "speed",
    "seed"}``; ``heldout`` draws only :data:`HELDOUT_VOICES`, otherwise any other installed voice
    (all languages)."""
    names = list(HELDOUT_VOICES) if heldout else [n for n in kokoro_names() if n not in HELDOUT_VOICES]
    name = str(rng.choice(names))
    return {"engine": "kokoro", "voice": name, "language": _registry().info(name).language,
            "speed": round(float(rng.uniform(0.85, 1.2)), 3), "seed": int(rng.integers(0, 2**31 - 1))}


def is_english(vp: dict) -> bool:
    return str(vp.get("language", "en")).startswith("en")


def draw_text(rng: np.random.Generator, vp: dict) -> Optional[str]:
    """A sentence in a non-English voice's language, or None for English voices (the caller draws
    from the corpus' own English generator and its split)."""
    if is_english(vp):
        return None
    bank = SENTENCES[vp["language"].split("-")[0]]
    return bank[int(rng.integers(len(bank)))]


def speak_kokoro(vp: dict, text: str, speed_scale: float, rate: int) -> list[SpeechChunk]:
    """``text`` in Kokoro voice ``vp`` resampled to ``rate`` Hz: one chunk per sentence run, with
    phones and words scaled to the new rate. Deterministic for ``vp["seed"]``."""
    import soxr

    voice = _registry()[vp["voice"]]
    out = []
    for ch in voice.synthesize(text, speed=speed_scale * vp["speed"], seed=vp["seed"]):
        audio = soxr.resample(ch.audio.astype(np.float32) / 32768.0, ch.sample_rate, rate)
        pcm = np.clip(np.round(audio * 32768.0), -32768, 32767).astype(np.int16)
        n = int(round(ch.num_samples * rate / ch.sample_rate))   # what the spans scale to
        pcm = np.concatenate([pcm[:n], np.zeros(max(0, n - pcm.shape[0]), np.int16)])
        scale = lambda s: min(n, int(round(s * rate / ch.sample_rate)))
        phones = [TimedPhoneme(p.phoneme, scale(p.start), scale(p.end), p.stressed) for p in ch.phonemes]
        words = [TimedWord(w.text, scale(w.start), scale(w.end)) for w in ch.words]
        out.append(SpeechChunk(text=ch.text, sample_rate=rate, audio=pcm, phonemes=phones, words=words,
                               acoustic_timing=ch.acoustic_timing))
    return out
