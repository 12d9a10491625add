"""The Unity plugin's C# core (engine_plugins/unity/Runtime/Core), compiled with mono's mcs (C# 7.2).

- CoreTests.exe: golden vectors (decode, JSON twin, byte-exact re-encode, non-canonical input),
  codec errors, timeline (interpolation, pre-roll, underrun, cancel drop, resync, no allocation).
- LiveDaemonTest.exe: a real daemon on loopback: say, simulated real-time audio thread, checks.
- LiveDuplexTest.exe: full duplex on a real daemon: a recorded partner line as the microphone
  interrupts the avatar; the next line plays; a recorded line is lip-synced.
- LauncherTest.exe: DaemonLauncher start / restart after a crash / shutdown.
- CrossLangDump.exe: decodes a recorded session; its lines must equal Python's.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import msgpack
import numpy as np
import pytest

from faceplex.protocol import messages as m
from tests.crosslang_recording import describe_file, record_session

ROOT = Path(__file__).resolve().parents[1]
UNITY = ROOT / "engine_plugins" / "unity"
VECTORS = ROOT / "protocol" / "vectors"
PROGRAMS = ("CoreTests", "LiveDaemonTest", "LiveDuplexTest", "LauncherTest", "CrossLangDump")
#: Test sources compiled into a program besides its own NAME.cs.
EXTRA_SOURCES = {"CoreTests": ("DuplexCoreTests.cs", "GameCoreTests.cs")}

# CI (.ci/run) installs mono, so there a missing compiler is a failure, not a skip.
pytestmark = pytest.mark.skipif((shutil.which("mcs") is None or shutil.which("mono") is None) and not os.environ.get("CI"),
                                reason="mono's mcs/mono not installed (apt-get install mono-mcs mono-runtime "
                                       "libmono-system-net-http4.0-cil)")


@pytest.fixture(scope="module")
def exes(tmp_path_factory) -> dict[str, Path]:
    """Compile each test program together with Runtime/Core/*.cs (no UnityEngine) as C# 7.2."""
    out = tmp_path_factory.mktemp("csharp")
    core = sorted(str(p) for p in (UNITY / "Runtime" / "Core").glob("*.cs"))
    built = {}
    for name in PROGRAMS:
        exe = out / f"{name}.exe"
        cmd = ["mcs", "-langversion:7.2", "-warnaserror+", "-nowarn:1591", "-r:System.Net.Http", f"-out:{exe}",
               *core, str(UNITY / "Tests~" / "TestUtil.cs"), str(UNITY / "Tests~" / f"{name}.cs"),
               *(str(UNITY / "Tests~" / extra) for extra in EXTRA_SOURCES.get(name, ()))]
        res = subprocess.run(cmd, capture_output=True, text=True)
        assert res.returncode == 0, f"mcs failed for {name}:\n{res.stdout}\n{res.stderr}"
        built[name] = exe
    return built


def _run(exe: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    res = subprocess.run(["mono", "--debug", str(exe), *args], capture_output=True, text=True, timeout=timeout,
                         encoding="utf-8")
    print(res.stdout)
    print(res.stderr, file=sys.stderr)
    return res


def _assert_all_passed(res: subprocess.CompletedProcess, required: list[str]) -> None:
    lines = res.stdout.splitlines()
    failed = [ln for ln in lines if ln.startswith("FAIL")]
    assert not failed, "\n".join(failed)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert any(ln.startswith("SUMMARY") and ln.endswith("failed=0") for ln in lines)
    passed = {ln[5:] for ln in lines if ln.startswith("PASS ")}
    for name in required:
        assert name in passed, f"missing PASS {name!r}"


#: Issue 21's engine-free behaviours (Tests~/GameCoreTests.cs).
GAME_CORE_CHECKS = [
    "spatial: ModulateAudio multiplies each channel's gain by the voice (panning kept)",
    "spatial: ModulateAudio clears the constant clip where the timeline is silent",
    "pause: holds position and face, resumes at the same sample in order with no jump, lag dropped at the next idle",
    "pause: control: the same backlog without a pause (a stalled audio thread) jumps to live",
    "pause: longer than the ring: overflowing is reported; giving up the place resumes at live",
    "pause: a client paused past its ring cancels its utterances once and gives up its place",
    "heard clock: behind the read position by the output latency, never backwards across a pause",
    "face gate: off-screen skips, far applies every Nth frame, and the face keeps its place",
    "mic watch: no device waits; plugged in starts; a failed start retries with back-off",
    "mic watch: unplugged while recording stops; plugged back resumes at once",
    "mic watch: a recording that stops or stalls is restarted; permission is asked once",
    "head pose: default axes: +yaw turns left, +pitch looks down, roll applied first",
    "head pose: axis remap (a +Z-up rig turns about Z)",
    "head pose: additive on a bone no clip writes does not accumulate (cached base pose)",
    "head pose: additive on an animated bone follows the animation",
    "say before connect: queued in order, a cancelled one is not sent, sent once the session opens",
    "voice picker: default, known voices, custom; the value follows the pick; blends stay free text",
    "voice picker: blend syntax and unknown voices are flagged; valid ones pass",
    "lifetime: a client closed mid-connect ends the connect (ObjectDisposedException) and aborts the socket the daemon opens later",
    "lifetime: Dispose of an open client returns before the close; queued messages and the close frame follow",
]


def test_golden_vectors_codec_and_timeline(exes):
    res = _run(exes["CoreTests"], str(VECTORS))
    names = sorted(p.stem for p in VECTORS.glob("*.msgpack"))
    _assert_all_passed(res, ["the core knows every message type in the vectors"]
                       + [f"golden {n} decode/re-encode is byte-exact" for n in names]
                       + [f"golden {n} matches JSON twin" for n in names]
                       + [f"golden {n} non-canonical rewrite decodes to the same message" for n in names]
                       + ["timeline: face is interpolated between the two frames around the sample",
                          "timeline: dropping an utterance silences its queued audio and frames at once",
                          "timeline: underrun plays silence, holds position, never repeats, then eases the face",
                          "timeline: ReadAudio does not allocate",
                          "version: a welcome of protocol 2 is refused, the event names 1 and 2",
                          "version: a ready line of protocol 2 is refused by the launcher: logged, event, daemon stopped, no restart",
                          "welcome: voices and voice_catalog and features are exposed; an older v1 welcome without them opens",
                          "duplex: mic_end follows the mic in order; partner_transcript interim then final reach the game"]
                       + GAME_CORE_CHECKS)
    # Every message type of the Python protocol models (both directions) is known to the C# core,
    # so a type added to the protocol without a vector is caught too.
    known = set(next(ln for ln in res.stdout.splitlines() if ln.startswith("KNOWN_TYPES ")).split()[1:])
    assert set(m.CLIENT_TYPES) | set(m.SERVER_TYPES) <= known, sorted((set(m.CLIENT_TYPES) | set(m.SERVER_TYPES)) - known)
    # The playback message, checked against an independent encoder (Python msgpack, float32/bin rules).
    hex_line = next(ln for ln in res.stdout.splitlines() if ln.startswith("PLAYBACK_HEX "))
    want = msgpack.packb({"type": "playback", "id": "c7", "utt": "u1", "sample": 101234,
                          "client_time_us": 1234567990123}, use_bin_type=True, use_single_float=True)
    assert hex_line.split()[1] == want.hex()


def test_live_daemon_say_play_cancel_report(exes, daemon):
    res = _run(exes["LiveDaemonTest"], daemon.url, daemon.ready.get("token") or "")
    _assert_all_passed(res, [
        *(["a wrong token is refused: the connect task faults with the daemon's unauthorized error"]
          if daemon.ready.get("token") else []),
        "all audio samples arrive",
        "frames for every sample position",
        "played audio equals the received audio sample for sample (no loss, no repeat)",
        "face at a playback position matches the daemon's frames",
        "cancel mid-utterance drops queued audio at once",
        "playback reports reach the daemon (pong.played)",
    ])


def _write_wav(path: Path, pcm, rate: int, channels: int) -> Path:
    import wave
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm, dtype="<i2").tobytes())
    return path


LIPSYNC_LINE = "Peter bought a big map of Bombay."


@pytest.mark.timeout(900)   # a hang guard only: ~35 s idle, seen past 300 s at load ~17 on 2 cores
def test_live_full_duplex_barge_in_and_lipsync(exes, daemon, tmp_path):
    """The partner's line (Piper at another speed, noise off: the same audio every run) at 44.1 kHz
    stereo, the device's own format, streamed in 10 ms capture blocks paced by the wall clock; the
    lip-synced line is Piper at 22050 Hz mono. Events, order and sample counts only."""
    from duplex_util import partner_speech
    from faceplex.models.speech.piper_voice import Voice

    # two sentences: a starved machine that delays some mic chunks past the daemon's 300 ms
    # re-anchoring gap still hears min_interruption_ms of continuous speech somewhere in it
    partner = (np.clip(partner_speech("Wait, stop, I have a question. Please listen to me for a moment.", 44100),
                       -1, 1) * 32767).astype(np.int16)
    partner_wav = _write_wav(tmp_path / "partner.wav", np.repeat(partner[:, None], 2, axis=1).reshape(-1), 44100, 2)
    voice = Voice.default()
    line = np.concatenate([c.audio for c in voice.synthesize(LIPSYNC_LINE, speed=0.9, noise=False)]).astype(np.int16)
    line_wav = _write_wav(tmp_path / "line.wav", line, voice.sample_rate, 1)
    res = _run(exes["LiveDuplexTest"], daemon.url, str(partner_wav), str(line_wav), LIPSYNC_LINE,
               daemon.ready.get("token") or "", timeout=600)
    _assert_all_passed(res, [
        "duplex: partner_speech_started, then interrupted with samples_played <= samples_sent",
        "duplex: the utterance ends once, as interrupted, carrying what was heard",
        "duplex: a final partner_transcript from the live daemon follows partner_speech_stopped",
        "duplex: no audio of the cut utterance after the cut",
        "duplex: a following say plays normally",
        "lipsync: the returned audio is the input resampled, with frames covering it",
    ])


def test_daemon_launcher_restart_and_shutdown(exes):
    res = _run(exes["LauncherTest"], sys.executable)
    _assert_all_passed(res, ["launcher starts the daemon and reads its ready line",
                             "a dead daemon is restarted and the client reconnects",
                             "Stop() shuts the daemon down",
                             "launcher reads the token from the ready line and never logs it",
                             "launcher drains the daemon's stdout after the ready line",
                             "launcher logs stderr, never stdout or the token",
                             "one launcher per daemon configuration",
                             "the bundle is found in the first folder holding it",
                             "the command line carries --parent-pid; the editor's daemon has no --exit-on-stdin-eof",
                             "IsRunning sees a process that is not our child",
                             "a launcher adopts a running daemon, replaces it when it exits, and stops it"])


def test_crosslang_python_and_csharp_decoders_agree(exes, daemon, tmp_path):
    rec = tmp_path / "session.fpxrec"
    n = asyncio.run(record_session(daemon.url, rec))
    py_lines = describe_file(rec)
    res = _run(exes["CrossLangDump"], str(rec))
    assert res.returncode == 0, res.stderr
    cs_lines = res.stdout.splitlines()
    assert len(py_lines) == n
    assert sum(ln.startswith("face ") for ln in py_lines) > 20
    assert sum(ln.startswith("audio ") for ln in py_lines) > 5
    for i, (p, c) in enumerate(zip(py_lines, cs_lines)):
        assert p == c, f"record {i} differs:\n  python: {p[:300]}\n  csharp: {c[:300]}"
    assert len(py_lines) == len(cs_lines)


def test_unity_glue_typechecks_against_stubs(tmp_path):
    """Runtime/Unity and the sample cannot run here (no UnityEngine); type-check them against
    compile-only stand-ins of the UnityEngine APIs they use (Tests~/UnityStubs.cs)."""
    files = [*(UNITY / "Runtime" / "Core").glob("*.cs"), *(UNITY / "Runtime" / "Unity").glob("*.cs"),
             *(UNITY / "Editor").glob("*.cs"),   # the Inspector's voice picker, the build steps (UnityEditor stand-ins)
             *(UNITY / "Samples~" / "BasicSample").glob("*.cs"), *(UNITY / "Tests~").glob("Unity*Stubs*.cs"),
             UNITY / "Tests~" / "UserScript.cs"]   # a user script importing UnityEngine + FacePlex.* (no Ping clash)
    res = subprocess.run(["mcs", "-langversion:7.2", "-target:library", "-warnaserror+", "-r:System.Net.Http",
                          f"-out:{tmp_path / 'glue.dll'}", *map(str, files)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_unity_package_ships_stable_meta_files():
    """A Git-URL or tarball install imports only assets with a .meta (REFERENCE.md): every file and
    folder Unity imports has one, with the GUID derived from its path, so GUIDs never change."""
    from tests.unity_meta import PACKAGE, assets, guid, problems

    assert problems() == [], "run `python tests/unity_meta.py --write`:\n" + "\n".join(problems())
    guids = [guid(rel) for rel in assets()]
    assert len(set(guids)) == len(guids) > 25
    # pinned: a script's GUID is part of every scene and prefab that uses it
    assert (PACKAGE / "Runtime/Unity/FacePlexCharacter.cs.meta").read_text().splitlines()[1] == \
        "guid: " + guid("Runtime/Unity/FacePlexCharacter.cs")
    assert guid("Runtime/Unity/FacePlexCharacter.cs") == "a553ceea8541a60d93b40cd116b20d22"
