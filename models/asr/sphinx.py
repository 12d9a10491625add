"""PocketSphinx word recognition: the always-installed fallback (US English only, low accuracy).

The pocketsphinx wheel's default US English acoustic model, dictionary and trigram language model
(the same wheel the lip-sync aligner uses). Its decoder holds Python's interpreter lock while it
works, so it runs in the transcription worker process (:mod:`.worker`), never in the daemon.
Vocabulary hints are not used by this backend (a grammar of expected replies would refuse every
other answer); the protocol says so in PROTOCOL.md §11.
"""

from __future__ import annotations

import re
import time

import numpy as np

from .result import Hypothesis

RATE = 16000
FRAME_S = 0.01                      # PocketSphinx segments are in 10 ms frames
#: Narrower search than PocketSphinx's defaults (beam 1e-48, wbeam 7e-29, no HMM cap, no phone
#: look-ahead): on 6 espeak-ng lines (21.9 s, 3 voices) 2.99 s of CPU instead of 6.78 s at the same
#: word error rate (0.754); narrower still (beam 1e-30, no fwdflat/bestpath) cost 0.09 WER.
SEARCH = {"beam": 1e-40, "wbeam": 1e-30, "maxhmmpf": 3000, "pl_window": 5}
_FILLER = re.compile(r"^(<.*>|\[.*\]|\(.*\))$")


class SphinxEngine:
    """One PocketSphinx decoder (not thread-safe: one caller at a time)."""

    name = "pocketsphinx"

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self._d = Decoder(samprate=RATE, loglevel="FATAL", **SEARCH)

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
        probs: list[float] = []
        for seg in d.seg():
            w = re.sub(r"\(\d+\)$", "", seg.word)     # alternate pronunciations: word(2)
            if _FILLER.match(w) or w in ("<s>", "</s>", "<sil>"):
                continue
            out.append((w, seg.start_frame * FRAME_S, (seg.end_frame + 1) * FRAME_S))
            probs.append(float(seg.prob))
        text = " ".join(w for w, _, _ in out) if hyp is not None else ""
        # the mean of the words' posterior probabilities (pocketsphinx 5's Segment.prob is 0-1;
        # 0.01-0.5 on the espeak-ng test line it misreads, so it does flag a poor reading)
        conf = float(np.clip(np.mean(probs), 0.0, 1.0)) if probs else 0.0
        return Hypothesis(text=text, words=out if words else [], language="en", confidence=round(conf, 3),
                          model=self.name, compute_s=time.process_time() - t0)
