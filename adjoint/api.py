"""The Python API: ``grad``, ``value_and_grad``, ``vjp``, ``source``.

``adjoint.grad(f)`` reads and lowers ``f`` at once (so unsupported code is reported
where it is written, before anything runs) and returns a :class:`Derivative`.
Calling it generates the derivative for the kinds of arguments it receives: for
each combination of Python scalars and arrays (rank, and which dimensions have
length 1: what decides NumPy broadcasting) one module is generated, written to
disk and imported; later calls with the same kinds reuse it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import compiler
from .errors import ArgumentError
from .frontend import guards, lower
from .frontend.targets import resolve
from .ir import Function
from .transforms.aliasing import updated_parameters
from .transforms.types import UNKNOWN, type_of_value

Wrt = int | str | Sequence[int | str] | None


def _normalize_wrt(primal: Function, wrt: Wrt, offset: int = 0) -> tuple[list[int], bool]:
    """Parameter indices of ``wrt`` (names, or indices among the parameters the caller
    passes: the first ``offset`` are bound already, like a method's ``self``)."""
    names = primal.param_names[offset:]
    if wrt is None:
        if not names:
            raise ArgumentError(f"'{primal.name}' has no parameters to differentiate")
        return [offset], False
    is_tuple = isinstance(wrt, (tuple, list))
    items = list(wrt) if is_tuple else [wrt]
    out = []
    for w in items:
        if isinstance(w, str):
            if w not in names:
                raise ArgumentError(
                    f"'{primal.name}' has no parameter named '{w}'",
                    primal.meta.get("loc"),
                    f"choose from: {', '.join(names)}",
                )
            out.append(offset + names.index(w))
        elif isinstance(w, (int, np.integer)) and not isinstance(w, bool):
            if not -len(names) <= w < len(names):
                raise ArgumentError(
                    f"wrt={w} is out of range: '{primal.name}' has {len(names)} parameters",
                    primal.meta.get("loc"),
                )
            out.append(offset + int(w) % len(names))
        else:
            raise ArgumentError(f"wrt must name parameters by name or index, not {w!r}")
    if len(set(out)) != len(out):
        raise ArgumentError("wrt names the same parameter twice")
    return out, is_tuple


def _as_float(x: Any) -> Any:
    """Integer inputs are differentiated as floats."""
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return float(x)
    if isinstance(x, np.ndarray) and x.dtype.kind in "biu":
        return x.astype(float)
    if isinstance(x, np.generic) and x.dtype.kind in "iu":
        return float(x)
    return x


class Derivative:
    """A derivative of a Python function, generated ahead of time as readable Python."""

    def __init__(self, fn: Callable[..., Any], wrt: Wrt, kind: str):
        self.target = resolve(fn, f"adjoint.{kind}")
        self.primal_fn = self.target.function
        self.kind = kind
        self.primal = lower(self.primal_fn)
        self.wrt, self.wrt_tuple = _normalize_wrt(self.primal, wrt, len(self.target.args))
        self._compiled: dict[tuple, Any] = {}
        self._guards_hold = guards.checker(guards.close(guards.function_guards(
            self.primal_fn)))
        self._last: Any = None
        prefix = {"grad": "grad", "value_and_grad": "value_and_grad", "vjp": "vjp"}[kind]
        self.name = f"{prefix}_{self.primal.name}"
        functools.update_wrapper(self, fn)
        self.__name__ = self.__qualname__ = self.name
        self.__wrapped__ = None  # the generated function, once there is one

    # -- calling --------------------------------------------------------------------------
    def _bind(self, args: tuple, kwargs: dict) -> list[Any]:
        try:
            bound = self.target.bind(args, kwargs)
        except TypeError as exc:
            raise ArgumentError(f"{self.name}: {exc}") from None
        bound.apply_defaults()
        values = list(bound.arguments.values())
        for i in self.wrt:
            values[i] = _as_float(values[i])
        return values

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.kind == "vjp":
            if not args:
                raise ArgumentError(f"{self.name} takes the primal arguments, then a cotangent")
            *args, cotangent = args  # type: ignore[assignment]
            values = self._bind(tuple(args), kwargs) + [cotangent]
        else:
            values = self._bind(args, kwargs)
        return self._run(values)

    def _refresh(self) -> None:
        """Compile again from the current bindings when a name the code read was rebound."""
        if self._guards_hold():
            return
        self.primal = lower(self.primal_fn)
        self._compiled.clear()
        self._guards_hold = guards.checker(guards.close(guards.function_guards(
            self.primal_fn)))

    def _run(self, values: list[Any]) -> Any:
        """Call the derivative generated for the kinds of ``values`` (generating it once)."""
        self._refresh()
        _check_no_shared_updates(self.primal, values)
        key = tuple(type_of_value(v) for v in values)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compile(list(key))
            self._compiled[key] = compiled
        self._last = compiled
        self.__wrapped__ = compiled
        return compiled(*values)

    # -- generation -----------------------------------------------------------------------
    def _compile(self, types_: list[Any] | None) -> Any:
        from . import cache
        from .backend import load_module

        n = len(self.primal.param_names)
        arg_types = types_[:n] if types_ is not None else None
        extra = types_[n:] if types_ is not None else None
        rebuild = functools.partial(compiler.derive, self.primal, self.wrt, self.kind, arg_types,
                                    self.wrt_tuple, self.name, extra)
        key = cache.key_for(self.primal_fn, self.primal, self.kind, self.wrt, self.wrt_tuple,
                            types_, self.name)
        module = cache.load(key, self.name, self.primal) if key is not None else None
        ir = None
        if module is None:
            ir = rebuild()
            src = self.primal_fn.__code__.co_filename
            wrt_names = ", ".join(self.primal.param_names[i] for i in self.wrt)
            what = f"{self.kind} of {self.primal.name} from {src} with respect to {wrt_names}"
            gm = compiler.emit([(ir, _docstring(self.kind, self.primal.name, wrt_names))], what)
            module = load_module(gm, self.name)
            if key is not None:
                cache.store(key, gm, module, self.primal)
        fn = getattr(module, self.name)
        fn.__adjoint_ir__ = ir  # None when loaded from the cache: __adjoint_derive__ rebuilds it
        fn.__adjoint_derive__ = rebuild
        return fn

    def generic(self) -> Any:
        """The derivative generated for arguments of unknown kinds (works for all)."""
        key = ("generic",)
        if key not in self._compiled:
            n = len(self.primal.param_names) + (1 if self.kind == "vjp" else 0)
            self._compiled[key] = self._compile([UNKNOWN] * n)
        return self._compiled[key]

    @property
    def source(self) -> str:
        fn = self._last or self.generic()
        return inspect.getsource(inspect.getmodule(fn))

    def __repr__(self) -> str:
        return f"<adjoint.Derivative {self.name}>"

    def _repr_html_(self) -> str:
        from .display import highlight_html

        return highlight_html(self.source)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self) if cycle else self.source)


def _check_no_shared_updates(primal: Function, values: list[Any]) -> None:
    """Refuse ``f(x, x)`` when ``f`` updates one of them in place: in Python the other sees
    the update; in the derivative each argument is a value of its own."""
    updated = primal.meta.get("updated_parameters")
    if updated is None:
        updated = primal.meta["updated_parameters"] = updated_parameters(primal)
    for i in updated:
        for j, other in enumerate(values[: len(primal.params)]):
            if j != i and _shares_memory(values[i], other):
                names = primal.param_names
                raise ArgumentError(
                    f"'{primal.name}' updates '{names[i]}' in place, and '{names[j]}' shares "
                    "its memory in this call",
                    primal.meta.get("loc"),
                    f"pass a copy: {names[j]}.copy()",
                )


def _shares_memory(a: Any, b: Any) -> bool:
    if a is b and not isinstance(a, (int, float, complex, bool, str, type(None))):
        return True
    if isinstance(a, (tuple, list)):
        return any(_shares_memory(x, b) for x in a)
    if isinstance(b, (tuple, list)):
        return any(_shares_memory(a, y) for y in b)
    if isinstance(a, dict):
        return any(_shares_memory(x, b) for x in a.values())
    if isinstance(b, dict):
        return any(_shares_memory(a, y) for y in b.values())
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and \
        np.may_share_memory(a, b)


def _docstring(kind: str, name: str, wrt: str) -> str:
    if kind == "grad":
        return f"Gradient of {name} with respect to {wrt}."
    if kind == "value_and_grad":
        return f"Value of {name} and its gradient with respect to {wrt}."
    return f"Vector-Jacobian product of {name} with respect to {wrt}."


class NestedDerivative(Derivative):
    """A derivative of a derivative (``grad(grad(f))``).

    The inner derivative's generated code, for the kinds of arguments at hand, is
    ordinary Python in a real file: it is read and differentiated like any function.
    """

    def __init__(self, inner: Derivative, wrt: Wrt, kind: str):
        if inner.kind != "grad":
            raise ArgumentError(
                f"adjoint.{kind} of adjoint.{inner.kind}(...) is not supported",
                hint="differentiate adjoint.grad(f), or use adjoint.jacobian / adjoint.hvp",
            )
        self.inner = inner
        self.target = inner.target
        self.primal_fn = inner.primal_fn
        self.kind = kind
        self.primal = inner.primal
        self.wrt, self.wrt_tuple = _normalize_wrt(self.primal, wrt, len(self.target.args))
        self._compiled = {}
        self._last = None
        self.name = f"{kind}_{inner.name}"
        self.__name__ = self.__qualname__ = self.name
        self.__wrapped__ = None

    def _guards_hold(self) -> bool:
        return self.inner._guards_hold()

    def _refresh(self) -> None:
        if not self.inner._guards_hold():
            self.inner._refresh()
            self.primal = self.inner.primal
            self._compiled.clear()

    def _compile(self, types_: list[Any] | None) -> Any:
        from .backend import load_module

        n = len(self.primal.param_names)
        arg_types = types_[:n] if types_ is not None else None
        extra = types_[n:] if types_ is not None else None
        key = tuple(arg_types) if arg_types is not None else ("generic",)
        inner_fn = self.inner._compiled.get(key)
        if inner_fn is None:
            inner_fn = self.inner._compile(list(arg_types) if arg_types is not None else None)
            self.inner._compiled[key] = inner_fn
        primal = lower(inner_fn)
        ir = compiler.derive(primal, self.wrt, self.kind, arg_types, self.wrt_tuple,
                             self.name, extra)
        wrt_names = ", ".join(self.primal.param_names[i] for i in self.wrt)
        what = f"{self.kind} of {self.inner.name} with respect to {wrt_names}"
        gm = compiler.emit([(ir, _docstring(self.kind, self.inner.name, wrt_names))], what)
        module = load_module(gm, self.name)
        fn = getattr(module, self.name)
        fn.__adjoint_ir__ = ir
        return fn


def _make(kind: str, f: Callable[..., Any] | None, wrt: Wrt) -> Any:
    if f is None:
        return lambda fn: _make(kind, fn, wrt)
    if isinstance(f, Derivative):
        return NestedDerivative(f, wrt, kind)
    if not callable(f):
        raise ArgumentError(f"adjoint.{kind} expects a function, got {f!r}")
    return Derivative(f, wrt, kind)


def grad(f: Callable[..., Any] | None = None, wrt: Wrt = None) -> Any:
    """The gradient of scalar-valued ``f`` with respect to ``wrt`` (default: first parameter).

    ``wrt`` takes parameter names or indices, one or a tuple: tuple in, tuple out. Works
    as ``grad(f)``, ``@grad`` and ``@grad(wrt="w")``.
    """
    return _make("grad", f, wrt)


def value_and_grad(f: Callable[..., Any] | None = None, wrt: Wrt = None) -> Any:
    """Like :func:`grad`, returning ``(f(*args), gradient)``."""
    return _make("value_and_grad", f, wrt)


def vjp(f: Callable[..., Any] | None = None, wrt: Wrt = None) -> Any:
    """Vector-Jacobian product: ``vjp(f)(*args, cotangent)`` for outputs of any shape."""
    return _make("vjp", f, wrt)


def show(df: Any, ir: bool = False) -> Any:
    """Display the generated source of ``df`` (or its IR with ``ir=True``).

    Returns an object that renders highlighted in Jupyter and as plain text at a prompt.
    """
    from .display import show as _show

    return _show(df, ir)


def source(df: Any) -> str:
    """The generated source text of a derivative (of its most recent specialization)."""
    if isinstance(df, Derivative):
        return df.source
    module = inspect.getmodule(df)
    if module is not None and module.__name__.startswith("adjoint_generated."):
        return inspect.getsource(module)
    raise ArgumentError(f"{df!r} is not a function generated by adjoint")
