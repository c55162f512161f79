"""Checking a generated program's derivatives four ways, and judging what went wrong.

A :class:`~random_programs.Program` is written to a module file (adjoint reads the
source of what it differentiates), imported, and its target checked:

* ``reverse``: ``adjoint.grad`` against central differences (:func:`check_grads`);
* ``forward``: ``adjoint.jvp`` along a random tangent against the central difference
  of ``f`` along it;
* ``dot``: forward against reverse, ``jvp(f, wrt=i)(*args, v) == <grad_i f, v>``, one
  input at a time and all at once;
* ``second``: second order, ``hvp`` of the first input (forward mode over the generated
  gradient) along a random tangent against the central difference of the gradient;
* ``cli``: the standalone module written by ``adjoint grad FILE::f --wrt ... -o OUT``,
  imported and called, against the API's gradient (or against finite differences
  when the API had none);
* ``rebind``: for programs whose module globals or attributes change after the first
  call, the same derivative objects called again must follow the new values;
* ``effects``: for programs that print, log or warn, the gradient and the ``jvp`` must
  print, log and warn exactly what the function does, once per call.

Every call gets its own copies of the arguments: generated functions may update them.
An ``adjoint.AdjointError`` is a right answer only where refusing is (at a line written
by a family in ``MAY_REFUSE``); a wrong number, a crash or any other refusal is a
:class:`Finding`.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import logging
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from click.testing import CliRunner

import adjoint
from adjoint.cli import main as cli_main
from adjoint.testing import check_grads
from tests.random_programs import CLI_MAY_REFUSE, EFFECTS, LOGGER, Program, quiet

EPS = 1e-6  # step of the central differences, relative to the entry's size
RTOL, ATOL = 1e-5, 1e-8  # check_grads' tolerances: finite differences against derivatives
TIGHT = 1e-9  # two derivatives computed exactly (reverse and forward, CLI and API)


@dataclass(frozen=True)
class Finding:
    """One check that did not give a right answer: ``wrong``, ``crash`` or ``refused``."""

    check: str
    kind: str
    message: str

    def __str__(self) -> str:
        first = self.message.strip().splitlines()
        return f"[{self.check}] {self.kind}: " + "\n    ".join(first[:12])


# -- structures and finite differences ------------------------------------------------------
def fresh(x):
    """A copy of ``x`` whose arrays, also inside tuples, lists and dicts, are new."""
    if isinstance(x, (tuple, list)):
        return type(x)(fresh(e) for e in x)
    if isinstance(x, dict):
        return {k: fresh(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return x.copy()
    return x


def leaves(x) -> list:
    if isinstance(x, (tuple, list)):
        return [leaf for e in x for leaf in leaves(e)]
    if isinstance(x, dict):
        return [leaf for k in x for leaf in leaves(x[k])]
    return [x]


def rebuild(x, new: list):
    it = iter(new)

    def go(node):
        if isinstance(node, (tuple, list)):
            return type(node)(go(e) for e in node)
        if isinstance(node, dict):
            return {k: go(node[k]) for k in node}
        return next(it)

    return go(x)


def inner(u, v) -> float:
    return float(sum(np.sum(np.asarray(a, dtype=float) * np.asarray(b, dtype=float))
                     for a, b in zip(leaves(u), leaves(v))))


def random_like(x, rng):
    return rebuild(x, [float(rng.normal()) if np.ndim(leaf) == 0
                       else rng.normal(size=np.shape(leaf)) for leaf in leaves(x)])


def call(f, args):
    return f(*fresh(tuple(args)))


def fd_gradient(f, args, precise: bool = False) -> tuple:
    """Central differences of ``f`` with respect to every argument, in its structure.

    ``precise``: in extended precision (``np.longdouble``) with steps a thousand times
    smaller, for functions that vary too fast for float64 steps (``np.sin(np.exp(t))``
    with ``t`` large); only as precise as ``f`` keeps its arguments' precision.
    """
    dtype, eps = (np.longdouble, EPS * 1e-3) if precise else (float, EPS)
    if precise:
        args = tuple(rebuild(a, [np.asarray(x, dtype=dtype) if np.ndim(x) else dtype(x)
                                 if isinstance(x, (float, np.floating)) else x
                                 for x in leaves(a)]) for a in args)
    out = []
    for i, arg in enumerate(args):
        grads = []
        for leaf_index, leaf in enumerate(leaves(arg)):
            g = np.zeros(np.shape(leaf))
            flat = g.reshape(-1)
            for j in range(np.size(leaf)):
                h = eps * max(1.0, abs(float(np.reshape(leaf, -1)[j])))

                def at(step, j=j, leaf=leaf, leaf_index=leaf_index, arg=arg, i=i):
                    moved = list(leaves(arg))
                    x = np.array(leaf, dtype=dtype, order="C")  # (reshape is a view)
                    x.reshape(-1)[j] += step
                    moved[leaf_index] = dtype(x) if np.ndim(leaf) == 0 else x
                    shifted = list(args)
                    shifted[i] = rebuild(arg, moved)
                    return dtype(call(f, shifted))

                flat[j] = richardson(at, h)
            grads.append(float(g) if np.ndim(leaf) == 0 else g)
        out.append(rebuild(arg, grads))
    return tuple(out)


def fd_directional(f, args, tangents, precise: bool = False) -> float:
    """Central difference of ``f`` along ``tangents`` (one per argument); ``precise`` as
    for :func:`fd_gradient`."""
    dtype, eps = (np.longdouble, EPS * 1e-3) if precise else (float, EPS)
    size = max(1.0, max(float(np.max(np.abs(leaf))) for leaf in leaves(args)))
    h = eps * size

    def at(step):
        moved = [rebuild(a, [np.asarray(x, dtype=dtype) + step * np.asarray(t, dtype=dtype)
                             if np.ndim(x) else dtype(x) + step * dtype(t)
                             for x, t in zip(leaves(a), leaves(v))])
                 for a, v in zip(args, tangents)]
        return dtype(call(f, moved))

    return richardson(at, h)


def richardson(at, h: float) -> float:
    """The central difference of ``at`` at 0, extrapolated from steps ``h`` and ``h / 2``:
    its error is of order h**4, not h**2, so strongly curved programs are measured right."""
    wide = (at(h) - at(-h)) / (2 * h)
    narrow = (at(h / 2) - at(-h / 2)) / h
    return (4.0 * narrow - wide) / 3.0


def assert_close(actual, expected, rtol, atol, label) -> None:
    """Leaf by leaf, structure included; NaNs are never equal to anything."""
    la, le = leaves(actual), leaves(expected)
    if len(la) != len(le):
        raise AssertionError(f"{label}: {len(la)} leaves, expected {len(le)}")
    for k, (a, e) in enumerate(zip(la, le)):
        if np.shape(a) != np.shape(e):
            raise AssertionError(f"{label}: leaf {k} has shape {np.shape(a)}, "
                                 f"expected {np.shape(e)}")
        np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(e, dtype=float),
                                   rtol=rtol, atol=atol, err_msg=f"{label}, leaf {k}")


# -- loading ----------------------------------------------------------------------------------
def load(program: Program, directory: Path):
    """Write the program's module into ``directory``, import it; (module, target, path)."""
    name = "random_program_" + hashlib.sha1(program.source.encode()).hexdigest()[:16]
    path = Path(directory) / f"{name}.py"
    path.write_text(program.source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    target = module
    for part in program.target.split("."):
        target = getattr(target, part)
    return module, target, path


def _set(module, where: str, value) -> None:
    owner, _, attr = where.rpartition(".")
    obj = module
    for part in filter(None, owner.split(".")):
        obj = getattr(obj, part)
    setattr(obj, attr, fresh(value))


def _get(module, where: str):
    obj = module
    for part in where.split("."):
        obj = getattr(obj, part)
    return obj


# -- judging exceptions -------------------------------------------------------------------------
def refusal_line(exc: adjoint.AdjointError, path: Path) -> int | None:
    loc = exc.loc
    if loc is None or Path(loc.filename).name != path.name:
        return None
    return loc.line


class _Judge:
    """Runs each check and turns what it raised into findings."""

    def __init__(self, program: Program, path: Path):
        self.program = program
        self.path = path
        self.findings: list[Finding] = []
        self.refusals: list[str] = []

    def run(self, check: str, thunk):
        """``thunk()``, or None when it raised (recorded as a finding or a fine refusal)."""
        try:
            return thunk()
        except adjoint.AdjointError as exc:
            line = refusal_line(exc, self.path)
            text = str(exc)
            if line is not None and line in self.program.may_refuse_lines:
                self.refusals.append(f"[{check}] {text.splitlines()[0]}")
            else:
                where = "no location" if line is None else f"line {line}"
                self.findings.append(Finding(check, "refused",
                                             f"{type(exc).__name__} at {where}: {text}"))
        except Declined as exc:
            self.refusals.append(f"[{check}] declined: {exc}")
        except AssertionError as exc:
            self.findings.append(Finding(check, "wrong", str(exc)))
        except Exception as exc:  # anything else escaping adjoint is a crash
            self.findings.append(Finding(check, "crash", f"{type(exc).__name__}: {exc}"))
        return None


# -- the checks ---------------------------------------------------------------------------------
def check_reverse(f, args):
    try:
        return tuple(check_grads(f, args, wrt=tuple(range(len(args)))))
    except AssertionError as disagreement:
        # Float64 differences cannot resolve a function that varies too fast (a sine of a
        # large exponential): measure again in extended precision before calling it wrong.
        grads = adjoint.grad(f, wrt=tuple(range(len(args))))(*fresh(tuple(args)))
        grads = grads if len(args) > 1 else (grads,)
        scale = max(1.0, abs(float(call(f, args))))
        try:
            assert_close(grads, fd_gradient(f, args, precise=True), RTOL,
                         ATOL * scale, "the gradient against precise differences")
        except Exception:  # noqa: BLE001 - the first disagreement is the finding
            raise disagreement from None
        return tuple(grads)


def check_forward(f, args, tangents):
    """``jvp`` along ``tangents`` against the central difference along them."""
    wrt = tuple(range(len(args)))
    value, tangent = adjoint.jvp(f, wrt=wrt)(*fresh(tuple(args)), *fresh(tuple(tangents)))
    expected = float(call(f, args))
    np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-12,
                               err_msg="jvp's value against f")
    assert np.ndim(tangent) == 0, f"tangent of a scalar output has shape {np.shape(tangent)}"
    fd = fd_directional(f, args, tangents)
    size = sum(np.size(leaf) for leaf in leaves(args))
    scale = max(1.0, abs(expected))
    try:
        np.testing.assert_allclose(float(tangent), fd, rtol=RTOL * 10, atol=ATOL * scale * size,
                                   err_msg="jvp against the central difference along the tangent")
    except AssertionError as disagreement:
        # As for the gradient: measured again in extended precision before it counts.
        precise = float(fd_directional(f, args, tangents, precise=True))
        if not np.isclose(float(tangent), precise, rtol=RTOL * 10, atol=ATOL * scale * size):
            raise disagreement from None
    return float(tangent)


def check_dot(f, args, grads, tangents) -> None:
    """Forward against reverse: ``jvp`` along ``v`` equals ``<grad, v>``, input by input."""
    terms = [inner(g, v) for g, v in zip(grads, tangents)]
    magnitudes = [inner([np.abs(x) for x in leaves(g)], [np.abs(x) for x in leaves(v)])
                  for g, v in zip(grads, tangents)]
    for i in range(len(args)):
        _, tangent = adjoint.jvp(f, wrt=i)(*fresh(tuple(args)), fresh(tangents[i]))
        np.testing.assert_allclose(
            float(tangent), terms[i], rtol=TIGHT, atol=1e-10 * (1.0 + magnitudes[i]),
            err_msg=f"jvp wrt {i} against <grad_{i}, v>",
        )
    _, tangent = adjoint.jvp(f, wrt=tuple(range(len(args))))(*fresh(tuple(args)),
                                                            *fresh(tuple(tangents)))
    np.testing.assert_allclose(
        float(tangent), sum(terms), rtol=TIGHT, atol=1e-10 * (1.0 + sum(magnitudes)),
        err_msg="jvp wrt all inputs against sum of <grad_i, v_i>",
    )


class Declined(Exception):
    """A derivative adjoint declines with a clear error for a documented reason: counted
    with the right refusals, not as a finding."""


def _generated_here(exc: adjoint.AdjointError, path: Path) -> bool:
    return exc.loc is not None and Path(exc.loc.filename).name != path.name


def check_second(f, args, tangents, path: Path | None = None) -> None:
    """Second order: ``hvp`` (forward mode over the generated gradient) along ``v`` against
    the central difference of the gradient along ``v``, for the first argument.

    Generated gradients of targets taking ``*args`` are differentiated again only through
    a function with fixed parameters, and an update in generated code whose arrays'
    kinds the generic helpers hide (``tree_add_at``, a value first bound in a loop) is
    refused as a possible view, and a real value saved beside a complex one (in a helper's
    residuals) is taken to be complex: these are documented refusals
    (``docs/limitations.md``), reported as declined. A wrong number is a finding, as is
    any other refusal."""
    v = tangents[0]
    try:
        hv = adjoint.hvp(f, wrt=0)(*fresh(tuple(args)), fresh(v))
    except adjoint.ArgumentError as exc:
        if "takes *args" in str(exc):
            raise Declined(str(exc)) from None
        raise
    except (adjoint.UnsupportedSyntaxError, adjoint.NonDifferentiableError) as exc:
        text = str(exc)
        if path is not None and _generated_here(exc, path) and (
                "still refers to" in text or "may be complex" in text):
            raise Declined(text.splitlines()[0]) from None
        raise
    grad = adjoint.grad(f, wrt=0)
    size = max(1.0, max(float(np.max(np.abs(leaf))) for leaf in leaves(args[0])))
    h = EPS * size

    def along(step):
        moved = list(fresh(tuple(args)))
        moved[0] = rebuild(args[0], [np.asarray(x) + step * np.asarray(t) if np.ndim(x)
                                     else float(x) + step * float(t)
                                     for x, t in zip(leaves(args[0]), leaves(v))])
        return leaves(grad(*moved))

    ups, downs = along(h), along(-h)
    half_ups, half_downs = along(h / 2), along(-h / 2)
    for k, (got, a, b, c, d) in enumerate(zip(leaves(hv), ups, downs, half_ups, half_downs)):
        fd = (4.0 * (np.asarray(c) - np.asarray(d)) / h - (np.asarray(a) - np.asarray(b))
              / (2 * h)) / 3.0
        scale = 1.0 + float(np.max(np.abs(a)))
        np.testing.assert_allclose(got, fd, rtol=RTOL * 10, atol=ATOL * 10 * scale,
                                   err_msg=f"hvp (item {k}) against differences of the gradient")


_CLI_ERROR = re.compile(r"error: .*?:(\d+):\d+:")


def check_cli(program: Program, path: Path, f, args, reference, fd_based: bool):
    """``adjoint grad FILE::f --wrt ... -o OUT``: the written module against ``reference``.

    Returns "declined" when the command refused cleanly where it may.
    """
    out = path.with_name(path.stem + "_cli_grad.py")
    result = CliRunner().invoke(cli_main, [
        "grad", f"{path}::{program.cli}", "--wrt", ",".join(program.params), "-o", str(out),
    ])
    if result.exit_code != 0:
        text = result.output + (getattr(result, "stderr", "") or "")
        if not isinstance(result.exception, SystemExit):
            import traceback

            tb = "".join(traceback.format_exception(result.exception))
            raise RuntimeError(f"the command crashed:\n{tb}")
        line = _CLI_ERROR.search(text)
        legit = (program.families & CLI_MAY_REFUSE
                 or (line is not None and int(line.group(1)) in program.may_refuse_lines))
        if legit:
            return "declined"
        raise adjoint.AdjointError(f"the command refused (exit {result.exit_code}): {text}")
    spec = importlib.util.spec_from_file_location(out.stem, out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    grads = getattr(module, f"grad_{program.cli}")(*fresh(tuple(args)))
    if len(args) == 1:
        grads = (grads,)
    if fd_based:
        value = float(call(f, args))
        assert_close(grads, reference, RTOL, ATOL * max(1.0, abs(value)),
                     "the command's module against finite differences")
    else:
        assert_close(grads, reference, 1e-8, 1e-10, "the command's module against adjoint.grad")
    return "ok"


def check_rebind(program: Program, module, f, args, tangents) -> None:
    """Derivatives called once, then again after globals/attributes change, follow them."""
    wrt = tuple(range(len(args)))
    dg = adjoint.grad(f, wrt=wrt)
    dj = adjoint.jvp(f, wrt=wrt)
    dg(*fresh(tuple(args)))
    dj(*fresh(tuple(args)), *fresh(tuple(tangents)))
    before = {k: fresh(_get(module, k)) for k in program.rebind}
    try:
        for k, v in program.rebind.items():
            _set(module, k, v)
        value = float(call(f, args))
        scale = max(1.0, abs(value))
        expected = fd_gradient(f, args)
        assert_close(dg(*fresh(tuple(args))), expected, RTOL, ATOL * scale,
                     f"grad after {', '.join(program.rebind)} changed")
        v, t = dj(*fresh(tuple(args)), *fresh(tuple(tangents)))
        np.testing.assert_allclose(v, value, rtol=1e-10, atol=1e-12,
                                   err_msg="jvp's value after the change")
        np.testing.assert_allclose(float(t), inner(expected, tangents), rtol=RTOL * 10,
                                   atol=ATOL * scale * sum(np.size(x) for x in leaves(args)),
                                   err_msg="jvp after the change")
    finally:
        for k, v in before.items():
            _set(module, k, v)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname}: {record.getMessage()}")


def effects_of(thunk) -> tuple[str, list[str], list[str]]:
    """What ``thunk()`` printed, logged (at any level) and warned."""
    logger = logging.getLogger(LOGGER)
    saved = (logger.level, logger.propagate, logger.disabled)
    records = _Records()
    logger.setLevel(logging.DEBUG)
    logger.propagate, logger.disabled = False, False
    logger.addHandler(records)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            thunk()
    finally:
        logger.removeHandler(records)
        logger.setLevel(saved[0])
        logger.propagate, logger.disabled = saved[1], saved[2]
    return (out.getvalue(), records.messages,
            [f"{w.category.__name__}: {w.message}" for w in caught])


def check_effects(f, args, tangents) -> None:
    """The derivatives print, log and warn what ``f`` does, once per call."""
    wrt = tuple(range(len(args)))
    dg, dj = adjoint.grad(f, wrt=wrt), adjoint.jvp(f, wrt=wrt)
    with quiet():  # compiled first: what compiling warns is not the program's doing
        dg(*fresh(tuple(args)))
        dj(*fresh(tuple(args)), *fresh(tuple(tangents)))
    expected = effects_of(lambda: call(f, args))
    got = effects_of(lambda: dg(*fresh(tuple(args))))
    assert got == expected, f"the gradient's effects {got}, the function's {expected}"
    got = effects_of(lambda: dj(*fresh(tuple(args)), *fresh(tuple(tangents))))
    assert got == expected, f"jvp's effects {got}, the function's {expected}"


@dataclass
class Outcome:
    findings: list[Finding]
    refusals: list[str]

    @property
    def ok(self) -> bool:
        return not self.findings

    def report(self, program: Program) -> str:
        return "\n".join([repr(program), *map(str, self.findings)])


def check_program_everywhere(program: Program, directory: Path, cli: bool = True) -> Outcome:
    """All checks of ``program``; what failed, and the refusals that were right answers."""
    if program.families & EFFECTS:
        with quiet():
            return _check_everywhere(program, directory, cli)
    return _check_everywhere(program, directory, cli)


def _check_everywhere(program: Program, directory: Path, cli: bool) -> Outcome:
    module, f, path = load(program, directory)
    args = tuple(fresh(program.args))
    judge = _Judge(program, path)
    tangents = random_like(args, np.random.default_rng(0))
    grads = judge.run("reverse", lambda: check_reverse(f, args))
    forward = judge.run("forward", lambda: check_forward(f, args, tangents))
    if grads is not None and forward is not None:
        judge.run("dot", lambda: check_dot(f, args, grads, tangents))
    if grads is not None and not program.rebind and not program.families & EFFECTS:
        # Effects run once per pass of a multi-pass derivative (documented), rebinding
        # is checked above: the rest is differentiated twice.
        judge.run("second", lambda: check_second(f, args, tangents, path))
    if cli and program.cli is not None:
        if grads is not None:
            judge.run("cli", lambda: check_cli(program, path, f, args, grads, False))
        else:
            judge.run("cli", lambda: check_cli(program, path, f, args,
                                               fd_gradient(f, args), True))
    if program.rebind:
        judge.run("rebind", lambda: check_rebind(program, module, f, args, tangents))
    if program.families & EFFECTS and grads is not None:
        judge.run("effects", lambda: check_effects(f, args, tangents))
    return Outcome(judge.findings, judge.refusals)


def assert_program_right(program: Program, directory: Path, cli: bool = True) -> None:
    """Fail with the program and every finding unless each check gave a right answer."""
    outcome = check_program_everywhere(program, directory, cli)
    if not outcome.ok:
        raise AssertionError(outcome.report(program))
