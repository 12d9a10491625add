"""Does lip-sync analysis freeze other sessions? (issue 14's figures, after the change.)

A real daemon (``faceplex serve --port 0``). A probe session sends ``ping`` every 10 ms; the
longest ping round trip minus the control period's median is how long the daemon's event loop
was blocked. Periods, side by side in one run:

- ``idle``: nothing else happens (control);
- ``first_text_lipsync``: the first ``lipsync`` with a transcript (the word decoders' load used
  to happen here, on the loop: 0.95 s);
- ``recognition_20s``: 20 s of recorded speech sent as ``lipsync`` at once, no transcript
  (1.3 s before);
- ``alignment_20s``: the same with its transcript (1.2 s before).

Then a victim session speaks a line alone and again while another session sends a 10 s
recorded line as ``lipsync`` at once: its worst audio lateness with a 100 ms pre-roll (561 ms
underrun before) and its longest gap between face messages (700 ms before), control vs attack.

Prints ONE JSON line. Usage: python bench/bench_analysis.py
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import DaemonProcess  # noqa: E402
from test_isolation import ATTACK, VICTIM, _recorded_line  # noqa: E402

from faceplex.bridge.client import FacePlexClient  # noqa: E402
from faceplex.models.speech.piper_voice import Voice  # noqa: E402
from faceplex.protocol import messages as m  # noqa: E402


class Probe:
    def __init__(self, url):
        self.client = FacePlexClient(url, validate=False)
        self.rtts: list[tuple[float, float]] = []
        self._task = None

    async def start(self):
        await self.client.connect()
        self._task = asyncio.ensure_future(self._run())

    async def _run(self):
        k = 0
        while True:
            t = time.perf_counter()
            await self.client.send(m.Ping(id=f"p{k}", client_time_us=0))
            await self.client.wait_for(lambda x, k=k: isinstance(x, m.Pong) and x.reply_to == f"p{k}", timeout=30)
            self.rtts.append((t, time.perf_counter() - t))
            k += 1
            await asyncio.sleep(0.01)

    def worst(self, t0, t1):
        r = [d for t, d in self.rtts if t0 <= t <= t1]
        return max(r) if r else None, float(np.median(r)) if r else None


async def lipsync_at_once(url, audio, rate, text, utt="x"):
    c = FacePlexClient(url, validate=False)
    await c.connect()
    n = int(rate * 0.04)
    for k, i in enumerate(range(0, len(audio), n)):
        await c.send(m.Lipsync(utt=utt, sample_rate=rate, channels=1, pcm=audio[i:i + n].astype("<i2").tobytes(),
                               text=text if k == 0 else None, final=i + n >= len(audio)))
    await c.collect(utt, 0.0, timeout=240)
    await c.close()


async def victim(url, attack=None):
    v = FacePlexClient(url, validate=False)
    await v.connect()
    utt, t = await v.say(VICTIM)
    await v.wait_for(lambda x: isinstance(x, m.Audio) and x.utt == utt, timeout=60)
    task = asyncio.ensure_future(attack()) if attack else None
    await v.collect(utt, t, timeout=120)
    if task:
        await task
    await v.close()
    chunks = [r for r in v.log if isinstance(r.msg, m.Audio) and r.msg.utt == utt]
    faces = [r.t for r in v.log if isinstance(r.msg, m.Face) and r.msg.utt == utt]
    sr = v.welcome.audio.sample_rate
    t0 = chunks[0].t + 0.1
    late = max(r.t - (t0 + (r.msg.sample - chunks[0].msg.sample) / sr) for r in chunks)
    return {"late_ms": round(1000 * late, 1), "face_gap_ms": round(1000 * float(np.diff(faces).max()), 1)}


async def main():
    d = DaemonProcess()
    try:
        url = d.url
        audio, rate = _recorded_line()
        ten = audio[: 10 * rate]
        words = len(ATTACK.split())
        ten_text = " ".join(ATTACK.split()[: int(words * len(ten) / len(audio))])
        probe = Probe(url)
        await probe.start()
        out = {}
        t0 = time.perf_counter(); await asyncio.sleep(3.0); t1 = time.perf_counter()
        base_max, base_med = probe.worst(t0, t1)
        out["idle_ping_ms"] = {"max": round(1000 * base_max, 1), "median": round(1000 * base_med, 1)}
        short = np.concatenate([c.audio for c in Voice.default().synthesize("Maybe pop by my big map.", noise=False)])
        for name, (a, text) in {"first_text_lipsync": (short, "Maybe pop by my big map."),
                                "recognition_20s": (audio, None), "alignment_20s": (audio, ATTACK)}.items():
            t0 = time.perf_counter()
            await lipsync_at_once(url, a, rate, text, utt=name)
            w, _ = probe.worst(t0, time.perf_counter())
            out[f"{name}_loop_block_ms"] = round(1000 * (w - base_med), 1)
        out["victim_control"] = await victim(url)
        out["victim_with_10s_lipsync_at_once"] = await victim(url, lambda: lipsync_at_once(url, ten, rate, None, "ten"))
        out["victim_with_10s_text_lipsync_at_once"] = await victim(
            url, lambda: lipsync_at_once(url, ten, rate, ten_text, "tentext"))
        print(json.dumps(out), flush=True)
    finally:
        d.stop()
        err = d.proc.stderr.read()
        if err.strip():
            print(err[-3000:], file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
