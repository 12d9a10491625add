"""The self-contained daemon bundle (issue 20): ``faceplex bundle -o DIR`` freezes the daemon with
PyInstaller into a one-folder build, ``DIR/faceplex-daemon`` (``faceplex-daemon.exe`` on Windows),
that runs ``serve ...`` with no Python installed.

- ``collect.py``: what goes in (the distributions whose files carry models and data, by name).
- ``daemon.spec``: the PyInstaller spec (one folder, no UPX, no one-file unpacking).
- ``entry.py``: the frozen program's entry point (caches pointed away from the bundle folder).
- ``build.py``: runs PyInstaller as a subprocess, then writes the notices and ``BUNDLE.json``.
- ``notices.py``: licences and notices of every distribution inside, and the glibc baseline.
"""
