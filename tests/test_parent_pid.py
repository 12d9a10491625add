"""``serve --parent-pid PID`` and ``--log-file PATH`` on the pip-installed daemon (issue 20; the
bundle runs the same code, tests/test_bundle.py): the daemon exits 0 once its parent is gone, a
parent that is not running is refused at launch with one line, and ``--log-file`` takes the log
off stderr. ``faceplex --version`` names the version and the protocol."""

from __future__ import annotations

import subprocess
import sys

from conftest import DaemonProcess
from faceplex.protocol import messages as m


def test_daemon_exits_0_when_its_parent_is_gone_and_logs_to_the_log_file(tmp_path):
    parent = subprocess.Popen(["sleep", "3600"])
    log = tmp_path / "daemon.log"
    d = DaemonProcess("--parent-pid", str(parent.pid), "--log-file", str(log), log_level="INFO")
    try:
        assert d.proc.poll() is None
        parent.kill()
        parent.wait()
        code = d.proc.wait(120)  # a hang guard; the watch looks every 0.5 s
    finally:
        for p in (parent, d.proc):
            if p.poll() is None:
                p.kill()
    assert code == 0
    text = log.read_text()
    assert f"parent process {parent.pid} is gone: shutting down" in text
    assert "parent process" not in d.proc.stderr.read()  # the log went to the file, not stderr


def test_a_parent_that_is_not_running_is_one_line_error():
    dead = subprocess.Popen(["true"])
    dead.wait()
    res = subprocess.run([sys.executable, "-m", "faceplex.bridge.cli", "serve", "--port", "0", "--parent-pid",
                          str(dead.pid)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.strip() == f"faceplex serve: error: parent process {dead.pid} is not running"
    res = subprocess.run([sys.executable, "-m", "faceplex.bridge.cli", "serve", "--parent-pid", "0"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr and res.stderr.strip().splitlines()[-1].startswith(
        "faceplex serve: error: argument --parent-pid")


def test_version_names_the_package_and_protocol():
    from importlib import metadata

    res = subprocess.run([sys.executable, "-m", "faceplex.bridge.cli", "--version"], capture_output=True, text=True)
    assert res.returncode == 0
    assert res.stdout.strip() == f"faceplex {metadata.version('faceplex')} (protocol {m.PROTOCOL_VERSION})"
