"""Frontend: Python source → SSA IR, with every free name resolved."""

from .lower import UNDEFINED, Static, lower, lower_for
from .source import LiveScope, ParsedFunction, Scope, parse_live_function

__all__ = ["UNDEFINED", "LiveScope", "ParsedFunction", "Scope", "Static", "lower",
           "lower_for", "parse_live_function"]
