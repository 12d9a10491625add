"""Benchmark of the cast: Kokoro voices through a real daemon, beside plain one-pass kokoro-onnx.

Prints progress lines, then ONE JSON line with, side by side in one run:
- say -> first audio p50/p95 (ms) for a Kokoro voice on ``bench_daemon``'s sentences (each twice),
  over a real loopback WebSocket, and plain kokoro-onnx 0.6.1 (``Kokoro.create``, one pass, the
  same model file, voice, thread count) p50/p95 to its (only) audio on the same lines, and the
  ratio (issue 19's target: FacePlex p95 <= 0.3 x plain);
- the Kokoro voice's real-time factor here (synthesis s / audio s, ``--threads`` threads);
- the largest number of sessions speaking Kokoro lines at once with no silence inserted by the
  daemon (1, 2, 3, ... until one inserts), and say -> first audio p95 at each count;
- the daemon's resident memory (VmRSS) with the cast loaded and 20 sessions open, each having
  spoken one Kokoro line;
- the machine's load average before the run (figures from a busy shared machine are not targets).

``--load PCT`` runs the latency part again beside ``stress-ng --cpu 2 --cpu-load PCT``.

Usage: nice -n 19 python bench/bench_voices.py [--voice af_bella] [--threads 2] [--max-sessions 6] [--lines 36] [--load 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from bench_daemon import LINES, SENTENCES, _inserted, pct, rss_mb, start_load  # noqa: E402
from conftest import DaemonProcess  # noqa: E402

from faceplex.bridge.client import FacePlexClient  # noqa: E402
from faceplex.models.speech.cast_install import MODEL_FILE, find_cast  # noqa: E402
from faceplex.models.speech.catalog import open_registry  # noqa: E402


async def latency_run(url: str, voice: str, lines: int) -> tuple[list[float], float]:
    """say -> first audio (ms) per line, and silence the daemon inserted (ms) over all lines."""
    out, inserted = [], 0
    async with FacePlexClient(url, sample_rate=48000, fps=60) as client:
        await asyncio.sleep(0.3)
        for i in range(lines):
            rec = await client.speak(SENTENCES[i % len(SENTENCES)], voice=voice)
            assert rec.outcome == "finished", rec.errors
            out.append((rec.t_first_audio - rec.t_say) * 1000)
            inserted += _inserted(client, rec.utt)
            await asyncio.sleep(0.1)
    return out, inserted / 48.0


def plain_kokoro_ms(texts, voice: str, threads: int) -> list[float]:
    """kokoro-onnx as a user runs it: ``Kokoro.create`` (one pass, returns all the audio), the
    same assembled model and voice, ``threads`` intra-op threads; ms per text."""
    import onnxruntime
    from kokoro_onnx import Kokoro

    cast = find_cast()
    style = np.fromfile(cast / "voices" / f"{voice}.bin", dtype=np.float32).reshape(510, 1, 256)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    sess = onnxruntime.InferenceSession(str(cast / MODEL_FILE), sess_options=options, providers=["CPUExecutionProvider"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "voices.npz"
        np.savez(path, **{voice: style})
        kokoro = Kokoro.from_session(sess, str(path))
    lang = {"a": "en-us", "b": "en-gb"}.get(voice[0], "en-us")
    kokoro.create("Warm up.", voice=voice, lang=lang)
    out = []
    for text in texts:
        t = time.perf_counter()
        kokoro.create(text, voice=voice, lang=lang)
        out.append((time.perf_counter() - t) * 1000)
    return out


def kokoro_rtf(voice_id: str, threads: int) -> float:
    reg = open_registry()
    reg._threads, reg._wide = threads, 0
    voice = reg[voice_id]
    list(voice.synthesize("Warm up."))
    t_synth = t_audio = 0.0
    for text in SENTENCES[:8]:
        t = time.perf_counter()
        chunks = list(voice.synthesize(text))
        t_synth += time.perf_counter() - t
        t_audio += sum(c.num_samples for c in chunks) / voice.sample_rate
    return round(t_synth / t_audio, 3)


async def sessions_run(url: str, n: int, voice: str) -> tuple[float, list[float]]:
    """N sessions say a two-sentence line at once; (inserted silence ms, first audio ms list)."""
    clients = [FacePlexClient(url, sample_rate=48000, fps=60, validate=False) for _ in range(n)]
    await asyncio.gather(*(c.connect() for c in clients))
    try:
        recs = await asyncio.gather(*(c.speak(SENTENCES[(i * 5) % len(SENTENCES)] + " " + SENTENCES[(i * 7 + 3) % len(SENTENCES)],
                                              voice=voice) for i, c in enumerate(clients)))
        inserted = sum(_inserted(c, r.utt) for c, r in zip(clients, recs)) / 48.0
        return inserted, [(r.t_first_audio - r.t_say) * 1000 for r in recs]
    finally:
        await asyncio.gather(*(c.close() for c in clients))


async def memory_with_sessions(url: str, pid: int, voice: str, n: int = 20) -> float:
    clients = [FacePlexClient(url, validate=False) for _ in range(n)]
    await asyncio.gather(*(c.connect() for c in clients))
    for c in clients:  # one at a time: the figure is memory, not contention
        await c.speak("Memory check.", voice=voice)
    mb = rss_mb(pid)
    await asyncio.gather(*(c.close() for c in clients))
    return round(mb, 1)


async def latency_pass(url: str, args) -> dict:
    lines = [SENTENCES[i % len(SENTENCES)] for i in range(args.lines)]
    ours, inserted = await latency_run(url, args.voice, args.lines)
    plain = plain_kokoro_ms(lines, args.voice, args.threads)
    p95, plain95 = pct(ours, 95), pct(plain, 95)
    return {"say_to_first_audio_ms": {"p50": pct(ours, 50), "p95": p95},
            "plain_kokoro_onnx_ms": {"p50": pct(plain, 50), "p95": plain95},
            "p95_vs_plain": round(p95 / plain95, 2) if plain95 else None,
            "inserted_silence_ms": round(inserted, 1)}


async def main_async(args) -> dict:
    if find_cast() is None:
        raise SystemExit('bench_voices: the cast is not installed (pip install -e ".[cast]" && faceplex install-cast)')
    result = {"bench": "voices", "voice": args.voice, "threads": args.threads,
              "loadavg_before": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}
    daemon = DaemonProcess()
    try:
        print("latency (idle)", file=sys.stderr)
        result["idle"] = await latency_pass(daemon.url, args)
        print("sessions", file=sys.stderr)
        sessions, best = {}, 0
        for n in range(1, args.max_sessions + 1):
            inserted, first = await sessions_run(daemon.url, n, args.voice)
            sessions[n] = {"inserted_ms": round(inserted, 1), "first_audio_p95_ms": pct(first, 95)}
            if inserted > 0:
                break
            best = n
        result["max_sessions_no_inserted_silence"] = best
        result["sessions"] = sessions
        print("memory", file=sys.stderr)
        result["rss_mb_cast_20_sessions"] = await memory_with_sessions(daemon.url, daemon.proc.pid, args.voice)
        if args.load is not None:
            print(f"latency beside stress-ng --cpu 2 --cpu-load {args.load}", file=sys.stderr)
            load = start_load(args.load)
            try:
                time.sleep(2.0)
                result["loaded"] = await latency_pass(daemon.url, args)
            finally:
                load.terminate()
                load.wait(10)
            idle95, loaded95 = result["idle"]["say_to_first_audio_ms"]["p95"], result["loaded"]["say_to_first_audio_ms"]["p95"]
            result["loaded_vs_idle_p95"] = round(loaded95 / idle95, 2) if idle95 else None
    finally:
        daemon.stop()
    result["kokoro_rtf"] = kokoro_rtf(args.voice, args.threads)
    result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voice", default="af_bella", help="a Kokoro English voice (default af_bella)")
    parser.add_argument("--threads", type=int, default=2, help="plain kokoro-onnx's and the RTF's intra-op threads (the daemon's wide width)")
    parser.add_argument("--max-sessions", type=int, default=6)
    parser.add_argument("--lines", type=int, default=LINES, help=f"lines per latency pass (default {LINES}: each sentence twice)")
    parser.add_argument("--load", type=int, metavar="PCT", default=None)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
