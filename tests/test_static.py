"""Resolving names from a file's text: the user's modules are read, never run."""

import math
import textwrap
import types

import numpy as np
import pytest

from adjoint import NameResolutionError, compiler
from adjoint.backend import build_module
from adjoint.frontend import lower
from adjoint.frontend.static import StaticFunction, StaticModule, parse_file_function


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.fixture
def files(tmp_path, monkeypatch):
    """A little project whose every file records, if it ever runs, that it ran."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "helpers.py", """
        import numpy as np
        open("helpers-ran", "w").close()
        SCALE = 2.0
        def act(x):
            return np.tanh(x) * SCALE
    """)
    write(tmp_path / "pkg" / "__init__.py", "")
    write(tmp_path / "pkg" / "consts.py", "K = 3\n")
    write(tmp_path / "model.py", """
        import math
        import numpy as np
        from numpy import tanh
        import helpers
        from helpers import act, SCALE as S
        from .helpers import SCALE as S2
        import pkg.consts
        import pkg.consts as pc
        open("model-ran", "w").close()

        ALPHA = 0.1
        TAU = 2 * math.pi
        SHAPE = (3, 4)
        WEIGHTS = np.ones(3)
        if ALPHA > 0:
            BETA = 1.0

        class Layer:
            pass

        def f(x):
            return tanh(x) * ALPHA + S + S2 + TAU + pkg.consts.K + pc.K + math.sin(x)

        def uses(name, x):
            return x

        if __name__ == "__main__":
            ALPHA = 1000.0
    """)
    return tmp_path


def test_names_resolve_from_imports_definitions_and_constants(files):
    parsed = parse_file_function("model.py", "f")
    scope = parsed.scope
    assert scope.lookup("np") is np and scope.lookup("math") is math
    assert scope.lookup("tanh") is np.tanh
    assert scope.lookup("ALPHA") == 0.1  # the __main__ block does not count
    assert scope.lookup("TAU") == 2 * math.pi
    assert scope.lookup("SHAPE") == (3, 4)
    assert scope.lookup("S") == 2.0 and scope.lookup("S2") == 2.0
    assert isinstance(scope.lookup("helpers"), StaticModule)
    assert scope.lookup("pc").K == 3 and scope.lookup("pkg").consts.K == 3
    assert scope.lookup("len") is len
    with pytest.raises(KeyError):
        scope.lookup("nothing_by_this_name")
    assert not (files / "model-ran").exists() and not (files / "helpers-ran").exists()


def test_functions_are_compiled_from_their_definition_alone(files):
    act = parse_file_function("model.py", "f").scope.lookup("act")
    assert isinstance(act, types.FunctionType)  # a real function: lowered like any other
    assert isinstance(act.__adjoint_static__, StaticFunction)
    assert act.__adjoint_static__.parsed.filename == "helpers.py"
    assert lower(act).param_names == ["x"]
    assert act(0.5) == pytest.approx(2.0 * np.tanh(0.5))  # its globals resolve statically
    assert not (files / "helpers-ran").exists()


def test_calls_to_functions_in_other_files_are_differentiated_too(files):
    write(files / "net.py", """
        import numpy as np
        from helpers import act

        def layer(x, w):
            return np.tanh(x * w)

        def f(x, w):
            return np.sum(layer(x, w) + act(x))
    """)
    primal = lower(parse_file_function("net.py", "f"))
    ir = compiler.derive(primal, [0, 1], "grad", None, True, "grad_f")
    gm = compiler.emit([(ir, None)], "test")
    assert not gm.constants  # standalone: the callees are written into the module
    namespace = {}
    exec(gm.source, namespace)
    x, w = np.array([0.3, -0.2]), np.array([1.5, 0.5])
    dx, dw = namespace["grad_f"](x, w)
    t = 1 - np.tanh(x * w) ** 2
    np.testing.assert_allclose(dx, t * w + 2.0 * (1 - np.tanh(x) ** 2))
    np.testing.assert_allclose(dw, t * x)
    assert not (files / "helpers-ran").exists()


def test_names_a_callee_cannot_resolve_are_reported_at_their_binding(files):
    write(files / "callee.py", """
        import numpy as np

        W = np.ones(3)

        def g(x):
            return x * W

        def f(x):
            return g(x)
    """)
    with pytest.raises(NameResolutionError, match="'W' is computed when callee.py runs"):
        compiler.derive(lower(parse_file_function("callee.py", "f")), [0], "grad")


def test_a_statically_read_function_is_differentiated_like_a_live_one(files):
    primal = lower(parse_file_function("model.py", "f"))
    ir = compiler.derive(primal, [0], "grad", None, False, "grad_f")
    namespace = {}
    exec(build_module([(ir, None)], ["test"]).source, namespace)
    x = 0.3
    assert namespace["grad_f"](x) == pytest.approx((1 - np.tanh(x) ** 2) * 0.1 + math.cos(x))


@pytest.mark.parametrize("name, message, line", [
    ("WEIGHTS", "'WEIGHTS' is computed when model.py runs", 14),
    ("BETA", "'BETA' is bound conditionally at module level", 16),
    ("Layer", "'Layer' is a class", 18),
])
def test_names_only_running_the_file_would_define_are_refused_with_their_line(
        files, name, message, line):
    scope = parse_file_function("model.py", "uses").scope
    with pytest.raises(NameResolutionError) as err:
        scope.lookup(name)
    assert message in str(err.value)
    assert str(err.value).startswith(f"model.py:{line}:")
    assert "--import" in err.value.hint


def test_undefined_names_point_at_their_use(files):
    write(files / "typo.py", """
        import numpy as np

        def f(x):
            return np.tanh(x) * alpah
    """)
    with pytest.raises(NameResolutionError) as err:
        lower(parse_file_function("typo.py", "f"))
    assert str(err.value).startswith("typo.py:4:25: name 'alpah' is not defined")


def test_missing_modules_and_functions_are_reported(files):
    write(files / "imports.py", """
        from .nowhere import g
        import no_such_library_anywhere as nl

        def f(x):
            return g(x) + nl.h(x)
    """)
    scope = parse_file_function("imports.py", "f").scope
    with pytest.raises(NameResolutionError, match="cannot find module '.nowhere'"):
        scope.lookup("g")
    with pytest.raises(NameResolutionError, match="cannot import 'no_such_library_anywhere'"):
        scope.lookup("nl")
    with pytest.raises(Exception, match="has no top-level function named 'h'"):
        parse_file_function("imports.py", "h")


def test_user_modules_found_on_sys_path_are_read_not_imported(files, monkeypatch):
    write(files / "util.py", """
        open("util-ran", "w").close()
        RATE = 0.5
    """)
    write(files / "nested" / "model.py", """
        import util

        def f(x):
            return x * util.RATE
    """)
    monkeypatch.syspath_prepend(str(files))  # as `python -m ...` from this folder would
    util = parse_file_function("nested/model.py", "f").scope.lookup("util")
    assert isinstance(util, StaticModule) and util.RATE == 0.5
    assert not (files / "util-ran").exists()


def test_defaults_that_would_run_code_are_refused(files):
    write(files / "defaults.py", """
        import numpy as np

        def make():
            open("make-ran", "w").close()
            return 1.0

        def g(x, scale=make()):
            return x * scale

        def f(x):
            return g(x)
    """)
    with pytest.raises(NameResolutionError, match="a default value of 'g' is computed"):
        parse_file_function("defaults.py", "f").scope.lookup("g")
    assert not (files / "make-ran").exists()
