"""Deep copies of functions, so passes never mutate IR that someone else holds."""

from __future__ import annotations

from ..ir.core import Function, Value
from .builder import Builder, clone_op


def clone_function(fn: Function) -> Function:
    new = Function(fn.name, fn.param_names, fn.filename)
    new.defaults = dict(fn.defaults)
    new.meta = dict(fn.meta)
    mapping: dict[Value, Value] = {}
    for old, p in zip(fn.params, new.params):
        p.type = old.type
        mapping[old] = p
    b = Builder(new.body)
    for op in fn.body.ops:
        b.add(clone_op(op, mapping))
    return new
