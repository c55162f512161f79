"""Long functions: every pass walks the IR iteratively, so length is not a limit."""

import importlib.util

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads


def load(tmp_path, n):
    tmp_path.mkdir(parents=True, exist_ok=True)
    lines = ["import numpy as np", "", "", "def chain(x, w):", "    y = x"]
    lines += [f"    y = np.tanh(y * w + {0.001 * i:.3f})" for i in range(n)]
    lines += ["    return np.sum(y)", ""]
    path = tmp_path / "chain.py"
    path.write_text("\n".join(lines))
    spec = importlib.util.spec_from_file_location("chain_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.chain


def test_a_300_statement_function(tmp_path):
    chain = load(tmp_path, 300)
    x, w = np.array([0.3, -0.2]), np.array([0.9, 1.1])
    check_grads(chain, (x, w), wrt=(0, 1))
    src = adjoint.source(adjoint.grad(chain, wrt=(0, 1)))
    assert max(len(line) for line in src.splitlines()) < 200  # no expression grows without bound


def _live_ops() -> int:
    import gc

    from adjoint.ir.core import Op

    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Op))


def test_a_dropped_gradient_leaves_no_ir_behind(tmp_path, monkeypatch):
    """What compiling built is freed with the gradient: a large function's IR is hundreds of
    thousands of objects, which would otherwise stay for the rest of the process (and be
    scanned by every later collection of the cyclic collector)."""
    monkeypatch.setenv("ADJOINT_NO_CACHE", "1")
    x, w = np.array([0.3, -0.2]), np.array([0.9, 1.1])
    adjoint.grad(load(tmp_path / "warm", 3), wrt=(0, 1))(x, w)  # the rules it uses, lowered once
    before = _live_ops()
    chain = load(tmp_path, 200)
    df = adjoint.grad(chain, wrt=(0, 1))
    df(x, w)
    assert _live_ops() > before + 200  # the gradient holds its primal while it lives
    del df, chain
    assert _live_ops() <= before


def _early_returns(tmp_path, n):
    lines = ["import numpy as np", "", "", "def f(x, w):", "    y = x", "    s = np.sum(x)"]
    for i in range(n):
        lines += [f"    if s > {i}.5:", "        return np.sum(y * y)",
                  f"    y = np.tanh(y * w + {0.01 * i:.2f})"]
    lines += ["    return np.sum(y)", ""]
    path = tmp_path / f"early_{n}.py"
    path.write_text("\n".join(lines))
    spec = importlib.util.spec_from_file_location(f"early_{n}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def test_fifty_early_returns_in_a_row(tmp_path):
    """Each early return makes the code after it an ``else``: 50 of them nest 50 deep,
    and the comments quoting the user's lines are indented that far too."""
    f = _early_returns(tmp_path, 50)
    w = np.array([0.9, 1.1])
    for x in (np.array([0.3, -0.2]), np.array([10.3, 10.0])):  # runs to the end; returns at 20
        check_grads(f, (x, w), wrt=(0, 1))


def test_more_early_returns_than_can_nest_are_refused_clearly(tmp_path):
    f = _early_returns(tmp_path, 120)
    with pytest.raises(adjoint.UnsupportedSyntaxError, match="nests more than 60 blocks deep"):
        adjoint.grad(f)(np.array([0.3, -0.2]), np.array([0.9, 1.1]))
