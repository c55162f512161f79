"""adjoint's speed, compile time and memory against its targets: ``make bench``.

    python bench/performance.py [--quick] [--budget SECONDS] [--write docs/performance.md]

1. Workloads (``bench/workloads.py``): adjoint's gradient against one written by hand,
   timed side by side in this process, after checking they agree; also the primal, the
   generated function called directly (without the argument checks of ``adjoint.grad``),
   the first call's compile time and the peak memory of one call of each.
2. Benchmark objectives (``bench/objectives.py``): gradient time over objective time.
3. Compile time (``bench/compile_time.py``) of 10, 500 and 2,000-statement functions,
   and a profile of the 2,000-statement compile.
4. The workloads through autograd and JAX, when installed (``bench/others.py``).

The tables are printed, and with ``--write`` put into the Markdown file between the
``<!-- bench:begin -->`` and ``<!-- bench:end -->`` markers (the text outside them is
kept). BLAS runs on one thread and malloc keeps freed memory (``bench/timing.py``); the
on-disk cache is off, so first calls compile.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.timing import bench_environment, settings  # noqa: E402  (imports no NumPy)

if __name__ == "__main__":  # imported (by the tests), it changes nothing
    bench_environment()
    os.environ.setdefault("ADJOINT_NO_CACHE", "1")

import numpy as np  # noqa: E402

import adjoint  # noqa: E402
from bench import checkpointing as K  # noqa: E402
from bench import compile_time as C  # noqa: E402
from bench import growth as G  # noqa: E402
from bench.objectives import OBJECTIVES, check_gradient  # noqa: E402
from bench.timing import (  # noqa: E402
    fmt_bytes,
    fmt_time,
    interleaved,
    peak_memory,
)
from bench.workloads import WORKLOADS, Workload  # noqa: E402

#: The issue's targets.
WORKLOAD_TARGET = 1.10      # gradient / hand-written gradient
OBJECTIVE_TARGET = 4.0      # gradient / objective
COMPILE_10_TARGET = 0.020   # seconds, first call of a 10-statement function
COMPILE_2000_TARGET = 1.5   # seconds, 2,000 statements
COMPILE_GROWTH_TARGET = 5.0  # time(2000) / time(500)

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
LOAD_AT_START = os.getloadavg()[0]


def as_tuple(x: Any) -> tuple:
    return x if isinstance(x, tuple) else (x,)


def check_agreement(got: Any, want: Any) -> float:
    """Assert ``got`` is ``want`` to tight tolerances; the largest relative difference."""
    worst = 0.0
    for a, b in zip(as_tuple(got), as_tuple(want), strict=True):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        scale = max(float(np.max(np.abs(b))), 1e-300)
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12 * scale)
        worst = max(worst, float(np.max(np.abs(a - b))) / scale)
    return worst


# -- 1. workloads --------------------------------------------------------------------------


@dataclass
class WorkloadResult:
    w: Workload
    primal: float
    hand: float
    adjoint: float
    generated: float
    ratio: tuple[float, float, float]
    generated_ratio: float
    compile: float
    mem_primal: int
    mem_hand: int
    mem_adjoint: int
    difference: float
    rounds: int
    noise: float

    @property
    def meets(self) -> bool:
        return self.ratio[0] <= WORKLOAD_TARGET


def measure_workload(w: Workload, budget: float) -> tuple[WorkloadResult, Any]:
    args = w.data(False)
    df = adjoint.grad(w.fn, wrt=w.wrt)
    t0 = time.thread_time()
    grads = df(*args)
    first = time.thread_time() - t0
    difference = check_agreement(grads, w.by_hand(*args))
    generated = df.__wrapped__  # the function adjoint wrote, called without argument checks
    check_agreement(generated(*args), grads)
    t = interleaved({"adjoint": lambda: df(*args), "hand": lambda: w.by_hand(*args),
                     "generated": lambda: generated(*args), "primal": lambda: w.fn(*args)},
                    budget)
    result = WorkloadResult(
        w, t.median("primal"), t.median("hand"), t.median("adjoint"), t.median("generated"),
        t.ratio("adjoint", "hand"), t.ratio("generated", "hand")[0],
        max(first - t.median("adjoint"), 0.0),
        peak_memory(lambda: w.fn(*args)), peak_memory(lambda: w.by_hand(*args)),
        peak_memory(lambda: df(*args)), difference, t.rounds,
        max(t.spread("adjoint"), t.spread("hand")))
    return result, (lambda: df(*args))


def workload_table(results: list[WorkloadResult]) -> list[str]:
    out = ["| Workload | Size | Primal | By hand | adjoint | adjoint ÷ by hand (quartiles) "
           "| generated fn ÷ by hand | adjoint ÷ primal | Compile (1st call) "
           "| Peak: primal / by hand / adjoint | Tape (adjoint − primal peak) "
           f"| ≤ {WORKLOAD_TARGET:.2f}× |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :-: |"]
    seen = set()
    for r in results:
        lo, hi = r.ratio[1], r.ratio[2]
        compiled = fmt_time(r.compile) if r.w.fn not in seen else "none: compiled above"
        seen.add(r.w.fn)
        out.append(
            f"| {r.w.name} | {r.w.size} | {fmt_time(r.primal)} | {fmt_time(r.hand)} "
            f"| {fmt_time(r.adjoint)} | **{r.ratio[0]:.2f}** ({lo:.2f}–{hi:.2f}) "
            f"| {r.generated_ratio:.2f} | {r.adjoint / r.primal:.1f} | {compiled} "
            f"| {fmt_bytes(r.mem_primal)} / {fmt_bytes(r.mem_hand)} / "
            f"{fmt_bytes(r.mem_adjoint)} | {fmt_bytes(r.mem_adjoint - r.mem_primal)} "
            f"| {'yes' if r.meets else '**no**'} |")
    return out


# -- 2. objectives -------------------------------------------------------------------------


@dataclass
class ObjectiveResult:
    name: str
    size: str
    f: float
    grad: float
    ratio: tuple[float, float, float]
    compile: float
    checked: str
    hand_ratio: float | None
    mem_f: int
    mem_grad: int

    @property
    def meets(self) -> bool:
        return self.ratio[0] <= OBJECTIVE_TARGET


def measure_objectives(quick: bool, budget: float) -> list[ObjectiveResult]:
    out = []
    for obj in OBJECTIVES:
        args = obj.data(quick)
        df = adjoint.grad(obj.fn, wrt=obj.wrt)
        t0 = time.thread_time()
        grads = df(*args)
        first = time.thread_time() - t0
        check_gradient(obj, args, grads)
        calls = {"f": lambda: obj.fn(*args), "grad": lambda: df(*args)}
        if obj.by_hand is not None:
            calls["hand"] = lambda: obj.by_hand(*args)
        t = interleaved(calls, budget, warmup=1, least=5)
        out.append(ObjectiveResult(
            obj.name, "tiny" if quick else obj.size, t.median("f"), t.median("grad"),
            t.ratio("grad", "f"), max(first - t.median("grad"), 0.0),
            "by hand" if obj.by_hand is not None else "central differences",
            t.ratio("hand", "f")[0] if obj.by_hand is not None else None,
            peak_memory(calls["f"]), peak_memory(calls["grad"])))
    return out


def objective_table(results: list[ObjectiveResult]) -> list[str]:
    out = ["| Objective | Size | Objective | Gradient | Gradient ÷ objective (quartiles) "
           "| By hand ÷ objective | Compile (1st call) | Peak: objective / gradient "
           f"| Checked against | ≤ {OBJECTIVE_TARGET:.0f} |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | :-: |"]
    for r in results:
        hand = "—" if r.hand_ratio is None else f"{r.hand_ratio:.2f}"
        out.append(f"| {r.name} | {r.size} | {fmt_time(r.f)} | {fmt_time(r.grad)} "
                   f"| **{r.ratio[0]:.2f}** ({r.ratio[1]:.2f}–{r.ratio[2]:.2f}) | {hand} "
                   f"| {fmt_time(r.compile)} | {fmt_bytes(r.mem_f)} / {fmt_bytes(r.mem_grad)} "
                   f"| {r.checked} | {'yes' if r.meets else '**no**'} |")
    return out


# -- 3. compile time -----------------------------------------------------------------------


@dataclass
class CompileResult:
    """Per statement count, the (wall, CPU) seconds of each run; and of fresh processes."""

    runs: dict[int, list[tuple[float, float]]]
    fresh: list[tuple[float, tuple[float, float]]]

    def t(self, n: int) -> float:
        """The median CPU time: what the targets are judged on."""
        return C.median(C.cpu(self.runs[n]))

    @property
    def fresh_first(self) -> float:
        return C.median([c for _, (_, c) in self.fresh])

    @property
    def growth(self) -> float:
        return self.t(2000) / self.t(500)


def measure_compile(quick: bool) -> CompileResult:
    C.warm_up()
    repeats = {10: 9, 500: 1, 2000: 1} if quick else {10: 15, 500: 5, 2000: 5}
    runs = {n: C.in_process(n, r) for n, r in repeats.items()}
    fresh = [C.fresh_process(10) for _ in range(1 if quick else 3)]
    return CompileResult(runs, fresh)


def compile_table(r: CompileResult) -> list[str]:
    def cell(runs):
        cpu, wall = C.cpu(runs), C.wall(runs)
        return (f"{fmt_time(C.median(cpu))} (wall {fmt_time(C.median(wall))}; CPU min "
                f"{fmt_time(min(cpu))}, max {fmt_time(max(cpu))}; {len(runs)} runs)")

    fresh_import = C.median([i for i, _ in r.fresh])
    yes = {True: "yes", False: "**no**"}
    return [
        "| Making and first calling the gradient of | Compile time: median CPU time | Target "
        "| Met |",
        "| --- | --- | --- | :-: |",
        f"| 10 statements, after a warm-up compile in the process | {cell(r.runs[10])} "
        f"| < {COMPILE_10_TARGET * 1e3:.0f} ms | {yes[r.t(10) < COMPILE_10_TARGET]} |",
        f"| 10 statements, the first gradient of a fresh process (after importing adjoint "
        f"and NumPy, {fmt_time(fresh_import)} wall) | {cell([f for _, f in r.fresh])} "
        f"| < {COMPILE_10_TARGET * 1e3:.0f} ms | {yes[r.fresh_first < COMPILE_10_TARGET]} |",
        f"| 500 statements | {cell(r.runs[500])} | | |",
        f"| 2,000 statements | {cell(r.runs[2000])} | < {COMPILE_2000_TARGET:.1f} s "
        f"| {yes[r.t(2000) < COMPILE_2000_TARGET]} |",
        f"| time(2000) ÷ time(500) | {r.growth:.2f} | < {COMPILE_GROWTH_TARGET:.0f} "
        f"| {yes[r.growth < COMPILE_GROWTH_TARGET]} |",
    ]


# -- 4. autograd and JAX ---------------------------------------------------------------------


def others_table(rows: list[Any], notes: list[str]) -> list[str]:
    out = [f"- {n}" for n in notes]
    if not rows:
        return out
    out += ["| Workload | Size | Tool | First call | Per call | adjoint per call "
            "| Tool ÷ adjoint | Difference from by hand |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        if r.error:
            out.append(f"| {r.name} | {r.size} | {r.tool} | — | — | — | — "
                       f"| fails: `{r.error}` |")
        else:
            out.append(f"| {r.name} | {r.size} | {r.tool} | {fmt_time(r.first)} "
                       f"| {fmt_time(r.per_call)} | {fmt_time(r.adjoint_call)} "
                       f"| {r.per_call / r.adjoint_call:.2f} | {r.difference:.1e} |")
    return out


# -- the report ------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_name() -> str:
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - older NumPy: not worth failing the report for
        return "unknown"


def machine() -> list[str]:
    return [
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores (shared with other work)",
        f"- Python {platform.python_version()}, NumPy {np.__version__} ({blas_name()}), "
        f"adjoint {adjoint.__version__}, {platform.system()} {platform.machine()}",
        f"- Environment: {settings()} (set when the process starts; see `bench/timing.py`)",
        f"- Load average (1 min) at the start and the end: {LOAD_AT_START:.2f}, "
        f"{os.getloadavg()[0]:.2f}",
        f"- Measured on {time.strftime('%Y-%m-%d')}",
    ]


def summary(work: list[WorkloadResult], objs: list[ObjectiveResult],
            comp: CompileResult, grow: list[G.Row] | None = None) -> list[str]:
    def count(rows):
        met = sum(r.meets for r in rows)
        return f"{met} of {len(rows)} met"

    worst_w = max(work, key=lambda r: r.ratio[0])
    worst_o = max(objs, key=lambda r: r.ratio[0])
    return [
        "| Target (from the issue) | Status |",
        "| --- | --- |",
        f"| every workload within {WORKLOAD_TARGET:.2f}× of its hand-written gradient "
        f"| {count(work)} (worst: {worst_w.w.name}, {worst_w.w.size}, "
        f"{worst_w.ratio[0]:.2f}×) |",
        f"| every benchmark objective: gradient ÷ objective ≤ {OBJECTIVE_TARGET:.0f} "
        f"| {count(objs)} (worst: {worst_o.name}, {worst_o.ratio[0]:.2f}) |",
        *([] if not grow else [
            f"| a loop program's gradient ÷ primal flat in its length (long ÷ short "
            f"≤ {G.FLAT:.2f}) | {sum(r.flat for r in grow)} of {len(grow)} met (largest: "
            f"{max(grow, key=lambda r: r.growth).name}, "
            f"{max(r.growth for r in grow):.2f}) |"]),
        f"| compile of a 10-statement function < {COMPILE_10_TARGET * 1e3:.0f} ms "
        f"| {'met' if comp.t(10) < COMPILE_10_TARGET else 'not met'} in a process that "
        f"has compiled before ({fmt_time(comp.t(10))}); "
        f"{'met' if comp.fresh_first < COMPILE_10_TARGET else 'not met'} for the first "
        f"gradient of a process ({fmt_time(comp.fresh_first)}) |",
        f"| compile of 2,000 statements < {COMPILE_2000_TARGET:.1f} s "
        f"| {'met' if comp.t(2000) < COMPILE_2000_TARGET else 'not met'} "
        f"({fmt_time(comp.t(2000))}) |",
        f"| time(2000) ÷ time(500) < {COMPILE_GROWTH_TARGET:.0f} "
        f"| {'met' if comp.growth < COMPILE_GROWTH_TARGET else 'not met'} "
        f"({comp.growth:.2f}) |",
    ]


def report(work, objs, comp, prof, others, notes, quick, elapsed, ckpt=(), grow=()) -> str:
    noise = max(r.noise for r in work)
    out = [
        "*Everything between this line and the closing marker is written by `make bench` "
        "(`bench/performance.py`); edit the script, not the numbers.*",
        "",
    ]
    if quick:
        out += ["**Quick run (`--quick`): tiny objectives and short timings; not for "
                "comparison.**", ""]
    out += ["## Targets", "", *summary(work, objs, comp, list(grow)), "", "## Machine", "",
            *machine(),
            f"- The whole run took {elapsed:.0f} s", ""]
    out += [
        "## Workloads against hand-written gradients", "",
        "Median CPU time of one call (of the calling thread: time spent waiting for a "
        "core on the shared machine is left out), over interleaved rounds: each round "
        "calls the four functions once, or as many times as take about a millisecond, "
        "alternating the order; two warm-up calls first. *adjoint* is "
        "the call of `adjoint.grad(f, wrt=...)` a user makes; *generated fn* is the "
        "function it generated, called directly (the difference is the per-call "
        "argument checks and dispatch). The ratio is the median of the per-round ratios, "
        "with their quartiles in parentheses. *Compile* is the first call less a later "
        "one, with the disk cache off. Peak memory is that of one call under "
        "`tracemalloc`, above what was allocated before it (so it includes the returned "
        "gradient); *tape* is the gradient's peak less the primal's, an upper bound on "
        "what the forward sweep keeps for the backward one. Gradients were checked to "
        "agree with the hand-written ones first (rtol 1e-10).", "",
        *workload_table(work), "",
        f"Noise: across the workloads, half the interquartile range of a time is at most "
        f"{noise * 100:.0f}% of its median; rounds per workload: "
        f"{min(r.rounds for r in work)} to {max(r.rounds for r in work)}.", "",
        "## Loops of growing length", "",
        "Loop programs at a short and a long length (`bench/growth.py`): the gradient's "
        "time over the primal's, timed interleaved as above. A cost per step that grows "
        "with the step count (a list copied every iteration) makes the long ratio larger; "
        "flat is a long ÷ short of 1.", "",
        *G.table(list(grow)), "",
        "## Checkpointing a long loop", "",
        "A recurrent step `h = np.tanh(W @ h + x[t])` over a 100-vector state "
        "(`bench/checkpointing.py`), its gradient with every step's state saved, and with "
        "the loop written `for t in adjoint.checkpoint(range(n)):`, which saves one "
        "state per segment of about √n steps and runs each segment forward again in the "
        "backward sweep. Median CPU time of a few calls; peak memory of one call under "
        "`tracemalloc`. The two gradients were checked to agree first (rtol 1e-10).", "",
        *K.table(list(ckpt)), "",
        "## Benchmark objectives", "",
        "ADBench-like objectives (`tests/adbench_objectives.py`, sizes of "
        "`bench/adbench.py`), a least-squares fit and an ODE integrated by RK4 in a "
        "Python loop (`bench/objectives.py`): the gradient's time over the objective's, "
        "timed interleaved. Peak memory is that of one call under `tracemalloc`, as for "
        "the workloads.", "",
        *objective_table(objs), "",
        "## Compile time", "",
        "Making `adjoint.grad(f, wrt=(0, 1))` (which reads and lowers `f`) and its first "
        "call, together, on a fresh straight-line function "
        "`y = np.tanh(y * w + c)` repeated (as in `tests/test_long_programs.py`, counting "
        "`y = x` and the `return`), each in a module of its own, with "
        "`ADJOINT_NO_CACHE=1`. The targets are judged on the process's CPU time, which "
        "does not count the time other work on the shared machine had the core; the wall "
        "time is given too.", "",
        *compile_table(comp), "",
        "## Profile of compiling 2,000 statements", "",
        "`cProfile` of making the gradient and its first call, top functions by cumulative "
        "time (the profiler "
        "itself slows the compile down):", "",
        "```text", prof, "```", "",
        "## autograd and JAX", "",
        "The same workloads through autograd (the workload's own source, with "
        "`autograd.numpy`) and JAX (`jax.jit(jax.grad(f))`, float64, one thread; the loops "
        "as `lax.fori_loop`, see `bench/others.py`), timed interleaved with adjoint's "
        "call, in CPU time of the whole process (XLA's threads included). *First call* "
        "is JAX's trace and compile (wall time). adjoint's times here are not those of the "
        "first table: the tools share the process (autograd's garbage, XLA's threads), "
        "so each row compares the two in the same conditions.", "",
        *others_table(others, notes), "",
    ]
    return "\n".join(out)


TEMPLATE = """# Performance

How fast adjoint's gradients run against gradients written by hand, what they cost
over the function itself on benchmark objectives, how long compiling takes, and how
far each is from its target. Reproduce with `make bench` (two to three minutes; it
installs the `bench` extra for the autograd and JAX comparison), which prints the
tables and rewrites the measured part of this page.

{BEGIN}
{END}
"""


def write(path: Path, body: str) -> None:
    text = path.read_text() if path.exists() else TEMPLATE.format(BEGIN=BEGIN, END=END)
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n{body.rstrip()}\n{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny objectives, short timings")
    parser.add_argument("--budget", type=float, default=3.0,
                        help="seconds of timing per workload (default 3)")
    parser.add_argument("--write", type=Path, help="the Markdown file to update")
    parser.add_argument("--no-others", action="store_true", help="skip autograd and JAX")
    opts = parser.parse_args()
    budget = 0.3 if opts.quick else opts.budget
    start = time.perf_counter()

    C.warm_up()
    work, calls = [], []
    for w in WORKLOADS:
        r, call = measure_workload(w, budget)
        work.append(r)
        calls.append(call)
        print(f"{w.name} ({w.size}): adjoint / by hand {r.ratio[0]:.2f}", file=sys.stderr)
    grow = G.measure(opts.quick, budget)
    print("loops of growing length done", file=sys.stderr)
    ckpt = K.measure(opts.quick)
    print("checkpointing done", file=sys.stderr)
    objs = measure_objectives(opts.quick, budget)
    print("objectives done", file=sys.stderr)
    comp = measure_compile(opts.quick)
    prof = C.profile(500 if opts.quick else 2000)
    print("compile time done", file=sys.stderr)
    if opts.no_others:
        others, notes = [], ["autograd and JAX: skipped (--no-others)."]
    else:  # imported last: JAX starts threads of its own
        from bench import others as O

        others, notes = O.run(WORKLOADS, dict(enumerate(calls)), budget)
    body = report(work, objs, comp, prof, others, notes, opts.quick,
                  time.perf_counter() - start, ckpt, grow)
    print(body)
    if opts.write:
        write(opts.write, body)


if __name__ == "__main__":
    main()
