"""``faceplex demo``: a daemon in this process, the reference client over a real WebSocket.

Speaks one line, saves what arrived as a take (WAV + Live Link Face CSV + PNG) and returns the
latency figures measured at the client.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceplex.bridge.client import FacePlexClient
from faceplex.bridge.server.daemon import Daemon
from faceplex.bridge.outputs.take import Take, write_take
from faceplex.bridge.outputs.take_gaps import drop_inserted_silence


class DemoError(RuntimeError):
    """The daemon did not speak the demo line (its ``error`` messages, e.g. ``unknown_voice``)."""


async def run_demo(text: str, out_dir: Path, sample_rate: int = 48000, fps: int = 60, voice: str | None = None) -> dict:
    """Returns ``{say_to_first_audio_ms, say_to_first_face_ms, rtt_ms, audio_s, frames, files}``.
    ``voice``: a voice or blend id (``faceplex voices``); None: the session's default voice."""
    daemon = Daemon(port=0)
    daemon.warm_up()
    port = await daemon.start()
    try:
        async with FacePlexClient(f"ws://127.0.0.1:{port}/", sample_rate=sample_rate, fps=fps,
                                  client_name="faceplex-demo", token=daemon.token) as client:
            rtt, _ = await client.ping()
            rec = await client.speak(text, **({"voice": voice} if voice is not None else {}))  # "": refused
            if rec.outcome != "finished":
                raise DemoError("; ".join(f"{e.code}: {e.message}" for e in rec.errors)
                                or f"the line ended {rec.outcome}")
    finally:
        await daemon.stop()
    marks = [{"kind": mk.kind, "sample": mk.sample - rec.start, "end": mk.end - rec.start, "text": mk.text,
              "viseme": mk.viseme} for mk in rec.marks]
    # Silence the daemon inserted because synthesis fell behind is not part of the take (issue 12).
    audio, frames, marks, cut = drop_inserted_silence(rec.audio, rec.face, marks, sample_rate, fps)
    take = Take(text=text, sample_rate=sample_rate, audio=audio, fps=fps, frames=frames, marks=marks)
    paths = write_take(take, out_dir)
    return {
        "say_to_first_audio_ms": round((rec.t_first_audio - rec.t_say) * 1000, 1),
        "say_to_first_face_ms": round((rec.t_first_face - rec.t_say) * 1000, 1),
        "rtt_ms": round(rtt * 1000, 2),
        "audio_s": round(take.duration_s, 3),
        "frames": int(take.frames.shape[0]),
        "inserted_silence_cut_ms": round(cut * 1000 / sample_rate, 1),
        "max_jaw_open": float(np.max(take.frames[:, 17])) if take.frames.size else 0.0,
        "files": {k: str(v) for k, v in paths.items()},
    }
