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
