"""Text normalization before phonemization (models/speech/normalize.py), the clause splitter
around abbreviations and decimals, and word marks that keep the client's words (real voice)."""

from __future__ import annotations

import pytest

from faceplex.models.speech.normalize import normalize
from faceplex.models.speech.piper_voice import Voice
from faceplex.models.speech.text import ClauseBuffer, split_clauses

#: (what the client wrote, what the voice is given to read)
CASES = [
    # abbreviations, St. by context
    ("St. James St. is lovely.", "Saint James Street is lovely."),
    ("Dr. Smith lives on Elm Dr. now.", "Doctor Smith lives on Elm Drive now."),
    ("Mr. and Mrs. Smith, e.g. the U.S. team.", "Mister and Missus Smith, for example the U S team."),
    ("Apples, pears, etc.", "Apples, pears, et cetera."),
    ("I live on Main St. It is nice.", "I live on Main Street. It is nice."),
    ("Room #5 at No. 10 Downing St.", "Room number five at number ten Downing Street."),
    # dates: a/b/yyyy is month/day/year (US, the voice's locale); day/month when a > 12
    ("It happened on 3/4/2025.", "It happened on March fourth twenty twenty-five."),
    ("Due 25/12/2025.", "Due December twenty-fifth twenty twenty-five."),
    ("On 2025-12-24 we fly.", "On December twenty-fourth twenty twenty-five we fly."),
    ("March 4, 2025 was a Tuesday.", "March fourth, twenty twenty-five was a Tuesday."),
    ("Born in 1999, not 2005.", "Born in nineteen ninety-nine, not two thousand five."),
    ("The 1990s were fun; so were the 80s.", "The nineteen nineties were fun; so were the eighties."),
    # times
    ("Meet me at 10:30 a.m. tomorrow.", "Meet me at ten thirty a.m. tomorrow."),
    ("Call me at 3pm or 10:00 pm.", "Call me at three p.m. or ten p.m."),
    ("It starts at 9:05 and ends at 14:00.", "It starts at nine oh five and ends at fourteen o'clock."),
    # numbers, decimals, ordinals, percentages, fractions, ranges
    ("In 1999 there were 2,500 people.", "In nineteen ninety-nine there were two thousand five hundred people."),
    ("We have 105 cats and 1,000,000 fleas.", "We have one hundred five cats and one million fleas."),
    ("It was -4 degrees, i.e. 3.5 below.", "It was minus four degrees, that is three point five below."),
    ("She finished 1st and he was 21st.", "She finished first and he was twenty-first."),
    ("Sales rose 50% or 3.5%.", "Sales rose fifty percent or three point five percent."),
    ("Add 3/4 of a cup, or 1/2.", "Add three quarters of a cup, or one half."),
    ("A 5-10 minute walk.", "A five to ten minute walk."),
    ("Add 3½ cups and ¼ teaspoon.", "Add three and a half cups and one quarter teaspoon."),
    ("I code in C# daily.", "I code in C sharp daily."),
    # units after a number
    ("I ran 5km in 30 min, at 60 mph.", "I ran five kilometers in thirty minutes, at sixty miles per hour."),
    ("It was 30°C, a 1 kg bag, a 2.5GB file.", "It was thirty degrees Celsius, a one kilogram bag, a two point five gigabytes file."),
    ("In 5G networks", "In 5G networks"),
    # currencies
    ("It costs $3.50, or $1.", "It costs three dollars and fifty cents, or one dollar."),
    ("I paid $2.5 million for it.", "I paid two point five million dollars for it."),
    ("€20 or £5.99 or 99¢", "twenty euros or five pounds and ninety-nine pence or ninety-nine"),
    # symbols: emoji dropped, not read; a few symbols read as words
    ("That's great 😀 really!", "That's great really!"),
    ("I ❤️ it 👍🏽 x → y", "I it x y"),
    ("Use R&D and/or marketing.", "Use R and D and or marketing."),
    ("Open 24/7.", "Open twenty-four seven."),
    # punctuation standing alone is not read ("dot", "colon")
    (": go . now , then", "go. now, then"),
]


@pytest.mark.parametrize("text, spoken", CASES)
def test_normalization_table(text, spoken):
    assert normalize(text)[0] == spoken


def test_normalization_never_fails_and_words_point_into_the_clause():
    import random

    rng = random.Random(7)
    alphabet = list("0123456789$%/:.,-#&+@'\"()!?aAmMpPsStTdDrR €£½😀👍🏽\u200d")
    for _ in range(2000):
        clause = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 16)))
        spoken, words = normalize(clause)
        assert all(clause[w.start:w.end] == w.text for w in words), clause
        assert all(w1.end <= w2.start for w1, w2 in zip(words, words[1:])), clause
        assert "😀" not in spoken and "👍" not in spoken


def test_words_keep_what_the_client_wrote():
    _, words = normalize("St. James St. on 3/4/2025 😀 costs $3.50.")
    assert [(w.text, w.spoken) for w in words] == [
        ("St.", "Saint"), ("James", "James"), ("St.", "Street"), ("on", "on"),
        ("3/4/2025", "March fourth twenty twenty-five"), ("costs", "costs"), ("$3.50", "three dollars and fifty cents")]
    text = "St. James St. on 3/4/2025 😀 costs $3.50."
    assert all(text[w.start:w.end] == w.text for w in words)


def test_clause_splitter_does_not_cut_inside_abbreviations_or_decimals():
    assert split_clauses("St. James St. is lovely. Dr. Smith met J. R. Tolkien. It costs 3.5 dollars.") == [
        "St. James St. is lovely.", "Dr. Smith met J. R. Tolkien.", "It costs 3.5 dollars."]
    buf = ClauseBuffer()
    out = []
    for token in "I met Dr. Smith at 3.5 p.m. on St. Mark's Square. Then".split(" "):
        out += buf.push(token + " ")
    assert out == ["I met Dr. Smith at 3.5 p.m. on St. Mark's Square."]


@pytest.fixture(scope="module")
def voice():
    return Voice.default()


def test_a_date_mark_covers_all_its_spoken_words_and_emoji_are_not_read(voice):
    text = "St. James St. opened on 3/4/2025 😀 at 10:30 a.m."
    chunks = list(voice.synthesize(text, noise=False))
    words = [(c, w) for c in chunks for w in c.words]
    assert [w.text for _, w in words] == ["St.", "James", "St.", "opened", "on", "3/4/2025", "at", "10:30", "a.m."]

    def said(c, w):
        return "".join(p.phoneme for p in c.phonemes if w.start <= p.start and p.end <= w.end).replace("ː", "")

    by_text = {w.text: (c, w) for c, w in words}
    assert said(*by_text["3/4/2025"]).startswith("mɑɹtʃ_fɔɹθ_twɛnti")   # March fourth twenty twenty-five
    assert said(*words[0]) == "seɪnt" and said(*words[2]).startswith("stɹ")  # Saint James Street
    all_phones = "".join(p.phoneme for c in chunks for p in c.phonemes)
    assert "ɡɹɪnɪŋ" not in all_phones  # no "grinning face"
    for c in chunks:
        assert all(a.end <= b.start for a, b in zip(c.words, c.words[1:]))
