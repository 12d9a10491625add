"""Exact word marks (models/speech/words.py) with the real Piper voice and espeak-ng phonemizer."""

from __future__ import annotations

import pytest

from faceplex.models.speech.piper_voice import Voice
from faceplex.models.speech.text import split_clauses
from faceplex.models.speech.words import (Word, align_words, split_words, text_after_marks, timed_words,
                                          word_marks, word_phonemes)

from long_text import long_text


@pytest.fixture(scope="module")
def voice():
    return Voice.default()


def _check_marks(chunks) -> None:
    """Marks never overlap, lie inside their chunk and start/end on phone boundaries."""
    for c in chunks:
        bounds = {p.start for p in c.phonemes} | {c.num_samples}
        for w in c.words:
            assert 0 <= w.start < w.end <= c.num_samples, w
            assert w.start in bounds and w.end in bounds, w
        for a, b in zip(c.words, c.words[1:]):
            assert a.end <= b.start, (a, b)


def _spoken(chunk, w) -> str:
    return "".join(p.phoneme for p in chunk.phonemes if w.start <= p.start and p.end <= w.end)


@pytest.mark.parametrize("text, expected", [
    # espeak merges "had been" (hɐdbɪn) and "out of" (aʊɾəv): the phones still place each word.
    ("He had been out of the house.", {"had": "hɐd", "been": "bɪn", "out": "aʊɾ", "of": "əv", "the": "ðə"}),
    # espeak splits one word into two groups (fˈeɪs plˈɛks): one mark over both.
    ("FacePlex is great, isn't it?", {"FacePlex": "feɪs_plɛks", "isn't": "ɪzənt"}),
    # A number read as several words is one mark.
    ("It was built in 1850 by them.", {"1850": None, "by": "baɪ"}),
    ("Most of the people were there.", {"of": "əv", "the": "ðə"}),
])
def test_hard_cases_get_exact_marks(voice, text, expected):
    chunks = list(voice.synthesize(text, noise=False))
    _check_marks(chunks)
    marks = {w.text: (c, w) for c in chunks for w in c.words}
    assert [w.text for c in chunks for w in c.words] == [w.text for w in split_words(text)]
    for word, phones in expected.items():
        c, w = marks[word]
        if phones is not None:
            assert _spoken(c, w).replace("ː", "") == phones


def test_marks_follow_piper_sentences(voice):
    chunks = list(voice.synthesize("Hello there. How are you?", noise=False))
    assert [[w.text for w in c.words] for c in chunks] == [["Hello", "there"], ["How", "are", "you"]]
    _check_marks(chunks)


def test_long_take_has_no_overlapping_marks_and_every_mark_inside_its_sentence(voice):
    """About 2,000 words through the voice's own phonemizer (the symbols Piper aligns): the
    marks are symbol ranges, so non-overlap and containment hold for any sample counts."""
    words_total = own = 0
    for sentence in long_text():
        for clause in split_clauses(sentence):
            words = split_words(clause)
            sentences = [["^", *s, "$"] for s in voice._voice.phonemize(clause)]
            spans = align_words(words, [word_phonemes(w.spoken, voice.phonemize_word) for w in words], sentences)
            words_total += len(words)
            prev = None
            for s in spans:
                assert 0 <= s.first < s.end <= len(sentences[s.sentence]), (clause, s)
                if prev is not None:
                    assert (prev.sentence, prev.end) <= (s.sentence, s.first), (clause, prev, s)
                prev = s
            # Every mark's words are the clause's words, in order, each in at most one mark.
            covered = [t for s in spans for t in s.text.split()]
            texts = [w.text for w in words]
            it = iter(texts)
            assert all(t in it for t in covered), clause
            own += sum(1 for s in spans if " " not in s.text)
    assert words_total >= 2000
    assert own >= 0.9 * words_total  # most words get a mark of their own


def test_a_boundary_the_phones_cannot_place_merges_the_two_words():
    """'this stop' read with one shared s (ðɪstɑp): which word owns the s is unknown -> one mark."""
    words = [Word("this", 0, 4, "this"), Word("stop", 5, 9, "stop")]
    phones = [["ð", "ɪ", "s"], ["s", "t", "ɑ", "p"]]
    symbols = ["^", "ð", "ˈ", "ɪ", "s", "t", "ɑ", "p", "$"]
    spans = align_words(words, phones, [symbols])
    assert [(s.text, s.first, s.end) for s in spans] == [("this stop", 1, 8)]
    timed = timed_words(spans, 0, [5, 1, 1, 2, 3, 4, 5, 6, 7])
    assert [(w.text, w.start, w.end) for w in timed] == [("this stop", 5, 27)]


def test_a_word_espeak_did_not_speak_gets_no_mark_of_its_own():
    words = [Word("go", 0, 2, "go"), Word("now", 3, 6, "now")]
    spans = align_words(words, [["ɡ", "oʊ"], []], [["^", "ɡ", "oʊ", "$"]])
    assert [(s.text, s.first, s.end) for s in spans] == [("go", 1, 3)]


def test_marks_in_samples_per_sentence(voice):
    words = split_words("Hi there. Bye now.")
    alignments = [(["^", "h", "ˈ", "a", "ɪ", " ", "ð", "ɛ", "ɹ", ".", "$"], [3] * 11),
                  (["^", "b", "ˈ", "a", "ɪ", " ", "n", "ˈ", "a", "ʊ", ".", "$"], [2] * 12)]
    marks = word_marks(words, alignments, voice.phonemize_word)
    assert [[(w.text, w.start, w.end) for w in ws] for ws in marks] == [
        [("Hi", 3, 15), ("there", 18, 27)], [("Bye", 2, 10), ("now", 12, 20)]]


def test_text_after_marks_follows_the_marks_words():
    text = "He had been out of the house on 3/4/2025, then left."
    assert text_after_marks(text, ["He", "had been"]) == "out of the house on 3/4/2025, then left."
    assert text_after_marks(text, ["He", "had been", "out", "of", "the", "house", "on", "3/4/2025"]) == "then left."
    assert text_after_marks(text, []) == text
