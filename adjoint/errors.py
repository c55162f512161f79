"""Errors raised for problems in the user's program.

Every error a user can cause is an :class:`AdjointError`. Its message names the
file, line and column, shows the offending line with a caret under the construct,
and says what to do instead, so it reads like a compiler diagnostic rather than an
internal traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLoc:
    """A position in the user's source: file, 1-based line, 0-based column, and the line."""

    filename: str
    line: int
    col: int
    text: str = ""
    end_line: int | None = None
    end_col: int | None = None

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.col + 1}"


class AdjointError(Exception):
    """Base class of every error adjoint reports about the user's program or call."""

    def __init__(self, message: str, loc: SourceLoc | None = None, hint: str | None = None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        if self.loc is not None:
            parts.append(f"{self.loc}: {self.message}")
            if self.loc.text:
                raw = self.loc.text.rstrip("\n")
                stripped = raw.lstrip()
                shift = len(raw) - len(stripped)
                caret_col = max(self.loc.col - shift, 0)
                width = 1
                if self.loc.end_line == self.loc.line and self.loc.end_col is not None:
                    width = max(self.loc.end_col - self.loc.col, 1)
                parts.append("    " + stripped)
                parts.append("    " + " " * caret_col + "^" * width)
        else:
            parts.append(self.message)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class UnsupportedSyntaxError(AdjointError):
    """A Python construct outside the subset adjoint can differentiate exactly."""


class NameResolutionError(AdjointError):
    """A free name in the function could not be resolved to an object."""


class NoRuleError(AdjointError):
    """A called function has no derivative rule and no source to differentiate."""


class NonDifferentiableError(AdjointError):
    """The derivative was requested through an argument that has none."""


class ArgumentError(AdjointError):
    """A bad argument to an adjoint API (unknown ``wrt`` name, non-scalar output for grad...)."""


class UnsupportedArgumentError(NoRuleError):
    """A call passes an argument its derivative rules are not written for.

    Each rule declares the arguments it supports (``adjoint/rules/spaces.py``, listed in
    ``docs/rules.md``); anything else is refused when the derivative is made, rather than
    differentiated wrongly.
    """


class CheckpointError(UnsupportedSyntaxError):
    """A checkpointed loop whose body cannot be run again exactly (an effect, a draw, a
    write into an argument)."""


class InternalError(AdjointError):
    """adjoint produced something invalid: a bug in adjoint, not in the user's program.

    Reported like the user's errors (at the line being differentiated, so the report
    can say what triggered it), with a request to report it.
    """
