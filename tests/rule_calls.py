"""Drawing calls from a rule's argument space, as source code, and checking their derivatives.

Used by ``test_rule_spaces.py``. A drawn :class:`Call` is a callable and its arguments,
each marked as an *input* (a parameter of the written function, differentiated), *data*
(a parameter, not differentiated: indices, conditions), an *option* (a literal in the
call: ``axis=-1``) or a *dynamic* option (an option passed as a parameter, so that its
value is unknown when the derivative is made). :meth:`Call.source` writes it as a module::

    import numpy as np

    def call(a):
        return np.var(a, -1, keepdims=True)

    def scalar(a, u):
        out = np.var(a, -1, keepdims=True)
        return np.sum(out * u)

``call`` is differentiated through the API in both modes, ``scalar`` (the cotangent
``u`` applied) and ``call`` by the command line. :func:`check_call` runs every check.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import inspect
import math
import operator
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from click.testing import CliRunner

import adjoint
from adjoint.cli import main as cli_main
from adjoint.ir.prims import Attribute
from adjoint.rules import METHODS, VJP
from adjoint.rules.catalog import public_name
from adjoint.rules.spaces import Array, Space

EPS = 1e-6  # finite-difference step, relative to the input's magnitude
RTOL = 1e-5  # finite differences against derivatives (float64)
ATOL = 1e-7
DOT_RTOL = 1e-9  # <u, jvp(v)> against <vjp(u), v>: both exact up to rounding
SAME_RTOL = 1e-9  # the command line's modules against the API's derivatives
F32_RTOL = 2e-3  # float32 derivatives against float64 ones, relative to their size

_OPERATORS = {operator.add: "{0} + {1}", operator.sub: "{0} - {1}", operator.mul: "{0} * {1}",
              operator.truediv: "{0} / {1}", operator.pow: "{0} ** {1}",
              operator.mod: "{0} % {1}", operator.matmul: "{0} @ {1}", operator.neg: "-{0}",
              operator.pos: "+{0}"}

_FOLDER = Path(tempfile.mkdtemp(prefix="adjoint-rule-calls-"))
atexit.register(shutil.rmtree, _FOLDER, True)


# -- a drawn call -----------------------------------------------------------------------------
@dataclass
class Arg:
    """One argument of a drawn call."""

    name: str
    value: Any
    role: str  # "input", "data", "option" (a literal) or "dynamic" (an option as a parameter)
    keyword: bool = False
    #: For an input written as a literal container of parameters (``[a_0, a_1]``): the
    #: literal with ``{0}``, ``{1}``... where its leaves go, in the order of ``value``.
    template: str | None = None

    def params(self) -> list[tuple[str, Any]]:
        """The parameters of the written function this argument needs, with their values."""
        if self.role == "option":
            return []
        if self.template is not None:
            return [(f"{self.name}_{k}", v) for k, v in enumerate(self.value)]
        return [(self.name, self.value)]

    def text(self) -> str:
        if self.role == "option":
            return literal(self.value)
        if self.template is not None:
            return self.template.format(*[f"{self.name}_{k}" for k in range(len(self.value))])
        return self.name


@dataclass
class Call:
    """A callable with drawn arguments (in the order they are passed)."""

    key: Any
    space: Space
    args: list[Arg]
    method: str | None = None  # written as ``a.method(...)``
    #: x.reshape(3, 4) and x.transpose(1, 0): the option's items as separate arguments.
    unpack_option: bool = False
    #: The command line is told the inputs' shapes (``--shapes``), or writes generic code.
    cli_shapes: bool = False

    @property
    def name(self) -> str:
        return public_name(self.key)

    def params(self) -> list[tuple[str, Any, str]]:
        out = []
        for a in self.args:
            for n, v in a.params():
                out.append((n, v, a.role))
        return out

    def wrt(self) -> tuple[int, ...]:
        return tuple(i for i, (_, _, role) in enumerate(self.params()) if role == "input")

    def values(self) -> list[Any]:
        return [v for _, v, _ in self.params()]

    def expression(self) -> str:
        args = self.args
        texts = [a.text() for a in args]
        if self.key in _OPERATORS:
            return _OPERATORS[self.key].format(*[f"({t})" if " " in t else t for t in texts])
        if isinstance(self.key, Attribute):
            return f"{texts[0]}.{self.key.name}"
        if self.method is not None:
            rest = [f"{a.name}={t}" if a.keyword else t for a, t in zip(args[1:], texts[1:])]
            if self.unpack_option and len(args) > 1 and args[1].role == "option" and \
                    isinstance(args[1].value, tuple) and not args[1].keyword:
                rest = [literal(i) for i in args[1].value] + rest[1:]
            return f"{texts[0]}.{self.method}({', '.join(rest)})"
        parts = [f"{a.name}={t}" if a.keyword else t for a, t in zip(args, texts)]
        return f"{callee_text(self.key)}({', '.join(parts)})"

    def source(self, result: Any) -> str:
        names = [n for n, _, _ in self.params()]
        cot = _cotangent_names(result)
        lines = ["import math", "import operator", "", "import numpy as np"]
        if self.name.startswith("scipy.special."):
            lines.append("import scipy.special as sp")
        elif self.name.startswith("scipy.stats."):
            lines.append("import scipy.stats")
        elif self.name.startswith("scipy."):
            lines.append(f"import {self.name.rsplit('.', 1)[0]}")
        expr = self.expression()
        lines += ["", "", f"def call({', '.join(names)}):", f"    return {expr}", "", "",
                  f"def scalar({', '.join(names + [n for n, _ in cot])}):", f"    out = {expr}"]
        terms = [f"np.sum(out{path} * {n})" for n, path in cot] or ["0.0"]
        lines.append(f"    return {' + '.join(terms)}")
        return "\n".join(lines) + "\n"

    def describe(self) -> str:
        shown = []
        for n, v, role in self.params():
            shown.append(f"{n}={_summary(v)}" + ("" if role == "input" else f" [{role}]"))
        return f"{self.expression()}  with  {', '.join(shown)}"


def callee_text(key: Any) -> str:
    name = public_name(key)
    if name.startswith("numpy."):
        return "np." + name[len("numpy."):]
    if name.startswith("scipy.special."):
        return "sp." + name[len("scipy.special."):]
    if name.startswith("builtins."):
        return name[len("builtins."):]
    return name


def literal(v: Any) -> str:
    """``v`` as Python source (NumPy dtypes and infinities included)."""
    if isinstance(v, type) and issubclass(v, np.generic):
        return f"np.{v.__name__}"
    if v is float:
        return "float"
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isinf(v):
            return "np.inf" if v > 0 else "-np.inf"
        return repr(v)
    if isinstance(v, (np.integer,)):
        return repr(int(v))
    if isinstance(v, tuple):
        inner = ", ".join(literal(i) for i in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    if isinstance(v, list):
        return "[" + ", ".join(literal(i) for i in v) + "]"
    if isinstance(v, np.ndarray):
        return f"np.array({literal(v.tolist())})"
    return repr(v)


def _summary(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"array{v.shape}:{v.dtype}"
    if isinstance(v, (list, tuple)):
        inner = ", ".join(_summary(i) for i in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner})"
    return repr(v)


def _cotangent_names(result: Any) -> list[tuple[str, str]]:
    """``(parameter, path)`` of each leaf of the result: ``("u", "")`` or ``("u_1", "[1]")``."""
    if isinstance(result, (tuple, list)):
        return [(f"u_{k}", f"[{k}]") for k in range(len(result))]
    return [("u", "")]


def method_names(key: Any) -> list[str]:
    """The array methods that stand for ``key`` (``x.sum`` for ``np.sum``)."""
    return sorted(n for n, fn in METHODS.items() if fn is key and hasattr(np.ndarray, n)
                  and n not in ("astype",))


# -- loading ----------------------------------------------------------------------------------
def load(source: str) -> tuple[Any, Path]:
    """Write ``source`` to a module file (named by its content) and import it."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    path = _FOLDER / f"call_{digest}.py"
    if not path.exists():
        path.write_text(source)
    name = f"rule_call_{digest}"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return module, path


# -- values -----------------------------------------------------------------------------------
def leaves(x: Any) -> list[Any]:
    if isinstance(x, (tuple, list)):
        return [leaf for e in x for leaf in leaves(e)]
    if isinstance(x, dict):
        return [leaf for k in x for leaf in leaves(x[k])]
    # None (an unused slot: einsum's operands) and a dict's key in items() hold no number.
    return [] if x is None or isinstance(x, str) else [x]


def flat(x: Any) -> np.ndarray:
    parts = [np.ravel(np.asarray(v, dtype=np.float64)) for v in leaves(x)]
    return np.concatenate(parts) if parts else np.zeros(0)


def unflat(vec: np.ndarray, like: Any) -> Any:
    out, _ = _unflat_at(vec, like, 0)
    return out


def _unflat_at(vec: np.ndarray, like: Any, k: int) -> tuple[Any, int]:
    if like is None or isinstance(like, str):
        return like, k
    if isinstance(like, dict):
        out = {}
        for key in like:
            out[key], k = _unflat_at(vec, like[key], k)
        return out, k
    if isinstance(like, (tuple, list)):
        items = []
        for e in like:
            item, k = _unflat_at(vec, e, k)
            items.append(item)
        return (list(items) if isinstance(like, list) else tuple(items)), k
    n = int(np.size(like))
    piece = vec[k:k + n]
    if isinstance(like, np.ndarray):
        return piece.reshape(like.shape).astype(like.dtype), k + n
    return float(piece[0]), k + n


def random_like(x: Any, r: np.random.Generator) -> Any:
    """Random values with the structure, shapes and dtypes of ``x``."""
    if isinstance(x, (tuple, list)):
        return [random_like(e, r) for e in x] if isinstance(x, list) else \
            tuple(random_like(e, r) for e in x)
    if x is None or isinstance(x, str):
        return x
    if isinstance(x, dict):
        return {k: random_like(v, r) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return r.normal(size=x.shape).astype(x.dtype if x.dtype.kind == "f" else np.float64)
    if isinstance(x, np.generic):
        return np.asarray(r.normal()).astype(x.dtype)[()]
    return float(r.normal())


def to_float64(x: Any) -> Any:
    """``x`` with every float32 array or scalar made float64 (the same values)."""
    if isinstance(x, list):
        return [to_float64(e) for e in x]
    if isinstance(x, tuple):
        return tuple(to_float64(e) for e in x)
    if isinstance(x, (np.ndarray, np.generic)) and x.dtype == np.float32:
        return x.astype(np.float64)
    return x


def has_float32(x: Any) -> bool:
    return any(isinstance(v, (np.ndarray, np.generic)) and v.dtype == np.float32
               for v in leaves(x))


def twin(call: Call) -> Call:
    """The same call with float64 wherever it has float32 (arguments and ``dtype=``)."""
    args = []
    for a in call.args:
        value = to_float64(a.value)
        if a.name == "dtype" and a.role in ("option", "dynamic") and a.value is not None and \
                np.dtype(a.value) == np.float32:
            value = {np.float32: np.float64, "float32": "float64"}.get(a.value, np.float64)
        args.append(replace(a, value=value))
    return replace(call, args=args)


def is_twin_needed(call: Call) -> bool:
    return any(has_float32(a.value) for a in call.args) or any(
        a.name == "dtype" and a.role in ("option", "dynamic") and a.value is not None
        and np.dtype(a.value) == np.float32 for a in call.args)


# -- the checks -------------------------------------------------------------------------------
class Rejected(Exception):
    """NumPy refuses the drawn call, or it lands where the function is not differentiable."""


def run_primal(fn: Any, values: list[Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            try:
                out = fn(*values)
            except Exception as exc:  # noqa: BLE001 - NumPy refusing the call: draw another
                raise Rejected(f"NumPy refuses it: {type(exc).__name__}: {exc}") from None
    for leaf in leaves(out):
        if not isinstance(leaf, (np.ndarray, np.generic, float, int)):
            raise Rejected(f"a result of type {type(leaf).__name__}")
        if not np.all(np.isfinite(leaf)):
            raise Rejected("a result that is not finite")
    return out


def check_call(call: Call, cli: bool = True, second: str = "") -> None:
    """Every check on one drawn call (raises AssertionError naming the call on failure).

    ``second`` adds second derivatives: ``"some"`` forward over reverse and reverse over
    forward, ``"all"`` reverse over reverse and forward over forward too.
    """
    try:
        _check(call, cli, second)
    except AssertionError as exc:
        raise AssertionError(f"{call.name}: {call.describe()}\n{exc}") from None


def _check(call: Call, cli: bool, second: str = "") -> None:
    probe, _ = load(call.source(0.0))
    want = run_primal(probe.call, call.values())
    if call.space.singular_at_zero and any(np.any(np.asarray(v) == 0) for v in leaves(want)):
        raise Rejected("at a point where the function is not differentiable")
    module, path = load(call.source(want))
    f = module.call
    r = np.random.default_rng(0)
    values = call.values()
    wrt = call.wrt()
    inputs = [values[i] for i in wrt]
    u = random_like(want, r)
    sym = symmetric_inputs(call)
    v = [symmetrize(random_like(x, r)) if s else random_like(x, r) for x, s in zip(inputs, sym)]
    grads, (value, tangent) = _derivatives(f, values, wrt, u, v)
    _check_types(call, values, wrt, want, grads, value, tangent)
    if is_twin_needed(call):
        t = twin(call)
        twin_values = t.values()
        twin_probe, _ = load(t.source(0.0))
        twin_want = run_primal(twin_probe.call, twin_values)
        if call.space.singular_at_zero and any(np.any(np.asarray(v) == 0)
                                               for v in leaves(twin_want)):
            raise Rejected("at a point where the function is not differentiable")
        twin_module, twin_path = load(t.source(twin_want))
        u64, v64 = to_float64(u), [to_float64(x) for x in v]
        grads64, (_, tangent64) = _derivatives(twin_module.call, twin_values, wrt, u64, v64)
        for got, ref, label in [(grads, grads64, "vjp"), (tangent, tangent64, "jvp")]:
            scale = max(1.0, float(np.max(np.abs(flat(ref)), initial=0.0)))
            close(flat(got), flat(ref), F32_RTOL, F32_RTOL * scale,
                  f"{label} in float32 against float64")
        call, values, want, grads, tangent, u, v = t, twin_values, twin_want, grads64, \
            tangent64, u64, v64
        module, path = twin_module, twin_path
    _check_numerically(call, module.call, values, wrt, want, grads, tangent, u, v)
    if second:
        check_second_order(module.call, values, wrt, want, u, v, second == "all")
    if cli:
        _check_cli(call, path, values, wrt, want, grads, tangent, u, v)


def _derivatives(f: Any, values: list[Any], wrt: tuple[int, ...], u: Any, v: list[Any]):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        grads = adjoint.vjp(f, wrt=wrt)(*values, u)
        fwd = adjoint.jvp(f, wrt=wrt)(*values, *v)
    return grads, fwd


def _dtype(x: Any) -> np.dtype:
    return np.asarray(x).dtype


def _check_types(call: Call, values: list[Any], wrt: tuple[int, ...], want: Any, grads: Any,
                 value: Any, tangent: Any) -> None:
    assert isinstance(grads, tuple) and len(grads) == len(wrt), \
        f"vjp: expected a tuple of {len(wrt)} cotangents, got {type(grads).__name__}"
    _same_structure(value, want, "the value")
    for got, ref in zip(leaves(value), leaves(want)):
        assert np.shape(got) == np.shape(ref) and _dtype(got) == _dtype(ref), (
            f"the value: shape {np.shape(got)} {_dtype(got)}, NumPy gives {np.shape(ref)} "
            f"{_dtype(ref)}")
        # (A 0-d array and a NumPy scalar are not told apart: x and +x, x and x * 1.0.)
        assert np.ndim(ref) == 0 or isinstance(got, np.ndarray), (
            f"the value: a {type(got).__name__}, NumPy gives a {type(ref).__name__}")
        close(flat(got), flat(ref), 1e-6 if _dtype(ref) == np.float32 else 1e-12,
              1e-300, "the value against NumPy's")
    # Dtypes of derivatives are checked where the call is in one precision: every float
    # input (a Python float counts as float64) and ``dtype=`` agree, and so does NumPy's
    # result. There, tangents and cotangents must be in that precision too.
    precision = uniform_precision(call, want)
    _same_structure(tangent, want, "the tangent")
    for got, ref in zip(leaves(tangent), leaves(want)):
        assert np.shape(got) == np.shape(ref), \
            f"jvp: tangent of shape {np.shape(got)} for a value of shape {np.shape(ref)}"
        if precision is not None:
            assert _dtype(got) == precision, \
                f"jvp: tangent of dtype {_dtype(got)} for a value of dtype {_dtype(ref)}"
    for k, i in enumerate(wrt):
        x, g = values[i], grads[k]
        _same_structure(g, x, f"vjp of input {k}")
        for gl, xl in zip(leaves(g), leaves(x)):
            assert np.shape(gl) == np.shape(xl), \
                f"vjp: cotangent of shape {np.shape(gl)} for an input of shape {np.shape(xl)}"
            if precision is not None:
                assert _dtype(gl) == precision, \
                    f"vjp: cotangent of dtype {_dtype(gl)} for a {_dtype(xl)} input"


def uniform_precision(call: Call, want: Any) -> np.dtype | None:
    """The one float dtype of the call's inputs, ``dtype=`` and result, if there is one."""
    dtypes = set()
    for _, v, role in call.params():
        if role == "input":
            dtypes |= {_dtype(x) for x in leaves(v) if _dtype(x).kind == "f"}
    for a in call.args:
        if a.name == "dtype" and a.value is not None:
            dtypes.add(np.dtype(a.value))
    dtypes |= {_dtype(x) for x in leaves(want) if _dtype(x).kind == "f"}
    return dtypes.pop() if len(dtypes) == 1 else None


def _same_structure(got: Any, want: Any, label: str) -> None:
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), \
            f"{label}: expected a sequence of {len(want)}, got {type(got).__name__}"
        for g, w in zip(got, want):
            _same_structure(g, w, label)
    elif isinstance(want, np.ndarray) and want.ndim > 0:
        assert not isinstance(got, (tuple, list)), f"{label}: a sequence for an array"


def close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float, label: str) -> None:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{label}: shape {got.shape}, expected {want.shape}"
    finite = np.isfinite(got)
    assert np.array_equal(finite, np.isfinite(want)), \
        f"{label}: non-finite values disagree\n got:  {got}\n want: {want}"
    err = np.abs(got - want)[finite]
    tol = (atol + rtol * np.maximum(np.abs(got), np.abs(want)))[finite]
    assert np.all(err <= tol), (
        f"{label}: max error {np.max(err, initial=0.0):.3g} (tolerance {np.min(tol):.3g})\n"
        f" got:  {got}\n want: {want}")


def _check_numerically(call: Call, f: Any, values: list[Any], wrt: tuple[int, ...], want: Any,
                       grads: Any, tangent: Any, u: Any, v: list[Any]) -> None:
    """VJP and JVP against central differences, and against each other (float64)."""
    x0 = [values[i] for i in wrt]
    vec0 = flat(x0)
    y0 = flat(want)
    scale = max(1.0, float(np.max(np.abs(y0), initial=0.0)))
    h = EPS * max(1.0, float(np.nanmax(np.abs(vec0), initial=0.0)))
    u_flat = flat(u)
    rtol = RTOL

    def at(vec: np.ndarray) -> np.ndarray:
        vals = list(values)
        for i, x in zip(wrt, unflat(vec, x0)):
            vals[i] = x
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return flat(f(*vals))

    g_flat = flat(list(grads))
    assert g_flat.size == vec0.size
    dirs = directions(x0, symmetric_inputs(call))
    fd_vjp = np.zeros(len(dirs))
    for j, d in enumerate(dirs):
        diff = (at(vec0 + h * d) - at(vec0 - h * d)) / (2 * h)
        fd_vjp[j] = float(np.dot(diff, u_flat)) if diff.size else 0.0
    got = np.array([float(np.dot(g_flat, d)) for d in dirs])
    close(got, fd_vjp, rtol, ATOL * scale * max(1, y0.size) ** 0.5, "vjp against finite "
          "differences (per input coordinate)")
    v_flat = flat(v)
    fd_jvp = (at(vec0 + h * v_flat) - at(vec0 - h * v_flat)) / (2 * h)
    close(flat(tangent), fd_jvp, rtol, ATOL * scale * max(1, vec0.size) ** 0.5,
          "jvp against finite differences")
    lhs = float(np.dot(u_flat, flat(tangent))) if u_flat.size else 0.0
    rhs = float(np.dot(g_flat, v_flat)) if v_flat.size else 0.0
    close(np.array(lhs), np.array(rhs), DOT_RTOL,
          1e-12 * scale * max(1, y0.size, vec0.size), "<u, jvp(v)> against <vjp(u), v>")


def symmetric_inputs(call: Call) -> list[bool]:
    """Which inputs are symmetric matrices (functions that read one triangle of them)."""
    out = []
    for a in call.args:
        form = call.space.args.get(a.name)
        for _ in a.params() if a.role == "input" else []:
            out.append(isinstance(form, Array) and form.matrix in ("spd", "symmetric"))
    return out


def symmetrize(x: np.ndarray) -> np.ndarray:
    return (x + np.swapaxes(x, -1, -2)) / 2


def directions(x0: list[Any], symmetric: list[bool]) -> list[np.ndarray]:
    """Unit directions in the inputs, one per coordinate, or per pair of a symmetric one."""
    n = flat(x0).size
    out = []
    offset = 0
    for leaf, sym in ((leaf, s) for x, s in zip(x0, symmetric) for leaf in leaves(x)):
        size = int(np.size(leaf))
        for j in range(size):
            d = np.zeros(n)
            if sym:
                e = np.zeros(size)
                e[j] = 1.0
                e = symmetrize(e.reshape(np.shape(leaf))).ravel()
                if not np.any(e[:j]):  # one direction per pair (i, j) and (j, i)
                    d[offset:offset + size] = e
                    out.append(d)
                continue
            d[offset + j] = 1.0
            out.append(d)
        offset += size
    return out


def _check_cli(call: Call, path: Path, values: list[Any], wrt: tuple[int, ...], want: Any,
               grads: Any, tangent: Any, u: Any, v: list[Any]) -> None:
    """The modules ``adjoint grad`` writes agree with the API's derivatives."""
    names = [n for n, _, _ in call.params()]
    wrt_text = ",".join(names[i] for i in wrt) + ","
    shapes = []
    if call.cli_shapes:
        for n, x, role in call.params():
            if role == "input" and isinstance(x, float):
                shapes += ["-s", f"{n}="]
            elif role == "input" and isinstance(x, np.ndarray) and x.ndim > 0:
                shapes += ["-s", f"{n}={','.join(str(d) for d in x.shape)}"]
    runner = CliRunner()
    stem = path.stem
    for mode, func in (("reverse", "scalar"), ("forward", "call")):
        out = path.with_name(f"{stem}_{mode}{'_s' if shapes else ''}.py")
        args = ["grad", f"{path}::{func}", "--wrt", wrt_text, "-o", str(out), *shapes]
        if mode == "forward":
            args += ["--mode", "forward"]
        result = runner.invoke(cli_main, args)
        assert result.exit_code == 0, f"adjoint {' '.join(args)}:\n{result.output}"
        module, _ = load_file(out)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if mode == "reverse":
                cots = [u] if not isinstance(want, (tuple, list)) else list(u)
                got = module.grad_scalar(*values, *cots)
                ref = grads
            else:
                got = module.jvp_call(*values, *v)[1]
                ref = tangent
        scale = max(1.0, float(np.max(np.abs(flat(ref)), initial=0.0)))
        close(flat(got), flat(ref), SAME_RTOL, 1e-12 * scale,
              f"the module `adjoint grad --mode {mode}` writes against the API")


def load_file(path: Path) -> tuple[Any, Path]:
    return load(path.read_text())


def signature_kinds(key: Any, space: Space) -> dict[str, tuple[str, int, Any]]:
    """For each parameter of the space: how it may be passed, its position and default.

    ``"positional"`` (only), ``"both"`` or ``"keyword"`` (only). Parameters NumPy's
    signature does not name (operands of ufuncs and operators) are positional.
    """
    params = _parameters(key)
    by_name = {p.name: p for p in params}
    out: dict[str, tuple[str, int, Any]] = {}
    order = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    inputs = space.inputs()
    for k, name in enumerate(space.args):
        p = by_name.get(name)
        if p is None:
            if name in inputs or k == 0 or not params or name == "subscripts" or \
                    key in (np.ldexp, np.gradient) or isinstance(key, np.ufunc):
                out[name] = ("positional", k, inspect.Parameter.empty)
            else:
                out[name] = ("keyword", -1, inspect.Parameter.empty)
            continue
        kind = {p.POSITIONAL_ONLY: "positional", p.POSITIONAL_OR_KEYWORD: "both",
                p.KEYWORD_ONLY: "keyword"}.get(p.kind, "keyword")
        out[name] = (kind, order.index(name) if name in order else -1, p.default)
    return out


def _parameters(key: Any) -> list[inspect.Parameter]:
    """The parameters of ``key``; for a method taking ``*args, **kwds`` (SciPy's
    distributions: ``norm.logpdf(x, *args, **kwds)``), those of its rule, which names them."""
    try:
        params = list(inspect.signature(key).parameters.values())
    except (TypeError, ValueError):
        return []
    if any(p.kind == p.VAR_POSITIONAL for p in params) and key in VJP:
        params = list(inspect.signature(VJP[key].fn).parameters.values())[2:]
    return params


def full_order(key: Any) -> list[tuple[str, Any]]:
    """Every positional parameter of ``key`` with its default, in order (gaps are filled)."""
    params = _parameters(key)
    return [(p.name, p.default) for p in params
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def env_examples(default: int) -> int:
    return int(os.environ.get("ADJOINT_RULE_EXAMPLES", default))


HESS_RTOL = 1e-5  # second derivatives against central differences of the first (float64)


def check_second_order(f: Any, values: list[Any], wrt: tuple[int, ...], want: Any, u: Any,
                       v: list[Any], every_mode: bool = True,
                       project: Any = None) -> None:
    """The derivative code differentiated again, against central differences of the first
    derivative along ``v``: ``H v`` for the Hessian ``H`` of ``<u, f>``.

    Forward over reverse (how ``adjoint.hessian`` works) and reverse over forward run the
    JVP rules on reverse-mode code and the VJP rules on forward-mode code; with
    ``every_mode``, reverse over reverse and forward over forward (``<v, H v>``) too.
    ``project(k, x)`` maps the cotangent ``x`` of argument ``k`` to the subspace where
    the function is defined (a symmetric matrix's cotangent is its symmetric part).
    """
    inputs = [values[i] for i in wrt]

    def projected(grads: Any) -> Any:
        if project is None:
            return grads
        return tuple(project(k, g) for k, g in zip(wrt, grads))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        vjp_fn = adjoint.vjp(f, wrt=wrt)
        jvp_fn = adjoint.jvp(f, wrt=wrt)
        base = vjp_fn(*values, u)
        got = {"forward over reverse": adjoint.jvp(vjp_fn, wrt=wrt)(*values, u, *v)[1],
               "reverse over forward": adjoint.vjp(jvp_fn, wrt=wrt)(
                   *values, *v, (zeros_of(want), u))}
        if every_mode:
            got["reverse over reverse"] = adjoint.vjp(vjp_fn, wrt=wrt)(*values, u, tuple(v))
            vhv = adjoint.jvp(jvp_fn, wrt=wrt)(*values, *v, *v)[1][1]

    x0 = flat(inputs)
    h = EPS * max(1.0, float(np.nanmax(np.abs(x0), initial=0.0)))

    def grad_at(t: float) -> np.ndarray:
        moved = list(values)
        for i, x in zip(wrt, unflat(x0 + t * flat(v), inputs)):
            moved[i] = x
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return flat(projected(vjp_fn(*moved, u)))

    fd = (grad_at(h) - grad_at(-h)) / (2 * h)
    got = {label: projected(result) for label, result in got.items()}
    scale = max(1.0, float(np.max(np.abs(flat(base)), initial=0.0)))
    atol = ATOL * scale * max(1, x0.size) ** 0.5
    for label, result in got.items():
        close(flat(keys_of(result, base)), fd, HESS_RTOL, atol,
              f"{label} against differences of the gradient")
    if every_mode:
        # <u, d2f[v, v]> == <v, H v>
        close(np.array(float(np.dot(flat(u), flat(keys_of(vhv, want))))),
              np.array(float(np.dot(fd, flat(v)))),
              HESS_RTOL, atol * max(1.0, float(np.linalg.norm(flat(v)))),
              "forward over forward (<v, H v>) against differences of the gradient")


def keys_of(x: Any, like: Any) -> Any:
    """``x`` with the strings of ``like`` where ``like`` has them: a dict's keys in the
    pairs of ``d.items()`` carry no derivative, and a derivative holds a zero there."""
    if isinstance(like, str):
        return like
    if isinstance(like, dict) and isinstance(x, dict):
        return {k: keys_of(x[k], like[k]) for k in like}
    if isinstance(like, (tuple, list)) and isinstance(x, (tuple, list)):
        return [keys_of(a, b) for a, b in zip(x, like)]
    return x


def zeros_of(x: Any) -> Any:
    """Zeros with the structure, shapes and dtypes of ``x`` (None for None: no value)."""
    if x is None or isinstance(x, str):
        return x
    if isinstance(x, dict):
        return {k: zeros_of(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(zeros_of(e) for e in x) if type(x) in (tuple, list) else \
            tuple(zeros_of(e) for e in x)
    if isinstance(x, (np.ndarray, np.generic)):
        return np.zeros_like(x)
    return 0.0
