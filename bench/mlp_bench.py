"""Time adjoint's MLP gradient against a hand-written backward pass, in one process.

    python bench/mlp_bench.py [--batch 128] [--repeat 50]

Both compute the gradient of examples/mlp.py::loss with respect to all six parameters;
the script checks they agree, then reports the median time of each and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import adjoint  # noqa: E402
from examples import mlp  # noqa: E402


def hand_written(W1, b1, W2, b2, W3, b3, x, y):
    """The backward pass of the MLP loss as one would write it by hand."""
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    logits = h2 @ W3 + b3
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    n = x.shape[0]
    dlogits = (p * y.sum(axis=1, keepdims=True) - y) / n
    dW3 = h2.T @ dlogits
    db3 = dlogits.sum(axis=0)
    da2 = (dlogits @ W3.T) * (1 - h2 * h2)
    dW2 = h1.T @ da2
    db2 = da2.sum(axis=0)
    da1 = (da2 @ W2.T) * (1 - h1 * h1)
    dW1 = x.T @ da1
    db1 = da1.sum(axis=0)
    return dW1, db1, dW2, db2, dW3, db3


def median_time(fn, args, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=50)
    opts = parser.parse_args()
    params, x, y = mlp.init(batch=opts.batch)
    args = (*params, x, y)
    t0 = time.perf_counter()
    generated = adjoint.grad(mlp.loss, wrt=(0, 1, 2, 3, 4, 5))
    generated(*args)  # generate and load the module
    compile_time = time.perf_counter() - t0
    for a, b in zip(generated(*args), hand_written(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    ours = median_time(generated, args, opts.repeat)
    theirs = median_time(hand_written, args, opts.repeat)
    print(f"batch {opts.batch}: adjoint {ours * 1e3:.3f} ms, hand-written {theirs * 1e3:.3f} ms, "
          f"ratio {ours / theirs:.2f}; generated in {compile_time * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
