"""Binding a call's operands to a derivative rule's parameters, as Python would.

Both modes instantiate rules written as Python functions: reverse mode's take
``(g, ans, *params)``, forward mode's ``(*tangents, ans, *params)``. Either way the
call's operands must land on the primitive's parameters by position and keyword, and
``x.reshape(3, 4)`` must mean ``np.reshape(x, (3, 4))``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import NoRuleError, UnsupportedSyntaxError
from ...ir.core import Op, Value
from ...ir.prims import Method
from ...ir.printer import callee_name
from ...ir.types import type_of_value
from ...rules.registry import canonical
from ...rules.spaces import check_arguments, space_of, unsupported
from ..calls import bind_call


class RuleSignature:
    """What :func:`bind_rule` needs of a rule: the primal parameter names it accepts."""

    def __init__(self, params: list[str]):
        self.params = params


class BoundRule:
    """How a call's operands map onto a rule's parameters."""

    def __init__(self) -> None:
        self.values: dict[str, Value] = {}
        self.packed: dict[str, list[Value]] = {}
        self.operand_param: dict[int, str] = {}


def bind_rule(rule: Any, op: Op) -> BoundRule:
    """Match the call ``op``'s operands to the parameters of ``rule`` (like Python would)."""
    bound = BoundRule()
    params = rule.params
    pos = op.positional()
    callee = op.callee
    if isinstance(callee, Method) and canonical(callee) is not callee and len(pos) > 2 and \
            len(params) > 1 and canonical(callee).__name__ in ("reshape", "transpose"):
        # x.reshape(3, 4) means np.reshape(x, (3, 4)).
        bound.values[params[0]] = pos[0]
        bound.operand_param[0] = params[0]
        bound.packed[params[1]] = pos[1:]
        for k in range(1, len(pos)):
            bound.operand_param[k] = params[1]
    else:
        if len(pos) > len(params):
            if space_of(callee) is not None:
                raise unsupported(callee_name(callee), None, space_of(callee), op.loc)
            raise NoRuleError(
                f"{callee_label(callee)} was called with more arguments than its rule accepts",
                op.loc, "check the call, or register a rule with the full signature",
            )
        for k, (name, v) in enumerate(zip(params, pos)):
            bound.values[name] = v
            bound.operand_param[k] = name
    offset = len(pos)
    for j, (name, v) in enumerate(op.keywords().items()):
        if name not in params:
            if space_of(callee) is not None:
                raise unsupported(callee_name(callee), name, space_of(callee), op.loc)
            raise NoRuleError(
                f"the rule for {callee_label(callee)} has no parameter '{name}'",
                op.loc, "check the call, or register a rule with the full signature",
            )
        bound.values[name] = v
        bound.operand_param[offset + j] = name
    check_arguments(callee, bound.values, op.loc)  # the rule's declared argument space
    return bound


def callee_label(callee: Any) -> str:
    """How errors name a callee: ``'numpy.tanh'``."""
    return f"'{callee_name(callee)}'"


class UserCall:
    """A call of one of the user's functions, bound to its parameters.

    ``args`` holds, per parameter, the operand passed or a :class:`Default`;
    ``wrt`` the parameters whose argument is differentiated; ``types`` each
    argument's kind (what the callee's derivative is generated for).
    """

    def __init__(self, op: Op, differentiated: Callable[[Value], bool]):
        fn = op.callee
        try:
            self.args = bind_call(fn, op)
        except TypeError as exc:
            raise UnsupportedSyntaxError(f"bad call to '{fn.__name__}': {exc}", op.loc,
                                         "check the arguments") from None
        self.fn = fn
        self.wrt = [j for j, a in enumerate(self.args)
                    if isinstance(a, Value) and differentiated(a)]
        self.types = [a.type if isinstance(a, Value) else type_of_value(a.value)
                      for a in self.args]


__all__ = ["BoundRule", "RuleSignature", "UserCall", "bind_rule", "callee_label"]
