"""gast statements to the standard library's ``ast``, for ``ast.unparse``.

The emitter builds gast nodes (the frontend reads gast, so rules and user code share
one node vocabulary) and prints them with ``ast.unparse``, which wants ``ast`` nodes.
``gast.gast_to_ast`` converts anything gast can hold, for every Python version, and
so pays for a generic visitor per node; in a long derivative it was a tenth of the
compile time. The statements the emitter writes use a small part of the language
whose gast and ``ast`` forms differ in nothing but the class, so this converter
copies fields by a table built once per class, and hands every other node (function
definitions, lambdas, handlers: where gast's ``Name`` stands for an ``arg``) to gast.
"""

from __future__ import annotations

import ast
from typing import Any

import gast

#: gast classes whose ast form differs in more than the class: gast converts them.
_BY_GAST = frozenset({"arguments", "FunctionDef", "AsyncFunctionDef", "Lambda",
                      "ExceptHandler", "ClassDef", "alias", "withitem", "match_case",
                      "MatchAs", "MatchStar", "MatchMapping", "MatchClass", "Try",
                      "TryStar", "Import", "ImportFrom"})
_SPECS: dict[type, tuple[type, tuple[str, ...]] | None] = {}


def _spec(cls: type) -> tuple[type, tuple[str, ...]] | None:
    name = cls.__name__
    target = getattr(ast, name, None)
    if target is None or name in _BY_GAST:
        return None
    fields = tuple(f for f in getattr(cls, "_fields", ()) if f in target._fields)
    return target, fields


def to_ast(node: Any) -> Any:
    """The ``ast`` form of gast ``node`` (lists and plain values pass through)."""
    if isinstance(node, list):
        return [to_ast(n) for n in node]
    cls = type(node)
    try:
        spec = _SPECS[cls]
    except KeyError:
        spec = _SPECS[cls] = _spec(cls) if isinstance(node, gast.AST) else None
    if spec is None:
        return gast.gast_to_ast(node) if isinstance(node, gast.AST) else node
    target, fields = spec
    out = target(**{f: to_ast(getattr(node, f, None)) for f in fields})
    return out
