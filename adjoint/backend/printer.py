"""Printing the emitter's ``ast`` nodes as text, exactly as ``ast.unparse`` would.

``ast.unparse`` is the reference printer for generated code (see docs/printing.md), but
it is a general visitor: every node costs a method lookup, a context manager for its
parentheses and an entry in a table of precedences, and a long derivative's statements
took a fifth of its emission time to print. The emitter writes a small part of the
language, so this module prints those node kinds directly, with ``ast.unparse``'s rules
for parentheses (the same precedence levels; a node is parenthesized when the level its
parent asks for is higher than its own) and for literals. A statement holding anything
else is handed to ``ast.unparse`` whole. ``tests/test_printer.py`` checks the two agree
on every operator pair, literal and statement kind, and on every statement of the
golden modules and examples.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from typing import Any

# ast.unparse's precedence levels (ast._Precedence), lowest first.
TUPLE, YIELD, TEST, OR, AND, NOT, CMP, EXPR = 2, 3, 4, 5, 6, 7, 8, 9
BXOR, BAND, SHIFT, ARITH, TERM, FACTOR, POWER, AWAIT, ATOM = 10, 11, 12, 13, 14, 15, 16, 17, 18

#: How ``ast.unparse`` writes a float or complex literal too large for a float.
_INFSTR = "1e" + repr(sys.float_info.max_10_exp + 1)

_BINOP: dict[type, tuple[str, int]] = {
    ast.Add: (" + ", ARITH), ast.Sub: (" - ", ARITH), ast.Mult: (" * ", TERM),
    ast.MatMult: (" @ ", TERM), ast.Div: (" / ", TERM), ast.Mod: (" % ", TERM),
    ast.FloorDiv: (" // ", TERM), ast.LShift: (" << ", SHIFT), ast.RShift: (" >> ", SHIFT),
    ast.BitOr: (" | ", EXPR), ast.BitXor: (" ^ ", BXOR), ast.BitAnd: (" & ", BAND),
    ast.Pow: (" ** ", POWER),
}
_UNARY: dict[type, tuple[str, int]] = {
    ast.USub: ("-", FACTOR), ast.UAdd: ("+", FACTOR), ast.Invert: ("~", FACTOR),
    ast.Not: ("not ", NOT),
}
_CMP: dict[type, str] = {
    ast.Eq: " == ", ast.NotEq: " != ", ast.Lt: " < ", ast.LtE: " <= ", ast.Gt: " > ",
    ast.GtE: " >= ", ast.Is: " is ", ast.IsNot: " is not ", ast.In: " in ",
    ast.NotIn: " not in ",
}
_BOOLOP: dict[type, tuple[str, int]] = {ast.And: (" and ", AND), ast.Or: (" or ", OR)}


def _constant_literal(value: Any) -> str:
    if isinstance(value, (float, complex)):
        return repr(value).replace("inf", _INFSTR).replace("nan", f"({_INFSTR}-{_INFSTR})")
    return repr(value)


def _constant(node: ast.Constant, level: int) -> str:
    value = node.value
    if isinstance(value, tuple):
        return "(" + _items([_constant_literal(x) for x in value]) + ")"
    if value is ...:
        return "..."
    text = _constant_literal(value)
    return "u" + text if node.kind == "u" else text


def _name(node: ast.Name, level: int) -> str:
    return node.id


def _items(texts: list[str]) -> str:
    """Items separated by commas; a single one keeps a trailing comma."""
    return texts[0] + "," if len(texts) == 1 else ", ".join(texts)


def _attribute(node: ast.Attribute, level: int) -> str:
    value = node.value
    text = _PRINT[type(value)](value, ATOM)
    if type(value) is ast.Constant and isinstance(value.value, int):
        return f"{text} .{node.attr}"  # 3 .real, not 3.real
    return f"{text}.{node.attr}"


def _call(node: ast.Call, level: int) -> str:
    func = node.func
    args = [_PRINT[type(a)](a, TEST) for a in node.args]
    if node.keywords:
        args += [_keyword(k) for k in node.keywords]
    return f"{_PRINT[type(func)](func, ATOM)}({', '.join(args)})"


def _keyword(node: ast.keyword) -> str:
    value = _PRINT[type(node.value)](node.value, TEST)
    return "**" + value if node.arg is None else f"{node.arg}={value}"


def _subscript(node: ast.Subscript, level: int) -> str:
    value = node.value
    index = node.slice
    if type(index) is ast.Tuple and index.elts:
        inner = _items([_PRINT[type(e)](e, TEST) for e in index.elts])
    else:
        inner = _PRINT[type(index)](index, TEST)
    return f"{_PRINT[type(value)](value, ATOM)}[{inner}]"


def _slice(node: ast.Slice, level: int) -> str:
    text = _PRINT[type(node.lower)](node.lower, TEST) if node.lower else ""
    text += ":"
    if node.upper:
        text += _PRINT[type(node.upper)](node.upper, TEST)
    if node.step:
        text += ":" + _PRINT[type(node.step)](node.step, TEST)
    return text


def _tuple(node: ast.Tuple, level: int) -> str:
    if not node.elts:
        return "()"
    text = _items([_PRINT[type(e)](e, TEST) for e in node.elts])
    return f"({text})" if level > TUPLE else text


def _list(node: ast.List, level: int) -> str:
    return "[" + ", ".join([_PRINT[type(e)](e, TEST) for e in node.elts]) + "]"


def _dict(node: ast.Dict, level: int) -> str:
    items = []
    for k, v in zip(node.keys, node.values):
        if k is None:
            items.append("**" + _PRINT[type(v)](v, EXPR))
        else:
            items.append(f"{_PRINT[type(k)](k, TEST)}: {_PRINT[type(v)](v, TEST)}")
    return "{" + ", ".join(items) + "}"


def _starred(node: ast.Starred, level: int) -> str:
    return "*" + _PRINT[type(node.value)](node.value, EXPR)


def _unary(node: ast.UnaryOp, level: int) -> str:
    op, own = _UNARY[type(node.op)]
    operand = node.operand
    text = op + _PRINT[type(operand)](operand, own)
    return f"({text})" if level > own else text


def _binop(node: ast.BinOp, level: int) -> str:
    op, own = _BINOP[type(node.op)]
    left, right = node.left, node.right
    if own == POWER:  # right-associative
        text = _PRINT[type(left)](left, AWAIT) + op + _PRINT[type(right)](right, POWER)
    else:
        text = _PRINT[type(left)](left, own) + op + _PRINT[type(right)](right, own + 1)
    return f"({text})" if level > own else text


def _compare(node: ast.Compare, level: int) -> str:
    left = node.left
    parts = [_PRINT[type(left)](left, EXPR)]
    for op, e in zip(node.ops, node.comparators):
        parts.append(_CMP[type(op)])
        parts.append(_PRINT[type(e)](e, EXPR))
    text = "".join(parts)
    return f"({text})" if level > CMP else text


def _boolop(node: ast.BoolOp, level: int) -> str:
    op, own = _BOOLOP[type(node.op)]
    # ast.unparse asks each operand for one level more than the one before it.
    texts = [_PRINT[type(v)](v, min(own + 1 + k, ATOM)) for k, v in enumerate(node.values)]
    text = op.join(texts)
    return f"({text})" if level > own else text


def _if_exp(node: ast.IfExp, level: int) -> str:
    body, test, orelse = node.body, node.test, node.orelse
    text = (f"{_PRINT[type(body)](body, OR)} if {_PRINT[type(test)](test, OR)} "
            f"else {_PRINT[type(orelse)](orelse, TEST)}")
    return f"({text})" if level > TEST else text


#: Node class -> its printer, given the precedence level its context asks for. A class
#: not here (a lambda, a comprehension, an f-string) sends its statement to ast.unparse.
_PRINT: dict[type, Callable[[Any, int], str]] = {
    ast.Name: _name, ast.Constant: _constant, ast.Attribute: _attribute, ast.Call: _call,
    ast.Subscript: _subscript, ast.Slice: _slice, ast.Tuple: _tuple, ast.List: _list,
    ast.Dict: _dict, ast.Starred: _starred, ast.UnaryOp: _unary, ast.BinOp: _binop,
    ast.Compare: _compare, ast.BoolOp: _boolop, ast.IfExp: _if_exp,
}


def _assign(node: ast.Assign) -> str:
    if node.type_comment:
        raise KeyError("type comment")
    targets = [_PRINT[type(t)](t, TUPLE) for t in node.targets]
    value = node.value
    return " = ".join(targets) + " = " + _PRINT[type(value)](value, TEST)


def _aug_assign(node: ast.AugAssign) -> str:
    target, value = node.target, node.value
    op = _BINOP[type(node.op)][0]
    return (f"{_PRINT[type(target)](target, TEST)}{op[:-1]}= "
            f"{_PRINT[type(value)](value, TEST)}")


def _expr_stmt(node: ast.Expr) -> str:
    return _PRINT[type(node.value)](node.value, YIELD)


def _return(node: ast.Return) -> str:
    value = node.value
    return "return " + _PRINT[type(value)](value, TEST) if value else "return"


def _raise(node: ast.Raise) -> str:
    if not node.exc:
        if node.cause:
            raise KeyError("cause without an exception")  # ast.unparse raises it
        return "raise"
    text = "raise " + _PRINT[type(node.exc)](node.exc, TEST)
    if node.cause:
        text += " from " + _PRINT[type(node.cause)](node.cause, TEST)
    return text


def _assert(node: ast.Assert) -> str:
    text = "assert " + _PRINT[type(node.test)](node.test, TEST)
    if node.msg:
        text += ", " + _PRINT[type(node.msg)](node.msg, TEST)
    return text


_STATEMENTS: dict[type, Callable[[Any], str]] = {
    ast.Assign: _assign, ast.AugAssign: _aug_assign, ast.Expr: _expr_stmt,
    ast.Return: _return, ast.Raise: _raise, ast.Assert: _assert,
    ast.Pass: lambda node: "pass", ast.Break: lambda node: "break",
    ast.Continue: lambda node: "continue",
}


def expression_text(node: ast.expr) -> str:
    """``ast.unparse(node)`` for an expression."""
    try:
        return _PRINT[type(node)](node, TEST)
    except KeyError:
        return ast.unparse(node)


def statement_text(node: ast.stmt) -> str:
    """``ast.unparse(node)`` for a statement (several lines for a compound one)."""
    try:
        return _STATEMENTS[type(node)](node)
    except KeyError:
        for n in ast.walk(node):
            if isinstance(n, ast.stmt) and not hasattr(n, "lineno"):
                n.lineno = 0  # ast.unparse reads it (for type comments) and nothing else
        return ast.unparse(node)


__all__ = ["expression_text", "statement_text"]
