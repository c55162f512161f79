"""The type lattice: what the compiler knows about a value, as data.

A value is a number or array (:class:`Num`: dtype kind, and for each dimension
whether its length is 1, ``MANY`` (known not to be 1) or unknown), a sequence or
dict (:class:`Seq`), a function passed as a value (:class:`Fn`), or something else
(:class:`Other`). Argument kinds are exactly these, so derivatives are generated
per combination of them. Inference over the IR lives in
:mod:`adjoint.transforms.types`; these facts sit at the bottom so every layer can
read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

MANY = -1


@dataclass(frozen=True)
class Num:
    """A number or array: ``dims`` is None when the rank is unknown; ``py`` for Python scalars."""

    dtype: str  # "f" float, "i" integer, "b" bool, "c" complex, "?" unknown
    dims: tuple | None
    py: bool = False

    def __str__(self) -> str:
        if self.dims is None:
            return f"{self.dtype}[*]"
        if self.py:
            return {"f": "float", "i": "int", "b": "bool"}.get(self.dtype, self.dtype)
        d = ",".join("1" if x == 1 else "n" if x == MANY else "?" for x in self.dims)
        return f"{self.dtype}[{d}]"


@dataclass(frozen=True)
class Seq:
    """A tuple or list with known items (``items`` None: unknown length)."""

    kind: str  # "tuple", "list" or "dict"
    items: tuple | None
    keys: tuple | None = None  # a dict's keys, in order
    #: Of a tuple or list of unknown length: the type each item has, when that is known
    #: (a tape appended to in a loop holds values of one type).
    elem: Any = None

    def __str__(self) -> str:
        inner = "..." if self.items is None else ", ".join(str(i) for i in self.items)
        if self.items is None and self.elem is not None:
            inner = f"{self.elem}..."
        return f"{self.kind}({inner})"

    def item(self, key: Any) -> Any:
        """The type stored under ``key`` (a position, or a dict key)."""
        if self.items is None:
            return self.elem if self.elem is not None and self.kind != "dict" else UNKNOWN
        if self.kind == "dict":
            keys = self.keys or ()
            return self.items[keys.index(key)] if key in keys else UNKNOWN
        if isinstance(key, int) and -len(self.items) <= key < len(self.items):
            return self.items[key]
        return UNKNOWN


@dataclass(frozen=True)
class Other:
    """Anything else (None, strings, objects); ``value`` when it is a known constant."""

    name: str

    def __str__(self) -> str:
        return self.name


UNKNOWN = Other("?")


@dataclass(frozen=True, eq=False)
class Fn:
    """A function (or other callable) passed as a value: the function itself is the kind.

    Two kinds are equal when they hold the same object, so a derivative specialized
    for one function is not reused for another.
    """

    obj: Any

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Fn) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __str__(self) -> str:
        return f"fn[{getattr(self.obj, '__qualname__', type(self.obj).__name__)}]"
FLOAT = Num("f", (), True)
INT = Num("i", (), True)
BOOL = Num("b", (), True)


def type_of_value(x: Any) -> Any:
    """The abstract type of a concrete Python value (used for arguments and constants)."""
    if isinstance(x, bool):
        return BOOL
    if isinstance(x, int):
        return INT
    if isinstance(x, float):
        return FLOAT
    if isinstance(x, complex):
        return Num("c", (), True)
    if isinstance(x, (np.ndarray, np.generic)):
        kind = x.dtype.kind
        dtype = "f" if kind == "f" else "i" if kind in "iu" else "b" if kind == "b" else \
            "c" if kind == "c" else "?"
        return Num(dtype, tuple(1 if n == 1 else MANY for n in np.shape(x)))
    if isinstance(x, tuple):
        return Seq("tuple", tuple(type_of_value(i) for i in x))
    if isinstance(x, list):
        return Seq("list", tuple(type_of_value(i) for i in x))
    if isinstance(x, dict) and all(isinstance(k, (str, int)) for k in x):
        return Seq("dict", tuple(type_of_value(v) for v in x.values()), tuple(x))
    if x is None:
        return Other("None")
    if isinstance(x, str):
        return Other("str")
    if callable(x) and not isinstance(x, type):
        return Fn(x)
    return UNKNOWN


def tangent_type(t: Any) -> Any:
    """The type of a tangent of a value of type ``t``: floating point, complex for a
    complex value (its tangent is ``da + i db``)."""
    if isinstance(t, Num):
        return Num("c" if t.dtype == "c" else "f", t.dims, t.py)
    if isinstance(t, Seq) and t.items is not None:
        return Seq(t.kind, tuple(tangent_type(i) for i in t.items), t.keys)
    return t


def join(a: Any, b: Any) -> Any:
    if a == b:
        return a
    if isinstance(a, Num) and isinstance(b, Num):
        dtype = a.dtype if a.dtype == b.dtype else "?"
        if a.dims is not None and b.dims is not None and len(a.dims) == len(b.dims):
            dims = tuple(x if x == y else None for x, y in zip(a.dims, b.dims))
            return Num(dtype, dims, a.py and b.py)
        return Num(dtype, None)
    if isinstance(a, Seq) and isinstance(b, Seq) and a.kind == b.kind:
        if a.items is None or b.items is None or len(a.items) != len(b.items):
            return Seq(a.kind, None, elem=None if a.kind == "dict" else
                       element_type([a, b]))
        if a.kind != "dict":
            return Seq(a.kind, tuple(join(x, y) for x, y in zip(a.items, b.items)))
        # Dicts: the same keys (in any order) join item by item, in a's order.
        if a.keys is None or b.keys is None or set(a.keys) != set(b.keys):
            return Seq("dict", None)
        other = dict(zip(b.keys, b.items))
        return Seq("dict", tuple(join(x, other[k]) for k, x in zip(a.keys, a.items)), a.keys)
    if isinstance(a, Other) and a.name == "undefined":
        return b
    if isinstance(b, Other) and b.name == "undefined":
        return a
    return UNKNOWN


def element_type(seqs: list[Any]) -> Any:
    """The type every item of the sequences ``seqs`` has (None: not known for all)."""
    out = None
    for t in seqs:
        if not isinstance(t, Seq):
            return None
        parts = t.items if t.items is not None else (t.elem,) if t.elem is not None else None
        if parts is None:
            return None
        for p in parts:
            out = p if out is None else join(out, p)
    return None if out == UNKNOWN else out


def broadcast(*ts: Any) -> tuple | None:
    dims_list = []
    for t in ts:
        if not isinstance(t, Num) or t.dims is None:
            return None
        if t.dims:  # a scalar never widens the result
            dims_list.append(t.dims)
    if not dims_list:
        return ()
    first = dims_list[0]
    if all(d == first for d in dims_list):  # the common case: one shape
        return first
    n = max(len(d) for d in dims_list)
    out: list[Any] = []
    for i in range(n):
        col = [d[len(d) - n + i] for d in dims_list if len(d) - n + i >= 0]
        if any(x == MANY for x in col):
            out.append(MANY)
        elif all(x == 1 for x in col):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


__all__ = ["BOOL", "FLOAT", "INT", "MANY", "UNKNOWN", "Fn", "Num", "Other", "Seq", "broadcast",
           "element_type", "join", "tangent_type", "type_of_value"]
