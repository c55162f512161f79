"""Assembling generated functions into one standalone Python module.

Every module is compiled here, before anything writes or imports it: text that is not
valid Python is a bug in adjoint, reported as an :class:`~adjoint.errors.InternalError`
at the user's line that produced it, never as a ``SyntaxError`` from ``<unknown>``.
"""

from __future__ import annotations

import inspect
import re
import types
from dataclasses import dataclass, field
from typing import Any

from .. import runtime as rt
from ..errors import InternalError, SourceLoc
from ..ir.core import Function
from ..version import __version__
from .emit import Emitter, traced_source
from .printer import expression_text


@dataclass
class GeneratedModule:
    """The text of a generated module and the objects it refers to by name."""

    source: str
    function_names: list[str]
    constants: dict[str, Any] = field(default_factory=dict)
    #: ``source`` compiled (as ``<generated>``), kept so loading does not compile it again.
    code: types.CodeType | None = field(default=None, repr=False, compare=False)


def function_source(fn: Function, emitter: Emitter, doc: str | None = None) -> list[str]:
    return [text for text, _ in traced_function_source(fn, emitter, doc)]


def traced_function_source(fn: Function, emitter: Emitter, doc: str | None = None) -> \
        list[tuple[str, SourceLoc | None]]:
    """The lines of ``fn``'s definition, each with the user's line it comes from."""
    params = []
    for name in fn.param_names:
        if name in fn.defaults:
            params.append(f"{name}={_literal(fn.defaults[name], emitter)}")
        else:
            params.append(name)
    lines: list[tuple[str, SourceLoc | None]] = [(f"def {fn.name}({', '.join(params)}):", None)]
    if doc:
        lines.append((f'    """{_docstring_text(doc)}"""', None))
    for name, kind in fn.meta.get("entry_kinds", ()):
        check = kind_check(name, kind, fn.name)
        if check:
            lines += [("    " + line, None) for line in check]
    body = emitter.body()
    lines += traced_source(body, 1, emitter.origins)
    return lines


def kind_check(name: str, kind: Any, fn_name: str) -> list[str]:
    """Lines raising a clear error when ``name`` is not of ``kind`` (the code is for it)."""
    from ..ir.types import MANY, Num

    if not isinstance(kind, Num) or kind.dims is None:
        return []
    if kind.dims == ():
        test = f"np.ndim({name}) != 0"
        what = "a number"
        return [f"if {test}: raise ValueError({f'{name} must be a number'!r})"]
    else:
        if all(d == MANY for d in kind.dims):
            test = f"np.ndim({name}) != {len(kind.dims)} or 1 in np.shape({name})"
        elif None not in kind.dims:
            pattern = ", ".join("True" if d == 1 else "False" for d in kind.dims)
            test = f"[n == 1 for n in np.shape({name})] != [{pattern}]"
        else:
            tests = [f"np.ndim({name}) != {len(kind.dims)}"]
            for i, d in enumerate(kind.dims):
                if d == 1:
                    tests.append(f"np.shape({name})[{i}] != 1")
                elif d == MANY:
                    tests.append(f"np.shape({name})[{i}] == 1")
            test = " or ".join(tests)
        shape = ", ".join("1" if d == 1 else "n" if d == MANY else "?" for d in kind.dims)
        what = f"shape ({shape}{',' if len(kind.dims) == 1 else ''})" + (
            ", n > 1" if MANY in kind.dims else "")
    message = f"{name} must have {what}"
    line = f"if {test}: raise ValueError({message!r})"
    if len(line) + 4 <= 100:
        return [line]
    return [f"if {test}:", f"    raise ValueError({message!r})"]


def _literal(value: Any, emitter: Emitter) -> str:
    return expression_text(emitter.const(value))


def build_module(functions: list[tuple[Function, str | None]], header: list[str]) -> \
        GeneratedModule:
    """Emit ``functions`` (with docstrings) into one module, helpers and imports included."""
    bodies: list[list[tuple[str, SourceLoc | None]]] = []
    imports: dict[str, str] = {}
    helpers: set[str] = set()
    constants: dict[str, Any] = {}
    reserved = {fn.name for fn, _ in functions}
    for fn, doc in functions:
        em = Emitter(fn, reserved)
        bodies.append(traced_function_source(fn, em, doc))
        imports.update(em.imports)
        helpers |= em.helpers
        constants.update(em.constants)
    lines: list[tuple[str, SourceLoc | None]] = [(comment(h), None) for h in header]
    lines.append(("", None))
    for module, alias in sorted(imports.items()):
        lines.append((f"import {module} as {alias}" if alias != module else f"import {module}",
                      None))
    for name in _with_dependencies(helpers):
        lines += [("", None), ("", None)]
        lines += [(ln, None) for ln in inspect.getsource(getattr(rt, name)).rstrip().splitlines()]
    for body in bodies:
        lines += [("", None), ("", None)]
        lines += body
    source = "\n".join(text for text, _ in lines) + "\n"
    code = check_compiles(source, lines, [fn.name for fn, _ in functions])
    return GeneratedModule(source, [fn.name for fn, _ in functions], constants, code)


def check_compiles(source: str, lines: list[tuple[str, SourceLoc | None]],
                   names: list[str]) -> types.CodeType:
    """Compile ``source`` (as Python would on import); a failure is an internal error.

    It is reported at the user's line the offending text was generated from (the
    nearest one before it, for lines that come from no single statement).
    """
    try:
        return compile(source, "<generated>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        lineno = getattr(exc, "lineno", None) or 0
        loc = None
        for text, where in reversed(lines[:lineno]):
            if where is not None:
                loc = where
                break
            if text.startswith("def "):
                break  # no statement of this function before the line: no user's line
        bad = lines[lineno - 1][0].strip() if 0 < lineno <= len(lines) else ""
        what = f"'{names[0]}'" if len(names) == 1 else ", ".join(f"'{n}'" for n in names)
        message = (f"internal error: the code generated for {what} is not valid Python: "
                   f"{getattr(exc, 'msg', exc)}"
                   + (f" (line {lineno} of the generated module: {bad})" if bad else ""))
        raise InternalError(
            message, loc,
            "this is a bug in adjoint, not in your code: please report it, with this "
            "message and the function being differentiated",
        ) from None


def _with_dependencies(names: set[str]) -> list[str]:
    todo = set(names)
    stack = list(names)
    while stack:
        for dep in rt.DEPENDS.get(stack.pop(), ()):
            if dep not in todo:
                todo.add(dep)
                stack.append(dep)
    return [n for n in rt.HELPERS if n in todo]


def _escaped(text: str) -> str:
    """``text`` with every character Python could read as a line break escaped (``\\n``)."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


#: What Python reads as an encoding declaration in a comment on a module's first two lines.
_CODING = re.compile(r"(coding)([:=])")


def comment(text: str) -> str:
    """``text`` as one comment line that nothing in it can end early.

    Header lines quote file names and command lines, which may hold anything: a
    newline would end the comment and make the rest code that runs when the module
    is imported, and ``coding:`` on the first two lines would change how Python
    decodes the whole file. Both are written escaped.
    """
    text = _CODING.sub(lambda m: m.group(1) + ("\\x3a" if m.group(2) == ":" else "\\x3d"),
                       _escaped(text))
    return f"# {text}" if text else "#"


def _docstring_text(doc: str) -> str:
    """``doc`` safe between triple quotes."""
    return _escaped(doc.replace("\\", "\\\\").replace('"', '\\"'))


def default_header(what: str, regenerate: str | None = None) -> list[str]:
    import textwrap

    lines = textwrap.wrap(f"Generated by adjoint {__version__}: {what}.", 98,
                          break_on_hyphens=False, break_long_words=False)
    lines.append("Do not edit by hand; changes are lost when it is regenerated.")
    if regenerate:
        lines.append(f"Regenerate with: {regenerate}")
    return lines
