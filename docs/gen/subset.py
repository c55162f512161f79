"""The table of the supported Python subset, made by differentiating one program per row.

Each row's program defines ``f``; :func:`table` takes its gradient at the given
arguments. A row is *supported* when the gradient matches central finite differences
(``adjoint.testing.check_grads``) and *refused* when adjoint raises an
``AdjointError``, whose message the table quotes. Anything else (a wrong derivative,
an internal error) fails the site's build.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import textwrap
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Row:
    construct: str
    looks_like: str
    program: str
    args: tuple = (1.3,)
    wrt: object = None
    kwargs: dict = field(default_factory=dict)


V = np.array([0.5, -1.2, 2.0])
M = np.array([[0.5, -1.2], [2.0, 0.3]])

ROWS = [
    Row("Arithmetic, `@`, comparisons", "`x * y - x / 2 ** y`, `A @ x`", """
        def f(A, x):
            return (A @ x) @ x * 2.0 - x[0] / 2 ** x[1]
        """, (M, V[:2])),
    Row("NumPy, `math`, `scipy.special` functions", "`np.tanh(x)`, `math.exp(y)`", """
        import math
        import numpy as np

        def f(x):
            return np.sum(np.tanh(x)) * math.exp(x[0])
        """, (V,)),
    Row("Array methods and attributes", "`x.sum(axis=0)`, `x.T`, `x.shape`", """
        def f(A):
            return (A.T * A).sum(axis=0).max() / A.shape[0]
        """, (M,)),
    Row("Indexing and slicing", "`x[1:]`, `A[i, j]`, `A[:, None]`", """
        def f(A):
            return A[0, 1] * A[1:, 0].sum() + (A[:, None] ** 2).sum()
        """, (M,)),
    Row("Assignment into arrays", "`S[i] = v`, `S[i] += v`", """
        import numpy as np

        def f(x):
            S = np.zeros(3)
            S[0] = x[1] ** 2
            S[1:] += x[:2]
            return np.sum(S * x)
        """, (V,)),
    Row("Tuples, lists, dicts as arguments", "`f(params)` with a dict of arrays", """
        def f(p, x):
            return ((p["w"] * x + p["b"]) ** 2).sum()
        """, ({"w": V, "b": 0.3}, V)),
    Row("`append`, list comprehensions", "`[g(x) for x in xs]`", """
        def f(x):
            ys = [v * v for v in x]
            ys.append(x[0])
            return ys[0] + ys[1] * ys[3]
        """, (V,)),
    Row("`if` / `elif` / `else`, conditional expressions", "`if x > 0: ...`", """
        def f(x):
            if x > 1.0:
                y = x * x
            elif x > 0.0:
                y = -x
            else:
                y = 2.0 * x
            return y if y > 0 else -y
        """),
    Row("`for` over `range`, arrays, `enumerate`, `zip`", "`for a, b in zip(xs, ys)`", """
        def f(x):
            total = 0.0
            for a, b in zip(x, x[::-1]):
                total = total + a * b
            for i, a in enumerate(x):
                total = total + i * a
            for k in range(2):
                total = total * x[k]
            for row in x[:, None]:
                total = total + row[0]
            return total
        """, (V,)),
    Row("`enumerate` over `zip`", "`for i, (a, b) in enumerate(zip(xs, ys))`", """
        def f(x):
            total = 0.0
            for i, (a, b) in enumerate(zip(x, x)):
                total = total + i * a * b
            return total
        """, (V,)),
    Row("`while`, `break`, `continue`, early `return`", "`while err > tol: ...`", """
        def f(x):
            y = x
            n = 0
            while n < 10:
                n = n + 1
                if n == 2:
                    continue
                y = y * 0.9 + 0.1
                if y < 0.5:
                    break
            if y > 10.0:
                return y
            return y * y
        """),
    Row("Calls to your own functions, keywords, defaults, recursion", "`helper(x, scale=2.0)`", """
        def power(x, n):
            if n == 0:
                return 1.0
            return x * power(x, n - 1)

        def helper(x, scale=1.0):
            return scale * power(x, 3)

        def f(x):
            return helper(x, scale=2.0) + helper(x)
        """),
    Row("Nested functions, closures, lambdas", "`def inner(y): return y * x`", """
        def f(x):
            def inner(y):
                return y * x
            square = lambda y: y * y
            return inner(square(x))
        """),
    Row("`try` / `except`", "`try: ... except: ...`", """
        def f(x):
            try:
                return x ** 0.5
            except ValueError:
                return 0.0
        """),
    Row("`with`", "`with np.errstate(...): ...`", """
        import numpy as np

        def f(x):
            with np.errstate(all="ignore"):
                return np.log(x)
        """),
    Row("`global` / `nonlocal`", "`global counter`", """
        counter = 0

        def f(x):
            global counter
            counter = counter + 1
            return x * x
        """),
    Row("Classes", "`class Model: ...`", """
        def f(x):
            class Box:
                pass
            return x * x
        """),
    Row("Generators and generator expressions", "`sum(v * v for v in x)`", """
        def f(x):
            return sum(v * v for v in x)
        """, (V,)),
    Row("Set and dict comprehensions", "`{k: v for ...}`", """
        def f(x):
            d = {i: x * i for i in range(3)}
            return d[2]
        """),
    Row("`*args` and `**kwargs` parameters", "`def f(*xs)`", """
        def f(*xs):
            return xs[0] * xs[1]
        """, (1.3, 0.7)),
    Row("Statements for their side effects", "`print(x)`", """
        def f(x):
            print(x)
            return x * x
        """),
    Row("Assignment to attributes", "`obj.value = x`", """
        import types

        def f(x):
            state = types.SimpleNamespace()
            state.value = x
            return x * x
        """),
    Row("`out=` arguments", "`np.multiply(x, x, out=y)`", """
        import numpy as np

        def f(x):
            y = np.zeros(3)
            z = np.multiply(x, x, out=y)
            return np.sum(z)
        """, (V,)),
    Row("An update seen through another name", "`r = S[0]; S[0] = v; use(r)`", """
        import numpy as np

        def f(x):
            S = np.zeros((2, 3))
            r = S[0]
            S[0] = x
            return np.sum(r * x)
        """, (V,)),
    Row("Callables without a derivative rule", "`np.median(x)`", """
        import numpy as np

        def f(x):
            return np.median(x) * x[0]
        """, (V,)),
]


def outcome(row: Row, index: int) -> tuple[bool, str]:
    """(supported, what the table says) for one row, by running it."""
    import adjoint
    from adjoint.testing import check_grads

    name = f"construct_{index}.py"
    program = textwrap.dedent(row.program).lstrip()
    with open(name, "w") as fh:
        fh.write(program)
    namespace: dict[str, object] = {"__name__": f"construct_{index}"}
    exec(compile(program, name, "exec"), namespace)  # noqa: S102
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the print() row prints
            check_grads(namespace["f"], list(row.args), wrt=row.wrt)
    except adjoint.AdjointError as exc:
        first = exc.message
        hint = f" *hint: {exc.hint}*" if exc.hint else ""
        return False, f"refused: `{type(exc).__name__}`: {first}.{hint}"
    return True, "supported (gradient checked against finite differences)"


def table() -> str:
    lines = ["| Construct | Looks like | What adjoint does |", "| --- | --- | --- |"]
    before = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            for i, row in enumerate(ROWS):
                _, said = outcome(row, i)
                said = said.replace("|", "\\|").replace("\n", " ")
                lines.append(f"| {row.construct} | {row.looks_like} | {said} |")
        finally:
            os.chdir(before)
    return "\n".join(lines) + "\n"
