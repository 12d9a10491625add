"""Who may connect (PROTOCOL.md §12), against a real daemon on loopback: the launch token, the
``Origin`` and ``Host`` checks, HTTP methods and the preview page's Content-Security-Policy."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import msgpack
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from conftest import TOKEN, DaemonProcess
from faceplex.bridge.client import FacePlexClient
from faceplex.protocol import messages as m
from faceplex.protocol.codec import encode


def run(coro):
    return asyncio.run(coro)


async def _refused_status(url: str, headers: dict) -> int:
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, additional_headers=headers):
            pass
    return info.value.response.status_code


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x", TOKEN[:-1]])
def test_missing_or_wrong_token_is_unauthorized_and_closed_1008(daemon, token):
    async def go():
        async with connect(daemon.url) as ws:
            await ws.send(encode(m.Hello(id="h", token=token)))
            reply = msgpack.unpackb(await ws.recv())
            assert (reply["type"], reply["code"], reply["reply_to"]) == ("error", "unauthorized", "h")
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            assert ws.close_code == 1008
    run(go())


def test_messages_before_hello_do_not_reveal_anything_and_the_right_token_opens(daemon):
    async def go():
        async with connect(daemon.url) as ws:
            await ws.send(encode(m.Ping(id="p", client_time_us=1)))
            assert msgpack.unpackb(await ws.recv())["code"] == "hello_required"
            await ws.send(encode(m.Hello(id="h", token=TOKEN)))
            assert msgpack.unpackb(await ws.recv())["type"] == "welcome"
    run(go())


def test_foreign_origin_is_refused_and_the_daemons_own_page_is_not(daemon):
    async def go():
        for origin in ("https://evil.example", "http://evil.example", "null", f"http://127.0.0.1:{daemon.port + 1}",
                       f"https://127.0.0.1:{daemon.port}", "http://localhost.evil.example"):
            assert await _refused_status(daemon.url, {"Origin": origin}) == 403, origin
        for origin in (f"http://127.0.0.1:{daemon.port}",):
            async with FacePlexClient(daemon.url) as client:  # no Origin: a native client
                assert client.welcome is not None
            async with connect(daemon.url, additional_headers={"Origin": origin}) as ws:
                await ws.send(encode(m.Hello(id="h", token=TOKEN)))
                assert msgpack.unpackb(await ws.recv())["type"] == "welcome"
    run(go())


def test_allow_origin_option_admits_exactly_that_origin():
    d = DaemonProcess("--allow-origin", "http://localhost:3000")
    try:
        async def go():
            async with connect(d.url, additional_headers={"Origin": "http://localhost:3000"}) as ws:
                await ws.send(encode(m.Hello(id="h", token=TOKEN)))
                assert msgpack.unpackb(await ws.recv())["type"] == "welcome"
            assert await _refused_status(d.url, {"Origin": "http://localhost:3001"}) == 403
        run(go())
    finally:
        d.stop()


def test_foreign_host_is_refused_for_the_socket_and_the_page(daemon):
    """DNS rebinding: the attacker's name in Host. Loopback names and the bound address pass."""
    async def go():
        for host in ("evil.example", f"evil.example:{daemon.port}", f"localhost.evil.example:{daemon.port}",
                     f"127.0.0.1:{daemon.port + 1}", f"192.168.1.20:{daemon.port}"):
            # websockets builds Host from the URL; a raw request sets it explicitly.
            assert _http_status(daemon.port, "GET", "/", host) == 403, host
            assert _ws_status(daemon.port, host) == 403, host
        for host in (f"127.0.0.1:{daemon.port}", f"localhost:{daemon.port}"):
            assert _http_status(daemon.port, "GET", "/", host) == 200, host
            assert _ws_status(daemon.port, host) == 101, host
    run(go())


def _raw(port: int, request: bytes) -> bytes:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data


def _status(data: bytes) -> int:
    return int(data.split(b" ", 2)[1])


def _http_status(port: int, method: str, path: str, host: str) -> int:
    return _status(_raw(port, f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n".encode()))


def _ws_status(port: int, host: str) -> int:
    return _status(_raw(port, (f"GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()))


def test_only_get_and_head_and_the_page_has_a_content_security_policy(daemon):
    host = f"127.0.0.1:{daemon.port}"
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
        data = _raw(daemon.port, f"{method} / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n".encode())
        assert _status(data) == 405 and b"Allow: GET, HEAD" in data, method
        assert b"Content-Security-Policy: default-src 'none'" in data and b"X-Content-Type-Options: nosniff" in data
    head = _raw(daemon.port, f"HEAD / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert _status(head) == 200
    with urllib.request.urlopen(f"http://{host}/", timeout=10) as r:
        csp = r.headers["Content-Security-Policy"]
        assert r.status == 200 and b"FacePlex" in r.read()
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_launched_daemon_generates_its_token_prints_it_only_on_the_ready_line_and_a_client_connects():
    """The Python launcher flow: no FACEPLEX_TOKEN, the token comes from the ready line; it is in
    the page address's fragment, never on the command line and never in the log (DEBUG)."""
    env = {k: v for k, v in os.environ.items() if k != "FACEPLEX_TOKEN"}
    d = DaemonProcess(env=env, log_level="DEBUG")
    try:
        token = d.ready["token"]
        assert isinstance(token, str) and len(token) >= 32 and token != TOKEN
        assert d.ready["page"] == f"http://127.0.0.1:{d.port}/#token={token}"
        with open(f"/proc/{d.proc.pid}/cmdline", "rb") as f:
            assert token.encode() not in f.read()
        with open(f"/proc/{d.proc.pid}/environ", "rb") as f:
            assert token.encode() not in f.read()

        async def go():
            async with FacePlexClient(d.url, token=token) as client:
                rec = await client.speak("Launched and connected.")
                assert rec.outcome == "finished"
            async with connect(d.url) as ws:  # the test process's own token is not this one
                await ws.send(encode(m.Hello(id="h", token=TOKEN)))
                assert msgpack.unpackb(await ws.recv())["code"] == "unauthorized"
        run(go())
    finally:
        d.stop()
    log = d.proc.stderr.read()
    assert "session" in log and token not in log


def test_serving_beyond_loopback_without_a_token_is_refused_with_one_line():
    proc = subprocess.run([sys.executable, "-m", "faceplex.bridge.cli", "serve", "--port", "0", "--host", "0.0.0.0",
                           "--no-token"], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "token is required" in lines[0] and "Traceback" not in proc.stderr


def test_no_token_on_loopback_accepts_a_hello_without_one():
    d = DaemonProcess("--no-token")
    try:
        assert d.ready["token"] is None and "#token" not in d.ready["page"]

        async def go():
            async with connect(d.url) as ws:
                await ws.send(encode(m.Hello(id="h")))
                assert msgpack.unpackb(await ws.recv())["type"] == "welcome"
        run(go())
    finally:
        d.stop()


def test_ready_line_is_one_json_object(daemon):
    assert json.loads(json.dumps(daemon.ready))["event"] == "ready"
    assert daemon.ready["token"] == TOKEN


@pytest.mark.parametrize("args", [["--allow-origin", "notaurl"], ["--allow-origin", "http://x:3000/path"],
                                  ["--allow-origin", "ftp://x"], ["--allow-origin", "http://x:99999"],
                                  ["--livelink-udp", "host:notaport"], ["--livelink-udp", ":11111"],
                                  ["--livelink-udp", "h:70000"]])
def test_bad_origin_or_livelink_target_is_a_one_line_error_at_launch(args):
    """A typo in --allow-origin or --livelink-udp is refused before the daemon starts (it used to
    start and admit nothing, or send packets nowhere), as one line, no traceback."""
    res = subprocess.run([sys.executable, "-m", "faceplex.bridge.cli", "serve", "--port", "0", *args],
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert "Traceback" not in res.stderr and lines[-1].startswith("faceplex serve: error: argument " + args[0])
