"""The workloads through autograd and JAX, when they are installed (the ``bench`` extra).

autograd runs each workload's own source with ``autograd.numpy`` bound to ``np``. JAX
runs it with ``jax.numpy`` under ``jax.jit``, in float64; where the workload is a
Python loop JAX could only unroll (and whose branch on a traced value it cannot
trace), it runs the loop as a JAX user writes it, with ``lax.fori_loop``, below. Each
result is compared with the hand-written gradient; a tool that cannot run a workload
(autograd and item assignment) gets the error's first line instead of a time.
"""

from __future__ import annotations

import inspect
import os
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench import workloads as W
from bench.timing import first_call, interleaved


def set_up_jax_environment() -> None:
    """One thread for XLA, CPU only, before JAX is imported."""
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                       "intra_op_parallelism_threads=1")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")


def rebind(fn: Callable[..., Any], numpy_module: Any) -> Callable[..., Any]:
    """``fn``'s source, executed again with ``np`` bound to ``numpy_module``."""
    namespace = dict(fn.__globals__, np=numpy_module)
    exec(textwrap.dedent(inspect.getsource(fn)), namespace)  # noqa: S102
    return namespace[fn.__name__]


# -- JAX versions of the loops ---------------------------------------------------------------


def jax_loops(jax: Any, jnp: Any) -> dict[str, Callable[..., Any]]:
    lax = jax.lax

    def scalar_loop(a, b):
        def step(_, x):
            return jnp.where(x < 1.0, a * x + b, a * x - b * x * x)
        return lax.fori_loop(0, W.SCALAR_STEPS, step, 0.0 * a)

    def rnn(Wx, Wh, b, xs, h0):
        def step(t, h):
            return jnp.tanh(xs[t] @ Wx + h @ Wh + b)
        h = lax.fori_loop(0, xs.shape[0], step, h0)
        return 0.5 * jnp.sum(h * h)

    def conv1d(x, w):
        k = w.shape[0]
        m = x.shape[0] - k + 1

        def step(i, y):
            return y.at[i].set(jnp.sum(w * lax.dynamic_slice(x, (i,), (k,))))
        y = lax.fori_loop(0, m, step, jnp.zeros(m))
        return jnp.sum(y * y)

    return {"Scalar loop": scalar_loop, "RNN": rnn, "Conv1d loops": conv1d}


@dataclass
class Row:
    name: str
    size: str
    tool: str
    first: float | None = None
    per_call: float | None = None
    adjoint_call: float | None = None
    difference: float | None = None
    error: str = ""


def _difference(got: Any, want: Any) -> float:
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    return max(float(np.max(np.abs(np.asarray(a) - b)) / max(np.max(np.abs(b)), 1e-300))
               for a, b in zip(got, want))


def run(workloads: list[W.Workload], adjoint_grads: dict[int, Callable[[], Any]],
        budget: float) -> tuple[list[Row], list[str]]:
    """Rows for each workload and installed tool; notes on what was not installed."""
    notes, tools = [], []
    try:
        import autograd
        import autograd.numpy as anp
        tools.append("autograd")
    except ImportError:
        notes.append("autograd is not installed (pip install -e '.[bench]'): skipped.")
    try:
        set_up_jax_environment()
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        tools.append("JAX (jit)")
    except ImportError:
        notes.append("JAX is not installed (pip install -e '.[bench]'): skipped.")
    rows = []
    for idx, w in enumerate(workloads):
        args = w.data(False)
        want = w.by_hand(*args)
        for tool in tools:
            row = Row(w.name, w.size, tool)
            try:
                if tool == "autograd":
                    g = autograd.grad(rebind(w.fn, anp), w.wrt)
                    call = lambda g=g: g(*args)  # noqa: E731
                else:
                    f = jax_loops(jax, jnp).get(w.name) or rebind(w.fn, jnp)
                    g = jax.jit(jax.grad(f, w.wrt))
                    jargs = tuple(jnp.asarray(a) for a in args)
                    call = lambda g=g, jargs=jargs: jax.block_until_ready(g(*jargs))  # noqa: E731
                got, row.first = first_call(call)
                row.difference = _difference(got, want)
                # The process's CPU time: XLA may compute on threads of its own.
                t = interleaved({"tool": call, "adjoint": adjoint_grads[idx]}, budget,
                                clock=time.process_time)
                row.per_call, row.adjoint_call = t.median("tool"), t.median("adjoint")
            except Exception as e:  # noqa: BLE001 - a tool's refusal is a result here
                row.error = f"{type(e).__name__}: {str(e).splitlines()[0][:80]}"
            rows.append(row)
    return rows, notes
