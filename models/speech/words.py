"""Exact word marks: which samples of a clause's audio belong to which of the client's words.

Piper (through espeak-ng) does not keep word boundaries: it merges words into one phoneme group
("had been" -> ``hɐdbɪn``, "of the" -> ``ʌvðə``), splits one word into several ("FacePlex" ->
``fˈeɪs plˈɛks``) and reduces words in context ("a" -> ``ɐ``). So the words of the text cannot be
matched to the groups between spaces by counting. Instead every word is phonemized on its own
with the same espeak-ng phonemizer and voice, and the concatenated word phonemes (with a word
boundary token between words) are aligned to the sentence's phoneme symbols by a weighted edit
distance (Levenshtein DP). A boundary between two words is *exact* when every optimal alignment
puts it at the same place (at a pause/space symbol, or between two given phones inside a group);
otherwise the two words share one mark covering both. Words whose start or end cannot be placed
get no mark at all. Marks are never proportional guesses, never overlap, and lie inside their
sentence: they are in order and ``[start, end)`` ranges of whole phoneme symbols.

The functions here are pure: :func:`align_words` needs only the clause's words, each word's
phonemes and the sentences' alignment symbols (no sample counts, so a streaming synthesizer can
align as soon as it has phonemized); :func:`timed_words` turns the result into samples once a
sentence's per-symbol sample counts are known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from faceplex.models.speech.contract import LENGTH_MARKS, PAUSE_SYMBOLS, STRESS_MARKS, TimedWord

#: IPA vowel letters espeak-ng writes (a substitution vowel<->vowel is cheaper than vowel<->consonant:
#: reduced vowels in context, "had" hæd -> hɐd).
_VOWELS = set("aeiouyæɐɑɒɔəɘɚɛɜɝɞɤɨɪʊʉʌʏøœɶɯɵᵻ")

# DP costs (integers, so ties are exact). A substitution costs less than a deletion plus an
# insertion; a word boundary that espeak did not write (merged words) or a pause espeak wrote
# inside a word (split word) costs less than any phone edit, so boundaries follow the phones.
_SUB_SAME_CLASS = 2
_SUB_OTHER_CLASS = 3
_INDEL_PHONE = 2
_INDEL_BREAK = 1
_INF = 1 << 28  # "impossible"; int32 tables, and real costs stay far below it

_BREAK = "_"      # a pause/space in the sentence, or a space inside one word's phonemes
_BOUNDARY = "|"   # the boundary between two words (A side only)


@dataclass(frozen=True)
class Word:
    """One word of a clause as the client wrote it.

    ``text``: the word (surrounding punctuation stripped); ``start``/``end``: character offsets
    of ``text`` in the clause; ``spoken``: what is phonemized for it (the text normalizer's
    expansion, e.g. "3/4/2025" -> "March fourth, twenty twenty-five"; ``""`` for a word that
    is not spoken: it gets no mark).
    """

    text: str
    start: int
    end: int
    spoken: str


@dataclass(frozen=True)
class WordSpan:
    """A mark on a sentence's alignment symbols: symbols ``[first, end)`` of sentence ``sentence``.

    ``text``: the clause's text from the first to the last word the mark covers (one word, or
    several whose boundary could not be placed exactly).
    """

    text: str
    sentence: int
    first: int
    end: int


_LEADING = "\"'“‘«([{¿¡*_"
_TRAILING = "\"'”’»)]}.,;:!?…*_"
_TOKEN = re.compile(r"[^\s—–]+")


def split_words(clause: str) -> list[Word]:
    """The clause's words: whitespace/dash separated tokens, surrounding punctuation stripped.

    A token without a letter or digit is not a word. ``spoken`` is the word itself (no
    normalization; see ``normalize.normalize_words``).
    """
    out = []
    for mt in _TOKEN.finditer(clause):
        a, b = mt.start(), mt.end()
        while a < b and clause[a] in _LEADING:
            a += 1
        while b > a and clause[b - 1] in _TRAILING:
            b -= 1
        text = clause[a:b]
        if any(ch.isalnum() for ch in text):
            out.append(Word(text, a, b, text))
    return out


def phoneme_tokens(symbols: Sequence[str]) -> list[tuple[str, int, int]]:
    """Alignment symbols -> DP tokens ``(symbol, first, end)`` over symbol indices.

    Stress marks join the phone after them and length marks the phone before (as
    ``piper_voice.merge_alignment`` does for the face); pause symbols (space, punctuation, Piper's
    BOS ``^``/EOS ``$``) become one ``"_"`` per run.
    """
    out: list[list] = []
    pending = None  # index of a stress mark waiting for its phone
    for j, sym in enumerate(symbols):
        if sym in STRESS_MARKS:
            pending = j if pending is None else pending
        elif sym in LENGTH_MARKS and out and out[-1][0] != _BREAK:
            out[-1][2] = j + 1
        elif sym in PAUSE_SYMBOLS or sym.isspace() or sym in LENGTH_MARKS:
            if out and out[-1][0] == _BREAK and pending is None:
                out[-1][2] = j + 1
            else:
                out.append([_BREAK, j if pending is None else pending, j + 1])
            pending = None
        else:
            out.append([sym, j if pending is None else pending, j + 1])
            pending = None
    if pending is not None:
        if out:
            out[-1][2] = len(symbols)
        else:
            out.append([_BREAK, pending, len(symbols)])
    return [(s, a, b) for s, a, b in out]


def word_phonemes(spoken: str, phonemize: Callable[[str], list[list[str]]]) -> list[str]:
    """One word's phone tokens: ``phonemize(spoken)`` (espeak, per sentence) without stress or
    length marks, with ``"_"`` where espeak put a space inside the word. ``[]`` if nothing is spoken."""
    syms: list[str] = []
    for sentence in phonemize(spoken) if spoken.strip() else []:
        syms.extend(sentence)
        syms.append(" ")
    toks = [s for s, _, _ in phoneme_tokens(syms)]
    while toks and toks[0] == _BREAK:
        toks.pop(0)
    while toks and toks[-1] == _BREAK:
        toks.pop()
    return toks


def _sub_cost(a: str, b: str) -> int:
    if a == b:
        return 0
    if (a == _BREAK) != (b == _BREAK):
        return _INF
    return _SUB_SAME_CLASS if ((a in _VOWELS) == (b in _VOWELS)) else _SUB_OTHER_CLASS


def _del_cost(a: str) -> int:  # an A token with no B counterpart
    return _INDEL_BREAK if a in (_BREAK, _BOUNDARY) else _INDEL_PHONE


def _ins_cost(b: str) -> int:  # a B token with no A counterpart
    return _INDEL_BREAK if b == _BREAK else _INDEL_PHONE


def _match_cost(a: str, b: str) -> int:
    if a == _BOUNDARY:
        return 0 if b == _BREAK else _INF
    return _sub_cost(a, b)


def _dp(A: list[str], B: list[str]) -> np.ndarray:
    """Forward edit-distance table ``F[i, j]``: cost of aligning ``A[:i]`` with ``B[:j]``,
    ``(len(A) + 1, len(B) + 1) int32``.

    One numpy pass per row of A: the diagonal (match/substitute) and vertical (A token left
    out) moves are elementwise; the horizontal chain of B insertions is a running minimum,
    ``cur[j] = C[j] + min_{k<=j}(cand[k] - C[k])`` with ``C`` the cumulative insertion costs.
    """
    n, m = len(A), len(B)
    is_break = np.array([b == _BREAK for b in B], dtype=bool)
    is_vowel = np.array([b in _VOWELS for b in B], dtype=bool)
    ids = {sym: k for k, sym in enumerate(sorted(set(A) | set(B)))}
    b_ids = np.array([ids[b] for b in B], dtype=np.int32)
    C = np.zeros(m + 1, dtype=np.int32)
    C[1:] = np.cumsum(np.where(is_break, _INDEL_BREAK, _INDEL_PHONE))
    rows: dict[str, np.ndarray] = {}
    F = np.empty((n + 1, m + 1), dtype=np.int32)
    F[0] = C
    for i in range(1, n + 1):
        a = A[i - 1]
        cost = rows.get(a)
        if cost is None:
            if a in (_BOUNDARY, _BREAK):
                cost = np.where(is_break, 0, _INF)
            else:
                sub = np.where(is_vowel == (a in _VOWELS), _SUB_SAME_CLASS, _SUB_OTHER_CLASS)
                cost = np.where(is_break, _INF, np.where(b_ids == ids[a], 0, sub))
            cost = rows[a] = cost.astype(np.int32)
        prev = F[i - 1]
        da = _del_cost(a)
        cand = np.empty(m + 1, dtype=np.int32)
        cand[0] = prev[0] + da
        np.minimum(prev[:-1] + cost, prev[1:] + da, out=cand[1:])
        np.minimum(cand, _INF, out=cand)
        F[i] = C + np.minimum.accumulate(cand - C)
    return F


def align_words(words: Sequence[Word], phones: Sequence[Sequence[str]],
                sentences: Sequence[Sequence[str]]) -> list[WordSpan]:
    """Place the clause's words on its sentences' alignment symbols, exactly or not at all.

    Args:
        words: the clause's words in order (:func:`split_words` or the normalizer's words).
        phones: each word's phone tokens (:func:`word_phonemes`), same length as ``words``;
            a word with ``[]`` is not spoken and gets no mark.
        sentences: per sentence Piper synthesized, its alignment symbols (``PhonemeAlignment``
            ``.phoneme`` in order, BOS ``^`` and EOS ``$`` included or not).

    Returns:
        Marks in order, never overlapping; each lies inside one sentence and covers whole
        phones. Words whose boundary with a neighbour is ambiguous share one mark; words at the
        clause's edges whose outer boundary is ambiguous, or whose phones straddle two sentences,
        get none.
    """
    if len(words) != len(phones):
        raise ValueError(f"{len(words)} words but {len(phones)} phoneme lists")
    spoken = [(w, list(p)) for w, p in zip(words, phones) if p]
    if not spoken:
        return []
    # B: the sentences' tokens with (sentence, first symbol, end symbol); consecutive breaks
    # (the end of one sentence and the start of the next) are one token, so the boundary between
    # words in two sentences is not ambiguous.
    B: list[str] = []
    where: list[tuple[int, int, int, int]] = []  # sentence of first, first, sentence of end, end
    for s, syms in enumerate(sentences):
        for sym, a, b in phoneme_tokens(list(syms)):
            if sym == _BREAK and B and B[-1] == _BREAK:
                where[-1] = (where[-1][0], where[-1][1], s, b)
            else:
                B.append(sym)
                where.append((s, a, s, b))
    # A: | w1 | w2 | ... | wn |  (boundary tokens also at the clause's edges).
    A: list[str] = [_BOUNDARY]
    bound_at: list[int] = [0]  # A index of each boundary token
    for _, p in spoken:
        A.extend(p)
        bound_at.append(len(A))
        A.append(_BOUNDARY)
    F = _dp(A, B)
    G = _dp(A[::-1], B[::-1])  # backward: G[n-i, m-j] = cost of aligning A[i:] with B[j:]
    n, m = len(A), len(B)
    opt = int(F[n, m])
    breaks = np.array([b == _BREAK for b in B] + [False], dtype=bool)

    # Each boundary's cut: the B token index range (left_end, right_start) its unique optimal
    # edge gives, or None when optimal alignments disagree.
    cuts: list[tuple[int, int] | None] = []
    for i in bound_at:
        Fi = F[i].astype(np.int64)
        back = G[n - i - 1, ::-1].astype(np.int64)  # back[j] = cost of aligning A[i+1:] with B[j:]
        # no break here: the cut falls between B[j-1] and B[j]
        skip = np.flatnonzero(Fi + _INDEL_BREAK + back == opt)
        # the boundary is the pause B[j]
        on_break = np.flatnonzero((Fi[:-1] + back[1:] == opt) & breaks[:-1])
        edges = [(int(j), int(j)) for j in skip] + [(int(j), int(j) + 1) for j in on_break]
        cuts.append(edges[0] if len(edges) == 1 else None)

    # Groups of words between exact cuts; a group with no phone of its own joins the next one.
    marks: list[tuple[int, int, int, int]] = []  # (first word, last word, first B, end B)
    known = [k for k, c in enumerate(cuts) if c is not None]
    for k0, k1 in zip(known, known[1:]):
        lo, hi = cuts[k0][1], cuts[k1][0]
        while lo < hi and B[lo] == _BREAK:
            lo += 1
        while hi > lo and B[hi - 1] == _BREAK:
            hi -= 1
        if marks and marks[-1][3] is None:  # the previous group had no phones: merge into this one
            w0 = marks.pop()[0]
        else:
            w0 = k0
        marks.append((w0, k1 - 1, lo, hi) if hi > lo else (w0, k1 - 1, None, None))
    if marks and marks[-1][3] is None:  # a trailing empty group joins the one before it
        w0, w1, _, _ = marks.pop()
        if marks:
            p0, _, plo, phi = marks.pop()
            marks.append((p0, w1, plo, phi))
    out = []
    for w0, w1, lo, hi in marks:
        s0, a, _, _ = where[lo]
        _, _, s1, b = where[hi - 1]
        if s0 != s1:
            continue  # the words straddle two sentences: no exact mark within one chunk
        first, last = spoken[w0][0], spoken[w1][0]
        text = first.text if w0 == w1 else _join(first, last, words)
        out.append(WordSpan(text, s0, a, b))
    return out


def _join(first: Word, last: Word, words: Sequence[Word]) -> str:
    """The words from ``first`` to ``last`` as the client wrote them, joined by single spaces."""
    i0, i1 = words.index(first), words.index(last)
    return " ".join(w.text for w in words[i0:i1 + 1])


def timed_words(spans: Sequence[WordSpan], sentence: int, counts: Sequence[int]) -> list[TimedWord]:
    """The marks of sentence ``sentence`` in samples, from its per-symbol sample ``counts``
    (``PhonemeAlignment.num_samples``, same symbols as given to :func:`align_words`)."""
    pos = [0]
    for c in counts:
        pos.append(pos[-1] + int(c))
    return [TimedWord(s.text, pos[s.first], pos[s.end]) for s in spans if s.sentence == sentence]


def word_marks(words: Sequence[Word], alignments: Sequence[tuple[Sequence[str], Sequence[int]]],
               phonemize: Callable[[str], list[list[str]]]) -> list[list[TimedWord]]:
    """Per sentence, its exact word marks in samples: :func:`align_words` then :func:`timed_words`.

    ``alignments``: per sentence, (symbols, sample counts) from Piper's phoneme alignments;
    ``phonemize``: the voice's espeak phonemizer (``PiperVoice.phonemize``).
    """
    spans = align_words(words, [word_phonemes(w.spoken, phonemize) for w in words],
                        [syms for syms, _ in alignments])
    return [timed_words(spans, s, counts) for s, (_, counts) in enumerate(alignments)]


def text_after_marks(text: str, spoken: Sequence[str]) -> str:
    """``text`` after the words of the marks ``spoken`` (their texts, in order): the unspoken rest.

    Each mark's words are found in order in ``text``; the rest starts after the last one, with
    leading spaces and soft punctuation removed. ``text`` itself when nothing was spoken.
    """
    pos = 0
    for mark in spoken:
        for token in mark.split():
            at = text.find(token, pos)
            if at < 0:
                return ""
            pos = at + len(token)
    if pos == 0:
        return text
    rest = text[pos:]
    # Punctuation the word's mark left out ("St." -> "St", "end." -> "end") stays with the spoken part.
    return rest.lstrip(_TRAILING).lstrip(" ,;:")
