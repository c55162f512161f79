"""Argument spaces: which calls of each callable its derivative rules are written for.

A rule is right, or wrong, for a whole family of calls: ``np.var(x)``, ``np.var(x, -1,
keepdims=True)``, ``x.var(axis=(0, 2), ddof=1)`` all go through one rule. Each family
module declares, next to its rules, the *space* of calls they support::

    space(np.var, a=Array(), axis=Axis("a"), dtype=Dtype(), ddof=Real(0, 2), keepdims=Flag())

The declaration is read three times:

* when a derivative is made (:func:`check_arguments`): an argument outside the space is
  refused with an :class:`~adjoint.errors.UnsupportedArgumentError` that names it and
  says what is supported, instead of being differentiated wrongly;
* by the property test (``tests/test_rule_spaces.py``), which draws calls from every
  space (shapes, dtypes, negative and tuple axes, positional or keyword passing...) and
  checks the generated derivatives on each;
* by ``python -m adjoint.rules.catalog --markdown``, which lists every space in
  ``docs/rules.md``.

The forms (:class:`Array`, :class:`Axis`...) describe the values a parameter may take.
Parameters are listed in the order of the callable's signature; a parameter of the
callable left out of its space is not supported (``out=``, ``where=``...), except when
it is passed its default value. ``joint`` names how the inputs' shapes relate when
that is more than broadcasting (``"matmul"``: inner dimensions agree); the property
test draws such inputs together.
"""

from __future__ import annotations

import inspect
import math
import numbers
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import UnsupportedArgumentError
from ..ir import prims
from ..ir.core import NOT_CONST, Op, const_value
from ..ir.printer import callee_name
from ..ir.types import Num
from .registry import canonical, find_jvp, find_vjp, key_of

#: The values an :class:`Array` may hold, and how ``docs/rules.md`` says it.
DOMAINS = {
    "real": "",
    "positive": "> 0",
    "nonzero": "≠ 0",
    "unit": "in (-1, 1)",
    "above_one": "> 1",
    "open01": "in (0, 1)",
    "open02": "in (0, 2)",
    "distinct": "without ties",
    "zeros": "",  # real numbers, some of them exactly zero (products)
    "nan": "NaN where ignored",
    "mod": "not where the result jumps",
    "lgamma": "not 0, -1, -2...",
}


class Form:
    """The values one parameter is supported with."""

    def describe(self) -> str:
        """How docs/rules.md and error messages say it."""
        raise NotImplementedError

    def accepts(self, value: Any) -> bool:
        """Is the constant ``value`` (known when the derivative is made) supported?"""
        return True


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_number(v: Any) -> bool:
    return isinstance(v, (numbers.Real, np.number)) and not isinstance(v, (bool, np.bool_))


@dataclass(frozen=True)
class Array(Form):
    """A differentiable argument: an array of rank ``ranks[0]`` to ``ranks[1]`` (None: any).

    ``number``: a Python number is fine too. ``like``: broadcasts against that earlier
    parameter. ``optional``: may be ``None`` (then it is not differentiated).
    ``domain``: where the function is differentiable (a key of :data:`DOMAINS`).
    ``matrix``: a matrix or a stack of them, of that kind (``square`` ones).
    """

    domain: str = "real"
    ranks: tuple[int, int | None] = (0, None)
    number: bool = True
    like: str | None = None
    optional: bool = False
    square: bool = False
    matrix: str = ""  # "", "any", "invertible", "spd", "symmetric", "real_eigen", "svd"

    def describe(self) -> str:
        lo, hi = self.ranks
        if self.matrix:
            kind = {"any": "", "invertible": "invertible ", "spd": "symmetric positive definite ",
                    "symmetric": "symmetric ", "real_eigen": "diagonalizable ",
                    "svd": ""}[self.matrix]
            article = "an" if kind[:1] in ("a", "e", "i", "o", "u") else "a"
            text = f"{article} {kind}{'square ' if self.square and self.matrix == 'any' else ''}" \
                "matrix"
            if hi is None or hi > 2:
                text += " or a stack of them"
        elif hi is None:
            text = "an array of any rank" if lo == 0 else f"an array of rank {lo} or more"
        else:
            text = f"an array of rank {lo}" if lo == hi else f"an array of rank {lo} or {hi}" \
                if hi == lo + 1 else f"an array of rank {lo} to {hi}"
        if self.number:
            text += " or a number"
        if self.like:
            text += f" (broadcasting against `{self.like}`)"
        if DOMAINS.get(self.domain):
            text += f", {DOMAINS[self.domain]}"
        if self.optional:
            text += ", or None"
        return text

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.optional
        return not isinstance(value, (str, bytes))


@dataclass(frozen=True)
class Arrays(Form):
    """A list or tuple of differentiable arrays (``np.concatenate``, ``np.stack``...)."""

    ranks: tuple[int, int | None] = (0, None)

    def describe(self) -> str:
        return "a list or tuple of numbers" if self.ranks == (0, 0) else \
            "a list or tuple of arrays"


@dataclass(frozen=True)
class Number(Form):
    """A differentiable Python number (the ``math`` module's arguments)."""

    domain: str = "real"
    optional: bool = False

    def describe(self) -> str:
        text = "a number"
        if DOMAINS.get(self.domain):
            text += f" {DOMAINS[self.domain]}"
        return text + (", or None" if self.optional else "")

    def accepts(self, value: Any) -> bool:
        return (value is None and self.optional) or _is_number(value) or \
            isinstance(value, np.ndarray)


@dataclass(frozen=True)
class Data(Form):
    """An argument that is read but not differentiated (indices, a condition, exponents)."""

    kind: str
    text: str

    def describe(self) -> str:
        return self.text


@dataclass(frozen=True)
class Axis(Form):
    """An axis of parameter ``of``: an int (negative counts from the end), a tuple of
    distinct ones when ``multi``, or None when ``none``. ``extra`` widens the range (the
    result has that many more dimensions: ``np.stack``, ``np.expand_dims``)."""

    of: str
    multi: bool = True
    none: bool = True
    extra: int = 0

    def describe(self) -> str:
        parts = ["an int"] + (["a tuple of ints"] if self.multi else [])
        if self.none:
            parts = ["None"] + parts
        text = ", ".join(parts[:-1]) + " or " + parts[-1] if len(parts) > 1 else parts[0]
        return text + (" (negative counts from the end)")

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.none
        if _is_int(value):
            return True
        if self.multi and isinstance(value, (tuple, list)):
            return all(_is_int(a) for a in value) and len(set(value)) == len(value)
        return False


@dataclass(frozen=True)
class Flag(Form):
    """True or False."""

    def describe(self) -> str:
        return "True or False"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_)) or value in (0, 1)


@dataclass(frozen=True)
class Int(Form):
    """An int; the property test draws it from ``lo`` to ``hi``."""

    lo: int = 0
    hi: int = 2
    text: str = "an int"

    def describe(self) -> str:
        return self.text

    def accepts(self, value: Any) -> bool:
        return _is_int(value)


@dataclass(frozen=True)
class Real(Form):
    """A real number that is not differentiated (``ddof``); drawn from ``lo`` to ``hi``."""

    lo: float = 0.0
    hi: float = 2.0
    text: str = "a number"
    #: None is fine too (``posinf=None``: NumPy's own choice).
    optional: bool = False

    def describe(self) -> str:
        return self.text + (", or None" if self.optional else "")

    def accepts(self, value: Any) -> bool:
        return _is_number(value) or (self.optional and value is None)


@dataclass(frozen=True)
class Choice(Form):
    """One of ``values``."""

    values: tuple[Any, ...]

    def describe(self) -> str:
        return ", ".join(_show(v) for v in self.values[:-1]) + \
            (" or " if len(self.values) > 1 else "") + _show(self.values[-1])

    def accepts(self, value: Any) -> bool:
        return any(_same(value, v) for v in self.values)


@dataclass(frozen=True)
class Dtype(Form):
    """``dtype=``: None or a floating dtype (by name, type or ``np.dtype``)."""

    def describe(self) -> str:
        return "None or a floating dtype (`np.float32`, `np.float64`, `float`)"

    def accepts(self, value: Any) -> bool:
        if value is None:
            return True
        try:
            return np.dtype(value).kind == "f"
        except TypeError:
            return False


@dataclass(frozen=True)
class Custom(Form):
    """Values only one callable takes; ``kind`` names how the property test draws them."""

    kind: str
    text: str
    check: Callable[[Any], bool] | None = None

    def describe(self) -> str:
        return self.text

    def accepts(self, value: Any) -> bool:
        return self.check is None or bool(self.check(value))


def _show(v: Any) -> str:
    if isinstance(v, float) and math.isinf(v):
        return "`np.inf`" if v > 0 else "`-np.inf`"
    return f"`{v!r}`"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (str, bytes)) or isinstance(b, (str, bytes)):
        return type(a) is type(b) and a == b
    if a is None or b is None:
        return a is b
    if isinstance(a, (bool, np.bool_)) != isinstance(b, (bool, np.bool_)):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


@dataclass
class Space:
    """The calls of one callable its rules support: one form per supported parameter."""

    args: dict[str, Form]
    #: How the inputs' shapes relate beyond broadcasting (the property test's joint drawer).
    joint: str | None = None
    #: What else a reader of docs/rules.md should know.
    note: str = ""
    #: Derivatives are not defined where the result is zero (``std``, ``norm``).
    singular_at_zero: bool = False
    #: The callables that share this space.
    callees: tuple[Any, ...] = field(default_factory=tuple)

    def inputs(self) -> list[str]:
        """The differentiable parameters."""
        return [n for n, f in self.args.items() if isinstance(f, (Array, Arrays, Number))]


#: Callable (its rule-table key) -> its space.
SPACES: dict[Any, Space] = {}


def space(*fns: Any, joint: str | None = None, note: str = "", singular_at_zero: bool = False,
          **args: Form) -> Space:
    """Declare the space of calls the rules of ``fns`` support (see the module docstring)."""
    s = Space(dict(args), joint, note, singular_at_zero, tuple(fns))
    for fn in fns:
        SPACES[key_of(fn)] = s
    return s


def unary(*fns: Any, domain: str = "real") -> None:
    """Elementwise functions of one array (or number) argument ``x``."""
    space(*fns, x=Array(domain))


def binary(*fns: Any, left: str = "real", right: str = "real", names: tuple[str, str] = ("x1",
                                                                                          "x2")):
    """Elementwise functions of two arguments that broadcast against each other."""
    a, b = names
    space(*fns, **{a: Array(left), b: Array(right, like=a)})  # type: ignore[arg-type]


def scalar(*fns: Any, domain: str = "real") -> None:
    """``math`` functions of one number."""
    space(*fns, x=Number(domain))


def space_of(callee: Any) -> Space | None:
    """The space of ``callee`` (a method's is its function's)."""
    return SPACES.get(key_of(canonical(callee))) or SPACES.get(key_of(callee))


# -- refusing what is not supported, when the derivative is made ---------------------------------
def static_value(v: Any) -> Any:
    """The constant ``v`` holds, looking through tuples, lists and negation, else NOT_CONST."""
    c = const_value(v)
    if c is not NOT_CONST:
        return c
    op = v.owner
    if not isinstance(op, Op) or op.opname != "call":
        return NOT_CONST
    if op.callee in (prims.BUILD_TUPLE, prims.BUILD_LIST):
        items = [static_value(u) for u in op.operands]
        if any(i is NOT_CONST for i in items):
            return NOT_CONST
        return tuple(items) if op.callee is prims.BUILD_TUPLE else list(items)
    if op.callee is operator.neg and len(op.operands) == 1:
        inner = static_value(op.operands[0])
        return NOT_CONST if inner is NOT_CONST or not _is_number(inner) else -inner
    return NOT_CONST


def argument(op: Any, name: str) -> Any:
    """The value a call passes as the rule parameter ``name``, by keyword or position
    (``None`` when it is not passed): ``keepdims`` of ``np.sum(x, 0, None, None, True)``."""
    kw = op.keywords()
    if name in kw:
        return kw[name]
    rule = find_vjp(op.callee) or find_jvp(op.callee)
    if rule is None or name not in rule.params:
        return None
    k = rule.params.index(name)
    pos = op.positional()
    return pos[k] if k < len(pos) else None


def check_arguments(callee: Any, values: dict[str, Any], loc: Any) -> None:
    """Refuse a call whose arguments are outside the space its rules support.

    ``values`` maps the rule's parameter names to the call's IR values. Passing a
    parameter its default explicitly (``out=None``) is always fine.
    """
    s = space_of(callee)
    if s is None:
        return
    for name, v in values.items():
        form = s.args.get(name)
        value = static_value(v)
        if form is None:
            defaults = _defaults(callee)
            if value is not NOT_CONST and name in defaults and _same(value, defaults[name]):
                continue
            raise unsupported(callee_name(callee), name, s, loc)
        rank = _rank(v)
        lo, hi = form.ranks if isinstance(form, Array) else (0, None)
        if rank is not None and not (lo <= rank and (hi is None or rank <= hi)):
            label = callee_name(callee)
            raise UnsupportedArgumentError(
                f"the derivative of '{label}' takes {name} as {form.describe()}, not an "
                f"array of rank {rank}", loc,
                f"see docs/rules.md for the arguments of {label}",
            )
        if value is not NOT_CONST and not form.accepts(value):
            label = callee_name(callee)
            raise UnsupportedArgumentError(
                f"the derivative of '{label}' takes {name} as {form.describe()}, "
                f"not {value!r}", loc,
                f"see docs/rules.md for the arguments of {label}, or compute this part with "
                "adjoint.stop_gradient(...) around its differentiated arguments",
            )


def _rank(v: Any) -> int | None:
    """The rank of the array ``v`` holds, when the types say (None for anything else)."""
    t = getattr(v, "type", None)
    if isinstance(t, Num) and t.dims is not None and not t.py:
        return len(t.dims)
    return None


def _defaults(callee: Any) -> dict[str, Any]:
    rule = find_vjp(callee) or find_jvp(callee)
    if rule is None:
        return {}
    return {n: p.default for n, p in inspect.signature(rule.fn).parameters.items()
            if p.default is not inspect.Parameter.empty}


def unsupported(label: str, name: str | None, s: Space | None, loc: Any = None) -> \
        UnsupportedArgumentError:
    """The error for an argument ``name`` the rules of ``label`` are not written for
    (``None``: more positional arguments than they take)."""
    supported = ", ".join(s.args) if s is not None else ""
    what = f"its argument '{name}'" if name else "that many positional arguments"
    return UnsupportedArgumentError(
        f"the derivative of '{label}' does not support {what}", loc,
        f"'{label}' is differentiated with the arguments {supported} (docs/rules.md)"
        if supported else "check the call, or register a rule with the full signature",
    )


def describe(s: Space) -> list[tuple[str, str]]:
    """``(parameter, description)`` for each supported parameter, for docs/rules.md."""
    return [(name, form.describe()) for name, form in s.args.items()]
