"""The house rules of the layout (issue 18, ARCHITECTURE.md): no import cycles among ``faceplex.*``
modules, counting imports inside functions too (both cycles this test was written against went
through one), no upward import between the packages (``protocol`` <- ``models`` <- ``bridge``),
no call of another object's private method, and every sub-package is listed for a
non-editable install.

The walk reads the source with :mod:`ast` (nothing is imported), so a cycle that only shows at
run time on some code path is found as well.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _package_dirs() -> dict[str, Path]:
    """``faceplex.bridge`` -> ``ROOT/bridge``, ... from pyproject's ``package-dir``."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {pkg: ROOT / d for pkg, d in cfg["tool"]["setuptools"]["package-dir"].items()}


def _modules() -> dict[str, Path]:
    """Every ``faceplex.*`` module name -> its file (``__init__`` files under their package name)."""
    out = {}
    for pkg, base in _package_dirs().items():
        for path in base.rglob("*.py"):
            rel = path.relative_to(base).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([pkg, *parts])] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of ``faceplex.*`` that ``name`` imports anywhere in its file."""
    is_pkg = path.name == "__init__.py"
    here = name if is_pkg else name.rpartition(".")[0]
    found: set[str] = set()

    def add(target: str) -> None:
        while target and target not in modules:  # an attribute: fall back to its module
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("faceplex."):
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            if not mod.startswith("faceplex."):
                continue
            for alias in node.names:  # `from pkg import module` imports the module
                full = f"{mod}.{alias.name}"
                add(full if full in modules else mod)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _cycles(graph) == [], "import cycles among faceplex modules (ARCHITECTURE.md)"


#: Each package and the ``faceplex`` packages it may import (ARCHITECTURE.md, "The rooms").
MAY_IMPORT = {"faceplex.protocol": {"faceplex.protocol"},
              "faceplex.models": {"faceplex.models", "faceplex.protocol"},
              "faceplex.bridge": {"faceplex.bridge", "faceplex.models", "faceplex.protocol"}}


def _upward(graph: dict[str, set[str]]) -> list[str]:
    """``importer -> imported`` for every import a package may not make (:data:`MAY_IMPORT`)."""
    def package(mod: str) -> str:
        return ".".join(mod.split(".")[:2])

    return sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets
                  if package(a) in MAY_IMPORT and package(b) not in MAY_IMPORT[package(a)])


def test_no_package_imports_upward():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _upward(graph) == [], "models must not import bridge, protocol neither (ARCHITECTURE.md)"


def test_the_walk_finds_an_upward_import_inside_a_function(tmp_path):
    # As models/rfm/capture.py read takes before: an import of bridge inside a function.
    (tmp_path / "capture.py").write_text("def read(p):\n    from faceplex.bridge.outputs.take import read_wav\n")
    (tmp_path / "take.py").write_text("from faceplex.models.rfm.capture import read\n")
    modules = {"faceplex.models.rfm.capture": tmp_path / "capture.py", "faceplex.bridge.outputs.take": tmp_path / "take.py"}
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _upward(graph) == ["faceplex.models.rfm.capture -> faceplex.bridge.outputs.take"]


def test_the_walk_finds_a_cycle_through_a_function_import(tmp_path):
    # The test above must be able to fail: two modules where one edge is an import inside a
    # function and one is relative, as both of the cycles issue 18 found were.
    (tmp_path / "a.py").write_text("from .b import thing\n")
    (tmp_path / "b.py").write_text("def f():\n    from faceplex.x.a import other\n")
    (tmp_path / "c.py").write_text("import faceplex.x.a\n")
    modules = {f"faceplex.x.{n}": tmp_path / f"{n}.py" for n in "abc"}
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert graph["faceplex.x.b"] == {"faceplex.x.a"}
    assert _cycles(graph) == [["faceplex.x.a", "faceplex.x.b"]]


#: Private names of the standard library that FacePlex calls on purpose.
STDLIB_PRIVATE = {"os._exit", "sys._getframe"}


def _private_calls(path: Path) -> list[str]:
    """``obj._name(...)`` calls in a file where ``obj`` is not ``self``/``cls``: a private
    method of another object (another room's, as ``session._flush`` was from the server)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, owner = node.func.attr, node.func.value
            if name.startswith("_") and not name.startswith("__") and isinstance(owner, ast.Name) \
                    and owner.id not in ("self", "cls") and f"{owner.id}.{name}" not in STDLIB_PRIVATE:
                out.append(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{node.lineno} "
                           f"{owner.id}.{name}")
    return out


def test_no_module_calls_another_objects_private_methods():
    found = [hit for path in _modules().values() for hit in _private_calls(path)]
    assert found == [], "call a public method (give the object one that says what it does)"


def test_the_private_call_walk_finds_one(tmp_path):
    (tmp_path / "m.py").write_text("def f(session):\n    self_ok = 1\n    session._flush(None)\n    os._exit(0)\n")
    assert _private_calls(tmp_path / "m.py") == ["m.py:3 session._flush"]


def test_every_package_is_listed_for_a_wheel():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(cfg["tool"]["setuptools"]["packages"])
    packages = {name for name, path in _modules().items() if path.name == "__init__.py"}
    assert packages <= listed, f"sub-packages missing from pyproject's packages: {sorted(packages - listed)}"
