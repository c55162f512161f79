"""Wrapping long generated lines at 100 columns, the way a person would.

``ast.unparse`` writes every statement on one line. A statement that does not fit is
broken at its outermost operators (``+``, ``-``, ``*``, ``/``, ``@``, ``and``, ``or``),
continuing in parentheses with a hanging indent, or else after the commas of its
outermost call, continuing under its first argument::

    dx[:-1] += (-(2.0 * (1.0 - out_item))
                + -dout_sub * 2 * out_item)
    dW, db = layer_vjp(h, W, b,
                       dout)

Comments quoting a long line of the user's are shortened with ``...``.
"""

from __future__ import annotations

import io
import tokenize

WIDTH = 100
_OPERATORS = {"+", "-", "*", "/", "@", "and", "or", "if", "else", "//", "%"}
#: Where to break first: the loosest-binding operators.
_PRECEDENCE = [("if", "else"), ("or",), ("and",), ("+", "-"), ("*", "/", "@", "//", "%")]
_OPEN, _CLOSE = "([{", ")]}"


def wrap(line: str, width: int = WIDTH) -> list[str]:
    """``line`` as one or more lines no wider than ``width`` (when it can be broken)."""
    if len(line) <= width:
        return [line]
    stripped = line.lstrip()
    pad = line[: len(line) - len(stripped)]
    if stripped.startswith("#"):
        # (Past the width already by its indentation, a comment keeps a few words.)
        cut = max(width - 4, len(pad) + 24)
        return [line if len(line) <= cut + 4 else line[:cut].rstrip() + " ..."]
    head, body = _split_head(stripped)
    if body is None:
        return [line]
    if len(pad + head) > width // 2 and head.endswith("= ") and not head.startswith("return"):
        # A long list of targets (``a, b, ... = saved``): broken inside parentheses.
        targets = head[:-2].rstrip()
        target_cuts = [end for depth, kind, _, end in _tokens(targets) or ()
                       if depth == 0 and kind == ","]
        broken = _fill(targets, target_cuts, pad + "(", width, close=") = " + body) \
            if target_cuts else None
        if broken is not None and all(len(ln) <= width for ln in broken):
            return broken
    tokens = _tokens(body)
    if tokens is None:
        return [line]
    commas0 = [end for depth, kind, _, end in tokens if depth == 0 and kind == ","]
    levels = [commas0] + [[start for depth, kind, start, _, in tokens if depth == 0
                           and kind == "op" and body[start:].split(None, 1)[0] in level]
                          for level in _PRECEDENCE]
    for cuts in levels:
        if not cuts:
            continue
        lines = _fill(body, cuts, pad + head + "(", width, close=")")
        if lines is not None and all(len(ln) <= width for ln in lines):
            return lines
    if any(levels):
        cuts = next(c for c in levels if c)
        lines = _fill(body, cuts, pad + head + "(", width, close=")")
    else:
        # Break between the items of the outermost bracket that has several
        # (np.array([a, b]) breaks inside the list, aligned after its "[").
        found = _outer_items(tokens)
        if found is None:
            return [line]
        opened, commas = found
        lines = _fill(body, commas, pad + head, width, hang=len(pad + head) + opened + 1)
    return lines if lines is not None else [line]


def _outer_items(tokens: list[tuple[int, str, int, int]]) -> tuple[int, list[int]] | None:
    """Where the outermost bracket holding a comma opens, and where its commas end."""
    depths = [depth for depth, kind, _, _ in tokens if kind == "," and depth >= 1]
    if not depths:
        return None
    target = min(depths)
    opened: int | None = None
    commas: list[int] = []
    for depth, kind, start, end in tokens:
        if kind == "open" and depth == target - 1:
            if commas:
                break  # the first bracket with items at this depth is the one to break
            opened = start
        elif kind == "," and depth == target and opened is not None:
            commas.append(end)
    return (opened, commas) if opened is not None and commas else None


def _fill(body: str, cuts: list[int], opening: str, width: int, close: str = "",
          hang: int | None = None) -> list[str] | None:
    pieces, last = [], 0
    for c in cuts:
        pieces.append(body[last:c])
        last = c
    pieces.append(body[last:])
    pieces = [p.strip() for p in pieces if p.strip()]
    indent = " " * (hang if hang is not None else len(opening))
    lines: list[str] = []
    current = opening
    for k, piece in enumerate(pieces):
        gap = "" if k == 0 or current.endswith("(") else " "
        if k > 0 and len(current + gap + piece) + len(close) > width:
            lines.append(current.rstrip())
            current = indent + piece
        else:
            current = current + gap + piece
    lines.append(current + close)
    if len(lines) < 2:
        return None
    return lines


def _split_head(stmt: str) -> tuple[str, str | None]:
    """``("x = ", "expr")`` for an assignment, ``("return ", ...)``; else no body."""
    if stmt.startswith("return "):
        return "return ", stmt[len("return "):]
    depth = 0
    for i, c in enumerate(stmt):
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif depth == 0 and c == "=" and stmt[i - 1:i] not in ("=", "!", "<", ">") and \
                stmt[i + 1:i + 2] != "=":
            return stmt[: i + 1] + " ", stmt[i + 1:].strip()
    return "", None


def _tokens(expr: str) -> list[tuple[int, str, int, int]] | None:
    """(depth, kind, start, end) of the tokens of ``expr`` that matter for breaking."""
    try:
        raw = list(tokenize.generate_tokens(io.StringIO(expr).readline))
    except (tokenize.TokenError, IndentationError):
        return None
    out = []
    depth = 0
    previous = None
    for tok in raw:
        if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
            continue
        start, end = tok.start[1], tok.end[1]
        if tok.type == tokenize.OP and tok.string in _OPEN:
            out.append((depth, "open", start, end))
            depth += 1
        elif tok.type == tokenize.OP and tok.string in _CLOSE:
            depth -= 1
        elif tok.string == ",":
            out.append((depth, ",", start, end))
        elif tok.string in _OPERATORS and previous is not None and (
                previous.type in (tokenize.NAME, tokenize.NUMBER, tokenize.STRING)
                or previous.string in _CLOSE) and previous.string not in _OPERATORS:
            out.append((depth, "op", start, end))  # binary, not a sign
        previous = tok
    return out


__all__ = ["WIDTH", "wrap"]
