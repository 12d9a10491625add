"""The Unity package's build steps (issue 20), compiled with mono's mcs against compile-only
stand-ins of the UnityEditor build API copied from UnityCsReference (Tests~/UnityEditorStubs.cs):
the platform guard fails WebGL, mobile, console and 32-bit Windows builds with a message naming
the target and lets Windows x64, macOS and Linux x64 through. Also compiles the Editor assembly's
sources with the runtime glue so the FacePlex.Editor asmdef's code type-checks."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

UNITY = Path(__file__).resolve().parents[1] / "engine_plugins" / "unity"

pytestmark = pytest.mark.skipif((shutil.which("mcs") is None or shutil.which("mono") is None) and not os.environ.get("CI"),
                                reason="mono's mcs/mono not installed (apt-get install mono-mcs mono-runtime; .ci/run does)")


def test_build_guard_refuses_non_desktop_targets_and_passes_desktop_ones(tmp_path):
    exe = tmp_path / "BuildGuardTest.exe"
    sources = [*(UNITY / "Runtime" / "Core").glob("*.cs"), *(UNITY / "Runtime" / "Unity").glob("*.cs"),
               *(UNITY / "Editor").glob("*.cs"), *(UNITY / "Tests~").glob("Unity*Stubs*.cs"),
               UNITY / "Tests~" / "TestUtil.cs", UNITY / "Tests~" / "BuildGuardTest.cs"]
    res = subprocess.run(["mcs", "-langversion:7.2", "-warnaserror+", "-nowarn:1591", "-r:System.Net.Http",
                          f"-out:{exe}", *map(str, sources)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    run = subprocess.run(["mono", str(exe)], capture_output=True, text=True, encoding="utf-8", timeout=120)
    lines = run.stdout.splitlines()
    assert not [ln for ln in lines if ln.startswith("FAIL")], run.stdout + run.stderr
    assert "PASS WebGL, mobile, consoles and 32-bit Windows fail the build with a message naming the target" in lines
    assert "PASS Windows x64, macOS and Linux x64 builds pass, each with its bundle folder" in lines
    assert run.returncode == 0


def test_daemon_host_editor_part_typechecks(tmp_path):
    """FacePlexDaemonHost's editor-only part (SessionState adoption after a domain reload,
    EditorApplication.quitting) compiled with UNITY_EDITOR against the stand-ins: the glue check
    compiles the player side only."""
    sources = [*(UNITY / "Runtime" / "Core").glob("*.cs"), UNITY / "Runtime" / "Unity" / "FacePlexDaemonHost.cs",
               *(UNITY / "Tests~").glob("Unity*Stubs*.cs")]
    res = subprocess.run(["mcs", "-langversion:7.2", "-target:library", "-warnaserror+", "-define:UNITY_EDITOR",
                          "-r:System.Net.Http", f"-out:{tmp_path / 'host.dll'}", *map(str, sources)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
