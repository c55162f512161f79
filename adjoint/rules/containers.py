"""Python's own containers and builtins: ``tuple``, ``list``, ``dict``, ``sum``, ``max``,
``min``, ``sorted``, and the dict methods ``items``, ``values``, ``keys``.

Converting or summing a sequence keeps its items, so the cotangent goes back item for
item, in the kind the argument was (``tuple(rows_of_a_matrix)`` sends the rows'
cotangents back stacked into a matrix). ``max(a, b)`` sends the cotangent to the
argument Python returned (the first of equals), as ``max(xs)`` does to its first
largest item. ``sorted`` sends each item's cotangent back to the place Python's stable
sort took it from. Dict keys carry no derivative.
"""

import builtins

import numpy as np

from .. import runtime as rt
from ..ir.prims import Method
from ..runtime import (
    dict_get_grad,
    dict_items_grad,
    dict_values_grad,
    max_of,
    min_of,
    pick_grad,
    pick_tangent,
    sequence_grad,
    sorted_order,
    sum_grad,
    take_items,
    unbroadcast,
    untake_items,
)
from .registry import facts, jvp_rule, method, nondifferentiable, vjp_rule
from .spaces import Array, Arrays, Choice, Custom, Flag, Number, space


@vjp_rule(builtins.tuple, builtins.list)
def _(g, ans, iterable=()):
    return sequence_grad(g, iterable)


@jvp_rule(builtins.tuple)
def _(diterable, ans, iterable=()):
    return tuple(diterable)


@jvp_rule(builtins.list)
def _(diterable, ans, iterable=()):
    return list(diterable)


@vjp_rule(builtins.dict)
def _(g, ans, mapping):
    return g


@jvp_rule(builtins.dict)
def _(dmapping, ans, mapping):
    return dict(dmapping)


@vjp_rule(builtins.sum, ndiff=2)
def _(g, ans, iterable, start=0):
    return sum_grad(g, iterable), unbroadcast(g, start)


@jvp_rule(builtins.sum, ndiff=2)
def _(diterable, dstart, ans, iterable, start=0):
    return sum(diterable, dstart)


@vjp_rule(builtins.max, ndiff=2)
def _(g, ans, a, b):
    return g * (a >= b), g * (a < b)


@jvp_rule(builtins.max, ndiff=2)
def _(da, db, ans, a, b):
    return da * (a >= b) + db * (a < b)


@vjp_rule(builtins.min, ndiff=2)
def _(g, ans, a, b):
    return g * (a <= b), g * (a > b)


@jvp_rule(builtins.min, ndiff=2)
def _(da, db, ans, a, b):
    return da * (a <= b) + db * (a > b)


@vjp_rule(builtins.sorted)
def _(g, ans, iterable, key=None, reverse=False):
    return sequence_grad(untake_items(g, sorted_order(iterable, reverse)), iterable)


@jvp_rule(builtins.sorted)
def _(diterable, ans, iterable, key=None, reverse=False):
    return take_items(diterable, sorted_order(iterable, reverse))


@vjp_rule(max_of, min_of)
def _(g, ans, iterable):
    return pick_grad(g, ans, iterable)


@jvp_rule(max_of, min_of)
def _(diterable, ans, iterable):
    return pick_tangent(diterable, ans, iterable)


def _items(d):
    return list(d.items())


def _values(d):
    return list(d.values())


def _keys(d):
    return list(d.keys())


method("items", _items)
method("values", _values)
method("keys", _keys)


@vjp_rule(_items)
def _(g, ans, d):
    return dict_items_grad(g, d)


@jvp_rule(_items)
def _(dd, ans, d):
    return list(dd.items())


@vjp_rule(_values)
def _(g, ans, d):
    return dict_values_grad(g, d)


@jvp_rule(_values)
def _(dd, ans, d):
    return list(dd.values())


def _get(d, key, default=None):
    return d.get(key, default)


method("get", _get)


@vjp_rule(_get, ndiff=3)
def _(g, ans, d, key, default=None):
    return dict_get_grad(g, d, key), None, g * (key not in d)


@jvp_rule(_get, ndiff=3)
def _(dd, dkey, ddefault, ans, d, key, default=None):
    return dd[key] if key in d else ddefault


nondifferentiable(_keys, Method("keys"))

# -- the calls these rules are written for ------------------------------------------------------
space(builtins.tuple, builtins.list, joint="items", iterable=Arrays())
space(builtins.dict, mapping=Custom("mapping", "a dict of numbers and arrays"))
space(builtins.sum, joint="items", iterable=Arrays(), start=Array(optional=True))
space(builtins.max, builtins.min, a=Number(), b=Number())
space(max_of, min_of, joint="items", iterable=Arrays())
space(builtins.sorted, joint="numbers", iterable=Arrays(ranks=(0, 0)), key=Choice((None,)),
      reverse=Flag(), note="`iterable` may be an array of rank 1 too; ties keep their order "
      "(Python's sort is stable), and so do their derivatives")
space(_items, _values, d=Custom("mapping", "a dict of numbers and arrays"))
space(_get, d=Custom("mapping", "a dict of numbers and arrays"),
      key=Custom("key", "a key of the dict"), default=Array(optional=True))
__all__ = ["np", "rt"]

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(builtins.max, builtins.min, foldable=True)
# max and min return one of their arguments, dict.get an item, items() and values() the
# items themselves; a sum allocates.
facts(builtins.max, builtins.min, rt.max_of, rt.min_of, _get, _items, _values, memory="view")
facts(builtins.sum, builtins.float, memory="new")
# A new container, holding the same items.
facts(builtins.tuple, builtins.list, builtins.dict, builtins.sorted, memory="view")
