"""Issue 13's attacks, rerun against a real daemon: who may connect, idle connections, floods, a
client that never reads, shutdown time. Prints ONE JSON line of figures.

- ``cross_origin`` / ``foreign_host`` / ``no_token``: does a foreign page origin, a rebinding
  ``Host``, a hello without the token get a welcome (and audio for a ``say``)?
- ``idle_1000``: 900 bare TCP connections + 100 WebSocket handshakes without ``hello``, the
  daemon's soft descriptor limit at 1024 (a common default): does a real client then get its
  line, how many descriptors does the daemon hold, how many log lines did it write?
- ``append_flood``: a victim speaks a line while another session sends N empty appends; the
  victim's first audio (ms), its worst chunk lateness for a client starting playback 100 ms after
  its first audio, the daemon's CPU seconds during the flood, and how many appends it accepted.
- ``non_reader``: a client that sends 60 KB pings and never reads; the daemon's resident memory
  growth while it does and after it is gone.
- ``shutdown``: SIGTERM / stdin EOF mid-synthesis with a client that never reads and one that
  never answers the close frame: seconds to exit and exit status, per run.

Usage: python bench/bench_gate.py [--appends 20000] [--runs 3]
(``FACEPLEX_BENCH_PYTHONPATH`` prepends a path for the daemon, to run an older checkout.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import msgpack
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import TOKEN, silent_client  # noqa: E402  (sets FACEPLEX_TOKEN for the daemons and the clients)

from faceplex.bridge.client import FacePlexClient  # noqa: E402
from faceplex.protocol import messages as m  # noqa: E402
from faceplex.protocol.codec import encode  # noqa: E402

LINE = "The lighthouse keeper counted the ships until the fog rolled in."
#: A shutdown that takes longer than this is reported as "killed" (exit_s: null).
WAIT_EXIT_S = 60


class Daemon:
    def __init__(self, *args, fd_limit=None):
        env = {**os.environ, "FACEPLEX_TOKEN": TOKEN}
        extra = os.environ.get("FACEPLEX_BENCH_PYTHONPATH")
        if extra:
            env["PYTHONPATH"] = extra + os.pathsep + env.get("PYTHONPATH", "")

        def limit():
            if fd_limit:
                resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
        self.proc = subprocess.Popen([sys.executable, "-m", "faceplex.bridge.cli", "serve", "--port", "0", *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env, preexec_fn=limit)
        self.ready = json.loads(self.proc.stdout.readline())
        self.port = self.ready["port"]
        self.url = f"ws://127.0.0.1:{self.port}/"
        self.log_lines = 0
        self._t = threading.Thread(target=self._count_log, daemon=True)
        self._t.start()

    def _count_log(self):
        for _ in self.proc.stderr:
            self.log_lines += 1

    def rss_mb(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

    def cpu_s(self):
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


async def _welcomed(url, headers=None, token=TOKEN) -> dict:
    try:
        async with connect(url, additional_headers=headers or {}) as ws:
            await ws.send(encode(m.Hello(id="h", token=token)))
            reply = msgpack.unpackb(await asyncio.wait_for(ws.recv(), 10))
            if reply["type"] != "welcome":
                return {"welcome": False, "answer": reply.get("code")}
            await ws.send(encode(m.Say(utt="x", text="Hello.")))
            for _ in range(500):
                if msgpack.unpackb(await asyncio.wait_for(ws.recv(), 10))["type"] == "audio":
                    return {"welcome": True, "audio": True}
            return {"welcome": True, "audio": False}
    except Exception as exc:
        return {"welcome": False, "answer": type(exc).__name__ + ": " + str(exc)[:60]}


def _raw_ws(port: int, host: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((f"GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        return s.recv(4096).split(b"\r\n", 1)[0].decode()


async def who_may_connect(d: Daemon) -> dict:
    return {"cross_origin": await _welcomed(d.url, {"Origin": "https://evil.example"}),
            "foreign_host": _raw_ws(d.port, f"evil.example:{d.port}"),
            "no_token": await _welcomed(d.url, token=None),
            "post": _raw_ws_method(d.port, "POST")}


def _raw_ws_method(port, method):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"{method} / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n".encode())
        return s.recv(4096).split(b"\r\n", 1)[0].decode()


def _lateness(client, rec, preroll_s=0.1):
    chunks = [r for r in client.log if isinstance(r.msg, m.Audio) and r.msg.utt == rec.utt]
    if not chunks:
        return None
    t0 = chunks[0].t + preroll_s
    sr = client.sample_rate
    return max((r.t - (t0 + (r.msg.sample - rec.start) / sr)) * 1000 for r in chunks)


async def idle_1000() -> dict:
    d = Daemon(fd_limit=1024)
    socks, refused = [], 0
    try:
        for i in range(1000):
            try:
                s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
                if i >= 900:
                    s.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{d.port}\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
                socks.append(s)
            except OSError:
                refused += 1
        await asyncio.sleep(1.0)
        fds = d.fds()
        try:
            async with FacePlexClient(d.url, sample_rate=48000) as c:
                rec = await c.speak(LINE, timeout=30)
                ok = rec.outcome == "finished"
                first = round((rec.t_first_audio - rec.t_say) * 1000, 1)
        except Exception as exc:
            ok, first = False, type(exc).__name__
        return {"real_client_spoke": ok, "first_audio_ms": first, "daemon_fds": fds, "log_lines": d.log_lines,
                "client_connect_errors": refused}
    finally:
        for s in socks:
            s.close()
        d.stop()


async def append_flood(d: Daemon, n: int) -> dict:
    async def victim_line(v):
        rec = await v.speak(LINE)
        return rec, _lateness(v, rec)
    async with FacePlexClient(d.url, validate=False) as v:
        control, control_late = await victim_line(v)
        async with FacePlexClient(d.url, validate=False) as f:
            await f.say("and ", utt="flood", final=False)
            cpu0, t0 = d.cpu_s(), time.monotonic()
            task = asyncio.ensure_future(victim_line(v))
            for i in range(n):
                await f.send(m.Say(utt="flood", text="", append=True, final=False))
            await f.send(m.Ping(id="end", client_time_us=0))
            await f.wait_for(lambda x: getattr(x, "reply_to", None) == "end", timeout=600)
            rec, late = await task
            cpu, wall = d.cpu_s() - cpu0, time.monotonic() - t0
            limited = sum(1 for r in f.log if getattr(r.msg, "code", None) == "rate_limited")
            await f.cancel("flood")
    return {"appends": n, "accepted": n - limited, "flood_wall_s": round(wall, 2), "daemon_cpu_s": round(cpu, 2),
            "victim_first_audio_ms": round((rec.t_first_audio - rec.t_say) * 1000, 1),
            "victim_worst_late_ms": round(late, 1), "control_first_audio_ms": round((control.t_first_audio - control.t_say) * 1000, 1),
            "control_worst_late_ms": round(control_late, 1), "victim_complete": rec.audio.shape[0] == rec.end - rec.start}


async def non_reader(d: Daemon, mbytes: int = 64) -> dict:
    base = d.rss_mb()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", d.port))
    ws = await connect(d.url, sock=sock, max_queue=1, compression=None, max_size=None)
    await ws.send(encode(m.Hello(id="h", token=TOKEN)))
    await ws.recv()
    big, sent, closed = "x" * 60000, 0, False
    try:
        while sent < mbytes << 20:
            await asyncio.wait_for(ws.send(encode(m.Ping(id=big, client_time_us=0))), 10)
            sent += 60000
    except Exception:
        closed = True
    await asyncio.sleep(1.0)
    during = d.rss_mb()
    ws.transport.abort()
    await asyncio.sleep(2.0)
    return {"sent_mb": round(sent / 2**20, 1), "closed_by_daemon": closed, "rss_growth_mb": round(during - base, 1),
            "rss_growth_after_mb": round(d.rss_mb() - base, 1)}


async def shutdown_run(how: str) -> dict:
    d = Daemon("--exit-on-stdin-eof")
    socks = [silent_client(d.port, LINE + " " + LINE, False), silent_client(d.port, LINE + " " + LINE, True)]
    c = FacePlexClient(d.url, validate=False)
    await c.connect()
    await c.say("Hello there, traveller, I have a very long story to tell you about the sea.")
    await c.say(LINE)
    await c.wait_for(lambda x: getattr(x, "type", "") == "audio", timeout=60)
    t0 = time.monotonic()
    if how == "sigterm":
        d.proc.send_signal(signal.SIGTERM)
    else:
        d.proc.stdin.close()
    try:
        code = await asyncio.get_running_loop().run_in_executor(None, d.proc.wait, WAIT_EXIT_S)
        elapsed = time.monotonic() - t0
    except subprocess.TimeoutExpired:  # never exited by itself (seen before the shutdown fix)
        d.proc.kill()
        code, elapsed = "killed", float("inf")
    await asyncio.sleep(0.2)
    reasons = [getattr(r.msg, "reason", None) for r in c.log if getattr(r.msg, "type", "") == "utterance_cancelled"]
    for s in socks:
        s.close()
    result = {"exit_s": round(elapsed, 2) if elapsed != float("inf") else None, "code": code,
              "shutdown_cancels": reasons.count("shutdown")}
    print(f"shutdown {how}: {result}", file=sys.stderr)
    return result


async def main_async(args) -> dict:
    out = {"bench": "gate"}
    d = Daemon()
    try:
        out["who_may_connect"] = await who_may_connect(d)
        print(out, file=sys.stderr)
        out["append_flood"] = await append_flood(d, args.appends)
        print(out, file=sys.stderr)
        out["non_reader"] = await non_reader(d)
        print(out, file=sys.stderr)
    finally:
        d.stop()
    out["idle_1000"] = await idle_1000()
    print(out, file=sys.stderr)
    runs = {"sigterm": [], "stdin_eof": []}
    for _ in range(args.runs):
        for how in runs:
            runs[how].append(await shutdown_run(how))
    out["shutdown"] = {how: {"exit_s": [r["exit_s"] for r in rs], "codes": [r["code"] for r in rs],
                             "shutdown_cancels": [r["shutdown_cancels"] for r in rs],
                             "exit_s_max": None if any(r["exit_s"] is None for r in rs) else max(r["exit_s"] for r in rs)}
                       for how, rs in runs.items()}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appends", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    print(json.dumps(asyncio.run(main_async(parser.parse_args()))))


if __name__ == "__main__":
    main()
