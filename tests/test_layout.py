"""The packages' shape: no import cycles, small modules, and the lab's layers pointing one way.

The import graph is built from the modules' own source (``ast``): every ``import`` and
``from ... import`` anywhere in a module counts, inside functions and ``if TYPE_CHECKING:``
blocks too, so a cycle cannot hide behind a local or type-only import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("analysis", "regions")
MAX_LINES = 600
# analysis: each layer imports only from earlier ones
LAYERS = ("lab", "figures", "explorer", "studies", "run")


def modules(package: str) -> dict[str, Path]:
    """Dotted module name to file, for every module of ``package``."""
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that module ``name`` (at ``path``) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # ``from pkg import sub`` imports the submodule ``pkg.sub`` when there is one.
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:  # ``import pkg.sub.name`` -> pkg.sub
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph(package: str) -> dict[str, set[str]]:
    mods = modules(package)
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_checks_catch_a_cycle_and_a_local_import(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.b import f\n")
    (pkg / "b.py").write_text("def f():\n    from pkg import a\n")
    (pkg / "c.py").write_text("from . import a\n")
    names = {"pkg", "pkg.a", "pkg.b", "pkg.c"}
    edges = {n: imports(n, pkg / f"{n.split('.')[-1]}.py", names) for n in ("pkg.a", "pkg.b")}
    edges["pkg.c"] = imports("pkg.c", pkg / "c.py", names)
    edges["pkg"] = set()
    assert edges["pkg.b"] == {"pkg.a"} and edges["pkg.c"] == {"pkg.a"}
    assert cycles(edges) == [["pkg.a", "pkg.b"]]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycles(package: str) -> None:
    assert cycles(graph(package)) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_is_small(package: str) -> None:
    sizes = {
        name: len(p.read_text(encoding="utf-8").splitlines())
        for name, p in modules(package).items()
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_the_lab_layers_point_one_way() -> None:
    def layer(module: str) -> int | None:
        parts = module.split(".")
        return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None

    upward = [
        (name, target)
        for name, targets in graph("analysis").items()
        for target in targets
        if layer(name) is not None and layer(target) is not None and layer(target) > layer(name)
    ]
    assert upward == []
    assert not any("matplotlib" in line for line in _imported_names(ROOT / "analysis" / "lab"))


def test_regions_never_imports_analysis_or_matplotlib() -> None:
    names = _imported_names(ROOT / "regions")
    assert not [n for n in names if n.split(".")[0] in ("analysis", "matplotlib")]


def _imported_names(folder: Path) -> list[str]:
    """Every module name imported anywhere in the ``.py`` files under ``folder``."""
    out = []
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                out.append(node.module)
    return out
