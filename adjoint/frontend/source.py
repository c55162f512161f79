"""Getting a function's source as a gast tree with the file's own line and column numbers."""

from __future__ import annotations

import ast
import builtins
import dataclasses
import linecache
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gast

from ..errors import SourceLoc, UnsupportedSyntaxError
from .to_gast import to_gast


@dataclass
class ParsedFunction:
    """A function's definition node plus what is needed to point into its file."""

    node: gast.FunctionDef
    filename: str
    lines: list[str] = field(repr=False)
    scope: Scope = field(repr=False)
    #: The live function the text was read for (None when read statically from a file).
    live: Any = field(default=None, repr=False)

    def loc(self, node: Any) -> SourceLoc:
        line = getattr(node, "lineno", None) or self.node.lineno
        col = getattr(node, "col_offset", 0) or 0
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return _source_loc(
            self.filename,
            line,
            col,
            text,
            getattr(node, "end_lineno", None),
            getattr(node, "end_col_offset", None),
        )

    def text(self, node: Any) -> str:
        """The statement's source text, dedented, as the user wrote it."""
        first, last = node.lineno, getattr(node, "end_lineno", node.lineno) or node.lineno
        chunk = self.lines[first - 1 : last]
        if not chunk:
            return ""
        indent = len(chunk[0]) - len(chunk[0].lstrip())
        out = [chunk[0].strip()]
        out += [ln[indent:].rstrip() if ln[:indent].isspace() else ln.strip() for ln in chunk[1:]]
        return "\n".join(out)


def _fast_source_loc() -> Callable[..., SourceLoc] | None:
    """``SourceLoc(...)`` without the frozen dataclass's ``__init__``, which looks up
    ``object.__setattr__`` again for each field (every operation lowered has a position:
    a long function makes tens of thousands). None unless SourceLoc is still a frozen
    dataclass of these six fields with nothing run after ``__init__``."""
    names = tuple(f.name for f in dataclasses.fields(SourceLoc))
    params = getattr(SourceLoc, "__dataclass_params__", None)
    if names != ("filename", "line", "col", "text", "end_line", "end_col") or \
            params is None or not params.frozen or hasattr(SourceLoc, "__post_init__"):
        return None
    new, put = object.__new__, object.__setattr__

    def make(filename: str, line: int, col: int, text: str, end_line: int | None,
             end_col: int | None) -> SourceLoc:
        loc = new(SourceLoc)
        put(loc, "filename", filename)
        put(loc, "line", line)
        put(loc, "col", col)
        put(loc, "text", text)
        put(loc, "end_line", end_line)
        put(loc, "end_col", end_col)
        return loc

    return make


_source_loc = _fast_source_loc() or SourceLoc


class Scope:
    """Resolves the free names of a function to the objects they denote."""

    def lookup(self, name: str) -> Any:  # pragma: no cover - interface
        raise KeyError(name)


class LiveScope(Scope):
    """Names of a live function: its closure cells, then its module globals, then builtins."""

    def __init__(self, fn: Callable[..., Any]):
        self.globals: dict[str, Any] = getattr(fn, "__globals__", {})
        code = getattr(fn, "__code__", None)
        cells = getattr(fn, "__closure__", None) or ()
        self.closure: dict[str, Any] = {}
        if code is not None:
            for name, cell in zip(code.co_freevars, cells):
                try:
                    self.closure[name] = cell.cell_contents
                except ValueError:  # an empty cell: the name is not bound yet
                    pass

    def lookup(self, name: str) -> Any:
        if name in self.closure:
            return self.closure[name]
        if name in self.globals:
            return self.globals[name]
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise KeyError(name)


def parse_live_function(fn: Callable[..., Any]) -> ParsedFunction:
    """Parse a live function's definition (a ``def`` or a ``lambda``) from its source file.

    The definition is found by the function's own code object (file, first line, name,
    and for lambdas the columns its instructions come from), never through
    ``__wrapped__``: a decorated function is the decorator's wrapper, whatever
    ``functools.wraps`` copied onto it. The text found must compile to the code that
    runs; when the file was edited after it was imported, it does not, and the
    function is refused rather than differentiated as text it no longer is.
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        raise UnsupportedSyntaxError(
            f"{getattr(fn, '__qualname__', fn)!r} is not a Python function",
            None,
            "differentiate a function defined with def or lambda",
        )
    filename = code.co_filename
    file_lines = _file_lines(filename, getattr(fn, "__globals__", None))
    node = tree = found = None
    if code.co_name != "<lambda>":
        # A def is found in the standard library's tree (parsed in C) and only its own
        # subtree converted to gast: converting a whole file of rules cost most of the
        # first gradient's time.
        found = _find_def(filename, file_lines, code)
        node = to_gast(found.node) if found is not None else None
    else:
        tree = _parse_file(filename, file_lines)
        node = _find_definition(tree, code, filename, file_lines) if tree is not None else None
    if node is None:
        raise UnsupportedSyntaxError(
            f"cannot read the source of {getattr(fn, '__qualname__', fn)!r}",
            None,
            "adjoint differentiates source code: define the function in a file or notebook cell"
            " (not with exec or in the plain interactive prompt)",
        )
    parsed_lines = [ln.rstrip("\n").rstrip("\r") for ln in file_lines]
    loc = SourceLoc(filename, node.lineno, node.col_offset,
                    parsed_lines[node.lineno - 1] if node.lineno <= len(parsed_lines) else "")
    module_name = getattr(fn, "__module__", None) or ""
    # adjoint's own rules are read from the files they were imported from, which nobody
    # edits under a running process: checking their text compiles to the running code
    # would compile whole files of rules on a process's first gradient.
    if module_name.split(".")[0] != "adjoint" and not _compiles_to(
            parsed_lines, code, sys.modules.get(module_name)):
        raise UnsupportedSyntaxError(
            f"the source of '{code.co_name}' in {filename} is not the code that runs: the "
            "file changed after it was loaded",
            loc,
            "reload the module (importlib.reload) or restart the interpreter, then "
            "differentiate the function again",
        )
    if isinstance(node, gast.Lambda):
        node = _lambda_as_def(node, _lambda_name(tree, node))
    return ParsedFunction(node, filename, parsed_lines, LiveScope(fn), fn)


def _file_lines(filename: str, module_globals: Any) -> list[str]:
    linecache.checkcache(filename)
    return linecache.getlines(filename, module_globals)


_PARSED: dict[tuple[str, int], Any] = {}


@dataclass
class _Def:
    """Where a ``def`` is in its file, and the parts of the file its code depends on."""

    name: str
    lineno: int
    #: The line of its first decorator (its own line when it has none).
    first: int
    end: int
    #: The ``from __future__`` features of the file, as compiler flags.
    future: int
    #: Its ``ast`` node (the file's tree is not kept: see ``_find_def``).
    node: Any = None


#: (file, text) -> {(name, line): the defs found there}, for the first line of a def
#: and of its first decorator (the two lines a code object may give).
_DEFS: dict[tuple[str, int], dict[tuple[str, int], list[_Def]] | None] = {}


def _find_def(filename: str, lines: list[str], code: Any) -> _Def | None:
    """The ``def`` that ``code`` was compiled from, with its ``ast`` node.

    The file is parsed once per text, and where its defs are kept: another def of the
    file is then parsed from its own lines. Keeping the whole tree instead would cost
    nothing to look up but make the collector scan every node of every file read (a
    long function's tree outlives its lowering in such a cache).
    """
    if not lines:
        return None
    text = "".join(lines)
    key = (filename, hash(text))
    if key in _DEFS:
        index = _DEFS[key]
        found = index.get((code.co_name, code.co_firstlineno), ()) if index else ()
        if len(found) != 1:
            return None
        d = found[0]
        node = _parse_def(lines, d)
        if node is not None:
            return _Def(d.name, d.lineno, d.first, d.end, d.future, node)
        # Not readable from its own lines (it happens to no def Python accepts): the
        # whole file is read as below.
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        tree = None
    index = _def_index(tree) if tree is not None else None
    found = index.get((code.co_name, code.co_firstlineno), ()) if index else ()
    result = None
    if len(found) == 1:
        d = found[0]
        result = _Def(d.name, d.lineno, d.first, d.end, d.future, d.node)
    for defs in (index or {}).values():
        for d in defs:
            d.node = None  # the cache keeps positions only
    _DEFS[key] = index
    if len(_DEFS) > 64:
        _DEFS.pop(next(iter(_DEFS)))
    return result


def _def_index(tree: Any) -> dict[tuple[str, int], list[_Def]]:
    """Every def of the module's tree by (name, line), with its node (taken out of the
    index before it is kept: the index outlives the tree)."""
    future = _future_flags(tree)
    index: dict[tuple[str, int], list[_Def]] = {}
    blocks = [tree.body]
    while blocks:
        for stmt in blocks.pop():
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = stmt.decorator_list[0].lineno if stmt.decorator_list else stmt.lineno
                d = _Def(stmt.name, stmt.lineno, first, stmt.end_lineno or stmt.lineno,
                         future, stmt)
                for line in {stmt.lineno, first}:
                    index.setdefault((stmt.name, line), []).append(d)
            for part in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, part, None)
                if isinstance(inner, list):
                    blocks.append(inner)
            for handler in getattr(stmt, "handlers", ()):
                blocks.append(handler.body)
            for case in getattr(stmt, "cases", ()):
                blocks.append(case.body)
    return index


def _future_flags(tree: Any) -> int:
    """The compiler flags of the module's ``from __future__ import`` statements."""
    import __future__

    flags = 0
    for k, stmt in enumerate(tree.body):
        if k == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
                and isinstance(stmt.value.value, str):
            continue  # the module's docstring
        if not (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"):
            break
        for alias in stmt.names:
            feature = getattr(__future__, alias.name, None)
            flags |= getattr(feature, "compiler_flag", 0)
    return flags


def _parse_def(lines: list[str], d: _Def) -> Any:
    """The ``ast`` node of the def at ``d``, parsed from its own lines (at their line
    numbers and columns: an indented def is read as the body of an ``if``); None when
    they do not parse as that def alone."""
    chunk = "".join(lines[d.first - 1:d.end])
    indented = chunk[:1] in (" ", "\t", "\f")
    if indented and d.first < 2:
        return None
    head = "\n" * (d.first - 2) + "if 1:\n" if indented else "\n" * (d.first - 1)
    try:
        tree = compile(head + chunk, "<def>", "exec", ast.PyCF_ONLY_AST | d.future,
                       dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    body = tree.body[0].body if indented and tree.body else tree.body
    if len(tree.body) != 1 or len(body) != 1:
        return None
    node = body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name != d.name \
            or node.lineno != d.lineno or (node.end_lineno or node.lineno) != d.end:
        return None
    return node


def _parsed(cache: dict[tuple[str, int], Any], parse: Any, filename: str,
            lines: list[str]) -> Any:
    """``parse`` of the file's text, remembered per file and text (the last 16: a large
    file's tree is many objects, which the cyclic collector scans while they live)."""
    if not lines:
        return None
    text = "".join(lines)
    key = (filename, hash(text))
    if key not in cache:
        try:
            cache[key] = parse(text)
        except (SyntaxError, ValueError):
            cache[key] = None
        if len(cache) > 16:
            cache.pop(next(iter(cache)))
    return cache[key]


def _parse_file(filename: str, lines: list[str]) -> Any:
    """The whole file's gast tree (cached per file text); None when it does not parse."""
    return _parsed(_PARSED, gast.parse, filename, lines)


def _first_line(node: Any) -> int:
    decorators = getattr(node, "decorator_list", None)
    return decorators[0].lineno if decorators else node.lineno


def _find_definition(tree: Any, code: Any, filename: str, lines: list[str]) -> Any:
    """The ``def`` or ``lambda`` node in ``tree`` that ``code`` was compiled from."""
    if code.co_name == "<lambda>":
        found = [n for n in gast.walk(tree) if isinstance(n, gast.Lambda)
                 and n.lineno == code.co_firstlineno]
        nargs = code.co_argcount + code.co_kwonlyargcount + code.co_posonlyargcount
        names = list(code.co_varnames[:nargs])
        found = [n for n in found if _arg_names(n.args) == names]
        if len(found) > 1:
            found = _by_position(found, code, lines)
        return found[0] if len(found) == 1 else None
    found = [n for n in gast.walk(tree)
             if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef))
             and n.name == code.co_name and code.co_firstlineno in (n.lineno, _first_line(n))]
    return found[0] if len(found) == 1 else None


def _arg_names(args: Any) -> list[str]:
    names = [a.id for a in [*args.posonlyargs, *args.args]]
    names += [a.id for a in args.kwonlyargs]
    return names


def _by_position(nodes: list[Any], code: Any, lines: list[str]) -> list[Any]:
    """Of several lambdas on one line, the smallest holding every position ``code`` has."""
    positions = getattr(code, "co_positions", None)
    if positions is None:  # Python 3.10: no columns to tell them apart
        return nodes
    points = []
    for line, _, col, end_col in positions():
        # Instructions with no span of their own (RESUME) sit at column 0.
        if line is not None and col is not None and end_col is not None and end_col > col:
            points.append((line, col))
    if not points:
        return nodes

    def holds(n: Any) -> bool:
        start = (n.body.lineno, n.body.col_offset)
        end = (n.body.end_lineno, n.body.end_col_offset)
        return all(start <= p <= end for p in points)

    holding = [n for n in nodes if holds(n)]
    if not holding:
        return nodes
    smallest = min(holding, key=lambda n: (n.end_lineno - n.lineno, n.end_col_offset
                                           - n.col_offset))
    return [smallest]


def _compiles_to(lines: list[str], code: Any, module_obj: Any = None) -> bool:
    """Does the file's text compile to ``code`` (same instructions, names, constants)?

    The whole file is compiled, as Python compiled it: what a function compiles to
    depends on its surroundings (enclosing functions, classes, imports). A module that
    pytest imported had its asserts rewritten by pytest; it is compiled the same way.
    """
    text = "\n".join(lines) + "\n"
    rewrite = _assert_rewriter(module_obj)
    key = (code.co_filename, hash(text), rewrite is not None)
    module = _COMPILED.get(key)
    if module is None:
        try:
            if rewrite is not None:
                tree = ast.parse(text, filename=code.co_filename)
                rewrite(tree, text.encode(), code.co_filename, None)
                module = compile(tree, code.co_filename, "exec", dont_inherit=True)
            else:
                module = compile(text, code.co_filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return False
        _COMPILED[key] = module
        if len(_COMPILED) > 64:
            _COMPILED.pop(next(iter(_COMPILED)))
    return any(_same_code(c, code) for c in _codes(module)
               if c.co_name == code.co_name and c.co_firstlineno == code.co_firstlineno)


_COMPILED: dict[tuple[str, int, bool], Any] = {}


def _assert_rewriter(module: Any) -> Any:
    """pytest's assert rewriter, when pytest imported ``module`` (and rewrote its asserts)."""
    loader = getattr(module, "__loader__", None)
    if type(loader).__name__ != "AssertionRewritingHook":
        return None
    rewriter = sys.modules.get("_pytest.assertion.rewrite")
    return getattr(rewriter, "rewrite_asserts", None)


def _codes(code: Any):
    for const in code.co_consts:
        if isinstance(const, type(code)):
            yield const
            yield from _codes(const)


def _same_code(a: Any, b: Any) -> bool:
    if a.co_code != b.co_code or a.co_names != b.co_names or a.co_varnames != b.co_varnames \
            or a.co_freevars != b.co_freevars or len(a.co_consts) != len(b.co_consts):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if isinstance(x, type(a)):
            if not isinstance(y, type(a)) or not _same_code(x, y):
                return False
        elif type(x) is not type(y) or repr(x) != repr(y):
            return False
    return True


def _lambda_name(tree: Any, lam: gast.Lambda) -> str:
    """``f`` for ``f = lambda ...``; ``lambda`` for a lambda written inside an expression."""
    for n in gast.walk(tree):
        if isinstance(n, gast.Assign) and n.value is lam and len(n.targets) == 1 and \
                isinstance(n.targets[0], gast.Name):
            return n.targets[0].id
    return "lambda"


def _lambda_as_def(lam: gast.Lambda, name: str) -> gast.FunctionDef:
    ret = gast.Return(value=lam.body)
    gast.copy_location(ret, lam.body)
    node = gast.FunctionDef(
        name=name,
        args=lam.args,
        body=[ret],
        decorator_list=[],
        returns=None,
        type_comment=None,
        type_params=[],
    )
    return gast.copy_location(node, lam)
