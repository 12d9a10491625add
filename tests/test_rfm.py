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
    from faceplex.bridge.outputs.take import read_live_link_csv, read_wav
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
    from faceplex.models.speech.contract import SpeechChunk

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

        ext = _clause("Maybe my mum baked a big pie.")

        async def go():
            async with FacePlexClient(d.url, sample_rate=48000, fps=60) as client:
                rec = await client.speak("Peter bought a big map of Bombay.")
                # the lipsync path animates with the same --motion backend (no transcript)
                n = ext.sample_rate // 25
                for k, i in enumerate(range(0, ext.num_samples, n)):
                    await client.send(m.Lipsync(utt="ext", sample_rate=ext.sample_rate, channels=1,
                                                pcm=ext.audio[i:i + n].astype("<i2").tobytes(),
                                                final=i + n >= ext.num_samples))
                lip = await client.collect("ext", 0.0, timeout=60)
                return client, rec, lip

        client, rec, lip = asyncio.run(asyncio.wait_for(go(), 180))
        assert rec.outcome == "finished" and not rec.errors
        assert lip.outcome == "finished" and not lip.errors
        lv = np.array([r.msg.values for r in client.log if isinstance(r.msg, m.Face) and r.msg.utt == "ext"])
        assert lv.shape[0] > 60 and lv[:, CHANNEL_INDEX["jawOpen"]].max() > 0.15 and lips_shut(lv).any()
        faces = [r.msg for r in client.log if isinstance(r.msg, m.Face)]
        # in order, never repeated (idle frames already in the past may be skipped after a stall: §6)
        assert all(b.frame > a.frame for a, b in zip(faces, faces[1:]))
        expected = [k for k in range(len(faces) + 1000) if rec.start <= k * 48000 // 60 < rec.end]
        assert [f.frame for f in faces if f.utt == rec.utt] == expected
        values = np.array([f.values for f in faces if f.utt == rec.utt])
        assert values[:, CHANNEL_INDEX["jawOpen"]].max() > 0.2
        assert lips_shut(values).any()
    finally:
        d.stop()


def test_eval_compares_rules_and_rfm_offline_and_live_on_the_same_takes(tiny_corpus, capsys, tmp_path):
    from faceplex.bridge.cli import main

    assert main(["eval", str(tiny_corpus), "--seeds", "2", "--json", str(tmp_path / "eval.json")]) == 0
    out = capsys.readouterr().out
    assert "| rules | rules audio-only | rfm offline | rfm live | rfm audio-only offline | rfm audio-only live |" in out
    assert "p/b/m held shut >= 2 frames" in out and "graph calls per commit" in out
    summary = json.loads((tmp_path / "eval.json").read_text())
    assert summary["takes"] == 3 and summary["pbm_phones"] > 0   # from PocketSphinx's alignment of the audio
    rules, live = summary["backends"]["rules"], summary["backends"]["rfm live"]
    assert rules["pbm_held"] > 0.5 and live["graph_calls_per_commit"] <= 1.1
    assert summary["backends"]["rfm offline"]["variety_upper"] > 0
    with pytest.raises(SystemExit) as exc:   # one-line error, no traceback
        main(["eval", str(tiny_corpus), "--backends", "rules,nonsense"])
    assert exc.value.code == 2 and "unknown backend" in capsys.readouterr().err


# ----------------------------------------------------------------------------- live = trained
def _drive(anim, seconds, clauses=(), partner=None, lead_frames=9, mic_chunk=320, fps=60):
    """Drive ``anim`` as the daemon does, in order, with no clock: at session frame ``n`` the media
    clock is ``n - lead_frames``; the mic has delivered the partner up to the clock (``mic_chunk``
    samples at 16 kHz per chunk) and each clause ``(chunk, start_s, placed_s)`` is placed once the
    clock passes ``placed_s``. Returns the frames."""
    out, sent, pending = [], 0, sorted(clauses, key=lambda c: c[2])
    for n in range(int(seconds * fps)):
        clock_s = (n - lead_frames) / fps
        while pending and pending[0][2] <= clock_s:
            ch, start, _ = pending.pop(0)
            anim.add_speech(ch, start)
        if partner is not None:
            while (sent + mic_chunk) / 16000 <= clock_s and sent < partner.shape[0]:
                anim.add_partner_audio(partner[sent:sent + mic_chunk], sent / 16000)
                sent += mic_chunk
        out.append(anim.frames(n, 1))
    return np.concatenate(out)


def _partner16k(text="Did you bring the map? Could you pass me the bread?"):
    from faceplex.models.rfm.features import to_16k

    ch = _clause(text)
    return to_16k(ch.audio, ch.sample_rate)


def test_live_mic_never_replans_and_per_session_state_stays_bounded():
    partner = np.tile(np.concatenate([_partner16k(), np.zeros(8000, np.float32)]), 4)
    ch = _clause()
    dur = ch.num_samples / ch.sample_rate
    clauses = [(ch, t, t - 0.6) for t in (2.0, 2.0 + dur, 8.0)]   # placed 0.6 s before they play
    anim = RfmAnimator(60, seed=0)
    sizes = []

    def probe(seconds):
        return _drive(anim, seconds, clauses, partner)

    f = probe(14.0)
    sizes.append(anim.state_size())
    assert anim.stats["replans"] == 0   # 700 mic chunks and 3 clauses placed ahead: no re-plan
    assert anim.graph_calls <= 1.1 * anim.stats["commits"]
    s = anim.state_size()
    assert s["partner_parts"] <= 60 and s["own_parts"] <= 3 and s["phones"] <= 80 and s["out"] <= 8
    assert f[int(2.1 * 60):int((2 + dur) * 60), CHANNEL_INDEX["jawOpen"]].max() > 0.15
    # speech that lands under the queue (at the next frame) re-plans once, never revising sent frames
    b = RfmAnimator(60, seed=0)
    first = b.frames(0, 30)
    b.add_speech(ch, 30 / 60)
    again = b.frames(0, 30)
    assert b.stats["replans"] == 1
    np.testing.assert_array_equal(first[-1], b.frames(29, 1)[0])
    assert again.shape == first.shape


def test_partner_is_causal_with_the_vad_state_as_listening_flag():
    anim = RfmAnimator(60, seed=0)
    p = _partner16k()[:16000]
    anim.add_partner_audio(p, 0.0)              # the mic has delivered 1.0 s
    anim.partner_vad("start", 0.5)
    frames = np.arange(0, 45)
    c = anim._cond(frames)
    known = c[:, spec.F_PARTNER_KNOWN]
    assert known[:30].min() == 1.0 and known[30:].max() == 0.0
    np.testing.assert_array_equal(c[30:, spec.PARTNER], np.repeat(anim._unknown_mel[None], 15, 0))
    assert c[:15, spec.F_LISTENING].max() == 0.0 and c[15:, spec.F_LISTENING].min() == 1.0   # open past the clock
    anim.partner_vad("stop", 0.8)
    c = anim._cond(frames)
    assert c[15:24, spec.F_LISTENING].min() == 1.0 and c[24:, spec.F_LISTENING].max() == 0.0
    assert anim.stats["replans"] == 0


def test_pool_batches_due_sessions_into_one_graph_call_and_matches_inline():
    from faceplex.models.rfm.animator import load_model
    from faceplex.models.rfm.pool import MotionPool

    ch = _clause()
    pool = MotionPool(load_model(), start=False)
    pooled = [RfmAnimator(60, seed=i, pool=pool) for i in range(8)]
    inline = [RfmAnimator(60, seed=i) for i in range(8)]
    for a in pooled + inline:
        a.add_speech(ch, 1.0)
    got = [[] for _ in pooled]
    for n in range(150):
        for k, a in enumerate(pooled):
            got[k].append(a.frames(n, 1))
        while pool.step():
            pass
    ref = [a.frames(0, 150) for a in inline]
    for k in range(8):
        np.testing.assert_allclose(np.concatenate(got[k]), ref[k], atol=2e-4)
    assert pool.stats["max_batch"] == 8
    assert pool.stats["session_calls"] >= 7 * pool.stats["graph_calls"]
    assert sum(a.stats["inline_commits"] for a in pooled) <= 8   # only each session's first commit
    assert pool.close(5.0)


def test_pool_close_joins_its_worker_and_sessions_go_on_inline():
    from faceplex.models.rfm.animator import load_model
    from faceplex.models.rfm.pool import MotionPool

    pool = MotionPool(load_model())
    a = RfmAnimator(30, seed=0, pool=pool)
    a.frames(0, 10)
    assert pool.close(10.0) and not pool._thread.is_alive() and a.pool is None
    with pytest.raises(RuntimeError):
        RfmAnimator(30, pool=pool)
    assert a.frames(10, 20).shape == (20, 59)


def test_rfm_exposes_lookahead_and_a_deterministic_mouth_temperature():
    from faceplex.models.face.visemes import MOUTH_INDEX
    from faceplex.models.rfm.animator import default_temperature

    assert RfmAnimator.lookahead_s == pytest.approx(0.4)
    t = default_temperature()
    assert (t[MOUTH_INDEX] == 0).all() and t[CHANNEL_INDEX["browInnerUp"]] == 1.0
    s = RollingSampler(lambda *a: a[0], seed=3, temperature=t)
    z = s.noise(5)
    assert (z[:, MOUTH_INDEX] == 0).all() and np.abs(z[:, CHANNEL_INDEX["headYaw"]]).max() > 0
    with pytest.raises(ValueError):
        RfmAnimator(60, character=spec.N_CHARACTERS)


# ----------------------------------------------------------------------------- real captures
def _write_app_csv(path, frames30, start="23:59:59:20"):
    """A Live Link Face CSV exactly as the iPhone app writes it: time-of-day timecode at the app's
    own 30 fps (this one crosses midnight), 61 values, rotations in radians with yaw and roll
    negated (names.LIVE_LINK_CSV_ROTATION_SIGN)."""
    import csv as _csv

    from faceplex.protocol.names import LIVE_LINK_CSV_ORDER, live_link_values

    hh, mm, ss, ff = (int(x) for x in start.split(":"))
    t0 = ((hh * 60 + mm) * 60 + ss) * 30 + ff
    with open(path, "w", newline="") as f:
        w = _csv.writer(f, lineterminator="\n")
        w.writerow(["Timecode", "BlendshapeCount", *LIVE_LINK_CSV_ORDER])
        for i, fr in enumerate(frames30):
            k = (t0 + i) % (86400 * 30)
            s_, f_ = divmod(k, 30)
            tc = f"{s_ // 3600:02d}:{s_ // 60 % 60:02d}:{s_ % 60:02d}:{f_:02d}.500"
            w.writerow([tc, 61, *(f"{v:.6f}" for v in live_link_values(fr, LIVE_LINK_CSV_ORDER, csv=True))])


def test_capture_take_in_the_apps_format_is_read_prepared_and_evaluated(tmp_path):
    import shutil
    import subprocess

    from faceplex.bridge.outputs.take import write_wav
    from faceplex.models.face.animator import FaceAnimator
    from faceplex.models.rfm.capture import read_take_csv
    from faceplex.models.rfm.data import load_corpus

    if shutil.which("ffmpeg") is None and not os.environ.get("CI"):
        pytest.skip("ffmpeg not installed")
    ch = _clause("Bob bought a big map of Bombay.")
    n = int((0.3 + ch.num_samples / ch.sample_rate + 0.3) * 30)
    fa = FaceAnimator(30, seed=4)
    fa.add_speech(ch, 0.3)
    frames = fa.frames(0, n)
    take = tmp_path / "actor" / "MySlate_3_iPhone"
    take.parent.mkdir()
    _write_app_csv(take.with_suffix(".csv"), frames)
    audio = np.concatenate([np.zeros(int(0.3 * ch.sample_rate), np.int16), ch.audio,
                            np.zeros(int(0.3 * ch.sample_rate), np.int16)])
    write_wav(tmp_path / "mic.wav", audio, ch.sample_rate)
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=black:s=64x64:r=30",
                    "-i", str(tmp_path / "mic.wav"), "-shortest", "-c:v", "mpeg4", "-c:a", "pcm_s16le",
                    str(take.with_suffix(".mov"))], check=True)
    take.with_suffix(".txt").write_text("Bob bought a big map of Bombay.")
    times, got, fps = read_take_csv(take.with_suffix(".csv"))
    assert fps == 30 and times[0] == 0.0 and np.all(np.diff(times) > 0)     # zeroed, across midnight
    assert abs(times[-1] - (n - 1) / 30) < 0.034
    np.testing.assert_allclose(got[:, 52:57], frames[:, 52:57], atol=1e-4)   # FacePlex radians back
    takes = load_corpus(tmp_path / "actor", use_cache=False)   # audio out of the .mov, phones written
    assert len(takes) == 1 and abs(takes[0].motion.shape[0] - n) <= 2
    ph = json.loads(take.with_suffix(".phonemes.json").read_text())
    assert ph["source"] == "pocketsphinx alignment"
    bil = [p for p in ph["phonemes"] if p["phoneme"] in ("b", "m")]
    assert len(bil) >= 4 and all(0.25 < p["start"] / ph["sample_rate"] < 0.3 + ch.num_samples / ch.sample_rate
                                 for p in bil)
    np.testing.assert_allclose(takes[0].motion[:, CHANNEL_INDEX["jawOpen"]][:n - 2],
                               frames[:n - 2, CHANNEL_INDEX["jawOpen"]], atol=1e-3)
    from faceplex.bridge.outputs.motion_eval import run_eval

    rep = run_eval(tmp_path / "actor", seeds=1, backends=("rules", "rfm offline"))["summary"]
    assert rep["takes"] == 1 and rep["pbm_phones"] >= 3 and rep["backends"]["rules"]["pbm_held"] > 0.5


@needs_torch
def test_train_init_from_the_shipped_trainable_checkpoint(tiny_corpus, tmp_path):
    import torch

    from faceplex.bridge.cli import main

    shipped = DEFAULT_MODEL.parent / "rfm.pt"
    assert shipped.exists() and shipped.stat().st_size <= 4 * 1024 * 1024
    assert main(["train", "--corpus", str(tiny_corpus), "-o", str(tmp_path / "ft"), "--steps", "2",
                 "--init", str(shipped), "--batch", "4", "--threads", "1", "--no-progress"]) == 0
    ck = torch.load(tmp_path / "ft" / "ckpt.pt", weights_only=False)
    base = torch.load(shipped, weights_only=False)
    assert ck["step"] == 2 and ck["net_config"] == base["net_config"]
    k = "out_norm.weight"
    assert torch.allclose(ck["model"][k], base["model"][k].float(), atol=0.05)   # started from it


def test_espeak_voices_give_exact_phone_timing_and_the_corpus_holds_out_voices_and_sentences(tmp_path):
    from faceplex.models.rfm import espeak
    from faceplex.models.rfm.corpus import (TRAIN_ESPEAK_VOICES, UNSEEN_ESPEAK_VOICES, UNSEEN_VARIANTS,
                                            heldout_sentence, make_corpus)

    a = espeak.synthesize("Bob bought a big map.", "en-us", "f3", rate=200, pitch=70)
    b = espeak.synthesize("Bob bought a big map.", "en-us", "f3", rate=200, pitch=70)
    # espeak-ng's output varies by a few samples from call to call (measured: 26389-26394 for this
    # line); the phone timing always belongs to the audio it came with
    assert a.sample_rate == 22050 and abs(a.num_samples - b.num_samples) < 0.002 * a.num_samples
    assert a.phonemes[0].start == 0 and a.phonemes[-1].end == a.num_samples       # phones tile the audio
    assert all(p.end == q.start for p, q in zip(a.phonemes, a.phonemes[1:]))
    assert [p.phoneme for p in a.phonemes if p.phoneme in ("b", "m", "p")] == ["b", "b", "b", "b", "m", "p"]
    slow = espeak.synthesize("Bob bought a big map.", "en-us", "f3", rate=120)
    assert slow.num_samples > 1.3 * a.num_samples
    assert not set(TRAIN_ESPEAK_VOICES) & set(UNSEEN_ESPEAK_VOICES)
    metas = make_corpus(tmp_path / "u", 3, seed=4, voices="unseen", split="heldout", augment=True, progress=False)
    for mt in metas:
        assert mt["voice"]["engine"] == "espeak" and mt["voice"]["voice"] in UNSEEN_ESPEAK_VOICES
        assert mt["voice"]["variant"] in UNSEEN_VARIANTS
        assert all(heldout_sentence(c["text"]) for c in mt["clauses"])
    tr = make_corpus(tmp_path / "t", 3, seed=4, voices="mixed", split="train", augment=True, progress=False,
                     articulation=True)
    leads = {mt["articulation"]["lead_s"] for mt in tr}
    assert len(leads) == 3 and all(0.0 <= x <= 0.04 for x in leads)   # a family of teacher styles
    assert not any(heldout_sentence(c["text"]) for mt in tr for c in mt["clauses"])
    again = make_corpus(tmp_path / "t2", 3, seed=4, voices="mixed", split="train", augment=True, progress=False,
                        articulation=True)
    assert [(m1["voice"], m1["augment"], m1["articulation"], [c["text"] for c in m1["clauses"]]) for m1 in tr] == \
        [(m2["voice"], m2["augment"], m2["articulation"], [c["text"] for c in m2["clauses"]]) for m2 in again]
