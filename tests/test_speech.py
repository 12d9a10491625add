"""Speech: clause splitting, streamed text, and Piper's exact phoneme timing (real voice)."""

from __future__ import annotations

import numpy as np
import pytest

from faceplex.models.speech.contract import merge_alignment
from faceplex.models.speech.piper_voice import Voice, trim_pauses
from faceplex.models.speech.text import ClauseBuffer, split_clauses, split_head


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
