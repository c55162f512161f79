"""Time adjoint's derivatives of the ADBench objectives (GMM, LSTM, BA, hand), in one process.

    python bench/adbench.py [--quick] [--budget 1.0]

For each objective (tests/adbench_objectives.py) at a moderate size, the script times
the objective itself, adjoint's generated gradient, and a hand-written gradient where
one is short enough to write (GMM vectorized, LSTM). Where there is none (the looping
GMM, BA, hand), it gives the cost of central finite differences instead: ``2 * N``
objective evaluations for ``N`` inputs, estimated from the objective's time. The hand
is also timed as ADBench poses it, as the Jacobian of its residuals (by forward mode).
Each derivative is first checked against the hand-written one or against central
differences along a random direction. The table gives median times, each derivative's
ratio to the objective's time, and how long adjoint took to generate it on its first
call (with the on-disk cache off, so the time is the compiler's).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import adjoint  # noqa: E402
from tests import adbench_objectives as A  # noqa: E402

# -- hand-written gradients --------------------------------------------------------------


def softmax_rows(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def gmm_grad_by_hand(alphas, means, icf, x, wishart_gamma, wishart_m):
    """Gradient of A.gmm_objective with respect to alphas, means and icf."""
    n, d = x.shape
    qs = icf[:, :d]
    Qdiags = np.exp(qs)
    Ls = A.lower_triangles(icf, d)
    cols, rows = np.triu_indices(d, 1)
    xc = x[:, None, :] - means[None, :, :]
    Qxc = Qdiags * xc + np.einsum("kij,nkj->nki", Ls, xc)
    main_term = alphas + qs.sum(axis=1) - 0.5 * np.sum(Qxc ** 2, axis=2)
    P = softmax_rows(main_term)                                        # (n, k)
    Psum = P.sum(axis=0)
    dalphas = Psum - n * softmax_rows(alphas)
    dQxc = -P[:, :, None] * Qxc
    dQdiags = np.sum(dQxc * xc, axis=0) + wishart_gamma ** 2 * Qdiags
    dLs = np.einsum("nki,nkj->kij", dQxc, xc)
    dxc = Qdiags * dQxc + np.einsum("kij,nki->nkj", Ls, dQxc)
    dicf = np.empty_like(icf)
    dicf[:, :d] = Psum[:, None] - wishart_m + dQdiags * Qdiags
    dicf[:, d:] = dLs[:, rows, cols] + wishart_gamma ** 2 * icf[:, d:]
    return dalphas, -dxc.sum(axis=0), dicf


def lstm_grad_by_hand(main_params, extra_params, state, sequence):
    """Gradient of A.lstm_objective with respect to main_params and extra_params."""
    c, b = sequence.shape
    layers = main_params.shape[0] // 2
    count = (c - 1) * b
    saved = []  # per step: per layer (u, gates, c_prev, c_new); then the top hidden, ypred
    h = [state[2 * i] for i in range(layers)]
    cell = [state[2 * i + 1] for i in range(layers)]
    for t in range(c - 1):
        x = sequence[t] * extra_params[0]
        step = []
        for i in range(layers):
            u = np.concatenate([x, h[i], x, h[i]])
            z = u * main_params[2 * i] + main_params[2 * i + 1]
            gates = np.concatenate([A.sigmoid(z[:3 * b]), np.tanh(z[3 * b:])])
            c_new = cell[i] * gates[:b] + gates[b:2 * b] * gates[3 * b:]
            step.append((u, gates, cell[i], c_new))
            cell[i] = c_new
            h[i] = gates[2 * b:3 * b] * np.tanh(c_new)
            x = h[i]
        saved.append((step, x, x * extra_params[1] + extra_params[2]))
    dmain = np.zeros_like(main_params)
    dextra = np.zeros_like(extra_params)
    dh = [np.zeros(b) for _ in range(layers)]
    dc = [np.zeros(b) for _ in range(layers)]
    for t in reversed(range(c - 1)):
        step, top, ypred = saved[t]
        ygold = sequence[t + 1]
        dypred = (softmax_rows(ypred) * ygold.sum() - ygold) / count
        dextra[1] += dypred * top
        dextra[2] += dypred
        dx = dypred * extra_params[1]
        for i in reversed(range(layers)):
            u, gates, c_prev, c_new = step[i]
            f, ig, o, ch = gates[:b], gates[b:2 * b], gates[2 * b:3 * b], gates[3 * b:]
            dh_i = dh[i] + dx
            tc = np.tanh(c_new)
            dc_i = dc[i] + dh_i * o * (1 - tc * tc)
            dgates = np.concatenate([dc_i * c_prev, dc_i * ch, dh_i * tc, dc_i * ig])
            dz = dgates * np.concatenate([gates[:3 * b] * (1 - gates[:3 * b]), 1 - ch * ch])
            dmain[2 * i] += dz * u
            dmain[2 * i + 1] += dz
            du = dz * main_params[2 * i]
            dx = du[:b] + du[2 * b:3 * b]
            dh[i] = du[b:2 * b] + du[3 * b:]
            dc[i] = dc_i * f
        dextra[0] += dx * sequence[t]
    return dmain, dextra


# -- timing --------------------------------------------------------------------------------


def median_time(fn, args, budget: float) -> float:
    """The median of repeated calls, repeated for about ``budget`` seconds (3 to 50 calls)."""
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (len(times) < 50 and time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def directional_fd(f, args, wrt, grads, eps=1e-6, seed=0):
    """Adjoint's and central differences' derivative along one random direction."""
    rng = np.random.default_rng(seed)
    vs = [rng.normal(size=np.shape(args[i])) for i in wrt]
    plus, minus = list(args), list(args)
    for i, v in zip(wrt, vs):
        plus[i] = args[i] + eps * v
        minus[i] = args[i] - eps * v
    fd = (f(*plus) - f(*minus)) / (2 * eps)
    return sum(float(np.sum(g * v)) for g, v in zip(grads, vs)), fd


def fd_cost(n_inputs):
    """The cost of a central-difference gradient or Jacobian, in objective evaluations."""
    return 2 * n_inputs


CASES = [
    # name, size, function timed, data, wrt, hand-written gradient (or None), Jacobian?
    ("GMM", "d=10 K=25 N=1000", A.gmm_objective,
     lambda q: A.gmm_data(d=10, k=25, n=200 if q else 1000, seed=1), (0, 1, 2),
     gmm_grad_by_hand, False),
    ("GMM (loops)", "d=5 K=10 N=100", A.gmm_objective_loops,
     lambda q: A.gmm_data(d=5, k=10, n=20 if q else 100, seed=1), (0, 1, 2), None, False),
    ("LSTM", "l=2 c=1024 b=14", A.lstm_objective,
     lambda q: A.lstm_data(layers=2, chars=128 if q else 1024, b=14, seed=1), (0, 1),
     lstm_grad_by_hand, False),
    ("BA", "n=20 m=1000 p=4000", A.ba_objective,
     lambda q: A.ba_data(n=20, m=200 if q else 1000, p=500 if q else 4000, seed=1), (0, 1, 2),
     None, False),
    ("Hand", "544 verts, 200 pts", A.hand_objective,
     lambda q: A.hand_data(n_vertices=544, n_points=200, seed=1), (0,), None, False),
    ("Hand J", "544 verts, 200 pts", A.hand_residuals,
     lambda q: A.hand_data(n_vertices=544, n_points=200, seed=1), 0, None, True),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    parser.add_argument("--budget", type=float, default=1.0,
                        help="seconds spent timing each function (default 1)")
    opts = parser.parse_args()
    os.environ.setdefault("ADJOINT_NO_CACHE", "1")
    rows = []
    for name, size, f, data, wrt, by_hand, jacobian in CASES:
        args = data(opts.quick)
        t0 = time.perf_counter()
        generated = (adjoint.jacobian(f, wrt=wrt, mode="forward") if jacobian
                     else adjoint.grad(f, wrt=wrt))
        grads = generated(*args)
        first_call = time.perf_counter() - t0
        if jacobian:  # check u @ J against differences of u @ f for a random u
            wrt = (wrt,)
            u = np.random.default_rng(0).normal(size=f(*args).shape)
            ad, fd = directional_fd(lambda *a: np.sum(u * f(*a)), args, wrt,
                                    [np.tensordot(u, grads, axes=u.ndim)])
            np.testing.assert_allclose(ad, fd, rtol=1e-5)
        elif by_hand is not None:
            for a, b in zip(grads, by_hand(*args)):
                np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)
        else:
            ad, fd = directional_fd(f, args, wrt, grads)
            np.testing.assert_allclose(ad, fd, rtol=1e-5)
        t_f = median_time(f, args, opts.budget)
        t_ad = median_time(generated, args, opts.budget)
        if by_hand is not None:
            t_ref, ref = median_time(by_hand, args, opts.budget), "by hand"
        else:
            n_in = sum(np.size(args[i]) for i in wrt)
            t_ref, ref = fd_cost(n_in) * t_f, f"FD, {fd_cost(n_in)} calls of f"
        rows.append((name, "quick" if opts.quick else size, t_f, t_ad, t_ref, ref,
                     max(first_call - t_ad, 0.0)))
    head = (f"{'objective':<12} {'size':<20} {'f (ms)':>9} {'adjoint (ms)':>13} {'/ f':>6} "
            f"{'reference (ms)':>15} {'/ f':>8}  {'reference':<20} {'generated in':>12}")
    print(head)
    print("-" * len(head))
    for name, size, t_f, t_ad, t_ref, ref, gen in rows:
        print(f"{name:<12} {size:<20} {t_f * 1e3:9.2f} {t_ad * 1e3:13.2f} {t_ad / t_f:6.1f} "
              f"{t_ref * 1e3:15.2f} {t_ref / t_f:8.1f}  {ref:<20} {gen * 1e3:9.0f} ms")
    print("Hand J is the Jacobian of the residuals (ADBench's task), by forward mode; "
          "the rest are gradients.\n'generated in' is the first call's time less a later "
          "call's: what adjoint spent writing the derivative.")


if __name__ == "__main__":
    main()
