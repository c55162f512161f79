"""A textual form of the IR, for tests, documentation and notebooks.

::

    func f(%x, %y) {
      %0 = call numpy.tanh(%x)
      %h = call operator.mul(%0, %y)
      return %h
    }

Values print as ``%name`` from their hint (``%name.1`` when a hint repeats) or
``%N`` for temporaries; numbering follows program order, so the text is
deterministic and readable in a diff.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from .core import Block, Function, Op, Value
from .prims import Primitive


def stats_name(obj: Any) -> str | None:
    """The name ``scipy.stats`` exports ``obj`` under, when it is one of its distribution
    objects (``norm``, ``multivariate_normal``), else None."""
    import sys

    stats = sys.modules.get("scipy.stats")
    if stats is None or not type(obj).__module__.startswith("scipy.stats."):
        return None
    name = getattr(obj, "name", None)
    if isinstance(name, str) and getattr(stats, name, None) is obj:
        return name
    return next((k for k, v in vars(stats).items() if v is obj and not k.startswith("_")),
                None)


def distribution_method(obj: Any) -> tuple[str, str] | None:
    """``("norm", "logpdf")`` for ``scipy.stats.norm.logpdf``: a method of one of the
    distribution objects ``scipy.stats`` exports (else None)."""
    owner = getattr(obj, "__self__", None)
    method = getattr(obj, "__name__", None)
    name = stats_name(owner) if owner is not None and method else None
    return (name, method) if name and method else None


def callee_name(obj: Any) -> str:
    """A stable dotted name for a callee: ``numpy.tanh``, ``operator.mul``, ``attr.T``."""
    if isinstance(obj, Primitive):
        return obj.label
    dist = distribution_method(obj)
    if dist is not None:
        return f"scipy.stats.{dist[0]}.{dist[1]}"
    frozen_by = stats_name(obj)
    if frozen_by is not None:  # norm(mu, s): a frozen distribution is made
        return f"scipy.stats.{frozen_by}"
    if isinstance(obj, np.ufunc):
        name = obj.__name__
        if getattr(np, name, None) is obj:
            return f"numpy.{name}"
        import sys

        special = sys.modules.get("scipy.special")
        if special is not None and getattr(special, name, None) is obj:
            return f"scipy.special.{name}"
        return name
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    if module in ("_operator", "builtins"):
        module = "operator" if module == "_operator" else ""
    if module.startswith("numpy"):
        module = "numpy" + ("" if module in ("numpy", "numpy._core.fromnumeric") else "")
        for sub in ("linalg", "fft"):
            if getattr(obj, "__module__", "").startswith(f"numpy.{sub}"):
                module = f"numpy.{sub}"
    if module.startswith("scipy."):
        # scipy.linalg._basic.solve_banded is scipy.linalg.solve_banded to its users.
        parts = module.split(".")
        public = [p for p in parts[:next((i for i, p in enumerate(parts) if p.startswith("_")),
                                         len(parts))]]
        module = ".".join(public)
    return f"{module}.{name}" if module else name


def format_const(value: Any) -> str:
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__}"
    if isinstance(value, np.ndarray):
        return f"array{list(value.shape)}"
    if callable(value) and not isinstance(value, (int, float, complex)):
        return callee_name(value)
    return repr(value)


class _Namer:
    def __init__(self) -> None:
        self.names: dict[Value, str] = {}
        self.taken: dict[str, int] = {}
        self.counter = 0

    def __call__(self, v: Value) -> str:
        name = self.names.get(v)
        if name is None:
            if v.hint:
                n = self.taken.get(v.hint, 0)
                self.taken[v.hint] = n + 1
                name = f"%{v.hint}" + (f".{n}" if n else "")
            else:
                name = f"%{self.counter}"
                self.counter += 1
            self.names[v] = name
        return name


def print_function(fn: Function, types_: bool = False) -> str:
    """The text of ``fn``; with ``types_`` each result shows its inferred type."""
    namer = _Namer()
    params = ", ".join(namer(p) for p in fn.params)
    lines = [f"func {fn.name}({params}) {{"]
    _print_block(fn.body, namer, lines, 1, types_)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _print_block(block: Block, namer: _Namer, lines: list[str], depth: int, types_: bool) -> None:
    # Recursion here follows the nesting of regions, not the length of the program.
    ind = "  " * depth
    for op in block.ops:
        if op.opname in ("if", "for", "while"):
            lines.append(ind + _control_head(op, namer))
            for i, region in enumerate(op.regions):
                lines.extend(_region_header(op, i, region, namer, ind))
                _print_block(region, namer, lines, depth + 1, types_)
            lines.append(ind + "}")
        else:
            lines.append(ind + _format_op(op, namer, types_))


def _region_header(op: Op, i: int, region: Block, namer: _Namer, ind: str) -> list[str]:
    args = ", ".join(namer(a) for a in region.args)
    if op.opname == "if":
        return [] if i == 0 else [ind + "} else {"]
    if op.opname == "while":
        if i == 0:
            return [ind + f"  ^before({args}):"]
        return [ind + "} do {", ind + f"  ^body({args}):"]
    return [ind + f"  ^body({args}):"]


def _control_head(op: Op, namer: _Namer) -> str:
    res = ", ".join(namer(r) for r in op.results)
    lhs = f"{res} = " if res else ""
    ops = [namer(v) for v in op.operands]
    if op.opname == "if":
        return f"{lhs}if {ops[0]} {{"
    if op.opname == "for":
        niter = op.attrs["niter"]
        it = ", ".join(ops[:niter])
        carried = ", ".join(ops[niter:])
        kind = op.attrs.get("kind", "iter")
        return f"{lhs}for {kind}({it}) iter({carried}) {{"
    return f"{lhs}while iter({', '.join(ops)}) {{"


def _format_op(op: Op, namer: _Namer, types_: bool) -> str:
    res = ", ".join(namer(r) for r in op.results)
    lhs = f"{res} = " if res else ""
    if op.opname == "const":
        text = f"{lhs}const {format_const(op.attrs['value'])}"
    elif op.opname == "call":
        pos = [namer(v) for v in op.positional()]
        kw = [f"{k}={namer(v)}" for k, v in op.keywords().items()]
        callee = op.attrs["callee"]
        extra = ""
        index = getattr(callee, "index", None) if isinstance(callee, Primitive) else None
        if index is not None:
            extra = f"[{_format_index(index)}]"
        text = f"{lhs}call {callee_name(callee)}{extra}({', '.join(pos + kw)})"
    else:
        text = f"{lhs}{op.opname} {', '.join(namer(v) for v in op.operands)}".rstrip()
    if types_ and op.results and op.results[0].type is not None:
        text += f"  : {', '.join(str(r.type) for r in op.results)}"
    return text


def _format_index(index: Any) -> str:
    def slot(s: Any) -> str:
        if s is None:
            return ""
        return f"${s[1]}" if s[0] == "dyn" else repr(s[1])

    parts = []
    for item in index.items:
        if item[0] in ("dyn", "const"):
            parts.append(slot(item))
        elif item[0] == "slice":
            text = f"{slot(item[1])}:{slot(item[2])}"
            if item[3] is not None:
                text += f":{slot(item[3])}"
            parts.append(text)
        elif item[0] == "none":
            parts.append("None")
        else:
            parts.append("...")
    return ", ".join(parts) + ("," if index.is_tuple and len(parts) == 1 else "")
