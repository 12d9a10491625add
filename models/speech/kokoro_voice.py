"""Kokoro-82M v1.0 (StyleTTS2 family, int8 ONNX, 24 kHz) as a second voice engine.

The model and its 54 style vectors are installed by ``faceplex install-cast``
(``models/speech/cast_install.py``); nothing is downloaded here. One :class:`KokoroModel` (one
onnxruntime session set, ~92 MB of int8 weights) serves every Kokoro voice: a
:class:`KokoroVoice` is only a name, a language and a style table ``(510, 256) float32`` (row
``n - 1`` is the style for ``n`` phoneme tokens, as kokoro-onnx 0.6.1 picks it), so all voices
and any blend of them cost one model's memory.

Timing: the graph's internal tensor ``/encoder/Round_output_0`` (frames per token, the BOS/EOS
pads included) is exposed as a second output at load (in memory). Each frame is
:data:`FRAME` = 600 output samples (25 ms at 24 kHz) and the frames sum exactly to the audio
length, so every phoneme's span is an exact sample range, as with Piper's durations.

Streaming: this engine decodes a clause in ONE pass (kokoro-onnx's own way), then hands the
audio out as pieces cut on phone boundaries (``clause_stream.plan_cuts``), one piece per
:meth:`KokoroStream.step`; the stitched pieces equal one-pass decoding exactly (tolerance 0,
``tests/test_voices.py``). Windowed decoding like the Piper path is not reachable for this graph
(checked on the int8 export): its decoder and generator normalise 54 times over the *time* axis
(AdaIN = instance norm, ``ReduceMean`` with axes [2]: a window's mean and variance are not the
utterance's, so no amount of context makes a window equal one pass short of decoding it all);
besides, every activation is quantised dynamically (139 ``DynamicQuantizeLinear``: scale and
zero point from the whole tensor's range), the F0/energy predictor is a bidirectional LSTM over
the whole utterance, and the harmonic source integrates F0 with a ``CumSum`` over the whole
utterance (its phase would have to be carried across windows). A clause's first audio therefore
waits for the whole clause; the session keeps the first clause short (``text.split_head``).
The graph has no random nodes: the same text and voice give bit-identical audio (the ``seed``
is accepted for the contract and has nothing to seed).
"""

from __future__ import annotations

import threading
import unicodedata
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from .contract import PAUSE_SYMBOLS, STRESS_MARKS, SpeechChunk, TimedPhoneme, TimedWord, merge_alignment

#: Output rate of Kokoro v1.0 (Hz).
SAMPLE_RATE = 24000
#: Output samples per duration frame (the iSTFTNet decoder's hop 5 x upsampling 10 x 6 x 2).
FRAME = 600
#: The internal tensor holding per-token frame counts (REFERENCE.md, "Voices ... in registry packages").
DURATIONS = "/encoder/Round_output_0"
#: How late Kokoro's duration spans sit against the audio they describe: the median of word
#: starts from the durations minus word starts in a PocketSphinx forced alignment of the same
#: audio, 85 ms (af_heart, am_michael, bf_emma, bm_lewis on bench_daemon's sentences of 4+ words,
#: 341 words; p25/p75 70/105 ms; slope 1.002 vs time, so an offset, not a drift; p/b/m centres
#: 65 ms). Piper's spans are 27 ms late, and the face animator corrects every synthesizer's
#: spans by that (coarticulation.ArticulationParams.timing_offset_s), so Kokoro's spans are
#: shifted earlier by the difference: its phones and word marks then keep Piper's convention.
ALIGNMENT_LATE_S = 0.085
PIPER_LATE_S = 0.027
SPAN_SHIFT = round((ALIGNMENT_LATE_S - PIPER_LATE_S) * SAMPLE_RATE)

#: Most phoneme tokens one run takes (the style table has 510 rows; kokoro-onnx's limit).
MAX_TOKENS = 510
#: Frames per word piece target (first piece ~150 ms, later ~750 ms), as the Piper path's pieces.
FIRST_SAMPLES = 6 * FRAME
WINDOW_SAMPLES = 30 * FRAME

#: Kokoro voice-name prefix letter -> (BCP-47 language, espeak-ng voice or G2P, accent), from the
#: kokoro-js / Kokoro-82M naming (VOICES.md of the model card). Japanese (j) and Mandarin (z) were
#: trained on misaki's G2P, not espeak-ng: ``languages.g2p`` runs it.
LANGUAGES: dict[str, tuple[str, str, Optional[str]]] = {
    "a": ("en-US", "en-us", "American"),
    "b": ("en-GB", "en-gb", "British"),
    "e": ("es", "es", None),
    "f": ("fr", "fr-fr", None),
    "h": ("hi", "hi", None),
    "i": ("it", "it", None),
    "p": ("pt-BR", "pt-br", "Brazilian"),
    # misaki G2P (languages.g2p), offered only where its packages are installed
    "j": ("ja", "ja", None),
    "z": ("zh", "zh", "Mandarin"),
}

#: Tokens that modify the phone before them (nasalisation, aspiration, palatalisation): merged
#: into it, so a French ``ɑ̃`` is one phone with one viseme.
_MODIFIERS = {"\u0303", "ʰ", "ʲ", "ᵝ"}
#: Length and misaki's Mandarin tone arrows: their samples go to the phone before them (a tone
#: is the syllable's pitch, not a gesture of its own), the phone keeps its name.
_SUPRASEGMENTAL = {"ː", "↓", "→", "↗", "↘"}
#: Quote tokens of the vocabulary: pauses for the face.
_PAUSE_LIKE = {"“": '"', "”": '"'}


def kokoro_symbols(phonemes: str) -> list[str]:
    """The model's token symbols for a phoneme string, one per token, plus BOS ``^`` and EOS ``$``
    (the zero pads the model is given at both ends)."""
    return ["^", *phonemes, "$"]


def merge_kokoro_alignment(symbols: list[str], counts: list[int]) -> list[TimedPhoneme]:
    """Timed phones from Kokoro's per-token sample counts.

    Modifier tokens (:data:`_MODIFIERS`) join the phone before them (the combined symbol, e.g.
    ``ɑ̃``, keeps both characters); length and tone tokens (:data:`_SUPRASEGMENTAL`) give it
    their samples; quotes are pauses; then
    ``piper_voice.merge_alignment`` (stress marks join the next phone, pauses merge). Tiles
    ``[0, sum(counts))``.
    """
    syms: list[str] = []
    cnts: list[int] = []
    for s, n in zip(symbols, counts):
        s = _PAUSE_LIKE.get(s, s)
        joinable = bool(syms) and syms[-1] not in PAUSE_SYMBOLS and syms[-1] not in STRESS_MARKS
        if (s in _MODIFIERS or unicodedata.combining(s) or s in _SUPRASEGMENTAL) and joinable:
            syms[-1] += "" if s in _SUPRASEGMENTAL else s
            cnts[-1] += int(n)
            continue
        syms.append(s)
        cnts.append(int(n))
    return merge_alignment(syms, cnts)


def phonemize(tokenizer, language: str, espeak: str, text: str) -> str:
    """IPA of ``text`` for a voice of ``language`` in Kokoro's vocabulary (``tokenizer``: kokoro-onnx's
    Tokenizer): espeak-ng voice ``espeak``, or misaki for ``ja``/``zh`` (``languages.g2p``)."""
    from .languages import g2p

    fn = g2p(language)
    if fn is None:
        return tokenizer.phonemize(text, lang=espeak)
    return "".join(c for c in fn(text) if c in tokenizer.vocab).strip()


def shift_spans(phones: list[TimedPhoneme], words: list[TimedWord], shift: int, n: int
                ) -> tuple[list[TimedPhoneme], list[TimedWord]]:
    """Move every span ``shift`` samples earlier within ``[0, n)``: boundaries are clipped, so
    the phones still tile ``[0, n)`` (the first one shortens, the last one lengthens); spans
    left empty are dropped."""
    def clip(x: int) -> int:
        return min(max(x - shift, 0), n)

    ph = [TimedPhoneme(p.phoneme, clip(p.start), clip(p.end), p.stressed) for p in phones]
    if ph:
        ph[0] = TimedPhoneme(ph[0].phoneme, 0, ph[0].end, ph[0].stressed)
        ph[-1] = TimedPhoneme(ph[-1].phoneme, ph[-1].start, n, ph[-1].stressed)
    wd = [TimedWord(w.text, clip(w.start), clip(w.end)) for w in words]
    return [p for p in ph if p.end > p.start], [w for w in wd if w.end > w.start]


def _malloc_trim():
    """glibc's ``malloc_trim`` (None elsewhere: macOS and Windows allocators return freed memory
    on their own terms)."""
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release_freed_memory() -> None:
    """Hand the memory a run freed back to the system (glibc ``malloc_trim(0)``; a no-op where
    there is none).

    A Kokoro run allocates its activations with plain malloc (no onnxruntime arena, see
    :meth:`KokoroModel.load`): hundreds of MB for a long sentence, freed at its end, but glibc
    keeps freed heap and per-thread arenas mapped, so the daemon's RSS held the largest runs'
    peaks. Measured here (1 + 2 thread sessions, three runs of 20-119 tokens each): RSS 713 MB
    kept, 363 MB after the trim; the trim takes 3-16 ms after a 1-3 s run.
    """
    if _TRIM is not None:
        _TRIM(0)


class KokoroModel:
    """The Kokoro v1.0 int8 graph with its duration output, shared by every Kokoro voice.

    ``threads`` intra-op threads for runs beside others, ``wide_threads`` for a run that has the
    machine to itself (as ``piper_voice.Voice.load``). Thread-safe (onnxruntime sessions are).
    """

    def __init__(self, narrow, wide, path: Path):
        self.narrow, self.wide, self.path = narrow, wide or narrow, path
        self._tokenizer = None
        self._tok_lock = threading.Lock()
        self.provider = narrow.get_providers()[0]

    @classmethod
    def load(cls, path: str | Path, threads: int = 1, wide_threads: int = 2) -> "KokoroModel":
        """Load the assembled ``kokoro-v1.0.int8.onnx`` and add :data:`DURATIONS` as an output
        (in memory; the file is not changed). Raises FileNotFoundError, ValueError (not Kokoro)."""
        import onnx
        import onnxruntime

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"Kokoro model not found: {path}")
        model = onnx.load(str(path))
        if not any(DURATIONS in n.output for n in model.graph.node):
            raise ValueError(f"{path} is not Kokoro v1.0: no tensor {DURATIONS}")
        model.graph.output.append(onnx.helper.make_tensor_value_info(DURATIONS, onnx.TensorProto.FLOAT, None))
        # The weights are handed to both sessions as shared OrtValues (add_initializer), so the
        # second session does not hold a second copy: measured here, the wide session then adds
        # 15 MB instead of ~150 MB.
        from onnx import numpy_helper

        shared = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer if i.ByteSize() > 1024}
        values = {n: onnxruntime.OrtValue.ortvalue_from_numpy(a) for n, a in shared.items()}
        data = model.SerializeToString()
        del model

        def make(intra: int):
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = intra
            options.inter_op_num_threads = 1
            # As for Piper (piper_voice.Voice.load): no arena (it keeps the longest clause's peak),
            # no spinning (the pools of several graphs/sessions take the cores from each other).
            options.enable_cpu_mem_arena = False
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            # No pre-packed copies of the weights (each session would keep its own): measured
            # here, 34 MB less per session (RSS after load, malloc_trim'd: 359 -> 291 MB for both),
            # and no slower (two alternating runs of 6 decodes each on a loaded 2-core machine).
            options.add_session_config_entry("session.disable_prepacking", "1")
            for name, value in values.items():
                options.add_initializer(name, value)
            return onnxruntime.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])

        narrow = make(threads)
        wide = make(wide_threads) if wide_threads and wide_threads != threads else None
        out = cls(narrow, wide, path)
        out._shared = (shared, values)  # the sessions read these buffers: keep them alive
        release_freed_memory()  # the parsed and serialised model copies (~90 MB)
        return out

    def tokenizer(self):
        """kokoro-onnx's Tokenizer (espeak-ng through ``phonemizer`` and ``espeakng-loader``)."""
        with self._tok_lock:
            if self._tokenizer is None:
                import logging

                from kokoro_onnx.tokenizer import Tokenizer

                # phonemizer warns "words count mismatch" on most lines (espeak-ng joins or splits
                # words); word marks come from words.align_words, which expects exactly that.
                logging.getLogger("phonemizer").setLevel(logging.ERROR)
                self._tokenizer = Tokenizer()
            return self._tokenizer

    def run(self, tokens: list[int], style: np.ndarray, speed: float = 1.0, wide: bool = False
            ) -> tuple[np.ndarray, np.ndarray]:
        """One pass: ``tokens`` (n ids, no pads; 1 <= n <= 510), ``style`` ``(256,) float32``.

        Returns ``(audio (N,) float32 in [-1, 1], frames (n + 2,) int64)`` with
        ``N == FRAME * frames.sum()`` (checked; RuntimeError otherwise).
        """
        if not 1 <= len(tokens) <= MAX_TOKENS:
            raise ValueError(f"{len(tokens)} phoneme tokens (1..{MAX_TOKENS} per run)")
        sess = self.wide if wide else self.narrow
        audio, frames = sess.run(None, {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": np.asarray(style, dtype=np.float32).reshape(1, 256),
            "speed": np.array([speed], dtype=np.float32),
        })
        audio = np.asarray(audio, dtype=np.float32).ravel()
        frames = np.rint(np.asarray(frames).ravel()).astype(np.int64)
        release_freed_memory()
        if frames.shape[0] != len(tokens) + 2 or int(frames.sum()) * FRAME != audio.shape[0]:
            raise RuntimeError(f"Kokoro durations ({frames.shape[0]} tokens, {int(frames.sum())} frames) "
                               f"do not match its audio ({audio.shape[0]} samples)")
        return audio, frames


class KokoroVoice:
    """One Kokoro voice (or blend): a name, a language and a style table on a shared model.

    ``style``: ``(510, 256) float32`` (a voice file of kokoro-js, or a weighted mix of several);
    ``language``: a key of :data:`LANGUAGES`' values (BCP-47, e.g. ``"es"``).
    """

    engine = "kokoro"
    sample_rate = SAMPLE_RATE

    def __init__(self, model: KokoroModel, name: str, style: np.ndarray, language: str, espeak: str):
        if style.shape != (MAX_TOKENS, 256):
            raise ValueError(f"voice {name}: style table {style.shape}, expected (510, 256)")
        self.model, self.name, self.style = model, name, np.ascontiguousarray(style, dtype=np.float32)
        self.language, self.espeak = language, espeak
        self.provider = model.provider
        self._word_cache: dict[str, list[list[str]]] = {}

    # ------------------------------------------------------------------ building blocks
    def phonemize(self, text: str) -> str:
        """IPA of ``text`` in this voice's language, reduced to the model's vocabulary: espeak-ng
        through kokoro-onnx's ``Tokenizer.phonemize`` (stress marks and punctuation kept), or
        misaki for Japanese and Mandarin (``languages.g2p``)."""
        return phonemize(self.model.tokenizer(), self.language, self.espeak, text)

    def tokens(self, phonemes: str) -> list[int]:
        return self.model.tokenizer().tokenize(phonemes, limit=None)

    def phonemize_word(self, text: str) -> list[list[str]]:
        """One word's phonemes as ``words.word_phonemes`` takes them (one 'sentence'; cached)."""
        cached = self._word_cache.get(text)
        if cached is None:
            cached = [list(self.phonemize(text))]
            if len(self._word_cache) >= 20000:
                self._word_cache.clear()
            self._word_cache[text] = cached
        return cached

    def stream(self, text: str, speed: float = 1.0, seed: Optional[int] = 0, noise: bool = True,
               trim_lead: Optional[int] = None, trim_tail: Optional[int] = None,
               one_pass: bool = False) -> "KokoroStream":
        """A step-wise job for ``text`` (the voice contract's stream; see :class:`KokoroStream`)."""
        return KokoroStream(self, text, speed=speed, seed=seed, noise=noise, trim_lead=trim_lead,
                            trim_tail=trim_tail, one_pass=one_pass)

    def synthesize(self, text: str, speed: float = 1.0, wide: bool = False, noise: bool = True,
                   seed: Optional[int] = 0) -> Iterator[SpeechChunk]:
        """One chunk per sentence run (``offset=0, last=True``), as ``piper_voice.Voice.synthesize``."""
        stream = KokoroStream(self, text, speed=speed, seed=seed, noise=noise, one_pass=True)
        while not stream.done:
            yield from stream.step(wide=wide)


def split_runs(phonemes: str, limit: int = MAX_TOKENS) -> list[str]:
    """Cut a phoneme string into runs of at most ``limit`` characters, at a sentence mark or a
    space when one lies in the second half (never inside a word when a space exists)."""
    out, s = [], phonemes.strip()
    while len(s) > limit:
        head = s[:limit]
        cut = max(head.rfind(". "), head.rfind("! "), head.rfind("? "), head.rfind("; "), head.rfind(", "))
        if cut < limit // 2:
            cut = head.rfind(" ")
        if cut <= 0:
            cut = limit - 1
        out.append(s[:cut + 1].strip())
        s = s[cut + 1:].strip()
    if s:
        out.append(s)
    return out


class KokoroStream:
    """One clause as :meth:`step` calls, the same job interface as ``clause_stream.ClauseStream``
    (``done``, ``first_piece_next``, ``next_piece_samples``, ``pieces_done``, ``close()``).

    The first step of a run (a sentence of at most :data:`MAX_TOKENS` tokens) normalises and
    phonemizes the clause, decodes the run in one pass and returns its first piece; the next
    steps return its other pieces (no model work), then the next run. ``one_pass``: one piece
    per run. Cancel: the scheduler stops calling :meth:`step`; :meth:`close` drops the audio.
    """

    def __init__(self, voice: KokoroVoice, text: str, speed: float = 1.0, seed: Optional[int] = 0,
                 noise: bool = True, trim_lead: Optional[int] = None, trim_tail: Optional[int] = None,
                 one_pass: bool = False):
        self.voice, self.text, self.speed, self.seed = voice, text, float(speed), seed
        self.trim_lead, self.trim_tail, self.one_pass = trim_lead, trim_tail, one_pass
        self._runs: Optional[list[str]] = None
        self._spans: list = []
        self._index = -1
        self._audio: Optional[np.ndarray] = None
        self._phones: list[TimedPhoneme] = []
        self._twords: list[TimedWord] = []
        self._cuts: list[int] = []
        self._piece = 0
        self.done = False
        self.pieces_done = 0
        #: Audio seconds the model decoded in the last :meth:`step` (a whole run on a decoding
        #: step, 0 on a step that only hands out a piece): the scheduler measures this engine's
        #: speed from it (``SynthesisScheduler.run_speed``), not from the pieces.
        self.decoded_s = 0.0

    @property
    def first_piece_next(self) -> bool:
        return self.pieces_done == 0

    @property
    def next_piece_samples(self) -> Optional[int]:
        cuts, k = self._cuts, self._piece
        if self._audio is None or k + 1 >= len(cuts):
            return None
        return cuts[k + 1] - cuts[k]

    def close(self) -> None:
        self._audio, self._runs, self._phones, self._twords, self._spans, self.done = None, [], [], [], [], True

    def step(self, wide: bool = False) -> list[SpeechChunk]:
        """One bounded piece of work; returns the pieces it finished (zero or one).

        Raises RuntimeError when the model's durations do not match its audio, ValueError when
        the clause has no phoneme the model knows (the session reports ``synthesis_failed``)."""
        from .streaming import decoder_to_pcm16

        self.decoded_s = 0.0
        if self.done:
            return []
        if self._runs is None:
            self._prepare()
        if self._audio is None or self._piece >= len(self._cuts) - 1:
            if self._index + 1 >= len(self._runs):
                self.close()
                return []
            self._decode(self._index + 1, wide)
        a, b = self._cuts[self._piece], self._cuts[self._piece + 1]
        from .clause_stream import _clip_piece

        phones, words = _clip_piece(self._phones, self._twords, a, b)
        s0, s1 = self._cuts[0], self._cuts[-1]
        self._piece += 1
        last = self._piece >= len(self._cuts) - 1
        piece = SpeechChunk(text=self.text, sample_rate=SAMPLE_RATE, audio=decoder_to_pcm16(self._audio[a:b]),
                            phonemes=phones, words=words, offset=a - s0, total=s1 - s0, last=last)
        if last:
            self._audio = None
            if self._index + 1 >= len(self._runs):
                self.close()
        self.pieces_done += 1
        return [piece]

    def _prepare(self) -> None:
        from .languages import normalize_for
        from .words import align_words, word_phonemes

        spoken, words = normalize_for(self.voice.language, self.text)
        phonemes = self.voice.phonemize(spoken)
        self._runs = [r for r in split_runs(phonemes) if self.voice.tokens(r)]
        if not self._runs:
            raise ValueError(f"no phoneme of {self.text!r} is in the Kokoro vocabulary")
        phones = [word_phonemes(w.spoken, self.voice.phonemize_word) for w in words]
        self._spans = align_words(words, phones, [kokoro_symbols(r) for r in self._runs])

    def _decode(self, i: int, wide: bool) -> None:
        from .clause_stream import plan_cuts
        from .words import timed_words

        run = self._runs[i]
        # tokenize() keeps only vocabulary symbols, which phonemize() already guaranteed: one
        # token per character of ``run``, so symbols and frames line up one to one.
        tokens = self.voice.tokens(run)
        if len(tokens) != len(run):
            raise RuntimeError(f"phonemes {run!r} do not map one token per symbol")
        style = self.voice.style[min(len(tokens), MAX_TOKENS) - 1]
        audio, frames = self.voice.model.run(tokens, style, self.speed, wide=wide)
        counts = [int(f) * FRAME for f in frames]
        symbols = kokoro_symbols(run)
        n = audio.shape[0]
        # Spans onto the audio's own timing convention (see ALIGNMENT_LATE_S).
        phones, twords = shift_spans(merge_kokoro_alignment(symbols, counts), timed_words(self._spans, i, counts),
                                     SPAN_SHIFT, n)
        s0, s1 = 0, n
        if self.trim_lead is not None and i == 0 and phones and phones[0].phoneme == "_":
            s0 = max(0, phones[0].end - self.trim_lead)
        if self.trim_tail is not None and i == len(self._runs) - 1 and phones and phones[-1].phoneme == "_":
            s1 = min(n, max(phones[-1].start + self.trim_tail, s0 + 1))
        self._index, self._audio, self._piece = i, audio, 0
        self.decoded_s = n / SAMPLE_RATE
        self._phones, self._twords = phones, twords
        self._cuts = [s0, s1] if self.one_pass else plan_cuts(phones, twords, s0, s1, FIRST_SAMPLES, WINDOW_SAMPLES)
