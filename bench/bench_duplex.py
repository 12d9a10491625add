"""Full-duplex bench: barge-in, turn and audio-driven face latencies against a real daemon.

Prints one JSON line at the end:
- barge-in, run twice: with the default ``min_interruption_ms`` (400; keys ``barge_in_min400_*``)
  and with 0 (``barge_in_min0_*``). ``event_ms``: partner speech onset (the onset sample's
  capture time in the real-time mic stream, 32 ms chunks sent as captured) -> the
  ``interrupted`` event's arrival; ``last_audio_ms``: onset -> arrival of the last audio chunk of
  the cut utterance. Both include ``min_interruption_ms`` by design (the partner must speak that
  long); ``detect_ms`` = event - onset - ``min_interruption_ms`` is the daemon's own part. The
  150 ms barge-in target refers to the min 0 run (= its detection latency). The avatar's own
  voice leaks into the mic at -20 dB throughout (the echo gate is active).
- ``turn_ms_p50/p95``: partner speech end -> first audio of a reply queued while the partner spoke
  (includes ``vad_silence_ms`` as printed).
- lip sync, both modes (a warm-up utterance with a transcript first loads the word
  decoders; the phone decoder loads when the daemon's first session opens): ``lipsync_accurate_*``
  (default 200 ms look-ahead, with the transcript: forced alignment, 0.6 s pre-roll) and
  ``lipsync_lowlat_*`` (40 ms look-ahead, no transcript: phone recognition). ``face_ms``: a
  lipsync input chunk sent (40 ms chunks at real time) -> arrival of the face frames on its audio;
  ``gap_ms``: silence the daemon inserted (returned audio - input audio).

Usage: ``python bench/bench_duplex.py [--trials 20]``
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


def barge_in_stats(ev_ms, last_ms, min_ms, trials):
    k = f"barge_in_min{min_ms}_"
    det = [e - min_ms for e in ev_ms]
    return {k + "event_ms_p50": pct(ev_ms, 50), k + "event_ms_p95": pct(ev_ms, 95),
            k + "last_audio_ms_p50": pct(last_ms, 50), k + "last_audio_ms_p95": pct(last_ms, 95),
            k + "detect_ms_p50": pct(det, 50), k + "detect_ms_p95": pct(det, 95),
            k + "detected": f"{len(ev_ms)}/{trials}"}


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


async def lipsync(url, lookahead_ms, text, seconds=6.0):
    voice = Voice.default()
    audio = np.concatenate([c.audio for c in voice.synthesize(LONG, speed=0.95)])[: int(seconds * voice.sample_rate)]
    rate, sr = voice.sample_rate, 48000
    client = FacePlexClient(url, sample_rate=sr, fps=60)
    await client.connect()
    await client.configure(lipsync_lookahead_ms=lookahead_ms)
    n = int(0.04 * rate)
    sent = []
    t0 = time.perf_counter()
    for k, i in enumerate(range(0, len(audio), n)):
        last = i + n >= len(audio)
        sent.append((i, i + n, time.perf_counter()))
        await client.send(m.Lipsync(utt="ext", sample_rate=rate, channels=1, pcm=audio[i:i + n].tobytes(),
                                    text=text if k == 0 else None, final=last))
        await asyncio.sleep(max(0.0, t0 + (k + 1) * 0.04 - time.perf_counter()))
    rec = await client.collect("ext", t0, timeout=60)
    await client.close()
    lat = []
    for s, item in zip(rec.frame_samples, [r for r in client.log if isinstance(r.msg, m.Face) and r.msg.utt == "ext"]):
        pos_in = (s - rec.start) * rate / sr
        k = min(int(pos_in // n), len(sent) - 1)
        lat.append((item.t - sent[k][2]) * 1000)
    gap_ms = (len(rec.audio) - len(audio) * sr / rate) * 1000 / sr
    return lat, gap_ms


async def main_async(args):
    d = DaemonProcess()
    out = {"bench": "duplex", "trials": args.trials, "loadavg_1m": float(open("/proc/loadavg").read().split()[0])}
    try:
        for min_ms in (400, 0):
            ev_ms, last_ms = await barge_in(d.url, args.trials, min_ms)
            out.update(barge_in_stats(ev_ms, last_ms, min_ms, args.trials))
        turn_ms = await turns(d.url, max(3, args.trials // 4), args.vad_silence_ms)
        out.update({"vad_silence_ms": args.vad_silence_ms, "turn_ms_p50": pct(turn_ms, 50),
                    "turn_ms_p95": pct(turn_ms, 95)})
        await lipsync(d.url, 200, LONG, seconds=1.0)       # warm-up: loads the word decoders
        for name, lookahead, text in (("accurate", 200, LONG), ("lowlat", 40, None)):
            face_ms, gap_ms = await lipsync(d.url, lookahead, text)
            out.update({f"lipsync_{name}_lookahead_ms": lookahead, f"lipsync_{name}_transcript": text is not None,
                        f"lipsync_{name}_face_ms_p50": pct(face_ms, 50), f"lipsync_{name}_face_ms_p95": pct(face_ms, 95),
                        f"lipsync_{name}_gap_ms": round(gap_ms, 1)})
    finally:
        d.stop()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--vad-silence-ms", type=int, default=200)
    print(json.dumps(asyncio.run(main_async(ap.parse_args()))))


if __name__ == "__main__":
    main()
