"""Every rule is right over its whole argument space, not at one sample.

Each family of rules declares the calls it supports (``adjoint/rules/spaces.py``): which
parameters, which forms of ``axis``, ``keepdims``, ``ddof``, ``ord``, ``dtype``...
``test_rule_space`` draws calls from that space with Hypothesis, for every callable
with built-in rules: scalars, 0-d and n-d arrays, float32 and float64, length-0 and
length-1 dimensions, broadcasting shapes, negative and tuple axes, options passed by
position or keyword, methods (``x.var(axis=-1)``), and options whose value is only known
at run time. Each call is written as source (see ``rule_calls.py``) and checked:

* NumPy accepts it and its result is finite (otherwise Hypothesis draws another);
* ``adjoint.vjp`` and ``adjoint.jvp`` generate code that compiles and runs;
* the value it computes has NumPy's dtype and shape, tangents have the value's,
  cotangents their input's (in one precision: float32 stays float32);
* the VJP against central differences (every input coordinate), the JVP against them
  (along a random direction), and ``<u, jvp(v)> == <vjp(u), v>``, in float64 (a float32
  call is compared with its float64 twin);
* second derivatives (the first call drawn for each callable): the derivative code
  differentiated again, in all four orders of modes, against central differences of the
  gradient (every rule's VJP and JVP are written with callables that have rules);
* the modules the command line writes (``adjoint grad``, both modes, with ``--shapes``
  or shape-generic) agree with the API.

``make test`` draws a few calls per callable, the same ones each run; ``make fuzz-rules``
many more (``ADJOINT_RULE_EXAMPLES``), from a new seed each run (``SEED=n`` repeats one).
Calls outside a space are refused when the derivative is made
(``test_unsupported_arguments_are_refused``).
"""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st

import adjoint
from adjoint.rules import JVP, VJP
from adjoint.rules.catalog import public_name
from adjoint.rules.registry import is_builtin
from adjoint.rules.spaces import SPACES, Array, Custom, Space
from tests.rule_calls import Arg, Call, Rejected, check_call, env_examples, load
from tests.rule_draws import calls

EXAMPLES = env_examples(3)
#: ADJOINT_RULE_RANDOM=1 (``make fuzz-rules``) draws from a new seed each run.
DERANDOMIZE = os.environ.get("ADJOINT_RULE_RANDOM", "0") != "1"
#: ADJOINT_RULE_SHRINK=0 reports failures as drawn, without looking for smaller ones.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + (
    [Phase.shrink] if os.environ.get("ADJOINT_RULE_SHRINK", "1") != "0" else [])


def _public_rules() -> list[tuple[str, object]]:
    """Every built-in rule but the runtime helpers' (their callers are generated code)."""
    keys: dict[str, object] = {}
    for table in (VJP, JVP):
        for key in table:
            name = public_name(key)
            if is_builtin(key) and not name.startswith("adjoint.runtime."):
                keys.setdefault(name, key)
    return sorted(keys.items())


RULES = _public_rules()
#: Rules of dict operations: their calls take dicts, which the drawers do not make; they
#: are checked on programs in tests/test_python_constructs.py and tests/test_containers.py.
DRAWN = [(n, k) for n, k in RULES
         if not any(isinstance(f, Custom) and f.kind in ("mapping", "key")
                    for f in SPACES[k].args.values())]


def test_every_rule_declares_its_argument_space():
    missing = [name for name, key in RULES if key not in SPACES]
    assert not missing, f"rules without a space in adjoint/rules/spaces.py: {missing}"


@pytest.mark.parametrize("key", [k for _, k in RULES], ids=[n for n, _ in RULES])
def test_spaces_name_the_rules_parameters(key):
    """A space's parameters are its rules' (what the compile-time check binds to)."""
    space = SPACES[key]
    for table in (VJP, JVP):
        params = table[key].params
        unknown = [n for n in space.args if n not in params]
        assert not unknown, f"{public_name(key)}: {unknown} are not parameters of its rule"
    try:
        sig = list(inspect.signature(key).parameters)
    except (TypeError, ValueError):
        return
    named = [n for n in space.args if n in sig]
    assert named == sorted(named, key=sig.index), "parameters out of the signature's order"


#: Second derivatives, in every order of modes (reverse over reverse, forward over reverse,
#: reverse over forward, forward over forward): on the first call drawn for each callable
#: (``make test``), or on every call (ADJOINT_RULE_SECOND=all, ``make fuzz-rules``).
SECOND = os.environ.get("ADJOINT_RULE_SECOND", "first")
_SECOND_DONE: set[str] = set()


@pytest.mark.parametrize("key", [k for _, k in DRAWN], ids=[n for n, _ in DRAWN])
@settings(max_examples=EXAMPLES, derandomize=DERANDOMIZE, database=None, deadline=None,
          suppress_health_check=list(HealthCheck), phases=PHASES, print_blob=True)
@given(data=st.data())
def test_rule_space(key, data):
    """First derivatives, and second derivatives: every rule's derivative code has rules."""
    call = data.draw(calls(key, SPACES[key]))
    second = "all" if SECOND == "all" or call.name not in _SECOND_DONE else ""
    try:
        check_call(call, second=second)
    except Rejected:
        reject()
    _SECOND_DONE.add(call.name)


# -- the layer norm, and its siblings ----------------------------------------------------------
X = np.random.default_rng(7).normal(size=(3, 4, 5))


def _call(fn, space_key=None, **options) -> Call:
    """``fn(a, **options)`` as a drawn call would be (options as literals)."""
    key = space_key or fn
    args = [Arg(next(iter(SPACES[key].args)), X, "input")]
    args += [Arg(k, v, "option", keyword=True) for k, v in options.items()]
    return Call(key, SPACES[key], args)


SIBLINGS = [
    (np.var, dict(axis=-1, keepdims=True)),
    (np.var, dict(axis=(0, -1), ddof=1)),
    (np.std, dict(axis=(-1, 0), keepdims=True, ddof=1)),
    (np.std, dict(axis=-2)),
    (np.mean, dict(axis=(-2, -1), keepdims=True)),
    (np.sum, dict(axis=-1, keepdims=True)),
    (np.sum, dict(axis=(2, -3))),
    (np.max, dict(axis=-1, keepdims=True)),
    (np.max, dict(axis=(0, -1))),
    (np.linalg.norm, dict(axis=-1, keepdims=True)),
    (np.linalg.norm, dict(axis=(-2, -1))),
    (np.linalg.norm, dict(ord=1, axis=-1)),
]


@pytest.mark.parametrize("fn, options", SIBLINGS,
                         ids=[f"{f.__name__}-{o}" for f, o in SIBLINGS])
@pytest.mark.parametrize("shapes", [False, True], ids=["generic", "shapes"])
def test_negative_and_tuple_axes(fn, options, shapes):
    call = _call(fn, **options)
    call.cli_shapes = shapes
    if fn is np.max:
        call.args[0].value = np.argsort(np.argsort(X, axis=None)).reshape(X.shape) * 0.1 + 0.05
    check_call(call)


@pytest.mark.parametrize("fn, options", [
    (np.var, dict(axis=(1, -1), ddof=1)), (np.sum, dict(axis=-2, keepdims=True)),
    (np.linalg.inv, {}), (np.transpose, dict(axes=(4, 0, -2, 1, 2))), (np.tril, dict(k=-1)),
], ids=["var", "sum", "inv", "transpose", "tril"])
def test_arrays_of_any_rank(fn, options):
    """Spaces say "rank 2 or more", and mean it: rank 5 here, where the search stops at 3."""
    x = np.random.default_rng(3).normal(size=(2, 1, 3, 2, 2))
    if fn is np.linalg.inv:
        x = x + 3.0 * np.eye(2)
    call = _call(fn, **options)
    call.args[0].value = x
    check_call(call)


def layer_norm(x, g, b):
    mu = np.mean(x, axis=-1, keepdims=True)
    v = np.var(x, axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(v + 1e-5) * g + b


def test_layer_norm_in_both_modes():
    r = np.random.default_rng(0)
    x, g, b = r.normal(size=(3, 4)), r.normal(size=4), r.normal(size=4)
    u = r.normal(size=(3, 4))
    dx, dg, db = adjoint.vjp(layer_norm, wrt=(0, 1, 2))(x, g, b, u)
    h = 1e-6
    for k, (arg, grad) in enumerate([(x, dx), (g, dg), (b, db)]):
        v = r.normal(size=arg.shape)
        args_p = [x, g, b]
        args_m = [x, g, b]
        args_p[k], args_m[k] = arg + h * v, arg - h * v
        fd = (layer_norm(*args_p) - layer_norm(*args_m)) / (2 * h)
        np.testing.assert_allclose(np.sum(grad * v), np.sum(fd * u), rtol=1e-6)
        _, tangent = adjoint.jvp(layer_norm, wrt=k)(x, g, b, v)
        np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-9)


LAYER_NORM_FILE = """\
import numpy as np


def loss(x, g, b):
    mu = np.mean(x, axis=-1, keepdims=True)
    v = np.var(x, axis=-1, keepdims=True)
    return np.sum(((x - mu) / np.sqrt(v + 1e-5) * g + b) ** 2)
"""


@pytest.mark.parametrize("shapes", [[], ["-s", "x=3,4", "-s", "g=4", "-s", "b=4"]],
                         ids=["generic", "shapes"])
def test_layer_norm_from_the_command_line(tmp_path, shapes):
    from click.testing import CliRunner

    from adjoint.cli import main

    path = tmp_path / "layer_norm.py"
    path.write_text(LAYER_NORM_FILE)
    runner = CliRunner()
    for mode in ("reverse", "forward"):
        out = tmp_path / f"layer_norm_{mode}.py"
        result = runner.invoke(main, ["grad", f"{path}::loss", "--wrt", "x,g,b", "--mode", mode,
                                      "-o", str(out), *shapes])
        assert result.exit_code == 0, result.output
        compile(out.read_text(), str(out), "exec")
    # `adjoint check` compares with finite differences, and with the module it writes.
    result = runner.invoke(main, ["check", f"{path}::loss", "--wrt", "x,g,b", "-s", "x=3,4",
                                  "-s", "g=4", "-s", "b=4"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok:")


# -- what a space leaves out is refused when the derivative is made -------------------------
def var_of_the_mean(x, m):
    return np.var(x, mean=m)


def sum_where(x):
    return np.sum(x, where=x > 0)


def pad_linear_ramp(x):
    return np.sum(np.pad(x, 2, mode="linear_ramp"))


def pad_odd(x):
    return np.sum(np.pad(x, 2, mode="reflect", reflect_type="odd"))


def ravel_k(x):
    return np.sum(np.ravel(x.T, order="K"))


def sum_int(x):
    return np.sum(x, dtype=np.int64)


def norm_of_an_unknown_order(x):
    return np.linalg.norm(x, ord="nope")


def triu_of_a_vector(x):
    return np.sum(np.triu(x[0]))


@pytest.mark.parametrize("fn, words", [
    (sum_where, ["'numpy.sum'", "'where'", "a, axis, dtype, keepdims"]),
    (pad_linear_ramp, ["mode", "'linear_ramp'", "'constant'"]),
    (pad_odd, ["reflect_type", "'odd'"]),
    (ravel_k, ["order", "'K'"]),
    (sum_int, ["dtype", "floating dtype"]),
    (norm_of_an_unknown_order, ["ord", "'nope'"]),
    (triu_of_a_vector, ["'numpy.triu'", "rank 2 or more", "rank 1"]),
])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_unsupported_arguments_are_refused(fn, words, mode):
    x = np.random.default_rng(1).normal(size=(3, 4))
    with pytest.raises(adjoint.UnsupportedArgumentError) as info:
        if mode == "reverse":
            adjoint.vjp(fn)(x, 1.0)
        else:
            adjoint.jvp(fn)(x, x)
    message = str(info.value)
    assert "test_rule_spaces.py:" in message, message
    for w in words:
        assert w in message, message


def test_an_unsupported_keyword_from_a_newer_numpy_is_refused():
    x = np.ones((3, 4))
    with pytest.raises(adjoint.UnsupportedArgumentError, match="'mean'"):
        adjoint.vjp(var_of_the_mean)(x, np.zeros((1, 1)), 1.0)


def test_a_call_drawn_from_a_space_reads_as_code():
    call = _call(np.var, axis=-1, keepdims=True)
    source = call.source(np.zeros((3, 4, 1)))
    assert "def call(a):\n    return np.var(a, axis=-1, keepdims=True)" in source
    module, _ = load(source)
    np.testing.assert_allclose(module.call(X), np.var(X, axis=-1, keepdims=True))


def test_spaces_are_what_docs_rules_md_lists():
    from adjoint.rules.catalog import markdown

    text = markdown()
    assert "## Supported arguments" in text
    assert "`numpy.var`" in text.split("## Supported arguments")[1]
    s: Space = SPACES[np.var]
    assert isinstance(s.args["a"], Array)

