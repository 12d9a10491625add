"""``faceplex.models.lifetime``: the process-wide pools and the worker processes that the lip-sync
analysis and the transcription share (start on first use, restart after death, close and join).
Real processes: the transcription worker's own entry point (``models/asr/worker.py``)."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from faceplex.models.lifetime import ProcessWide, WorkerProcess

ENTRY = "faceplex.models.asr.worker:_entry"


class _Closable:
    made = 0

    def __init__(self):
        type(self).made += 1
        self.closed_with = None

    def close(self, timeout_s):
        self.closed_with = timeout_s


def test_process_wide_makes_one_on_first_use_and_close_forgets_it():
    _Closable.made = 0
    wide = ProcessWide(_Closable)
    assert wide.started() is None and _Closable.made == 0
    got = []
    threads = [threading.Thread(target=lambda: got.append(wide.get())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _Closable.made == 1 and all(g is got[0] for g in got) and wide.started() is got[0]
    wide.close(0.25)
    assert got[0].closed_with == 0.25 and wide.started() is None
    wide.close(0.25)   # nothing made: nothing to close
    assert wide.get() is not got[0] and _Closable.made == 2


def _gone(pid: int) -> bool:
    """The process no longer exists (reaped by its parent, this test process)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_worker_starts_on_first_call_restarts_after_death_and_reports_errors():
    w = WorkerProcess(ENTRY, "test worker")
    assert w.pid is None
    try:
        first = w.call("warm", [])          # the transcription worker answers "warm" with its pid
        assert first == w.pid
        with pytest.raises(RuntimeError, match="ValueError: unknown transcription op 'dance'"):
            w.call("dance")
        assert w.pid == first                # an op that fails there leaves the worker serving
        os.kill(first, signal.SIGKILL)
        os.waitpid(first, 0)
        second = w.call("warm", [])          # dead: a new one starts for the next call
        assert second != first and second == w.pid
    finally:
        w.stop(5.0)
    assert w.pid is None and _gone(second)


def test_stop_kills_a_worker_that_does_not_leave_by_itself():
    # A stopped process (SIGSTOP) cannot read the request to leave nor act on SIGTERM; stop()
    # goes on to SIGKILL and reaps it.
    w = WorkerProcess(ENTRY, "test worker")
    pid = w.call("warm", [])
    os.kill(pid, signal.SIGSTOP)
    w.stop(0.1)
    assert w.pid is None and _gone(pid)
