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
#: gast class -> how to convert its nodes (None: not a gast node, passed through).
_CONVERT: dict[type, Any] = {}


def _converter(cls: type) -> Any:
    """How to convert nodes of ``cls``: by gast, to one shared node (classes without
    fields: contexts and operators, which ``ast.unparse`` only reads), or field by field."""
    if not issubclass(cls, gast.AST):
        return None
    name = cls.__name__
    target = getattr(ast, name, None)
    if target is None or name in _BY_GAST:
        return gast.gast_to_ast
    fields = tuple(f for f in getattr(cls, "_fields", ()) if f in target._fields)
    if not fields and not target._fields:
        shared = target()
        return lambda node: shared
    if name == "Name":
        return lambda node: ast.Name(node.id, to_ast(node.ctx))
    if name == "Constant":
        return lambda node: ast.Constant(node.value, node.kind)
    return lambda node: target(**{f: to_ast(getattr(node, f, None)) for f in fields})


def to_ast(node: Any) -> Any:
    """The ``ast`` form of gast ``node`` (lists and plain values pass through)."""
    cls = type(node)
    if cls is list:
        return [to_ast(n) for n in node]
    try:
        convert = _CONVERT[cls]
    except KeyError:
        convert = _CONVERT[cls] = _converter(cls)
    return node if convert is None else convert(node)
