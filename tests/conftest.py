"""Shared fixtures: a real daemon on loopback (subprocess, `faceplex serve --port 0`).

Every daemon started here gets the launch token :data:`TOKEN` (``FACEPLEX_TOKEN``, PROTOCOL.md
§12), and this process's environment carries it too, so every client in the tests — the
reference :class:`FacePlexClient` reads ``FACEPLEX_TOKEN`` when given no token, raw sockets use
``TOKEN`` — presents it, as an engine does with the token from the ready line.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time

import pytest

#: The launch token of the test daemons (one per test process).
TOKEN = os.environ.setdefault("FACEPLEX_TOKEN", secrets.token_urlsafe(32))


class DaemonProcess:
    """A `faceplex serve --port 0` subprocess; ``url``/``port`` from its JSON ready line."""

    def __init__(self, *args: str, env: dict | None = None, log_level: str = "WARNING"):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "faceplex.bridge.cli", "--log-level", log_level, "serve", "--port", "0", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env if env is not None else {**os.environ, "FACEPLEX_TOKEN": TOKEN},
        )
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"daemon did not start: {self.proc.stderr.read()}")
        self.ready = json.loads(line)
        self.port = self.ready["port"]
        self.url = f"ws://127.0.0.1:{self.port}/"
        self.token = self.ready["token"]
        self.page = self.ready["page"]  # http://127.0.0.1:PORT/#token=...

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def daemon():
    """One real daemon shared by the whole test session."""
    d = DaemonProcess()
    yield d
    d.stop()


def assert_lips_shut_near_pbm(rec, sr: int, fps: int) -> int:
    """Assert that every p/b/m phoneme mark of a received utterance has lips shut in one of the
    three face frames nearest its centre; returns how many p/b/m were checked."""
    import numpy as np

    from faceplex.models.face.visemes import lips_shut

    frames = dict(zip(rec.frame_samples, rec.frames))
    checked = 0
    for mk in rec.marks:
        if mk.kind != "phoneme" or mk.text not in ("p", "b", "m"):
            continue
        centre = (mk.sample + mk.end) // 2
        n = round(centre * fps / sr)
        near = [frames[s] for s in (k * sr // fps for k in (n - 1, n, n + 1)) if s in frames]
        assert any(lips_shut(np.asarray(v)) for v in near), f"lips open around {mk.text} at {centre}"
        checked += 1
    return checked


def silent_client(port: int, text: str, read: bool) -> socket.socket:
    """A raw WebSocket client that says ``text`` and then never reads (``read=False``) or
    reads everything but never answers a close frame (``read=True``)."""
    from faceplex.protocol import messages as m
    from faceplex.protocol.codec import encode

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if not read:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    assert s.recv(4096).startswith(b"HTTP/1.1 101")
    for msg in (m.Hello(id="h", token=TOKEN), m.Say(utt="deaf", text=text)):
        payload = encode(msg)
        mask = b"\x00\x00\x00\x00"  # masked with zeros: the bytes go as they are
        header = bytes([0x82, 0x80 | 126]) + len(payload).to_bytes(2, "big") if len(payload) >= 126 \
            else bytes([0x82, 0x80 | len(payload)])
        s.sendall(header + mask + payload)
    if read:
        threading.Thread(target=_drain, args=(s,), daemon=True).start()
    return s


def _drain(s: socket.socket) -> None:
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
