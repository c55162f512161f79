"""The data files of the pass tests (``tests/passes/*.test``): reading and rewriting them.

The format is described in :mod:`tests.test_passes`. This module only knows the text:
cases, their directives, their expected output, and how to put a new output back in
place so that ``--regen-passes`` changes nothing but the ``[out]`` sections.
"""

from __future__ import annotations

import linecache
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from adjoint.ir.types import BOOL, FLOAT, INT, MANY, UNKNOWN, Num, Seq

PASSES = Path(__file__).parent / "passes"

_CASE = re.compile(r"^\[case ([A-Za-z0-9_]+)\]\s*$")
_DIRECTIVE = re.compile(r"^\[(kinds|wrt|mode|run|xfail|out)\]\s*(.*?)\s*$")


@dataclass
class Case:
    """One case of a data file: Python source, directives, and the expected output."""

    name: str
    path: Path
    first: int  # line number (1-based) of the ``[case ...]`` line
    source_start: int  # line number of the first source line
    source: list[str]
    directives: dict[str, str] = field(default_factory=dict)
    out: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.path.name}::{self.name}"

    def where(self, line: int) -> str:
        """``line`` of the data file as a line of the case's source (1 = its first line)."""
        return str(line - self.source_start + 1)


def parse(path: Path) -> list[Case]:
    """The cases of one data file, in order (names must be unique in the file)."""
    lines = path.read_text().splitlines()
    cases: list[Case] = []
    current: Case | None = None
    section = "source"
    for number, line in enumerate(lines, 1):
        m = _CASE.match(line)
        if m:
            current = Case(m.group(1), path, number, number + 1, [])
            if any(c.name == current.name for c in cases):
                raise ValueError(f"{path.name}:{number}: case {current.name!r} appears twice")
            cases.append(current)
            section = "source"
            continue
        if current is None:
            if line.strip() and not line.startswith("--"):
                raise ValueError(f"{path.name}:{number}: text before the first [case]")
            continue
        d = _DIRECTIVE.match(line)
        if d and section != "out":
            if d.group(1) == "out":
                section = "out"
            else:
                current.directives[d.group(1)] = d.group(2)
                section = "directives"
            continue
        if section == "out":
            current.out.append(line)
        elif section == "source":
            if not current.source and line.startswith("--"):
                current.source_start = number + 1  # a description of the case
                continue
            current.source.append(line)
        elif line.strip():
            raise ValueError(f"{path.name}:{number}: unexpected text among the directives")
    for case in cases:
        while case.source and not case.source[-1].strip():
            case.source.pop()
        while case.out and not case.out[-1].strip():
            case.out.pop()
        if not case.source:
            raise ValueError(f"{path.name}:{case.first}: case {case.name!r} has no source")
    return cases


def function_of(case: Case) -> Any:
    """The live function a case tests: the last ``def`` of its source.

    The source is compiled as if it sat alone at its own lines of the data file, and the
    data file's text is what :mod:`linecache` holds for it, so the frontend reads the
    definition where the case has it and errors point at the case's lines.
    """
    all_lines = [""] * _file_length(case.path)
    for c in parse(case.path):
        all_lines[c.source_start - 1:c.source_start - 1 + len(c.source)] = c.source
    text = [line + "\n" for line in all_lines]
    filename = str(case.path)
    linecache.cache[filename] = (sum(map(len, text)), None, text, filename)
    mine = [""] * (case.source_start - 1) + case.source
    namespace: dict[str, Any] = {"np": np, "math": math, "__name__": "passes"}
    before = set(namespace)
    exec(compile("\n".join(mine) + "\n", filename, "exec"), namespace)
    defined = [v for k, v in namespace.items() if k not in before and callable(v)
               and getattr(v, "__code__", None) is not None
               and v.__code__.co_filename == filename]
    if not defined:
        raise ValueError(f"{case.id}: the source defines no function")
    return max(defined, key=lambda f: f.__code__.co_firstlineno)


def _file_length(path: Path) -> int:
    return len(path.read_text().splitlines())


def write_out(case: Case, text: str) -> None:
    """Replace the ``[out]`` section of ``case`` in its file by ``text``."""
    lines = case.path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if _CASE.match(line)
                 and _CASE.match(line).group(1) == case.name)
    out_at = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == "[out]")
    end = next((i for i in range(out_at + 1, len(lines)) if _CASE.match(lines[i])),
               len(lines))
    new = text.rstrip("\n").splitlines()
    tail = [""] if end < len(lines) else []
    lines[out_at + 1:end] = new + tail
    case.path.write_text("\n".join(lines) + "\n")


# -- argument kinds ------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z_0-9]*|\[[^\]]*\]|[(),:?])")


def parse_kinds(text: str) -> list[Any]:
    """Argument kinds as the IR printer writes types: ``f[n]``, ``f[n,1]``, ``f[]`` (a 0-d
    array), ``f[*]`` (rank unknown), ``float``, ``int``, ``bool``, ``tuple(f[n], float)``,
    ``list(...)``, ``dict(W: f[n,n], b: f[n])``, ``?`` (nothing known)."""
    tokens = _tokens(text)
    kinds = [_kind(tokens)]
    while tokens:
        if tokens.pop(0) != ",":
            raise ValueError(f"kinds: expected ',' in {text!r}")
        kinds.append(_kind(tokens))
    return kinds


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"kinds: cannot read {text[pos:]!r}")
        out.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _kind(tokens: list[str]) -> Any:
    head = tokens.pop(0)
    if head in ("float", "int", "bool"):
        return {"float": FLOAT, "int": INT, "bool": BOOL}[head]
    if head == "?":
        return UNKNOWN
    if head in ("tuple", "list", "dict"):
        if tokens.pop(0) != "(":
            raise ValueError(f"kinds: expected '(' after {head}")
        items, keys = [], []
        while tokens[0] != ")":
            if head == "dict":
                keys.append(tokens.pop(0))
                if tokens.pop(0) != ":":
                    raise ValueError("kinds: a dict item is written key: kind")
            items.append(_kind(tokens))
            if tokens[0] == ",":
                tokens.pop(0)
        tokens.pop(0)
        return Seq(head, tuple(items), tuple(keys) if head == "dict" else None)
    if head in ("f", "i", "b", "c") and tokens and tokens[0].startswith("["):
        inside = tokens.pop(0)[1:-1].replace(" ", "")
        if inside == "*":
            return Num(head, None)
        dims = tuple({"1": 1, "n": MANY, "?": None}[d] for d in inside.split(",") if d)
        return Num(head, dims)
    raise ValueError(f"kinds: unknown kind {head!r}")
