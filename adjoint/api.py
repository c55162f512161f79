"""The Python API: ``grad``, ``value_and_grad``, ``vjp``, ``jvp``, ``source``, ``show``.

Each returns a :class:`Transform`: a function whose code adjoint generates. Calling it
generates the code for the kinds of arguments it receives (Python scalar or array,
rank, which dimensions have length 1: what decides NumPy broadcasting), once per
combination, through the one driver (:mod:`adjoint.compiler`).

Transforms compose. A transform of a transform specializes the inner one for the
arguments at hand, and differentiates the generated code like any Python function:
``jvp(jvp(f))``, ``vjp(vjp(f))``, ``grad(jvp(f))`` to any depth. A transform called
inside a function being differentiated (``def h(x): return np.sum(df(x) ** 2)``) is
replaced by its generated code, which is then differentiated along with ``h``.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .compiler import COMPILER, Request
from .errors import ArgumentError
from .frontend import guards, lower
from .frontend.targets import resolve
from .gcpause import paused_gc
from .ir import Function
from .ir.core import release
from .transforms.aliasing import updated_parameters
from .transforms.types import UNKNOWN, type_of_value

Wrt = int | str | Sequence[int | str] | None

#: The derivatives :class:`Derivative` generates, and the prefixes of their names.
KINDS = ("grad", "value_and_grad", "vjp", "jvp")


def _wrapped_positions(f: Callable[..., Any], names: list[str], wrt: Any) -> Any:
    """``wrt`` with the names of the function a ``*args`` wrapper wraps as positions.

    ``@functools.wraps`` makes ``inspect.signature(f)`` (and ``help(f)``) show the wrapped
    function's parameters, so those are the names a user passes.
    """
    items = list(wrt) if isinstance(wrt, (tuple, list)) else [wrt]
    if not any(isinstance(w, str) and w not in names for w in items):
        return wrt
    try:
        shown = [p.name for p in inspect.signature(f).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return wrt
    out = [shown.index(w) if isinstance(w, str) and w not in names and w in shown else w
           for w in items]
    return type(wrt)(out) if isinstance(wrt, (tuple, list)) else out[0]


def normalize_wrt(names: list[str], wrt: Wrt, label: str = "the function",
                   loc: Any = None) -> tuple[list[int], bool]:
    """Indices into ``names`` of the parameters ``wrt`` names (by name or index)."""
    if wrt is None:
        if not names:
            raise ArgumentError(f"{label} has no parameters to differentiate", loc)
        return [0], False
    is_tuple = isinstance(wrt, (tuple, list))
    items = list(wrt) if isinstance(wrt, (tuple, list)) else [wrt]
    out = []
    for w in items:
        if isinstance(w, str):
            if w not in names:
                raise ArgumentError(f"{label} has no parameter named '{w}'", loc,
                                    f"choose from: {', '.join(names)}")
            out.append(names.index(w))
        elif isinstance(w, (int, np.integer)) and not isinstance(w, bool):
            if not -len(names) <= w < len(names):
                raise ArgumentError(
                    f"wrt={w} is out of range: {label} has {len(names)} parameters", loc)
            out.append(int(w) % len(names))
        else:
            raise ArgumentError(f"wrt must name parameters by name or index, not {w!r}")
    if len(set(out)) != len(out):
        raise ArgumentError("wrt names the same parameter twice")
    return out, is_tuple


def _no_key(x: Any) -> None:
    return None


def _array_key(x: np.ndarray) -> tuple:
    return x.shape, x.dtype.char


def _class_key(x: Any) -> type:
    return x.__class__


def _items_key(x: list | tuple) -> tuple | None:
    """A list or tuple: its class and its items' keys (None when one has none)."""
    keys = [_FAST_KEYS.get(v.__class__, _no_key)(v) for v in x]
    return None if None in keys else (x.__class__, tuple(keys))


def _dict_key(x: dict) -> tuple | None:
    """A dict (a model of named arrays): its keys, in order, and its values' keys."""
    keys = []
    for k, v in x.items():
        key = _FAST_KEYS.get(v.__class__, _no_key)(v)
        if key is None or not isinstance(k, (str, int)):
            return None
        keys.append((k, key))
    return dict, tuple(keys)


#: Classes whose kind follows from the class alone, from an array's shape and dtype, or
#: from the keys of what a container holds.
_FAST_KEYS: dict[type, Callable[[Any], Any]] = {
    float: _class_key, int: _class_key, bool: _class_key, np.float64: _class_key,
    str: _class_key, type(None): _class_key,
    np.ndarray: _array_key, list: _items_key, tuple: _items_key, dict: _dict_key,
}


def as_float(x: Any) -> Any:
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


class Transform:
    """A function whose code adjoint generates, per kinds of arguments.

    Subclasses arrange a call's arguments in order (``__adjoint_arrange__``, defaults
    filled in) and generate a Python function for given argument kinds
    (``__adjoint_generate__``, which also returns arguments bound ahead of the
    caller's, like a method's ``self``). Calling one arranges the arguments,
    generates the code once per kinds, and runs it.
    """

    name: str = "transform"
    _last: Any = None
    __wrapped__: Callable[..., Any] | None

    def __adjoint_arrange__(self, args: tuple, kwargs: dict) -> list[Any]:
        raise NotImplementedError  # pragma: no cover - abstract

    def __adjoint_generate__(self, kinds: list[Any]) -> tuple[Callable[..., Any], tuple]:
        raise NotImplementedError  # pragma: no cover - abstract

    def _names_with_extras(self) -> list[str]:
        """The names of the arguments the generated code takes (after those bound ahead)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _count(self) -> int:
        return len(self._names_with_extras())

    def _prepare(self, values: list[Any]) -> list[Any]:
        """Arguments as the generated code takes them (integers to differentiate as floats)."""
        return values

    def _run(self, values: list[Any]) -> Any:
        fn, ahead = self.__adjoint_generate__([type_of_value(v) for v in values])
        self._last = fn
        self.__wrapped__ = fn
        try:
            return fn(*ahead, *values)
        except Exception as exc:
            _point_at_user(exc, fn)
            raise

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._run(self._prepare(self.__adjoint_arrange__(args, kwargs)))

    def generic(self) -> Any:
        """The code generated for arguments of unknown kinds (it works for all)."""
        return self.__adjoint_generate__([UNKNOWN] * self._count())[0]

    @property
    def source(self) -> str:
        """The generated module's text (of the latest call, or the shape-generic one)."""
        fn = self._last or self.generic()
        module = inspect.getmodule(fn)
        assert module is not None, fn  # generated modules are in sys.modules
        return inspect.getsource(module)

    def __repr__(self) -> str:
        return f"<adjoint.{type(self).__name__} {self.name}>"

    def _repr_html_(self) -> str:
        from .display import highlight_html

        return highlight_html(self.source)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self) if cycle else self.source)


class Derivative(Transform):
    """``grad``, ``value_and_grad``, ``vjp`` or ``jvp`` of a function, as readable Python.

    ``f`` is a Python function (def or lambda, bound method, partial, callable object)
    or another transform. ``wrt`` names parameters of ``f`` by name or position.
    """

    def __init__(self, f: Callable[..., Any], wrt: Wrt, kind: str,
                 _nvarargs: int | None = None):
        if kind not in KINDS:
            raise ArgumentError(f"unknown derivative kind {kind!r}")
        self.kind = kind
        self._compiled: dict[tuple, Any] = {}
        #: The same functions by a cheaper key (see __call__), for numbers and arrays.
        self._by_key: dict[tuple, Any] = {}
        #: How many positional arguments the fast path of __call__ takes (-1: none).
        self._nfast = -1
        self._plain: dict[Any, Derivative] = {}
        self._nvarargs = _nvarargs
        #: For a function with *args or **kwargs: one derivative per number of arguments.
        self._by_count: dict[int, Derivative] | None = None
        self._wrt_given = wrt
        if not isinstance(f, Transform) and _variadic(f) and _nvarargs is None:
            self._init_variadic(f)
            return
        if isinstance(f, Transform):
            self.inner: Transform | None = f
            self.target = None
            self.primal: Function | None = None
            self.primal_fn: Any = None
            self._names = f._names_with_extras()
            label, loc, base = f"'{f.name}'", None, f.name
            self._guards_hold: Callable[[], bool] = lambda: True
        else:
            self.inner = None
            self.target = resolve(f, f"adjoint.{kind}")
            self.primal_fn = self.target.function
            self.primal = lower(self.primal_fn, self._nvarargs)
            params = list(inspect.signature(self.primal_fn,
                                            follow_wrapped=False).parameters.values())
            self._fsig = inspect.Signature(params[len(self.target.args):])
            self._names = self.primal.param_names[len(self.target.args):]
            label, loc, base = f"'{self.primal.name}'", self.primal.meta.get("loc"), \
                self.primal.name
            self._guards_hold = guards.checker(guards.close(guards.function_guards(
                self.primal_fn)))
            # A call passing every parameter by position needs no binding (the common case).
            self._positional = not self.target.kwargs and all(
                p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                for p in self._fsig.parameters.values())
            if self._positional and kind != "jvp":
                self._nfast = len(self._names) + (kind == "vjp")
        self.wrt, self.wrt_tuple = normalize_wrt(self._names, wrt, label, loc)
        self.name = f"{kind}_{base}"
        functools.update_wrapper(self, f, updated=())
        self.__name__ = self.__qualname__ = self.name
        self.__wrapped__ = None  # the generated function, once there is one

    def __del__(self) -> None:
        # The lowered function is a graph of reference cycles (operations and their
        # results, blocks and their operations) that only this object holds: emptied
        # here, it is freed at once, not by a pass of the cyclic collector over it.
        primal = self.__dict__.get("primal")
        if primal is not None:
            release(primal)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != self._nfast:
            return super().__call__(*args, **kwargs)
        # The common call, every argument by position: the steps of Transform.__call__
        # without the binding and the checks that cannot apply.
        assert self.primal is not None and self.target is not None
        values = list(args)
        for i in self.wrt:
            if values[i].__class__ is not float:
                values[i] = as_float(values[i])
        if not self._guards_hold():
            self._refresh()
        if self.primal.meta.get("updated_parameters", True):
            _check_no_shared_updates(self.primal, self.target.args, values)
        # Numbers and plain arrays find their code by class and shape, without building
        # their kinds (which the code was picked by the first time).
        key = tuple([v.__class__ if v.__class__ is float else
                     _FAST_KEYS.get(v.__class__, _no_key)(v) for v in values])
        fn = self._by_key.get(key)
        if fn is None:
            kinds = tuple([type_of_value(v) for v in values])
            fn = self._compiled.get(kinds)
            if fn is None:
                fn = self._compiled[kinds] = self._compile(list(kinds))
            if None not in key and len(self._by_key) < 64:
                self._by_key[key] = fn
        self._last = self.__wrapped__ = fn
        try:
            return fn(*self.target.args, *values)
        except Exception as exc:
            _point_at_user(exc, fn)
            raise

    # -- functions with *args or **kwargs -------------------------------------------------
    def _init_variadic(self, f: Callable[..., Any]) -> None:
        """``f(*args, **kwargs)``: code is generated per number of positional arguments, with
        ``*args`` as one parameter per argument (``wrt`` counts them like positions)."""
        self.inner = None
        self.target = resolve(f, f"adjoint.{self.kind}")
        self.primal_fn = self.target.function
        self.primal = None
        self._by_count = {}
        params = list(inspect.signature(self.primal_fn, follow_wrapped=False).parameters.values())
        self._fsig = inspect.Signature(params[len(self.target.args):])
        self._names = [p.name for p in self._fsig.parameters.values()
                       if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        self._wrt_given = _wrapped_positions(f, self._names, self._wrt_given)
        self.wrt_tuple = isinstance(self._wrt_given, (tuple, list))
        count = len(self._wrt_given) if isinstance(self._wrt_given, (tuple, list)) else 1
        self.wrt = list(range(count))  # placeholders: only their number is used here
        self.name = f"{self.kind}_{self.primal_fn.__name__}"
        self._guards_hold = lambda: True
        functools.update_wrapper(self, f, updated=())
        self.__name__ = self.__qualname__ = self.name
        self.__wrapped__ = None

    def _for_count(self, nvalues: int) -> Derivative:
        """The derivative for calls passing ``nvalues`` arguments (flattened)."""
        assert self._by_count is not None and self.target is not None
        fixed = sum(1 for p in self._fsig.parameters.values() if p.kind != p.VAR_POSITIONAL)
        nvar = max(0, nvalues - fixed)
        child = self._by_count.get(nvar)
        if child is None:
            child = Derivative(self.primal_fn if not self.target.args else
                               functools.partial(self.primal_fn, *self.target.args,
                                                 **self.target.kwargs),
                               self._wrt_given, self.kind, _nvarargs=nvar)
            self._by_count[nvar] = child
        return child

    def _flatten(self, args: tuple, kwargs: dict) -> list[Any]:
        assert self.target is not None
        try:
            bound = self._fsig.bind(*args, **{**self.target.kwargs, **kwargs})
        except TypeError as exc:
            raise ArgumentError(f"{self.name}: {exc}", hint=self._call_hint()) from None
        bound.apply_defaults()
        values: list[Any] = []
        for name, p in self._fsig.parameters.items():
            if p.kind == p.VAR_POSITIONAL:
                values.extend(bound.arguments.get(name, ()))
            else:
                values.append(bound.arguments[name])
        return values

    def _names_with_extras(self) -> list[str]:
        """The names of the arguments the generated code takes (after those bound ahead)."""
        if self._by_count is not None:
            raise ArgumentError(f"{self.name} takes *args: transform it again by calling it "
                                "inside a function with fixed parameters")
        names = list(self._names)
        if self.kind == "vjp":
            names.append("cotangent")
        elif self.kind == "jvp":
            names += ["d" + self._names[i] for i in self.wrt]
        return names

    # -- the arguments ------------------------------------------------------------------
    def _extras(self) -> int:
        """Arguments after the function's own: a cotangent, or one tangent per wrt."""
        return {"vjp": 1, "jvp": len(self.wrt)}.get(self.kind, 0)

    def __adjoint_arrange__(self, args: tuple, kwargs: dict) -> list[Any]:
        k = self._extras()
        if len(args) < k:
            raise ArgumentError(f"{self.name} takes the arguments of the function, then "
                                f"{k} more", hint=self._call_hint())
        fargs, extras = args[: len(args) - k], args[len(args) - k:]
        return self.arguments(fargs, kwargs) + list(extras)

    def arguments(self, args: tuple, kwargs: dict) -> list[Any]:
        """The differentiated function's arguments for a call, in order, defaults filled in."""
        if self.inner is not None:
            return self.inner.__adjoint_arrange__(args, kwargs)
        if self._by_count is not None:
            return self._flatten(args, kwargs)
        if not kwargs and self._positional and len(args) == len(self._names):
            return list(args)
        assert self.target is not None
        try:
            bound = self._fsig.bind(*args, **{**self.target.kwargs, **kwargs})
        except TypeError as exc:
            raise ArgumentError(f"{self.name}: {exc}", hint=self._call_hint()) from None
        bound.apply_defaults()
        return [bound.arguments[n] for n in self._names]

    def _prepare(self, values: list[Any]) -> list[Any]:
        if self._by_count is not None:
            return self._for_count(len(values) - self._extras())._prepare(values)
        values = list(values)
        n = len(self._names)
        for i in self.wrt:
            values[i] = as_float(values[i])
        if self.kind == "jvp":
            for k, i in enumerate(self.wrt):
                values[n + k] = self._tangent_like(values[n + k], values[i], self._names[i])
        return values

    def _call_hint(self) -> str | None:
        if self.kind == "vjp":
            return "pass the function's arguments, then the cotangent of its output"
        if self.kind == "jvp":
            return "pass the function's arguments, then one tangent per wrt parameter"
        return None

    def _tangent_like(self, t: Any, x: Any, name: str) -> Any:
        """``t`` as a float tangent for ``x``: same structure, same shapes."""
        if isinstance(x, (tuple, list)):
            if not isinstance(t, (tuple, list)) or len(t) != len(x):
                raise ArgumentError(
                    f"{self.name}: the tangent for '{name}' must be a {type(x).__name__} of "
                    f"{len(x)} items, like '{name}'"
                )
            return type(x)(self._tangent_like(ti, xi, f"{name}[{k}]")
                           for k, (ti, xi) in enumerate(zip(t, x)))
        if isinstance(x, dict):
            if not isinstance(t, dict) or set(t) != set(x):
                raise ArgumentError(
                    f"{self.name}: the tangent for '{name}' must be a dict with its keys"
                )
            return {k: self._tangent_like(t[k], x[k], f"{name}[{k!r}]") for k in x}
        t = as_float(t)
        if np.shape(t) != np.shape(x):
            raise ArgumentError(
                f"{self.name}: the tangent for '{name}' has shape {np.shape(t)}, "
                f"but '{name}' has shape {np.shape(x)}"
            )
        return t

    def _run(self, values: list[Any]) -> Any:
        if self._by_count is not None:
            child = self._for_count(len(values) - self._extras())
            out = child._run(values)
            self._last = self.__wrapped__ = child._last
            return out
        if self.primal is not None:
            assert self.target is not None
            self._refresh()
            _check_no_shared_updates(self.primal, self.target.args, values)
        return super()._run(values)

    # -- generation -----------------------------------------------------------------------
    def _refresh(self) -> None:
        """Compile again from the current bindings when a name the code read was rebound."""
        if self.primal is None or self._guards_hold():
            return
        COMPILER.forget(self.primal_fn)
        if self.primal is not None:
            release(self.primal)
        self.primal = lower(self.primal_fn, self._nvarargs)
        self._compiled.clear()
        self._by_key.clear()
        self._guards_hold = guards.checker(guards.close(guards.function_guards(
            self.primal_fn)))

    def __adjoint_generate__(self, kinds: list[Any]) -> tuple[Callable[..., Any], tuple]:
        if self._by_count is not None:
            return self._for_count(len(kinds) - self._extras()).__adjoint_generate__(kinds)
        if self.inner is not None:
            return self._generate_over(kinds)
        assert self.target is not None
        self._refresh()
        key = tuple(kinds)
        fn = self._compiled.get(key)
        if fn is None:
            fn = self._compiled[key] = self._compile(kinds)
        return fn, self.target.args

    def _compile(self, kinds: list[Any]) -> Callable[..., Any]:
        assert self.target is not None and self.primal is not None
        ahead = [type_of_value(a) for a in self.target.args]
        n = len(self._names)
        offset = len(self.target.args)
        request = Request(
            self.primal_fn, self.kind, tuple(offset + i for i in self.wrt),
            tuple(ahead + list(kinds[:n])),
            tuple(kinds[n:]) if self.kind in ("vjp", "jvp") else None,
            self.wrt_tuple, self.name, self.primal,
        )
        wrt_names = ", ".join(self._names[i] for i in self.wrt)
        src = self.primal_fn.__code__.co_filename
        what = f"{self.kind} of {self.primal.name} from {src} with respect to {wrt_names}"
        return COMPILER.function(request, _docstring(self.kind, self.primal.name, wrt_names),
                                 what)

    def _generate_over(self, kinds: list[Any]) -> tuple[Callable[..., Any], tuple]:
        """A transform of a transform: differentiate the inner one's generated code."""
        assert self.inner is not None
        n = len(self._names)
        inner_fn, ahead = self.inner.__adjoint_generate__(list(kinds[:n]))
        plain = self._plain.get(inner_fn)
        if plain is None:
            shifted = [len(ahead) + i for i in self.wrt]
            plain = Derivative(inner_fn, tuple(shifted) if self.wrt_tuple else shifted[0],
                               self.kind)
            self._plain[inner_fn] = plain
        fn, _ = plain.__adjoint_generate__([type_of_value(a) for a in ahead] + list(kinds))
        return fn, ahead


def _point_at_user(exc: BaseException, fn: Any) -> None:
    """Add to an error raised in generated code the user's line it was derived from."""
    from .backend.origins import failing_line, user_statement

    filename = fn.__code__.co_filename
    line = failing_line(exc.__traceback__, filename)
    loc, source = getattr(fn, "__adjoint_origin__", (None, None))
    if line is None or getattr(exc, "__adjoint_noted__", False):
        return
    found = user_statement(filename, line, loc, source)
    if found is None:
        return
    text, user_line = found
    where = f"{loc.filename}:{user_line}: " if user_line is not None and loc is not None else ""
    if sys.version_info >= (3, 11):  # notes are new in 3.11: on 3.10 the error stays as is
        exc.add_note(f"in the derivative of {where}{text}  (generated code: {filename}:{line})")
    exc.__adjoint_noted__ = True  # type: ignore[attr-defined]


def _variadic(f: Any) -> bool:
    """Does ``f`` (once resolved to its function) take ``*args`` or ``**kwargs``?"""
    try:
        code = resolve(f).function.__code__
    except ArgumentError:
        return False
    return bool(code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS))


def _check_no_shared_updates(primal: Function, ahead: tuple, values: list[Any]) -> None:
    """Refuse ``f(x, x)`` when ``f`` updates one of them in place: in Python the other sees
    the update; in the derivative each argument is a value of its own."""
    updated = primal.meta.get("updated_parameters")
    if updated is None:
        with paused_gc():  # a walk of the whole function, on its first call
            updated = primal.meta["updated_parameters"] = updated_parameters(primal)
    if not updated:
        return
    full = list(ahead) + list(values)
    for i in updated:
        for j, other in enumerate(full[: len(primal.params)]):
            if j != i and _shares_memory(full[i], other):
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
    if kind == "jvp":
        return f"Value of {name} and its Jacobian-vector product in {wrt}."
    return f"Vector-Jacobian product of {name} with respect to {wrt}."


def _make(kind: str, f: Callable[..., Any] | None, wrt: Wrt) -> Any:
    if f is None:
        return lambda fn: _make(kind, fn, wrt)
    if not callable(f):
        raise ArgumentError(f"adjoint.{kind} expects a function, got {f!r}")
    return Derivative(f, wrt, kind)


def grad(f: Callable[..., Any] | None = None, wrt: Wrt = None) -> Any:
    """The gradient of scalar-valued ``f`` with respect to ``wrt`` (default: first parameter).

    ``wrt`` takes parameter names or indices, one or a tuple: tuple in, tuple out. Works
    as ``grad(f)``, ``@grad`` and ``@grad(wrt="w")``; ``f`` may itself be a derivative.

    Examples:
        >>> import numpy as np, adjoint
        >>> def f(x, y):
        ...     return x ** 3 * y
        >>> print(adjoint.grad(f)(2.0, 5.0))
        60.0
        >>> print(adjoint.grad(f, wrt=("x", "y"))(2.0, 5.0))
        (60.0, 8.0)
        >>> print(adjoint.grad(adjoint.grad(f))(2.0, 5.0))
        60.0
    """
    return _make("grad", f, wrt)


def value_and_grad(f: Callable[..., Any] | None = None, wrt: Wrt = None) -> Any:
    """Like ``grad``, returning ``(f(*args), gradient)``.

    Examples:
        >>> import numpy as np, adjoint
        >>> def f(x):
        ...     return np.sum(x ** 2)
        >>> value, gradient = adjoint.value_and_grad(f)(np.array([1.0, 2.0]))
        >>> print(value, gradient)
        5.0 [2. 4.]
    """
    return _make("value_and_grad", f, wrt)


def vjp(f: Callable[..., Any] | None = None, wrt: Wrt = None) -> Any:
    """Vector-Jacobian product: ``vjp(f)(*args, cotangent)`` for outputs of any shape.

    Examples:
        >>> import numpy as np, adjoint
        >>> def f(x):
        ...     return x ** 2
        >>> print(adjoint.vjp(f)(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.5])))
        [2. 0. 3.]
    """
    return _make("vjp", f, wrt)


def jvp(f: Callable[..., Any] | None = None, wrt: Wrt = None) -> Any:
    """Forward mode: ``jvp(f, wrt)(*args, *tangents) -> (value, tangent)``.

    One tangent per ``wrt`` parameter (default: the first), each shaped like its
    argument; the result's tangent is the sum of the directional derivatives.

    Examples:
        >>> import numpy as np, adjoint
        >>> def f(x, y):
        ...     return x * y
        >>> print(adjoint.jvp(f)(3.0, 4.0, 1.0))
        (12.0, 4.0)
        >>> print(adjoint.jvp(f, wrt=("x", "y"))(3.0, 4.0, 1.0, 1.0))
        (12.0, 7.0)
    """
    return _make("jvp", f, wrt)


for _transform in (grad, value_and_grad, vjp, jvp):
    _transform.__adjoint_transform__ = True  # type: ignore[attr-defined]


def show(df: Any, ir: bool = False) -> Any:
    """Display the generated source of ``df`` (or its IR with ``ir=True``).

    Returns an object that renders highlighted in Jupyter and as plain text at a prompt.

    Examples:
        >>> import adjoint
        >>> def f(x):
        ...     return x * x
        >>> df = adjoint.grad(f)
        >>> print(df(3.0))
        6.0
        >>> "def grad_f(x):" in str(adjoint.show(df))
        True
        >>> str(adjoint.show(df, ir=True)).startswith("func grad_f(%x)")
        True
    """
    from .display import show as _show

    return _show(df, ir)


def source(df: Any) -> str:
    """The generated source text of a derivative (of its most recent specialization).

    Examples:
        >>> import numpy as np, adjoint
        >>> def f(x):
        ...     return np.sin(x)
        >>> df = adjoint.grad(f)
        >>> print(df(0.0))
        1.0
        >>> text = adjoint.source(df)
        >>> text.startswith("# Generated by adjoint")
        True
        >>> [line.strip() for line in text.splitlines() if line.startswith("    d")]
        ['dx = np.cos(x)']
    """
    if isinstance(df, Transform):
        return df.source
    module = inspect.getmodule(df)
    if module is not None and module.__name__.startswith("adjoint_generated."):
        return inspect.getsource(module)
    raise ArgumentError(f"{df!r} is not a function generated by adjoint")
