"""Forward-mode Jacobians and Hessians: every direction in one vectorized pass, or one per pass.

    python bench/vector_forward.py

Times ``adjoint.jacobian(f, mode="forward")`` on an elementwise and matmul program for
n = 100..1000 inputs, and ``adjoint.hessian`` of Rosenbrock for n = 200, with the vector
JVP and with the per-column code (``adjoint.jacobians.vector_forward = False``); the
first call (code generation) is not timed.
"""

from __future__ import annotations

import time

import numpy as np

import adjoint
from adjoint import jacobians


def program(x, W):
    h = np.tanh(W @ x) * np.exp(-x * x)
    return h + np.sin(x) * np.sum(h)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def best(fn, *args, repeat=20):
    fn(*args)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    return min(times)


def timed(make, args):
    out = {}
    for vector in (False, True):
        jacobians.vector_forward = vector
        out[vector] = best(make(), *args)
    jacobians.vector_forward = True
    return out[False], out[True]


def main() -> None:
    rng = np.random.default_rng(0)
    print("| case | n | per column (ms) | vectorized (ms) | speed-up |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for n in (100, 200, 500, 1000):
        x, W = rng.normal(size=n), rng.normal(size=(n, n)) / np.sqrt(n)
        col, vec = timed(lambda: adjoint.jacobian(program, mode="forward"), (x, W))
        print(f"| jacobian, tanh(W @ x) ... | {n} | {col * 1e3:.1f} | {vec * 1e3:.1f} | "
              f"{col / vec:.0f}x |")
    x = rng.normal(size=200)
    col, vec = timed(lambda: adjoint.hessian(rosenbrock), (x,))
    print(f"| hessian, Rosenbrock | 200 | {col * 1e3:.1f} | {vec * 1e3:.1f} | {col / vec:.0f}x |")


if __name__ == "__main__":
    main()
