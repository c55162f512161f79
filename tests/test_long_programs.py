"""Long functions: every pass walks the IR iteratively, so length is not a limit."""

import importlib.util

import numpy as np

import adjoint
from adjoint.testing import check_grads


def load(tmp_path, n):
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
