"""The rooms import one way: no import cycle between modules, none between leverlab's subpackages,
and no private name (``_x``, or anything in a ``_module``) imported from another subpackage.

Every import statement counts: top level, inside functions and under ``TYPE_CHECKING``, with
relative imports resolved. ``from pkg import name`` is an edge to the module ``pkg.name`` when
there is one, else to ``pkg``. A subpackage is the first name under ``leverlab`` (``engine``,
``data``...); a top-level module (``money``, ``conversion``, ``_time``) is a subpackage of its own,
and the package's own ``__init__`` (the public face) is outside the package graph.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import leverlab

ROOT = Path(leverlab.__file__).parent

# Exceptions to the rules below, each with its reason; the tests fail on an entry that no longer occurs.
ALLOWED_PRIVATE: dict[tuple[str, str], set[str]] = {}
ALLOWED_PACKAGE_EDGES: set[tuple[str, str]] = set()


class Edge(NamedTuple):
    importer: str  # module name
    target: str  # module name
    name: str | None  # the imported name when it is not a module itself
    line: int


def modules(root: Path = ROOT) -> dict[str, tuple[Path, bool]]:
    """Every module under ``root``: dotted name -> (file, is a package)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts.pop()
        out[".".join(parts)] = (path, is_pkg)
    return out


def import_edges(mods: dict[str, tuple[Path, bool]], top: str = "leverlab") -> list[Edge]:
    """Each import of a ``top`` module by a module of ``mods``, wherever the statement stands."""
    edges = []
    for name, (path, is_pkg) in mods.items():
        package = name if is_pkg else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                edges += [Edge(name, a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == top]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if source.split(".")[0] != top:
                    continue
                for a in node.names:
                    sub = f"{source}.{a.name}"
                    edges.append(Edge(name, sub, None, node.lineno) if sub in mods
                                 else Edge(name, source, a.name, node.lineno))
    return edges


def subpackage(module: str) -> str:
    """``engine`` for ``leverlab.engine.backtest``, ``money`` for ``leverlab.money``, "" for ``leverlab``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node, or with a self-loop (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                found.append(sorted(comp))

    nodes = set(graph) | {w for ws in graph.values() for w in ws}
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return found


def _describe(comp: list[str], edges: Iterable[Edge], key=lambda m: m) -> str:
    inside = set(comp)
    lines = sorted({f"  {e.importer}:{e.line} -> {e.target}" for e in edges
                    if key(e.importer) in inside and key(e.target) in inside and key(e.importer) != key(e.target)})
    return " <-> ".join(comp) + "\n" + "\n".join(lines)


MODS = modules()
EDGES = import_edges(MODS)


def test_no_import_cycle_between_modules():
    graph: dict[str, set[str]] = defaultdict(set)
    for e in EDGES:
        if e.target in MODS and e.target != e.importer:
            graph[e.importer].add(e.target)
    found = cycles(graph)
    assert not found, "import cycles (in-function imports count):\n" + "\n".join(_describe(c, EDGES) for c in found)


def test_no_cycle_between_subpackages():
    graph: dict[str, set[str]] = defaultdict(set)
    for e in EDGES:
        a, b = subpackage(e.importer), subpackage(e.target)
        if a and b and a != b and (e.importer, e.target) not in ALLOWED_PACKAGE_EDGES:
            graph[a].add(b)
    found = cycles(graph)
    assert not found, "subpackage cycles:\n" + "\n".join(_describe(c, EDGES, subpackage) for c in found)
    used = {(e.importer, e.target) for e in EDGES}
    assert ALLOWED_PACKAGE_EDGES <= used, f"allowed edges that no longer occur: {ALLOWED_PACKAGE_EDGES - used}"


def _private(e: Edge) -> bool:
    parts = e.target.split(".")[1:] + ([e.name] if e.name else [])
    return any(p.startswith("_") and not p.startswith("__") for p in parts)


def test_no_private_import_across_subpackages():
    bad = [e for e in EDGES if subpackage(e.importer) != subpackage(e.target) and _private(e)]
    unexpected = [e for e in bad if e.name not in ALLOWED_PRIVATE.get((e.importer, e.target), set())]
    assert not unexpected, "private names imported from another subpackage:\n" + "\n".join(
        f"  {e.importer}:{e.line} imports {e.name or ''} from {e.target}" for e in unexpected)
    seen = {(e.importer, e.target, e.name) for e in bad}
    stale = sorted((k, n) for k, names in ALLOWED_PRIVATE.items() for n in names if (*k, n) not in seen)
    assert not stale, f"allow-listed private imports that no longer occur (remove them): {stale}"


def test_the_walk_sees_what_the_rules_need():
    """The checks above are only as good as the walk: it must see in-function, relative and aliased
    imports, and the cycle finder must find a cycle."""
    edges = {(e.importer, e.target) for e in EDGES}
    assert ("leverlab.data.api", "leverlab.data.store") in edges  # inside load()
    assert ("leverlab.strategies.base", "leverlab.engine.strategy") in edges  # relative, two levels
    assert ("leverlab.data.readers.lean", "leverlab.data._tz") in edges  # from .. import module
    assert ("leverlab.engine.backtest", "leverlab.engine.account") in edges
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]] and cycles({"a": {"b"}}) == []
    assert _private(Edge("leverlab.x", "leverlab.engine._kernel", None, 1))
    assert _private(Edge("leverlab.x", "leverlab.engine.backtest", "_Broker", 1))
    assert not _private(Edge("leverlab.x", "leverlab.engine", "__version__", 1))
