"""Licences and notices of everything inside the bundle, and the facts a shipping game needs
about it (its glibc baseline, its size).

``write_licenses`` reads each installed distribution's dist-info (``License`` /
``License-Expression`` / classifiers, and the licence files its RECORD lists: ``LICENSE*``,
``COPYING*``, ``NOTICE*``, ``AUTHORS*``, ``ThirdPartyNotices*``) for every distribution whose
top-level modules PyInstaller put into the bundle, writes them to ``licenses/<name>/`` and one
``licenses/NOTICES.md`` index, and adds the Python runtime's own licence. Piper and espeak-ng
(inside piper-tts) are GPL-3.0-or-later: the index says so and why a game may ship them (a
separate program it talks to over a socket; README, "Shipping your game").
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

_LICENSE_FILE = re.compile(r"(^|/)(LICEN[CS]E|COPYING|NOTICE|AUTHORS|ThirdPartyNotices)[^/]*$", re.IGNORECASE)

GPL_NOTE = ("piper-tts (Piper) and the espeak-ng data and library inside it are licensed GPL-3.0-or-later. "
            "They run only inside this daemon, a separate program that the game starts and talks to over a "
            "loopback WebSocket; the game is not linked with them. Whoever distributes this folder must also "
            "offer the corresponding source of the GPL parts (piper-tts on PyPI and "
            "github.com/OHF-Voice/piper1-gpl; espeak-ng) under the GPL's terms, and keep these notices.")


def _license_of(dist: metadata.Distribution) -> str:
    md = dist.metadata
    expr = md.get("License-Expression")
    if expr:
        return expr
    classifiers = [c.split("::")[-1].strip() for c in md.get_all("Classifier") or [] if c.startswith("License ::")]
    text = (md.get("License") or "").strip()
    if text and len(text) < 80:
        return text
    return ", ".join(classifiers) or (text.splitlines()[0][:80] if text else "see files")


def _top_names(dist: metadata.Distribution) -> set[str]:
    names = set((dist.read_text("top_level.txt") or "").split())
    for f in dist.files or []:
        parts = Path(str(f)).parts
        if parts and not parts[0].endswith((".dist-info", ".data")) and parts[0] not in ("..", "__pycache__"):
            names.add(parts[0].removesuffix(".py").split(".")[0])
    return names


def write_licenses(folder: Path, bundled_modules: set[str], binaries: list | None = None) -> list[dict]:
    """Copy the licence files of every installed distribution with a top-level module in
    ``bundled_modules`` to ``folder/<name>/``, and the Debian copyright file of the package of
    every shared library in ``binaries`` (``[bundle name, source path]``) that was copied from the
    build machine's system folders (``folder/system/``); write ``folder/NOTICES.md``. Returns
    ``[{"name", "version", "license"}]`` sorted by name."""
    folder.mkdir(parents=True, exist_ok=True)
    seen: dict[str, dict] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name or name in seen or not (_top_names(dist) & bundled_modules):
            continue
        entry = {"name": name, "version": dist.version, "license": _license_of(dist)}
        seen[name] = entry
        target = folder / name
        for f in dist.files or []:
            if _LICENSE_FILE.search(str(f)) and Path(f.locate()).is_file():
                target.mkdir(exist_ok=True)
                dest = target / str(f).replace("/", "_").replace("..", "")
                dest.write_bytes(Path(f.locate()).read_bytes())
    python_license = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "LICENSE.txt"
    if python_license.is_file():
        (folder / "Python").mkdir(exist_ok=True)
        (folder / "Python" / "LICENSE.txt").write_bytes(python_license.read_bytes())
    system = _system_library_notices(folder / "system", binaries or [])
    entries = sorted(seen.values(), key=lambda e: e["name"].lower())
    lines = ["# Notices: software inside the FacePlex daemon bundle", "", GPL_NOTE, "",
             f"The Python runtime ({sys.version.split()[0]}, PSF License): Python/LICENSE.txt.", "",
             "| distribution | version | licence |", "|---|---|---|"]
    lines += [f"| {e['name']} | {e['version']} | {e['license']} |" for e in entries]
    lines += ["", "Each distribution's own licence and notice files are in the folder of its name.", "",
              "PyInstaller's bootloader (the faceplex-daemon executable itself) is GPL-2.0-or-later with the "
              "bootloader exception, which allows it to be distributed with programs under any licence.", ""]
    if system:
        lines += ["Shared libraries copied from the build machine (their packages' copyright files are in system/):",
                  "", "| library | package |", "|---|---|"]
        lines += [f"| {lib} | {pkg} |" for lib, pkg in system]
    (folder / "NOTICES.md").write_text("\n".join(lines) + "\n")
    return entries


def _system_library_notices(folder: Path, binaries: list) -> list[tuple[str, str]]:
    """``(library, package)`` for each bundled library that came from /usr/lib or /lib, with the
    package's ``/usr/share/doc/PKG/copyright`` copied to ``folder`` (Debian/Ubuntu, via
    ``dpkg -S``); the package is "unknown" where dpkg is missing or does not know the file."""
    out = []
    for name, src in binaries:
        if not src or not src.startswith(("/usr/lib", "/lib")) or "site-packages" in src or "/python3" in src:
            continue
        pkg = "unknown"
        real = os.path.realpath(src)
        # merged /usr: dpkg may know a file under /lib only (or /usr/lib only), and by either name
        for path in dict.fromkeys([src, real, *(p.replace("/usr/lib/", "/lib/", 1) for p in (src, real)),
                                   *(p.replace("/lib/", "/usr/lib/", 1) for p in (src, real) if p.startswith("/lib/"))]):
            try:
                res = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
            except FileNotFoundError:
                break
            if res.returncode == 0:
                pkg = res.stdout.split(":", 1)[0].strip()
                break
        copyright_file = Path("/usr/share/doc") / pkg / "copyright"
        if copyright_file.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{pkg}.copyright").write_bytes(copyright_file.read_bytes())
        out.append((Path(name).name, pkg))
    return sorted(set(out))


def glibc_baseline(folder: Path) -> str | None:
    """Highest ``GLIBC_x.y`` symbol version needed by any ELF file under ``folder`` (with
    ``objdump -T``, binutils): the oldest glibc the bundle runs on. None off Linux or without
    objdump."""
    if not sys.platform.startswith("linux"):
        return None
    best: tuple[int, ...] = ()
    for path in folder.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        with open(path, "rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
        try:
            out = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True).stdout
        except FileNotFoundError:
            return None
        for ver in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", out):
            best = max(best, tuple(int(x) for x in ver.split(".")))
    return "GLIBC_" + ".".join(map(str, best)) if best else None


def tree_size(folder: Path) -> int:
    """Bytes of every regular file under ``folder`` (links not followed)."""
    return sum(os.lstat(p).st_size for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink())
