"""espeak-ng speech with exact phone timing (for the multi-voice training corpus), via ctypes.

espeak-ng's C API (``speak_lib.h``, espeak-ng 1.51 as Debian ships it in ``libespeak-ng.so.1``)
reports ``espeakEVENT_PHONEME`` events when initialised with ``espeakINITIALIZE_PHONEME_EVENTS``;
with ``espeakINITIALIZE_PHONEME_IPA`` the event's ``id.string`` is the phone in IPA, the symbols the
face model maps to visemes. Each event carries ``sample`` (the audio sample, at the synth rate,
where the phone starts), so a phone ends where the next event starts: exact timing, no aligner.

:func:`synthesize` -> a :class:`~faceplex.models.speech.piper_voice.SpeechChunk` (int16 mono at
espeak's rate, 22050 Hz) whose phones tile the audio, for a voice (``en-us``, ``en-gb-x-rp``, ...),
an optional variant (``+f3``, ``+m2``, ``+klatt``...), rate (words/min), pitch and range (0-100).
espeak is not thread-safe: one lock guards the library. Raises RuntimeError when the library or
the voice is missing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

import numpy as np

from faceplex.models.speech.contract import SpeechChunk, TimedPhoneme

AUDIO_OUTPUT_SYNCHRONOUS = 2
INIT_PHONEME_EVENTS = 0x0001
INIT_PHONEME_IPA = 0x0002
EVENT_LIST_TERMINATED, EVENT_WORD, EVENT_SENTENCE, EVENT_MARK, EVENT_PLAY, EVENT_END, EVENT_MSG_TERMINATED, \
    EVENT_PHONEME = range(8)
POS_CHARACTER = 1
CHARS_UTF8 = 1
RATE, VOLUME, PITCH, RANGE = 1, 2, 3, 4


class _Id(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):   # espeak_EVENT (speak_lib.h)
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _Id)]


_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))
_lock = threading.Lock()
_lib = None
_rate = 0
_state: dict = {}


def _system_library() -> str:
    """The system's ``libespeak-ng.so.1`` by its full path. By soname alone, dlopen would hand
    back the copy kokoro-onnx's ``espeakng-loader`` may already have loaded into the process (same
    soname, other data folder), which then fails on its compiled-in data path (seen in
    ``faceplex corpus --voices cast``)."""
    import glob

    for pattern in ("/usr/lib/*-linux-gnu/libespeak-ng.so.1", "/usr/lib64/libespeak-ng.so.1",
                    "/usr/lib/libespeak-ng.so.1", "/usr/local/lib/libespeak-ng.so.1"):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"


def _load():
    global _lib, _rate
    if _lib is not None:
        return _lib
    name = _system_library()
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise RuntimeError(f"espeak-ng library not found ({exc}); apt-get install libespeak-ng1") from None
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                 ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p]
    _rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 200, None, INIT_PHONEME_EVENTS | INIT_PHONEME_IPA)
    if _rate <= 0:
        raise RuntimeError("espeak_Initialize failed")
    cb = _CB(_callback)
    lib.espeak_SetSynthCallback(cb)
    _state["cb"] = cb   # keep the callback alive
    _lib = lib
    return lib


def _callback(wav, n, events) -> int:
    st = _state["cur"]
    if n > 0 and wav:
        st["audio"].append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
    i = 0
    while events[i].type != EVENT_LIST_TERMINATED:
        ev = events[i]
        if ev.type == EVENT_PHONEME:
            st["phones"].append((ev.sample, bytes(ev.id.string).split(b"\0")[0].decode("utf-8", "replace")))
        i += 1
    return 0


def _clean(ipa: str) -> tuple[str, bool]:
    stressed = "ˈ" in ipa
    ph = ipa.replace("ˈ", "").replace("ˌ", "").strip()
    return (ph or "_"), stressed


def synthesize(text: str, voice: str = "en-us", variant: str = "", rate: int = 175, pitch: int = 50,
               pitch_range: int = 50) -> SpeechChunk:
    """``text`` spoken by espeak-ng -> SpeechChunk (int16 at 22050 Hz, phones tiling the audio)."""
    with _lock:
        lib = _load()
        name = f"{voice}+{variant.lstrip('+')}" if variant else voice
        if lib.espeak_SetVoiceByName(name.encode()) != 0:
            raise RuntimeError(f"espeak-ng voice {name!r} not found")
        lib.espeak_SetParameter(RATE, int(rate), 0)
        lib.espeak_SetParameter(PITCH, int(pitch), 0)
        lib.espeak_SetParameter(RANGE, int(pitch_range), 0)
        _state["cur"] = {"audio": [], "phones": []}
        buf = text.encode("utf-8") + b"\0"
        lib.espeak_Synth(buf, len(buf), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
        st = _state.pop("cur")
    audio = np.concatenate(st["audio"]).astype(np.int16) if st["audio"] else np.zeros(0, np.int16)
    n = audio.shape[0]
    marks = sorted((min(max(0, s), n), p) for s, p in st["phones"])
    phones: list[TimedPhoneme] = []
    if not marks or marks[0][0] > 0:
        marks.insert(0, (0, "_"))
    for (s, p), nxt in zip(marks, marks[1:] + [(n, None)]):
        e = nxt[0]
        if e <= s:
            continue
        ph, stressed = _clean(p)
        phones.append(TimedPhoneme(ph, int(s), int(e), stressed))
    if phones and phones[-1].end < n:
        phones.append(TimedPhoneme("_", phones[-1].end, n))
    return SpeechChunk(text=text, sample_rate=_rate, audio=audio, phonemes=phones)


def sample_rate() -> int:
    with _lock:
        _load()
    return _rate
