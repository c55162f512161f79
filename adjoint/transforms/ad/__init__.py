"""The core both differentiation modes share: activity, and binding calls to rules.

:mod:`adjoint.transforms.reverse` and :mod:`adjoint.transforms.forward` keep only what
differs between the modes; what a value's activity is, which uses of a varied value
are refused, and how a call's operands meet a rule's parameters are decided here once.
"""

from .activity import (
    COMPLEX_HINT,
    check_varied_uses,
    complex_values,
    involves_complex,
    loop_slots,
    useful_values,
    varied_values,
)
from .binding import BoundRule, RuleSignature, UserCall, bind_rule, callee_label

__all__ = ["COMPLEX_HINT", "BoundRule", "RuleSignature", "UserCall", "bind_rule",
           "callee_label", "check_varied_uses", "complex_values", "involves_complex",
           "loop_slots", "useful_values", "varied_values"]
