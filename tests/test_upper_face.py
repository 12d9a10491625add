"""The upper face of recorded dialogue moves with its audio (issue 23, item 2): stress found in
the audio of a line FacePlex did not make drives brows, cheeks and nods, as espeak's stress marks
do on Piper lines."""

from __future__ import annotations

import numpy as np
import pytest

from silence_recording import LINES, espeak_line, flite_line, write_wav

from faceplex.models.speech.acoustic_stress import mark_stress
from faceplex.models.speech.contract import TimedPhoneme


def test_a_vowel_louder_than_its_neighbours_is_stressed_whatever_the_recording_level():
    """Three 120 ms vowels of a tone 20 ms apart, the middle one 8 dB louder: only it is stressed, at any gain;
    a vowel shorter than MIN_VOWEL_S never is."""
    rate = 16000
    t = np.arange(int(0.12 * rate)) / rate
    tone = np.sin(2 * np.pi * 150 * t)
    gap = np.zeros(int(0.02 * rate))
    for gain in (0.02, 0.5):
        audio = np.concatenate([tone * gain, gap, tone * gain * 2.5, gap, tone * gain]) * 32767
        audio = audio.astype(np.int16)
        n, g = len(tone), len(gap)
        ph = [TimedPhoneme("ɑ", 0, n), TimedPhoneme("_", n, n + g), TimedPhoneme("æ", n + g, 2 * n + g),
              TimedPhoneme("_", 2 * n + g, 2 * n + 2 * g), TimedPhoneme("i", 2 * n + 2 * g, 3 * n + 2 * g)]
        out = mark_stress(ph, audio, rate, 0, lambda p: p != "_")
        assert [p.stressed for p in out] == [False, False, True, False, False], gain
    short = [TimedPhoneme("æ", 0, int(0.03 * rate))]
    assert not mark_stress(short, (tone * 16000).astype(np.int16), rate, 0, lambda p: True)[0].stressed


@pytest.mark.parametrize("make,voice", [(espeak_line, "en-us+m3"), (flite_line, "slt")], ids=["espeak", "flite"])
@pytest.mark.parametrize("with_text", [True, False], ids=["transcript", "audio-only"])
def test_a_recorded_line_moves_brows_cheeks_and_head(tmp_path, make, voice, with_text):
    """``faceplex say --audio``'s bake of a line from a voice the product never uses: the brows,
    cheeks and head move while it speaks (they stood still before: sd 0.000), and the stressed
    vowels are found (at least one per four words)."""
    from faceplex.bridge.outputs.bake import bake_audio
    from faceplex.models.face.reference_stats import spreads
    from faceplex.models.speech.align import aligner

    line = LINES[0]
    audio, rate = make(line, voice)
    take = bake_audio(write_wav(tmp_path / "l.wav", audio, rate), line if with_text else None, sample_rate=16000)
    s = spreads(take.frames)
    assert s["browInnerUp"] > 0.02 and s["cheekSquint"] > 0.01 and s["headPitch"] > 0.004, s
    from faceplex.bridge.listening.lipsync import analyse_file

    _, chunk = analyse_file(audio, rate, line if with_text else None)
    assert sum(p.stressed for p in chunk.phonemes) >= len(aligner().known_words(line)) // 4
