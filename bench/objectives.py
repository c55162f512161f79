"""Benchmark objectives: gradient time over objective time.

The ADBench objectives come from ``tests/adbench_objectives.py`` at the sizes
``bench/adbench.py`` uses; two more are written here as a user would write them: a
nonlinear least-squares fit (a damped cosine through 10^4 samples) and an ODE
(Lotka-Volterra, integrated by classical RK4 in a Python loop, with the right-hand
side a function of its own; the loss is on the final state). Each gradient is checked
against the hand-written one where ``bench/adbench.py`` has it, otherwise against
central differences along a random direction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench import adbench
from tests import adbench_objectives as A

# -- least squares -------------------------------------------------------------------------


def least_squares(p, t, y):
    model = p[0] * np.exp(-p[1] * t) * np.cos(p[2] * t + p[3])
    r = model - y
    return 0.5 * np.sum(r * r)


def least_squares_grad_by_hand(p, t, y):
    e = np.exp(-p[1] * t)
    phase = p[2] * t + p[3]
    c = np.cos(phase)
    model = p[0] * e * c
    r = model - y
    rs = r * (p[0] * e) * np.sin(phase)
    return np.array([np.dot(r * c, e), -np.dot(r * model, t), -np.dot(rs, t), -np.sum(rs)])


def least_squares_data(tiny: bool) -> tuple:
    rng = np.random.default_rng(0)
    t = np.linspace(0.0, 10.0, 20 if tiny else 10_000)
    y = 2.0 * np.exp(-0.3 * t) * np.cos(1.7 * t + 0.2) + 0.05 * rng.normal(size=t.shape)
    return np.array([1.5, 0.2, 1.5, 0.0]), t, y


# -- an ODE: Lotka-Volterra by RK4 -----------------------------------------------------------

ODE_STEPS = 500


def lotka_volterra(u, theta):
    prey, predator = u[0], u[1]
    return np.array([theta[0] * prey - theta[1] * prey * predator,
                     theta[2] * prey * predator - theta[3] * predator])


def ode_loss(theta, u0, target, steps, dt):
    u = u0
    for _ in range(steps):
        k1 = lotka_volterra(u, theta)
        k2 = lotka_volterra(u + 0.5 * dt * k1, theta)
        k3 = lotka_volterra(u + 0.5 * dt * k2, theta)
        k4 = lotka_volterra(u + dt * k3, theta)
        u = u + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    d = u - target
    return np.sum(d * d)


def ode_data(tiny: bool) -> tuple:
    return (np.array([1.5, 1.0, 1.0, 3.0]), np.array([1.0, 1.0]), np.array([2.0, 0.5]),
            10 if tiny else ODE_STEPS, 0.01)


# -- the list --------------------------------------------------------------------------------


@dataclass
class Objective:
    """``grad(fn, wrt)`` against ``fn`` itself; checked against ``by_hand`` if given."""

    name: str
    size: str
    fn: Callable[..., Any]
    wrt: tuple[int, ...] | int
    data: Callable[[bool], tuple]
    by_hand: Callable[..., Any] | None = None


def _adbench(size: Callable[..., tuple], tiny: dict, full: dict) -> Callable[[bool], tuple]:
    return lambda t: size(**(tiny if t else full), seed=1)


OBJECTIVES = [
    Objective("GMM", "d=10 K=25 N=1000", A.gmm_objective, (0, 1, 2),
              _adbench(A.gmm_data, dict(d=3, k=4, n=10), dict(d=10, k=25, n=1000)),
              adbench.gmm_grad_by_hand),
    Objective("GMM (loops)", "d=5 K=10 N=100", A.gmm_objective_loops, (0, 1, 2),
              _adbench(A.gmm_data, dict(d=3, k=2, n=3), dict(d=5, k=10, n=100))),
    Objective("LSTM", "l=2 c=1024 b=14", A.lstm_objective, (0, 1),
              _adbench(A.lstm_data, dict(layers=2, chars=4, b=3), dict(layers=2, chars=1024,
                                                                        b=14)),
              adbench.lstm_grad_by_hand),
    Objective("BA", "n=20 m=1000 p=4000", A.ba_objective, (0, 1, 2),
              _adbench(A.ba_data, dict(n=2, m=4, p=6), dict(n=20, m=1000, p=4000))),
    Objective("Hand", "544 verts, 200 pts", A.hand_objective, 0,
              _adbench(A.hand_data, dict(n_vertices=60, n_points=20),
                       dict(n_vertices=544, n_points=200))),
    Objective("Least squares", "4 params, 10^4 points", least_squares, 0, least_squares_data,
              least_squares_grad_by_hand),
    Objective("ODE (RK4 loop)", f"Lotka-Volterra, {ODE_STEPS} steps", ode_loss, 0, ode_data),
]


def check_gradient(obj: Objective, args: tuple, grads: Any) -> None:
    """Raise AssertionError unless ``grads`` is the gradient (tight tolerances)."""
    wrt = obj.wrt if isinstance(obj.wrt, tuple) else (obj.wrt,)
    got = grads if isinstance(obj.wrt, tuple) else (grads,)
    if obj.by_hand is not None:
        want = obj.by_hand(*args)
        for a, b in zip(got, want if isinstance(want, tuple) else (want,), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11 * np.max(np.abs(b)))
        return
    ad, fd = adbench.directional_fd(obj.fn, args, wrt, got)
    np.testing.assert_allclose(ad, fd, rtol=1e-6)
