"""Shared fixtures: a real daemon on loopback (subprocess, `faceplex serve --port 0`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest


class DaemonProcess:
    """A `faceplex serve --port 0` subprocess; ``url``/``port`` from its JSON ready line."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "faceplex.bridge.cli", "serve", "--port", "0", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"daemon did not start: {self.proc.stderr.read()}")
        self.ready = json.loads(line)
        self.port = self.ready["port"]
        self.url = f"ws://127.0.0.1:{self.port}/"

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
