"""Resolving a function's free names from its file's text, without running the file.

The command line differentiates ``examples/mlp.py::loss`` by reading
``examples/mlp.py``: importing it could train a model, open a window or delete
files, so its top-level code never runs. Names are resolved from what the file
says at module level, as a reader would:

- ``import numpy as np``, ``from numpy import tanh``: library modules are
  imported normally (they are not the user's code);
- ``import helpers`` / ``from .helpers import f``: a module beside the file is
  parsed statically in turn;
- ``def f(...)``: a real function compiled from that definition alone, whose own
  globals resolve the same way on first use (its :class:`StaticFunction`, with the
  parsed definition, is its ``__adjoint_static__``);
- ``ALPHA = 0.1``, ``SHAPE = (3, 4)``, ``TAU = 2 * math.pi``: constants that can be
  evaluated without calling anything, and cheaply: folding stops at
  :data:`MAX_FOLD_BITS`-bit integers, :data:`MAX_FOLD_ITEMS`-item sequences and
  :data:`MAX_FOLD_STEPS` operations per file, so ``9 ** 9 ** 9`` is an error, not a hang.

Anything else (a value computed by a call, a name bound only inside ``if`` or
``try``) raises :class:`~adjoint.errors.NameResolutionError` pointing at the
binding, with ``--import`` as the way out. Top-level code under
``if __name__ == "__main__":`` is ignored, as it is when a module is imported.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import importlib.util
import operator
import os
import sysconfig
import tokenize
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import gast

from ..errors import ArgumentError, NameResolutionError, SourceLoc, UnsupportedSyntaxError
from .source import ParsedFunction, Scope

_IMPORT_HINT = "pass --import to import the module and use the live function instead"

#: Decorators whose function computes what the undecorated one does (they cache it, or
#: only describe it): a definition carrying them is differentiated as written.
_VALUE_PRESERVING_DECORATORS = (
    functools.cache, functools.lru_cache, typing.no_type_check, staticmethod,
)


@dataclass
class _Binding:
    kind: str  # "import", "from", "def", "class", "value", "dynamic"
    node: Any
    #: For "import": the dotted module name and whether the name is its alias.
    module: str = ""
    alias: bool = False
    level: int = 0
    attr: str = ""
    value: Any = None


@dataclass
class _ModuleText:
    """One file's text, its trees and what each top-level name is bound to."""

    path: str
    name: str
    lines: list[str] = field(repr=False)
    tree: gast.Module = field(repr=False)
    bindings: dict[str, _Binding] = field(default_factory=dict, repr=False)
    conditional: dict[str, Any] = field(default_factory=dict, repr=False)
    star: list[_Binding] = field(default_factory=list, repr=False)
    is_package: bool = False

    def loc(self, node: Any) -> SourceLoc:
        line = getattr(node, "lineno", 1) or 1
        return SourceLoc(
            self.path,
            line,
            getattr(node, "col_offset", 0) or 0,
            self.lines[line - 1] if 0 < line <= len(self.lines) else "",
            getattr(node, "end_lineno", None),
            getattr(node, "end_col_offset", None),
        )


def _is_main_guard(stmt: Any) -> bool:
    test = getattr(stmt, "test", None)
    return (
        isinstance(stmt, gast.If)
        and isinstance(test, gast.Compare)
        and isinstance(test.left, gast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], gast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _collect(mod: _ModuleText) -> None:
    """Record the binding of every top-level name; the last unconditional one wins."""
    for stmt in mod.tree.body:
        if isinstance(stmt, gast.Import):
            for a in stmt.names:
                if a.asname:
                    mod.bindings[a.asname] = _Binding("import", stmt, a.name, True)
                else:
                    top = a.name.split(".")[0]
                    mod.bindings[top] = _Binding("import", stmt, a.name, False)
        elif isinstance(stmt, gast.ImportFrom):
            for a in stmt.names:
                b = _Binding("from", stmt, stmt.module or "", level=stmt.level or 0, attr=a.name)
                if a.name == "*":
                    mod.star.append(b)
                else:
                    mod.bindings[a.asname or a.name] = b
        elif isinstance(stmt, (gast.FunctionDef, gast.AsyncFunctionDef)):
            mod.bindings[stmt.name] = _Binding("def", stmt)
        elif isinstance(stmt, gast.ClassDef):
            mod.bindings[stmt.name] = _Binding("class", stmt)
        elif isinstance(stmt, (gast.Assign, gast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
            if stmt.value is None:
                continue
            for t in targets:
                _bind_target(mod, t, stmt.value)
        elif _is_main_guard(stmt):
            continue
        else:
            # Compound statements, augmented assignments, del...: whatever they bind
            # depends on running the module.
            for node in gast.walk(stmt):
                if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Del)):
                    mod.conditional.setdefault(node.id, node)
                elif isinstance(node, (gast.FunctionDef, gast.ClassDef)):
                    mod.conditional.setdefault(node.name, node)
                elif isinstance(node, gast.alias):
                    mod.conditional.setdefault((node.asname or node.name).split(".")[0], stmt)
    # Functions that declare ``global X`` may rebind X at run time.
    for stmt in mod.tree.body:
        for node in gast.walk(stmt):
            if isinstance(node, gast.Global):
                for n in node.names:
                    mod.conditional.setdefault(n, node)


def _bind_target(mod: _ModuleText, target: Any, value: Any) -> None:
    if isinstance(target, gast.Name):
        mod.bindings[target.id] = _Binding("value", target, value=value)
    elif isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, (gast.Tuple,
                                                                             gast.List)) \
            and len(target.elts) == len(value.elts):
        for t, v in zip(target.elts, value.elts):
            _bind_target(mod, t, v)
    else:
        for node in gast.walk(target):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                mod.bindings[node.id] = _Binding("dynamic", node, value=value)


class FileReader:
    """Reads each user file once; functions read through one reader are the same objects.

    Pass one reader to several :func:`parse_file_function` calls so that a helper two
    functions call is one function (and one copy in a generated module).
    """

    def __init__(self) -> None:
        self.modules: dict[str, _ModuleText] = {}
        self.scopes: dict[int, StaticScope] = {}
        self.functions: dict[tuple[int, str], StaticFunction] = {}
        self.namespaces: dict[int, _StaticGlobals] = {}

    def scope(self, mod: _ModuleText) -> StaticScope:
        """One scope per module, so lookups are cached and import cycles are caught."""
        if id(mod) not in self.scopes:
            self.scopes[id(mod)] = StaticScope(mod, self)
        return self.scopes[id(mod)]

    def function(self, mod: _ModuleText, node: gast.FunctionDef) -> StaticFunction:
        """One StaticFunction per definition, so every reference is the same object."""
        key = (id(mod), node.name)
        if key not in self.functions:
            self.functions[key] = StaticFunction(mod, node, self)
        return self.functions[key]

    def globals_for(self, mod: _ModuleText) -> _StaticGlobals:
        """One namespace per module, shared by its compiled functions as a module's is."""
        if id(mod) not in self.namespaces:
            self.namespaces[id(mod)] = _StaticGlobals(self.scope(mod))
        return self.namespaces[id(mod)]

    def parse(self, path: str, name: str | None = None) -> _ModuleText:
        key = os.path.realpath(path)
        if key not in self.modules:
            text = _read_source(path)
            lines = text.splitlines()
            try:
                tree = gast.parse(text)
            except SyntaxError as exc:
                loc = SourceLoc(path, exc.lineno or 1, (exc.offset or 1) - 1,
                                lines[(exc.lineno or 1) - 1] if lines else "")
                raise NameResolutionError(f"syntax error: {exc.msg}", loc,
                                          "fix the file so Python can parse it") from None
            except RecursionError:
                raise _too_deep(path, text, lines) from None
            stem = os.path.splitext(os.path.basename(path))[0]
            is_pkg = stem == "__init__"
            if is_pkg:
                stem = os.path.basename(os.path.dirname(os.path.abspath(path)))
            mod = _ModuleText(path, name or stem, lines, tree, is_package=is_pkg)
            _collect(mod)
            self.modules[key] = mod
        return self.modules[key]

    @staticmethod
    def roots(path: str) -> list[str]:
        """Folders where ``import x`` finds the user's own modules: the file's folder, and
        the folder above the package the file is in, if it is in one."""
        folder = os.path.dirname(path) or "."
        roots = [folder]
        top = folder
        while os.path.exists(os.path.join(top, "__init__.py")):
            top = os.path.join(top, "..")
        if top != folder:
            roots.append(os.path.normpath(top))
        return roots

    @staticmethod
    def find(folder: str, dotted: str, namespace: bool = True) -> str | None:
        """The file (or package folder) of ``dotted`` under ``folder``, if the user has one.

        A folder without ``__init__.py`` (a namespace package) counts only with
        ``namespace``: Python prefers any regular module of that name to it.
        """
        base = os.path.join(folder, *dotted.split("."))
        if os.path.isfile(base + ".py"):
            return os.path.normpath(base + ".py")
        if os.path.isdir(base) and (namespace or os.path.isfile(os.path.join(base,
                                                                            "__init__.py"))):
            return os.path.normpath(base)
        return None


def _read_source(path: str) -> str:
    """A Python file's text, decoded as Python would (UTF-8 unless it declares a coding)."""
    try:
        with open(path, "rb") as fh:
            encoding, _ = tokenize.detect_encoding(fh.readline)
            fh.seek(0)
            data = fh.read()
    except OSError as exc:
        raise ArgumentError(f"cannot read {path}: {exc.strerror or exc}") from None
    except SyntaxError as exc:  # an unknown coding declaration
        raise ArgumentError(f"cannot read {path}: {exc.msg}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise ArgumentError(f"cannot read {path}: it is not {encoding} text",
                            hint="save it as UTF-8") from None
    if "\0" in text:
        raise ArgumentError(f"cannot read {path}: it holds null bytes, so it is not "
                            "Python source")
    # As reading in text mode would: one kind of line ending, no byte order mark.
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _too_deep(path: str, text: str, lines: list[str]) -> UnsupportedSyntaxError:
    """The error for a file whose syntax tree is deeper than Python's recursion limit."""
    where = None
    try:
        tree = ast.parse(text)  # built by the C parser: no Python recursion
        deepest = 0
        for stmt in ast.walk(tree):
            if not isinstance(stmt, ast.stmt):
                continue
            stack = [(child, 1, child) for child in ast.iter_child_nodes(stmt)
                     if isinstance(child, ast.expr)]
            while stack:
                node, depth, top = stack.pop()
                if depth > deepest:
                    deepest, where = depth, top  # the statement's expression holding it
                stack += [(c, depth + 1, top) for c in ast.iter_child_nodes(node)
                          if isinstance(c, ast.expr)]
    except (SyntaxError, RecursionError, MemoryError):
        pass
    loc = None
    if where is not None:
        line = getattr(where, "lineno", 1)
        loc = SourceLoc(path, line, getattr(where, "col_offset", 0),
                        lines[line - 1] if 0 < line <= len(lines) else "")
    return UnsupportedSyntaxError(
        f"{'this expression' if loc else path} is nested too deeply for adjoint to read "
        "(deeper than Python's recursion limit)", loc,
        "split it into several statements, e.g. sum partial results in a few variables",
    )


@functools.lru_cache(maxsize=1)
def library_folders() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple(os.path.realpath(paths[k]) + os.sep
                 for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths)


def _is_users(location: str) -> bool:
    """Is this file the user's (under the working folder, not an installed library)?"""
    real = os.path.realpath(location)
    if real.startswith(library_folders()):
        return False
    return real.startswith(os.path.realpath(os.getcwd()) + os.sep)


class StaticModule:
    """A user's module known only from its text: attributes resolve like its globals."""

    def __init__(self, loader: FileReader, location: str, name: str):
        self._loader = loader
        self._location = location  # a .py file or a package folder
        self._name = name
        self.__name__ = name

    def _text(self) -> _ModuleText | None:
        if os.path.isdir(self._location):
            init = os.path.join(self._location, "__init__.py")
            if not os.path.isfile(init):
                return None  # a namespace package: only submodules
            return self._loader.parse(os.path.normpath(init), self._name)
        return self._loader.parse(self._location, self._name)

    @property
    def scope(self) -> StaticScope | None:
        text = self._text()
        return self._loader.scope(text) if text is not None else None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        scope = self.scope
        if scope is not None:
            try:
                return scope.lookup(attr, builtins_too=False)
            except KeyError:
                pass
        if os.path.isdir(self._location):
            sub = FileReader.find(self._location, attr)
            if sub is not None:
                return StaticModule(self._loader, sub, f"{self._name}.{attr}")
        raise AttributeError(attr)

    def __repr__(self) -> str:
        return f"<static module {self._name!r} from {self._location!r}>"


class StaticFunction:
    """A function defined in a user's file, known from its source without running it.

    ``parsed`` is what :func:`adjoint.frontend.lower` takes. :meth:`materialize`
    compiles the definition alone into a real function whose globals resolve
    statically, on first use: the rest of the module never runs.
    """

    def __init__(self, module: _ModuleText, node: gast.FunctionDef, loader: FileReader):
        self._module = module
        self._node = node
        self._loader = loader
        self._live: types.FunctionType | None = None
        self.__name__ = self.__qualname__ = node.name

    @property
    def filename(self) -> str:
        return self._module.path

    @property
    def parsed(self) -> ParsedFunction:
        for decorator in self._node.decorator_list:
            self._check_decorator(decorator)
        return ParsedFunction(self._node, self._module.path, self._module.lines,
                              self._loader.scope(self._module))

    def materialize(self) -> types.FunctionType:
        """A real function compiled from this definition alone (the module is not run).

        Decorators and annotations are dropped: they would run code of the module's,
        and differentiation needs neither.
        """
        if self._live is not None:
            return self._live
        for decorator in self._node.decorator_list:
            self._check_decorator(decorator)
        args = self._node.args
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                self._check_default(default)
        node = gast.gast_to_ast(self._node)
        node.decorator_list = []
        node.returns = None
        for arg in ast.walk(node.args):
            if isinstance(arg, ast.arg):
                arg.annotation = None
        code = compile(ast.Module(body=[node], type_ignores=[]), self._module.path, "exec")
        namespace = self._loader.globals_for(self._module)
        exec(code, namespace)  # defines the function only: nothing of the module runs
        live: Any = dict.__getitem__(namespace, self._node.name)
        live.__adjoint_static__ = self
        self._live = live
        return live

    def _check_decorator(self, node: Any) -> None:
        """Refuse a decorator that may change what the function computes.

        Reading the file without running it, adjoint differentiates the body as written;
        only decorators known to return a function computing the same values (caches)
        can be dropped. Any other would give the derivative of a different function.
        """
        scope = self._loader.scope(self._module)
        target = node.func if isinstance(node, gast.Call) else node
        obj: Any = None
        try:
            if isinstance(target, gast.Name):
                obj = scope.lookup(target.id)
            elif isinstance(target, gast.Attribute) and isinstance(target.value, gast.Name):
                base = scope.lookup(target.value.id)
                if isinstance(base, types.ModuleType):
                    obj = getattr(base, target.attr, None)
        except (KeyError, NameResolutionError):
            obj = None
        if any(obj is keep for keep in _VALUE_PRESERVING_DECORATORS):
            return
        text = ast.unparse(gast.gast_to_ast(target))
        raise UnsupportedSyntaxError(
            f"'{self.__name__}' is decorated with '{text}', which may change what it "
            "computes; reading the file without running it, adjoint would differentiate the "
            "undecorated body",
            self._module.loc(node),
            _IMPORT_HINT + " (the decorator is applied), or differentiate the undecorated "
            "function",
        )

    def _check_default(self, node: Any) -> None:
        """Refuse a default value whose evaluation would run code or unbounded work.

        Defaults are evaluated when the definition is compiled, so they may hold
        only literals, names, attributes and containers of them, and arithmetic
        that constant folding can do within its limits.
        """
        scope = self._loader.scope(self._module)
        stack = [node]
        while stack:
            sub = stack.pop()
            if isinstance(sub, (gast.BinOp, gast.UnaryOp)):
                try:
                    scope._evaluate(sub)
                    continue
                except _TooLarge as exc:
                    raise NameResolutionError(
                        f"a default value of '{self.__name__}' is too costly to compute: it "
                        f"would be {exc}", self._module.loc(sub),
                        "write the value as a literal, or " + _IMPORT_HINT,
                    ) from None
                except (_NotConstant, RecursionError):
                    pass
            elif isinstance(sub, _SAFE_DEFAULT_NODES):
                stack.extend(gast.iter_child_nodes(sub))
                continue
            raise NameResolutionError(
                f"a default value of '{self.__name__}' is computed by running code",
                self._module.loc(node),
                "use a literal default, or " + _IMPORT_HINT,
            )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.materialize()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<static function {self.__name__} from {self._module.path!r}>"


#: What a default value may be made of without running code (besides foldable arithmetic).
_SAFE_DEFAULT_NODES = (gast.Constant, gast.Name, gast.Attribute, gast.Tuple, gast.List,
                       gast.Set, gast.Dict, gast.Load, gast.expr_context)


class _StaticGlobals(dict):
    """The globals of functions compiled from a user's file, filled on first use.

    A name is looked up in the file's text when the code (or adjoint's lowering,
    through ``in`` and ``[]``) first needs it, so a name only the module's execution
    would define raises the static :class:`NameResolutionError` saying so.
    """

    def __init__(self, scope: StaticScope):
        super().__init__(__builtins__=builtins, __name__=f"adjoint_static.{scope.module.name}")
        self._scope = scope

    def __missing__(self, name: str) -> Any:
        obj = self._scope.lookup(name, builtins_too=False)  # KeyError: Python tries builtins
        self[name] = obj
        return obj

    def __contains__(self, name: object) -> bool:
        if dict.__contains__(self, name):
            return True
        try:
            self[name]
        except KeyError:
            return False
        except NameResolutionError:
            return True  # reading it raises the error that explains why
        return True

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self else default


_FOLD: dict[type, Any] = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
    gast.Pow: operator.pow, gast.USub: operator.neg, gast.UAdd: operator.pos}
_CONST_TYPES = (int, float, complex, bool, str, bytes, type(None))

#: Constant folding only does cheap work, whatever the file says: ``9 ** 9 ** 9`` or
#: ``"x" * 10 ** 12`` would take hours or all memory. A result may have at most this
#: many bits (integers) or items (strings, bytes, tuples), and one file's constants at
#: most this many operations; past that the name is left unresolved with an error.
MAX_FOLD_BITS = 8192
MAX_FOLD_ITEMS = 100_000
MAX_FOLD_STEPS = 100_000


class _NotConstant(Exception):
    pass


class _TooLarge(_NotConstant):
    """A constant expression whose value is too costly to compute (the message says why)."""


def _size_problem(value: Any) -> str | None:
    """Why ``value`` is too large to be a folded constant (None: it is not)."""
    if isinstance(value, int) and value.bit_length() > MAX_FOLD_BITS:
        return f"an integer of {value.bit_length():,} bits"
    if isinstance(value, (str, bytes, tuple)) and len(value) > MAX_FOLD_ITEMS:
        return f"a {type(value).__name__} of {len(value):,} items"
    return None


def _cost_problem(op: type, left: Any, right: Any) -> str | None:
    """Why ``left <op> right`` is too costly to compute, judged before computing it."""
    ints = isinstance(left, int) and isinstance(right, int)
    if op is gast.Pow and ints and right > 0 and abs(left) > 1:
        bits = (abs(left).bit_length() - 1) * right
        if bits > MAX_FOLD_BITS:
            return f"an integer of about {bits:,} bits"
    if op is gast.Mult and ints and left.bit_length() + right.bit_length() > MAX_FOLD_BITS + 1:
        return f"an integer of about {left.bit_length() + right.bit_length():,} bits"
    if op is gast.Mult and not ints:
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (str, bytes, tuple)) and isinstance(times, int) \
                    and len(seq) * max(times, 0) > MAX_FOLD_ITEMS:
                return f"a {type(seq).__name__} of {len(seq) * times:,} items"
    if op is gast.Mod and isinstance(left, (str, bytes)):
        # printf-style formatting: "%999999999d" % 1 is a gigabyte. Not folded at all.
        raise _NotConstant
    return None


class StaticScope(Scope):
    """The module-level names of a user's file, resolved from its text."""

    def __init__(self, module: _ModuleText, loader: FileReader):
        self.module = module
        self.loader = loader
        self._cache: dict[str, Any] = {}
        self._busy: set[str] = set()
        self._fold_steps = 0

    # -- the Scope interface --------------------------------------------------------------
    def lookup(self, name: str, builtins_too: bool = True) -> Any:
        if name in self._cache:
            return self._cache[name]
        mod = self.module
        if name in mod.conditional:
            raise NameResolutionError(
                f"'{name}' is bound conditionally at module level, so its value is only known"
                f" by running {mod.path}",
                mod.loc(mod.conditional[name]),
                "bind it unconditionally at the top of the module, or " + _IMPORT_HINT,
            )
        if name in mod.bindings:
            if name in self._busy:
                raise NameResolutionError(f"'{name}' refers to itself through imports",
                                          mod.loc(mod.bindings[name].node), "break the cycle")
            self._busy.add(name)
            try:
                obj = self._resolve(name, mod.bindings[name])
            finally:
                self._busy.discard(name)
            self._cache[name] = obj
            return obj
        for star in reversed(mod.star if not name.startswith("_") else []):
            source = self._import_from_module(star)
            try:
                obj = (source.scope.lookup(name, builtins_too=False)
                       if isinstance(source, StaticModule) and source.scope is not None
                       else getattr(source, name))
            except (KeyError, AttributeError):
                continue
            self._cache[name] = obj
            return obj
        if builtins_too and hasattr(builtins, name):
            return getattr(builtins, name)
        raise KeyError(name)

    # -- bindings -------------------------------------------------------------------------
    def _resolve(self, name: str, b: _Binding) -> Any:
        mod = self.module
        if b.kind == "def":
            return self.loader.function(mod, b.node).materialize()
        if b.kind == "class":
            raise NameResolutionError(
                f"'{name}' is a class; classes are only known by running {mod.path}",
                mod.loc(b.node), _IMPORT_HINT,
            )
        if b.kind == "import":
            return self._import(b)
        if b.kind == "from":
            source = self._import_from_module(b)
            return self._attribute(source, b.attr, b)
        if b.kind == "value":
            try:
                return self._evaluate(b.value)
            except _TooLarge as exc:
                raise NameResolutionError(
                    f"'{name}' is too costly to compute without running {mod.path}: its value"
                    f" would be {exc}, and adjoint only folds constants of up to "
                    f"{MAX_FOLD_BITS} bits or {MAX_FOLD_ITEMS:,} items",
                    mod.loc(b.value),
                    "write the value as a literal, pass it as a parameter, or " + _IMPORT_HINT,
                ) from None
            except _NotConstant:
                pass
            except RecursionError:
                raise NameResolutionError(
                    f"the value of '{name}' is nested too deeply to read", mod.loc(b.value),
                    "split it into several assignments, or " + _IMPORT_HINT,
                ) from None
        raise NameResolutionError(
            f"'{name}' is computed when {mod.path} runs; adjoint reads the file without running"
            " it",
            mod.loc(b.value if b.value is not None else b.node),
            "use a literal (numbers, strings, tuples), pass the value as a parameter, or "
            + _IMPORT_HINT,
        )

    def _user_module(self, dotted: str, level: int, node: Any) -> StaticModule | None:
        """The user's module ``dotted`` (relative at ``level``), or None for a library."""
        mod = self.module
        if level:
            folder = os.path.dirname(mod.path) or "."
            for _ in range(level - 1):
                folder = os.path.join(folder, "..")
            folder = os.path.normpath(folder)
            if not dotted:
                return StaticModule(self.loader, folder, os.path.basename(folder))
            found = FileReader.find(folder, dotted)
            if found is None:
                raise NameResolutionError(
                    f"cannot find module '{'.' * level}{dotted}' beside {mod.path}",
                    mod.loc(node), "check the module name",
                )
            return StaticModule(self.loader, found, dotted)
        roots = FileReader.roots(mod.path)
        for root in roots:
            found = FileReader.find(root, dotted, namespace=False)
            if found is not None:
                return StaticModule(self.loader, found, dotted)
        try:
            spec = importlib.util.find_spec(dotted.split(".")[0])
        except (ImportError, ValueError):
            spec = None
        if spec is None:  # a folder without __init__.py, or nothing at all
            for root in roots:
                found = FileReader.find(root, dotted)
                if found is not None:
                    return StaticModule(self.loader, found, dotted)
            return None
        # Found on sys.path (the working folder, PYTHONPATH): still the user's own code
        # when it lives under the working folder, and then it is read, not run.
        folders = spec.submodule_search_locations
        location = (folders[0] if folders else None) or spec.origin
        if location and _is_users(location) and dotted.split(".")[0] != "adjoint":
            root = os.path.relpath(os.path.dirname(os.path.abspath(location)))
            found = FileReader.find(root, dotted)
            if found is not None:
                return StaticModule(self.loader, found, dotted)
        return None

    def _library(self, dotted: str, node: Any) -> types.ModuleType:
        try:
            return importlib.import_module(dotted)
        except ImportError as exc:
            raise NameResolutionError(
                f"cannot import '{dotted}': {exc}", self.module.loc(node),
                "install the module, or check its name",
            ) from None

    def _import(self, b: _Binding) -> Any:
        parts = b.module.split(".")
        target = parts if b.alias else parts[:1]
        user = self._user_module(".".join(parts[:1]), 0, b.node)
        if user is None:
            module = self._library(b.module, b.node)
            return module if b.alias else self._library(parts[0], b.node)
        obj: Any = user
        for i, part in enumerate(target[1:], 1):
            obj = self._attribute(obj, part, b, ".".join(parts[:i]))
        return obj

    def _import_from_module(self, b: _Binding) -> Any:
        user = self._user_module(b.module, b.level, b.node)
        if user is not None:
            return user
        return self._library(b.module, b.node)

    def _attribute(self, source: Any, attr: str, b: _Binding, what: str | None = None) -> Any:
        try:
            return getattr(source, attr)
        except AttributeError:
            pass
        except NameResolutionError:
            raise
        if isinstance(source, types.ModuleType):
            try:
                return importlib.import_module(f"{source.__name__}.{attr}")
            except ImportError:
                pass
        what = what or ("." * b.level + b.module)
        raise NameResolutionError(f"module '{what}' has no name '{attr}'",
                                  self.module.loc(b.node), "check the spelling")

    # -- constants ------------------------------------------------------------------------
    def _evaluate(self, node: Any) -> Any:
        """Evaluate a constant expression: literals, arithmetic, names of other constants.

        Raises :class:`_TooLarge` rather than doing more than a bounded amount of work.
        """
        self._fold_steps += 1
        if self._fold_steps > MAX_FOLD_STEPS:
            raise _TooLarge(f"the result of more than {MAX_FOLD_STEPS:,} operations")
        if isinstance(node, gast.Constant):
            return node.value
        if isinstance(node, (gast.Tuple,)):
            return tuple(self._evaluate(e) for e in node.elts)
        if isinstance(node, gast.UnaryOp) and type(node.op) in _FOLD:
            operand = self._evaluate(node.operand)
            try:
                return self._folded(_FOLD[type(node.op)](operand))
            except (ArithmeticError, TypeError, ValueError):
                raise _NotConstant from None
        if isinstance(node, gast.BinOp) and type(node.op) in _FOLD:
            left, right = self._evaluate(node.left), self._evaluate(node.right)
            problem = _cost_problem(type(node.op), left, right)
            if problem is not None:
                raise _TooLarge(problem)
            try:
                return self._folded(_FOLD[type(node.op)](left, right))
            except (ArithmeticError, TypeError, ValueError):
                raise _NotConstant from None
        if isinstance(node, gast.Name):
            try:
                return self._checked(self.lookup(node.id, builtins_too=False))
            except KeyError:
                raise _NotConstant from None
        if isinstance(node, gast.Attribute):
            base = node.value
            if isinstance(base, gast.Name):
                try:
                    obj = self.lookup(base.id, builtins_too=False)
                except KeyError:
                    raise _NotConstant from None
                if isinstance(obj, (types.ModuleType, StaticModule)):
                    try:
                        return self._checked(getattr(obj, node.attr))
                    except AttributeError:
                        raise _NotConstant from None
        raise _NotConstant

    @classmethod
    def _folded(cls, value: Any) -> Any:
        """A computed constant, refused when it is larger than folding allows."""
        problem = _size_problem(value)
        if problem is not None:
            raise _TooLarge(problem)
        return cls._checked(value)

    @staticmethod
    def _checked(value: Any) -> Any:
        if isinstance(value, _CONST_TYPES) or (
            isinstance(value, tuple) and all(isinstance(v, _CONST_TYPES) for v in value)
        ):
            return value
        raise _NotConstant


def module_functions(path: str) -> list[str]:
    """The public top-level functions of a file, in the order they are defined."""
    mod = FileReader().parse(path)
    return [s.name for s in mod.tree.body
            if isinstance(s, gast.FunctionDef) and not s.name.startswith("_")]


def parse_file_function(path: str, name: str, reader: FileReader | None = None) -> ParsedFunction:
    """Parse top-level function ``name`` of the file at ``path`` without importing the file.

    ``path`` is kept as given (error messages and generated headers quote it).
    """
    loader = reader or FileReader()
    mod = loader.parse(path)
    for stmt in mod.tree.body:
        if isinstance(stmt, gast.FunctionDef) and stmt.name == name:
            return loader.function(mod, stmt).parsed
    available = module_functions(path)
    raise ArgumentError(
        f"{path} has no top-level function named '{name}'",
        None,
        f"choose from: {', '.join(available)}" if available else "define it with def",
    )


__all__ = ["FileReader", "StaticFunction", "StaticModule", "StaticScope", "module_functions",
           "parse_file_function"]
