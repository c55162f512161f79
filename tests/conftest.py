import importlib
import os
import sys
import tempfile
import textwrap

import pytest

# Generated modules from the test run go to a private folder, never the user's cache.
os.environ.setdefault("ADJOINT_CACHE_DIR", tempfile.mkdtemp(prefix="adjoint-test-cache-"))

from adjoint import compiler  # noqa: E402

compiler.verify_passes = True


def pytest_addoption(parser):
    parser.addoption(
        "--regen-golden", action="store_true", help="rewrite the golden files under tests/golden"
    )
    parser.addoption(
        "--regen-passes", action="store_true",
        help="rewrite the [out] sections of the pass tests under tests/passes"
    )


@pytest.fixture
def regen_golden(request):
    return request.config.getoption("--regen-golden")



@pytest.fixture
def regen_passes(request):
    return request.config.getoption("--regen-passes")


@pytest.fixture
def user_modules(tmp_path, monkeypatch):
    """Write modules the test imports (``write(name, text) -> path``), importable by name
    for the test and forgotten after it."""
    monkeypatch.syspath_prepend(str(tmp_path))
    names = []

    def write(name: str, text: str):
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(text))
        names.append(name)
        importlib.invalidate_caches()
        return path

    yield write
    for name in names:
        sys.modules.pop(name, None)
