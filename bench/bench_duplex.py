"""Full-duplex bench: barge-in, turn and audio-driven face latencies against a real daemon.

Prints one JSON line at the end:
- ``barge_in_event_ms_p50/p95``: partner speech onset (the onset sample's capture time in the
  real-time mic stream) -> the ``interrupted`` event's arrival; ``barge_in_last_audio_ms_*``:
  onset -> arrival of the last audio chunk of the cut utterance (with ``min_interruption_ms`` as
  printed: the policy's own wait is part of the figure).
- ``turn_ms_p50/p95``: partner speech end -> first audio of a reply queued while the partner spoke
  (includes ``vad_silence_ms`` as printed).
- ``lipsync_face_ms_p50/p95``: a lipsync input chunk sent -> arrival of the face frames on its audio
  (includes the look-ahead and the lipsync pre-roll).

Usage: ``python bench/bench_duplex.py [--trials 8]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import DaemonProcess  # noqa: E402
from duplex_util import MicSim  # noqa: E402

from faceplex.bridge.client import FacePlexClient  # noqa: E402
from faceplex.models.speech.piper_voice import Voice  # noqa: E402
from faceplex.protocol import messages as m  # noqa: E402

LONG = ("Well, let me tell you about the old lighthouse on the northern cliffs. Every evening the keeper "
        "climbed the stairs, lit the great lamp and watched the ships pass by in the dark water below.")
PARTNERS = ["Wait, stop, I have a question.", "Hold on a moment.", "Sorry, what did you say?",
            "No no, that is not right.", "Excuse me, can I ask something?"]


def pct(xs, q):
    return round(float(np.percentile(xs, q)), 1) if xs else None


async def barge_in(url, trials, min_ms):
    ev_ms, last_ms = [], []
    for i in range(trials):
        client = FacePlexClient(url, sample_rate=48000, fps=60)
        await client.connect()
        await client.configure(min_interruption_ms=min_ms)
        mic = MicSim(client, echo_db=-20.0)
        at = 1.0 + 0.1 * (i % 5)
        line = mic.say_at(at, PARTNERS[i % len(PARTNERS)])
        utt, _ = await client.say(LONG)
        await client.wait_for(lambda x: isinstance(x, m.UtteranceStarted) and x.utt == utt)
        await mic.run(at + len(line) / 48000 + 0.3)
        await client.close()
        onset = mic.t_start + at
        ev = next((r for r in client.log if isinstance(r.msg, m.Interrupted)), None)
        if ev is None:
            continue
        last = max(r.t for r in client.log if isinstance(r.msg, m.Audio) and r.msg.utt == utt)
        ev_ms.append((ev.t - onset) * 1000)
        last_ms.append((last - onset) * 1000)
    return ev_ms, last_ms


async def turns(url, trials, silence_ms):
    out = []
    for i in range(trials):
        client = FacePlexClient(url, sample_rate=48000, fps=60)
        await client.connect()
        await client.configure(vad_silence_ms=silence_ms)
        mic = MicSim(client)
        line = mic.say_at(0.3, PARTNERS[i % len(PARTNERS)])
        end = 0.3 + len(line) / 48000
        task = asyncio.ensure_future(mic.run(end + 1.5))
        await asyncio.sleep(0.6)
        utt, _ = await client.say("Of course, go ahead.")   # queued while the partner speaks
        await task
        await client.close()
        first = next((r.t for r in client.log if isinstance(r.msg, m.Audio) and r.msg.utt == utt), None)
        if first is not None:
            # speech end: the last sample above the onset threshold of the line
            tail = np.flatnonzero(np.abs(line) > 0.02)[-1] / 48000
            out.append((first - (mic.t_start + 0.3 + tail)) * 1000)
    return out


async def lipsync(url, seconds=6.0):
    voice = Voice.default()
    audio = np.concatenate([c.audio for c in voice.synthesize(LONG, speed=0.95)])[: int(seconds * voice.sample_rate)]
    rate, sr = voice.sample_rate, 48000
    client = FacePlexClient(url, sample_rate=sr, fps=60)
    await client.connect()
    n = int(0.04 * rate)
    sent = []
    t0 = time.perf_counter()
    for k, i in enumerate(range(0, len(audio), n)):
        last = i + n >= len(audio)
        sent.append((i, i + n, time.perf_counter()))
        await client.send(m.Lipsync(utt="ext", sample_rate=rate, channels=1, pcm=audio[i:i + n].tobytes(),
                                    text=LONG if k == 0 else None, final=last))
        await asyncio.sleep(max(0.0, t0 + (k + 1) * 0.04 - time.perf_counter()))
    rec = await client.collect("ext", t0, timeout=60)
    await client.close()
    lat = []
    for s, item in zip(rec.frame_samples, [r for r in client.log if isinstance(r.msg, m.Face) and r.msg.utt == "ext"]):
        pos_in = (s - rec.start) * rate / sr
        k = min(int(pos_in // n), len(sent) - 1)
        lat.append((item.t - sent[k][2]) * 1000)
    return lat


async def main_async(args):
    d = DaemonProcess()
    try:
        ev_ms, last_ms = await barge_in(d.url, args.trials, args.min_interruption_ms)
        turn_ms = await turns(d.url, max(3, args.trials // 2), args.vad_silence_ms)
        face_ms = await lipsync(d.url)
    finally:
        d.stop()
    return {
        "bench": "duplex", "trials": args.trials, "min_interruption_ms": args.min_interruption_ms,
        "barge_in_event_ms_p50": pct(ev_ms, 50), "barge_in_event_ms_p95": pct(ev_ms, 95),
        "barge_in_last_audio_ms_p50": pct(last_ms, 50), "barge_in_last_audio_ms_p95": pct(last_ms, 95),
        "barge_in_detected": len(ev_ms),
        "vad_silence_ms": args.vad_silence_ms, "turn_ms_p50": pct(turn_ms, 50), "turn_ms_p95": pct(turn_ms, 95),
        "lipsync_lookahead_ms": 200, "lipsync_face_ms_p50": pct(face_ms, 50), "lipsync_face_ms_p95": pct(face_ms, 95),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--min-interruption-ms", type=int, default=0)
    ap.add_argument("--vad-silence-ms", type=int, default=200)
    print(json.dumps(asyncio.run(main_async(ap.parse_args()))))


if __name__ == "__main__":
    main()
