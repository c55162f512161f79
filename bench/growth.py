"""Loop programs at two lengths: is the gradient's cost over the primal's flat in the length?

A cost the primal does not have, paid per step and growing with the step count (a list
copied every iteration, a cotangent array copied twice per inner iteration), shows as a
gradient ÷ primal ratio that grows with the loop. Each program runs at a short and a
long length; the ratio of the two ratios is what the target judges (1 is flat). Run alone
with ``python bench/growth.py [--quick]``; ``bench/performance.py`` includes the table.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import adjoint  # noqa: E402
from bench.timing import fmt_time, interleaved  # noqa: E402
from bench.workloads import conv1d  # noqa: E402

#: The long length's gradient ÷ primal over the short length's, at most (timing noise).
FLAT = 1.25


def rnn_states(Wx, Wh, b, xs, h0):
    """A tanh RNN keeping every state in a list, its loss summed over the list."""
    h = h0
    hs = []
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        hs.append(h)
    loss = 0.0
    for h in hs:
        loss = loss + 0.5 * np.sum(h * h)
    return loss


def running_means(x):
    """Prefix means appended to a list one step at a time, then stacked."""
    means = []
    total = 0.0
    for i in range(x.shape[0]):
        total = total + x[i]
        means.append(total / (i + 1.0))
    m = np.stack(means)
    return np.sum(m * m)


def _rnn_data(steps: int) -> tuple:
    rng = np.random.default_rng(0)
    return (rng.normal(0.0, 1.0 / math.sqrt(8), (8, 16)),
            rng.normal(0.0, 1.0 / math.sqrt(16), (16, 16)),
            rng.normal(0.0, 0.1, 16), rng.normal(size=(steps, 4, 8)), np.zeros((4, 16)))


@dataclass
class Program:
    name: str
    fn: Callable[..., Any]
    wrt: Any
    data: Callable[[int], tuple]
    lengths: tuple[int, int]
    unit: str


PROGRAMS = [
    Program("RNN, states kept in a list", rnn_states, (0, 1, 2), _rnn_data, (50, 2000), "T"),
    Program("Prefix means appended, then stacked", running_means, 0,
            lambda n: (np.random.default_rng(0).normal(size=(n, 3)),), (50, 2000), "n"),
    Program("Conv1d loops", conv1d, (0, 1),
            lambda n: (np.random.default_rng(0).normal(size=n),
                       np.random.default_rng(1).normal(size=5)), (500, 8000), "n"),
]


@dataclass
class Row:
    name: str
    unit: str
    lengths: tuple[int, int]
    primal: tuple[float, float]
    ratios: tuple[float, float]

    @property
    def growth(self) -> float:
        return self.ratios[1] / self.ratios[0]

    @property
    def flat(self) -> bool:
        return self.growth <= FLAT


def measure(quick: bool, budget: float) -> list[Row]:
    rows = []
    for p in PROGRAMS:
        df = adjoint.grad(p.fn, wrt=p.wrt)
        primal, ratios = [], []
        lengths = tuple(n // 10 if quick else n for n in p.lengths)
        for n in lengths:
            args = p.data(n)
            df(*args)
            t = interleaved({"grad": lambda: df(*args), "primal": lambda: p.fn(*args)},
                            budget)
            primal.append(t.median("primal"))
            ratios.append(t.ratio("grad", "primal")[0])
        rows.append(Row(p.name, p.unit, lengths, (primal[0], primal[1]),
                        (ratios[0], ratios[1])))
    return rows


def table(rows: list[Row]) -> list[str]:
    out = ["| Loop program | Short: length, primal, gradient ÷ primal "
           "| Long: length, primal, gradient ÷ primal | Long ÷ short "
           f"| Flat (≤ {FLAT:.2f}) |",
           "| --- | --- | --- | ---: | :-: |"]
    for r in rows:
        (a, b), (pa, pb), (ra, rb) = r.lengths, r.primal, r.ratios
        out.append(f"| {r.name} | {r.unit} = {a}, {fmt_time(pa)}, **{ra:.2f}** "
                   f"| {r.unit} = {b}, {fmt_time(pb)}, **{rb:.2f}** | {r.growth:.2f} "
                   f"| {'yes' if r.flat else '**no**'} |")
    return out


if __name__ == "__main__":
    from bench.timing import bench_environment

    bench_environment()
    print("\n".join(table(measure("--quick" in sys.argv, 1.0))))
