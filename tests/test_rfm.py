"""Rolling Flow Matching motion model: corpus, training (resume = uninterrupted), ONNX export and
parity, streaming == one-pass, the shipped model behind RfmAnimator, and a real daemon with
``--motion rfm``.

Training/export tests need torch (+ onnxscript): they are skipped only on a machine without torch
*and* without ``CI`` set (``.ci/run`` installs the ``train`` extra, so CI always runs them).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os

import numpy as np
import pytest

from faceplex.models.face.visemes import lips_shut
from faceplex.models.rfm import spec
from faceplex.models.rfm.animator import DEFAULT_MODEL, RfmAnimator
from faceplex.models.rfm.sampler import OnnxCommit, RollingSampler, sample_sequence
from faceplex.protocol.names import CHANNEL_INDEX

HAVE_TORCH = all(importlib.util.find_spec(m) is not None for m in ("torch", "onnxscript"))
needs_torch = pytest.mark.skipif(not HAVE_TORCH and not os.environ.get("CI"),
                                 reason="torch/onnxscript not installed (pip install -e '.[train]')")
TINY = ["--d-model", "32", "--layers", "1", "--batch", "8", "--threads", "1", "--no-progress", "--seed", "3"]


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    from faceplex.bridge.cli import main

    root = tmp_path_factory.mktemp("corpus")
    assert main(["corpus", "-o", str(root), "--count", "3", "--seed", "11"]) == 0
    return root


@pytest.fixture(scope="module")
def tiny_run(tiny_corpus, tmp_path_factory):
    """Train a tiny model 6 steps through the CLI, and the same again interrupted at 3 and resumed."""
    from faceplex.bridge.cli import main

    a = tmp_path_factory.mktemp("run_a")
    b = tmp_path_factory.mktemp("run_b")
    assert main(["train", "--corpus", str(tiny_corpus), "-o", str(a), "--steps", "6", "--ckpt-every", "3", *TINY]) == 0
    assert main(["train", "--corpus", str(tiny_corpus), "-o", str(b), "--steps", "6", "--until", "3", *TINY]) == 0
    assert main(["train", "--corpus", str(tiny_corpus), "-o", str(b), "--steps", "6", *TINY]) == 0
    return a, b


def test_corpus_is_reproducible_and_in_take_format(tiny_corpus, tmp_path):
    from faceplex.bridge.take import read_live_link_csv, read_wav
    from faceplex.models.rfm.corpus import make_corpus

    t0 = tiny_corpus / "take_0000"
    for name in ("take.wav", "take.csv", "take.txt", "take.json", "take.phonemes.json"):
        assert (t0 / name).exists()
    audio, sr = read_wav(t0 / "take.wav")
    times, frames = read_live_link_csv(t0 / "take.csv")
    assert sr == 22050 and frames.shape[1] == 59 and abs(times[-1] - audio.shape[0] / sr) < 0.05
    make_corpus(tmp_path, 1, seed=11, progress=False)
    assert (tmp_path / "take_0000" / "take.wav").read_bytes() == (t0 / "take.wav").read_bytes()
    assert (tmp_path / "take_0000" / "take.csv").read_bytes() == (t0 / "take.csv").read_bytes()


@needs_torch
def test_training_resumes_bit_identically(tiny_run):
    import torch

    a, b = tiny_run
    ca = torch.load(a / "ckpt.pt", weights_only=False)
    cb = torch.load(b / "ckpt.pt", weights_only=False)
    assert ca["step"] == cb["step"] == 6
    for k, v in ca["model"].items():
        assert torch.equal(v, cb["model"][k]), k
    log = [json.loads(x) for x in (a / "train_log.jsonl").read_text().splitlines()]
    assert log and np.isfinite(log[-1]["loss"])


@needs_torch
def test_export_onnx_parity_and_streaming_equals_one_pass(tiny_run, tmp_path):
    import onnx
    import onnxruntime as ort

    from faceplex.bridge.cli import main
    from faceplex.models.rfm.export import export
    from faceplex.models.rfm.network import CommitStep
    from faceplex.models.rfm.sampler import torch_commit_fn
    from faceplex.models.rfm.train import load_checkpoint

    a, _ = tiny_run
    out = tmp_path / "tiny.onnx"
    res = export(a / "ckpt.pt", out)
    assert res["parity_max_abs"] < 1e-4
    model = onnx.load(str(out))
    assert [d.dim_param for d in model.graph.input[0].type.tensor_type.shape.dim][0] == "batch"
    meta = {p.key: p.value for p in model.metadata_props}
    assert len(json.loads(meta["motion_mean"])) == 59
    assert main(["export", str(a / "ckpt.pt"), "-o", str(tmp_path / "cli.onnx"), "--no-check"]) == 0
    if "CUDAExecutionProvider" in ort.get_available_providers():  # onnxruntime-gpu on a GPU machine
        cuda = OnnxCommit(out, providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
        cpu = OnnxCommit(out)
        from faceplex.models.rfm.export import example_inputs

        args = [t.numpy() for t in example_inputs(2)]
        assert np.abs(cuda(*args) - cpu(*args)).max() < 1e-3

    # streaming state object == one pass over the whole sequence, same noise (torch and ONNX)
    net, _, _ = load_checkpoint(a / "ckpt.pt")
    rng = np.random.default_rng(0)
    n = 40
    cond = (rng.standard_normal((n, spec.D_COND)) * 2 - 4).astype(np.float32)
    silence = cond[0]
    for fn in (torch_commit_fn(CommitStep(net).eval()), OnnxCommit(out)):
        ref = sample_sequence(fn, cond, n, seed=5, silence=silence)

        def cond_fn(frames):
            c = np.repeat(silence[None], frames.shape[0], 0)
            ok = (frames >= 0) & (frames < n)
            c[ok] = cond[frames[ok]]
            return c

        s = RollingSampler(fn, seed=5)
        got = np.concatenate([s.commit(cond_fn) for _ in range(-(-n // spec.SLOT))])[:n]
        np.testing.assert_allclose(got, ref, atol=1e-5, rtol=0)
        assert s.calls == (spec.K - 1) + -(-n // spec.SLOT)


def _clause(text="Bob bought a big map of Bombay."):
    from faceplex.models.rfm.corpus import synthesize_exact
    from faceplex.models.speech.piper_voice import Voice

    return synthesize_exact(Voice.default(), text)[0]


def test_shipped_model_is_small_and_animates_speech_and_idle():
    assert DEFAULT_MODEL.exists() and DEFAULT_MODEL.stat().st_size <= 20 * 1024 * 1024
    assert (DEFAULT_MODEL.parent / "RECIPE.md").exists()
    ch = _clause()
    anim = RfmAnimator(60, seed=1)
    idle = anim.frames(0, 60)
    anim.add_speech(ch, 1.0)
    n = 60 + int(ch.num_samples / ch.sample_rate * 60) + 30
    rest = anim.frames(60, n - 60)
    frames = np.concatenate([idle, rest])
    assert frames.shape == (n, 59) and frames.dtype == np.float32
    assert np.all((frames[:, :52] >= 0) & (frames[:, :52] <= 1)) and np.all(np.abs(frames[:, 52:]) <= 0.25)
    # idle keeps moving (head/eyes/brows), speech opens the jaw
    assert idle[:, 52:].std(axis=0).max() > 1e-3
    jaw = frames[60:, CHANNEL_INDEX["jawOpen"]]
    assert jaw.max() > 0.2
    # lips shut near most p/b/m
    shut = lips_shut(frames)
    pbm = [p for p in ch.phonemes if p.phoneme in ("p", "b", "m")]
    hits = sum(shut[max(0, k - 1): k + 2].any() for k in
               (round((1.0 + (p.start + p.end) / 2 / ch.sample_rate) * 60) for p in pbm))
    assert hits >= 0.8 * len(pbm)
    # chunking: any split of the same range gives the same frames
    b = RfmAnimator(60, seed=1)
    b.frames(0, 60)
    b.add_speech(ch, 1.0)
    parts, pos = [], 60
    for k in (1, 5, 17, 2, n):
        c = min(k, n - pos)
        if c > 0:
            parts.append(b.frames(pos, c))
            pos += c
    np.testing.assert_array_equal(np.concatenate(parts), rest)
    # 30 fps frames are the internal frames; cut_speech returns the mouth to rest
    c30 = RfmAnimator(30, seed=1)
    c30.add_speech(ch, 0.0)
    c30.cut_speech(0.5)
    f30 = c30.frames(0, 60)
    assert c30.speech_end_s() == 0.5
    assert f30[45:, CHANNEL_INDEX["jawOpen"]].max() < 0.15


def test_rfm_serves_external_audio_without_phones():
    from faceplex.models.speech.piper_voice import SpeechChunk

    ch = _clause("Maybe my mum baked a pie.")
    ext = SpeechChunk(text="", sample_rate=ch.sample_rate, audio=ch.audio, phonemes=[])
    anim = RfmAnimator(60, seed=0)
    anim.add_speech(ext, 0.2)
    f = anim.frames(0, int(ch.num_samples / ch.sample_rate * 60) + 12)
    assert f[:, CHANNEL_INDEX["jawOpen"]].max() > 0.15


def test_daemon_with_rfm_motion_speaks_and_covers_every_sample():
    from conftest import DaemonProcess

    from faceplex.bridge.client import FacePlexClient
    from faceplex.protocol import messages as m

    d = DaemonProcess("--motion", "rfm")
    try:
        assert d.ready.get("motion") == "rfm"

        async def go():
            async with FacePlexClient(d.url, sample_rate=48000, fps=60) as client:
                rec = await client.speak("Peter bought a big map of Bombay.")
                return client, rec

        client, rec = asyncio.run(asyncio.wait_for(go(), 120))
        assert rec.outcome == "finished" and not rec.errors
        faces = [r.msg for r in client.log if isinstance(r.msg, m.Face)]
        assert [f.frame for f in faces] == list(range(len(faces)))
        expected = [k for k in range(len(faces) + 1000) if rec.start <= k * 48000 // 60 < rec.end]
        assert [f.frame for f in faces if f.utt == rec.utt] == expected
        values = np.array([f.values for f in faces if f.utt == rec.utt])
        assert values[:, CHANNEL_INDEX["jawOpen"]].max() > 0.2
        assert lips_shut(values).any()
    finally:
        d.stop()


def test_eval_compares_rules_and_rfm_on_the_same_takes(tiny_corpus, capsys, tmp_path):
    from faceplex.bridge.cli import main

    assert main(["eval", str(tiny_corpus), "--seeds", "2", "--json", str(tmp_path / "eval.json")]) == 0
    out = capsys.readouterr().out
    assert "| rules | rfm | rfm audio-only |" in out and "p/b/m shut where rules is" in out
    summary = json.loads((tmp_path / "eval.json").read_text())
    rfm = summary["backends"]["rfm"]
    assert summary["takes"] == 3 and rfm["pbm_count"] > 0 and summary["backends"]["rules"]["pbm_vs_rules"] == 1.0
    assert rfm["variety_upper"] > 0
