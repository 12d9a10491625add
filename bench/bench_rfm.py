"""Benchmark of the RFM motion backend (the shipped ONNX model). Prints ONE JSON line with:

- motion compute per committed frame (onnxruntime, 1 intra-op thread, CPU): p50/p95 ms of a
  regular commit (features + commit graph + post-processing) divided by its SLOT frames, and the
  cost of a queue re-plan (K-1 warm-up calls + one commit) that follows new speech;
- the daemon's way: 8 sessions in one :class:`MotionPool`, each round one batched graph call for
  all 8 -- CPU (thread time, 1 thread) per committed internal frame per session, p50/p95, and its
  ratio to the unbatched figure measured in the same run (target <= 1 ms);
- the look-ahead (K x slot) and the first-pair latency it implies: the motion queue needs
  ``K x slot`` ms of placed audio before the first frame of a clause commits; our voice delivers a
  whole clause at once, so the wait is synthesis of the first clause + one re-plan;
- say -> first audio chunk and first speech face frame, p50/p95 ms, with a real daemon
  ``faceplex serve --motion rfm`` over loopback (the pair goes out together);
- from the eval (:mod:`faceplex.bridge.outputs.motion_eval`) on held-out takes (``--heldout DIR``, else 8
  takes generated with seed 1): p/b/m held shut (rules vs rfm live), listening motion live /
  offline, frozen windows, graph calls per commit live.

Usage: python bench/bench_rfm.py [--lines 20] [--heldout DIR] [--skip-daemon]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import DaemonProcess  # noqa: E402

from faceplex.models.rfm import spec  # noqa: E402
from faceplex.models.rfm.animator import RfmAnimator  # noqa: E402

SENTENCES = ["Hello there.", "Where are you going?", "The bridge is closed today.", "Pick up the map, and meet me by the gate.",
             "Keep your voice down, the guards are near.", "Welcome back, traveller!", "We leave at dawn.",
             "Could you bring me three apples from the market?", "That sword belonged to my father.", "Maybe."]


def pct(v, q):
    return round(float(np.percentile(v, q)), 3) if len(v) else None


def pool_bench(sessions: int = 8, rounds: int = 60):
    """CPU ms per committed internal frame per session, 8 sessions batched in one graph call."""
    from faceplex.models.rfm.animator import load_model
    from faceplex.models.rfm.corpus import synthesize_exact
    from faceplex.models.rfm.pool import MotionPool
    from faceplex.models.speech.piper_voice import Voice

    voice = Voice.default()
    chunks = [synthesize_exact(voice, s)[0] for s in SENTENCES[:4]]
    pool = MotionPool(load_model(threads=1), start=False)
    anims = [RfmAnimator(60, seed=i, pool=pool) for i in range(sessions)]
    for k, a in enumerate(anims):
        pos = 0.3
        for ch in chunks[k % 4:] + chunks[:k % 4]:
            a.add_speech(ch, pos)
            pos += ch.num_samples / ch.sample_rate + 0.2
        a.frames(0, 1)
    per, frame = [], 1
    for _ in range(rounds):
        for a in anims:   # the producers take their next frames; every session becomes due together
            a.frames(frame, 6)
        frame += 6
        t = time.thread_time()
        done = 0
        while True:
            n = pool.step()
            if not n:
                break
            done += n
        if done:
            per.append((time.thread_time() - t) * 1000.0 / (done * spec.SLOT))   # one session call = one slot
    inline = sum(a.stats["inline_commits"] for a in anims)
    pool.close(1.0)
    return per, pool.stats, inline


def compute_bench(seconds: float = 20.0):
    from faceplex.models.rfm.corpus import synthesize_exact
    from faceplex.models.speech.piper_voice import Voice

    voice = Voice.default()
    chunks = [synthesize_exact(voice, s)[0] for s in SENTENCES]
    anim = RfmAnimator(60, seed=0, threads=1)
    pos, per_frame, replans = 0.5, [], []
    for ch in chunks:
        anim.add_speech(ch, pos)
        pos += ch.num_samples / ch.sample_rate + 0.3
    anim.frames(0, 1)  # first commit (warm-up) out of the timing
    n_int = int(min(pos, seconds) * spec.FPS)
    for i in range(anim._sampler.committed_frames, n_int, spec.SLOT):
        t = time.thread_time()   # CPU of this thread (onnxruntime runs the graph on it with 1 thread)
        anim._ensure(i)
        per_frame.append((time.thread_time() - t) * 1000.0 / spec.SLOT)
    # re-plan cost: new speech arrives under the queue
    for k in range(20):
        at = (anim._sampler.committed_frames + 1) / spec.FPS
        anim.add_speech(chunks[k % len(chunks)], at)
        t = time.thread_time()
        anim._ensure(anim._sampler.committed_frames)
        replans.append((time.thread_time() - t) * 1000.0)
    return per_frame, replans


async def latency_run(url: str, lines: int):
    from faceplex.bridge.client import FacePlexClient

    audio_ms, face_ms = [], []
    async with FacePlexClient(url, sample_rate=48000, fps=60) as client:
        await asyncio.sleep(0.3)
        for i in range(lines):
            rec = await client.speak(SENTENCES[i % len(SENTENCES)])
            assert rec.outcome == "finished", rec.errors
            audio_ms.append((rec.t_first_audio - rec.t_say) * 1000)
            face_ms.append((rec.t_first_face - rec.t_say) * 1000)
            await asyncio.sleep(0.1)
    return audio_ms, face_ms


def eval_figures(heldout: Path | None):
    from faceplex.bridge.outputs.motion_eval import run_eval

    if heldout is None:
        from faceplex.models.rfm.corpus import make_corpus

        heldout = Path(tempfile.mkdtemp(prefix="rfm-bench-"))
        make_corpus(heldout, 8, seed=1, progress=False)
    r = run_eval(heldout, seeds=1, limit=8, backends=("rules", "rfm offline", "rfm live"))["summary"]
    s = r["backends"]
    return {"pbm_held_rules": s["rules"]["pbm_held"], "pbm_held_rfm_live": s["rfm live"]["pbm_held"],
            "pbm_phones": r["pbm_phones"], "listening_frozen_frac_live": s["rfm live"]["listen_frozen_frac"],
            "listen_live_over_offline": (s["rfm live"]["listen_upper_speed"] / s["rfm offline"]["listen_upper_speed"]
                                         if s["rfm offline"]["listen_upper_speed"] else None),
            "graph_calls_per_commit_live": s["rfm live"]["graph_calls_per_commit"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=20)
    ap.add_argument("--heldout", type=Path, default=None)
    ap.add_argument("--skip-daemon", action="store_true", help="skip the say -> first pair latency run")
    args = ap.parse_args()
    per_frame, replans = compute_bench()
    print(f"compute: {len(per_frame)} commits", file=sys.stderr)
    pooled, pstats, inline = pool_bench()
    print(f"pool: {pstats}", file=sys.stderr)
    audio_ms, face_ms = [], []
    if not args.skip_daemon:
        daemon = DaemonProcess("--motion", "rfm")
        try:
            audio_ms, face_ms = asyncio.run(latency_run(daemon.url, args.lines))
        finally:
            daemon.stop()
    print(f"latency: {len(audio_ms)} lines", file=sys.stderr)
    ev = eval_figures(args.heldout)
    pair = [max(a, f) for a, f in zip(audio_ms, face_ms)]
    print(json.dumps({
        "bench": "rfm", "model": "models/rfm/weights/rfm.onnx", "threads": 1, "provider": "CPUExecutionProvider",
        "internal_fps": spec.FPS, "slot_ms": round(spec.slot_ms(), 1), "k_slots": spec.K,
        "look_ahead_ms": round(spec.look_ahead_ms(), 1), "steps_per_commit": spec.STEPS,
        "compute_per_frame_ms_p50": pct(per_frame, 50), "compute_per_frame_ms_p95": pct(per_frame, 95),
        "replan_ms_p50": pct(replans, 50), "replan_ms_p95": pct(replans, 95),
        "batched8_cpu_per_frame_per_session_ms_p50": pct(pooled, 50),
        "batched8_cpu_per_frame_per_session_ms_p95": pct(pooled, 95),
        "batched8_over_unbatched_p50": (round(pct(pooled, 50) / pct(per_frame, 50), 3)
                                        if pooled and per_frame else None),
        "batched8_graph_calls": pstats["graph_calls"], "batched8_session_calls": pstats["session_calls"],
        "batched8_inline_commits": inline,
        "say_to_first_audio_ms_p50": pct(audio_ms, 50), "say_to_first_audio_ms_p95": pct(audio_ms, 95),
        "say_to_first_face_ms_p50": pct(face_ms, 50), "say_to_first_face_ms_p95": pct(face_ms, 95),
        "say_to_first_pair_ms_p95": pct(pair, 95),
        **ev,
    }))


if __name__ == "__main__":
    main()
