"""Guards: the free names a derivative was compiled against, checked again at each call.

The compiler resolves free names once (``LAM`` is ``1.0``, ``helpers.h`` is that
function) and writes what they denoted into the generated code. Python reads them
at every call. A derivative stays right only while every name it read still
denotes the same object, so each is recorded as a guard, and the API checks the
guards before running generated code: when one fails (``LAM = 5.0`` after the
first call, a helper redefined, a closure variable rebound) the derivative is
compiled again from the current bindings instead of returning a stale number.

Guards cover the function's own reads and, transitively, the globals and closure
cells of every function of the user's that it calls, including attributes of the
user's modules that those functions read (``cfg.SCALE``). Library modules and
their functions (``np``, ``np.tanh``) are taken to be fixed.
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable
from typing import Any

from .static import library_folders

#: A guard: (namespace, name, object). The namespace is a dict (module globals), a
#: closure cell, or a module whose attribute was read.
Guard = tuple[Any, str, Any]

_MISSING = object()


def current(guard: Guard) -> Any:
    """What the guarded name denotes now."""
    holder, name, _ = guard
    if isinstance(holder, dict):
        if name in holder:
            return holder[name]
        import builtins

        return getattr(builtins, name, _MISSING)
    if isinstance(holder, types.CellType):
        try:
            return holder.cell_contents
        except ValueError:
            return _MISSING
    return getattr(holder, name, _MISSING)


def holds(guards: list[Guard]) -> bool:
    """Does every guarded name still denote the object the code was compiled against?"""
    for guard in guards:
        if current(guard) is not guard[2]:
            return False
    return True


def is_library(obj: Any) -> bool:
    """Is ``obj`` a module or function of an installed library, of Python's, or of adjoint?"""
    if isinstance(obj, types.ModuleType):
        module: Any = obj
    else:
        module = sys.modules.get(getattr(obj, "__module__", None) or "")
        if module is None:
            return False
    name = module.__name__
    if name.split(".")[0] in ("adjoint", "adjoint_generated"):
        return name.split(".")[0] == "adjoint"
    filename = getattr(module, "__file__", None)
    if filename is None:
        return name != "__main__"  # built into the interpreter (a notebook's has no file)
    found = _IN_LIBRARY.get(filename)
    if found is None:  # resolving links reads the disk: once per file
        found = _IN_LIBRARY[filename] = os.path.realpath(filename).startswith(
            library_folders())
    return found


#: Module file -> whether it lies in an installed library's or Python's folders.
_IN_LIBRARY: dict[str, bool] = {}


def close(guards: list[Guard]) -> list[Guard]:
    """``guards`` plus those of every user function and module they reach, transitively."""
    out: list[Guard] = []
    seen: set[tuple[int, str]] = set()
    visited: set[int] = set()
    todo = list(guards)
    while todo:
        guard = todo.pop()
        holder, name, obj = guard
        key = (id(holder), name)
        if key in seen:
            continue
        seen.add(key)
        out.append(guard)
        if id(obj) in visited:
            continue
        visited.add(id(obj))
        if isinstance(obj, types.FunctionType) and not is_library(obj):
            todo += function_guards(obj)
    return out


def function_guards(fn: types.FunctionType) -> list[Guard]:
    """The globals, closure cells and user-module attributes ``fn``'s code can read."""
    out: list[Guard] = []
    code = fn.__code__
    names = _code_names(code)
    g = fn.__globals__
    modules = []
    for name in names:
        if name in g:
            out.append((g, name, g[name]))
            value = g[name]
            if isinstance(value, types.ModuleType) and not is_library(value) or \
                    _user_object(value):
                modules.append(value)  # cfg.scale: attributes read as constants are guarded
    for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        out.append((cell, name, value))
        if isinstance(value, types.ModuleType) and not is_library(value):
            modules.append(value)
        elif _user_object(value):
            modules.append(value)  # cfg.scale: its attributes are read as constants too
    for module in modules:
        for name in names:
            value = getattr(module, name, _MISSING)
            if value is not _MISSING:
                out.append((module, name, value))
    return out


def _user_object(value: Any) -> bool:
    """An instance of a class of the user's (whose attributes the code may read)?"""
    if isinstance(value, (types.ModuleType, types.FunctionType, type, int, float, complex,
                          str, bytes, tuple, list, dict, type(None))):
        return False
    return not is_library(type(value))


def _code_names(code: types.CodeType) -> list[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.update(_code_names(const))
    return sorted(names)


def checker(guards: list[Guard]) -> Callable[[], bool]:
    """A cheap callable telling whether ``guards`` still hold (no guards: always)."""
    if not guards:
        return lambda: True
    frozen = tuple(guards)

    def check() -> bool:
        for guard in frozen:
            holder, name, obj = guard
            # Module globals, the common case, without the general lookup.
            if holder.__class__ is dict and holder.get(name, _MISSING) is obj:
                continue
            if current(guard) is not obj:
                return False
        return True

    return check


__all__ = ["Guard", "checker", "close", "current", "function_guards", "holds", "is_library"]
