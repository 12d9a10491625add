"""Text normalisation per language for the voices that are not English-only.

English (``en-US``, ``en-GB``) goes through ``normalize.normalize`` (numbers, dates, money,
abbreviations). Spanish, French, Italian and Brazilian Portuguese read numbers through
``num2words`` with its ``lang=`` (cardinals; decimals with the language's comma, e.g. ``3,5``;
ordinals such as ``2º``/``2e`` are left to espeak-ng). Hindi: num2words has no Hindi, so digits
are left to espeak-ng, which reads them in Hindi itself (a documented limit). Japanese and
Mandarin are not offered (Kokoro was trained on misaki's G2P for them, see ``catalog``).

The result is the same ``(spoken_text, words)`` pair as ``normalize.normalize``: ``words`` keep
the client's text (for word marks) and say what is spoken for each.
"""

from __future__ import annotations

import re

from .words import Word, split_words

#: BCP-47 language -> num2words language code (None: no num2words support).
NUM2WORDS_LANG = {"es": "es", "fr": "fr", "it": "it", "pt-BR": "pt_BR", "hi": None}

_NUMBER = re.compile(r"^[+-]?\d{1,3}(?:[.\u00a0 ]\d{3})*(?:,\d+)?$|^[+-]?\d+(?:[.,]\d+)?$")


def number_words(token: str, lang: str) -> str | None:
    """``token`` read as a number in ``lang`` (num2words code), or None when it is not a number.

    Romance-language convention: ``.`` groups thousands (``1.000``) and ``,`` is the decimal
    mark (``3,5``); a lone ``.`` followed by other than three digits is a decimal point.
    """
    if not _NUMBER.match(token):
        return None
    from num2words import num2words

    t = token.replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+", t):
        t = t.replace(".", "")
    t = t.replace(",", ".") if t.count(",") == 1 and "." not in t else t.replace(",", "")
    try:
        value = float(t) if "." in t else int(t)
        return num2words(value, lang=lang)
    except (NotImplementedError, OverflowError, ValueError):
        return None


def normalize_for(language: str, clause: str) -> tuple[str, list[Word]]:
    """``(spoken_text, words)`` of ``clause`` for a voice of ``language`` (BCP-47)."""
    if language.startswith("en"):
        from .normalize import normalize

        return normalize(clause)
    code = NUM2WORDS_LANG.get(language)
    words = split_words(clause)
    out: list[Word] = []
    for w in words:
        spoken = number_words(w.text, code) if code else None
        out.append(Word(w.text, w.start, w.end, spoken) if spoken else w)
    # The spoken text: the clause with each number replaced by its words (punctuation kept).
    parts, pos = [], 0
    for w in out:
        parts.append(clause[pos:w.start])
        parts.append(w.spoken)
        pos = w.end
    parts.append(clause[pos:])
    return "".join(parts), out
