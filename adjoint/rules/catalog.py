"""What adjoint can differentiate: every callable in the rule tables, by public name.

``catalog()`` lists one entry per callable (and per array method), sorted by name::

    {"name": "numpy.tanh", "modes": ("vjp", "jvp"), "nondifferentiable": False,
     "family": "trig", "arguments": [("x", "an array of any rank or a number")]}

``modes`` says which derivative rules exist; a ``nondifferentiable`` entry has none
because its result is a constant as far as derivatives go (shapes, indices, random
draws). Methods (``x.sum(...)``) carry ``method_of``, the function whose rules they use.
An entry whose rules hold for complex values too carries ``"complex": True``.

``python -m adjoint.rules.catalog --markdown`` prints the catalog as the Markdown
of ``docs/rules.md``, which is generated, never edited by hand. It lists the
argument space of each rule too (:mod:`.spaces`): which arguments it supports.
"""

from __future__ import annotations

import argparse
import builtins
import math
import operator
import sys
from typing import Any

import numpy as np

from .. import runtime
from ..ir.prims import Attribute, Primitive
from ..ir.printer import callee_name
from .registry import (
    COMPLEX_JVP,
    COMPLEX_VJP,
    JVP,
    METHODS,
    NO_DERIVATIVE,
    NONDIFF,
    VJP,
    handles_complex,
    is_builtin,
)
from .spaces import SPACES, Space

#: The heading of the SciPy section of the Markdown, which exists only with SciPy installed.
SCIPY_HEADING = "## SciPy"
#: The heading of the ``scipy.stats`` section, after the SciPy one.
STATS_HEADING = "## scipy.stats"
_COMMAND = "python -m adjoint.rules.catalog --markdown > docs/rules.md"


#: How the Markdown says which Python and NumPy it lists the rules of.
ENVIRONMENT_PREFIX = "Listed for "


def environment() -> str:
    """The versions the catalog depends on (which functions exist): Python's and NumPy's."""
    py = ".".join(str(n) for n in sys.version_info[:2])
    npv = ".".join(np.__version__.split(".")[:2])
    return f"Python {py} and NumPy {npv}"


def _namespaces() -> list[tuple[str, Any]]:
    spaces: list[tuple[str, Any]] = [
        ("numpy", np), ("numpy.linalg", np.linalg), ("numpy.fft", np.fft),
        ("numpy.random", np.random),
    ]
    for name in ("scipy.special", "scipy.linalg", "scipy.signal"):
        module = sys.modules.get(name)
        if module is not None:
            spaces.append((name, module))
    spaces += [("math", math), ("operator", operator), ("builtins", builtins),
               ("adjoint.runtime", runtime)]
    return spaces


def public_name(obj: Any) -> str:
    """The name users know ``obj`` by: ``numpy.tanh``, ``numpy.linalg.inv``, ``ndarray.T``."""
    if isinstance(obj, Attribute):
        return f"ndarray.{obj.name}"
    if isinstance(obj, Primitive):
        return obj.label
    name = getattr(obj, "__name__", None)
    if name:
        for prefix, module in _namespaces():
            if vars(module).get(name) is obj:
                return f"{prefix}.{name}"
    return callee_name(obj)


def _modes(key: Any) -> tuple[str, ...]:
    return tuple(m for m, tables in (("vjp", (VJP, COMPLEX_VJP)), ("jvp", (JVP, COMPLEX_JVP)))
                 if any(key in table for table in tables))


def _family(key: Any) -> str:
    rule = VJP.get(key) or JVP.get(key) or COMPLEX_VJP.get(key) or COMPLEX_JVP.get(key)
    module = getattr(rule.fn, "__module__", "") if rule is not None else ""
    return module.rsplit(".", 1)[-1] if module.startswith("adjoint.rules.") else module


def catalog(include_user: bool = True) -> list[dict[str, Any]]:
    """One entry per callable with rules (or declared constant), sorted by name.

    ``include_user=False`` leaves out callables that only have rules registered by the
    user (with ``adjoint.vjp_rule`` and friends).

    Examples:
        >>> from adjoint.rules import catalog
        >>> [(e["modes"], e["family"]) for e in catalog() if e["name"] == "numpy.tanh"]
        [(('vjp', 'jvp'), 'trig')]
    """
    entries: dict[str, dict[str, Any]] = {}
    keys = list(VJP) + list(JVP) + list(COMPLEX_VJP) + list(COMPLEX_JVP) + list(NONDIFF) + \
        list(NO_DERIVATIVE)
    for key in keys:
        if not include_user and not is_builtin(key):
            continue
        name = public_name(key)
        if name in entries:
            continue
        modes = _modes(key)
        entries[name] = {
            "name": name,
            "modes": modes,
            # Constants; random draws only while their parameters do not vary.
            "nondifferentiable": key in NONDIFF or key in NO_DERIVATIVE,
            "family": _family(key) if modes else "",
        }
        if handles_complex(key):
            entries[name]["complex"] = True
        if key in SPACES:
            entries[name]["arguments"] = [(n, f.describe()) for n, f in SPACES[key].args.items()]
    for method_name, fn in METHODS.items():
        key = fn
        modes = _modes(key)
        name = f"ndarray.{method_name}"
        entries[name] = {
            "name": name,
            "modes": modes,
            "nondifferentiable": key in NONDIFF,
            "family": _family(key) if modes else "",
            "method_of": public_name(fn),
        }
        if handles_complex(key):
            entries[name]["complex"] = True
    return [entries[n] for n in sorted(entries)]


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| Callable | Rules | Family |", "| --- | --- | --- |"]
    for e in rows:
        modes = ", ".join(e["modes"]) if e["modes"] else "constant"
        lines.append(f"| `{e['name']}` | {modes} | {e['family']} |")
    return lines


def sections(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The catalog's entries by the section of ``docs/rules.md`` that lists them."""
    helpers = [e for e in entries if e["name"].startswith("adjoint.runtime.")]
    stats_rows = [e for e in entries if e["name"].startswith("scipy.stats.")]
    scipy_rows = [e for e in entries if e["name"].startswith("scipy.") and e not in stats_rows]
    methods = [e for e in entries if "method_of" in e]
    skip = {id(e) for e in helpers + scipy_rows + stats_rows + methods}
    rest = [e for e in entries if id(e) not in skip]
    return {
        "NumPy, math and operators": [e for e in rest if e["modes"]],
        "Array methods": methods,
        "Constants": [e for e in rest if e["nondifferentiable"] and not e["modes"]],
        "Runtime helpers": helpers,
        SCIPY_HEADING[3:]: scipy_rows,
        STATS_HEADING[3:]: stats_rows,
    }


def markdown() -> str:
    """The built-in rules as Markdown: the text of ``docs/rules.md``."""
    parts = sections(catalog(include_user=False))
    diff, methods = parts["NumPy, math and operators"], parts["Array methods"]
    const = parts["Constants"]
    # Listed again, across the sections: what may take complex values.
    complex_rows = [e for e in catalog(include_user=False) if e.get("complex") and
                    not e["name"].startswith("adjoint.runtime.")]
    helpers, scipy_rows = parts["Runtime helpers"], parts[SCIPY_HEADING[3:]]
    stats_rows = parts[STATS_HEADING[3:]]
    both = sum(1 for e in diff if e["modes"] == ("vjp", "jvp"))
    out = [
        "# Derivative rules",
        "",
        f"Generated by `{_COMMAND}`; do not edit by hand.",
        f"{ENVIRONMENT_PREFIX}{environment()}.",
        "",
        "Calls to these functions can be differentiated. *Rules* says which derivative",
        "rules exist: `vjp` (reverse mode, what `adjoint.grad` uses) and `jvp` (forward",
        "mode). *Family* is the module of `adjoint/rules/` that holds them. A call to a",
        "function listed nowhere here, with an argument that depends on the inputs being",
        "differentiated, is an error (`adjoint.NoRuleError`) that says how to register a",
        "rule with `@adjoint.vjp_rule`.",
        "",
        f"## NumPy, math and operators ({len(diff)} callables, {both} with both modes)",
        "",
    ]
    out += _table(diff)
    out += [
        "",
        f"## Array methods ({len(methods)})",
        "",
        "`x.name(...)` uses the rules of the function it stands for, with `x` as the",
        "first argument.",
        "",
        "| Method | Same as | Rules |",
        "| --- | --- | --- |",
    ]
    for e in methods:
        modes = ", ".join(e["modes"]) if e["modes"] else "constant"
        out.append(f"| `{e['name']}` | `{e['method_of']}` | {modes} |")
    out += [
        "",
        f"## Constants ({len(const)})",
        "",
        "Results of these carry no derivative: the gradient stops there, as at a",
        "literal. They are shapes, indices, comparisons, rounding and random draws.",
        "",
    ]
    out += [", ".join(f"`{e['name']}`" for e in const)]
    out += [
        "",
        "## Complex values",
        "",
        "A complex value `z = a + ib` is differentiated as the pair of reals `(a, b)`: its",
        "cotangent is `dL/da + i dL/db`, its tangent `da + i db`, and the cotangent of a real",
        "value is the real part of what complex operations send it. A value that depends on",
        "the inputs being differentiated may be complex where it reaches only these",
        "callables (and indexing, containers, your own functions); any other callable",
        "receiving one is an error (`adjoint.NonDifferentiableError`), since rules written",
        "for real numbers are wrong on complex ones. A gradient needs a real output",
        "(`adjoint.vjp` takes a complex cotangent). `numpy.linalg.eig` returns complex",
        "eigenpairs where a real matrix has complex eigenvalues: they are differentiated as",
        "complex numbers where every use of them is listed here, and otherwise must be real",
        "(checked when the derivative runs). These callables take complex values",
        f"({len(complex_rows)}):",
        "",
    ]
    out += [", ".join(f"`{e['name']}`" for e in complex_rows)]
    out += [
        "",
        f"## Runtime helpers ({len(helpers)})",
        "",
        "Generated code calls these helpers from `adjoint.runtime`; their own rules let",
        "generated code be differentiated again.",
        "",
    ]
    out += _table(helpers)
    out += [
        "",
        f"{SCIPY_HEADING} ({len(scipy_rows)})",
        "",
        "Registered when SciPy can be imported.",
        "",
    ]
    out += _table(scipy_rows) if scipy_rows else ["SciPy is not installed."]
    out += [
        "",
        f"{STATS_HEADING} ({len(stats_rows)})",
        "",
        "Methods of the distribution objects (`norm.logpdf(x, loc=mu, scale=s)`), registered",
        "when SciPy can be imported. A frozen distribution's (`norm(mu, s).logpdf(x)`) are",
        "these, with the parameters it froze; its other methods (`mean()`, `rvs()`...) have",
        "no rules. The distribution functions (`cdf`, `logcdf`, `sf`, `logsf`) have no",
        "derivative in shape parameters (`df`, `a`, `b`): differentiating through one is an",
        "error.",
        "",
    ]
    out += _table(stats_rows) if stats_rows else ["SciPy is not installed."]
    out += ["", *_arguments()]
    return "\n".join(out) + "\n"


def _signature_names(fn: Any) -> list[str]:
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    # Positional-only parameters are the operands (spaces may name them differently).
    return [p.name for p in params
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY)]


def _grouped(s: Space) -> list[tuple[str, str]]:
    """Parameters with their descriptions, consecutive ones described alike together."""
    runs: list[tuple[list[str], str]] = []
    for name, form in s.args.items():
        text = form.describe()
        if runs and runs[-1][1] == text:
            runs[-1][0].append(name)
        else:
            runs.append(([name], text))
    out = []
    for names, text in runs:
        if len(names) > 3:
            shown = f"`{names[0]}` to `{names[-1]}`"
        else:
            shown = ", ".join(f"`{n}`" for n in names)
        out.append((shown, text))
    return out


def _arguments() -> list[str]:
    """The ``Supported arguments`` section: one row per argument space."""
    rows: dict[int, tuple[Space, list[str]]] = {}
    for key, s in SPACES.items():
        if is_builtin(key):
            rows.setdefault(id(s), (s, []))[1].append(public_name(key))
    out = [
        "## Supported arguments",
        "",
        "Each rule is written for the calls listed here, and tested over them: every",
        "combination of these arguments, passed by position or keyword (or to the method,",
        "`x.var(axis=-1)`), with float32 or float64 arrays of any shape the function",
        "accepts, length-0 and length-1 dimensions included. An argument of the function",
        "not listed (*Not supported*) is refused when the derivative is made, with an",
        "`adjoint.UnsupportedArgumentError`; passing such a parameter its default value",
        "(`out=None`) is fine. Where an argument's values are limited (`> 0`, `without",
        "ties`), that is where the function is differentiable.",
        "",
        "| Callables | Arguments | Not supported |",
        "| --- | --- | --- |",
    ]
    for s, names in sorted(rows.values(), key=lambda r: sorted(r[1])[0]):
        names.sort()
        args = "; ".join(f"{names_text}: {text}" for names_text, text in _grouped(s))
        if s.note:
            args += f". {s.note[0].upper()}{s.note[1:]}"
        if s.singular_at_zero:
            args += ". Not differentiable where the result is 0"
        first = s.callees[0] if s.callees else None
        refused = [n for n in _signature_names(first) if n not in s.args]
        cells = ", ".join(f"`{n}`" for n in names)
        out.append(f"| {cells} | {args} | {', '.join(f'`{n}`' for n in refused)} |")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m adjoint.rules.catalog", description="List adjoint's derivative rules."
    )
    parser.add_argument("--markdown", action="store_true", help="print docs/rules.md")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown())
    else:
        for e in catalog():
            modes = ", ".join(e["modes"]) if e["modes"] else "constant"
            sys.stdout.write(f"{e['name']}: {modes}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
