"""The SSA intermediate representation with structured control flow."""

from .core import Block, Function, Op, Stmt, Value, enclosing_ops, uses, walk
from .printer import print_function
from .verify import VerificationError, verify

__all__ = [
    "Block",
    "Function",
    "Op",
    "Stmt",
    "Value",
    "VerificationError",
    "enclosing_ops",
    "print_function",
    "uses",
    "verify",
    "walk",
]
