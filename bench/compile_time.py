"""Compile time: the first call of a gradient, with the on-disk cache off.

Straight-line functions of ``n`` statements are generated as in
``tests/test_long_programs.py`` (``y = np.tanh(y * w + c)`` repeated), each into a
module file of its own with its own constants, so no cache in memory (parsed files,
lowered functions, generated code) is shared between two measurements. Making
``adjoint.grad(f)`` (which reads and lowers ``f``) and calling it the first time then
cost reading, lowering, differentiating, optimizing, printing and loading the
derivative, all measured together; the call itself is microseconds. Measured in
this process after a warm-up compile (the rules are lowered once per process, on
first use), and also in fresh processes, which is what a user's first gradient costs.
Both wall-clock and CPU time are kept: on a shared machine the CPU time is the steadier.
"""

from __future__ import annotations

import cProfile
import gc
import importlib.util
import io
import itertools
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import adjoint

ROOT = Path(__file__).resolve().parents[1]
_counter = itertools.count()


def chain_source(n: int, salt: int) -> str:
    """A function of ``n`` statements: ``y = x``, ``n - 2`` tanh layers, ``return``."""
    lines = ["import numpy as np", "", "", "def chain(x, w):", "    y = x"]
    lines += [f"    y = np.tanh(y * w + {0.001 * i + 1e-7 * salt:.7f})" for i in range(n - 2)]
    lines += ["    return np.sum(y)", ""]
    return "\n".join(lines)


def load_chain(n: int, folder: Path) -> Any:
    """A fresh ``chain`` of ``n`` statements from a module file of its own."""
    k = next(_counter)
    path = folder / f"chain_{n}_{os.getpid()}_{k}.py"
    path.write_text(chain_source(n, k))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.chain


ARGS = (np.array([0.3, -0.2]), np.array([0.9, 1.1]))


def compile_once(n: int, folder: Path) -> tuple[float, float]:
    """Seconds (wall, and CPU of this process) of making a fresh chain's gradient (which
    lowers the chain) and of its first call, together.

    The machine is shared: CPU time does not count the time other work had the core.
    """
    chain = load_chain(n, folder)
    # Every measurement starts from the same heap: what earlier measurements left for the
    # cyclic collector is collected first, not charged to this compile. (The collector
    # stays on: the collections the compile itself causes are counted.)
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    df = adjoint.grad(chain, wrt=(0, 1))
    df(*ARGS)
    return time.perf_counter() - t0, time.process_time() - c0


def in_process(n: int, repeat: int) -> list[tuple[float, float]]:
    os.environ["ADJOINT_NO_CACHE"] = "1"
    with tempfile.TemporaryDirectory(prefix="adjoint-bench-") as tmp:
        return [compile_once(n, Path(tmp)) for _ in range(repeat)]


def warm_up() -> None:
    """Lower the rules the chains use, so later measurements are of the compiler only."""
    in_process(3, 1)


_FRESH = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from bench import compile_time
imported = time.perf_counter() - t0
print(imported, *compile_time.in_process({n}, 1)[0])
"""


def fresh_process(n: int) -> tuple[float, tuple[float, float]]:
    """Seconds to import adjoint (and NumPy), and of the first gradient, in a new process."""
    env = dict(os.environ, ADJOINT_NO_CACHE="1")
    out = subprocess.run([sys.executable, "-c", _FRESH.format(root=str(ROOT), n=n)],
                         capture_output=True, text=True, env=env, check=True)
    imported, wall, cpu = (float(x) for x in out.stdout.split())
    return imported, (wall, cpu)


def profile(n: int, top: int = 25) -> str:
    """cProfile's top functions by cumulative time, for one compile of ``n`` statements."""
    os.environ["ADJOINT_NO_CACHE"] = "1"
    with tempfile.TemporaryDirectory(prefix="adjoint-bench-") as tmp:
        chain = load_chain(n, Path(tmp))
        prof = cProfile.Profile()
        prof.enable()
        df = adjoint.grad(chain, wrt=(0, 1))
        df(*ARGS)
        prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    return _shorten(out.getvalue())


def _shorten(text: str) -> str:
    """The profile without blank lines, with paths relative to the repository."""
    lines = [_drop_prefix(line.replace(str(ROOT) + "/", "")) for line in text.splitlines()]
    return "\n".join(line for line in lines if line.strip())


def _drop_prefix(line: str) -> str:
    """``/usr/lib/python3.11/ast.py:10(f)`` -> ``ast.py:10(f)``."""
    idx = line.rfind(" ")
    if idx < 0:
        return line
    head, tail = line[:idx + 1], line[idx + 1:]
    if tail.startswith("/") and "(" in tail:
        path, _, rest = tail.partition(":")
        tail = f"{Path(path).name}:{rest}"
    return head + tail


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def wall(runs: list[tuple[float, float]]) -> list[float]:
    return [w for w, _ in runs]


def cpu(runs: list[tuple[float, float]]) -> list[float]:
    return [c for _, c in runs]
