"""The package is a one-way house: layers import only downward, and nothing imports in a circle.

Bottom to top: errors, runtime (and array_helpers, order_helpers), markers, version, gcpause →
ir → frontend → rules → transforms → backend → driver (compiler, cache) → api, cli, display.
Every import counts, including those inside functions: an import placed in a function to
dodge a circle is still one.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "adjoint"

LAYERS = [
    {"errors", "runtime", "array_helpers", "order_helpers", "markers", "version", "gcpause"},
    {"ir"},
    {"frontend"},
    {"rules"},
    {"transforms"},
    {"backend"},
    {"compiler", "cache"},
    {"api", "jacobians", "higher", "gradient_control", "cli", "display", "testing",
     "__init__", "__main__"},
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_module(name: str) -> bool:
    base = ROOT.parent / name.replace(".", "/")
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _layer(name: str) -> int:
    parts = name.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"{name} belongs to no layer: add it to LAYERS in {__file__}")


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name.startswith("adjoint"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if not source.startswith("adjoint"):
                    continue
                for alias in node.names:
                    sub = f"{source}.{alias.name}"
                    targets.add(sub if _is_module(sub) else source)
        graph[module] = {t for t in targets if _is_module(t) and t != module}
    return graph


def test_every_import_goes_down_or_stays_in_its_layer():
    upward = sorted((m, t) for m, ts in _imports().items() for t in ts
                    if _layer(t) > _layer(m))
    assert upward == [], "imports from a lower layer to a higher one"


def test_no_module_imports_in_a_circle():
    graph = _imports()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert circles == []


def test_no_module_imports_a_private_name_of_another():
    """What a module keeps private (a leading underscore) stays private: a name another
    module needs is public, so renaming or removing a private one never breaks a caller."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(
                    "adjoint")):
                found += [f"{path.relative_to(ROOT.parent)}:{node.lineno} {a.name}"
                          for a in node.names if a.name.startswith("_") and
                          not a.name.startswith("__")]
    assert not found, found
