"""Unity `.meta` files for the UPM package in engine_plugins/unity.

Unity ignores every asset without a `.meta` in an immutable (Git URL or tarball) package, so each
file and folder Unity imports ships one. GUIDs are deterministic: the MD5 of the package name and
the asset's path (hex, 32 characters, the form Unity writes), so they never change between
checkouts and two assets never share one. Folders ending in `~` (Samples~, Tests~) and hidden
files are not imported by Unity and get none (Unity manual, "Special folder names").
Importer blocks are the ones Unity writes for each kind: MonoImporter (scripts),
AssemblyDefinitionImporter (.asmdef), PackageManifestImporter (package.json),
TextScriptImporter (text assets), DefaultImporter with folderAsset (folders).

    python tests/unity_meta.py --write    # (re)write them after adding or renaming an asset
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "engine_plugins" / "unity"
NAME = "com.faceplex.unity"
_TAIL = "  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n"
_MONO = ("MonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n"
         "  executionOrder: 0\n  icon: {instanceID: 0}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n")


def guid(rel: str) -> str:
    """The asset's GUID: md5 of ``com.faceplex.unity/<path inside the package>``."""
    return hashlib.md5(f"{NAME}/{rel}".encode()).hexdigest()


def expected_meta(rel: str, is_dir: bool) -> str:
    head = f"fileFormatVersion: 2\nguid: {guid(rel)}\n"
    if is_dir:
        return head + "folderAsset: yes\nDefaultImporter:\n" + _TAIL
    if rel.endswith(".cs"):
        return head + _MONO
    if rel.endswith(".asmdef"):
        return head + "AssemblyDefinitionImporter:\n" + _TAIL
    if rel == "package.json":
        return head + "PackageManifestImporter:\n" + _TAIL
    return head + "TextScriptImporter:\n" + _TAIL


def assets(root: Path = PACKAGE) -> dict[str, bool]:
    """Every path Unity imports in the package (relative, '/'-separated) -> is it a folder."""
    out: dict[str, bool] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith(".") or part.endswith("~") for part in rel.parts) or p.suffix == ".meta":
            continue
        out[rel.as_posix()] = p.is_dir()
    return out


def problems(root: Path = PACKAGE) -> list[str]:
    """Missing, wrong and orphaned .meta files (empty when all is well)."""
    found = assets(root)
    bad = []
    for rel, is_dir in found.items():
        meta = root / f"{rel}.meta"
        if not meta.exists():
            bad.append(f"missing {rel}.meta")
        elif meta.read_text() != expected_meta(rel, is_dir):
            bad.append(f"stale {rel}.meta")
    for meta in root.rglob("*.meta"):
        rel = meta.relative_to(root).as_posix()[:-5]
        if rel not in found:
            bad.append(f"orphan {rel}.meta")
    return bad


def write(root: Path = PACKAGE) -> int:
    for meta in root.rglob("*.meta"):
        if meta.relative_to(root).as_posix()[:-5] not in assets(root):
            meta.unlink()
    n = 0
    for rel, is_dir in assets(root).items():
        (root / f"{rel}.meta").write_text(expected_meta(rel, is_dir))
        n += 1
    return n


if __name__ == "__main__":
    if "--write" in sys.argv:
        print(f"wrote {write()} .meta files")
    for line in problems():
        print(line)
    sys.exit(1 if problems() else 0)
