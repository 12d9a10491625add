"""PocketSphinx word recognition: the always-installed fallback (US English only, low accuracy).

The pocketsphinx wheel's default US English acoustic model, dictionary and trigram language model
(the same wheel the lip-sync aligner uses). Its decoder holds Python's interpreter lock while it
works, so it runs in the transcription worker process (:mod:`.worker`), never in the daemon.
Vocabulary hints are not used by this backend (a grammar of expected replies would refuse every
other answer); the protocol says so in PROTOCOL.md §11.
"""

from __future__ import annotations

import math
import re
import time

import numpy as np

from .result import Hypothesis

RATE = 16000
FRAME_S = 0.01                      # PocketSphinx segments are in 10 ms frames
_FILLER = re.compile(r"^(<.*>|\[.*\]|\(.*\))$")


class SphinxEngine:
    """One PocketSphinx decoder (not thread-safe: one caller at a time)."""

    name = "pocketsphinx"

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self._d = Decoder(samprate=RATE, loglevel="FATAL")

    def transcribe(self, audio: np.ndarray, *, prompt: str = "", prefix: str = "", language=None,
                   words: bool = False) -> Hypothesis:
        """Read ``audio`` (``(N,) float32`` at 16 kHz). ``prompt``/``prefix``/``language`` are
        accepted for the common signature and ignored (English only, no hints)."""
        t0 = time.process_time()
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        d = self._d
        d.start_utt()
        d.process_raw(pcm, no_search=False, full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        out: list[tuple[str, float, float]] = []
        for seg in d.seg():
            w = re.sub(r"\(\d+\)$", "", seg.word)     # alternate pronunciations: word(2)
            if _FILLER.match(w) or w in ("<s>", "</s>", "<sil>"):
                continue
            out.append((w, seg.start_frame * FRAME_S, (seg.end_frame + 1) * FRAME_S))
        text = " ".join(w for w, _, _ in out)
        # the best path's log posterior per word, as a probability (PocketSphinx's own measure)
        conf = 0.0
        if hyp is not None and out:
            conf = float(min(1.0, math.exp(d.get_logmath().log_to_ln(hyp.prob) / max(1, len(out)))))
        return Hypothesis(text=text, words=out if words else [], language="en", confidence=round(conf, 3),
                          model=self.name, compute_s=time.process_time() - t0)
