"""Golden files: the printed IR and the generated module for representative programs.

Every change to what adjoint writes shows up as a diff of these files, to be read and
reviewed like code. Regenerate with ``make golden`` (pytest --regen-golden).
"""

from pathlib import Path

import numpy as np
import pytest

from adjoint import compiler
from adjoint.frontend import lower
from adjoint.ir import print_function
from adjoint.transforms.types import type_of_value
from examples import mlp
from tests import control_programs as C
from tests import programs as P

GOLDEN = Path(__file__).parent / "golden"

CASES = {
    "scalar_poly": (P.scalar_poly, (1.5, 2.0), (0, 1)),
    "softmax_xent": (P.softmax_xent, (np.ones((4, 5)), np.eye(5)[[0, 1, 2, 3]]), 0),
    "mlp_loss": (mlp.loss, (*mlp.init(batch=2)[0], np.ones((2, 784)), np.eye(10)[[1, 2]]),
                 (0, 1, 2, 3, 4, 5)),
    "branch": (C.branch, (1.0, 2.0), (0, 1)),
    "rnn": (C.rnn, (np.ones((3, 4)), np.ones((4, 4)), np.ones(4), np.ones((5, 3)), np.ones(4)),
            (0, 1, 2)),
    "first_large": (C.first_large, (np.ones(5), 1.0), 0),
    "fill_diagonal": (C.fill_diagonal, (np.ones(3),), 0),
    "two_layers": (C.two_layers, (np.ones((2, 3)), np.ones((3, 3)), np.ones((3, 2))), (1, 2)),
    "dict_params": (C.dict_params, ({"W": np.ones((3, 4)), "b": np.ones(4), "scale": 1.0},
                                    np.ones((2, 3))), 0),
}


def render(fn, args, wrt):
    primal = lower(fn)
    wrt_list = list(wrt) if isinstance(wrt, tuple) else [wrt]
    types = [type_of_value(a) for a in args]
    ir = compiler.derive(primal, wrt_list, "grad", types, isinstance(wrt, tuple))
    module = compiler.emit([(ir, None)], f"grad of {fn.__name__}")
    return print_function(primal), module.source


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name, regen_golden):
    fn, args, wrt = CASES[name]
    ir_text, source = render(fn, args, wrt)
    for suffix, text in ((".ir", ir_text), ("_grad.py", source)):
        path = GOLDEN / f"{name}{suffix}"
        if regen_golden:
            GOLDEN.mkdir(exist_ok=True)
            path.write_text(text)
        assert path.exists(), f"missing golden file {path}: run `make golden`"
        assert text == path.read_text(), f"{path.name} changed: review and run `make golden`"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_modules_run_and_match_the_live_gradient(name):
    import adjoint

    fn, args, wrt = CASES[name]
    _, source = render(fn, args, wrt)
    namespace: dict = {}
    exec(compile(source, f"<golden {name}>", "exec"), namespace)
    got = namespace[f"grad_{fn.__name__}"](*args)
    want = adjoint.grad(fn, wrt=wrt)(*args)
    for a, b in zip(got if isinstance(wrt, tuple) else (got,),
                    want if isinstance(wrt, tuple) else (want,)):
        if isinstance(a, dict):
            for k in a:
                np.testing.assert_allclose(a[k], b[k])
        else:
            np.testing.assert_allclose(a, b)


CLI_CASES = {
    "cli_layer_loss_grad": ["tests/cli_programs.py::layer_loss", "--wrt", "W,b"],
    "cli_layer_loss_jvp": ["tests/cli_programs.py::layer_loss", "--wrt", "W", "--mode",
                           "forward"],
    "cli_rosenbrock_grad": ["tests/cli_programs.py::rosenbrock"],
    "cli_generic_grad": ["tests/cli_programs.py::unannotated"],
}


@pytest.mark.parametrize("name", sorted(CLI_CASES))
def test_golden_command_line_modules(name, regen_golden, monkeypatch):
    """What `adjoint grad` writes: from annotations, in forward mode, and shape-generic."""
    from click.testing import CliRunner

    from adjoint.cli import main

    monkeypatch.chdir(GOLDEN.parent.parent)
    result = CliRunner().invoke(main, ["grad", *CLI_CASES[name], "-o", "-"])
    assert result.exit_code == 0, result.output
    path = GOLDEN / f"{name}.py"
    if regen_golden:
        path.write_text(result.output)
    assert path.exists(), f"missing golden file {path}: run `make golden`"
    assert result.output == path.read_text(), f"{path.name} changed: review and run `make golden`"


# Forward mode and shape-generic code through the API's path (the command line's are above).
_RNG = np.random.default_rng(0)

JVP_CASES = {
    "scalar_poly_jvp": (P.scalar_poly, (1.5, 2.0), (0, 1)),
    "branch_jvp": (C.branch, (1.0, 2.0), (0, 1)),
    "softmax_xent_jvp": (P.softmax_xent, (_RNG.normal(size=(4, 5)), np.eye(5)[[0, 1, 2, 3]]),
                         (0,)),
    "rnn_jvp": (C.rnn, (_RNG.normal(size=(3, 4)), _RNG.normal(size=(4, 4)) * 0.5,
                        _RNG.normal(size=4), _RNG.normal(size=(5, 3)), _RNG.normal(size=4)),
                (0, 1, 2)),
}

GENERIC_CASES = {
    "softmax_xent_generic": (P.softmax_xent, (_RNG.normal(size=(4, 5)),
                                              np.eye(5)[[0, 1, 2, 3]]), 0),
    "first_large_generic": (C.first_large, (np.array([0.5, -1.0, 3.0, 2.0]), 1.0), 0),
}


def render_jvp(fn, args, wrt):
    types = [type_of_value(a) for a in args]
    ir = compiler.derive_jvp(lower(fn), list(wrt), types)
    return compiler.emit([(ir, None)], f"jvp of {fn.__name__}").source


def render_generic(fn, wrt):
    ir = compiler.derive(lower(fn), [wrt], "grad", None)
    return compiler.emit([(ir, None)], f"grad of {fn.__name__}, for every shape").source


def _check_golden(name: str, text: str, regen: bool) -> None:
    path = GOLDEN / f"{name}.py"
    if regen:
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}: run `make golden`"
    assert text == path.read_text(), f"{path.name} changed: review and run `make golden`"


def _run(source: str, name: str, fn_name: str, *args):
    namespace: dict = {}
    exec(compile(source, f"<golden {name}>", "exec"), namespace)
    return namespace[fn_name](*args)


@pytest.mark.parametrize("name", sorted(JVP_CASES))
def test_golden_forward_mode_modules(name, regen_golden):
    fn, args, wrt = JVP_CASES[name]
    _check_golden(name, render_jvp(fn, args, wrt), regen_golden)


@pytest.mark.parametrize("name", sorted(JVP_CASES))
def test_golden_forward_modules_agree_with_reverse_mode(name):
    import adjoint

    fn, args, wrt = JVP_CASES[name]
    tangents = [np.cos(np.arange(np.size(args[i])) + i).reshape(np.shape(args[i]))
                if np.ndim(args[i]) else 0.3 + i for i in wrt]
    value, tangent = _run(render_jvp(fn, args, wrt), name, f"jvp_{fn.__name__}",
                          *args, *tangents)
    grads = adjoint.grad(fn, wrt=wrt)(*args)
    want = sum(np.sum(g * t) for g, t in zip(grads, tangents))
    np.testing.assert_allclose(value, fn(*args), rtol=1e-12)
    np.testing.assert_allclose(tangent, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(GENERIC_CASES))
def test_golden_shape_generic_modules(name, regen_golden):
    fn, args, wrt = GENERIC_CASES[name]
    _check_golden(name, render_generic(fn, wrt), regen_golden)


@pytest.mark.parametrize("name", sorted(GENERIC_CASES))
def test_golden_shape_generic_modules_match_the_live_gradient(name):
    import adjoint

    fn, args, wrt = GENERIC_CASES[name]
    got = _run(render_generic(fn, wrt), name, f"grad_{fn.__name__}", *args)
    np.testing.assert_allclose(got, adjoint.grad(fn, wrt=wrt)(*args), rtol=1e-12)
