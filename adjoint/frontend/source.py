"""Getting a function's source as a gast tree with the file's own line and column numbers."""

from __future__ import annotations

import builtins
import inspect
import linecache
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gast

from ..errors import SourceLoc, UnsupportedSyntaxError


@dataclass
class ParsedFunction:
    """A function's definition node plus what is needed to point into its file."""

    node: gast.FunctionDef
    filename: str
    lines: list[str] = field(repr=False)
    scope: Scope = field(repr=False)

    def loc(self, node: Any) -> SourceLoc:
        line = getattr(node, "lineno", None) or self.node.lineno
        col = getattr(node, "col_offset", 0) or 0
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return SourceLoc(
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


def _shift(tree: gast.AST, dline: int, dcol: int) -> None:
    for node in gast.walk(tree):
        if hasattr(node, "lineno") and node.lineno is not None:
            node.lineno += dline
            if getattr(node, "end_lineno", None) is not None:
                node.end_lineno += dline
        if hasattr(node, "col_offset") and node.col_offset is not None:
            node.col_offset += dcol
            if getattr(node, "end_col_offset", None) is not None:
                node.end_col_offset += dcol


def parse_live_function(fn: Callable[..., Any]) -> ParsedFunction:
    """Parse a live function's definition from its source file."""
    code = getattr(fn, "__code__", None)
    filename = code.co_filename if code is not None else "<unknown>"
    try:
        lines, start = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        raise UnsupportedSyntaxError(
            f"cannot read the source of {getattr(fn, '__qualname__', fn)!r}",
            None,
            "adjoint differentiates source code: define the function in a file or notebook cell"
            " (not with exec or in the plain interactive prompt)",
        ) from None
    indent = len(lines[0]) - len(lines[0].lstrip())
    src = "".join(ln[indent:] if not ln[:indent].strip() else ln.lstrip() for ln in lines)
    tree = gast.parse(src)
    _shift(tree, max(start, 1) - 1, indent)
    file_lines = [ln.rstrip("\n") for ln in linecache.getlines(filename)] or [
        " " * indent + ln.rstrip("\n") for ln in src.splitlines()
    ]
    node = tree.body[0]
    if isinstance(node, gast.Assign) and isinstance(node.value, gast.Lambda):
        node = _lambda_as_def(node, fn)
    elif not isinstance(node, gast.FunctionDef):
        loc = SourceLoc(filename, start, indent, file_lines[start - 1] if file_lines else "")
        raise UnsupportedSyntaxError(
            f"{getattr(fn, '__qualname__', fn)!r} is not a plain function definition",
            loc,
            "differentiate a function defined with def",
        )
    return ParsedFunction(node, filename, file_lines, LiveScope(fn))


def _lambda_as_def(assign: gast.Assign, fn: Any) -> gast.FunctionDef:
    lam = assign.value
    ret = gast.Return(value=lam.body)
    gast.copy_location(ret, lam.body)
    target = assign.targets[0] if len(assign.targets) == 1 else None
    name = target.id if isinstance(target, gast.Name) else "anonymous"
    node = gast.FunctionDef(
        name=name,
        args=lam.args,
        body=[ret],
        decorator_list=[],
        returns=None,
        type_comment=None,
        type_params=[],
    )
    return gast.copy_location(node, assign)
