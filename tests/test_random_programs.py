"""Random small NumPy programs: reverse mode against finite differences, forward against reverse.

Hypothesis writes each program as source text, one statement at a time, running every
statement on the inputs as it goes so that the program stays where finite differences
are well conditioned: every value finite and within ``BOUND``, ``np.max`` never near a
tie, branch conditions never near their threshold, no empty arrays. ``log`` and
``sqrt`` only see ``x * x + 1``-style arguments and divisors are ``b * b + 1``. The
program is written to a ``.py`` file (adjoint reads the source of what it
differentiates), imported, and checked two ways:

* ``adjoint.grad`` against central differences with :func:`adjoint.testing.check_grads`;
* ``adjoint.jvp`` against that gradient by the dot-product identity
  ``jvp(f, wrt=i)(*args, v) == <grad_i f, v>``, one input at a time and all at once.

The ``GENERATE_*`` flags below switch constructs on and off; the smallest programs
that once failed are kept at the end of this file as ordinary tests.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adjoint
from adjoint.testing import check_grads

# -- what the generator draws from -------------------------------------------------------
GENERATE_ARITHMETIC = True  # + - * /, constants
GENERATE_UNARY = True  # sin cos tanh exp log sqrt, ** 2, ** 3, ** 1.5, unary minus
GENERATE_REDUCTIONS = True  # np.sum / np.mean, with and without axis and keepdims
GENERATE_MAX = True  # np.max, with and without axis and keepdims
GENERATE_MATMUL = True  # a @ b, a.T @ b, a @ b.T
GENERATE_INDEXING = True  # x[i], x[i, j], x[:, j]
GENERATE_SLICING = True  # x[lo:hi], x[:, lo:hi], x[::-1], x[::2]
GENERATE_NEWAXIS = True  # x[:, None], x[None, :]
GENERATE_TRANSPOSE = True  # x.T, np.transpose(x)
GENERATE_IF = True  # if on data, both branches assign
GENERATE_FOR = True  # for over range with a carried value
GENERATE_SETITEM = True  # y = x.copy(); y[idx] = expr (or +=)
GENERATE_METHOD_REDUCTIONS = True  # x.sum(axis=...), x.mean(...), x.max(...)
# y[idx] = expr and y[idx] += expr where y[idx] is a slice or a row of a matrix.
GENERATE_SETITEM_INTO_VIEWS = True

BOUND = 20.0  # every intermediate value stays within [-BOUND, BOUND]
MARGIN = 0.05  # gap between the two largest entries of a max; distance of a branch test
ATTEMPTS = 25  # candidate statements tried before a statement is skipped

UNARY = [
    "np.sin({x})",
    "np.cos({x})",
    "np.tanh({x})",
    "np.exp({x})",
    "np.log({x} * {x} + 1.0)",
    "np.sqrt({x} * {x} + 1.0)",
    "{x} ** 2",
    "{x} ** 3",
    "({x} * {x} + 0.5) ** 1.5",
    "-{x}",
]
BINARY = [
    "{a} + {b}",
    "{a} - {b}",
    "{a} * {b}",
    "{a} / ({b} * {b} + 1.0)",
]
WITH_CONSTANT = ["{a} * {k}", "{k} - {a}", "{a} / {k}", "{a} + {k}"]


@dataclass
class Program:
    source: str
    args: tuple

    def __repr__(self) -> str:
        shown = ", ".join(
            repr(a) if np.ndim(a) == 0 else f"np.array({np.asarray(a).tolist()!r})"
            for a in self.args
        )
        return f"Program(\n{self.source}\nargs=({shown},)\n)"


def _shape(v):
    return np.shape(v)


def _broadcasts_into(src, dst) -> bool:
    try:
        return np.broadcast_shapes(src, dst) == tuple(dst)
    except ValueError:
        return False


def _compatible(s1, s2) -> bool:
    try:
        np.broadcast_shapes(s1, s2)
    except ValueError:
        return False
    return True


def _max_gap_ok(value, axis) -> bool:
    v = np.asarray(value, dtype=float)
    v = v.reshape(-1, 1) if axis is None else np.moveaxis(v, axis, 0)
    if v.shape[0] < 2:
        return True
    s = np.sort(v, axis=0)
    return bool(np.all(s[-1] - s[-2] > MARGIN))


class _NoCandidate(Exception):
    """Nothing in scope fits the statement being drawn; another kind is tried."""


class _Generator:
    """Draws one program statement by statement, running each on the inputs."""

    def __init__(self, draw, inputs: dict):
        self.draw = draw
        self.env = dict(inputs)
        self.inputs = list(inputs)
        self.lines: list[str] = []
        self.count = 0
        self.last = self.inputs[-1]
        self.order = {n: i for i, n in enumerate(self.inputs)}
        self.tick = len(self.inputs)

    # -- drawing helpers ---------------------------------------------------------------
    def choice(self, options):
        options = list(options)
        if not options:
            raise _NoCandidate
        return self.draw(st.sampled_from(options))

    def flip(self, p_true: float = 0.5) -> bool:
        return self.draw(st.integers(0, 99)) < int(p_true * 100)

    def names(self, pred=lambda s: True):
        """Names in scope whose shapes satisfy ``pred``, most recently assigned first."""
        fits = [n for n, v in self.env.items() if pred(_shape(v))]
        return sorted(fits, key=lambda n: -self.order.get(n, -1))

    def operand(self, pred=lambda s: True) -> str:
        """A name to compute with, usually a recent one so that programs form a chain."""
        fits = self.names(pred)
        if fits and self.flip(0.5):
            return fits[0]
        return self.choice(fits)

    def new_target(self, allow_inputs: bool = True) -> str:
        """A fresh name, or (now and then) one reassigned."""
        existing = [n for n in self.env if allow_inputs or n not in self.inputs]
        if existing and self.flip(0.25):
            return self.choice(existing)
        self.count += 1
        return f"t{self.count}"

    def constant(self) -> str:
        return self.choice(["0.5", "2.0", "1.5", "3.0", "0.25"])

    def unary(self, x: str) -> str:
        return self.choice(UNARY).format(x=x)

    def wrap(self, expr: str) -> str:
        """``expr`` as an operand: bare names stay bare, anything else is parenthesized."""
        return expr if expr.isidentifier() else f"({expr})"

    def elementwise(self, shape, names_extra=()) -> str | None:
        """An expression of exactly ``shape``, built from names of that shape and smaller."""
        base = [n for n in self.names(lambda s: s == tuple(shape))] + list(names_extra)
        if not base:
            return None
        b = self.choice(base)
        left = self.unary(b) if self.flip(0.6) else b
        form = self.choice(["unary", "binary", "constant"])
        if form == "unary":
            return left
        if form == "constant":
            return self.choice(WITH_CONSTANT).format(a=self.wrap(left), k=self.constant())
        others = self.names(lambda s: _broadcasts_into(s, shape)) + list(names_extra)
        o = self.choice(others)
        right = self.unary(o) if self.flip(0.4) else o
        return self.choice(BINARY).format(a=self.wrap(left), b=self.wrap(right))

    # -- statement kinds: each returns (code lines, target) or None --------------------
    def arithmetic(self):
        a = self.operand()
        if self.flip(0.2):
            expr = self.choice(WITH_CONSTANT).format(a=a, k=self.constant())
        else:
            sa = _shape(self.env[a])
            b = self.operand(lambda s: _compatible(s, sa))
            form = self.choice(BINARY)
            if b == a and form == "{a} - {b}":
                return None
            expr = form.format(a=a, b=b)
        t = self.new_target()
        return [f"{t} = {expr}"], t

    def unary_statement(self):
        x = self.operand()
        t = self.new_target()
        return [f"{t} = {self.unary(x)}"], t

    def reduction(self):
        fns = []
        if GENERATE_REDUCTIONS:
            fns += ["sum", "mean"]
        if GENERATE_MAX:
            fns += ["max"]
        if not fns:
            return None
        fn = self.choice(fns)
        x = self.operand(lambda s: len(s) >= 1)
        nd = np.ndim(self.env[x])
        axis = self.choice([None] + list(range(-nd, nd)))
        keepdims = self.flip(0.3)
        if fn == "max" and not _max_gap_ok(self.env[x], axis):
            return None
        kwargs = ""
        if axis is not None:
            kwargs += f"axis={axis}"
        if keepdims:
            kwargs += (", " if kwargs else "") + "keepdims=True"
        if GENERATE_METHOD_REDUCTIONS and self.flip(0.3):
            expr = f"{x}.{fn}({kwargs})"
        else:
            expr = f"np.{fn}({x}{', ' + kwargs if kwargs else ''})"
        t = self.new_target()
        return [f"{t} = {expr}"], t

    def matmul(self):
        candidates = []
        for a in self.names(lambda s: len(s) >= 1):
            for b in self.names(lambda s: len(s) >= 1):
                sa, sb = _shape(self.env[a]), _shape(self.env[b])
                forms = [("{a} @ {b}", sa, sb)]
                if len(sa) == 2:
                    forms.append(("{a}.T @ {b}", sa[::-1], sb))
                if len(sb) == 2:
                    forms.append(("{a} @ {b}.T", sa, sb[::-1]))
                for form, s1, s2 in forms:
                    try:
                        np.matmul(np.zeros(s1), np.zeros(s2))
                    except ValueError:
                        continue
                    candidates.append(form.format(a=a, b=b))
        if not candidates:
            return None
        t = self.new_target()
        return [f"{t} = {self.choice(candidates)}"], t

    def index_expr(self, shape, slicing: bool) -> str | None:
        """An index (without brackets) into an array of ``shape``."""
        def one(n):
            return str(self.draw(st.integers(-n, n - 1)))

        def span(n):
            lo = self.draw(st.integers(0, n - 1))
            hi = self.draw(st.integers(lo + 1, n))
            return f"{lo}:{hi}"

        nd = len(shape)
        if not slicing:
            if nd == 1:
                return one(shape[0])
            return self.choice([
                one(shape[0]), f"{one(shape[0])}, {one(shape[1])}", f":, {one(shape[1])}",
                f"{one(shape[0])}, :",
            ])
        if nd == 1:
            return self.choice([span(shape[0]), "::-1", "::2", "1:" if shape[0] > 1 else ":"])
        return self.choice([
            span(shape[0]), f":, {span(shape[1])}", f"{span(shape[0])}, {span(shape[1])}",
            "::-1, :", f"{one(shape[0])}, {span(shape[1])}",
        ])

    def indexing(self):
        x = self.operand(lambda s: len(s) >= 1)
        t = self.new_target()
        return [f"{t} = {x}[{self.index_expr(_shape(self.env[x]), slicing=False)}]"], t

    def slicing(self):
        x = self.operand(lambda s: len(s) >= 1)
        t = self.new_target()
        return [f"{t} = {x}[{self.index_expr(_shape(self.env[x]), slicing=True)}]"], t

    def newaxis(self):
        x = self.operand(lambda s: len(s) == 1)
        t = self.new_target()
        return [f"{t} = {x}[{self.choice([':, None', 'None, :'])}]"], t

    def transpose(self):
        x = self.operand(lambda s: len(s) == 2)
        t = self.new_target()
        return [f"{t} = {self.choice(['{x}.T', 'np.transpose({x})']).format(x=x)}"], t

    def setitem(self):
        x = self.operand(lambda s: len(s) >= 1)
        shape = _shape(self.env[x])
        if GENERATE_SETITEM_INTO_VIEWS:
            idx = self.index_expr(shape, slicing=self.flip())
        else:
            idx = ", ".join(str(self.draw(st.integers(-n, n - 1))) for n in shape)
        slot = np.empty(shape)[eval(f"np.s_[{idx}]")].shape
        y = self.new_target()
        fits = self.names(lambda s: _broadcasts_into(s, slot))
        if fits:
            v = self.choice(fits)
            value = self.unary(v) if self.flip(0.6) else v
            if self.flip(0.3):
                value = self.choice(BINARY).format(a=self.wrap(value), b=self.choice(fits))
        else:
            value = f"np.tanh(np.sum({self.operand()}))"
        if self.flip(0.3):  # read from the array being updated rather than its original
            value = re.sub(rf"\b{x}\b", y, value)
        op = self.choice(["=", "+="])
        return [f"{y} = {x}.copy()", f"{y}[{idx}] {op} {value}"], y

    def branch(self):
        c = self.operand()
        cv = self.env[c]
        cond = c if np.ndim(cv) == 0 else self.choice([f"np.sum({c})", f"np.mean({c})"])
        value = float(eval(cond, {"np": np}, dict(self.env)))
        taken = self.flip()
        offset = self.choice([0.1, 0.3, 0.7])
        op = self.choice([">", "<"])
        # threshold below the value: '>' holds; above it: '<' holds.
        below = taken == (op == ">")
        threshold = round(value - offset if below else value + offset, 3)
        shape = _shape(self.env[self.operand()])
        t = self.new_target()
        e1, e2 = self.elementwise(shape), self.elementwise(shape)
        if e1 is None or e2 is None:
            return None
        return [
            f"if {cond} {op} {threshold}:",
            f"    {t} = {e1}",
            "else:",
            f"    {t} = {e2}",
        ], t

    def loop_setitem(self):
        """``y = x.copy()``, then ``y[i] = ...`` (or ``y[i, j]``) for ``i`` in ``range``."""
        x = self.operand(lambda s: len(s) >= 1)
        shape = _shape(self.env[x])
        trips = self.draw(st.integers(1, shape[0]))
        y = self.new_target()
        if len(shape) == 1:
            idx = "i"
        elif GENERATE_SETITEM_INTO_VIEWS and self.flip():
            idx = "i"
        else:
            idx = f"i, {self.draw(st.integers(-shape[1], shape[1] - 1))}"
        slot = np.empty(shape)[(0,) + ((0,) if idx != "i" else ())].shape
        fits = self.names(lambda s: _broadcasts_into(s, slot))
        other = self.choice(fits) if fits and self.flip() else self.constant()
        value = self.choice([
            f"{self.wrap(self.unary(f'{y}[{idx}]'))} * {other}",
            f"{y}[{idx}] * {other} + 0.1 * i",
            f"{self.wrap(self.unary(other))} + {x}[{idx}]",
        ])
        op = self.choice(["=", "+="])
        return [f"{y} = {x}.copy()", f"for i in range({trips}):", f"    {y}[{idx}] {op} {value}"], y

    def loop(self):
        shape = _shape(self.env[self.operand()])
        acc = self.new_target()
        init = self.elementwise(shape)
        if init is None:
            return None
        trips = self.choice([0, 1, 2, 3, 3])
        lines = [f"{acc} = {init}", f"for i in range({trips}):"]
        form = self.choice(["update", "decay", "indexed", "counter", "two"])
        others = self.names(lambda s: _broadcasts_into(s, shape))
        o = self.choice(others) if others else "1.0"
        if form == "update":
            body = [f"{acc} = {self.wrap(self.unary(acc))} * 0.5 + {o}"]
        elif form == "decay":
            body = [f"{acc} = {acc} * 0.5 + {self.wrap(self.unary(o))}"]
        elif form == "indexed":
            rows = [
                n for n, v in self.env.items()
                if np.ndim(v) >= 1 and _shape(v)[0] >= trips
                and _broadcasts_into(_shape(v)[1:], shape)
            ]
            if not rows:
                return None
            x = self.choice(rows)
            body = [f"{acc} = np.tanh({acc}) + {x}[i]"]
        elif form == "counter":
            body = [f"{acc} = {acc} * {o} * 0.5 + 0.1 * i"]
        else:
            u = f"u{self.count}"
            body = [f"{u} = {self.wrap(self.unary(acc))} * {o}", f"{acc} = {acc} * 0.5 + {u}"]
        return lines + ["    " + b for b in body], acc

    # -- running -------------------------------------------------------------------------
    def run(self, lines) -> dict | None:
        env = {k: (np.array(v) if isinstance(v, np.ndarray) else v) for k, v in self.env.items()}
        try:
            with np.errstate(all="raise"):
                exec("\n".join(lines), {"np": np}, env)
        except (ValueError, IndexError, TypeError, FloatingPointError, ZeroDivisionError):
            return None
        for v in env.values():
            a = np.asarray(v)
            if a.dtype.kind != "f" or a.size == 0 or a.ndim > 2:
                return None
            if not np.all(np.isfinite(a)) or np.max(np.abs(a)) > BOUND:
                return None
        return env

    def statement(self) -> None:
        kinds = []
        for flag, kind, weight in [
            (GENERATE_ARITHMETIC, self.arithmetic, 3),
            (GENERATE_UNARY, self.unary_statement, 3),
            (GENERATE_REDUCTIONS or GENERATE_MAX, self.reduction, 3),
            (GENERATE_MATMUL, self.matmul, 2),
            (GENERATE_INDEXING, self.indexing, 1),
            (GENERATE_SLICING, self.slicing, 1),
            (GENERATE_NEWAXIS, self.newaxis, 2),
            (GENERATE_TRANSPOSE, self.transpose, 1),
            (GENERATE_IF, self.branch, 2),
            (GENERATE_FOR, self.loop, 3),
            (GENERATE_SETITEM, self.setitem, 2),
            (GENERATE_SETITEM and GENERATE_FOR, self.loop_setitem, 2),
        ]:
            kinds += [kind] * (weight if flag else 0)
        for _ in range(ATTEMPTS):
            kind = self.choice(kinds)
            try:
                made = kind()
            except _NoCandidate:
                made = None
            if made is None:
                continue
            lines, target = made
            env = self.run(lines)
            if env is None:
                continue
            self.env = env
            self.lines += lines
            self.last = target
            self.tick += 1
            self.order[target] = self.tick
            return

    def source(self) -> str:
        body = "\n".join("    " + ln for ln in self.lines + [f"return np.sum({self.last})"])
        return f"import numpy as np\n\n\ndef f({', '.join(self.inputs)}):\n{body}\n"


@st.composite
def programs(draw) -> Program:
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    family = [(), (n,), (m, n), (m, 1), (1, n), (n, m)]
    count = draw(st.integers(2, 3))
    shapes = [draw(st.sampled_from(family)) for _ in range(count)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    args = []
    for s in shapes:
        v = np.round(rng.uniform(-1.5, 1.5, size=s), 3)
        args.append(float(v) if s == () else v)
    names = ["a", "b", "c"][:count]
    gen = _Generator(draw, dict(zip(names, args)))
    for _ in range(draw(st.integers(3, 12))):
        gen.statement()
    return Program(gen.source(), tuple(args))


# -- loading and checking ------------------------------------------------------------------
def load(source: str, directory) -> object:
    """Write ``source`` to a module file in ``directory``, import it and return its ``f``."""
    name = "random_program_" + hashlib.sha1(source.encode()).hexdigest()[:16]
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.f


def _inner(u, v) -> float:
    return float(np.sum(np.asarray(u, dtype=float) * np.asarray(v, dtype=float)))


def _tangents(args, seed=0):
    rng = np.random.default_rng(seed)
    return [float(rng.normal()) if np.ndim(a) == 0 else rng.normal(size=np.shape(a))
            for a in args]


def check_forward_against_reverse(f, args, grads) -> None:
    """``jvp`` along random tangents equals the reverse-mode gradient dotted with them."""
    wrt = tuple(range(len(args)))
    tangents = _tangents(args)
    expected_value = f(*args)
    terms = [_inner(g, v) for g, v in zip(grads, tangents)]
    magnitudes = [_inner(np.abs(g), np.abs(v)) for g, v in zip(grads, tangents)]
    for i in wrt:
        value, tangent = adjoint.jvp(f, wrt=i)(*args, tangents[i])
        np.testing.assert_allclose(value, expected_value, rtol=1e-10, atol=1e-12)
        assert np.ndim(tangent) == 0, f"tangent of a scalar output has shape {np.shape(tangent)}"
        np.testing.assert_allclose(
            float(tangent), terms[i], rtol=1e-9, atol=1e-10 * (1.0 + magnitudes[i]),
            err_msg=f"jvp wrt {i} against <grad_{i}, v>",
        )
    value, tangent = adjoint.jvp(f, wrt=wrt)(*args, *tangents)
    np.testing.assert_allclose(value, expected_value, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        float(tangent), sum(terms), rtol=1e-9, atol=1e-10 * (1.0 + sum(magnitudes)),
        err_msg="jvp wrt all inputs against sum of <grad_i, v_i>",
    )


def check_program(source: str, args, directory) -> None:
    f = load(source, directory)
    args = tuple(float(a) if np.ndim(a) == 0 else np.asarray(a, dtype=float) for a in args)
    grads = check_grads(f, args, wrt=tuple(range(len(args))))
    check_forward_against_reverse(f, args, grads)


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("random_programs")


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
)
@given(programs())
def test_random_programs_reverse_and_forward_mode(program_dir, program):
    check_program(program.source, program.args, program_dir)


# -- smallest failing programs found by the generator, one per construct switched off ------
def test_assignment_into_a_slice_passes_on_its_gradient(tmp_path):
    # adjoint gives [0.0, 0.955]; finite differences give [1.081, 0.955].
    source = (
        "import numpy as np\n\n\n"
        "def f(x):\n"
        "    y = x.copy()\n"
        "    y[0:1] = 2.0 * x[0:1]\n"
        "    return np.sum(np.sin(y))\n"
    )
    check_program(source, (np.array([0.5, 0.3]),), tmp_path)


def test_assignment_into_a_row_passes_on_its_gradient(tmp_path):
    # adjoint gives [[0, 0], [0.995, 0.980]]; finite differences give
    # [[0, 0], [2.955, 2.822]].
    source = (
        "import numpy as np\n\n\n"
        "def f(x):\n"
        "    y = x.copy()\n"
        "    y[0] = 2.0 * x[1]\n"
        "    return np.sum(np.sin(y))\n"
    )
    check_program(source, (np.array([[0.5, 0.3], [0.1, 0.2]]),), tmp_path)


def test_augmented_update_of_a_slice_passes_on_its_gradient(tmp_path):
    # adjoint gives [0.0, 0.955]; finite differences give [0.700, 1.624].
    source = (
        "import numpy as np\n\n\n"
        "def f(x):\n"
        "    y = x.copy()\n"
        "    y[0:1] += np.sin(x[1:2])\n"
        "    return np.sum(np.sin(y))\n"
    )
    check_program(source, (np.array([0.5, 0.3]),), tmp_path)
