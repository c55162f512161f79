"""A generator of random small NumPy programs, written as source, for checking adjoint.

Hypothesis writes each program one statement at a time, running the whole program on
its inputs after every statement so that it stays where finite differences are well
conditioned: every value finite and within ``BOUND``, ``np.max`` never near a tie,
branch conditions never near their threshold, no empty arrays. ``log`` and ``sqrt``
only see ``x * x + 1``-style arguments and divisors are ``b * b + 1``. Running the
whole program (not each statement on copies of the values) keeps what NumPy does
with views: an update of an array is seen through every view of it.

Besides straight-line code, branches and loops, a program may use the constructs of
one or two *families* (``FAMILIES``): views followed by in-place updates, helpers
that update their arguments, fancy-index assignment with repeated indices, lists of
tuples or dicts as parameters, bound methods, decorated functions and lambdas as the
function differentiated, module-level constants, some of them rebound after the
first call, random draws seeded inside the function, dict and list items set in
branches and loops, views taken before a loop that updates their base, print, logging
and warnings statements, complex values (which adjoint may refuse), and joins where
two names share one adjoint after an in-place update. Each family is switched on by a
``GENERATE_*`` flag; a program records the families it used and, for each line, the
family that wrote it, so a refusal can be told apart from a failure (see
``tests/program_checks.py``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

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

# v = np.diagonal(y) / np.flip(y) / y[1:] / y.T / r0, r1 = y ..., then y[...] = ... or
# v[...] += ..., then a use of v or y. Refusing is a right answer here.
GENERATE_VIEW_UPDATES = True
# def h(z): z[0] = 2.0 * z[0]; return np.sum(z) at module level, called on a copy or
# on a parameter, the caller reading the array afterwards. Refusing is a right answer.
GENERATE_MUTATING_HELPERS = True
# y[[0, 0, 2]] = expr, y[[0, 0, 2]] += expr, idx = np.array([...]); y[idx] = ...
GENERATE_FANCY_SETITEM = True
# np.add.at(y, idx, v): adjoint refuses it today ("an expression statement has no
# effect"); switch on once it is supported.
GENERATE_ADD_AT = False
# A list of (W, b) tuples or of {"W": W, "b": b} dicts as a parameter, used in loops.
GENERATE_CONTAINER_PARAMS = True
# The function differentiated is a bound method, a decorated function or a lambda.
GENERATE_TARGET_FORMS = True
# Module-level floats and arrays read by the function, some rebound after the first call.
GENERATE_GLOBALS = True
# rng = np.random.default_rng(7) or np.random.seed(7) in the function, then draws used in
# the computation (also in loops and branches): the derivative must see the same draws.
GENERATE_RANDOM_DRAWS = True
# d = {}; if ...: d["k"] = e1 else: d["k"] = e2; for i in range(n): d["s"] = d.get("s",
# 0.0) + ...; ys[i] = ... in a loop; ys.append(...): items assigned, then read back.
GENERATE_CONTAINER_UPDATES = True
# v = y[0] / y[:, 1] / np.diagonal(y), then for i in range(k): y[i] = ..., then a use of
# v, which sees the updates. Refusing is a right answer here.
GENERATE_VIEW_LOOPS = True
# print(...), log.info(...), warnings.warn(...): run in the derivative as in the function.
GENERATE_EFFECTS = True
# x * 1j, np.exp(1j * x), complex(s, 0.5), np.fft.fft(x): complex intermediates, read back
# through their real and imaginary parts, modulus or inverse transform.
GENERATE_COMPLEX = True
# y[i] = ... then an if or loop where y passes on unchanged or through a sum (t = y,
# t = y + o), so that two names share one adjoint, in either branch and in loops.
GENERATE_JOINS = True
# m = np.max(x, axis=..), then a logsumexp, softmax or log-softmax shifted by m (whose
# derivative through m is zero and left out), or a use of m the value depends on.
GENERATE_SHIFTS = True

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
CONSTANTS = ["0.5", "2.0", "1.5", "3.0", "0.25"]

# -- families: constructs a program may use besides the base ones ------------------------
VIEW_KINDS = [
    "diagonal", "diagonal_method", "flip", "fliplr", "rot90", "split", "array_split",
    "hsplit", "ascontiguousarray", "rows", "slice", "transpose", "reshape",
]
FANCY_KINDS = ["list_assign", "list_augment", "array_assign", "array_augment", "add_at"]
CONTAINER_KINDS = [
    "tuples_unpack", "dicts_iterate", "tuples_slice", "dicts_slice", "tuples_index",
    "dicts_index",
]
TARGET_KINDS = ["method", "decorated", "lambda", "lambda_pair"]
RANDOM_KINDS = ["generator", "seed"]
UPDATE_KINDS = ["dict_branch", "dict_loop", "list_branch", "list_loop"]
VIEW_LOOP_KINDS = ["loop_row", "loop_slice", "loop_column", "loop_diagonal"]
EFFECT_KINDS = ["print", "logging", "warnings"]
COMPLEX_KINDS = ["multiply", "exp", "builtin", "fft"]
JOIN_KINDS = ["if_then", "if_else", "if_only", "loop_init", "loop_body", "loop_branch"]
SHIFT_KINDS = ["logsumexp", "softmax", "log_softmax", "dependent"]

#: Constructs of the base kinds that a statement may happen to use, named so that a
#: run can leave them out (they are never chosen for a program, only noticed).
INCIDENTAL: dict[str, bool] = {
    "loop:runs": GENERATE_FOR,  # a loop carrying a value runs at least once
    "setitem:higher_rank_value": GENERATE_SETITEM,  # y[0] = v, v with more (leading 1) axes
    "if:bare_name": GENERATE_IF,  # a branch that only renames: else: t = x
}

FAMILIES: dict[str, bool] = {
    **INCIDENTAL,
    **{f"view:{k}": GENERATE_VIEW_UPDATES for k in VIEW_KINDS},
    "helper:copy": GENERATE_MUTATING_HELPERS,
    "helper:param": GENERATE_MUTATING_HELPERS,
    **{f"fancy:{k}": GENERATE_FANCY_SETITEM and (k != "add_at" or GENERATE_ADD_AT)
       for k in FANCY_KINDS},
    **{f"container:{k}": GENERATE_CONTAINER_PARAMS for k in CONTAINER_KINDS},
    **{f"target:{k}": GENERATE_TARGET_FORMS for k in TARGET_KINDS},
    "attribute:rebind": GENERATE_TARGET_FORMS and GENERATE_GLOBALS,
    "global:float": GENERATE_GLOBALS,
    "global:array": GENERATE_GLOBALS,
    "global:rebind": GENERATE_GLOBALS,
    **{f"random:{k}": GENERATE_RANDOM_DRAWS for k in RANDOM_KINDS},
    **{"{}:{}".format(*k.split("_")): GENERATE_CONTAINER_UPDATES for k in UPDATE_KINDS},
    **{f"view:{k}": GENERATE_VIEW_LOOPS for k in VIEW_LOOP_KINDS},
    **{f"effect:{k}": GENERATE_EFFECTS for k in EFFECT_KINDS},
    **{f"complex:{k}": GENERATE_COMPLEX for k in COMPLEX_KINDS},
    **{f"join:{k}": GENERATE_JOINS for k in JOIN_KINDS},
    **{f"shift:{k}": GENERATE_SHIFTS for k in SHIFT_KINDS},
}

#: Families where a clear ``adjoint.AdjointError`` at one of the family's own lines is a
#: right answer: an in-place update seen through another name (a view, or a helper's
#: parameter) is outside what adjoint promises to follow, and so are complex values.
MAY_REFUSE = frozenset(
    [f"view:{k}" for k in VIEW_KINDS + VIEW_LOOP_KINDS] + ["helper:copy", "helper:param"]
    + [f"complex:{k}" for k in COMPLEX_KINDS]
)

#: Families whose statements print, log or warn: the checks compare what the function
#: and its derivatives do (``tests/program_checks.py``).
EFFECTS = frozenset(f"effect:{k}" for k in EFFECT_KINDS)
#: The logger the ``effect:logging`` statements write to (``log`` in the module).
LOGGER = "random_program"

#: Families the command line may decline cleanly (exit status 1 or 2, no traceback):
#: it reads files without running them, so it cannot know what a decorator does or
#: build an array constant or a logger, and its targets are ``def`` functions.
CLI_MAY_REFUSE = frozenset(
    ["global:array", "target:decorated", "target:lambda", "target:lambda_pair",
     "effect:logging"]
)


@dataclass
class Program:
    """A generated module: its source, the arguments of its target, what it uses.

    ``target`` is how the function differentiated is reached from the module (``f``,
    or ``model.energy`` for a bound method); ``cli`` is the name the command line is
    given, when the target is a top-level definition. ``rebind`` maps module globals
    (``LAM``) and attributes (``model.k``) to the values they get after the first call.
    """

    source: str
    args: tuple
    params: tuple = ()
    target: str = "f"
    cli: str | None = "f"
    families: frozenset = frozenset()
    may_refuse_lines: frozenset = frozenset()
    rebind: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.params:
            self.params = tuple(f"p{i}" for i in range(len(self.args)))

    def __repr__(self) -> str:
        lines = [
            "Program(",
            f"    source={self.source!r},",
            f"    args={literal(self.args)},",
            f"    params={self.params!r},",
            f"    target={self.target!r},",
            f"    cli={self.cli!r},",
            f"    families={set(self.families) or 'set()'},",
            f"    may_refuse_lines={set(self.may_refuse_lines) or 'set()'},",
            f"    rebind={literal(self.rebind)},",
            ")",
            "# source:",
            *self.source.splitlines(),
        ]
        return "\n".join(lines)


def literal(value) -> str:
    """``value`` (numbers, arrays, tuples, lists, dicts) as Python source."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r})"
    return repr(float(value)) if isinstance(value, (float, np.floating)) else repr(value)


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


def _is_operand(v) -> bool:
    """Float scalars and float arrays can be computed with; counters, dicts... cannot."""
    if isinstance(v, (float, np.floating)):
        return True
    return isinstance(v, np.ndarray) and v.dtype.kind == "f"


def _fresh(v):
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, (list, tuple)):
        return type(v)(_fresh(e) for e in v)
    if isinstance(v, dict):
        return {k: _fresh(e) for k, e in v.items()}
    return v


class _Self:
    """Stands for ``self`` while a method's body is run by the generator."""


def _namespace(env: dict) -> dict:
    """``env`` as names to evaluate code in: ``self.k`` becomes attribute ``k`` of ``self``."""
    names = {k: v for k, v in env.items() if "." not in k}
    me = _Self()
    for k, v in env.items():
        if k.startswith("self."):
            setattr(me, k[5:], v)
    names["self"] = me
    return names


def _module_names() -> dict:
    """What a generated module defines besides its functions: imports and ``log``."""
    return {"np": np, "logging": logging, "warnings": warnings,
            "log": logging.getLogger(LOGGER)}


@contextlib.contextmanager
def quiet():
    """Nothing printed, logged or warned while a generated program runs."""
    logger = logging.getLogger(LOGGER)
    disabled = logger.disabled
    logger.disabled = True
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.disabled = disabled


class _NoCandidate(Exception):
    """Nothing in scope fits the statement being drawn; another kind is tried."""


class _Generator:
    """Draws one program statement by statement, running the program after each.

    ``scenarios`` holds the values of the program's constants (module globals and
    ``self`` attributes): one set as written, and a second one when they are rebound
    after the first call; every statement must be well conditioned under both.
    """

    def __init__(self, draw, inputs: dict, containers: dict, scenarios: list[dict],
                 families: frozenset, exclude: frozenset = frozenset()):
        self.draw = draw
        self.inputs = list(inputs)
        self.params = list(inputs) + list(containers)
        self.start = {**inputs, **containers}
        self.containers = dict(containers)
        self.scenarios = scenarios
        self.consts = list(scenarios[0])
        self.families = families
        self.exclude = exclude
        self.used: set[str] = set()
        self.noticed: set[str] = set()  # incidental families of the statement being drawn
        self.lines: list[str] = []
        self.tags: list[str | None] = []
        self.helpers: list[tuple[list[str], str]] = []
        self.count = 0
        self.helper_count = 0
        self.last = self.inputs[-1]
        self.marked: list[str] = []
        self.order = {n: i for i, n in enumerate(self.inputs)}
        self.tick = len(self.inputs)
        self.envs = self.run([])
        assert self.envs is not None, "inputs out of range"

    @property
    def env(self) -> dict:
        return self.envs[0]

    # -- drawing helpers ---------------------------------------------------------------
    def choice(self, options):
        options = list(options)
        if not options:
            raise _NoCandidate
        return self.draw(st.sampled_from(options))

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

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

    def assignable(self) -> list[str]:
        return [n for n in self.env if n not in self.consts]

    def new_target(self, allow_inputs: bool = True) -> str:
        """A fresh name, or (now and then) one reassigned."""
        existing = [n for n in self.assignable() if allow_inputs or n not in self.inputs]
        if existing and self.flip(0.25):
            return self.choice(existing)
        return self.fresh("t")

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def constant(self) -> str:
        return self.choice(CONSTANTS)

    def unary(self, x: str) -> str:
        return self.choice(UNARY).format(x=x)

    def wrap(self, expr: str) -> str:
        """``expr`` as an operand: bare names stay bare, anything else is parenthesized."""
        return expr if re.fullmatch(r"[\w.]+", expr) else f"({expr})"

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

    def value_into(self, slot, avoid=()) -> str:
        """An expression that broadcasts into an array of shape ``slot``."""
        fits = [n for n in self.names(lambda s: _broadcasts_into(s, slot)) if n not in avoid]
        if not fits:
            return f"np.tanh(np.sum({self.operand()}))"
        v = self.choice(fits)
        value = self.unary(v) if self.flip(0.6) else v
        if self.flip(0.3):
            value = self.choice(BINARY).format(a=self.wrap(value), b=self.choice(fits))
        return value

    # -- base statement kinds: each returns (code lines, target) or None ---------------
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
        if fn == "max" and not all(_max_gap_ok(env[x], axis) for env in self.envs):
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
            return str(self.integer(-n, n - 1))

        def span(n):
            lo = self.integer(0, n - 1)
            hi = self.integer(lo + 1, n)
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
            idx = ", ".join(str(self.integer(-n, n - 1)) for n in shape)
        slot = np.empty(shape)[eval(f"np.s_[{idx}]")].shape
        y = self.new_target()
        value = self.value_into(slot)
        if self.flip(0.3):  # read from the array being updated rather than its original
            value = re.sub(rf"(?<![\w.]){re.escape(x)}(?![\w])", y, value)
        op = self.choice(["=", "+="])
        lines = [f"{y} = {x}.copy()", f"{y}[{idx}] {op} {value}"]
        self.notice_rank(lines[:1], value, slot)
        return lines, y

    def condition(self, names=None) -> str | None:
        """A test on data (``np.sum(t3) > 0.41``) at least ``MARGIN`` from its threshold."""
        c = self.choice(names) if names else self.operand()
        cv = self.env[c]
        cond = c if np.ndim(cv) == 0 else self.choice([f"np.sum({c})", f"np.mean({c})"])
        values = [float(eval(cond, {"np": np}, _namespace(env))) for env in self.envs]
        taken = self.flip()
        offset = self.choice([0.1, 0.3, 0.7])
        op = self.choice([">", "<"])
        # threshold below the value: '>' holds; above it: '<' holds.
        below = taken == (op == ">")
        threshold = round(values[0] - offset if below else values[0] + offset, 3)
        if any(abs(v - threshold) < MARGIN for v in values):
            return None
        return f"{cond} {op} {threshold}"

    def branch(self):
        test = self.condition()
        if test is None:
            return None
        shape = _shape(self.env[self.operand()])
        t = self.new_target()
        e1, e2 = self.elementwise(shape), self.elementwise(shape)
        if e1 is None or e2 is None:
            return None
        if e1.isidentifier() or e2.isidentifier():
            self.noticed.add("if:bare_name")
        return [
            f"if {test}:",
            f"    {t} = {e1}",
            "else:",
            f"    {t} = {e2}",
        ], t

    def loop_setitem(self):
        """``y = x.copy()``, then ``y[i] = ...`` (or ``y[i, j]``) for ``i`` in ``range``."""
        x = self.operand(lambda s: len(s) >= 1)
        shape = _shape(self.env[x])
        trips = self.integer(1, shape[0])
        y = self.new_target()
        if len(shape) == 1:
            idx = "i"
        elif GENERATE_SETITEM_INTO_VIEWS and self.flip():
            idx = "i"
        else:
            idx = f"i, {self.integer(-shape[1], shape[1] - 1)}"
        slot = np.empty(shape)[(0,) + ((0,) if idx != "i" else ())].shape
        fits = self.names(lambda s: _broadcasts_into(s, slot))
        other = self.choice(fits) if fits and self.flip() else self.constant()
        value = self.choice([
            f"{self.wrap(self.unary(f'{y}[{idx}]'))} * {other}",
            f"{y}[{idx}] * {other} + 0.1 * i",
            f"{self.wrap(self.unary(other))} + {x}[{idx}]",
        ])
        op = self.choice(["=", "+="])
        self.notice_rank([f"{y} = {x}.copy()", "i = 0"], value, slot)
        return [f"{y} = {x}.copy()", f"for i in range({trips}):", f"    {y}[{idx}] {op} {value}"], y

    def loop(self):
        shape = _shape(self.env[self.operand()])
        acc = self.new_target()
        init = self.elementwise(shape)
        if init is None:
            return None
        trips = self.choice([0, 1, 2, 3, 3])
        if trips:
            self.noticed.add("loop:runs")
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

    def notice_rank(self, before: list[str], value: str, slot) -> None:
        """Note a value with more axes than the slot it is written to (``y[0] = v[None]``)."""
        env = self.run_values(before)
        try:
            with np.errstate(all="ignore"):
                shape = np.shape(eval(value, {"np": np}, _namespace({**self.env, **(env or {})})))
        except Exception:
            return
        if len(shape) > len(slot):
            self.noticed.add("setitem:higher_rank_value")

    # -- family statement kinds ----------------------------------------------------------
    def view_update(self, kind: str):
        """A copy ``y``, a view ``v`` of it, an update of one of them, then a use."""
        need_2d = kind in ("diagonal", "diagonal_method", "fliplr", "rot90", "rows")
        x = self.operand(lambda s: len(s) == 2 if need_2d else len(s) >= 1)
        shape = _shape(self.env[x])
        params = [n for n in self.inputs if n in self.env and _shape(self.env[n]) == shape]
        if x in params and self.flip(0.3):
            y, lines = x, []  # the parameter itself is the base
        else:
            y = self.fresh("y")
            lines = [f"{y} = {self.choice(['{x}.copy()', 'np.array({x})']).format(x=x)}"]
        views: list[str]
        nd = len(shape)
        if kind in ("split", "array_split", "hsplit"):
            axis = 1 if kind == "hsplit" and nd == 2 else 0
            if kind == "split" and nd == 2 and self.flip(0.3):
                axis = 1
            n = shape[axis]
            parts = self.choice([k for k in (1, 2, 3) if k <= n
                                 and (kind == "array_split" or n % k == 0)])
            views = [self.fresh("v") for _ in range(parts)]
            extra = f", axis={axis}" if kind == "split" and axis else ""
            lines.append(f"{', '.join(views)}{',' if parts == 1 else ''} = "
                         f"np.{kind}({y}, {parts}{extra})")
        elif kind == "rows":
            views = [self.fresh("r") for _ in range(shape[0])]
            lines.append(f"{', '.join(views)}{',' if shape[0] == 1 else ''} = {y}")
        else:
            v = self.fresh("v")
            views = [v]
            forms = {
                "diagonal": ["np.diagonal({y})"],
                "diagonal_method": ["{y}.diagonal()"],
                "flip": ["np.flip({y})", "np.flip({y}, 0)"] + (["np.flip({y}, 1)"] * (nd == 2)),
                "fliplr": ["np.fliplr({y})"],
                "rot90": ["np.rot90({y})", "np.rot90({y}, 2)", "np.rot90({y}, -1)"],
                "ascontiguousarray": ["np.ascontiguousarray({y})"],
                "slice": [f"{{y}}[{self.index_expr(shape, slicing=True)}]", "{y}[1:]"],
                "transpose": ["{y}.T", "np.transpose({y})"],
                "reshape": ["{y}.reshape(-1)", f"{{y}}.reshape({shape[::-1]!r})",
                            f"np.reshape({{y}}, ({int(np.prod(shape))},))"],
            }[kind]
            lines.append(f"{v} = {self.choice(forms).format(y=y)}")
        writable = kind not in ("diagonal", "diagonal_method")
        into = self.choice(views) if writable and self.flip(0.5) else y
        probe = self.run_values(lines)
        if probe is None or into not in probe:
            return None
        slot_shape = _shape(probe[into])
        if len(slot_shape) == 0 or 0 in slot_shape:
            return None
        idx = self.index_expr(slot_shape, slicing=self.flip(0.3))
        slot = np.empty(slot_shape)[eval(f"np.s_[{idx}]")].shape
        value = self.value_into(slot, avoid=views)
        if self.flip(0.4):
            value = self.choice([f"2.0 * {into}[{idx}]", f"np.sin({into}[{idx}])",
                                 f"{into}[{idx}] * {self.constant()}"])
        lines.append(f"{into}[{idx}] {self.choice(['=', '+='])} {value}")
        used = self.choice(views) if self.flip(0.75) else y
        t = self.fresh("t")
        use = self.choice(["np.sin({u})", "{u} * 2.0", "{u} ** 2", "np.tanh({u}) + {u}"])
        lines.append(f"{t} = {use.format(u=used)}")
        return lines, t

    def helper_call(self, where: str):
        """A module-level helper that updates its argument, called on a copy or a parameter."""
        if where == "param":
            xs = [n for n in self.inputs if n in self.env and np.ndim(self.env[n]) >= 1]
            x = self.choice(xs)
            arg, lines = x, []
        else:
            x = self.operand(lambda s: len(s) >= 1)
            arg = self.fresh("y")
            lines = [f"{arg} = {x}.copy()"]
        shape = _shape(self.env[x])
        self.helper_count += 1
        h = f"h{self.helper_count}"
        nd = len(shape)
        i = self.integer(-shape[0], shape[0] - 1)
        j = self.integer(-shape[-1], shape[-1] - 1)
        idx = str(i) if nd == 1 or self.flip() else f"{i}, {j}"
        other = f"{j}" if nd == 1 else f"{self.integer(-shape[0], shape[0] - 1)}"
        with_w = self.flip(0.3)
        update = self.choice([
            f"z[{idx}] = 2.0 * z[{idx}]",
            f"z[{idx}] += np.sin(z[{other}])",
            f"z[{idx}] = np.tanh(z[{other}]) * 1.5",
            f"z[{idx}] *= 0.5",
        ] + ([f"z[{idx}] += w * z[{idx}]"] if with_w else []))
        body = [update]
        if self.flip(0.3):
            body.append(f"z[{other}] = z[{other}] - 0.5")
        ret = self.choice(["np.sum(z)", "np.sum(np.tanh(z))", f"z[{other}] * 1.5",
                           "np.mean(z * z)"])
        params = "z, w" if with_w else "z"
        helper = [f"def {h}({params}):", *("    " + b for b in body), f"    return {ret}"]
        w_arg = ""
        if with_w:
            ws = self.names(lambda s: s == ())
            w_arg = ", " + (self.choice(ws) if ws else self.constant())
        s = self.fresh("s")
        lines.append(f"{s} = {h}({arg}{w_arg})")
        t = self.fresh("t")
        use = self.choice(["{s} * np.sin({a})", "{a} + {s}", "{a} * {s}", "np.tanh({a}) - {s}"])
        lines.append(f"{t} = {use.format(s=s, a=arg)}")
        return lines, t, helper

    def fancy_setitem(self, kind: str):
        """``y[[0, 0, 2]] = expr``-style assignments whose indices may repeat."""
        x = self.operand(lambda s: len(s) >= 1)
        shape = _shape(self.env[x])
        n = shape[0]
        count = self.integer(2, 4)
        idx = [self.integer(-n, n - 1) for _ in range(count)]
        if self.flip(0.7):
            alias = idx[0] - n if idx[0] >= 0 else idx[0] + n  # the same row, spelled apart
            idx[self.integer(1, count - 1)] = idx[0] if self.flip() else alias
        columns = len(shape) == 2 and self.flip(0.3)
        if columns:
            m = shape[1]
            idx = [i % m for i in idx]
        y = self.fresh("y")
        lines = [f"{y} = {x}.copy()"]
        if kind.startswith("array") or kind == "add_at":
            name = self.fresh("idx")
            lines.append(f"{name} = np.array({idx!r})")
            where = name
        else:
            where = repr(idx)
        key = f":, {where}" if columns else where
        probe = np.empty(shape)[(slice(None), idx) if columns else idx]
        value = self.value_into(probe.shape)
        if self.flip(0.3):
            value = f"{y}[{key}] * {self.constant()}"
        if kind == "add_at":
            lines.append(f"np.add.at({y}, {key if not columns else f'(slice(None), {where})'}, "
                         f"{value})")
        else:
            op = "=" if kind.endswith("assign") else "+="
            lines.append(f"{y}[{key}] {op} {value}")
        return lines, y

    def container_loop(self, kind: str):
        """A loop over the list parameter, carrying ``t`` through each (W, b) layer."""
        (cname, layers), = self.containers.items()
        n = _shape(layers[0][0] if isinstance(layers[0], tuple) else layers[0]["W"])[0]
        hs = self.names(lambda s: len(s) >= 1 and s[-1] == n)
        h = self.choice(hs)
        t = self.fresh("t")
        act = self.choice(["np.tanh({z})", "np.sin({z})", "0.5 * {z}"])
        structure, form = kind.split("_")
        W, b = ("W", "bias") if structure == "tuples" else ('p["W"]', 'p["b"]')
        lines = [f"{t} = {h}"]
        if form in ("unpack", "iterate"):
            loop = (f"for W, bias in {cname}:" if structure == "tuples"
                    else f"for p in {cname}:")
            lines += [loop, f"    {t} = {act.format(z=f'{t} @ {W} + {b}')}"]
        elif form == "slice":
            loop = (f"for W, bias in {cname}[:-1]:" if structure == "tuples"
                    else f"for p in {cname}[:-1]:")
            lines += [loop, f"    {t} = {act.format(z=f'{t} @ {W} + {b}')}"]
            last = (f"W, bias = {cname}[-1]" if structure == "tuples"
                    else f"p = {cname}[-1]")
            lines += [last, f"{t} = {t} @ {W} + {b}"]
        else:
            Wi, bi = ((f"{cname}[i][0]", f"{cname}[i][1]") if structure == "tuples"
                      else (f'{cname}[i]["W"]', f'{cname}[i]["b"]'))
            lines += [f"for i in range(len({cname})):",
                      f"    {t} = {act.format(z=f'{t} @ {Wi}')} + {bi}"]
        return lines, t

    def global_read(self):
        """A statement that reads one of the program's constants."""
        k = self.choice(self.consts)
        shape = _shape(self.scenarios[0][k])
        x = self.operand(lambda s: _compatible(s, shape))
        t = self.fresh("t")
        expr = self.choice(["{x} * {k}", "{x} + {k}", "np.sin({x}) * {k}", "{k} - {x}"])
        return [f"{t} = {expr.format(x=x, k=k)}"], t

    def random_draw(self, kind: str):
        """Draws from a generator seeded inside the function, used in the computation.

        ``rng = np.random.default_rng(7)`` (``generator``) or ``np.random.seed(7)``
        (``seed``) is written before the first draw, sometimes again later; a draw may
        sit in a loop (a new one each time round) or in one branch of an ``if``.
        """
        x = self.operand()
        shape = _shape(self.env[x])
        lines = []
        if kind == "generator":
            seeded = any(ln.startswith("rng = np.random.default_rng(") for ln in self.lines)
            if not seeded or self.flip(0.2):
                lines.append(f"rng = np.random.default_rng({self.integer(0, 99)})")
            size = "" if shape == () else self.choice([f"size={x}.shape", f"size={shape!r}"])
            draw = self.choice([
                f"rng.normal({size})",
                f"rng.uniform(-1.0, 1.0{', ' + size if size else ''})",
                f"rng.standard_normal({shape!r})" if shape else "rng.standard_normal()",
            ])
        else:
            seeded = any(ln.startswith("np.random.seed(") for ln in self.lines)
            if not seeded or self.flip(0.2):
                lines.append(f"np.random.seed({self.integer(0, 99)})")
            dims = ", ".join(map(str, shape))
            size = "" if shape == () else f"size={shape!r}"
            draw = self.choice([
                f"np.random.randn({dims})",
                f"np.random.rand({dims})",
                f"np.random.normal(0.0, 0.5{', ' + size if size else ''})",
                f"np.random.uniform(-1.0, 1.0{', ' + size if size else ''})",
            ])
        t = self.fresh("t")
        form = self.choice(["named", "inline", "loop", "branch"])
        if form == "named":
            noise = self.fresh("noise")
            lines.append(f"{noise} = {draw}")
            use = self.choice(["{x} + 0.1 * {n}", "{x} * {n}", "np.sin({x} + {n})",
                               "np.tanh({x}) * {n} + {x}"])
            lines.append(f"{t} = {use.format(x=x, n=noise)}")
        elif form == "inline":
            lines.append(f"{t} = {self.wrap(self.unary(x))} * {draw}")
        elif form == "loop":
            lines += [f"{t} = {x}", f"for i in range({self.integer(1, 3)}):",
                      f"    {t} = {self.wrap(self.unary(t))} * 0.5 + {x} * {draw}"]
            self.noticed.add("loop:runs")
        else:
            test = self.condition()
            if test is None:
                return None
            lines += [f"if {test}:", f"    {t} = {x} + 0.5 * {draw}", "else:",
                      f"    {t} = {self.wrap(self.unary(x))} * 1.5"]
            if self.flip():  # a draw after the branch: from a stream the branch moved on
                lines.append(f"{t} = {t} * {draw}")
        return lines, t

    def container_update(self, kind: str):
        """Items of a dict or list assigned in branches or loops, read back after."""
        structure, where = kind.split("_")
        x = self.operand()
        shape = _shape(self.env[x])
        others = self.names(lambda s: _broadcasts_into(s, shape))
        o = self.choice(others)
        t = self.fresh("t")
        d = self.fresh("d" if structure == "dict" else "ys")
        if where == "branch":
            test = self.condition()
            e1, e2 = self.elementwise(shape), self.elementwise(shape)
            if test is None or e1 is None or e2 is None:
                return None
            if structure == "dict":
                start = self.choice(["{}", f'{{"a": {x}}}', f'{{"k": {o}, "a": {x}}}'])
                lines = [f"{d} = {start}", f"if {test}:", f'    {d}["k"] = {e1}']
                if start.startswith('{"k"') and self.flip():
                    lines.append(f'    {d}["a"] = {d}["k"] * 0.5')  # one branch only
                else:
                    lines += ["else:", f'    {d}["k"] = {e2}']
                read = f'{d}["k"] * 2.0' + (f' + {d}["a"]' if "a" in start else "")
            else:
                lines = [f"{d} = [{x}, {o}]", f"if {test}:", f"    {d}[0] = {e1}",
                         "else:", f"    {d}[{self.choice(['1', '-1', '0'])}] = {e2}"]
                read = self.choice([f"{d}[0] * {d}[1]", f"{d}[0] + np.sin({d}[-1])"])
            return lines + [f"{t} = {read}"], t
        trips = self.integer(1, 3)
        self.noticed.add("loop:runs")
        step = self.choice([f"{self.wrap(self.unary(o))} * 0.5", f"{x} * {o}",
                            f"0.5 * {x} + 0.1 * i"])
        if structure == "dict":
            form = self.choice(["get", "carried", "key_name", "int_keys"])
            if form == "get":
                lines = [f"{d} = {{}}", f"for i in range({trips}):",
                         f'    {d}["s"] = {d}.get("s", 0.0) + {step}']
                read = f'{d}["s"]'
            elif form == "carried":
                lines = [f'{d} = {{"s": {x}, "c": {o}}}', f"for i in range({trips}):",
                         f'    {d}["s"] = np.tanh({d}["s"]) * 0.5 + {d}["c"]']
                read = f'{d}["s"] * {d}["c"]'
            elif form == "key_name":
                lines = [f"{d} = {{}}", f"for i in range({2 * trips}):",
                         '    key = ("p", "q")[i % 2]',
                         f"    {d}[key] = {d}.get(key, 0.0) + {step}"]
                read = f'{d}["p"] * {d}["q"]'
            else:
                lines = [f"{d} = {{}}", f"for i in range({trips}):",
                         f"    {d}[i] = {step}"]
                read = f"{d}[0] + {d}[{trips - 1}]"
        else:
            forms = ["items", "chain", "append", "nested"] + (["stored"] if shape else [])
            form = self.choice(forms)
            if form == "stored":
                # What a loop appended, and a copy of it updated in place afterwards: the
                # list must keep what was appended (the copy stays a copy at every order).
                h, z = self.fresh("h"), self.fresh("z")
                lines = [f"{d} = []", f"{h} = {x}", f"for i in range({trips}):",
                         f"    {h} = np.tanh({h}) * 0.5 + {step}", f"    {d}.append({h})",
                         f"{z} = {h}.copy()", f"{z}[{self.integer(-shape[0], shape[0] - 1)}] = 0.5"]
                read = f"{d}[-1] * {z} + {d}[0]"
            elif form == "nested":
                lines = [f"{d} = []", f"for i in range({trips}):",
                         f"    {d}.append([{step}, {x}])"]
                read = f"{d}[-1][0] * {d}[0][1]"
            elif form == "items":
                lines = [f"{d} = [{', '.join([x] * trips)}]", f"for i in range({trips}):",
                         f"    {d}[i] = {d}[i] * 0.5 + {step}"]
                read = f"{d}[{self.integer(-trips, trips - 1)}] + {d}[0]"
            elif form == "chain":
                lines = [f"{d} = [{', '.join([x] * (trips + 1))}]",
                         f"for i in range(1, {trips + 1}):",
                         f"    {d}[i] = np.sin({d}[i - 1]) * 0.5 + {step}"]
                read = f"{d}[-1] * {d}[0]"
            else:
                lines = [f"{d} = []", f"for i in range({trips}):",
                         f"    {d}.append({step})"]
                read = f"{d}[-1] + {d}[0]"
        return lines + [f"{t} = {read}"], t

    def view_loop(self, kind: str):
        """A view of an array, a loop updating the array in place, then a use of the view."""
        x = self.operand(lambda s: len(s) == 2 if kind in ("column", "diagonal")
                         else len(s) >= 1)
        shape = _shape(self.env[x])
        y = self.fresh("y")
        v = self.fresh("v")
        lines = [f"{y} = {x}.copy()"]
        if kind == "row":
            lines.append(f"{v} = {y}[{self.integer(-shape[0], shape[0] - 1)}]")
        elif kind == "slice":
            lines.append(f"{v} = {y}[{self.index_expr(shape, slicing=True)}]")
        elif kind == "column":
            lines.append(f"{v} = {y}[:, {self.integer(-shape[1], shape[1] - 1)}]")
        else:
            lines.append(f"{v} = {self.choice(['np.diagonal({y})', '{y}.diagonal()'])}"
                         .format(y=y))
        trips = self.integer(1, shape[0])
        idx = "i" if len(shape) == 1 or self.flip() else f"i, {self.integer(0, shape[1] - 1)}"
        update = self.choice([f"{y}[{idx}] * 0.5 + 0.1 * i", f"np.sin({y}[{idx}]) * 1.5",
                              f"{y}[{idx}] + {y}[{idx}] ** 2 * 0.25"])
        lines += [f"for i in range({trips}):", f"    {y}[{idx}] = {update}"]
        t = self.fresh("t")
        use = self.choice(["np.sin({u})", "{u} * 2.0", "{u} ** 2", "np.tanh({u}) + {u}"])
        lines.append(f"{t} = {use.format(u=v)}")
        return lines, t

    def effect(self, kind: str):
        """A statement run only for what it prints, logs or warns, maybe in a loop or branch."""
        x = self.operand()
        if kind == "print":
            form = self.choice(['print("{x} =", np.sum({v}))',
                                'print("{x} =", np.sum({v}), "shape", np.shape({v}))'])
        elif kind == "logging":
            form = self.choice(['log.info("{x} = %.6f", np.sum({v}))',
                                'log.debug("{x} has shape %s", np.shape({v}))'])
        else:
            form = self.choice(['warnings.warn("{x} = " + str(np.sum({v})))',
                                'warnings.warn("{x} computed")'])
        stmt = form.format(x=x, v=x)
        where = self.choice(["plain", "plain", "loop", "branch", "helper"])
        if where == "helper":
            # In a helper of the module's: its derivative recomputes the helper, which must
            # not report twice, nor drop the report where the result is not needed.
            self.helper_count += 1
            h = f"e{self.helper_count}"
            ret = self.choice(["np.sin(u) * 2.0", "np.sum(u * u)", "u + 1.0", "0.0"])
            helper = [f"def {h}(u):", "    " + form.format(x=x, v="u"), f"    return {ret}"]
            t = self.fresh("t")
            lines = [f"{t} = {h}({x})"]
            if self.flip():
                return lines, x, helper  # the result unused: called for its report
            t2 = self.fresh("t")
            lines.append(f"{t2} = {x} * np.tanh({t})")
            return lines, t2, helper
        if where == "plain":
            lines = [stmt]
        elif where == "loop":
            lines = [f"for i in range({self.integer(1, 2)}):", f"    {stmt}"]
        else:
            test = self.condition()
            if test is None:
                return None
            lines = [f"if {test}:", f"    {stmt}"]
        return lines, x

    def complex_value(self, kind: str):
        """A complex intermediate (``x * 1j``, ``np.exp(1j * x)``, ``complex(s, 0.5)``,
        ``np.fft.fft(x)``)."""
        if kind == "builtin":
            x = self.operand(lambda s: s == ())
        elif kind == "fft":
            x = self.operand(lambda s: len(s) >= 1)
        else:
            x = self.operand()
        z = self.fresh("z")
        make = {
            "multiply": self.choice(["{x} * 1j", "1j * {x} + 0.5", "{x} + 2j"]),
            "exp": self.choice(["np.exp(1j * {x})", "np.exp({x} * 1j) * 0.5"]),
            "builtin": self.choice(["complex({x}, 0.5)", "complex(0.5, {x})"]),
            "fft": self.choice(["np.fft.fft({x}) * 0.25", "np.fft.ifft({x}, axis=0)",
                                "np.fft.fft({x} * 1j, norm='ortho')"]),
        }[kind].format(x=x)
        t = self.fresh("t")
        back = self.choice(["np.real({z} * {z})", "np.imag({z}) * 2.0", "np.abs({z})",
                            "({z} * np.conj({z})).real"] + (["{z}.real + {z}.imag"]
                                                          if kind != "builtin" else []) +
                           (["np.real(np.fft.ifft({z} * {z}))", "np.angle({z} + 3.0)"]
                            if kind == "fft" else []))
        return [f"{z} = {make}", f"{t} = {back.format(z=z)}"], t

    def shifted(self, kind: str):
        """``m = np.max(x, ...)`` (or ``min``, or the method) and a use of it: the
        numerically stable logsumexp, softmax or log-softmax, or (``dependent``) one
        whose value changes with ``m``, where the maximum's own derivative counts."""
        x = self.operand(lambda s: len(s) >= 1)
        nd = np.ndim(self.env[x])
        axis = self.choice([None] + list(range(-nd, nd)))
        keep = self.flip(0.5)
        fn = self.choice(["max", "min"])
        if kind == "dependent" and not all(_max_gap_ok(env[x] * (1 if fn == "max" else -1),
                                                       axis) for env in self.envs):
            return None
        m = self.fresh("m")
        kw = ("" if axis is None else f"axis={axis}") + (", keepdims=True" if keep else "")
        kw = kw.lstrip(", ")
        if self.flip(0.3):
            make = f"{x}.{fn}({kw})"
        else:
            make = f"np.{fn}({x}{', ' + kw if kw else ''})"
        mb = m if keep or axis is None else f"np.expand_dims({m}, {axis})"
        # x - m for a maximum, m - x for a minimum: exp of it is at most 1.
        d = f"{x} - {mb}" if fn == "max" else f"{mb} - {x}"
        sign = "+" if fn == "max" else "-"
        red = "" if axis is None else f", axis={axis}"
        t = self.fresh("t")
        if kind == "logsumexp":
            s_kw = red + (", keepdims=True" if keep else "")
            expr = f"{m} {sign} np.log(np.sum(np.exp({d}){s_kw}))"
        elif kind == "softmax":
            e = self.fresh("e")
            return [f"{m} = {make}", f"{e} = np.exp({d})",
                    f"{t} = {e} / np.sum({e}{red}, keepdims=True)"], t
        elif kind == "log_softmax":
            expr = f"({d}) - np.log(np.sum(np.exp({d}){red}, keepdims=True))"
        else:
            expr = self.choice([f"np.exp({d})", f"np.exp({d}) * {mb}",
                                f"2.0 * {m} + np.log(np.sum(np.exp({d}){red}))",
                                f"{m} + np.sum(np.exp({d}){red})"])
        return [f"{m} = {make}", f"{t} = {expr}"], t

    def join(self, kind: str):
        """An array updated in place, then an ``if`` or loop joining it with another name.

        In one branch (or in the loop) the value passes on unchanged (``t = y``) or
        through a sum (``t = y + o``), whose adjoint is the incoming one for both terms:
        the reversed update of ``y`` then zeroes part of an adjoint another name holds.
        """
        x = self.operand(lambda s: len(s) >= 1)
        shape = _shape(self.env[x])
        y = self.fresh("y")
        idx = self.index_expr(shape, slicing=self.flip(0.3))
        slot = np.empty(shape)[eval(f"np.s_[{idx}]")].shape
        value = self.value_into(slot, avoid=())
        value = re.sub(rf"(?<![\w.]){re.escape(x)}(?![\w])", y, value) if self.flip(0.4) \
            else value
        lines = [f"{y} = {x}.copy()", f"{y}[{idx}] {self.choice(['=', '+='])} {value}"]
        same = [n for n in self.names(lambda s: s == shape) if n != x]
        o = self.choice(same) if same and self.flip(0.7) else x
        if self.flip(0.3):  # a second array updated in place, the other term of the join
            o2 = self.fresh("y")
            lines += [f"{o2} = {o}.copy()", f"{o2}[{self.index_expr(shape, slicing=False)}] "
                      f"= {self.constant()}"]
            o = o2
        t = self.fresh("t")
        unchanged = self.choice([y, f"{y} + {o}", f"{o} + {y}", f"{y} - {o}"])
        if kind.startswith("if"):
            test = self.condition()
            if test is None:
                return None
            other = self.choice([f"np.sin({y}) * {o}", f"{y} * 2.0", o, f"{o} * 0.5"])
            first, second = (unchanged, other) if kind == "if_then" else (other, unchanged)
            if kind == "if_only":  # the value before the if joins the branch's
                first, second = (first, second) if self.flip() else (second, first)
                lines += [f"{t} = {first}", f"if {test}:", f"    {t} = {second}"]
            else:
                lines += [f"if {test}:", f"    {t} = {first}", "else:", f"    {t} = {second}"]
        else:
            trips = self.integer(1, 3)
            self.noticed.add("loop:runs")
            if kind == "loop_init":
                lines += [f"{t} = {unchanged}", f"for i in range({trips}):",
                          f"    {t} = {self.wrap(self.unary(t))} * 0.5 + {y}"]
            elif kind == "loop_body":
                u = self.fresh("u")
                lines += [f"{t} = {y} * 0.5", f"for i in range({trips}):",
                          f"    {u} = {t}", f"    {t} = {self.wrap(self.unary(u))} * 0.5 + {o}"]
            else:
                j = self.integer(0, trips - 1)
                lines += [f"{t} = {o} * 0.5", f"for i in range({trips}):",
                          f"    if i == {j}:", f"        {t} = {unchanged}",
                          "    else:", f"        {t} = {t} * 0.5 + {y}"]
        if self.flip(0.3):
            lines.append(f"{t} = {t} + {y}")
        return lines, t

    # -- running -------------------------------------------------------------------------
    def run(self, lines, helpers=()) -> list[dict] | None:
        """Run the program so far plus ``lines``; the operand values, per scenario."""
        envs = []
        code = "\n".join(self.lines + list(lines))
        helper_code = "\n\n".join("\n".join(h) for h, _ in self.helpers + list(helpers))
        for consts in self.scenarios:
            glob = _module_names()
            me = _Self()
            for k, v in consts.items():
                if k.startswith("self."):
                    setattr(me, k[5:], _fresh(v))
                else:
                    glob[k] = _fresh(v)
            local = {k: _fresh(v) for k, v in self.start.items()}
            local["self"] = me
            try:
                with np.errstate(all="raise"), quiet():
                    exec(helper_code, glob)
                    exec(code, glob, local)
            except (ValueError, IndexError, TypeError, FloatingPointError, ZeroDivisionError):
                return None
            env = {}
            for k, v in local.items():
                if isinstance(v, np.ndarray) and v.dtype.kind not in "fiubc":
                    return None
                if not _is_operand(v):
                    continue
                a = np.asarray(v)
                if a.size == 0 or a.ndim > 2:
                    return None
                if not np.all(np.isfinite(a)) or np.max(np.abs(a)) > BOUND:
                    return None
                env[k] = v
            for k, v in consts.items():
                env[k] = v
            envs.append(env)
        return envs

    def run_values(self, lines) -> dict | None:
        """The values after ``lines`` in the first scenario, without bounds (a probe)."""
        glob = _module_names()
        local = {k: _fresh(v) for k, v in self.start.items()}
        me = _Self()
        for k, v in self.scenarios[0].items():
            if k.startswith("self."):
                setattr(me, k[5:], _fresh(v))
            else:
                glob[k] = _fresh(v)
        local["self"] = me
        try:
            with np.errstate(all="ignore"), quiet():
                exec("\n\n".join("\n".join(h) for h, _ in self.helpers), glob)
                exec("\n".join(self.lines + list(lines)), glob, local)
        except Exception:
            return None
        return local

    def base_kinds(self):
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
            kinds += [(kind, None)] * (weight if flag else 0)
        return kinds

    def family_kinds(self):
        """(statement maker, family) for the families this program uses."""
        kinds = []
        for fam in sorted(self.families):
            group, _, kind = fam.partition(":")
            if group == "view" and kind.startswith("loop_"):
                kinds.append((lambda k=kind[5:]: self.view_loop(k), fam))
            elif group == "view":
                kinds.append((lambda k=kind: self.view_update(k), fam))
            elif group == "random":
                kinds.append((lambda k=kind: self.random_draw(k), fam))
            elif group in ("dict", "list"):
                kinds.append((lambda k=f"{group}_{kind}": self.container_update(k), fam))
            elif group == "effect":
                kinds.append((lambda k=kind: self.effect(k), fam))
            elif group == "complex":
                kinds.append((lambda k=kind: self.complex_value(k), fam))
            elif group == "join":
                kinds.append((lambda k=kind: self.join(k), fam))
            elif group == "shift":
                kinds.append((lambda k=kind: self.shifted(k), fam))
            elif group == "helper":
                kinds.append((lambda k=kind: self.helper_call(k), fam))
            elif group == "fancy":
                kinds.append((lambda k=kind: self.fancy_setitem(k), fam))
            elif group == "container":
                kinds.append((lambda k=kind: self.container_loop(k), fam))
            elif (group in ("global", "attribute") or fam == "target:method") and self.consts:
                kinds.append((self.global_read, fam))
        return kinds

    def statement(self, only=None) -> None:
        """Append one statement: of the kinds in ``only``, or of any kind in use."""
        kinds = only or self.base_kinds() + self.family_kinds() * 3
        for _ in range(ATTEMPTS):
            kind, fam = self.choice(kinds)
            self.noticed = set()
            try:
                made = kind()
            except _NoCandidate:
                made = None
            if made is None or self.noticed & self.exclude:
                continue
            lines, target, *helper = made
            helpers = [(helper[0], fam)] if helper else []
            envs = self.run(lines, helpers)
            if envs is None:
                continue
            self.envs = envs
            self.lines += lines
            self.tags += [fam] * len(lines)
            self.helpers += helpers
            self.used |= self.noticed
            if fam is not None:
                self.used.add(fam)
                self.marked.append(target)
            self.last = target
            self.tick += 1
            self.order[target] = self.tick
            return

    def result_expr(self) -> str:
        """``np.sum`` of the last value, plus the values the families' statements made."""
        names = [self.last] + [m for m in self.marked if m != self.last and m in self.env]
        return " + ".join(f"np.sum({n})" for n in dict.fromkeys(names))

    def body(self) -> list[tuple[str, str | None]]:
        body = [("    " + ln, tag) for ln, tag in zip(self.lines, self.tags)]
        return body + [(f"    return {self.result_expr()}", None)]


@st.composite
def programs(draw, families=None, exclude=frozenset(), extra: float = 0.25) -> Program:
    """A random program using the base constructs and at most two families.

    ``families`` restricts which families may be drawn (all enabled ones by default)
    and ``exclude`` removes some; with ``families`` given, one of them is always used.
    """
    allowed = sorted(f for f, on in FAMILIES.items() if on and f not in exclude
                     and f not in INCIDENTAL and (families is None or f in families))
    chosen: list[str] = []
    if allowed and (families is not None or draw(st.integers(0, 99)) < 80):
        chosen.append(draw(st.sampled_from(allowed)))
        if draw(st.integers(0, 99)) < int(extra * 100):
            second = draw(st.sampled_from(allowed))
            if second.split(":")[0] != chosen[0].split(":")[0] or second.startswith(
                    ("view:", "fancy:", "helper:")):
                chosen.append(second)
    off = frozenset(exclude) | {f for f, on in FAMILIES.items() if not on}
    return draw(_program_with(frozenset(chosen), off))


@st.composite
def _program_with(draw, chosen: frozenset, exclude: frozenset = frozenset()) -> Program:
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    family = [(), (n,), (m, n), (m, 1), (1, n), (n, m)]
    count = draw(st.integers(2, 3))
    shapes = [draw(st.sampled_from(family)) for _ in range(count)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def uniform(shape, lo=-1.5, hi=1.5):
        v = np.round(rng.uniform(lo, hi, size=shape), 3)
        return float(v) if shape == () else v

    names = ["a", "b", "c"][:count]
    needs_2d = any(f in chosen for f in (
        "view:diagonal", "view:diagonal_method", "view:fliplr", "view:rot90", "view:rows",
        "view:loop_column", "view:loop_diagonal"))
    if needs_2d and not any(len(s) == 2 for s in shapes):
        shapes[0] = (m + 1, n)
    needs_array = any(f.startswith(("view:", "helper:", "fancy:", "container:", "join:",
                                    "complex:fft")) for f in chosen)
    if needs_array and not any(len(s) >= 1 for s in shapes):
        shapes[0] = (n,)
    if "complex:builtin" in chosen and () not in shapes:
        shapes[-1] = ()
    inputs = {k: uniform(s) for k, s in zip(names, shapes)}

    # -- a list of layers as a parameter ------------------------------------------------
    containers = {}
    container = next((f for f in chosen if f.startswith("container:")), None)
    if container is not None:
        width = np.shape(next(v for v in inputs.values() if np.ndim(v) >= 1))[-1]
        depth = draw(st.integers(1, 3))
        layers = [(uniform((width, width), -0.8, 0.8), uniform((width,), -0.5, 0.5))
                  for _ in range(depth)]
        if "dicts" in container:
            layers = [{"W": W, "b": b} for W, b in layers]
        containers["ps"] = layers
        chosen = frozenset(f for f in chosen if not f.startswith("container:")
                           or f == container)

    # -- constants: module globals and self attributes, maybe rebound --------------------
    target = next((f.split(":")[1] for f in sorted(chosen) if f.startswith("target:")), "def")
    if "attribute:rebind" in chosen:
        target = "method"
    chosen = frozenset(f for f in chosen if not f.startswith("target:")
                       or f == f"target:{target}")
    if target == "method":
        chosen |= {"target:method"}
    if "global:rebind" in chosen and not chosen & {"global:float", "global:array"}:
        chosen |= {draw(st.sampled_from(["global:float", "global:array"]))}
    some_shape = np.shape(next((v for v in inputs.values() if np.ndim(v) >= 1), 0.0))
    consts: dict[str, object] = {}
    if "global:float" in chosen:
        consts["LAM"] = float(draw(st.sampled_from(CONSTANTS)))
    if "global:array" in chosen:
        consts["SHIFT"] = uniform(draw(st.sampled_from([some_shape, some_shape[-1:]])))
    if target == "method":
        consts["self.k"] = float(draw(st.sampled_from(CONSTANTS)))
        if draw(st.booleans()):
            consts["self.w"] = uniform(some_shape[-1:])
    scenarios = [consts]
    rebound = {k for k in consts if (k.startswith("self.") and "attribute:rebind" in chosen)
               or (not k.startswith("self.") and "global:rebind" in chosen)}
    if rebound:
        second = dict(consts)
        for k in rebound:
            old = consts[k]
            if isinstance(old, float):
                second[k] = float(draw(st.sampled_from([c for c in CONSTANTS
                                                        if float(c) != old])))
            else:
                second[k] = uniform(np.shape(old))
        scenarios.append(second)

    gen = _Generator(draw, inputs, containers, scenarios, chosen, exclude)
    length = draw(st.integers(3, 12))
    forced = {fam: draw(st.integers(0, length - 1)) for _, fam in gen.family_kinds()}
    for position in range(length):
        for fam, at in forced.items():
            if at == position:
                gen.statement(only=[k for k in gen.family_kinds() if k[1] == fam])
        gen.statement()
    return _assemble(draw, gen, target, inputs, containers, scenarios, rebound)


def _assemble(draw, gen: _Generator, target: str, inputs, containers, scenarios,
              rebound) -> Program:
    """The module text around the body: constants, helpers, and the target's form."""
    consts = scenarios[0]
    params = gen.params
    signature = ", ".join(params)
    rows: list[tuple[str, str | None]] = [("import numpy as np", None)]
    if target == "decorated":
        rows.append(("import functools", None))
    if "effect:logging" in gen.used:
        rows.append(("import logging", None))
    if "effect:warnings" in gen.used:
        rows.append(("import warnings", None))
    rows.append(("", None))
    if "effect:logging" in gen.used:
        rows += [("", None), (f"log = logging.getLogger({LOGGER!r})", None)]
    module_consts = [k for k in consts if not k.startswith("self.")]
    if module_consts:
        rows.append(("", None))
        for k in module_consts:
            rows.append((f"{k} = {literal(consts[k])}", None))
    for helper, fam in gen.helpers:
        rows += [("", None), ("", None)] + [(ln, fam) for ln in helper]
    rows += [("", None), ("", None)]
    body = gen.body()
    call_target, cli = "f", "f"
    if target == "method":
        attrs = [k[5:] for k in consts if k.startswith("self.")]
        rows += [("class Model:", None),
                 (f"    def __init__(self, {', '.join(attrs)}):", None)]
        rows += [(f"        self.{a} = {a}", None) for a in attrs]
        rows += [("", None), (f"    def energy(self, {signature}):", None)]
        rows += [("    " + ln, tag) for ln, tag in body]
        values = ", ".join(literal(consts[f"self.{a}"]) for a in attrs)
        rows += [("", None), ("", None), (f"model = Model({values})", None)]
        call_target, cli = "model.energy", None
    elif target == "decorated":
        explicit = draw(st.booleans())
        inner = "fn(*args)" if not explicit else f"fn({signature})"
        outer = draw(st.sampled_from(["2.0 * {c}", "{c} + 1.0", "np.tanh({c})"]))
        rows += [
            ("def scaled(fn):", None),
            ("    @functools.wraps(fn)", None),
            (f"    def wrapper({'*args' if not explicit else signature}):", None),
            (f"        return {outer.format(c=inner)}", None),
            ("", None), ("    return wrapper", None), ("", None), ("", None),
            ("@scaled", None), (f"def f({signature}):", None),
        ] + body
    elif target in ("lambda", "lambda_pair"):
        rows += [(f"def core({signature}):", None)] + body
        rows += [("", None), ("", None)]
        scale = draw(st.sampled_from(["2.0", "0.5", "1.5"]))
        main = f"lambda {signature}: {scale} * core({signature})"
        if target == "lambda":
            rows.append((f"f = {main}", None))
        else:
            decoy = f"lambda {signature}: np.tanh(core({signature}))"
            rows.append(draw(st.sampled_from([
                (f"f, g = {main}, {decoy}", None), (f"g, f = {decoy}, {main}", None),
                (f"g = {decoy}; f = {main}", None), (f"f = {main}; g = {decoy}", None),
            ])))
    else:
        rows += [(f"def f({signature}):", None)] + body
    source = "\n".join(text for text, _ in rows) + "\n"
    may_refuse = frozenset(i + 1 for i, (_, tag) in enumerate(rows) if tag in MAY_REFUSE)
    used = frozenset(gen.used) | frozenset(f for f in gen.families
                                          if f.startswith(("target:", "global:", "attribute:"))
                                          and (not f.startswith("global:") or module_consts))
    rebind = {}
    for k in rebound:
        where = f"model.{k[5:]}" if k.startswith("self.") else k
        rebind[where] = scenarios[1][k]
    args = tuple(inputs.values()) + tuple(containers.values())
    return Program(source, args, tuple(params), call_target, cli, used, may_refuse, rebind)
