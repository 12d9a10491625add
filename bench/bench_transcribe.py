"""The player's words: end of speech -> final transcript, word error rate per backend, and a
speaking session beside a player who never stops talking (issue 22's figures).

A real daemon (``faceplex serve --port 0``); one session per backend streams recorded lines as
``mic`` in real time (32 ms chunks, as a microphone delivers them), 1.5 s of silence after each.
The lines are espeak-ng voices (``en-us+f3``, ``en-us+m3``, ``en-gb-x-rp``: SYNTHETIC voices that
FacePlex never uses) reading sentences of 2-6 s. Keys, side by side in one JSON line:

- ``{backend}_final_ms_p50/p95``: ``partner_speech_stopped`` arrival -> arrival of the final
  ``partner_transcript`` for the same stretch (interims are sent while the player speaks, so most
  of the line is read before the stop); ``{backend}_interims``: interims per line.
- ``{backend}_wer``: word error rate of the finals against the text spoken (lower-case words,
  punctuation dropped; Levenshtein over words / reference words) on those synthetic voices.
- with ``--load``: the tiny.en run again beside ``stress-ng --cpu 2 --cpu-load 50``
  (``loaded_*``, and the loaded/idle p95 ratio).
- ``final_compute_ms_*``: the final's reading alone, in the bench process at nice 0 (what bounds
  the latency on a quiet machine), beside the same final with the committed prefix and
  faster-whisper's own 30 s-window ``transcribe()`` (what the shortened encoder saves).
- ``talker_*`` (``--pairs`` alternating runs): a session says a 10 s line alone (control) and again while another session's
  player talks without a pause (lines back to back, transcription on, interims flowing):
  its worst audio lateness against a 100 ms pre-roll and the silence the daemon inserted
  (received audio length minus the control's; the same text and seed give the same length).

Usage: ``python bench/bench_transcribe.py [--lines 18] [--load]``. Figures taken on a busy
shared machine are only indicative (``loadavg_1m`` is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soxr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import DaemonProcess  # noqa: E402
from duplex_util import MicSim  # noqa: E402
from transcribe_util import espeak  # noqa: E402

from faceplex.bridge.client import FacePlexClient  # noqa: E402
from faceplex.protocol import messages as m  # noqa: E402

SENTENCES = [
    "Open the north gate.",
    "Where did you hide the silver sword?",
    "I think the merchant lied to us about the price of the horses.",
    "Tell the captain that the bridge is out and we need another way across the river.",
    "Bring me three apples and a loaf of bread.",
    "The dragon sleeps in the cave beyond the frozen lake, so we should travel at night.",
]
VOICES = [("en-us+f3", 140), ("en-us+m3", 150), ("en-gb-x-rp", 145)]
VICTIM = ("Well, let me tell you about the old lighthouse on the northern cliffs. Every evening the keeper "
          "climbed the stairs and lit the great lamp.")
GAP_S = 1.5
RATE = 48000


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def wer(ref: list[str], hyp: list[str]) -> tuple[int, int]:
    """(edits, reference words): word-level Levenshtein distance."""
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)], len(ref)


def pct(xs, q):
    return round(float(np.percentile(xs, q)), 1) if xs else None


def lines(n: int) -> list[tuple[str, np.ndarray]]:
    out = []
    for k in range(n):
        text = SENTENCES[k % len(SENTENCES)]
        voice, rate = VOICES[(k // len(SENTENCES)) % len(VOICES)]
        x, sr = espeak(text, voice, rate)
        y = soxr.resample(x.astype(np.float32) / 32768.0, sr, RATE).astype(np.float32)
        on = np.flatnonzero(np.abs(y) > 0.01)
        out.append((text, y[on[0]:on[-1] + 1]))
    return out


async def run_backend(url: str, backend: str, items) -> dict:
    c = FacePlexClient(url, sample_rate=48000, fps=60, validate=False)
    await c.connect()
    await c.configure(transcription=backend)
    mic = MicSim(c, rate=RATE, playback=False)
    t = 0.5
    for _, x in items:
        mic.lines.append((t, x))
        t += len(x) / RATE + GAP_S
    await mic.run(t + 1.0)
    for _ in range(600):          # the last finals (bounded: 60 s)
        n_stops = sum(1 for r in c.log if isinstance(r.msg, m.PartnerSpeechStopped))
        n_finals = sum(1 for r in c.log if isinstance(r.msg, m.PartnerTranscript) and r.msg.final)
        if n_finals >= n_stops:
            break
        await asyncio.sleep(0.1)
    await c.close()
    stops = [r for r in c.log if isinstance(r.msg, m.PartnerSpeechStopped)]
    finals = [r for r in c.log if isinstance(r.msg, m.PartnerTranscript) and r.msg.final]
    interims = [r for r in c.log if isinstance(r.msg, m.PartnerTranscript) and not r.msg.final]
    lat = []
    for s in stops:
        f = next((f for f in finals if f.msg.end == s.msg.sample), None)
        if f is not None:
            lat.append(1000 * (f.t - s.t))
    edits = total = 0
    # finals in order, one per line when the VAD found each line as one stretch
    heard = " ".join(f.msg.text for f in finals)
    e, n = wer(words(" ".join(t for t, _ in items)), words(heard))
    edits, total = e, n
    return {f"{backend}_final_ms_p50": pct(lat, 50), f"{backend}_final_ms_p95": pct(lat, 95),
            f"{backend}_final_ms_max": round(max(lat), 1) if lat else None,
            f"{backend}_lines": len(items), f"{backend}_stops": len(stops), f"{backend}_finals": len(finals),
            f"{backend}_interims_per_line": round(len(interims) / max(1, len(items)), 2),
            f"{backend}_wer": round(edits / max(1, total), 3)}


def offline_compute(items) -> dict:
    """The reading the final needs, in this process at nice 0 (what bounds the latency on a quiet
    machine): each line through a TranscriptStream with the real VAD's turns and its interims, the
    final read as the daemon reads it (the whole segment, ``final_compute``), beside it the same
    final with the interims' committed words forced as a prefix (``commit=True``) and
    faster-whisper's own ``transcribe()`` (30 s window)."""
    from faceplex.models.asr import models
    from faceplex.models.asr.stream import TranscriptStream
    from faceplex.models.asr.whisper import WhisperEngine
    from faceplex.models.audio.vad import SileroVad, VadSegmenter

    if models.TINY_EN not in models.installed():
        return {}
    eng = WhisperEngine(models.tiny_en_dir(), models.TINY_EN)
    fin, scratch, window = [], [], []
    for _, x in items:
        x16 = soxr.resample(x, RATE, 16000).astype(np.float32)
        x16 = np.concatenate([np.zeros(8000, np.float32), x16, np.zeros(16000, np.float32)])
        st, vad, seg = TranscriptStream(16000, commit=True), SileroVad(), VadSegmenter()
        for i in range(0, len(x16), 512):
            chunk = x16[i:i + 512]
            st.audio(chunk, i)
            for k, p in enumerate(vad.push(chunk)):
                for kind, w in seg.step(vad.windows - 1, float(p)):
                    (st.speech_started if kind == "start" else st.speech_stopped)(w * 512)
            job = st.next_job("tiny.en", "en")
            if job is None:
                continue
            t = time.perf_counter()
            h = eng.transcribe(job.audio, prefix=job.prefix, words=job.final)
            dt = time.perf_counter() - t
            st.finish(job, h)
            if job.final:
                fin.append(1000 * dt)
                t = time.perf_counter()
                eng.transcribe(job.audio, words=True)
                scratch.append(1000 * (time.perf_counter() - t))
                t = time.perf_counter()
                list(eng._m.transcribe(job.audio, language="en", beam_size=1, word_timestamps=True)[0])
                window.append(1000 * (time.perf_counter() - t))
    return {"final_with_prefix_ms_p50": pct(fin, 50), "final_with_prefix_ms_p95": pct(fin, 95),
            "final_compute_ms_p50": pct(scratch, 50), "final_compute_ms_p95": pct(scratch, 95),
            "final_30s_window_ms_p50": pct(window, 50), "final_30s_window_ms_p95": pct(window, 95)}


async def victim(url: str, talker=None) -> dict:
    v = FacePlexClient(url, sample_rate=48000, fps=60, validate=False)
    await v.connect()
    task = None
    if talker is not None:
        task = asyncio.ensure_future(talker())
        await asyncio.sleep(2.0)          # the talker's interims are flowing
    utt, t = await v.say(VICTIM)
    rec = await v.collect(utt, t, timeout=120)
    if task is not None:
        await task
    await v.close()
    chunks = [r for r in v.log if isinstance(r.msg, m.Audio) and r.msg.utt == utt]
    sr = v.welcome.audio.sample_rate
    t0 = chunks[0].t + 0.1
    late = max(r.t - (t0 + (r.msg.sample - chunks[0].msg.sample) / sr) for r in chunks)
    return {"late_ms": round(1000 * late, 1), "samples": int(len(rec.audio)), "sr": sr}


async def talker(url: str, items, seconds: float) -> int:
    c = FacePlexClient(url, sample_rate=48000, fps=60, validate=False)
    await c.connect()
    mic = MicSim(c, rate=RATE, playback=False)
    t = 0.2
    while t < seconds:
        for _, x in items:
            mic.lines.append((t, x))
            t += len(x) / RATE + 0.05
    await mic.run(seconds)
    await c.close()
    return sum(1 for r in c.log if isinstance(r.msg, m.PartnerTranscript))


async def main_async(args) -> dict:
    d = DaemonProcess()
    out = {"bench": "transcribe", "voices": "synthetic (espeak-ng: " + ", ".join(v for v, _ in VOICES) + ")",
           "features": d.ready.get("features"), "loadavg_1m": float(open("/proc/loadavg").read().split()[0])}
    try:
        items = lines(args.lines)
        out["line_s"] = [round(len(x) / RATE, 2) for _, x in items]
        feat = (d.ready.get("features") or {}).get("transcription", {})
        backends = [b for b in feat.get("models", []) + [feat.get("fallback") or "pocketsphinx"]
                    if not args.backends or b in args.backends.split(",")]
        for b in backends:
            out.update(await run_backend(d.url, b, items))
        if args.load:
            stress = subprocess.Popen(["stress-ng", "--cpu", "2", "--cpu-load", "50", "--timeout", "600"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                await asyncio.sleep(1.0)
                loaded = await run_backend(d.url, backends[0], items)
            finally:
                stress.terminate()
                stress.wait()
            out.update({f"loaded_{k}": v for k, v in loaded.items()})
            k = f"{backends[0]}_final_ms_p95"
            if out.get(k) and loaded.get(k):
                out["loaded_over_idle_p95"] = round(loaded[k] / out[k], 2)
        n_transcripts, ctl, bes, sil = [], [], [], []

        async def talk():
            n_transcripts.append(await talker(d.url, items, 14.0))

        for _ in range(args.pairs):       # alternating: a busy machine drifts between runs
            control = await victim(d.url)
            beside = await victim(d.url, talk)
            ctl.append(control["late_ms"])
            bes.append(beside["late_ms"])
            sil.append(round(1000 * (beside["samples"] - control["samples"]) / control["sr"], 1))
        out.update({"talker_control_late_ms": ctl, "talker_beside_late_ms": bes,
                    "talker_inserted_silence_ms": sil, "talker_transcripts": n_transcripts})
    finally:
        d.stop()
    out.update(offline_compute(items))
    out["loadavg_1m_end"] = float(open("/proc/loadavg").read().split()[0])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=18, help="lines per backend (6 sentences x 3 voices)")
    ap.add_argument("--load", action="store_true", help="also beside stress-ng --cpu 2 --cpu-load 50")
    ap.add_argument("--pairs", type=int, default=3, help="control / beside-a-talker runs of the speaking session")
    ap.add_argument("--backends", default="", help="comma-separated subset, e.g. tiny.en (default: all installed)")
    args = ap.parse_args()
    print(json.dumps(asyncio.run(main_async(args))), flush=True)


if __name__ == "__main__":
    main()
