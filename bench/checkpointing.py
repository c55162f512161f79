"""A long loop differentiated with every step saved and with ``adjoint.checkpoint``.

A vanilla recurrent step ``h = np.tanh(W @ h + x[t])`` over a 100-vector state, run for
10^4 steps (10^3 with ``--quick``): the gradient's CPU time and its peak memory under
``tracemalloc``, saving every step's state or one state per segment of about sqrt(n)
steps (each segment's forward sweep is run again in the backward sweep). Run alone with
``python bench/checkpointing.py [--quick]``; ``bench/performance.py`` includes the table.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import adjoint  # noqa: E402
from bench.timing import fmt_bytes, fmt_time, peak_memory  # noqa: E402

STATE = 100


def rnn_saved(W, x, h):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
    return np.sum(h * h)


def rnn_checkpointed(W, x, h):
    for t in adjoint.checkpoint(range(x.shape[0])):
        h = np.tanh(W @ h + x[t])
    return np.sum(h * h)


@dataclass
class Row:
    name: str
    steps: int
    time: float
    peak: int


def _cpu_time(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.thread_time()
        call()
        times.append(time.thread_time() - t0)
    return sorted(times)[len(times) // 2]


def measure(quick: bool) -> list[Row]:
    steps = 1000 if quick else 10_000
    rng = np.random.default_rng(0)
    W = rng.normal(size=(STATE, STATE)) / np.sqrt(STATE)
    x, h = rng.normal(size=(steps, STATE)), np.zeros(STATE)
    rows, grads = [], []
    for name, f in (("every step saved", rnn_saved),
                    ("adjoint.checkpoint (√n segments)", rnn_checkpointed)):
        df = adjoint.grad(f, wrt=(0, 2))
        grads.append(df(W, x, h))
        rows.append(Row(name, steps, _cpu_time(lambda: df(W, x, h), 3 if quick else 5),
                        peak_memory(lambda: df(W, x, h))))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    return rows


def table(rows: list[Row]) -> list[str]:
    base = rows[0]
    out = ["| Loop | Steps | Gradient (CPU) | ÷ every step saved | Peak memory "
           "| ÷ every step saved |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        out.append(f"| {r.name} | {r.steps:,} | {fmt_time(r.time)} | "
                   f"{r.time / base.time:.2f} | {fmt_bytes(r.peak)} | "
                   f"{r.peak / base.peak:.2f} |")
    return out


if __name__ == "__main__":
    print("\n".join(table(measure("--quick" in sys.argv))))
