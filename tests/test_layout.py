"""The package's shape: the stages are folders (docs/design.md's diagram is the tree) and the
modules import each other without cycles at import time (lazy imports inside functions aside)."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "clipper"


def _module(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    files = {_module(p): p for p in PKG.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # top level only: run at import
            if isinstance(node, ast.ImportFrom):
                base = pkg.split(".")
                if node.level:
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    graph[mod] |= {sub} if sub in files else ({target} if target in files else set())
            elif isinstance(node, ast.Import):
                graph[mod] |= {a.name for a in node.names if a.name in files}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return [*stack[stack.index(n):], n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycles():
    graph = _graph()
    assert "clipper.query.search" in graph["clipper.clips.plan"]  # the graph sees relative imports
    assert _cycle(graph) is None


def test_a_cycle_would_be_found():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_stages_are_folders():
    folders = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert {"read", "align", "query", "clips", "export", "review", "sync", "batch", "cli"} <= folders
    # what stays at the top: the shared core and the calls that run the stages in order
    top = {p.stem for p in PKG.glob("*.py")} - {"__init__", "__main__"}
    assert top == {"alignfile", "errors", "evaluate", "io", "media", "model", "pipeline", "subtitles", "text", "timecode", "vad", "workflow"}
