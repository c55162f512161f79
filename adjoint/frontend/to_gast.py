"""The standard library's ``ast`` to gast, for the definitions the frontend reads.

``gast.ast_to_gast`` converts any tree for any Python version with a generic visitor:
several Python calls and a keyword-argument constructor per node. Reading a long
function spent a quarter of its lowering there. Almost every node's gast form is the
``ast`` node with another class, so this converter copies each class's fields and
positions by getters built once per class, into nodes made without calling their
constructors. The few classes gast itself rewrites (``arg`` becomes a ``Name``,
handlers, type parameters...) are converted by gast, except the ones written out
here exactly as gast writes them. The result equals gast's, field for field and in
the same order (the tests compare the two on whole files).
"""

from __future__ import annotations

import ast
import sys
from operator import attrgetter
from typing import Any

import gast
from gast.ast3 import Ast3ToGAst

_new = gast.AST.__new__
_AST = ast.AST
_GAST = Ast3ToGAst()
_MISSING = object()

#: Classes gast rewrites in its own visitor (for this Python and this gast).
_REWRITTEN = frozenset(
    name[len("visit_"):] for name in dir(Ast3ToGAst) if name.startswith("visit_")
    and getattr(Ast3ToGAst, name) is not getattr(ast.NodeTransformer, name, None))
#: Of those, the ones converted here, as gast converts them: a parameter is a ``Name``;
#: before Python 3.12, definitions gain an empty ``type_params``.
_HERE = {"Name", "arg"} | ({"FunctionDef", "AsyncFunctionDef", "ClassDef"}
                          if sys.version_info < (3, 12) else set())
_POSITION = ("lineno", "col_offset", "end_lineno", "end_col_offset")

#: ast class -> its converter (built on first use).
_CONVERT: dict[type, Any] = {}


def to_gast(node: Any) -> Any:
    """The gast form of the ``ast`` tree ``node``, as ``gast.ast_to_gast`` makes it."""
    try:
        convert = _CONVERT[type(node)]
    except KeyError:
        convert = _converter(type(node))
    return convert(node)


def _value(v: Any) -> Any:
    """A field's value converted: nodes and lists of them; other values as they are."""
    if type(v) is list:
        return [_value(x) for x in v]
    if isinstance(v, _AST):
        return to_gast(v)
    return v


def _converter(cls: type) -> Any:
    convert = _CONVERT[cls] = _make_converter(cls)
    return convert


def _make_converter(cls: type) -> Any:
    if not issubclass(cls, _AST):
        return lambda v: v
    name = cls.__name__
    if name in _REWRITTEN and name not in _HERE:
        return _GAST.visit
    if name == "Name":
        return _name_converter()
    if name == "arg":
        return _arg_converter()
    target = getattr(gast, name, None)
    if target is None:
        return lambda node: None  # not part of gast's tree (as gast drops it)
    fields: tuple[str, ...] = tuple(cls._fields)
    attrs: tuple[str, ...] = tuple(cls._attributes)
    if not fields and not attrs:  # contexts and operators: a new empty node each
        return lambda node: _new(target)
    # A parsed node's __dict__ holds its fields then its positions, in the order gast
    # writes them; any other content (a field missing, something added) goes to gast.
    keys = fields + attrs
    type_params = name in _HERE  # before 3.12: gast adds an empty type_params

    def convert(node: Any) -> Any:
        d = node.__dict__.copy()
        if tuple(d) != keys:
            return _GAST.visit(node)
        for f in fields:
            v = d[f]
            if type(v) is list:
                d[f] = [_value(x) for x in v]
            elif isinstance(v, _AST):
                try:
                    d[f] = _CONVERT[type(v)](v)
                except KeyError:
                    d[f] = _converter(type(v))(v)
        if type_params:
            if d["lineno"] is None or d["col_offset"] is None:
                return _GAST.visit(node)  # gast's copy_location leaves these out
            positions = [(a, d.pop(a)) for a in attrs]
            d["type_params"] = []
            d.update(positions)
        new = _new(target)
        new.__dict__ = d
        return new

    return convert


def _name_converter() -> Any:
    """``Name(id, ctx)`` -> gast's ``Name(id, ctx, annotation=None, type_comment=None)``."""
    target = gast.Name
    contexts = {ast.Load: gast.Load, ast.Store: gast.Store, ast.Del: gast.Del}

    def convert(node: Any) -> Any:
        d = node.__dict__
        try:
            if len(d) != 6:  # id, ctx and the four positions, and nothing else
                raise KeyError
            ctx = contexts[type(d["ctx"])]
            line, col = d["lineno"], d["col_offset"]
            new_d = {"id": d["id"], "ctx": _new(ctx), "annotation": None,
                     "type_comment": None, "lineno": line, "col_offset": col,
                     "end_lineno": d["end_lineno"], "end_col_offset": d["end_col_offset"]}
        except KeyError:
            return _GAST.visit(node)
        if line is None or col is None:  # gast's copy_location leaves these out
            return _GAST.visit(node)
        new = _new(target)
        new.__dict__ = new_d
        return new

    return convert


def _arg_converter() -> Any:
    """A parameter ``arg(name, annotation)`` -> gast's ``Name(name, Param(), ...)``."""
    get = attrgetter("arg", "annotation", "type_comment", *_POSITION)
    target, param = gast.Name, gast.Param

    def convert(node: Any) -> Any:
        try:
            name, annotation, comment, line, col, end_line, end_col = get(node)
        except AttributeError:
            return _GAST.visit(node)
        if line is None or col is None:
            return _GAST.visit(node)
        new = _new(target)
        d = new.__dict__
        d["id"] = name
        d["ctx"] = _new(param)
        d["annotation"] = _value(annotation)
        d["type_comment"] = _value(comment)
        d["lineno"], d["col_offset"] = line, col
        d["end_lineno"], d["end_col_offset"] = end_line, end_col
        return new

    return convert
