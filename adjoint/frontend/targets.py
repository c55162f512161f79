"""What a callable handed to a transform really is: a Python function and what is bound to it.

``adjoint.grad`` takes whatever the user can call: a function, a lambda, a bound method
(``obj.energy``: ``self`` is bound), a classmethod (``cls`` is bound), a
``functools.partial`` (leading arguments and keywords are bound), or an object whose
class defines ``__call__`` in Python (the object is bound). Each is the same thing to
the compiler: the source of one Python function, plus arguments Python itself
would pass before the caller's. Those are passed to the generated derivative as
ordinary (non-differentiated) arguments, so it reads them when it runs, as the
original does, never a copy frozen at compile time.
"""

from __future__ import annotations

import functools
import os
import sysconfig
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ArgumentError


@dataclass
class Target:
    """A Python function and the arguments bound ahead of the caller's."""

    function: types.FunctionType
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)



#: Modules whose functions are library code: reached only through derivative rules.
_LIBRARY = ("numpy", "scipy", "math", "builtins", "operator", "functools", "adjoint")


@functools.lru_cache(maxsize=1)
def _standard_library_folders() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple(os.path.realpath(paths[k]) + os.sep for k in ("stdlib", "platstdlib")
                 if k in paths)


def _in_standard_library(fn: types.FunctionType) -> bool:
    """Is ``fn`` Python's own (logging, statistics...), not the user's?"""
    filename = fn.__code__.co_filename
    if filename.startswith("<"):
        return False
    real = os.path.realpath(filename)
    return real.startswith(_standard_library_folders()) and \
        "site-packages" not in real and "dist-packages" not in real


def is_user_function(obj: Any) -> bool:
    """A plain Python function of the user's (not a library's) that can be read as source."""
    if not isinstance(obj, types.FunctionType):
        return False
    module = (getattr(obj, "__module__", "") or "").split(".")[0]
    if module in _LIBRARY or _in_standard_library(obj):
        return False
    if (getattr(obj, "__name__", "") or "").startswith("<") and obj.__name__ != "<lambda>":
        return False
    return True


def resolve(f: Callable[..., Any], what: str = "adjoint.grad") -> Target:
    """The :class:`Target` behind ``f`` (raises :class:`ArgumentError` for other callables)."""
    if isinstance(f, types.FunctionType):
        return Target(f)
    if isinstance(f, types.MethodType):
        inner = resolve(f.__func__, what)
        return Target(inner.function, (f.__self__, *inner.args), dict(inner.kwargs))
    if isinstance(f, functools.partial):
        inner = resolve(f.func, what)
        return Target(inner.function, (*inner.args, *f.args), {**inner.kwargs, **f.keywords})
    if isinstance(f, (staticmethod, classmethod)):
        raise ArgumentError(
            f"{what} got a {type(f).__name__} object, not a function",
            hint="pass it through its class or instance (Class.method), which binds it",
        )
    call = type(f).__dict__.get("__call__") or getattr(type(f), "__call__", None)  # noqa: B004
    if isinstance(call, types.FunctionType) and not isinstance(f, type):
        return Target(call, (f,))
    raise ArgumentError(
        f"{what} differentiates Python functions; {f!r} is not one (its source cannot be read)",
        hint="wrap it in a function written in Python: def f(x): return ...",
    )


__all__ = ["Target", "is_user_function", "resolve"]
