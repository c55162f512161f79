"""The same programs through adjoint, autograd and JAX: code, agreement, time.

    make comparison          # installs the bench extra, writes docs/comparison.md
    python bench/compare.py > docs/comparison.md

Each program is a function of ``examples/`` written against NumPy. adjoint and
autograd run that very source (autograd with ``autograd.numpy`` as ``np``); JAX runs
it with ``jax.numpy`` as ``np``, in float64, under ``jax.jit``. For each tool the
script reports the largest difference from adjoint's gradient, the time to the first
gradient (adjoint generates code, JAX traces and compiles, autograd does neither) and
the median time of a gradient afterwards. Everything runs on one thread (BLAS and
XLA), so the numbers compare the tools rather than the machine's load.
"""

from __future__ import annotations

import inspect
import os
import platform
import statistics
import sys
import textwrap
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("ADJOINT_NO_CACHE", "1")  # "first" includes generating the code

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

import autograd  # noqa: E402
import autograd.numpy as anp  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import adjoint  # noqa: E402

jax.config.update("jax_enable_x64", True)

import gaussian_process  # noqa: E402
import logistic  # noqa: E402
import mlp  # noqa: E402
import newton_cg  # noqa: E402
import projectile  # noqa: E402
import rnn  # noqa: E402


def rebind(fn, numpy_module, **globals_):
    """``fn``'s source, executed again with ``np`` bound to ``numpy_module``."""
    namespace = {"np": numpy_module, **globals_}
    exec(textwrap.dedent(inspect.getsource(fn)), namespace)  # noqa: S102
    return namespace[fn.__name__]


def first_and_median(call, budget=1.0, most=200):
    """Seconds of the first call, and the median of later calls within ``budget`` seconds."""
    t0 = time.perf_counter()
    out = call()
    first = time.perf_counter() - t0
    times, spent = [], 0.0
    while spent < budget and len(times) < most:
        t0 = time.perf_counter()
        call()
        dt = time.perf_counter() - t0
        times.append(dt)
        spent += dt
    return out, first, statistics.median(times)


def leaves(x):
    if isinstance(x, (tuple, list)):
        return [leaf for e in x for leaf in leaves(e)]
    return [np.asarray(x, dtype=float)]


def max_difference(a, b):
    return max(float(np.max(np.abs(u - v))) for u, v in zip(leaves(a), leaves(b)))


def fmt_time(seconds):
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


class Program:
    def __init__(self, title, fn, wrt, args, note="", constants=None, hvp=False, jax_fn=None):
        self.title, self.fn, self.wrt, self.args = title, fn, wrt, args
        self.note, self.constants, self.hvp = note, constants or {}, hvp
        self.jax_fn = jax_fn


# Under jax.jit a Python loop is unrolled into the trace: 40 RNN steps compile in
# seconds, 200 projectile steps in minutes. A JAX user writes such loops with
# lax.fori_loop, as these versions do.
def rnn_loss_jax(Wx, Wh, b, Wo, xs, ys, h0):
    def step(t, carry):
        h, total = carry
        h = jnp.tanh(xs[t] @ Wx + h @ Wh + b)
        err = h @ Wo - ys[t]
        return h, total + jnp.sum(err * err)

    _, total = jax.lax.fori_loop(0, xs.shape[0], step, (h0, 0.0))
    return total / ys.size


def miss_jax(v0, target, gravity, drag):
    def step(_, carry):
        p, v = carry
        speed = jnp.sqrt(jnp.sum(v * v))
        return p + projectile.DT * v, v + projectile.DT * (gravity - drag * speed * v)

    p, _ = jax.lax.fori_loop(0, projectile.STEPS, step, (jnp.zeros_like(v0), v0))
    return jnp.sum((p - target) ** 2)


def programs():
    X, y = logistic.make_data(n=2000)
    params, x, yy = mlp.init(batch=128)
    xs, ys = rnn.make_data()
    Xp, yp = newton_cg.make_data()
    Xg, yg = gaussian_process.make_data(n=100)
    return [
        Program("Logistic regression", logistic.loss, (0, 1),
                (np.zeros(2), 0.0, X, y, 0.01), "2,000 points, 2 features"),
        Program("MLP", mlp.loss, (0, 1, 2, 3, 4, 5), (*params, x, yy),
                "784-300-100-10, batch 128"),
        Program("RNN", rnn.loss, (0, 1, 2, 3),
                (*rnn.init(), xs, ys, np.zeros((8, 16))),
                "40 steps, batch 8, 16 hidden units", jax_fn=rnn_loss_jax),
        Program("Projectile", projectile.miss, 0,
                (np.array([5.0, 5.0]), np.array([12.0, 3.0]), np.array([0.0, -9.81]), 0.05),
                "200 Euler steps on 2-vectors: a long loop of tiny operations",
                {"STEPS": projectile.STEPS, "DT": projectile.DT}, jax_fn=miss_jax),
        Program("Hessian-vector product", newton_cg.loss, 0, (Xp[0] * 0.0, Xp, yp, 1e-3),
                "Poisson regression, 500 x 20, forward over reverse", hvp=True),
        Program("Gaussian process", gaussian_process.nll, 0, (np.zeros(3), Xg, yg),
                "100 points: Cholesky, solve, log-determinant"),
    ]


def run_adjoint(p):
    if p.hvp:
        v = np.linspace(-1.0, 1.0, p.args[0].size)
        h = adjoint.hvp(p.fn, wrt=p.wrt)
        return first_and_median(lambda: h(*p.args, v))
    g = adjoint.grad(p.fn, wrt=p.wrt)
    return first_and_median(lambda: g(*p.args))


def run_autograd(p):
    f = rebind(p.fn, anp, **p.constants)
    if p.hvp:
        v = np.linspace(-1.0, 1.0, p.args[0].size)
        g = autograd.grad(f, p.wrt)

        def hvp(*args):
            return autograd.grad(lambda w: anp.sum(g(w, *args[1:]) * v))(args[0])

        return first_and_median(lambda: hvp(*p.args))
    g = autograd.grad(f, p.wrt)
    return first_and_median(lambda: g(*p.args))


def run_jax(p):
    f = p.jax_fn or rebind(p.fn, jnp, **p.constants)
    args = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in p.args)
    if p.hvp:
        v = jnp.linspace(-1.0, 1.0, p.args[0].size)
        g = jax.grad(f, p.wrt)
        hvp = jax.jit(lambda *a: jax.jvp(lambda w: g(w, *a[1:]), (a[0],), (v,))[1])
        return first_and_median(lambda: hvp(*args).block_until_ready())
    g = jax.jit(jax.grad(f, p.wrt))
    return first_and_median(lambda: jax.block_until_ready(g(*args)))


def report():
    out = [
        "# Comparison with autograd and JAX",
        "",
        "Generated by `python bench/compare.py > docs/comparison.md` (or `make comparison`);",
        "do not edit by hand. The programs are those of the [examples](examples/index.md):",
        "the same NumPy source goes through each tool, with `autograd.numpy` or `jax.numpy`",
        "bound to `np` for the other two. *First* is the time to the first gradient",
        "(adjoint generates and loads a module, JAX traces and compiles, autograd records",
        "a graph as usual); *per call* is the median afterwards. *Difference* is the",
        "largest absolute difference from adjoint's result. One thread for BLAS and XLA.",
        "",
        f"Measured with adjoint {adjoint.__version__}, autograd "
        f"{_version('autograd')}, JAX {jax.__version__}, NumPy {np.__version__}, "
        f"Python {platform.python_version()}, on {platform.machine()} "
        f"({os.cpu_count()} cores, shared).",
        "",
        "| Program | Size | adjoint first / per call | autograd first / per call "
        "| JAX (jit) first / per call | Difference (autograd, JAX) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    sources = []
    for p in programs():
        ref, a_first, a_call = run_adjoint(p)
        ag, g_first, g_call = run_autograd(p)
        jx, j_first, j_call = run_jax(p)
        out.append(
            f"| {p.title} | {p.note} | {fmt_time(a_first)} / {fmt_time(a_call)} "
            f"| {fmt_time(g_first)} / {fmt_time(g_call)} "
            f"| {fmt_time(j_first)} / {fmt_time(j_call)} "
            f"| {max_difference(ag, ref):.1e}, {max_difference(jx, ref):.1e} |")
        sources.append((p, inspect.getsource(p.fn)))
    out += ["", "## The programs", ""]
    for p, src in sources:
        how = ("`adjoint.hvp(f)`, `jvp(grad(f))` in JAX, `grad` of `grad . v` in autograd"
               if p.hvp else f"the gradient with respect to parameters {p.wrt}")
        out += [f"### {p.title}", "", f"{p.note}; {how}.", "", "```python", src.rstrip(),
                "```", ""]
        if p.jax_fn is not None:
            out += ["For JAX, with the loop written as `lax.fori_loop` (a Python loop is "
                    "unrolled into the trace, and its compile time grows with the loop):",
                    "", "```python", inspect.getsource(p.jax_fn).rstrip(), "```", ""]
    out.append(WHO_DOES_WHAT)
    return "\n".join(out) + "\n"


def _version(name):
    from importlib.metadata import version

    return version(name)


WHO_DOES_WHAT = """\
## What each does better

**JAX** is the fastest per call on most of these once compiled, and by far on loops
of tiny operations (the projectile, the RNN): XLA fuses the operations of a whole
gradient into a few kernels, while NumPy code pays Python's and NumPy's overhead on
every operation. On programs made of a few large array operations (logistic
regression, the MLP) the generated NumPy is within a small factor of it, and can be
faster when the arrays are small enough for JAX's per-call dispatch to show. JAX
runs on GPUs and TPUs, vectorizes with `vmap`, shards across devices, and has a
large ecosystem (optimizers, neural network libraries). Its costs: a compile for
every new shape (the *first* column); code written against `jax.numpy` and its rules
(immutable arrays; `lax.cond`, `lax.fori_loop` or `lax.scan` for control flow, as in
the loops above: a Python loop is unrolled into the trace, and the projectile's
plain 200-step loop took minutes to compile); and derivatives you cannot read, since
they exist as traced programs, not as code in your repository.

**autograd** differentiates the most Python: it records operations as they run, so
any control flow, data-dependent loops, classes and closures work with no compile
step and nothing generated, and its *first* call costs about what later ones do. It
pays for that on every call: the graph is recorded and walked each time, which its
*per call* column shows on the loops.

**adjoint** writes the derivative as plain NumPy: its per-call time is that of the
code a person would write (NumPy's per-operation overhead included, so it trails JAX
on loops of tiny operations), it needs nothing at run time (the generated module
imports NumPy only), and the derivative can be read, stepped through with `pdb`,
reviewed and committed, with `adjoint grad --check` keeping it up to date in CI. It
differentiates a subset of Python and refuses the rest with an error pointing into
your code (see [what is refused](tutorial/refused.md)); it has no GPU backend and no
`vmap`, and each new kind of arguments (rank, which dimensions are 1) costs a
compile (tens of milliseconds here, cached on disk across processes).
"""


if __name__ == "__main__":
    sys.stdout.write(report())
