"""Daemon shutdown (PROTOCOL.md §8 "Shutdown", issue 14): SIGTERM or stdin EOF mid-utterance.

Every open utterance gets ``utterance_cancelled {reason: "shutdown"}`` and nothing of it comes
after that, the socket then gets a close frame (1001), and the exit status is 0 (never SIGABRT
from onnxruntime running during interpreter finalization), also with a client that never reads
and one that never answers the close frame.

No timing is asserted here (a loaded machine may take any time): how long the exit takes, against
the daemon's own deadline (``limits.SHUTDOWN_S`` plus interpreter exit; 10-18 s before issue 14),
is the ``shutdown`` part of ``bench/bench_gate.py``.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass, field

import msgpack
import pytest
from websockets.asyncio.client import connect

from conftest import TOKEN, DaemonProcess, silent_client
from faceplex.protocol import messages as m
from faceplex.protocol.codec import encode

#: A first clause long enough to be inside the voice when the signal comes.
LONG = ("Far beyond the misty mountains and the silent frozen lakes there lived an old and patient "
        "keeper of lighthouses who counted every ship that ever passed his lonely rock")
#: How long to wait for the daemon before calling it hung (a hang guard, not a speed bound).
HANG_S = 120


@dataclass
class ShutdownRun:
    """What the reading client received (``msgs``, decoded maps in order), its close code, the
    daemon's exit status and its stderr."""

    msgs: list = field(default_factory=list)
    close_code: int | None = None
    code: int | None = None
    stderr: str = ""

    def of(self, kind: str) -> list[dict]:
        return [x for x in self.msgs if x["type"] == kind]


def run_shutdown(how: str) -> ShutdownRun:
    """``how``: ``"sigterm"`` or ``"stdin_eof"``. The reading client says a short line
    (``playing``), a long one (``queued``) and an open one (``open``, not final); the daemon is
    stopped once ``playing``'s first audio has arrived."""
    d = DaemonProcess("--exit-on-stdin-eof")
    deaf = silent_client(d.port, LONG + ". " + LONG, read=False)
    stubborn = silent_client(d.port, LONG + ". " + LONG, read=True)
    run = ShutdownRun()
    try:
        async def go():
            ws = await connect(f"ws://127.0.0.1:{d.port}/", max_size=None)
            await ws.send(encode(m.Hello(id="h", token=TOKEN)))
            assert msgpack.unpackb(await ws.recv())["type"] == "welcome"
            first_audio = asyncio.Event()

            async def pump():
                try:
                    async for data in ws:
                        run.msgs.append(msgpack.unpackb(data))
                        if run.msgs[-1]["type"] == "audio":
                            first_audio.set()
                except Exception:
                    pass
                first_audio.set()  # the connection ended: nothing more will come

            reader = asyncio.get_running_loop().create_task(pump())
            await ws.send(encode(m.Say(id="s1", utt="playing", text="Hello there, traveller.")))
            await ws.send(encode(m.Say(id="s2", utt="queued", text=LONG)))
            await ws.send(encode(m.Say(id="s3", utt="open", text="And then", final=False)))
            await asyncio.wait_for(first_audio.wait(), HANG_S)
            assert run.of("audio"), "the daemon ended before it spoke"
            if how == "sigterm":
                d.proc.send_signal(signal.SIGTERM)
            else:
                d.proc.stdin.close()
            run.code = await asyncio.get_running_loop().run_in_executor(None, d.proc.wait, HANG_S)
            await asyncio.wait_for(reader, HANG_S)
            run.close_code = ws.close_code
        asyncio.run(go())
    finally:
        deaf.close()
        stubborn.close()
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
    run.stderr = d.proc.stderr.read()
    return run



@pytest.mark.parametrize("how", ["sigterm", "stdin_eof"] * 3)
def test_shutdown_mid_synthesis_cancels_then_closes_and_exits_0(how):
    run = run_shutdown(how)
    assert run.code == 0, f"exit {run.code}: {run.stderr[-2000:]}"
    assert "terminate called" not in run.stderr and "Traceback" not in run.stderr
    cancelled = {x["utt"]: x["reason"] for x in run.of("utterance_cancelled")}
    finished = {x["utt"] for x in run.of("utterance_finished")}
    for utt in ("playing", "queued", "open"):
        assert cancelled.get(utt) == "shutdown" or utt in finished, (utt, cancelled, finished)
    # The long line and the open one cannot have ended by themselves: shutdown cancelled them.
    assert cancelled.get("queued") == "shutdown" and cancelled.get("open") == "shutdown"
    # Every utterance ended exactly once; then the daemon closed the socket with 1001.
    ends = [x["utt"] for x in run.msgs if x["type"] in ("utterance_cancelled", "utterance_finished")]
    assert sorted(ends) == sorted(set(ends)) and {"queued", "open"} <= set(ends)
    assert run.close_code == 1001
    # Nothing of a cancelled utterance after its cancellation.
    for utt in cancelled:
        i = next(k for k, x in enumerate(run.msgs) if x["type"] == "utterance_cancelled" and x["utt"] == utt)
        assert not [x for x in run.msgs[i + 1:] if x.get("utt") == utt and x["type"] in ("audio", "mark", "face")]
