"""Imports run one way (parsers ← crawler ← pipelines ← nianbao), with no cycle between modules."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"parsers": 0, "crawler": 1, "pipelines": 2, "nianbao": 3}
OURS = (*LAYERS, "bench", "tests")


def _modules() -> dict[str, Path]:
    found = {}
    for top in (*LAYERS, "bench"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The longest module of ours that `name` (a dotted import target) names or lies in."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in MODULES:
            return ".".join(parts)
        parts.pop()
    return None


def _imports(module: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported module of ours, line, inside a function) for each import in the file."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" for a in child.names] if base else []
            for t in targets:
                if t.split(".")[0] in OURS:
                    resolved = _resolve(t) or t
                    # a deliberate late import says why on its line: "# lazy: heavy (Scrapy)" or similar
                    lazy = "# lazy:" in lines[child.lineno - 1]
                    out.append((resolved, child.lineno, in_function and not lazy))
            visit(child, nested)

    visit(tree, False)
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def test_no_import_against_the_layers():
    wrong = []
    for module, imports in GRAPH.items():
        top = module.split(".")[0]
        for target, line, _ in imports:
            ttop = target.split(".")[0]
            if ttop == "tests" and top != "tests":
                wrong.append(f"{module}:{line} imports {target} (only tests import tests)")
            elif top in LAYERS and ttop in LAYERS and LAYERS[ttop] > LAYERS[top]:
                wrong.append(f"{module}:{line} imports {target} (against parsers ← crawler ← pipelines ← nianbao)")
    assert not wrong, "\n".join(wrong)


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w, _, _ in GRAPH.get(v, ()):
            if w == v or w not in GRAPH:
                continue
            if w not in index:
                strong(w)
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
                found.append(sorted(comp))

    for v in GRAPH:
        if v not in index:
            strong(v)
    return found


def test_no_import_cycle():
    # a package's __init__ importing its own submodules is not a cycle of ours: drop those edges
    for module in list(GRAPH):
        if MODULES[module].name == "__init__.py":
            GRAPH[module] = [e for e in GRAPH[module] if not e[0].startswith(module + ".")]
    assert not _cycles(), _cycles()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_own_modules_are_imported_at_the_top(module):
    """An import of our own code inside a function hides a cycle or a wrong direction, unless it says
    on its line why it is late (`# lazy: …`: it pulls in a heavy or optional dependency)."""
    inner = sorted({f"{module}:{line} imports {t}" for t, line, in_function in GRAPH[module] if in_function})
    assert not inner, "\n".join(inner)
