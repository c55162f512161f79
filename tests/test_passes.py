"""Pass tests: one small program, one named pass, the exact IR it leaves.

Each file ``tests/passes/<pass>.test`` holds cases of one pass, in the style of mypyc's
test-data files::

    [case mean_of_product]
    -- an optional description, on lines starting with "--" right after the header
    def f(x, y):
        return np.mean(x * y)
    [kinds] f[n], f[n]
    [wrt] x
    [mode] grad
    [out]
    <what the pass left, as adjoint.ir.printer prints it>

The source is ordinary Python (``np`` and ``math`` are imported); the function tested is
the last ``def`` in it, and the others are helpers it may call. Directives, all
optional:

* ``[kinds]`` the argument kinds, written as the printer writes types (``f[n]``,
  ``f[n,1]``, ``f[]``, ``f[*]``, ``float``, ``int``, ``tuple(f[n], float)``,
  ``dict(W: f[n,n], b: f[n])``; see :func:`tests.pass_cases.parse_kinds`). Without
  it nothing is known about the arguments: the shape-generic code the command line
  writes without ``--shapes``.
* ``[wrt]`` the parameters differentiated (default: all of them).
* ``[mode]`` which function the pass runs on: ``primal`` (the primal as every mode
  prepares it), ``grad``, ``value_and_grad``, ``vjp`` or ``jvp`` (the derivative).
  Each file has its default (see ``PASS_MODES``).
* ``[run] N`` the N-th run of the pass on that function (default 1): the second
  simplification of a derivative comes after specialization.
* ``[xfail] reason`` a known wrong output: ``[out]`` holds the right one, written by
  hand and never regenerated; the case fails (strict) once the pass gets it right.

The pipeline (``adjoint.compiler.Compiler.derive``) runs as it does for a real
request, with the named pass watched: the IR is printed and verified right after the
pass returns, and the run stops there. The passes:

* ``canonicalize``: the Python the frontend rewrites early exits into (before lowering).
* ``lower``: the IR right after lowering.
* ``aliasing``: ``accepted``, or the error refusing the program.
* ``activity``: the IR reaching the transform, with the values varied by ``wrt`` and
  those the output depends on (useful).
* ``simplify``: the first simplification of the primal (``[mode] primal``, the
  default) or of the derivative.
* ``specialize``: the first specialization of the derivative, printed with types
  (the calls it replaces stay, unread, for the next simplification to remove).
* ``reverse`` / ``forward``: the derivative as the transform builds it.
* ``naming``: the generated Python of the function (the names are what is tested).

An error for the user's program (an :class:`adjoint.AdjointError`) is the output
instead, its line counted from the case's first source line. A mismatch fails with a
unified diff; ``pytest tests/test_passes.py --regen-passes`` (``make passes``)
rewrites every ``[out]`` section in place, to be reviewed as a diff.
"""

from __future__ import annotations

import ast
import copy
import difflib
from typing import Any

import gast
import pytest

from adjoint import compiler
from adjoint.backend.emit import Emitter
from adjoint.backend.module import function_source
from adjoint.errors import AdjointError
from adjoint.frontend import lower_for, parse_live_function
from adjoint.frontend.canonicalize import Canonicalizer
from adjoint.ir import print_function, printer, verify
from adjoint.ir.core import Function
from adjoint.transforms.ad.activity import useful_values, varied_values
from adjoint.transforms.calls import ModuleFunctions
from adjoint.transforms.requests import Request
from tests.pass_cases import PASSES, Case, function_of, parse, parse_kinds, write_out

#: Each pass and the function it runs on by default.
PASS_MODES = {
    "canonicalize": "primal", "lower": "primal", "aliasing": "primal", "activity": "grad",
    "simplify": "primal", "specialize": "grad", "reverse": "grad", "forward": "jvp",
    "naming": "grad",
}
MODES = ("primal", "grad", "value_and_grad", "vjp", "jvp")


class _Reached(Exception):
    """The watched pass ran: its output, so the pipeline stops there."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


# -- the pipeline up to one pass -------------------------------------------------------------
def _request(case: Case, f: Any, mode: str) -> Request:
    kinds = case.directives.get("kinds")
    arg_types = tuple(parse_kinds(kinds)) if kinds else None
    params = [a.id for a in parse_live_function(f).node.args.args]
    wrt_text = case.directives.get("wrt")
    wrt = [params.index(w.strip()) for w in wrt_text.split(",")] if wrt_text else \
        list(range(len(params)))
    if mode == "primal":
        wrt = []
    return Request(f, mode, tuple(wrt), arg_types, None, len(wrt) > 1, None)


def _watch(monkeypatch: pytest.MonkeyPatch, name: str, show: Any,
           ready: Any = lambda: True, run: int = 1, before: bool = False) -> None:
    """Replace the pass ``compiler.<name>`` by one that runs it and stops with ``show``'s
    text, the ``run``-th time it runs while ``ready()`` holds. With ``before``, the text
    is of what the pass receives (the transforms change their input in place)."""
    real = getattr(compiler, name)
    runs = []

    def watched(*args: Any, **kwargs: Any) -> Any:
        if not ready():
            return real(*args, **kwargs)
        seen = show(args, None) if before else None
        result = real(*args, **kwargs)  # (a refusal it raises is the case's output)
        if before:
            raise _Reached(seen)
        runs.append(None)
        if len(runs) < run:
            return result
        raise _Reached(show(args, result))

    monkeypatch.setattr(compiler, name, watched)


def _verified(fn: Function, types_: bool = False) -> str:
    verify(fn)
    return print_function(fn, types_)


def _after_derivative_built(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A test for ``_watch``: has the transform (reverse or forward) run yet?"""
    built = []
    for name in ("vjp_function", "jvp_function"):
        real = getattr(compiler, name)

        def recording(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            out = _real(*args, **kwargs)
            built.append(out)
            return out

        monkeypatch.setattr(compiler, name, recording)
    return lambda: bool(built)


def _names(fn: Function) -> dict[Any, str]:
    """The names the printer gives ``fn``'s values (as in ``print_function``)."""
    namer = printer._Namer()
    for p in fn.params:
        namer(p)
    printer._print_block(fn.body, namer, [], 1, False)
    return namer.names


def _activity(args: tuple, _result: Any) -> str:
    fn, wrt = args[0], args[1]
    ret = fn.body.ops[-1]
    varied = varied_values(fn, wrt)
    useful = useful_values(fn, ret.operands[0])
    names = _names(fn)
    order = list(names)
    lines = [print_function(fn).rstrip("\n")]
    for label, values in (("varied", varied), ("useful", useful)):
        shown = [names[v] for v in order if v in values]
        lines.append(f"{label}: {', '.join(shown)}")
    return "\n".join(lines)


def run_pass(case: Case, monkeypatch: pytest.MonkeyPatch) -> str:
    """The output of the case's pass (or of the error refusing its program)."""
    pass_name = case.path.stem
    mode = case.directives.get("mode", PASS_MODES[pass_name])
    assert mode in MODES, f"{case.id}: unknown mode {mode!r}"
    f = function_of(case)
    request = _request(case, f, mode)
    if pass_name == "canonicalize":
        parsed = parse_live_function(f)
        node = copy.deepcopy(parsed.node)
        Canonicalizer(node, parsed.loc).run()
        return ast.unparse(gast.gast_to_ast(node))
    if pass_name == "lower":
        try:
            n = len(request.arg_types) if request.arg_types is not None else None
            return _verified(lower_for(f, n))
        except AdjointError as e:
            return _error_text(case, e)
    run = int(case.directives.get("run", "1"))
    if pass_name == "aliasing":
        _watch(monkeypatch, "check_aliasing", lambda args, result: "accepted")
    elif pass_name == "activity":
        for name in ("vjp_function", "jvp_function"):
            _watch(monkeypatch, name, _activity, before=True)
    elif pass_name == "simplify":
        ready = (lambda: True) if mode == "primal" else _after_derivative_built(monkeypatch)
        _watch(monkeypatch, "simplify", lambda args, result: _verified(result), ready,
               run)
    elif pass_name == "specialize":
        _watch(monkeypatch, "specialize", lambda args, result: _verified(args[0], True),
               run=run)
    elif pass_name in ("reverse", "forward"):
        name = "vjp_function" if pass_name == "reverse" else "jvp_function"
        _watch(monkeypatch, name, lambda args, result: _verified(result))
    module = ModuleFunctions(set())
    try:
        ir = compiler.Compiler().derive(request, module)
    except _Reached as reached:
        return reached.text
    except AdjointError as e:
        return _error_text(case, e)
    if pass_name == "naming":
        return "\n".join(function_source(ir, Emitter(ir, {ir.name})))
    return f"the {pass_name} pass did not run"


def _error_text(case: Case, e: AdjointError) -> str:
    text = str(e)
    if e.loc is not None:
        prefix = f"{e.loc}: "
        assert text.startswith(prefix)
        text = f"{case.where(e.loc.line)}:{e.loc.col + 1}: " + text[len(prefix):]
    return f"{type(e).__name__}: {text}"


# -- the tests -------------------------------------------------------------------------------
def _all_cases() -> list[Case]:
    return [case for path in sorted(PASSES.glob("*.test")) for case in parse(path)]


CASES = _all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_pass(case: Case, regen_passes: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # Read again: regenerating the cases before this one may have moved its lines.
    case = next(c for c in parse(case.path) if c.name == case.name)
    got = run_pass(case, monkeypatch).rstrip("\n")
    known_wrong = case.directives.get("xfail")
    if regen_passes and known_wrong is None:
        write_out(case, got)
        return
    want = "\n".join(case.out)
    diff = "\n".join(difflib.unified_diff(
        want.splitlines(), got.splitlines(), f"{case.id} [out]", "actual", lineterm=""))
    if known_wrong is not None:
        if got == want:
            pytest.fail(f"{case.id} is right now: remove its [xfail] line", pytrace=False)
        pytest.xfail(f"{known_wrong}\n{diff}")
    if got != want:
        pytest.fail(f"{case.id} changed (review, then `make passes`):\n{diff}", pytrace=False)


def test_every_pass_has_its_file_and_enough_cases() -> None:
    counts = {path.stem: len(parse(path)) for path in PASSES.glob("*.test")}
    assert set(counts) == set(PASS_MODES), "one data file per pass, named for it"
    assert all(n >= 8 for n in counts.values()), counts


def test_regenerating_an_unchanged_output_changes_nothing(tmp_path) -> None:
    source = (PASSES / "simplify.test").read_text()
    path = tmp_path / "simplify.test"
    path.write_text(source)
    for case in parse(path):
        write_out(case, "\n".join(case.out))
    assert path.read_text() == source


def test_kinds_read_as_the_printer_writes_them() -> None:
    kinds = ["f[n]", "f[n,1]", "f[]", "f[*]", "float", "int", "tuple(f[n], float)",
             "dict(f[n,n], f[n])"]
    parsed = parse_kinds("f[n], f[n,1], f[], f[*], float, int, tuple(f[n], float), "
                         "dict(W: f[n,n], b: f[n])")
    assert [str(k) for k in parsed] == kinds
    assert parsed[-1].keys == ("W", "b")
    with pytest.raises(ValueError, match="unknown kind"):
        parse_kinds("matrix")
