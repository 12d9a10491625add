"""Streaming voice decoding: the split graph, window decoding vs one pass, seeded noise, level.

Deterministic at any machine speed: every assertion is on samples (no timing).
"""

from __future__ import annotations

import numpy as np
import pytest

from faceplex.bridge.outputs.bake import bake_text
from faceplex.bridge.timeline.utterance import PieceResampler, resample_clause
from faceplex.models.speech.clause_stream import ClauseStream, plan_cuts
from faceplex.models.speech.piper_voice import Voice
from faceplex.models.speech.streaming import CEILING, CONTEXT_FRAMES, HOP, noise_rng
from faceplex.protocol.messages import SUPPORTED_SAMPLE_RATES

LINE = "Be careful on the mountain road after dark, and keep your voice down."
LOUD = "Hey! Watch out! The bridge is falling, run, run now!"


@pytest.fixture(scope="module")
def voice():
    return Voice.default()


def _pieces(voice, text, **kw):
    stream = ClauseStream(voice, text, **kw)
    out = []
    while not stream.done:
        out += stream.step()
    return out


def test_window_decoding_matches_one_pass_within_tolerance(voice):
    """Stated tolerance: with CONTEXT_FRAMES of latent on each side, stitched windows differ from
    one-pass decoding by at most 1e-4 of full scale, SNR >= 60 dB (measured ~1e-6, ~120 dB)."""
    phonemes, ids = voice.sentences(LINE)[0]
    lat = voice.graphs.latent(ids, voice.scales(), noise_rng(3))
    one = voice.graphs.decode_all(lat.z)
    assert one.shape == (lat.frames * HOP,)
    symbols, counts = voice.alignment(phonemes, ids, lat.frames_per_id)
    assert sum(counts) == one.shape[0]
    for window in (8, 20, 64):  # windows of any size, cut anywhere
        parts = [voice.graphs.decode_window(lat.z, a, min(lat.frames, a + window), CONTEXT_FRAMES)
                 for a in range(0, lat.frames, window)]
        stitched = np.concatenate(parts)
        assert stitched.shape == one.shape
        err = stitched - one
        assert np.abs(err).max() <= 1e-4
        assert 10 * np.log10(np.sum(one ** 2) / max(np.sum(err ** 2), 1e-30)) >= 60
    # Too little context is visibly wrong: the test can fail.
    short = np.concatenate([voice.graphs.decode_window(lat.z, a, min(lat.frames, a + 20), 2)
                            for a in range(0, lat.frames, 20)])
    assert np.abs(short - one).max() > 1e-3


def test_flow_by_blocks_matches_one_flow_run(voice):
    """The flow runs block by block (the first audio waits only for its own frames): with
    FLOW_CONTEXT_FRAMES of input on each side the latent equals one flow run within float
    rounding (measured 1.3e-5 on a latent whose values reach ~44)."""
    phonemes, ids = voice.sentences(LINE)[0]
    one = voice.graphs.latent(ids, voice.scales(), noise_rng(3)).z
    for blocks in ((24, 88, 152), (7, 40, 300), (1000,)):
        lat = voice.graphs.prior(ids, voice.scales(), noise_rng(3))
        for end in (*blocks, lat.frames):
            lat.ensure(voice.graphs, end)
            assert lat.done == min(end, lat.frames)
        assert lat.feeds is None  # inputs dropped once every frame is done
        assert np.abs(lat.z - one).max() <= 1e-3
    # Too little context is visibly wrong: the test can fail.
    lat = voice.graphs.prior(ids, voice.scales(), noise_rng(3))
    for end in range(20, lat.frames + 20, 20):
        lat.ensure(voice.graphs, end, context=4)
    assert np.abs(lat.z - one).max() > 1e-1


def test_pieces_cut_on_phone_boundaries_and_equal_one_pass_pcm(voice):
    pieces = _pieces(voice, LINE)
    (whole,) = list(voice.synthesize(LINE))
    assert len(pieces) >= 3 and pieces[-1].last and not any(p.last for p in pieces[:-1])
    offsets = np.cumsum([0] + [p.num_samples for p in pieces])
    assert [p.offset for p in pieces] == list(offsets[:-1]) and all(p.total == whole.num_samples for p in pieces)
    stitched = np.concatenate([p.audio for p in pieces]).astype(np.int32)
    assert stitched.shape == whole.audio.shape
    assert np.abs(stitched - whole.audio).max() <= 1  # 1e-4 of full scale is ~3 LSB; rounding only
    # Phones tile each piece exactly; every cut is a phone boundary on a whole latent frame; the
    # phones of the pieces are the one-pass phones.
    starts = {p.start for p in whole.phonemes}
    got = []
    for p in pieces:
        assert p.offset % HOP == 0 and p.offset in starts | {0}
        assert p.phonemes[0].start == 0 and p.phonemes[-1].end == p.num_samples
        assert all(a.end == b.start for a, b in zip(p.phonemes, p.phonemes[1:]))
        got += [(ph.phoneme, ph.start + p.offset, ph.end + p.offset) for ph in p.phonemes]
    assert got == [(ph.phoneme, ph.start, ph.end) for ph in whole.phonemes]
    # Each word is in exactly one piece (the one it starts in), whole.
    words = [(w.text, w.start + p.offset, w.end + p.offset) for p in pieces for w in p.words]
    assert words == [(w.text, w.start, w.end) for w in whole.words]


def test_plan_prefers_word_boundaries(voice):
    pieces = _pieces(voice, "The quick brown fox jumps over the lazy dog near the river bank today.")
    (whole,) = list(voice.synthesize("The quick brown fox jumps over the lazy dog near the river bank today."))
    edges = {w.start for w in whole.words} | {w.end for w in whole.words} | \
        {p.start for p in whole.phonemes if p.phoneme == "_"}
    cuts = [p.offset for p in pieces[1:]]
    assert cuts and all(c in edges for c in cuts)
    assert plan_cuts(whole.phonemes, whole.words, 0, whole.num_samples)[-1] == whole.num_samples


def test_same_text_and_seed_give_identical_bytes(voice):
    a = [c.audio.tobytes() for c in voice.synthesize(LINE, seed=7)]
    b = [c.audio.tobytes() for c in voice.synthesize(LINE, seed=7)]
    c = [c.audio.tobytes() for c in voice.synthesize(LINE, seed=8)]
    assert a == b and a != c
    wide = [c.audio.tobytes() for c in voice.synthesize(LINE, seed=7, wide=True)]
    assert wide == a  # the thread count does not change the audio
    s1 = b"".join(p.audio.tobytes() for p in _pieces(voice, LINE, seed=7))
    s2 = b"".join(p.audio.tobytes() for p in _pieces(voice, LINE, seed=7))
    assert s1 == s2


def test_bakes_are_bit_identical_for_a_seed():
    t1 = bake_text("Hello! Bakes repeat, bit for bit.", sample_rate=48000, seed=5)
    t2 = bake_text("Hello! Bakes repeat, bit for bit.", sample_rate=48000, seed=5)
    assert t1.audio.tobytes() == t2.audio.tobytes()
    assert np.array_equal(t1.frames, t2.frames)


@pytest.mark.parametrize("rate", SUPPORTED_SAMPLE_RATES)
def test_peak_at_most_minus_1_dbfs_and_no_clipping_at_every_rate(voice, rate):
    for text in (LOUD, LINE):
        for chunk in voice.synthesize(text, seed=1):
            clause = resample_clause(chunk, rate)
            peak = int(np.abs(clause.pcm.astype(np.int32)).max())
            assert peak <= CEILING and 20 * np.log10(peak / 32768) <= -1.0
            assert not np.isin(clause.pcm, (32767, -32768)).any()
        # Streamed pieces through the per-sentence resampler: same bound, same length as one pass.
        res = PieceResampler(voice.sample_rate, rate)
        pcm = np.concatenate([res.push(p).pcm for p in _pieces(voice, text, seed=1)]).astype(np.int32)
        assert np.abs(pcm).max() <= CEILING
        assert pcm.shape[0] == sum(resample_clause(c, rate).pcm.shape[0] for c in voice.synthesize(text, seed=1))
