"""Requests: what the driver is asked to generate.

Transforms that need another function (a copy of the user's helper, its VJP or JVP)
name it in the module being built, which records one of these; the driver
(:mod:`adjoint.compiler`) derives it. Transforms never run the pipeline themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..ir.core import Function

KINDS = ("primal", "grad", "value_and_grad", "vjp", "jvp", "split")


@dataclass(frozen=True)
class Request:
    """One function to generate.

    ``fn`` is what is differentiated: a live Python function, or a definition read
    from a file (the command line). ``arg_types`` are the kinds of its arguments
    (None: unknown, so the code works for all); ``extra_types`` those of the
    cotangent (``vjp``) or of the tangents (``jvp``, default: like the ``wrt``
    arguments). ``primal`` may carry ``fn`` already lowered.
    """

    fn: Any
    kind: str
    wrt: tuple[int, ...] = ()
    arg_types: tuple | None = None
    extra_types: tuple | None = None
    wrt_tuple: bool = False
    name: str | None = None
    primal: Function | None = field(default=None, compare=False, hash=False)
    #: Write checks, on entry, that the arguments are of the kinds the code is for
    #: (modules written to stand alone; within adjoint the kinds pick the code).
    check_kinds: bool = False
    #: Without the function's effects (reports, checks, attribute writes): its caller
    #: ran them already (see :mod:`.effects`).
    quiet: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown request kind {self.kind!r}")


__all__ = ["KINDS", "Request"]
