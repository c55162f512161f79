"""Run the generated ``examples/mlp_grad.py`` where adjoint cannot be imported.

``make demo`` writes ``mlp_grad.py`` with ``adjoint grad`` and then runs this
script, which shows the two promises of the generated module: it needs nothing
but NumPy (it runs in a subprocess where importing ``adjoint`` fails), and its
numbers are those of ``adjoint.grad`` in this process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
WRT = ("W1", "b1", "W2", "b2", "W3", "b3")

# Runs in a fresh interpreter: refuse `adjoint`, load the generated module by path,
# and save its gradients for the parent to compare.
_WITHOUT_ADJOINT = """
import importlib.abc, importlib.util, sys

class RefuseAdjoint(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "adjoint" or name.startswith("adjoint."):
            raise ImportError("adjoint is not available here: " + name)
        return None

sys.meta_path.insert(0, RefuseAdjoint())
module_path, examples, out, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, examples)
import numpy as np
from mlp import init

spec = importlib.util.spec_from_file_location("mlp_grad", module_path)
mlp_grad = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mlp_grad)
params, x, y = init(batch=batch)
grads = mlp_grad.grad_loss(*params, x, y)
np.savez(out, *grads)
"""


def gradients_without_adjoint(module_path: str, batch: int = 16) -> list[np.ndarray]:
    """``grad_loss`` from the module at ``module_path``, run where adjoint is not importable."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "grads.npz")
        subprocess.run(
            [sys.executable, "-c", _WITHOUT_ADJOINT, module_path, HERE, out, str(batch)],
            check=True, cwd=tmp,
        )
        with np.load(out) as data:
            return [data[f"arr_{i}"] for i in range(len(data.files))]


def gradients_with_adjoint(batch: int = 16) -> list[np.ndarray]:
    """The same gradients from ``adjoint.grad`` in this process."""
    import adjoint

    sys.path.insert(0, HERE)
    from mlp import init, loss

    params, x, y = init(batch=batch)
    return list(adjoint.grad(loss, wrt=WRT)(*params, x, y))


def main() -> None:
    module_path = os.path.join(HERE, "mlp_grad.py")
    standalone = gradients_without_adjoint(module_path)
    in_process = gradients_with_adjoint()
    for name, a, b in zip(WRT, standalone, in_process):
        diff = float(np.max(np.abs(a - b)))
        print(f"d{name:<3} shape {str(a.shape):<11} max |standalone - adjoint.grad| = {diff:.1e}")
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-10, atol=1e-12):
            sys.exit(f"d{name} differs between mlp_grad.py and adjoint.grad")
    print("mlp_grad.py runs without adjoint and agrees with adjoint.grad")


if __name__ == "__main__":
    main()
