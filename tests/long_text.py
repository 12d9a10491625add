"""A long English take (about 2,000 words) for word-mark tests and the word-mark bench.

Deterministic (fixed seed). Sentences are built from templates full of what espeak-ng merges,
splits or reduces: function-word runs ("had been", "of the", "out of a"), contractions, made-up
and foreign names, compounds, initialisms and numbers.
"""

from __future__ import annotations

import random

_NAMES = ["FacePlex", "Jean-Pierre", "Siobhan", "Nguyen", "Bombay", "MetaHuman", "Xiaoming", "O'Brien",
          "Wojciech", "Zoë", "McAllister", "Reykjavik", "Live Link", "Unreal", "Tchaikovsky"]
_NOUNS = ["house", "bus stop", "river", "station", "kitchen", "old mill", "castle", "garden", "harbour",
          "market", "library", "mountain road", "laboratory", "theatre", "bridge"]
_VERBS = ["had been", "would have been", "could've gone", "was going", "has never been", "might have stayed",
          "is walking", "wasn't", "used to be", "ought to go"]
_TEMPLATES = [
    "{name} {verb} out of the {noun} for {num} days.",
    "I think that {name} {verb} at the end of the {noun}, didn't you?",
    "Most of the time, {name} and I {verb} near the {noun} in {year}.",
    "We'd seen it {num} times before, but {name} said it was the first time.",
    "There's a {noun} just over the hill, and it's {num} miles from {name}'s place.",
    "Could you tell {name} that the {noun} closes at {num} o'clock tomorrow?",
    "In {year}, {name} {verb} one of the best at the {noun}.",
    "It isn't what it used to be, said {name}, looking out of the window at the {noun}.",
    "All of a sudden the {noun} went quiet, and {name} {verb} there for a while.",
    "{name}'s plan, if you can call it a plan, {verb} to reach the {noun} by {num}.",
    "Neither of them knew whether the {noun} was open on the {ordinal} of the month.",
    "As far as I know, a lot of the people who {verb} there don't like the {noun}.",
]
_ORDINALS = ["first", "second", "third", "fourth", "twenty-first"]


def long_text(words: int = 2000, seed: int = 11) -> list[str]:
    """Sentences, in order, with at least ``words`` whitespace-separated words in all."""
    rng = random.Random(seed)
    out, n = [], 0
    while n < words:
        t = rng.choice(_TEMPLATES).format(name=rng.choice(_NAMES), verb=rng.choice(_VERBS), noun=rng.choice(_NOUNS),
                                          num=rng.choice(["3", "12", "47", "100", "2,500", "seven"]),
                                          year=rng.choice(["1999", "2025", "1850"]), ordinal=rng.choice(_ORDINALS))
        out.append(t)
        n += len(t.split())
    return out
