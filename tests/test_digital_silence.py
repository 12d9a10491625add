"""Recorded dialogue with exact digital silence aligns (issue 23, item 1).

PocketSphinx could not force-align audio holding runs of exact zeros ("Failed to set up sub-word
alignment"): FacePlex fell back to phone recognition without a word and without saying so. Every
PocketSphinx decode now sees the audio with a seeded dither (``faceplex.models.speech.align``);
these tests use voices the product never speaks with (espeak-ng's command line, flite).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soxr

from silence_recording import LINES, espeak_line, flite_line, write_wav

from faceplex.models.face.visemes import lips_shut

#: (maker, voice): espeak-ng voices with a variant that failed at +-1 LSB of dither, and flite's.
VOICES = [(espeak_line, "en-us"), (espeak_line, "en-gb-x-rp+m3"), (espeak_line, "en-us+m3"),
          (flite_line, "slt"), (flite_line, "awb")]


def _to16(audio: np.ndarray, rate: int) -> np.ndarray:
    return np.clip(np.round(soxr.resample(audio.astype(np.float32) / 32768, rate, 16000, quality="VHQ") * 32767),
                   -32768, 32767).astype(np.int16)


@pytest.mark.parametrize("make,voice", VOICES, ids=[v for _, v in VOICES])
def test_forced_alignment_of_lines_with_digital_silence_gives_words_and_bilabials(make, voice):
    from faceplex.models.speech.align import aligner

    al = aligner()
    for line in LINES:
        audio, rate = make(line, voice)
        assert (audio == 0).mean() > 0.15, "the recording must hold digital silence"
        a16 = _to16(audio, rate)
        phones, words = al.align(a16, line)
        known = al.known_words(line)
        assert len(words) >= 0.95 * len(known), (voice, line, words)
        # every p/b/m of the transcript is an aligned P/B/M phone
        expected = sum(w.count("p") + w.count("b") + w.count("m") for w in known)
        assert sum(p.phone in ("P", "B", "M") for p in phones) == expected, (voice, line)
        # deterministic: the same audio gives the same result after other decodes on this decoder
        al.recognize(a16[::-1].copy())
        assert al.align(a16, line) == (phones, words)


def test_unusable_transcript_gives_no_words_so_callers_can_say_so():
    """``Aligner.align`` returns no words exactly when it fell back to phone recognition."""
    from faceplex.models.speech.align import aligner

    audio, rate = espeak_line("Maybe pop by.", "en-us")
    a16 = _to16(audio, rate)
    phones, words = aligner().align(a16, " ".join(["Bob bought a big map of Bombay"] * 12))
    assert words == [] and phones   # too many words for 1 s of audio: phones from recognition


@pytest.mark.parametrize("make,voice", [(espeak_line, "en-us+m3"), (flite_line, "slt")], ids=["espeak", "flite"])
def test_say_audio_with_transcript_closes_the_lips_on_every_bilabial(tmp_path, make, voice):
    """``faceplex say --audio`` on a digital-silence line: word marks on every word, lips shut on
    >= 95 % of the p/b/m (in one of the three frames nearest the aligned phone's centre), no
    warning; the same line without ``--text`` differs."""
    line = LINES[0]
    audio, rate = make(line, voice)
    wav = write_wav(tmp_path / "line.wav", audio, rate)

    def bake(*extra):
        out = tmp_path / ("take" + str(len(extra)))
        r = subprocess.run([sys.executable, "-m", "faceplex.bridge.cli", "say", "--audio", str(wav), "-o", str(out),
                            "--sample-rate", "48000", *extra], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        return out, r.stderr

    out, err = bake("--text", line)
    assert "transcript_not_used" not in err
    marks = json.loads((out / "take.marks.json").read_text())
    words = [mk for mk in marks if mk["kind"] == "word"]
    assert [w["text"] for w in words] == ["bob", "my", "mum", "bought", "a", "big", "map", "of", "bombay",
                                          "maybe", "pop", "by"]
    from faceplex.bridge.take import read_live_link_csv

    _, frames = read_live_link_csv(out / "take.csv")
    pbm = [mk for mk in marks if mk["kind"] == "phoneme" and mk["text"] in ("p", "b", "m")]
    shut = 0
    for mk in pbm:
        n = round((mk["sample"] + mk["end"]) / 2 * 60 / 48000)
        shut += any(lips_shut(frames[k]) for k in (n - 1, n, n + 1) if 0 <= k < len(frames))
    assert len(pbm) == 17 and shut >= 0.95 * len(pbm), (shut, len(pbm))
    out2, _ = bake()
    assert (out2 / "take.csv").read_bytes() != (out / "take.csv").read_bytes()


def test_say_audio_says_when_the_transcript_is_not_used(tmp_path):
    """A transcript with no dictionary word cannot be aligned: the take is still made (phone
    recognition) and stderr has one line with the code."""
    audio, rate = espeak_line("Maybe pop by.", "en-us")
    wav = write_wav(tmp_path / "line.wav", audio, rate)
    r = subprocess.run([sys.executable, "-m", "faceplex.bridge.cli", "say", "--audio", str(wav), "-o",
                        str(tmp_path / "t"), "--text", "Xyzzq plugh frobnitz"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "warning transcript_not_used" in lines[0], r.stderr
    assert (tmp_path / "t" / "take.csv").exists()
