"""Limits that keep the daemon alive (PROTOCOL.md §8), against a real daemon on loopback.

"On time" for the victim sessions is checked at the mechanism, so the checks hold at any machine
speed: the flooder's accepted work is bounded by the limit's rate over the time the flood took
(the daemon cannot have spent more on it than that), the flooder is closed once its unread
queue passes the byte bound, and the victim's audio is complete and sample-exact with no error.
"""

from __future__ import annotations

import asyncio
import resource
import socket
import time

import msgpack
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from conftest import TOKEN, DaemonProcess
from faceplex.bridge.session import limits
from faceplex.bridge.client import FacePlexClient
from faceplex.protocol import messages as m
from faceplex.protocol.codec import encode

LINE = "The lighthouse keeper counted the ships until the fog rolled in."


def run(coro):
    return asyncio.run(coro)


def _complete(rec) -> bool:
    return rec.outcome == "finished" and rec.audio.shape[0] == rec.end - rec.start and not rec.errors


def _ws_upgrade(port: int) -> bytes:
    return (f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


def _closed_by_peer(sock: socket.socket) -> bool:
    """True when the daemon has closed (or reset) this idle connection."""
    sock.setblocking(False)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:  # reset
        return True


def test_a_thousand_idle_connections_do_not_lock_out_a_real_client():
    n = 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = n + 200
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"this process may hold only {hard} descriptors; the test needs {need}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    d = DaemonProcess()
    socks = []
    try:
        # 900 bare TCP connections that never send a byte, 100 finished WebSocket handshakes that
        # never send hello: the attack of issue 13 (it exhausted the daemon's descriptors).
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", d.port), timeout=30)
            if i >= 900:
                s.sendall(_ws_upgrade(d.port))
                assert s.recv(4096).startswith(b"HTTP/1.1 101")
            socks.append(s)

        async def go():
            async with FacePlexClient(d.url) as client:
                rec = await client.speak(LINE)
                assert _complete(rec)
        run(go())
        # Mechanism: the daemon keeps at most MAX_PENDING_CONNECTIONS of them (oldest dropped).
        still_open = sum(not _closed_by_peer(s) for s in socks)
        assert still_open <= limits.MAX_PENDING_CONNECTIONS
    finally:
        for s in socks:
            s.close()
        d.stop()
    log = d.proc.stderr.read()
    assert "out of system resource" not in log and "Too many open files" not in log
    assert len(log.splitlines()) < 50


def test_a_connection_that_never_sends_hello_is_closed_with_a_reason(daemon):
    async def go():
        async with connect(daemon.url) as ws:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), limits.HELLO_TIMEOUT_S * 4)
            assert ws.close_code == 1008 and "hello" in ws.close_reason
    run(go())


def test_the_session_cap_refuses_with_503_and_frees_a_place_when_one_leaves():
    d = DaemonProcess("--max-sessions", "2")
    try:
        async def go():
            a, b = FacePlexClient(d.url), FacePlexClient(d.url)
            await a.connect()
            await b.connect()
            with pytest.raises(Exception) as info:
                async with connect(d.url):
                    pass
            assert "503" in str(info.value)
            await a.close()
            for _ in range(100):  # the daemon notices the close (bounded retries)
                try:
                    async with FacePlexClient(d.url) as c:
                        rec = await c.speak("A place was free.")
                        assert _complete(rec)
                        break
                except Exception:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("no place freed after a session closed")
            await b.close()
        run(go())
    finally:
        d.stop()


def test_an_append_flood_is_rate_limited_and_another_session_keeps_complete_audio(daemon):
    async def go():
        async with FacePlexClient(daemon.url) as victim, FacePlexClient(daemon.url) as flooder:
            await flooder.say("and ", utt="flood", final=False)
            utt, t = await victim.say(LINE)
            total = 3000
            t0 = time.monotonic()
            for i in range(total):
                await flooder.send(m.Say(id=f"a{i}", utt="flood", text="", append=True, final=False))
            await flooder.send(m.Ping(id="end", client_time_us=0))
            await flooder.wait_for(lambda x: isinstance(x, m.Pong) and x.reply_to == "end", timeout=120)
            elapsed = time.monotonic() - t0
            limited = [r.msg for r in flooder.log if isinstance(r.msg, m.Error)]
            assert limited and all(e.code == "rate_limited" for e in limited)
            accepted = total - len(limited)
            # The daemon took no more appends than the bucket allows over the flood's duration.
            assert accepted <= 2 * limits.MAX_APPENDS_PER_S + limits.MAX_APPENDS_PER_S * elapsed + 1
            rec = await victim.collect(utt, t)
            assert _complete(rec)
            assert not any(isinstance(r.msg, m.Error) for r in victim.log)
            await flooder.cancel("flood")
    run(go())


def test_a_message_flood_is_read_at_the_rate_limit_and_answered_in_order(daemon):
    """A ping flood: the daemon reads the flooder's socket no faster than MAX_MESSAGES_PER_S
    (TCP back-pressure on that socket only), answers every ping in order, and the victim's
    line is complete."""
    async def go():
        async with FacePlexClient(daemon.url) as victim, FacePlexClient(daemon.url, validate=False) as flooder:
            utt, t = await victim.say(LINE)
            total = 2 * limits.MAX_MESSAGES_PER_S
            t0 = time.monotonic()
            for i in range(total):
                await flooder.send(m.Ping(id=f"p{i}", client_time_us=i))
            await flooder.wait_for(lambda x: getattr(x, "reply_to", None) == f"p{total - 1}", timeout=120)
            elapsed = time.monotonic() - t0
            pongs = [r.msg.reply_to for r in flooder.log if getattr(r.msg, "type", "") == "pong"]
            assert pongs == [f"p{i}" for i in range(total)]
            # Mechanism: a one-second burst, then the rate (the flood took at least that long).
            assert elapsed >= (total - limits.MAX_MESSAGES_PER_S - 1) / limits.MAX_MESSAGES_PER_S * 0.9
            rec = await victim.collect(utt, t)
            assert _complete(rec)
    run(go())


def test_a_client_that_never_reads_is_closed_at_the_outgoing_byte_bound(daemon):
    """Pings with 60 KB ids (each pong echoes it) from a client that reads nothing: every message
    counts toward the bound, so the session is closed once ~4 MiB wait, and the victim speaks."""
    async def go():
        async with FacePlexClient(daemon.url) as victim:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", daemon.port))
            ws = await connect(daemon.url, sock=sock, max_queue=1, compression=None, max_size=None)
            await ws.send(encode(m.Hello(id="h", token=TOKEN)))
            assert msgpack.unpackb(await ws.recv())["type"] == "welcome"
            big = "x" * 60000
            closed = False
            try:  # without reading anything: the daemon must drop the connection by itself
                for i in range(20 * limits.MAX_OUTGOING_BYTES // len(big)):
                    await asyncio.wait_for(ws.send(encode(m.Ping(id=big, client_time_us=i))), 30)
            except ConnectionClosed:
                closed = True
            assert closed, "the daemon kept a client that reads nothing after 20x the outgoing bound"
            # What had come back before the close is less than twice the bound.
            got = 0
            with pytest.raises(ConnectionClosed):
                while True:
                    got += len(await asyncio.wait_for(ws.recv(), 60))
            assert got < 2 * limits.MAX_OUTGOING_BYTES
            assert ws.close_code in (1008, 1006, None)
            if ws.close_code == 1008:
                assert "outgoing queue" in ws.close_reason
            rec = await victim.speak(LINE)
            assert _complete(rec)
    run(go())


def test_pending_text_of_a_session_is_bounded_and_another_session_keeps_complete_audio(daemon):
    async def go():
        async with FacePlexClient(daemon.url) as client, FacePlexClient(daemon.url) as victim:
            utt, t = await victim.say(LINE)
            chunk = "word " * 399 + "word"  # 1999 characters, no clause boundary: nothing is spoken yet
            codes = []
            for u in range(3):
                await client.say(chunk, utt=f"open{u}", final=False)
                for i in range(9):
                    await client.send(m.Say(id=f"s{u}-{i}", utt=f"open{u}", text=" " + chunk, append=True, final=False))
            await client.send(m.Ping(id="end", client_time_us=0))
            await client.wait_for(lambda x: isinstance(x, m.Pong) and x.reply_to == "end")
            codes = [r.msg.code for r in client.log if isinstance(r.msg, m.Error)]
            assert codes and set(codes) == {"pending_text_full"}
            await client.cancel()
            rec = await victim.collect(utt, t)
            assert _complete(rec)
    run(go())


@pytest.mark.parametrize("utt", ["", "x" * 257])
def test_lipsync_utt_is_limited_like_say_utt(daemon, utt):
    async def go():
        async with FacePlexClient(daemon.url) as client:
            await client.send(m.Lipsync.model_construct(type="lipsync", id="l", utt=utt, sample_rate=16000, channels=1,
                                                        pcm=b"\x00\x00" * 160, text=None, final=True))
            err = await client.wait_for(lambda x: isinstance(x, m.Error))
            assert (err.msg.code, err.msg.reply_to) == ("invalid_field", "l")
    run(go())
