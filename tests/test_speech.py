"""Speech: clause splitting, streamed text, and Piper's exact phoneme timing (real voice)."""

from __future__ import annotations

import numpy as np
import pytest

from faceplex.models.speech.contract import merge_alignment
from faceplex.models.speech.piper_voice import Voice, trim_pauses
from faceplex.models.speech.text import ClauseBuffer, split_clauses, split_growing, split_head


@pytest.fixture(scope="module")
def voice():
    return Voice.default()


def test_split_clauses_breaks_at_sentences_and_long_commas():
    text = "Hello there, my friend. How are you doing today, my dear old friend? It costs 3.5 dollars."
    assert split_clauses(text) == ["Hello there, my friend.", "How are you doing today,", "my dear old friend?",
                                   "It costs 3.5 dollars."]


def test_split_clauses_drops_unspeakable_pieces():
    assert split_clauses("... !!! ?") == []


def test_clause_buffer_releases_clauses_as_tokens_arrive():
    buf = ClauseBuffer()
    released = []
    for token in "Well, I think that the weather is nice today. Don't you".split(" "):
        released.append(buf.push(token + " "))
    flat = [c for r in released for c in r]
    assert flat == ["Well, I think that the weather is nice today."]
    assert buf.flush() == ["Don't you"]


def test_clause_buffer_does_not_split_a_decimal_mid_stream():
    buf = ClauseBuffer()
    assert buf.push("It costs 3.") == []
    assert buf.push("5 dollars. And") == ["It costs 3.5 dollars."]


def test_split_head_cuts_long_first_clause_before_a_function_word():
    assert split_head("I saw a wolf near the old mill.") == [("I saw a wolf", True), ("near the old mill.", False)]
    assert split_head("Be careful on the mountain road after dark.") == [("Be careful", True), ("on the mountain road after dark.", False)]
    assert split_head("Hello there, my friend.") == [("Hello there, my friend.", False)]


def test_split_head_leaves_a_clause_without_phrase_boundary_whole_unless_it_is_long():
    assert split_head("That sword belonged to my father.") == [("That sword belonged to my father.", False)]
    assert split_head("Nobody ever really knew anything whatsoever.") == [("Nobody ever really knew anything whatsoever.", False)]
    long = "Nobody ever really knew anything whatsoever regarding those strange old lights"
    assert split_head(long) == [("Nobody ever really knew", True), ("anything whatsoever regarding those strange old lights", False)]
    assert split_head("The quick brown fox jumps over the lazy dog.") == [("The quick brown fox jumps", True), ("over the lazy dog.", False)]


def test_merge_alignment_tiles_and_moves_stress_to_the_vowel():
    phones = merge_alignment(["^", "h", "ˈ", "a", "ː", " ", "$"], [10, 20, 5, 30, 7, 4, 6])
    assert [(p.phoneme, p.start, p.end, p.stressed) for p in phones] == [
        ("_", 0, 10, False), ("h", 10, 30, False), ("a", 30, 72, True), ("_", 72, 82, False)]


def test_piper_alignment_tiles_the_chunk_exactly(voice):
    chunks = list(voice.synthesize("Peter bought a big map of Bombay."))
    assert len(chunks) == 1
    c = chunks[0]
    assert c.sample_rate == 22050 and c.audio.dtype == np.int16 and c.num_samples > 22050
    assert c.phonemes[0].start == 0 and c.phonemes[-1].end == c.num_samples
    assert all(a.end == b.start for a, b in zip(c.phonemes, c.phonemes[1:]))
    assert [w.text for w in c.words] == ["Peter", "bought", "a", "big", "map", "of", "Bombay"]
    assert all(w1.end <= w2.start for w1, w2 in zip(c.words, c.words[1:]))
    assert "p" in [p.phoneme for p in c.phonemes] and "m" in [p.phoneme for p in c.phonemes]


def test_trim_pauses_keeps_positions_exact(voice):
    c = list(voice.synthesize("The quick brown fox"))[0]
    t = trim_pauses(c, lead_max=100, tail_max=200)
    assert t.phonemes[0].end - t.phonemes[0].start <= 100
    assert t.phonemes[-1].end - t.phonemes[-1].start <= 200
    assert t.phonemes[-1].end == t.num_samples < c.num_samples
    offset = c.phonemes[0].end - t.phonemes[0].end
    assert np.array_equal(t.audio, c.audio[offset:offset + t.num_samples])
    assert [w.end - w.start for w in t.words] == [w.end - w.start for w in c.words]


def test_speed_shortens_speech(voice):
    slow = list(voice.synthesize("This is a test of speed.", speed=0.8))[0].num_samples
    fast = list(voice.synthesize("This is a test of speed.", speed=1.6))[0].num_samples
    assert fast < 0.75 * slow


def test_split_growing_cuts_a_short_head_then_growing_runs_at_phrase_boundaries():
    """One-pass engines (Kokoro): a 2-4 word head at a phrase boundary, then runs about twice as
    long as the run before, every piece but the last joining the next."""
    assert split_growing("I saw a wolf near the old mill.") == [("I saw a wolf", True), ("near the old mill.", False)]
    assert split_growing("Be careful on the mountain road after dark.") == [
        ("Be careful", True), ("on the mountain road", True), ("after dark.", False)]
    assert split_growing("The bridge is closed today.") == [("The bridge", True), ("is closed today.", False)]
    # no boundary within words 2..4: after the fourth word
    assert split_growing("Could you bring me three apples from the market?") == [
        ("Could you bring me", True), ("three apples from the market?", False)]
    # a comma is a boundary too
    assert split_growing("Long ago, before the river changed its course,")[0] == ("Long ago,", True)
    # short clauses stay whole
    for short in ("Hello there.", "Where are you going?", "Yes.", "I don't trust him."):
        assert split_growing(short) == [(short, False)]


def test_split_growing_keeps_every_word_in_order_and_grows():
    text = " ".join(f"w{i}" for i in range(60))
    for n in range(1, 61):
        clause = " ".join(text.split()[:n])
        pieces = split_growing(clause)
        assert " ".join(p for p, _ in pieces).split() == clause.split()
        assert [j for _, j in pieces] == [True] * (len(pieces) - 1) + [False]
        sizes = [len(p.split()) for p, _ in pieces]
        if len(pieces) > 1:
            assert 2 <= sizes[0] <= 4 and min(sizes) >= 2
            # each run but the last is longer than the one before, and not more than ~2x + 1
            assert all(b > a and b <= 2 * a + 1 for a, b in zip(sizes[:-2], sizes[1:-1])), sizes
        else:
            assert n < 5
    assert [len(p.split()) for p, _ in split_growing(text)] == [4, 8, 16, 32]
