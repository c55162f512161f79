"""Reading a function's definition: the tree the frontend lowers is gast's, exactly.

The frontend finds a def in its file's standard ``ast`` tree and converts it, in place,
with its own converter (``adjoint.frontend.to_gast``); the file's tree is not kept, so a second
def of the same file is parsed from its own lines. Both must give what gast gives for
the whole file: the same classes, fields in the same order, the same positions.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import textwrap
from pathlib import Path

import gast
import pytest

import adjoint
from adjoint.errors import SourceLoc
from adjoint.frontend import parse_live_function
from adjoint.frontend.to_gast import to_gast

ROOT = Path(__file__).resolve().parents[1]


def assert_same_tree(a, b, path="tree"):
    """``a`` and ``b`` are equal gast trees, down to each node's field order."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, list):
        assert len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b)):
            assert_same_tree(x, y, f"{path}[{k}]")
    elif isinstance(a, gast.AST):
        assert list(vars(a)) == list(vars(b)), path
        for field, value in vars(a).items():
            assert_same_tree(value, vars(b)[field], f"{path}.{field}")
    else:
        assert a == b or (a != a and b != b), f"{path}: {a!r} != {b!r}"


@pytest.mark.parametrize("folder", ["adjoint/frontend", "adjoint/rules", "examples"])
def test_the_converter_gives_what_gast_gives_for_whole_files(folder):
    files = sorted((ROOT / folder).glob("*.py"))
    assert files
    for path in files:
        text = path.read_text()
        assert_same_tree(to_gast(ast.parse(text)), gast.ast_to_gast(ast.parse(text)), path.name)


def test_the_converter_gives_what_gast_gives_for_every_construct():
    text = textwrap.dedent("""
        import numpy as np
        from os import path as p

        @decorator(1)
        def f(a, /, b: int = 2, *args, c, d=3, **kw) -> float:
            global g
            x: float = 1.0
            y = [i for i in range(3) if i] + list({k: v for k, v in kw.items()})
            z = {1, 2} | {n for n in args}
            w = (t for t in y)
            try:
                pass
            except (ValueError, TypeError) as e:
                raise RuntimeError("x") from e
            except Exception:
                pass
            else:
                x += 1
            finally:
                del y
            with open(p) as fh, open(p):
                pass
            while x < 3:
                x = x + 1 if x else -x
                break
            else:
                pass
            match x:
                case [1, *rest] | {"k": 2, **others} if rest:
                    pass
                case Point(x=0, y=_) as pt:
                    pass
                case None:
                    pass
            lam = lambda u, *v, **w: u
            s = f"{x!r:>{10}} {y}" + b"bytes".decode()
            yield (yield from z), (yield), a[1:2, ::3, ...], np.newaxis, not a, ~b, -c
            return (q := 1)

        async def h(xs):
            async with xs as q:
                async for r in q:
                    await r

        class C(Base, metaclass=M):
            def m(self): return super().m()
    """)
    assert_same_tree(to_gast(ast.parse(text)), gast.ast_to_gast(ast.parse(text)))


@pytest.fixture
def module_file(user_modules):
    """Write a module (see ``user_modules``) and import it: (module, path)."""
    def write(name: str, text: str):
        path = user_modules(name, text)
        return importlib.import_module(name), path

    return write


def _defs(tree):
    return {(n.name, n.lineno): n for n in gast.walk(tree)
            if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef))}


def test_every_def_of_a_file_reads_as_in_the_whole_file(module_file):
    module, path = module_file("many_defs", '''
        """A module of defs in every kind of place."""
        from __future__ import annotations

        import functools

        import numpy as np


        def first(x):
            return np.sum(x ** 2)


        @functools.lru_cache(maxsize=None)
        def decorated(n: int) -> int:
            return n + 1


        class Model:
            scale = 2.0

            def method(self, x):
                def inner(y: np.ndarray) -> np.ndarray:
                    return y * self.scale
                return np.sum(inner(x))

            @staticmethod
            def static(x):
                return np.sum(x)


        if True:
            def in_a_branch(x):
                return np.sum(np.sin(x))
        else:
            def in_a_branch(x):
                return 0.0

        try:
            def in_a_try(x):
                return np.sum(x) * 2.0
        except Exception:  # noqa: BLE001
            pass


        def with_closure():
            k = 3.0

            def closure(x):
                return k * np.sum(x)
            return closure
    ''')
    whole = _defs(gast.parse(path.read_text()))
    functions = [module.first, module.decorated.__wrapped__, module.Model.method,
                 module.Model.static, module.in_a_branch, module.in_a_try,
                 module.with_closure(), module.first]
    for fn in functions:
        node = parse_live_function(fn).node
        assert_same_tree(node, whole[(node.name, node.lineno)], fn.__qualname__)


def test_a_file_edited_after_one_of_its_defs_was_read_is_refused(module_file):
    module, path = module_file("edited_later", """
        import numpy as np

        def f(x):
            return np.sum(x ** 2)

        def g(x):
            return np.sum(x ** 2)
    """)
    parse_live_function(module.f)
    path.write_text(path.read_text().replace("x ** 2", "x ** 3"))
    for fn in (module.f, module.g):
        with pytest.raises(adjoint.UnsupportedSyntaxError, match="not the code that runs"):
            parse_live_function(fn)


def test_positions_are_made_as_the_source_loc_constructor_makes_them():
    from adjoint.frontend.source import _source_loc

    made = _source_loc("model.py", 3, 4, "    y = f(x)", 3, 12)
    built = SourceLoc("model.py", 3, 4, "    y = f(x)", 3, 12)
    assert type(made) is SourceLoc
    assert made == built and hash(made) == hash(built) and repr(made) == repr(built)
    assert list(vars(made).items()) == list(vars(built).items())
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.line = 4
