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
