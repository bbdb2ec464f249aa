"""The equating modules import one another without a cycle (function-level imports count).

A helper that two modules share lives in a third that both import (``percentiles`` for
``random_groups``, ``smoothing`` and ``spline_batch``); this test reads every import
statement of the package with :mod:`ast`, wherever it sits, and fails on any cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "cehrs_items" / "equating"
PREFIX = "cehrs_items.equating"


def import_graph(folder: Path, prefix: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (``__init__`` left out: a
    ``from package import module`` is an edge to that module)."""
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name in modules:
        tree = ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                base = node.module if node.level == 0 else f"{prefix}.{node.module}"
                if base == prefix:
                    targets = [a.name for a in node.names]
                elif base.startswith(prefix + "."):
                    targets = [base[len(prefix) + 1 :].split(".")[0]]
            elif isinstance(node, ast.ImportFrom) and node.level == 1:
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [
                    a.name[len(prefix) + 1 :].split(".")[0]
                    for a in node.names
                    if a.name.startswith(prefix + ".")
                ]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_no_import_cycle_between_equating_modules():
    graph = import_graph(PACKAGE, PREFIX)
    assert {"percentiles", "random_groups", "smoothing", "spline_batch"} <= set(graph)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_shared_helpers_live_below_their_users():
    graph = import_graph(PACKAGE, PREFIX)
    assert graph["percentiles"] == set()
    for user in ("random_groups", "spline_batch", "neat"):
        assert "percentiles" in graph[user], user
    assert "random_groups" not in graph["smoothing"] | graph["spline_batch"]
    assert "smoothing" not in graph["spline_batch"]


@pytest.mark.parametrize(
    ("sources", "cycle"),
    [
        ({"a": "from pkg import b\n", "b": "def f():\n    from pkg.a import g\n"}, "a b a"),
        ({"a": "from .b import x\n", "b": "import pkg.c\n", "c": "from pkg import a\n"}, "a b c a"),
        ({"a": "from pkg import b\n", "b": "import os\n"}, None),
    ],
)
def test_the_checker_sees_function_level_and_relative_imports(tmp_path, sources, cycle):
    for name, text in sources.items():
        (tmp_path / f"{name}.py").write_text(text, encoding="utf-8")
    found = find_cycle(import_graph(tmp_path, "pkg"))
    assert (" ".join(found) if found else None) == cycle
