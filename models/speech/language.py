"""Is this text English? The voices FacePlex ships speak English only; other languages are
spoken anyway (badly) and the client gets a ``warning {code: "language_not_supported"}``.

Detection: py3langid (PyPI; a fork of langid.py, Lui & Baldwin 2012, "langid.py: an
off-the-shelf language identification tool", ACL demo) ships its naive Bayes model in the wheel:
nothing is downloaded at run time. A language identifier alone is unreliable on short lines
and on English full of foreign names (langid.py calls "I met Jean-Pierre Dubois in Paris."
Malagasy), so, before asking it:

- capitalized words that do not start a sentence are dropped (names: "Jean-Pierre", "Reykjavik");
- fewer than :data:`MIN_WORDS` words left: too short to tell, no warning;
- a line in which English function words ("the", "and", "you", ...) make up at least
  :data:`ENGLISH_FUNCTION_SHARE` of the words is English;
- otherwise the identifier must name another language with probability at least
  :data:`MIN_CONFIDENCE` (:data:`MIN_CONFIDENCE_NO_ENGLISH` when no English function word is
  in it at all);
- text mostly in another script than Latin (Cyrillic, CJK, Arabic, ...) always warns, however
  short: the English voice has no sounds for it.

A false warning is worse than a missed one (the text is spoken either way), so the thresholds
lean towards silence.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Optional

#: Fewer words than this (after dropping names) are too few to tell a language by.
MIN_WORDS = 3
#: Share of English function words from which a line is English whatever the identifier says.
ENGLISH_FUNCTION_SHARE = 0.2
#: The identifier's normalized probability needed to call a line another language: with some
#: English function words in it, and with none.
MIN_CONFIDENCE = 0.8
MIN_CONFIDENCE_NO_ENGLISH = 0.5

#: Frequent English function words that are not also common words of French, German, Spanish,
#: Italian, Portuguese or Dutch ("a", "in", "on", "do", "me", "die", German "was", "will", "so",
#: "also", Spanish "he" are left out for that reason).
ENGLISH_FUNCTION_WORDS = frozenset(
    "the and is are were be been being of to for with that this these those you your yours it its "
    "they them their we our us him his she my mine what which who whom how when where why there "
    "here would could should shall can't don't doesn't didn't won't isn't aren't wasn't i'm i've "
    "i'll i'd you're it's that's there's let's have has had not but or if than then just very "
    "from at by about into over after before because while any some every much many more most "
    "only too yes".split()
)

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SENTENCE_BREAK = re.compile(r"[.!?…:;\"“”«»()\[\]]")

#: Only the text's start is looked at (classification time grows with the length).
MAX_CHARS = 400

_identifier = None
_lock = threading.Lock()
_loading: Optional[threading.Thread] = None


def warm_up(wait: bool = True) -> None:
    """Load the identifier's model (~1-3 s on 2 busy cores), once per process. The daemon calls it
    before its ready line; ``wait=False`` loads it on a background thread."""
    global _loading
    if _identifier is not None:
        return
    with _lock:
        if _loading is None:
            _loading = threading.Thread(target=_load, name="faceplex-langid-load", daemon=True)
            _loading.start()
        thread = _loading
    if wait:
        thread.join()


def ready() -> bool:
    """True once the model is loaded (checks before that are skipped, never waited for)."""
    return _identifier is not None


def _load() -> None:
    global _identifier
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _content_words(text: str) -> list[str]:
    """Words of ``text`` without names: capitalized words that do not start a sentence."""
    out = []
    prev_end = 0
    for mt in _WORD.finditer(text):
        w = mt.group()
        starts_sentence = prev_end == 0 or bool(_SENTENCE_BREAK.search(text[prev_end:mt.start()]))
        prev_end = mt.end()
        if w == "I" or not w[:1].isupper() or starts_sentence:
            out.append(w)
    return out


def _non_latin_share(text: str) -> float:
    """Share of the letters that are not Latin script (Cyrillic, CJK, Arabic, ...)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if not unicodedata.name(ch, "LATIN").startswith("LATIN")) / len(letters)


def detect_foreign(text: str) -> Optional[tuple[str, float]]:
    """``(ISO 639-1 code, probability)`` when ``text`` is confidently not English, else None
    (English, or too short or too mixed to tell). Text mostly in another script than Latin is
    never English, however short (the voice has no sounds for it)."""
    if _non_latin_share(text) > 0.5:
        warm_up(wait=True)
        if _identifier is None:
            return None
        lang, prob = _identifier.classify(text)
        return (lang if lang != "en" else "und"), float(prob)
    words = _content_words(text)
    if len(words) < MIN_WORDS:
        return None
    english = sum(1 for w in words if w == "I" or w.lower().replace("’", "'") in ENGLISH_FUNCTION_WORDS)
    if english >= ENGLISH_FUNCTION_SHARE * len(words):
        return None
    warm_up(wait=True)
    if _identifier is None:
        return None  # the model failed to load (logged by the thread)
    lang, prob = _identifier.classify(" ".join(words))
    if lang == "en" or prob < (MIN_CONFIDENCE if english else MIN_CONFIDENCE_NO_ENGLISH):
        return None
    return lang, float(prob)


def language_warning(text: str, voice: str) -> Optional[str]:
    """The ``warning.message`` for text the English voice ``voice`` should not be given, or None.

    Cheap enough for the event loop (~0.1 ms for a line, at most :data:`MAX_CHARS` looked at)
    once the model is loaded; before that it starts loading it in the background and returns
    None, so it never blocks on the load."""
    if not ready():
        warm_up(wait=False)
        return None
    found = detect_foreign(text[:MAX_CHARS])
    if found is None:
        return None
    lang, prob = found
    return (f"the text looks like {lang!r} (ISO 639-1, p={prob:.2f}), not English: voice {voice!r} speaks "
            "English only and reads it anyway, with English sounds")


#: Scripts a voice's language is written in (Unicode character-name prefixes), for the voices
#: whose language is not written in Latin letters.
_SCRIPTS = {"ja": ("HIRAGANA", "KATAKANA", "CJK"), "zh": ("CJK",), "hi": ("DEVANAGARI",)}
#: The identifier's probability needed to call a Latin-script line another language than the
#: voice's (Spanish, French, Italian and Portuguese are close kin: short lines are often confused).
MIN_CONFIDENCE_OTHER = 0.9


def _script_share(text: str, prefixes: tuple[str, ...]) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 1.0
    return sum(1 for ch in letters if unicodedata.name(ch, "").startswith(prefixes)) / len(letters)


def language_mismatch(text: str, voice: str, language: str) -> Optional[str]:
    """The ``warning.message`` (code ``text_language_mismatch``) when ``text`` does not look like
    ``language`` (BCP-47) that voice ``voice`` speaks, or None. English voices: as
    :func:`language_warning`. Japanese, Mandarin, Hindi voices: text mostly outside their script.
    Spanish, French, Italian, Portuguese voices: text mostly in another script, or (at least
    :data:`MIN_WORDS` words, names dropped) the identifier names another language with
    probability >= :data:`MIN_CONFIDENCE_OTHER`. Never blocks on the model's load (None meanwhile)."""
    primary = language.split("-")[0].lower()
    if primary == "en":
        return language_warning(text, voice)
    text = text[:MAX_CHARS]
    scripts = _SCRIPTS.get(primary)
    if scripts is not None:
        if _script_share(text, scripts) >= 0.5:
            return None
        return (f"the text is mostly not in the script of {language!r}: voice {voice!r} speaks {language} "
                "and reads it anyway, with its own sounds")
    if _non_latin_share(text) > 0.5:
        return f"the text is mostly not in Latin letters: voice {voice!r} speaks {language} and reads it anyway"
    if not ready():
        warm_up(wait=False)
        return None
    words = _content_words(text)
    if len(words) < MIN_WORDS:
        return None
    lang, prob = _identifier.classify(" ".join(words))
    if lang == primary or prob < MIN_CONFIDENCE_OTHER:
        return None
    return (f"the text looks like {lang!r} (ISO 639-1, p={prob:.2f}), not {language}: voice {voice!r} "
            "reads it anyway, with its own sounds")
