"""Entry point of the frozen daemon (``faceplex-daemon``): the ``faceplex`` command line.

The bundle folder may be read-only (``Program Files``, a signed ``.app``, a Steam library), so
nothing may be written beside it: bytecode is never written, and the caches a library would put
next to itself or in the home folder (matplotlib's font cache, numba's) are pointed at a
per-user folder in the system's temporary directory before anything imports them. Logs go only
where ``serve --log-file PATH`` says (the engine plugin passes its own log folder).
"""

import os
import sys
import tempfile


def _point_caches_away() -> None:
    sys.dont_write_bytecode = True
    user = getattr(os, "getuid", lambda: os.environ.get("USERNAME", "user"))()
    cache = os.path.join(tempfile.gettempdir(), f"faceplex-daemon-cache-{user}")
    for var, sub in (("MPLCONFIGDIR", "matplotlib"), ("NUMBA_CACHE_DIR", "numba"), ("XDG_CACHE_HOME", "xdg")):
        os.environ.setdefault(var, os.path.join(cache, sub))


def main() -> int:
    _point_caches_away()
    if len(sys.argv) >= 3 and sys.argv[1] == "-c":
        # The daemon starts helper processes as ``sys.executable -c CODE`` (the lip-sync analysis
        # worker, bridge/listening/analysis.py); frozen, sys.executable is this program, so it runs CODE as
        # the interpreter's -c would.
        code = sys.argv[2]
        sys.argv = ["-c"] + sys.argv[3:]
        exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
        return 0
    from faceplex.bridge.cli import main as cli_main

    try:
        return cli_main(sys.argv[1:])
    except ModuleNotFoundError as exc:  # corpus/train/export need torch and espeak-ng: not bundled
        print(f"faceplex-daemon: error: this command needs a pip-installed faceplex ({exc.name} is not "
              f"in the bundle)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
