"""Text normalization before phonemization: what a reader says for numbers, dates, times,
currencies, abbreviations, ordinals and symbols.

espeak-ng reads "3/4/2025" as "three slash four slash two thousand twenty-five", "St. James St."
as "saint James saint", "$3.50" as "dollar three point five zero" and emoji by their Unicode
names ("grinning face"). :func:`normalize_words` gives every word of a clause, as the client
wrote it, the words to be spoken for it; :func:`spoken_text` is the clause Piper synthesizes.
Word marks keep the client's words (``models/speech/words.py``): the mark of "3/4/2025" covers
all of "March fourth twenty twenty-five".

Conventions (the default voice is American English, en_US-joe-medium):

- ``a/b/yyyy`` and ``a/b/yy`` dates are month/day/year, the US order the voice speaks for;
  when the first number cannot be a month (13-31) the date is read day/month/year. ``yyyy-mm-dd``
  (ISO 8601) and ``d.m.yyyy`` (the European dotted form) are unambiguous.
- Cardinals follow American usage: no "and" inside numbers ("one hundred five"); 4-digit
  numbers are read as years ("nineteen ninety-nine") after a month or a preposition of time
  ("in", "since", "by", ...) or before AD/BC, otherwise as cardinals.
- Number words come from num2words (PyPI); the rest is this module's table (units such as
  "km", "mph", "GB", "°C" only right after a number).
- Emoji and other symbols (Unicode categories So, Sk, Sm, Co, Cn; variation selectors, joiners,
  enclosing keycaps) are dropped, never read.
"""

from __future__ import annotations

import re
import unicodedata

from num2words import num2words

from faceplex.models.speech.words import Word

# ------------------------------------------------------------------ tokenization

_LEADING = "\"'“‘«([{¿¡*_"
_TRAILING = "\"'”’»)]},;:!?…*_."
_DROPPED_CATEGORIES = {"So", "Sk", "Sm", "Co", "Cn", "Cs", "Me"}
_DROPPED_CHARS = {"\u200d", "\u200c", "\ufe0e", "\ufe0f", "\u2060"}


def is_symbol(ch: str) -> bool:
    """True for a character that is dropped, not read: emoji, pictographs, arrows, other symbols
    (the few with a common spoken word, ``_SYMBOL_WORDS``, are read instead)."""
    return ch not in _SYMBOL_WORDS and (ch in _DROPPED_CHARS or unicodedata.category(ch) in _DROPPED_CATEGORIES)


#: Abbreviations whose period belongs to the word (so it neither ends a sentence nor is read).
#: Keys: lowercase without the final period. ``None``: resolved by context (:func:`_abbreviation`).
ABBREVIATIONS: dict[str, str | None] = {
    "mr": "Mister", "mrs": "Missus", "ms": "Miz", "dr": None, "st": None, "prof": "Professor",
    "jr": "Junior", "sr": "Senior", "mt": "Mount", "ave": "Avenue", "rd": "Road", "blvd": "Boulevard",
    "etc": "et cetera", "e.g": "for example", "i.e": "that is", "vs": "versus", "approx": "approximately",
    "no": None, "dept": "department", "gov": "governor", "gen": "general", "capt": "captain", "lt": "lieutenant",
    "col": "colonel", "sgt": "sergeant", "fig": "figure", "inc": "incorporated", "ltd": "limited",
    "co": "company", "corp": "corporation", "jan": "January", "feb": "February", "mar": "March",
    "apr": "April", "jun": "June", "jul": "July", "aug": "August", "sep": "September", "sept": "September",
    "oct": "October", "nov": "November", "dec": "December", "a.m": "a.m.", "p.m": "p.m.",
}
#: Abbreviations that (almost) never end a sentence: the clause splitter does not cut after them.
NON_FINAL_ABBREVIATIONS = frozenset("mr mrs ms dr st prof mt gen capt lt col sgt gov e.g i.e vs no fig approx "
                                    "jan feb mar apr jun jul aug sep sept oct nov dec".split())

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_MONTH_NAMES = {m.lower() for m in _MONTHS} | {"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
                                               "oct", "nov", "dec"}
_YEAR_BEFORE = {"in", "since", "by", "from", "until", "till", "of", "year", "circa", "around", "before", "after",
                "during", "early", "late", "mid", "summer", "winter", "spring", "autumn", "fall", "to", "and"}
_YEAR_AFTER = {"ad", "bc", "bce", "ce"}
_SCALES = {"thousand", "million", "billion", "trillion"}
_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
             "£": ("pound", "pounds", "penny", "pence"), "¥": ("yen", "yen", None, None),
             "₹": ("rupee", "rupees", "paisa", "paise")}
_SYMBOL_WORDS = {"&": "and", "+": "plus", "=": "equals", "@": "at", "%": "percent", "#": "number",
                 "°": "degrees", "×": "times", "÷": "divided by"}

#: Units read after a number ("5 km", "5km", "2.5GB", "30°C"); (singular, plural). Ambiguous
#: abbreviations ("m", "in", "s", "l") are left out.
UNITS: dict[str, tuple[str, str]] = {
    "km": ("kilometer", "kilometers"), "cm": ("centimeter", "centimeters"), "mm": ("millimeter", "millimeters"),
    "kg": ("kilogram", "kilograms"), "mg": ("milligram", "milligrams"), "g": ("gram", "grams"),
    "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"), "oz": ("ounce", "ounces"), "ft": ("foot", "feet"),
    "mi": ("mile", "miles"), "mph": ("mile per hour", "miles per hour"), "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"), "ml": ("milliliter", "milliliters"),
    "kb": ("kilobyte", "kilobytes"), "mb": ("megabyte", "megabytes"), "gb": ("gigabyte", "gigabytes"),
    "tb": ("terabyte", "terabytes"), "hz": ("hertz", "hertz"), "khz": ("kilohertz", "kilohertz"),
    "mhz": ("megahertz", "megahertz"), "ghz": ("gigahertz", "gigahertz"), "ms": ("millisecond", "milliseconds"),
    "sec": ("second", "seconds"), "min": ("minute", "minutes"), "hr": ("hour", "hours"), "hrs": ("hour", "hours"),
    "°c": ("degree Celsius", "degrees Celsius"), "°f": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
}
_RE_NUMBER_UNIT = re.compile(r"([+-]?\d[\d,]*(?:\.\d+)?)(km/h|°[CcFf]|°|[A-Za-z]{1,3})")

_VULGAR = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅛": (1, 8)}
_RE_VULGAR = re.compile(r"(\d*)([½⅓⅔¼¾⅕⅛])")
_RE_SHARP = re.compile(r"([A-G])#")  # musical keys and languages: "C#" is "C sharp"

_TOKEN = re.compile(r"[^\s—–]+")
_INITIALISM = re.compile(r"(?:[A-Za-z]\.){2,}")


def _tokens(clause: str) -> list[tuple[int, int]]:
    """Character spans of the clause's words (symbols are separators; punctuation stripped)."""
    masked = "".join(" " if is_symbol(ch) else ch for ch in clause)
    out = []
    for mt in _TOKEN.finditer(masked):
        a, b = mt.start(), mt.end()
        while a < b and masked[a] in _LEADING:
            a += 1
        while b > a and masked[b - 1] in _TRAILING:
            b -= 1
        if a >= b:
            continue
        word = masked[a:b]
        # Keep the final period of an abbreviation or an initialism ("Dr.", "a.m.", "U.S.").
        if b < mt.end() and masked[b] == "." and (word.lower() in ABBREVIATIONS or _INITIALISM.fullmatch(word + ".")):
            b += 1
        if a < b and (any(ch.isalnum() for ch in masked[a:b]) or masked[a:b] in _SYMBOL_WORDS):
            out.append((a, b))
    return out


# ------------------------------------------------------------------ numbers


def cardinal(n: int | float | str) -> str:
    """Number words, American style (no "and", no commas): 105 -> "one hundred five"."""
    if isinstance(n, str):
        n = float(n) if "." in n else int(n)
    words = num2words(n)
    return re.sub(r"\band\b ?", "", words.replace(",", "")).replace("  ", " ").strip()


def ordinal(n: int) -> str:
    return re.sub(r"\band\b ?", "", num2words(n, to="ordinal").replace(",", "")).strip()


def year(n: int) -> str:
    """1999 -> "nineteen ninety-nine", 2005 -> "two thousand five", 2025 -> "twenty twenty-five"."""
    return re.sub(r"\band\b ?", "", num2words(n, to="year").replace(",", "")).strip()


def _digits(s: str) -> str:
    return " ".join(cardinal(int(d)) for d in s)


def decimal(s: str) -> str:
    """ "3.5" -> "three point five", "1,000" -> "one thousand", "-4" -> "minus four"."""
    s = s.replace(",", "")
    sign = ""
    if s[:1] in "+-−":
        sign, s = ("minus " if s[0] != "+" else "plus "), s[1:]
    whole, _, frac = s.partition(".")
    if len(whole) > 1 and whole.startswith("0"):
        out = _digits(whole)  # "007": digit by digit
    else:
        out = cardinal(int(whole or "0"))
    if frac:
        out += " point " + _digits(frac)
    return sign + out


def _plural_number(words: str) -> str:
    """ "nineteen ninety" -> "nineteen nineties", "eighty" -> "eighties"."""
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def _fraction(a: int, b: int) -> str:
    if b == 2:
        den = "half" if a == 1 else "halves"
    elif b == 4:
        den = "quarter" if a == 1 else "quarters"
    else:
        den = ordinal(b) + ("" if a == 1 else "s")
    return f"{cardinal(a)} {den}"


def _date(month: int, day: int, yr: int | None) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    out = f"{_MONTHS[month - 1]} {ordinal(day)}"
    return out if yr is None else f"{out} {year(yr)}"


def _year_value(s: str) -> int:
    y = int(s)
    return y + (2000 if y < 50 else 1900) if len(s) == 2 else y


def _time(h: int, mnt: int, suffix: str = "", oclock: bool = True) -> str | None:
    if not (0 <= h <= 24 and 0 <= mnt <= 59):
        return None
    if mnt == 0:
        out = cardinal(h) + (" o'clock" if oclock else "")
    elif mnt < 10:
        out = f"{cardinal(h)} oh {cardinal(mnt)}"
    else:
        out = f"{cardinal(h)} {cardinal(mnt)}"
    return f"{out} {suffix}".strip()


# espeak-ng reads "a.m." as the two letters (ˌeɪˈɛm); "A M" would be the article "a" (ɐ) and "M".
_AMPM = {"am": "a.m.", "a.m.": "a.m.", "pm": "p.m.", "p.m.": "p.m."}
_NUM = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+-]?\d+(?:\.\d+)?|[+-]?\.\d+"
_RE_NUMBER = re.compile(_NUM)
_RE_CURRENCY = re.compile(rf"([$€£¥₹])({_NUM})([kKmMbB]|bn)?")
_RE_PERCENT = re.compile(rf"({_NUM})%")
_RE_ORDINAL = re.compile(r"(\d+)(st|nd|rd|th)", re.IGNORECASE)
_RE_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(am|pm|a\.m\.|p\.m\.)?", re.IGNORECASE)
_RE_HOUR = re.compile(r"(\d{1,2})(am|pm|a\.m\.|p\.m\.)", re.IGNORECASE)
_RE_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})")
_RE_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_RE_DOT_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_RE_FRACTION = re.compile(r"(\d{1,3})/(\d{1,3})")
_RE_RANGE = re.compile(r"(\d+)[-–](\d+)")
_RE_DECADE = re.compile(r"(\d{4}|'?\d{2})s")
_RE_HASH = re.compile(r"#(\d+)")
_SCALE_SUFFIX = {"k": "thousand", "m": "million", "b": "billion", "bn": "billion"}


def _is_year(n: str, prev: str, nxt: str, prev2: str = "") -> bool:
    """A 4-digit number read as a year: after a month ("March 2025", "March 4, 2025") or a
    preposition of time ("in 1999"), or before AD/BC."""
    after_day = prev.isdigit() and int(prev) <= 31 and prev2.lower().rstrip(".") in _MONTH_NAMES
    return (len(n) == 4 and n.isdigit() and 1000 <= int(n) <= 2099
            and (after_day or prev.lower().rstrip(".,") in _YEAR_BEFORE | _MONTH_NAMES
                 or nxt.lower().strip(".") in _YEAR_AFTER))


def _money(symbol: str, amount: str, scale: str | None) -> str:
    one, many, sub_one, sub_many = _CURRENCY[symbol]
    amount = amount.replace(",", "")
    if scale:  # "$2.5 million" -> "two point five million dollars"
        return f"{decimal(amount)} {scale} {many}"
    whole, _, frac = amount.partition(".")
    w = int(whole or "0")
    cents = int((frac + "00")[:2]) if frac and sub_one else 0
    if frac and (len(frac) > 2 or not sub_one):
        return f"{decimal(amount)} {many}"
    parts = []
    if w or not cents:
        parts.append(f"{cardinal(w)} {one if w == 1 else many}")
    if cents:
        parts.append(f"{cardinal(cents)} {sub_one if cents == 1 else sub_many}")
    return " and ".join(parts)


def _number_token(tok: str, prev: str, nxt: str, prev2: str = "") -> str | None:
    """Spoken words for a token with digits, or None when no rule applies."""
    if m := _RE_CURRENCY.fullmatch(tok):
        scale = _SCALE_SUFFIX.get((m.group(3) or "").lower())
        return _money(m.group(1), m.group(2), scale)
    if m := _RE_PERCENT.fullmatch(tok):
        return decimal(m.group(1)) + " percent"
    if m := _RE_ORDINAL.fullmatch(tok):
        return ordinal(int(m.group(1)))
    if m := _RE_SLASH_DATE.fullmatch(tok):
        a, b, y = int(m.group(1)), int(m.group(2)), _year_value(m.group(3))
        return _date(a, b, y) or _date(b, a, y)  # month/day/year, else day/month/year
    if m := _RE_ISO_DATE.fullmatch(tok):
        return _date(int(m.group(2)), int(m.group(3)), int(m.group(1)))
    if m := _RE_DOT_DATE.fullmatch(tok):
        return _date(int(m.group(2)), int(m.group(1)), int(m.group(3)))
    if m := _RE_TIME.fullmatch(tok):
        own = _AMPM.get((m.group(4) or "").lower(), "")
        # "10:00 am": the next word says "A M", so no "o'clock" here either.
        return _time(int(m.group(1)), int(m.group(2)), own, oclock=not own and nxt.lower() not in _AMPM)
    if m := _RE_HOUR.fullmatch(tok):
        return f"{cardinal(int(m.group(1)))} {_AMPM[m.group(2).lower()]}"
    if tok == "24/7":
        return "twenty-four seven"
    if m := _RE_FRACTION.fullmatch(tok):
        a, b = int(m.group(1)), int(m.group(2))
        return _fraction(a, b) if b > 1 else f"{cardinal(a)} over {cardinal(b)}"
    if m := _RE_DECADE.fullmatch(tok):
        d = m.group(1).lstrip("'")
        return _plural_number(year(int(d)) if len(d) == 4 else cardinal(int(d)))
    if m := _RE_HASH.fullmatch(tok):
        return "number " + cardinal(int(m.group(1)))
    if m := _RE_RANGE.fullmatch(tok):
        a, b = m.group(1), m.group(2)
        if len(a) == 4 and len(b) == 4:
            return f"{year(int(a))} to {year(int(b))}"
        return f"{decimal(a)} to {decimal(b)}"
    if _RE_NUMBER.fullmatch(tok):
        if _is_year(tok, prev, nxt, prev2):
            return year(int(tok))
        if prev.lower().rstrip(".") in _MONTH_NAMES and tok.isdigit() and 1 <= int(tok) <= 31:
            return ordinal(int(tok))  # "March 4" -> "March fourth"
        return decimal(tok)
    return None


# ------------------------------------------------------------------ abbreviations


def _capitalized(w: str) -> bool:
    return bool(w) and w[0].isupper()


def _abbreviation(key: str, prev: str, nxt: str, sentence_start: bool) -> str:
    """Context-dependent abbreviations: St. (Saint/Street), Dr. (Doctor/Drive), No. (number/no)."""
    if key == "st":
        # "St. James" (before a name, not after one) is Saint; "James St.", "42nd St." is Street.
        after_name = not sentence_start and (_capitalized(prev) or prev[:1].isdigit())
        return "Street" if after_name or not _capitalized(nxt) else "Saint"
    if key == "dr":
        after_name = not sentence_start and _capitalized(prev)
        return "Drive" if after_name and not _capitalized(nxt) else "Doctor"
    if key == "no":
        return "number" if nxt[:1].isdigit() else "no"
    return ABBREVIATIONS[key] or key


def _plain(tok: str) -> str:
    """A word without a rule: symbols in it are read as words ("R&D", "and/or") or dropped."""
    out = []
    for ch in tok:
        if ch.isalnum() or ch in "'’-‑.":
            out.append(ch)
        elif ch in _SYMBOL_WORDS:
            out.append(f" {_SYMBOL_WORDS[ch]} ")
        else:
            out.append(" ")
    # Digits left inside a word ("30°" -> "thirty degrees"); letters+digits ("MP3") stay for espeak.
    return " ".join(decimal(t) if _RE_NUMBER.fullmatch(t) else t for t in "".join(out).split())


def _is_unit(tok: str) -> bool:
    return tok.lower() in UNITS and tok != "G"  # "5G" is a network, "5g" five grams


def _unit(unit: str, number: str) -> str:
    one, many = UNITS[unit.lower()]
    return one if number.replace(",", "") in ("1", "1.0", "+1", "-1") else many


# ------------------------------------------------------------------ the clause


def normalize_words(clause: str) -> list[Word]:
    """The clause's words as written, each with what is spoken for it (:class:`words.Word`).

    ``Word.text`` is the client's word (surrounding punctuation stripped, an abbreviation's
    period kept); ``Word.spoken`` the expansion ("3/4/2025" -> "March fourth twenty
    twenty-five", "St." -> "Saint"/"Street", "😀" -> no word at all).
    """
    spans = _tokens(clause)
    texts = [clause[a:b] for a, b in spans]
    out: list[Word] = []
    i = 0
    while i < len(spans):
        a, b = spans[i]
        tok = texts[i]
        prev = texts[i - 1] if i else ""
        nxt = texts[i + 1] if i + 1 < len(texts) else ""
        between = clause[spans[i - 1][1]:a] if i else ""
        sentence_start = i == 0 or any(ch in ".!?" for ch in between)
        spoken = None
        key = tok.lower()[:-1] if tok.endswith(".") else None
        if key is not None and key in ABBREVIATIONS:
            spoken = _abbreviation(key, prev, nxt, sentence_start)
        elif tok.lower() in ("am", "pm") and _RE_TIME.fullmatch(prev) or tok.lower() in ("a.m.", "p.m."):
            spoken = _AMPM[tok.lower()]
        elif tok.lower() in ("am", "pm") and prev.isdigit() and int(prev) <= 24:
            spoken = _AMPM[tok.lower()]
        elif m := _RE_VULGAR.fullmatch(tok):
            frac = _fraction(*_VULGAR[m.group(2)])
            spoken = f"{cardinal(int(m.group(1)))} and {frac.replace('one ', 'a ', 1)}" if m.group(1) else frac
        elif m := _RE_SHARP.fullmatch(tok):
            spoken = f"{m.group(1)} sharp"
        elif _is_unit(tok) and _RE_NUMBER.fullmatch(prev):
            spoken = _unit(tok, prev)  # "5 km"
        elif (m := _RE_NUMBER_UNIT.fullmatch(tok)) and _is_unit(m.group(2)):
            spoken = f"{decimal(m.group(1))} {_unit(m.group(2), m.group(1))}"  # "5km", "30°C"
        elif any(ch.isdigit() for ch in tok):
            spoken = _number_token(tok, prev, nxt, texts[i - 2] if i > 1 else "")
            m = _RE_CURRENCY.fullmatch(tok)
            if m and not m.group(3) and nxt.lower() in _SCALES:
                # "$2.5 million": the currency is read after the scale word.
                spoken = decimal(m.group(2))
                out.append(Word(tok, a, b, spoken))
                out.append(Word(nxt, *spans[i + 1], f"{nxt.lower()} {_CURRENCY[m.group(1)][1]}"))
                i += 2
                continue
        elif _INITIALISM.fullmatch(tok):
            spoken = " ".join(ch.upper() for ch in tok if ch.isalpha())
        elif tok in _SYMBOL_WORDS:
            spoken = _SYMBOL_WORDS[tok]
        if spoken is None:
            spoken = _plain(tok)
        out.append(Word(tok, a, b, spoken))
        i += 1
    return out


def spoken_text(clause: str, words: list[Word]) -> str:
    """The clause as Piper should read it: each word replaced by its spoken form, symbols
    dropped, the punctuation between words kept for prosody. An abbreviation's period that
    ended the clause (or a sentence: the next word is capitalized) is kept as a full stop."""
    out, pos = [], 0
    for k, w in enumerate(words):
        out.append(_gap(clause[pos:w.start], first=k == 0))
        out.append(w.spoken)
        pos = w.end
        if w.text.endswith(".") and w.text.lower()[:-1] in ABBREVIATIONS and not w.spoken.endswith("."):
            rest = clause[w.end:]
            nxt = words[k + 1].text if k + 1 < len(words) else ""
            can_end = w.text.lower()[:-1] not in NON_FINAL_ABBREVIATIONS or w.spoken in ("Street", "Drive")
            if not rest.strip(" \"'”’)") or (can_end and _capitalized(nxt)):
                out.append(".")
    out.append(_gap(clause[pos:], first=not words))
    # "10 pm." -> "ten p.m.", not "p.m.." (a spoken form that ends with its own period).
    text = re.sub(r"(?<=[a-z]\.[a-z]\.)\.(?!\.)", "", "".join(out))
    return re.sub(r"[ \t]+", " ", text).strip()


def _gap(s: str, first: bool = False) -> str:
    """Text between words: keep whitespace and punctuation, drop symbols. Punctuation standing
    alone is attached to the word before it (espeak-ng reads a lone "." as "dot" and a ":" that
    starts the text as "colon")."""
    s = "".join(" " if (is_symbol(ch) or ch in _SYMBOL_WORDS or ch in "/\\|<>~^*_") else ch for ch in s)
    s = _LONE_PUNCT.sub(r"\1", s)
    return s.lstrip(" .,;:!?…") if first else s


_LONE_PUNCT = re.compile(r"\s+([.,;:!?…]+)(?=\s|$)")


def normalize(clause: str) -> tuple[str, list[Word]]:
    """``(spoken_text, words)`` for one clause (see :func:`normalize_words`, :func:`spoken_text`)."""
    words = normalize_words(clause)
    return spoken_text(clause, words), words
