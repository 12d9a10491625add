"""PCM16 WAV files, mono out, any channel count in (the takes of ``faceplex say``/``demo``, the
RFM corpus and captured Live Link Face takes). Python's :mod:`wave`, no resampling.

Here, below ``bridge/``, because the models' training and evaluation read and write the same
takes as the daemon's outputs (``faceplex.bridge.outputs.take`` re-exports these).
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """Write ``(N,) int16`` mono PCM16LE WAV."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(np.asarray(audio, dtype="<i2").tobytes())


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Read a PCM16 WAV; returns ``((N, channels) int16, sample_rate Hz)``.

    Raises ValueError for a sample width other than 16 bits.
    """
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: {8 * w.getsampwidth()}-bit WAV; FacePlex reads PCM16")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data.reshape(-1, w.getnchannels()), w.getframerate()
