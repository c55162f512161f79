"""The error catalog: every ``AdjointError`` subclass, with a message it really produces.

Each case is a small program and the call that goes wrong; :func:`page` runs them all
while the site is built and writes what each raised. A subclass of ``AdjointError``
without a case here fails the build (so does a case that stops raising its error),
which keeps the catalog complete as errors are added.
"""

from __future__ import annotations

import inspect
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import snippets


@dataclass
class Case:
    error: str
    title: str
    program: str
    call: str


CASES = [
    Case("UnsupportedSyntaxError", "A construct outside the supported subset", """
        import numpy as np

        def f(x):
            try:
                return np.log(x)
            except ValueError:
                return 0.0
        """, "adjoint.grad(f)"),
    Case("UnsupportedSyntaxError", "An update seen through another name", """
        import numpy as np

        def f(x):
            S = np.zeros((2, 2))
            r = S[0]
            S[0] = x
            return np.sum(r * x)
        """, "adjoint.grad(f)(np.ones(2))"),
    Case("CheckpointError", "A checkpointed loop that cannot run twice", """
        import numpy as np
        import adjoint

        def f(x):
            for t in adjoint.checkpoint(range(10)):
                print(t)
                x = np.sin(x)
            return x
        """, "adjoint.grad(f)(0.5)"),
    Case("NameResolutionError", "A name that denotes nothing", """
        import numpy as np

        def f(x):
            return np.sin(x) * scale
        """, "adjoint.grad(f)"),
    Case("NoRuleError", "A function with neither a rule nor source to read", """
        import numpy as np

        def f(x):
            mantissa, exponent = np.frexp(x)
            return mantissa * x
        """, "adjoint.grad(f)(1.5)"),
    Case("UnsupportedArgumentError", "An argument the rule is not written for", """
        import numpy as np

        def f(x):
            return np.mean(x, where=x > 0)
        """, "adjoint.grad(f)(np.ones(3))"),
    Case("NonDifferentiableError", "A derivative through an index", """
        import numpy as np

        def f(x, i):
            return x[i] ** 2
        """, "adjoint.grad(f, wrt=(0, 1))(np.ones(3), 1)"),
    Case("ArgumentError", "A gradient of something that is not a scalar", """
        import numpy as np

        def f(x):
            return np.sin(x)
        """, "adjoint.grad(f)(np.ones(3))"),
    Case("ArgumentError", "A parameter that does not exist", """
        def f(x, y):
            return x * y
        """, "adjoint.grad(f, wrt='z')"),
]


#: Errors no correct program can be shown to raise: described, without a case.
WITHOUT_CASE = {
    "InternalError": "Please report it, with the program and the call: the message names "
                     "the line adjoint was differentiating.",
}


def _all_subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub] + _all_subclasses(sub)
    return out


def run(case: Case, folder: Path) -> Exception:
    import adjoint

    program = textwrap.dedent(case.program).lstrip()
    path = folder / "program.py"
    path.write_text(program)
    namespace: dict[str, object] = {"__name__": "program"}
    exec(compile(program, "program.py", "exec"), namespace)  # noqa: S102
    namespace.update(adjoint=adjoint, np=__import__("numpy"))
    try:
        eval(case.call, namespace)  # noqa: S307
    except adjoint.AdjointError as exc:
        if type(exc).__name__ != case.error:
            raise AssertionError(f"{case.call} raised {type(exc).__name__}, "
                                 f"not {case.error}: {exc}") from exc
        return exc
    raise AssertionError(f"{case.call} raised no {case.error}")


def page() -> str:
    import adjoint

    classes = [adjoint.AdjointError] + _all_subclasses(adjoint.AdjointError)
    covered = {c.error for c in CASES}
    missing = [c.__name__ for c in classes[1:]
               if c.__name__ not in covered and c.__name__ not in WITHOUT_CASE]
    if missing:
        raise AssertionError(f"the error catalog has no case for {', '.join(missing)}")
    out = [
        "# Errors",
        "",
        "Every problem in your program or call that adjoint detects is an",
        "`adjoint.AdjointError`, raised when the derivative is made (or first called",
        "with arguments of a new kind), never halfway through running it. Its message names",
        "the file, line and column, shows the line with a caret under the construct, and",
        "says what to do instead. The command line prints the same message after `error:`",
        "and exits with status 1.",
        "",
        "Each message below is produced while this page is built, by running the program",
        "shown, saved as `program.py`.",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmp, _cwd(tmp):
        for cls in classes:
            out += [f"## `{cls.__name__}`", "", inspect.getdoc(cls) or "", ""]
            if cls is adjoint.AdjointError:
                out += ["Catch this one to handle all of the errors below.", ""]
                continue
            if cls.__name__ in WITHOUT_CASE:
                out += [WITHOUT_CASE[cls.__name__], ""]
                continue
            for case in (c for c in CASES if c.error == cls.__name__):
                exc = run(case, Path(tmp))
                out += [f"### {case.title}", ""]
                out.append(snippets.fence(textwrap.dedent(case.program).lstrip(), "python",
                                          "program.py"))
                out.append(snippets.fence(f">>> {case.call}\n"
                                          f"adjoint.{type(exc).__name__}: {exc}", "pycon"))
    return "\n".join(out) + "\n"


class _cwd:
    def __init__(self, path: str):
        self.path = path

    def __enter__(self):
        import os

        self.before = os.getcwd()
        os.chdir(self.path)

    def __exit__(self, *exc):
        import os

        os.chdir(self.before)
