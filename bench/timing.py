"""Timing and memory measurements shared by the benchmark scripts.

Times are medians of interleaved rounds: each round calls every contender once (or a
few times, when it is fast), in an order that alternates from round to round, so a slow
spell of the (shared) machine hits all of them alike; and they are CPU times of the
calling thread, so time spent waiting for a core is left out. The per-round ratio of
two contenders is kept too; its spread (the quartiles) is the noise reported next to
each ratio. Peak memory is measured
separately, under ``tracemalloc`` (which NumPy reports its buffers to), since tracing
slows every allocation.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: One BLAS thread, whichever BLAS NumPy uses (read when NumPy is first imported).
THREAD_VARIABLES = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

#: glibc's malloc, told to keep freed memory (read when the process starts). By default
#: a block of more than 128 KiB is mapped afresh, and memory freed at the top of the heap
#: is returned to the system, so a function allocating megabytes may page-fault all of
#: them on every call, or not, depending on what ran before: on this kind of machine
#: that made the same NumPy function take 0.7 ms or 7 ms from one run to the next. With
#: these, what is timed is the computation; the memory columns show the allocation.
MALLOC_VARIABLES = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20),
                    "MALLOC_TRIM_THRESHOLD_": str(4 << 30)}


def bench_environment() -> None:
    """Run this program again with the variables above set, unless they already are."""
    missing = {k: v for k, v in {**THREAD_VARIABLES, **MALLOC_VARIABLES}.items()
               if k not in os.environ}
    if missing:
        os.environ.update(missing)
        os.execv(sys.executable, [sys.executable, *sys.argv])


def settings() -> str:
    return ", ".join(f"{name}={os.environ.get(name, '(unset)')}"
                     for name in {**THREAD_VARIABLES, **MALLOC_VARIABLES})


@dataclass
class Timings:
    """Median seconds per call of each contender, and the rounds they come from."""

    times: dict[str, list[float]]

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])

    def ratio(self, a: str, b: str) -> tuple[float, float, float]:
        """Median and quartiles of the per-round ratio ``a / b``."""
        ratios = sorted(x / y for x, y in zip(self.times[a], self.times[b]))
        q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
        return statistics.median(ratios), q[0], q[2]

    def spread(self, name: str) -> float:
        """Half the interquartile range over the median: the relative noise of one time."""
        ts = self.times[name]
        if len(ts) < 2:
            return 0.0
        q = statistics.quantiles(ts, n=4)
        return (q[2] - q[0]) / 2 / statistics.median(ts)

    @property
    def rounds(self) -> int:
        return len(next(iter(self.times.values())))


def interleaved(calls: dict[str, Callable[[], Any]], budget: float, warmup: int = 2,
                least: int = 7, most: int = 2000, clock: Callable[[], float] = time.thread_time,
                sample: float = 1e-3) -> Timings:
    """Time each of ``calls`` in alternating order for about ``budget`` seconds.

    The clock is this thread's CPU time by default: the machine is shared, and time the
    process spends waiting for a core is not the function's. Reading it costs about a
    microsecond, so a function faster than ``sample`` seconds is called several times per
    sample, and the sample divided by the count.
    """
    names = list(calls)
    batch = {}
    for name in names:
        t0 = time.perf_counter()
        for _ in range(warmup):
            calls[name]()
        per_call = (time.perf_counter() - t0) / max(warmup, 1)
        batch[name] = max(1, min(1000, int(sample / max(per_call, 1e-9))))
    times: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    start = time.perf_counter()
    rounds = 0
    while rounds < least or (rounds < most and time.perf_counter() - start < budget):
        order = names if rounds % 2 == 0 else names[::-1]
        for name in order:
            fn, k = calls[name], batch[name]
            t0 = clock()
            for _ in range(k):
                fn()
            times[name].append((clock() - t0) / k)
        rounds += 1
    return Timings(times)


def first_call(call: Callable[[], Any]) -> tuple[Any, float]:
    """The result and seconds of one call."""
    t0 = time.perf_counter()
    out = call()
    return out, time.perf_counter() - t0


def peak_memory(call: Callable[[], Any]) -> int:
    """Bytes allocated at the peak of one call, above what was allocated before it.

    The call's result is dropped only after the peak is read, so what it returns counts.
    """
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = call()
        peak = tracemalloc.get_traced_memory()[1]
        del out
    finally:
        tracemalloc.stop()
    return peak - before


def fmt_time(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def fmt_bytes(n: float) -> str:
    if abs(n) >= 1 << 20:
        return f"{n / (1 << 20):.1f} MiB"
    if abs(n) >= 1 << 10:
        return f"{n / (1 << 10):.0f} KiB"
    return f"{n:.0f} B"
