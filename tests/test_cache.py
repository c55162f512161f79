"""The on-disk cache: a second process imports what the first compiled."""

import contextlib
import importlib.util
import itertools
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import adjoint
from adjoint import cache, compiler
from adjoint.backend import CacheWarning

_count = itertools.count()


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ADJOINT_CACHE_DIR", str(folder))
    monkeypatch.delenv("ADJOINT_NO_CACHE", raising=False)
    return folder


@pytest.fixture(autouse=True)
def _disk_only(monkeypatch):
    """Each new derivative asks the disk cache, as it would in a new process."""
    monkeypatch.setattr(compiler.COMPILER, "memory", False)


@pytest.fixture
def derive_calls(monkeypatch):
    """How many times the compiler ran."""
    calls = []
    real = compiler.Compiler.derive

    def counting(self, request, module):
        calls.append(request.fn.__name__)
        return real(self, request, module)

    monkeypatch.setattr(compiler.Compiler, "derive", counting)
    return calls


def module_from(tmp_path, source):
    """Import ``source`` as a fresh module living in a file (adjoint reads its source)."""
    path = tmp_path / f"user_module_{next(_count)}.py"
    path.write_text(textwrap.dedent(source).lstrip())
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SOURCE = """
    import numpy as np

    SCALE = 3.0

    def f(x):
        return np.sum(np.tanh(x) * SCALE)
"""


def test_a_new_process_loads_the_module_without_compiling(tmp_path, cache_folder):
    (tmp_path / "fmod.py").write_text(textwrap.dedent(SOURCE).lstrip())
    script = textwrap.dedent("""
        import sys
        import numpy as np
        import adjoint
        from adjoint import compiler

        if sys.argv[1] == "forbid":
            def refuse(*args, **kwargs):
                raise SystemExit("the compiler ran")
            compiler.Compiler.derive = refuse
        import fmod
        print(adjoint.grad(fmod.f)(np.array([0.1, 0.2])).tolist())
    """)
    env = {**__import__("os").environ, "ADJOINT_CACHE_DIR": str(cache_folder)}

    def run(mode):
        return subprocess.run([sys.executable, "-c", script, mode], cwd=tmp_path, env=env,
                              capture_output=True, text=True)

    with_compiler = run("forbid")
    assert with_compiler.returncode != 0 and "the compiler ran" in with_compiler.stderr
    first = run("allow")
    assert first.returncode == 0, first.stderr
    second = run("forbid")
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert len(list((cache_folder / "index").glob("*.json"))) == 1


def test_same_inputs_hit_the_cache_in_a_new_derivative(tmp_path, cache_folder, derive_calls):
    m = module_from(tmp_path, SOURCE)
    x = np.array([0.5, -1.0])
    expected = 3.0 * (1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(adjoint.grad(m.f)(x), expected)
    np.testing.assert_allclose(adjoint.grad(m.f)(x), expected)
    assert derive_calls == ["f"]
    adjoint.grad(m.f)(np.ones((2, 2)))  # another kind of argument: another module
    assert derive_calls == ["f", "f"]


def test_changed_globals_and_sources_are_new_entries(tmp_path, cache_folder, derive_calls):
    m = module_from(tmp_path, SOURCE)
    x = np.array([0.5])
    adjoint.grad(m.f)(x)
    m.SCALE = 4.0
    np.testing.assert_allclose(adjoint.grad(m.f)(x), 4.0 * (1 - np.tanh(x) ** 2))
    other = module_from(tmp_path, SOURCE.replace("np.tanh(x)", "np.sin(x)"))
    np.testing.assert_allclose(adjoint.grad(other.f)(x), 3.0 * np.cos(x))
    assert len(derive_calls) == 3


def test_arrays_read_by_the_function_are_keyed_by_their_contents(tmp_path, cache_folder,
                                                                 derive_calls):
    m = module_from(tmp_path, """
        import numpy as np

        W = np.array([1.0, 2.0])

        def f(x):
            return np.sum(W * x)
    """)
    np.testing.assert_allclose(adjoint.grad(m.f)(np.ones(2)), [1.0, 2.0])
    m.W = np.array([5.0, 6.0])
    np.testing.assert_allclose(adjoint.grad(m.f)(np.ones(2)), [5.0, 6.0])
    m.W = np.array([5.0, 6.0])  # equal bytes, new object: the same entry
    np.testing.assert_allclose(adjoint.grad(m.f)(np.ones(2)), [5.0, 6.0])
    assert len(derive_calls) == 2


@pytest.mark.parametrize("damage", ["truncate module", "edit module", "garble index",
                                    "delete module", "other key"])
def test_damaged_entries_are_rebuilt_not_trusted(tmp_path, cache_folder, derive_calls, damage):
    m = module_from(tmp_path, SOURCE)
    x = np.array([0.25])
    adjoint.grad(m.f)(x)
    (index,) = (cache_folder / "index").glob("*.json")
    entry = json.loads(index.read_text())
    module = cache_folder / entry["module"]
    if damage == "truncate module":
        module.write_text(module.read_text()[:40])
    elif damage == "edit module":
        module.write_text(module.read_text().replace("SCALE", "4.0"))
    elif damage == "garble index":
        index.write_text("{not json")
    elif damage == "delete module":
        module.unlink()
    else:
        index.write_text(json.dumps({**entry, "key": "0" * 64}))
    # A missing module is ordinary tidying; anything else is said, once.
    expected = contextlib.nullcontext() if damage == "delete module" \
        else pytest.warns(CacheWarning, match="rebuilding")
    with expected:
        np.testing.assert_allclose(adjoint.grad(m.f)(x), 3.0 * (1 - np.tanh(x) ** 2))
    assert derive_calls == ["f", "f"]
    adjoint.grad(m.f)(x)  # the rebuilt entry is sound again
    assert derive_calls == ["f", "f"]


def test_no_cache_environment_variable_turns_it_off(tmp_path, cache_folder, derive_calls,
                                                    monkeypatch):
    monkeypatch.setenv("ADJOINT_NO_CACHE", "1")
    m = module_from(tmp_path, SOURCE)
    adjoint.grad(m.f)(np.ones(2))
    adjoint.grad(m.f)(np.ones(2))
    assert derive_calls == ["f", "f"]
    assert not (cache_folder / "index").exists()


def test_the_key_covers_the_compiler_and_the_request(tmp_path, cache_folder, monkeypatch):
    m = module_from(tmp_path, SOURCE)
    d = adjoint.grad(m.f)

    def key(**changes):
        args = dict(fn=m.f, primal=d.primal, kind="grad", wrt=[0], wrt_tuple=False,
                    types_=None, name="grad_f")
        args.update(changes)
        return cache.key_for(**args)

    base = key()
    assert base == key()
    assert len({base, key(kind="value_and_grad"), key(wrt_tuple=True), key(types_=[1])}) == 4
    monkeypatch.setattr(cache, "package_digest", lambda: "a changed rule")
    assert key() != base


def test_values_without_a_reliable_fingerprint_are_not_cached():
    assert cache.fingerprint((1, 2.5, "a")) == "tuple(int:1,float:2.5,str:'a')"
    assert cache.fingerprint(np.tanh) == "callable:numpy.tanh"
    with pytest.raises(cache.Unkeyable):
        cache.fingerprint(object())


def test_derivatives_are_keyed_by_the_function_they_differentiate(tmp_path):
    one, two = module_from(tmp_path, SOURCE), module_from(tmp_path, SOURCE.replace("3.0", "4.0"))
    assert cache.fingerprint(adjoint.grad(one.f)) != cache.fingerprint(adjoint.grad(two.f))
    assert cache.fingerprint(adjoint.grad(one.f)) == cache.fingerprint(adjoint.grad(one.f))


# -- scipy.stats: distributions share their methods' code --------------------------------------
STATS_SOURCE = """
    import numpy as np
    from scipy.stats import norm as dist

    logpdf = dist.logpdf

    def f(x):
        return np.sum(logpdf(x))
"""


def test_methods_of_scipy_distributions_are_keyed_by_their_distribution(tmp_path, cache_folder,
                                                                        derive_calls):
    st = pytest.importorskip("scipy.stats")
    assert cache.fingerprint(st.norm) == "scipy.stats:norm"
    assert cache.fingerprint(st.norm.logpdf) != cache.fingerprint(st.cauchy.logpdf)
    x = np.array([0.5, -1.0])
    normal = module_from(tmp_path, STATS_SOURCE)
    np.testing.assert_allclose(adjoint.grad(normal.f)(x), -x)
    cauchy = module_from(tmp_path, STATS_SOURCE.replace("import norm", "import cauchy"))
    np.testing.assert_allclose(adjoint.grad(cauchy.f)(x), -2 * x / (1 + x * x))
    np.testing.assert_allclose(adjoint.grad(normal.f)(x), -x)
    assert derive_calls == ["f", "f"]  # the last from the cache
