"""Which line of the user's code a line of generated code comes from.

Generated code quotes the user's statement above each block of adjoint code
(``# h = np.tanh(x @ W)``). When generated code raises, the quote nearest above the
failing line names the statement being differentiated; this finds it and its line in
the user's file, so the error can say where in the user's program it arose.
"""

from __future__ import annotations

import linecache
from types import TracebackType

from ..errors import SourceLoc


def failing_line(tb: TracebackType | None, filename: str) -> int | None:
    """The line of ``filename`` where the traceback ``tb`` last passed."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def user_statement(filename: str, line: int, loc: SourceLoc | None,
                   source: str | None) -> tuple[str, int | None] | None:
    """``(text, user line)`` of the statement quoted above ``line`` of a generated file."""
    lines = linecache.getlines(filename)
    i = min(line, len(lines)) - 1
    quote = None
    while i >= 0:
        text = lines[i].strip()
        if text.startswith("def "):
            break
        if text.startswith("# "):
            quote = text[2:]
            break
        i -= 1
    if quote is None and 0 < line <= len(lines):
        quote = lines[line - 1].strip()  # the forward sweep: often the user's line itself
        if not any(text.strip() == quote for text in (source or "").splitlines()):
            return None
    if quote is None:
        return None
    if loc is None or not source:
        return quote, None
    for k, text in enumerate(source.splitlines()):
        if text.strip() == quote or quote.startswith(text.strip()) and text.strip():
            return quote, loc.line + k
    return quote, None


__all__ = ["failing_line", "user_statement"]
