"""The voice catalogue and registry: which voices are installed, what each is, and a voice by id.

Installed voices: the embedded Piper ``en_US-joe-medium`` always; the Kokoro cast when
``faceplex install-cast`` has put it in one of ``cast_install.search_dirs()``. Kokoro voice
names say language and gender (kokoro-js / Kokoro-82M naming): first letter a = American
English, b = British English, e = Spanish, f = French, h = Hindi, i = Italian, p = Brazilian
Portuguese, j = Japanese, z = Mandarin (these two only where misaki's G2P is installed:
``languages.misaki_available``), second letter f/m = female/male.

Blends: an id ``af_bella*0.6+am_adam*0.4`` is the weighted mix of the parts' style tables
(weights > 0, normalised to sum 1; the syntax is the protocol's, ``protocol/voices.py``). All parts must be Kokoro
voices of one language (:class:`InvalidVoice` otherwise); an unknown part is
:class:`UnknownVoice`. The mix is computed in float32 in the order written, so the same id
gives bit-identical audio.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from .kokoro_voice import LANGUAGES, MAX_TOKENS, SAMPLE_RATE as KOKORO_RATE

PIPER_DEFAULT = "en_US-joe-medium"


class UnknownVoice(KeyError):
    """No installed voice has this id (error code ``unknown_voice``); ``str()`` names the installed ones."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidVoice(ValueError):
    """A malformed blend, or one mixing languages or engines (error code ``invalid_voice``)."""


@dataclass(frozen=True)
class VoiceInfo:
    """One catalogue entry, as ``welcome.voice_catalog`` carries it (PROTOCOL.md).

    ``language``: BCP-47 (``"en-US"``, ``"es"``); ``gender``: ``"female"|"male"|None``;
    ``accent``: e.g. ``"American"|"British"|None``; ``sample_rate``: Hz; ``engine``:
    ``"piper"|"kokoro"``.
    """

    id: str
    language: str
    gender: Optional[str]
    accent: Optional[str]
    sample_rate: int
    engine: str

    def to_dict(self) -> dict:
        return asdict(self)


PIPER_INFO = VoiceInfo(PIPER_DEFAULT, "en-US", "male", "American", 22050, "piper")


def kokoro_info(name: str) -> Optional[VoiceInfo]:
    """The entry for a Kokoro voice file name (``af_bella``), or None for a language not offered."""
    if len(name) < 3 or name[2] != "_" or name[0] not in LANGUAGES or name[1] not in "fm":
        return None
    from .languages import MISAKI_LANGUAGES, misaki_available

    if LANGUAGES[name[0]][0] in MISAKI_LANGUAGES and not misaki_available(LANGUAGES[name[0]][0]):
        return None
    language, _, accent = LANGUAGES[name[0]]
    return VoiceInfo(name, language, "female" if name[1] == "f" else "male", accent, KOKORO_RATE, "kokoro")


def kokoro_voice_files(cast_dir: Optional[Path]) -> dict[str, Path]:
    """Offered Kokoro voices in a cast folder: name -> its ``voices/NAME.bin``."""
    if cast_dir is None:
        return {}
    return {p.stem: p for p in sorted((Path(cast_dir) / "voices").glob("*.bin")) if kokoro_info(p.stem)}


def installed_catalog(cast_dir: Optional[Path] = None, find: bool = True) -> list[VoiceInfo]:
    """Every installed voice (no model is loaded): joe first, then the Kokoro voices by name.
    ``cast_dir`` None with ``find``: the first complete cast of ``cast_install.search_dirs()``."""
    if cast_dir is None and find:
        from .cast_install import find_cast

        cast_dir = find_cast()
    return [PIPER_INFO] + [kokoro_info(n) for n in kokoro_voice_files(cast_dir)]


def parse_blend(spec: str) -> list[tuple[str, float]]:
    """``"af_bella*0.6+am_adam*0.4"`` -> ``[("af_bella", 0.6), ("am_adam", 0.4)]`` (weights
    normalised to sum 1), by the protocol's own grammar (``faceplex.protocol.voices
    .parse_voice_id``, PROTOCOL.md §5 "Voices and blends"). Raises InvalidVoice."""
    from faceplex.protocol.errors import ProtocolError
    from faceplex.protocol.voices import parse_voice_id

    try:
        return parse_voice_id(spec)
    except ProtocolError as exc:
        raise InvalidVoice(exc.message) from None


class VoiceRegistry:
    """Voices by id for the daemon: the installed ones and any blend of them (thread-safe).

    Behaves as a read-only mapping of the *installed* ids (``in``, iteration, ``sorted()``,
    ``len``); ``registry[id]`` and :meth:`resolve` also accept blend ids. The Kokoro model is
    loaded once (at construction when ``preload``) and shared by every Kokoro voice and blend.

    Args:
        piper: Piper voices by name (the embedded joe at least).
        cast_dir: a complete cast folder, or None (only the Piper voices).
    """

    #: Most blends kept resolved (each holds a 510 x 256 float32 table, 0.5 MB).
    MAX_BLENDS = 64

    def __init__(self, piper: dict, cast_dir: Optional[Path] = None, preload: bool = True,
                 threads: int = 1, wide_threads: int = 2):
        self._piper = dict(piper)
        self._files = kokoro_voice_files(cast_dir)
        self.cast_dir = Path(cast_dir) if cast_dir else None
        self._threads, self._wide = threads, wide_threads
        self._model = None
        self._voices: dict = {}
        self._blends: OrderedDict = OrderedDict()
        self._lock = threading.RLock()
        infos = [PIPER_INFO if n == PIPER_DEFAULT else VoiceInfo(n, "en-US", None, None, int(v.sample_rate), "piper")
                 for n, v in self._piper.items()]
        self._info = {i.id: i for i in infos}
        self._info.update({n: kokoro_info(n) for n in self._files})
        if preload and self._files:
            self.kokoro_model()

    # ---------------------------------------------------------------- mapping of installed ids
    def __contains__(self, vid: object) -> bool:
        return vid in self._info

    def __iter__(self) -> Iterator[str]:
        return iter(self._info)

    def __len__(self) -> int:
        return len(self._info)

    def __getitem__(self, vid: str):
        return self.resolve(vid)

    def values(self) -> Iterator:
        """The installed voices, resolved one by one as the iteration reaches them (a lazy
        iterator: ``next(iter(registry.values()))`` loads only the first, not 54 style tables)."""
        return (self.resolve(v) for v in self._info)

    def warm_voices(self) -> list:
        """One voice per loaded model: the Piper voices and one Kokoro voice (they share a model)."""
        out = [self.resolve(n) for n in self._piper]
        if self._files:
            out.append(self.resolve(next(iter(self._files))))
        return out

    def ids(self) -> list[str]:
        return list(self._info)

    def catalog(self) -> list[dict]:
        """``welcome.voice_catalog``: one dict per installed voice (:class:`VoiceInfo` fields)."""
        return [i.to_dict() for i in self._info.values()]

    def info(self, vid: str) -> VoiceInfo:
        """The entry of an installed id, or of a blend (its first part's language; gender and
        accent only when all parts agree). Raises UnknownVoice, InvalidVoice."""
        if vid in self._info:
            return self._info[vid]
        voice = self.resolve(vid)
        parts = [self._info[n] for n, _ in parse_blend(vid)]
        same = lambda f: getattr(parts[0], f) if all(getattr(p, f) == getattr(parts[0], f) for p in parts) else None
        return VoiceInfo(vid, voice.language, same("gender"), same("accent"), voice.sample_rate, "kokoro")

    # ---------------------------------------------------------------- resolution
    def kokoro_model(self):
        with self._lock:
            if self._model is None:
                from .cast_install import MODEL_FILE
                from .kokoro_voice import KokoroModel

                self._model = KokoroModel.load(self.cast_dir / MODEL_FILE, self._threads, self._wide)
            return self._model

    def unknown(self, vid: str) -> UnknownVoice:
        hint = "" if self._files else f"; more voices: {_how_to_install()}"
        return UnknownVoice(f"voice {vid!r} is not installed; installed: {', '.join(self._info)}{hint}")

    def _kokoro(self, name: str):
        from .kokoro_voice import KokoroVoice

        v = self._voices.get(name)
        if v is None:
            style = np.fromfile(self._files[name], dtype=np.float32).reshape(MAX_TOKENS, 256)
            language, espeak, _ = LANGUAGES[name[0]]
            v = self._voices[name] = KokoroVoice(self.kokoro_model(), name, style, language, espeak)
        return v

    def resolve(self, vid: str):
        """The voice object for an installed id or a blend id. Raises UnknownVoice, InvalidVoice."""
        if not isinstance(vid, str) or not vid.strip():  # as protocol.voices.parse_voice_id
            raise InvalidVoice(f"empty voice id {vid!r}: name a voice of welcome.voices")
        with self._lock:
            if vid in self._piper:
                if self._piper[vid] is None:  # the embedded voice, loaded on first use (open_registry)
                    from .piper_voice import Voice

                    self._piper[vid] = Voice.default()
                return self._piper[vid]
            if vid in self._files:
                return self._kokoro(vid)
            if "+" not in vid and "*" not in vid:
                raise self.unknown(vid)
            cached = self._blends.get(vid)
            if cached is not None:
                self._blends.move_to_end(vid)
                return cached
            parts = parse_blend(vid)
            for n, _ in parts:
                if n in self._piper:
                    raise InvalidVoice(f"voice {vid!r}: {n!r} is a Piper voice; only Kokoro voices blend")
                if n not in self._files:
                    raise self.unknown(n)
            voices = [self._kokoro(n) for n, _ in parts]
            langs = {v.language for v in voices}
            if len(langs) > 1:
                raise InvalidVoice(f"voice {vid!r} mixes languages {sorted(langs)}; a blend speaks one language")
            from .kokoro_voice import KokoroVoice

            style = np.zeros((MAX_TOKENS, 256), dtype=np.float32)
            for v, (_, w) in zip(voices, parts):
                style += np.float32(w) * v.style
            blend = KokoroVoice(self.kokoro_model(), vid, style, voices[0].language, voices[0].espeak)
            self._blends[vid] = blend
            while len(self._blends) > self.MAX_BLENDS:
                self._blends.popitem(last=False)
            return blend


def open_registry(preload: bool = False) -> VoiceRegistry:
    """A registry of the installed voices for one process (``faceplex say``, benches): the
    embedded Piper voice loads only if it is asked for."""
    from .cast_install import find_cast

    return VoiceRegistry({PIPER_DEFAULT: None}, find_cast(), preload=preload)


def _how_to_install() -> str:
    from .cast_install import HOW_TO_INSTALL

    return HOW_TO_INSTALL
