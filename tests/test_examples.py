"""The programs in examples/ run, print what they printed when committed, and their
committed derivative modules are up to date and correct.

Each ``examples/*_grad.py`` (and ``*_hvp.py``) was written by ``adjoint grad``; its
header carries the exact command that checks it, which is run here. Each example runs
in a fresh interpreter where ``import adjoint`` fails (the modules need NumPy only),
with one BLAS thread so its printed digits do not depend on the machine's load, and
its output must match ``examples/expected/NAME.txt`` (``make examples`` rewrites both).
The derivatives are checked against central finite differences in float64, and
against hand-written formulas where those are short.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from adjoint.cli import GENERATED_MARK, main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PROGRAMS = ["logistic", "mlp_train", "rnn", "projectile", "newton_cg", "gaussian_process"]
GENERATED = sorted(p.name for p in EXAMPLES.glob("*.py")
                   if p.read_text().startswith(GENERATED_MARK))

#: Runs an example as ``python examples/NAME.py`` would, with ``adjoint`` unimportable.
_RUN_WITHOUT_ADJOINT = (
    "import runpy, sys; sys.modules['adjoint'] = None; sys.path.insert(0, sys.argv[1]); "
    "runpy.run_path(sys.argv[2], run_name='__main__')"
)


def load(name: str):
    """Import ``examples/NAME.py`` by path (the examples import their modules by bare name)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def central_difference(f, x: np.ndarray, direction: np.ndarray, h: float = 1e-6) -> float:
    return (f(x + h * direction) - f(x - h * direction)) / (2 * h)


def assert_matches_differences(f, x, grad, seed=0, directions=4, rtol=1e-6, atol=1e-9):
    """``grad . d`` equals the central difference of ``f`` along random directions ``d``."""
    rng = np.random.default_rng(seed)
    for _ in range(directions):
        d = rng.normal(size=np.shape(x))
        fd = central_difference(f, np.asarray(x, dtype=float), d)
        ad = float(np.sum(grad * d))
        assert abs(ad - fd) <= atol + rtol * abs(fd), (ad, fd)


def test_every_generated_module_is_listed():
    assert GENERATED == ["gaussian_process_grad.py", "logistic_grad.py", "mlp_grad.py",
                         "newton_cg_grad.py", "newton_cg_hvp.py", "projectile_grad.py",
                         "rnn_grad.py"]


@pytest.mark.parametrize("module", GENERATED)
def test_committed_module_is_up_to_date(module, monkeypatch):
    """The command in the module's own header (``adjoint grad ... --check``) passes."""
    header = (EXAMPLES / module).read_text().splitlines()[:8]
    prefix = "# Check it is up to date with: "
    command = next(line[len(prefix):] for line in header if line.startswith(prefix))
    words = shlex.split(command)
    assert words[:2] == ["adjoint", "grad"] and words[-1] == "--check"
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, words[1:])
    assert result.exit_code == 0, result.output
    assert "is up to date" in result.output


@pytest.mark.parametrize("name", PROGRAMS)
def test_example_prints_what_it_printed_when_committed(name):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-c", _RUN_WITHOUT_ADJOINT, str(EXAMPLES),
                          str(EXAMPLES / f"{name}.py")],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    expected = (EXAMPLES / "expected" / f"{name}.txt").read_text()
    assert run.stdout == expected, "the output changed; `make examples` rewrites it"


# -- the committed derivatives are right ---------------------------------------------------
def test_logistic_gradient_is_the_textbook_one():
    ex, mod = load("logistic"), load("logistic_grad")
    X, y = ex.make_data()
    rng = np.random.default_rng(0)
    w, b, lam = rng.normal(size=2), 0.3, 0.01
    dw, db = mod.grad_loss(w, b, X, y, lam)
    residual = 1.0 / (1.0 + np.exp(-(X @ w + b))) - y
    np.testing.assert_allclose(dw, X.T @ residual / len(y) + lam * w, rtol=1e-12)
    np.testing.assert_allclose(db, np.mean(residual), rtol=1e-12)
    assert_matches_differences(lambda w_: ex.loss(w_, b, X, y, lam), w, dw)
    assert_matches_differences(lambda b_: ex.loss(w, b_, X, y, lam), b, db)


def test_mlp_gradient_matches_finite_differences():
    mlp, mod = load("mlp"), load("mlp_grad")
    params, x, y = mlp.init(batch=4)
    grads = mod.grad_loss(*params, x, y)
    for i, g in enumerate(grads):
        def f(p, i=i):
            return mlp.loss(*params[:i], p, *params[i + 1:], x, y)

        assert_matches_differences(f, params[i], g, seed=i, directions=1)


def test_rnn_gradient_matches_finite_differences():
    ex, mod = load("rnn"), load("rnn_grad")
    xs, ys = ex.make_data()
    h0 = np.random.default_rng(1).normal(size=(xs.shape[1], 16))
    params = ex.init()
    grads = mod.grad_loss(*params, xs, ys, h0)
    for i, g in enumerate(grads):
        def f(p, i=i):
            return ex.loss(*params[:i], p, *params[i + 1:], xs, ys, h0)

        assert_matches_differences(f, params[i], g, seed=i)


def test_projectile_gradient_matches_finite_differences():
    ex, mod = load("projectile"), load("projectile_grad")
    target, gravity = np.array([12.0, 3.0]), np.array([0.0, -9.81])
    for v0 in (np.array([5.0, 5.0]), np.array([9.0, 14.0])):
        g = mod.grad_miss(v0, target, gravity, 0.05)
        assert_matches_differences(lambda v: ex.miss(v, target, gravity, 0.05), v0, g)


def test_newton_cg_gradient_and_hessian_vector_product():
    ex, grad_mod, hvp_mod = load("newton_cg"), load("newton_cg_grad"), load("newton_cg_hvp")
    X, y = ex.make_data()
    rng = np.random.default_rng(0)
    w, v, lam = 0.3 * rng.normal(size=20), rng.normal(size=20), 1e-3
    g = grad_mod.grad_loss(w, X, y, lam)
    assert_matches_differences(lambda w_: ex.loss(w_, X, y, lam), w, g)
    value, hv = hvp_mod.jvp_grad_loss(w, X, y, lam, v)
    np.testing.assert_allclose(value, g, rtol=1e-12)
    hessian = X.T @ (np.exp(X @ w)[:, None] * X) / len(y) + lam * np.eye(20)
    np.testing.assert_allclose(hv, hessian @ v, rtol=1e-10)
    fd = central_difference(lambda w_: grad_mod.grad_loss(w_, X, y, lam), w, v)
    np.testing.assert_allclose(hv, fd, rtol=1e-6, atol=1e-9)


def test_gaussian_process_gradient_matches_finite_differences():
    ex, mod = load("gaussian_process"), load("gaussian_process_grad")
    X, y = ex.make_data()
    for theta in (np.zeros(3), np.array([-0.1, 0.2, -2.0])):
        g = mod.grad_nll(theta, X, y)
        assert_matches_differences(lambda t: ex.nll(t, X, y), theta, g, rtol=1e-6)
