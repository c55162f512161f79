"""Long functions: every pass walks the IR iteratively, so length is not a limit."""

import importlib.util

import numpy as np

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
