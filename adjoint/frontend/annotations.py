"""Argument kinds read from parameter annotations, statically.

A derivative is generated per kind of argument (Python scalar or array, rank, which
dimensions have length 1). When parameters are annotated, the kinds are known before
any call, so the command line and ``adjoint.source`` can write plain NumPy for them:

* ``float``, ``int``, ``bool``, ``complex``: a Python number;
* ``np.ndarray`` (or ``NDArray[...]``): an array of unknown rank;
* jaxtyping-style ``Float[np.ndarray, "n d"]``: an array of rank 2 whose dimensions
  are not 1 (a dimension written ``1`` has length 1; ``...`` or ``*batch`` leaves the
  rank unknown). ``Float``/``Int``/``Bool``/``Complex``/``Shaped`` give the dtype kind.

Arguments are taken to be real unless an annotation says they are complex: complex data
passed to a module written for arguments of unknown kind is outside what it is for.

The annotation is read from the text; jaxtyping is never imported. A module written
for these kinds checks them when it is called (see :mod:`adjoint.backend.module`).
"""

from __future__ import annotations

from typing import Any

import gast

from ..ir.types import BOOL, FLOAT, INT, MANY, Num

_DTYPES = {"Float": "f", "Float64": "f", "Float32": "f", "Int": "i", "Int64": "i",
           "Int32": "i", "Bool": "b", "Shaped": "?", "Num": "?", "Real": "?", "Inexact": "f",
           "Complex": "c", "Complex64": "c", "Complex128": "c"}


def _dotted(e: Any) -> str:
    if isinstance(e, gast.Name):
        return e.id
    if isinstance(e, gast.Attribute):
        base = _dotted(e.value)
        return f"{base}.{e.attr}" if base else ""
    return ""


def kind_of_annotation(node: Any) -> Any:
    """The argument kind an annotation states, or None when it says nothing usable."""
    if node is None:
        return None
    if isinstance(node, gast.Constant) and isinstance(node.value, str):
        try:
            node = gast.parse(node.value, mode="eval").body  # "from __future__" strings
        except SyntaxError:
            return None
    name = _dotted(node)
    last = name.rsplit(".", 1)[-1]
    if last == "float":
        return FLOAT
    if last == "int":
        return INT
    if last == "bool":
        return BOOL
    if last == "complex":
        return Num("c", (), True)
    if last in ("ndarray", "NDArray", "ArrayLike"):
        return Num("f", None)
    if isinstance(node, gast.Subscript):
        head = _dotted(node.value).rsplit(".", 1)[-1]
        if head == "NDArray":
            return Num("f", None)
        dtype = _DTYPES.get(head)
        parts = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
        if dtype is None or len(parts) != 2 or not (
                isinstance(parts[1], gast.Constant) and isinstance(parts[1].value, str)):
            return None
        return Num(dtype, _dims(parts[1].value))
    return None


def _dims(spec: str) -> tuple | None:
    dims: list[Any] = []
    for token in spec.split():
        if token in ("...",) or token.startswith("*") or token.startswith("#"):
            return None  # any number of dimensions
        if token == "1":
            dims.append(1)
        elif token.isdigit() or token.isidentifier() or token == "_":
            dims.append(MANY if token != "_" else None)
        else:
            dims.append(None)  # an expression of other dimensions: length unknown
    return tuple(dims)


def annotated_kinds(node: gast.FunctionDef) -> dict[str, Any]:
    """Parameter name -> kind, for the parameters whose annotation states one."""
    a = node.args
    out = {}
    for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs]:
        kind = kind_of_annotation(getattr(arg, "annotation", None))
        if kind is not None:
            out[arg.id] = kind
    return out


__all__ = ["annotated_kinds", "kind_of_annotation"]
