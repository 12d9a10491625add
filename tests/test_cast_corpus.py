"""The motion model's corpus hears the cast (issue 19 item 6): Kokoro voices in every language,
resampled to the corpus rate with their phone timing, beside espeak-ng voices in one process.

Real model and voices (``.ci/run`` installs the cast, so in CI a missing cast fails)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from faceplex.models.face.visemes import PHONEME_TO_VISEME, is_modifier
from faceplex.models.rfm import cast_corpus, corpus, espeak
from test_voices import needs_cast


@needs_cast
@pytest.mark.parametrize("voice", ["ef_dora", "jf_alpha", "zf_xiaoxiao", "bm_daniel"])
def test_kokoro_takes_tile_the_resampled_audio_with_visemed_phones(voice):
    rng = np.random.default_rng(0)
    vp = {"engine": "kokoro", "voice": voice, "speed": 1.0, "seed": 0,
          "language": cast_corpus._registry().info(voice).language}
    text = cast_corpus.draw_text(rng, vp) or "Maybe the bishop bought a big map."
    chunks = corpus.speak(None, vp, text, 1.0, False)
    assert chunks
    for ch in chunks:
        assert ch.sample_rate == corpus.SR and ch.audio.dtype == np.int16
        assert ch.phonemes[0].start == 0 and ch.phonemes[-1].end == ch.num_samples
        assert all(a.end == b.start for a, b in zip(ch.phonemes, ch.phonemes[1:]))
        assert np.abs(ch.audio.astype(np.int32)).max() > 1000   # speech, not silence
        for p in ch.phonemes:   # every phone the face sees has a mouth shape chosen on purpose
            assert p.phoneme == "_" or all(c in PHONEME_TO_VISEME or is_modifier(c) for c in p.phoneme), p.phoneme


@needs_cast
def test_espeak_voices_still_speak_after_kokoro_loaded_its_own_espeak():
    """kokoro-onnx loads espeakng-loader's libespeak-ng (same soname, other data folder); the
    corpus' espeak-ng voices must still reach the system library (it failed on its data path)."""
    reg = cast_corpus._registry()
    assert reg["ef_dora"].phonemize("Hola, amigo.")
    ch = espeak.synthesize("Maybe the bishop bought a big map.", "en-us", "m1")
    assert ch.num_samples > 0 and ch.phonemes[-1].end == ch.num_samples


@needs_cast
def test_cast_corpus_is_the_same_for_any_number_of_jobs(tmp_path):
    one = corpus.make_corpus(tmp_path / "one", 3, seed=5, progress=False, voices="cast", split="train", jobs=1)
    two = corpus.make_corpus(tmp_path / "two", 3, seed=5, progress=False, voices="cast", split="train", jobs=2)
    assert [m["voice"] for m in one] == [m["voice"] for m in two]
    # espeak-ng's audio varies by some samples from call to call (corpus.py), so the takes'
    # draws are compared, not their timing
    draws = ("kind", "voice", "partner_voice", "expressiveness", "teacher_seed", "articulation", "partner_text")
    for i in range(3):
        a, b = (json.loads((tmp_path / d / f"take_{i:04d}" / "take.json").read_text()) for d in ("one", "two"))
        assert {k: a[k] for k in draws} == {k: b[k] for k in draws}
        assert [c["text"] for c in a["clauses"]] == [c["text"] for c in b["clauses"]]


@needs_cast
def test_unseen_cast_draws_only_held_out_english_voices():
    rng = np.random.default_rng(1)
    drawn = {corpus.draw_voice(rng, "unseen_cast")["voice"] for _ in range(40)}
    assert drawn == set(cast_corpus.HELDOUT_VOICES)
    rng = np.random.default_rng(2)
    train = [corpus.draw_voice(rng, "cast") for _ in range(300)]
    kokoro = [v for v in train if v["engine"] == "kokoro"]
    assert kokoro and not {v["voice"] for v in kokoro} & set(cast_corpus.HELDOUT_VOICES)
    assert len({v["language"].split("-")[0] for v in kokoro}) >= 6   # the cast's languages, not English only
    assert {v["engine"] for v in train} == {"piper", "espeak", "kokoro"}
