"""``faceplex bundle -o DIR``: freeze the daemon into a one-folder build with PyInstaller.

PyInstaller (``pip install -e ".[bundle]"``) runs as a subprocess on ``daemon.spec``; the result
is moved to ``DIR`` (``DIR/faceplex-daemon`` and ``DIR/_internal/``), then ``DIR/licenses/``
(every bundled distribution's licence files, ``notices.py``) and ``DIR/BUNDLE.json`` (version,
protocol, glibc baseline, size in bytes) are written. Why PyInstaller and a one-folder build:
README, "Shipping your game".

Raises :class:`BundleError` (a one-line message) when PyInstaller is missing or fails, or when
``DIR`` exists and is not empty or cannot be written (checked before the build starts).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import notices

SPEC = Path(__file__).resolve().parent / "daemon.spec"
#: The executable's name inside the bundle folder.
EXE_NAME = "faceplex-daemon.exe" if os.name == "nt" else "faceplex-daemon"


class BundleError(RuntimeError):
    """The bundle could not be built (the message says why, in one line)."""


def _stage(staging: Path) -> None:
    """A ``faceplex`` package tree at ``staging`` whose sub-packages point at the folders the
    installed (or editable) package maps (``package-dir`` in pyproject.toml): PyInstaller's
    import analysis follows ordinary folders, not setuptools' editable finder."""
    root = staging / "faceplex"
    root.mkdir(parents=True)
    for sub in ("bridge", "protocol", "models"):
        spec = importlib.util.find_spec(f"faceplex.{sub}")
        if spec is None or not spec.submodule_search_locations:
            raise BundleError(f"faceplex.{sub} is not importable: pip install -e . first")
        (root / sub).symlink_to(Path(list(spec.submodule_search_locations)[0]).resolve(), target_is_directory=True)


def check_output(out: Path) -> None:
    """Raise :class:`BundleError` unless ``out`` can take the bundle: absent (then its nearest
    existing parent must be a writable folder) or an empty writable folder. Checked by creating
    and removing a file there, not with ``os.access``, which says yes to root on a read-only
    mount; done before PyInstaller runs, so a wrong ``-o`` fails at once rather than after the
    build (minutes)."""
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise BundleError(f"{out} exists and is not a folder")
        if any(out.iterdir()):
            raise BundleError(f"{out} exists and is not empty")
        probe_in = out
    else:
        probe_in = out.parent
        while not probe_in.exists():
            probe_in = probe_in.parent
        if not probe_in.is_dir():
            raise BundleError(f"cannot create {out}: {probe_in} is not a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=probe_in, prefix=".faceplex-bundle-probe-"):
            pass
    except OSError as exc:
        raise BundleError(f"cannot write the bundle to {out}: {probe_in} is not writable "
                          f"({exc.strerror or exc})") from None


def build_bundle(out: Path, work: Path | None = None, log=None) -> dict:
    """Build the bundle into ``out`` (created; must be absent or empty). ``work``: PyInstaller's
    build folder (default: a temporary one, removed afterwards). ``log``: a file object for
    PyInstaller's output (default: inherited stderr). Returns the ``BUNDLE.json`` contents:
    ``{"version", "protocol", "glibc", "size_bytes", "build_s", "freezer", "distributions"}``
    (``glibc``: the highest ``GLIBC_x.y`` symbol version any bundled ELF file needs, or None off
    Linux; ``build_s``: seconds PyInstaller ran)."""
    out = Path(out).resolve()
    check_output(out)
    try:
        import PyInstaller
    except ImportError:
        raise BundleError('PyInstaller is not installed: pip install -e ".[bundle]"') from None
    with tempfile.TemporaryDirectory(prefix="faceplex-bundle-") as tmp:
        tmp = Path(tmp)
        _stage(tmp / "staging")
        modules_json = tmp / "modules.json"
        env = {**os.environ, "FACEPLEX_BUNDLE_STAGING": str(tmp / "staging"),
               "FACEPLEX_BUNDLE_MODULES": str(modules_json), "PYTHONDONTWRITEBYTECODE": "1"}
        cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--distpath", str(tmp / "dist"), "--workpath", str(Path(work).resolve() if work else tmp / "work"),
               str(SPEC)]
        t0 = time.monotonic()
        proc = subprocess.run(cmd, env=env, cwd=tmp,  # cwd: no stray *.egg-info on sys.path
                               stdout=log, stderr=subprocess.STDOUT if log else None)
        build_s = time.monotonic() - t0
        if proc.returncode != 0:
            raise BundleError(f"PyInstaller failed (exit {proc.returncode}); run with its output shown for details")
        out.mkdir(parents=True, exist_ok=True)
        for item in (tmp / "dist" / "faceplex-daemon").iterdir():
            shutil.move(str(item), out / item.name)
        contents = json.loads(modules_json.read_text())
    dists = notices.write_licenses(out / "licenses", set(contents["modules"]), contents["binaries"])
    from faceplex.protocol.messages import PROTOCOL_VERSION

    manifest = {
        "version": _version(), "protocol": PROTOCOL_VERSION, "executable": EXE_NAME,
        "freezer": f"PyInstaller {PyInstaller.__version__}", "python": sys.version.split()[0],
        "glibc": notices.glibc_baseline(out), "size_bytes": notices.tree_size(out),
        "build_s": round(build_s, 1), "distributions": dists,
    }
    (out / "BUNDLE.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("faceplex")
    except metadata.PackageNotFoundError:
        return "dev"
