"""Text handling before synthesis: clause splitting and the append buffer for streamed text.

Clause by clause synthesis is what lets the first audio leave before a long reply is
synthesized (Piper itself synthesizes one sentence per call).
"""

from __future__ import annotations

import re

from faceplex.models.speech.normalize import ABBREVIATIONS, NON_FINAL_ABBREVIATIONS

# A clause ends at sentence punctuation, or at , ; : or a dash when enough words came before it
# (a very short clause would cut prosody without buying latency).
# Japanese and Chinese full stops, ! and ? end a sentence with no space after them.
_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*\s+|[.!?…]+[\"')\]]*$|[。！？]+[」』）\"')\]]*")
_SOFT_BREAK = re.compile(r"[,;:]\s+|\s[-–—]\s+")
MIN_WORDS_BEFORE_SOFT_BREAK = 4
_SPEAKABLE = re.compile(r"[^\W_]", re.UNICODE)  # a letter or digit (\w alone admits "_")


def _ends_sentence(text: str, match: re.Match) -> bool:
    """False for a period that does not end a sentence: after an abbreviation that never ends one
    ("Dr.", "St.", "e.g.", an initial "J."), or before a lowercase word. After another
    abbreviation ("p.m.", "etc.") the sentence ends only if a capitalized word follows, so a
    stream waits for the next word. The normalizer then reads the abbreviation."""
    if match.group().rstrip("\"')] \t\n") != ".":
        return True
    before = text[:match.start()].rsplit(None, 1)
    word = before[-1].lstrip("\"'([") if before else ""
    if (len(word) == 1 and word.isupper()) or word.lower() in NON_FINAL_ABBREVIATIONS:
        return False
    following = text[match.end():].lstrip()
    if following[:1].islower():
        return False
    if "." in word or word.lower() in ABBREVIATIONS:
        return following[:1].isupper()
    return True


def is_speakable(text: str) -> bool:
    """True if ``text`` has at least one letter or digit."""
    return bool(_SPEAKABLE.search(text))


def _split_soft(sentence: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _SOFT_BREAK.finditer(sentence):
        piece = sentence[start:match.end()]
        if len(piece.split()) >= MIN_WORDS_BEFORE_SOFT_BREAK:
            out.append(piece.strip())
            start = match.end()
    tail = sentence[start:].strip()
    if tail:
        if out and len(tail.split()) < 2:
            out[-1] = f"{out[-1]} {tail}"  # never leave a one-word orphan clause
        else:
            out.append(tail)
    return out


def split_clauses(text: str) -> list[str]:
    """Split ``text`` into speakable clauses, in order. Empty pieces are dropped."""
    clauses: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if not _ends_sentence(text, match):
            continue
        clauses.extend(_split_soft(text[start:match.end()]))
        start = match.end()
    clauses.extend(_split_soft(text[start:]))
    return [c for c in clauses if is_speakable(c)]


class ClauseBuffer:
    """Collects streamed text (e.g. LLM tokens) and releases complete clauses.

    ``push(text)`` returns the clauses completed by this text; ``flush()`` returns the rest.
    A clause is complete when punctuation that ends it is followed by whitespace (so "3.5" or
    "e.g." mid-token do not split early) or, for the final text, at the end.
    """

    def __init__(self) -> None:
        self._pending = ""

    @property
    def pending_chars(self) -> int:
        return len(self._pending)

    def push(self, text: str) -> list[str]:
        self._pending += text
        cut = 0
        for match in _SENTENCE_END.finditer(self._pending):
            if not _ends_sentence(self._pending, match):
                continue
            if match.end() < len(self._pending) or self._pending[-1:].isspace():
                cut = match.end()
        if not cut:
            for match in _SOFT_BREAK.finditer(self._pending):
                if len(self._pending[:match.end()].split()) >= MIN_WORDS_BEFORE_SOFT_BREAK:
                    cut = match.end()
        if not cut:
            return []
        done, self._pending = self._pending[:cut], self._pending[cut:]
        return split_clauses(done)

    def flush(self) -> list[str]:
        rest, self._pending = self._pending, ""
        return split_clauses(rest)


#: Words before which a sentence may be cut for a fast first clause (a phrase boundary, so the
#: seam falls where a speaker could breathe): conjunctions and prepositions first, then articles
#: and auxiliaries.
_CUT_STRONG = frozenset(
    "and but or so because that which who when where while if then than as to of in on at for "
    "with from over under into after before about like near by through across around behind beside "
    "between without within until since toward towards upon against along among during".split()
)
_CUT_WEAK = frozenset("the a an is are was were will would can could should".split())
FAST_HEAD_MAX_WORDS = 4
#: A phrase boundary for the cut is looked for before words 3..HEAD_SEARCH_WORDS.
HEAD_SEARCH_WORDS = 6
#: Without a phrase boundary, only clauses longer than this are cut (after FAST_HEAD_MAX_WORDS).
LONG_CLAUSE_WORDS = 10


def split_head(clause: str, max_words: int = FAST_HEAD_MAX_WORDS) -> list[tuple[str, bool]]:
    """Cut a long first clause so its first audio is ready sooner.

    Returns ``[(text, joins_next), ...]``: ``joins_next`` marks a piece cut mid-sentence, whose
    trailing pause (and the next piece's leading pause) the synthesizer trims so the seam is not
    heard as a break. Piper's synthesis time grows with the clause's audio length (~35 ms per
    second on 2 cores), so the cut goes before the earliest function word among words
    3..HEAD_SEARCH_WORDS (before a preposition rather than between it and its article).
    Clauses of at most ``max(max_words + 2, HEAD_SEARCH_WORDS)`` words stay whole; without a
    phrase boundary, only clauses of more than LONG_CLAUSE_WORDS words are cut (after
    ``max_words``).
    """
    words = clause.split()
    if len(words) <= max_words + 2 or len(words) <= HEAD_SEARCH_WORDS:
        return [(clause, False)]
    def first_before(vocab: frozenset) -> int | None:
        # The earliest boundary wins: the shorter the first piece, the sooner its audio.
        return next((i for i in range(3, HEAD_SEARCH_WORDS + 1) if words[i].lower().strip("\"'(") in vocab), None)

    cut = first_before(_CUT_STRONG | _CUT_WEAK)
    if cut is None:
        if len(words) <= LONG_CLAUSE_WORDS:
            return [(clause, False)]  # no phrase boundary: a seam would cost more than it saves
        cut = max_words
    elif words[cut].lower() in _CUT_WEAK and words[cut - 1].lower() in _CUT_STRONG:
        cut -= 1  # "careful | on the road", not "careful on | the road"
    return [(" ".join(words[:cut]), True), (" ".join(words[cut:]), False)]
