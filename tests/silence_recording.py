"""Recorded lines with exact digital silence, from voices FacePlex never speaks with (issue 23).

- espeak-ng through its command line (``espeak-ng -v VOICE -w FILE TEXT``): espeak writes exact
  zeros between words and at the ends (about a quarter of a line's samples).
- flite (Debian's ``flite``, ``flite -voice NAME -t TEXT -o FILE``): its own pauses hold a low
  noise floor, so the line goes through a noise gate as edited voice-over does (every 10 ms
  block below -50 dBFS becomes exact zeros), which gives it digital silence too.

Both tools are installed by ``.ci/run``; on a developer machine without one the tests using it
skip (``need``), in CI they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np
import pytest

#: Lines whose words are all in PocketSphinx's dictionary, dense in p/b/m.
LINES = (
    "Bob, my mum bought a big map of Bombay. Maybe pop by?",
    "Please bring the blue umbrella, the bus may be a bit late.",
)


def need(tool: str) -> str:
    """The tool's path; skips the test without it on a developer machine (CI must have it)."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} missing in CI (.ci/run installs it)")
        pytest.skip(f"{tool} not installed (apt-get install {tool})")
    return path


def _read(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").copy(), w.getframerate()


def espeak_line(text: str, voice: str = "en-us+f3") -> tuple[np.ndarray, int]:
    """``(audio (N,) int16, rate Hz)`` of espeak-ng's command line speaking ``text``."""
    exe = need("espeak-ng")
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "line.wav"
        subprocess.run([exe, "-v", voice, "-w", str(out), text], check=True, capture_output=True)
        return _read(out)


def gate(audio: np.ndarray, rate: int, floor_dbfs: float = -50.0) -> np.ndarray:
    """A noise gate as in edited voice-over: each 10 ms block whose peak is below ``floor_dbfs``
    becomes exact zeros."""
    n = max(1, rate // 100)
    out = audio.copy()
    lim = 32768 * 10 ** (floor_dbfs / 20)
    for i in range(0, len(out), n):
        if np.abs(out[i:i + n].astype(np.int32)).max() < lim:
            out[i:i + n] = 0
    return out


def flite_line(text: str, voice: str = "slt") -> tuple[np.ndarray, int]:
    """``(audio (N,) int16, rate Hz)`` of flite speaking ``text``, noise-gated to digital silence,
    with 0.3 s of exact zeros before and after (as an edited clip starts and ends)."""
    exe = need("flite")
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "line.wav"
        subprocess.run([exe, "-voice", voice, "-t", text, "-o", str(out)], check=True, capture_output=True)
        audio, rate = _read(out)
    pad = np.zeros(int(0.3 * rate), np.int16)
    return np.concatenate([pad, gate(audio, rate), pad]), rate


def write_wav(path: Path, audio: np.ndarray, rate: int) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate); w.writeframes(audio.astype("<i2").tobytes())
    return path
