"""adjoint runs the code it writes: what its cache trusts, and what its command line refuses.

Tests that need a second user run as ``nobody`` (uid 65534) through ``setpriv`` when
the tests run as root, as the current user when it is not root (whom ``chmod``
binds), and are skipped where neither works. Giving a file to another user needs
root; those tests are skipped without it.
"""

import functools
import hashlib
import importlib.util
import inspect
import json
import marshal
import math
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import warnings

import numpy as np
import pytest

import adjoint
from adjoint import compiler
from adjoint.backend import CacheWarning, GeneratedModule, load_module
from adjoint.errors import NameResolutionError
from adjoint.frontend.static import parse_file_function
from tests.test_cache import SOURCE, module_from
from tests.test_cli import EXAMPLES, adjoint_cli, write

OTHER_UID = 65534  # nobody
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="giving a file to another user needs root")
posix_only = pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX owners and modes")

#: Code planted where adjoint looks for a cached module: it leaves a file behind if it runs.
PLANTED = """
import pathlib
pathlib.Path({marker!r}).write_text("planted code ran")

def grad_f(x):
    return 0.0 * x
"""


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
    calls = []
    real = compiler.Compiler.derive

    def counting(self, request, module):
        calls.append(request.fn.__name__)
        return real(self, request, module)

    monkeypatch.setattr(compiler.Compiler, "derive", counting)
    return calls


@pytest.fixture
def shared_folder():
    """A folder under the system temporary folder that a second user can enter and read."""
    folder = tempfile.mkdtemp(prefix="adjoint-shared-")
    os.chmod(folder, 0o755)
    yield folder
    for root, dirs, _ in os.walk(folder):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
    os.chmod(folder, 0o755)
    shutil.rmtree(folder, ignore_errors=True)


@functools.lru_cache(maxsize=1)
def _other_user_prefix():
    """``setpriv`` as nobody, if this machine lets the tests act as a second user."""
    if not IS_ROOT or shutil.which("setpriv") is None:
        return None
    prefix = ["setpriv", f"--reuid={OTHER_UID}", f"--regid={OTHER_UID}", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import adjoint"], cwd="/",
                           capture_output=True)
    return prefix if probe.returncode == 0 else None


def someone_bound_by_permissions():
    """(command prefix, is another user): a user whom file modes restrict, or skip."""
    if hasattr(os, "geteuid") and not IS_ROOT:
        return [], False
    prefix = _other_user_prefix()
    if prefix is None:
        pytest.skip("running as root with no second user available")
    return prefix, True


def subprocess_env(**changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ("ADJOINT_CACHE_DIR", "ADJOINT_NO_CACHE", "XDG_CACHE_HOME")}
    env.update(changes)
    return env


def cache_entry(cache_folder):
    (index,) = (cache_folder / "index").glob("*.json")
    entry = json.loads(index.read_text())
    return index, cache_folder / entry["module"], entry


def plant(cache_folder, marker):
    """Replace the cached module with code that leaves ``marker``, with a matching checksum."""
    index, module, entry = cache_entry(cache_folder)
    text = textwrap.dedent(PLANTED).format(marker=str(marker))
    module.write_text(text)
    entry["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    index.write_text(json.dumps(entry))
    return index, module


# -- the cache: what it trusts --------------------------------------------------------------
def test_the_cache_trusts_the_users_own_files(tmp_path, cache_folder):
    """The premise of the tests below: an entry of the user's own does run, unchecked."""
    m = module_from(tmp_path, SOURCE)
    adjoint.grad(m.f)(np.ones(2))
    plant(cache_folder, tmp_path / "marker")
    adjoint.grad(m.f)(np.ones(2))
    assert (tmp_path / "marker").exists()


@needs_root
def test_an_entry_planted_by_another_user_never_runs(tmp_path, cache_folder, derive_calls):
    m = module_from(tmp_path, SOURCE)
    x = np.array([0.3, -0.2])
    adjoint.grad(m.f)(x)
    for path in plant(cache_folder, tmp_path / "marker"):
        os.chown(path, OTHER_UID, OTHER_UID)
    with pytest.warns(CacheWarning, match="owned by another user"):
        np.testing.assert_allclose(adjoint.grad(m.f)(x), 3.0 * (1 - np.tanh(x) ** 2))
    assert not (tmp_path / "marker").exists()
    assert derive_calls == ["f", "f"]
    index, module, _ = cache_entry(cache_folder)
    assert index.stat().st_uid == module.stat().st_uid == os.geteuid()  # replaced by ours


@needs_root
def test_a_cache_folder_owned_by_another_user_is_not_used(tmp_path, cache_folder):
    m = module_from(tmp_path, SOURCE)
    adjoint.grad(m.f)(np.ones(2))
    plant(cache_folder, tmp_path / "marker")
    os.chown(cache_folder, OTHER_UID, OTHER_UID)
    with pytest.warns(CacheWarning, match="owned by another user"):
        d = adjoint.grad(m.f)
        d(np.ones(2))
    assert not (tmp_path / "marker").exists()
    written = inspect.getsourcefile(d.__wrapped__)
    assert os.path.dirname(written) != str(cache_folder)
    assert stat.S_IMODE(os.stat(os.path.dirname(written)).st_mode) == 0o700


@posix_only
@pytest.mark.parametrize("what", ["module", "index", "folder"])
def test_files_and_folders_others_may_write_are_not_trusted(tmp_path, cache_folder, what):
    m = module_from(tmp_path, SOURCE)
    adjoint.grad(m.f)(np.ones(2))
    index, module = plant(cache_folder, tmp_path / "marker")
    target = {"module": module, "index": index, "folder": cache_folder}[what]
    target.chmod(0o777 if what == "folder" else 0o622)
    with pytest.warns(CacheWarning, match="other users may write"):
        np.testing.assert_allclose(adjoint.grad(m.f)(np.ones(2)), 3.0 * (1 - np.tanh(1.0) ** 2))
    assert not (tmp_path / "marker").exists()


def test_a_planted_pyc_is_never_run(tmp_path, cache_folder):
    """Modules run from their verified text; a ``__pycache__`` matching the file is ignored."""
    m = module_from(tmp_path, SOURCE)
    x = np.array([0.5])
    adjoint.grad(m.f)(x)
    _, module, _ = cache_entry(cache_folder)
    marker = tmp_path / "marker"
    st = module.stat()
    code = compile(textwrap.dedent(PLANTED).format(marker=str(marker)), str(module), "exec")
    pyc = importlib.util.cache_from_source(str(module))
    os.makedirs(os.path.dirname(pyc))
    with open(pyc, "wb") as fh:  # the header the import system checks: mtime and size
        fh.write(importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little")
                 + (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
                 + (st.st_size & 0xFFFFFFFF).to_bytes(4, "little") + marshal.dumps(code))
    spec = importlib.util.spec_from_file_location("planted_check", module)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert marker.exists(), "Python's own import runs the planted .pyc"
    marker.unlink()

    np.testing.assert_allclose(adjoint.grad(m.f)(x), 3.0 * (1 - np.tanh(x) ** 2))
    assert not marker.exists()


def test_generated_modules_run_the_text_that_tools_show(tmp_path, cache_folder):
    m = module_from(tmp_path, SOURCE)
    d = adjoint.grad(m.f)
    d(np.ones(2))
    module = inspect.getmodule(d.__wrapped__)
    text = open(module.__file__).read()
    assert inspect.getsource(module) == text
    assert inspect.getsource(d.__wrapped__).startswith("def grad_f(x):")
    with open(module.__file__, "w") as fh:  # changing the file afterwards changes nothing shown
        fh.write("# something else\n")
    assert inspect.getsource(module) == text
    assert not list(cache_folder.rglob("__pycache__"))


@posix_only
def test_cache_files_are_private(tmp_path, cache_folder):
    m = module_from(tmp_path, SOURCE)
    adjoint.grad(m.f)(np.ones(2))
    index, module, _ = cache_entry(cache_folder)
    for folder in (cache_folder, cache_folder / "index"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for file in (index, module):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600


def test_non_utf8_bytes_in_a_cached_module_are_rebuilt_not_fatal(tmp_path, cache_folder,
                                                                 derive_calls):
    m = module_from(tmp_path, SOURCE)
    x = np.array([0.1])
    adjoint.grad(m.f)(x)
    _, module, _ = cache_entry(cache_folder)
    module.write_bytes(b"\xff\xfe\x00 not text \x80")
    with pytest.warns(CacheWarning, match="does not match its checksum"):
        np.testing.assert_allclose(adjoint.grad(m.f)(x), 3.0 * (1 - np.tanh(x) ** 2))
    np.testing.assert_allclose(adjoint.grad(m.f)(x), 3.0 * (1 - np.tanh(x) ** 2))
    assert derive_calls == ["f", "f"]  # repaired once, then a sound entry again


def test_a_module_file_with_non_utf8_bytes_is_replaced(cache_folder):
    gm = GeneratedModule("def answer():\n    return 42\n", ["answer"])
    first = load_module(gm, "answer")
    with open(first.__file__, "wb") as fh:
        fh.write(b"\xff\xfe garbage")
    assert load_module(gm, "answer").answer() == 42
    assert open(first.__file__).read() == gm.source


def test_no_cache_puts_modules_in_a_private_temporary_folder(tmp_path, cache_folder,
                                                            monkeypatch):
    monkeypatch.setenv("ADJOINT_NO_CACHE", "1")
    m = module_from(tmp_path, SOURCE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = adjoint.grad(m.f)
        d(np.ones(2))
    assert not cache_folder.exists()
    written = inspect.getsourcefile(d.__wrapped__)
    assert os.path.isfile(written)
    assert inspect.getsource(d.__wrapped__).startswith("def grad_f(x):")
    if hasattr(os, "geteuid"):
        assert stat.S_IMODE(os.stat(os.path.dirname(written)).st_mode) == 0o700


def test_a_cache_path_that_is_a_file_falls_back_with_one_warning(tmp_path, monkeypatch):
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file")
    monkeypatch.setenv("ADJOINT_CACHE_DIR", str(not_a_folder))
    m = module_from(tmp_path, SOURCE)
    with pytest.warns(CacheWarning) as caught:
        adjoint.grad(m.f)(np.ones(2))
        adjoint.grad(m.f)(np.ones((2, 2)))
    assert len([w for w in caught if "cannot use the cache folder" in str(w.message)]) == 1
    assert not_a_folder.read_text() == "a file"


CACHE_SCRIPT = """
import numpy as np
import adjoint
import fmod

for shape in [(2,), (3, 3)]:
    print(float(np.sum(adjoint.grad(fmod.f)(np.ones(shape)))))
"""


def run_script(folder, env, prefix=()):
    with open(os.path.join(folder, "fmod.py"), "w") as fh:
        fh.write(textwrap.dedent(SOURCE).lstrip())
    os.chmod(os.path.join(folder, "fmod.py"), 0o644)
    return subprocess.run([*prefix, sys.executable, "-c", CACHE_SCRIPT], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)


def expected_sums():
    return [2 * 3.0 * (1 - np.tanh(1.0) ** 2), 9 * 3.0 * (1 - np.tanh(1.0) ** 2)]


def test_no_writable_home_still_works_with_one_warning(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    env = subprocess_env(HOME=str(tmp_path / "file" / "home"))
    done = run_script(tmp_path, env)
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose([float(v) for v in done.stdout.split()], expected_sums())
    assert done.stderr.count("CacheWarning") == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_a_read_only_cache_folder_still_works_with_one_warning(shared_folder):
    prefix, other = someone_bound_by_permissions()
    cache = os.path.join(shared_folder, "cache")
    os.mkdir(cache, 0o700)
    if other:
        os.chown(cache, OTHER_UID, OTHER_UID)
    os.chmod(cache, 0o500)
    done = run_script(shared_folder, subprocess_env(ADJOINT_CACHE_DIR=cache), prefix)
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose([float(v) for v in done.stdout.split()], expected_sums())
    assert done.stderr.count("CacheWarning") == 1, done.stderr
    assert "cannot write" in done.stderr
    assert os.listdir(cache) == []


# -- the command line: what it refuses ------------------------------------------------------
@pytest.fixture
def project(tmp_path, monkeypatch):
    shutil.copy(EXAMPLES / "mlp.py", tmp_path / "mlp.py")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_never_replaced_and_written_into_only_with_force(project):
    os.mkfifo("out.py")
    result = adjoint_cli("grad", "mlp.py::loss", "-o", "out.py")
    assert result.exit_code == 1
    assert "refusing to write to out.py: it is a FIFO" in result.output
    assert adjoint_cli("grad", "mlp.py::loss", "-o", "out.py", "--check").exit_code == 1
    assert stat.S_ISFIFO(os.stat("out.py").st_mode)

    received = []
    reader = threading.Thread(target=lambda: received.append(open("out.py").read()))
    reader.start()
    result = adjoint_cli("grad", "mlp.py::loss", "-o", "out.py", "--force")
    reader.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert received and received[0].startswith("# Generated by adjoint")
    assert stat.S_ISFIFO(os.stat("out.py").st_mode)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_a_socket_is_never_replaced(project):
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("out.sock")
        result = adjoint_cli("grad", "mlp.py::loss", "-o", "out.sock")
        assert result.exit_code == 1
        assert "it is a socket, not a regular file" in result.output
        assert stat.S_ISSOCK(os.stat("out.sock").st_mode)


@pytest.mark.parametrize("name", [
    'evil\nimport pathlib; pathlib.Path("marker").touch()\n#.py',
    "evil\rimport pathlib; pathlib.Path('marker').touch()\r#.py",
    "x coding:utf_7 +AAo-import pathlib+ADs-pathlib.Path(+ACI-marker+ACI-).touch()+AAo-#.py",
])
def test_file_names_cannot_inject_code_into_the_header(project, name):
    shutil.copy("mlp.py", name)
    result = adjoint_cli("grad", f"{name}::loss", "-o", "out.py")
    assert result.exit_code == 0, result.output
    header = open("out.py", encoding="utf-8").read().split("\n\n")[0]
    assert all(line.startswith("#") for line in header.split("\n"))
    spec = importlib.util.spec_from_file_location("out", "out.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert not (project / "marker").exists()
    assert adjoint_cli("grad", f"{name}::loss", "-o", "out.py", "--check").exit_code == 0


def test_file_names_cannot_inject_code_into_modules_run_in_process(project):
    name = 'evil\nimport pathlib; pathlib.Path("marker").touch()\n#.py'
    write(project / name, SOURCE)
    spec = importlib.util.spec_from_file_location("evil", project / name)
    user = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(user)
    np.testing.assert_allclose(adjoint.grad(user.f)(np.ones(2)), 3.0 * (1 - np.tanh(1.0) ** 2))
    assert not (project / "marker").exists()


def test_unbounded_constants_are_not_computed(project):
    write(project / "big.py", """
        import numpy as np

        BIG = 9 ** 9 ** 9

        def f(x):
            return np.sum(x * x) + BIG
    """)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "adjoint.cli", "grad", "big.py::f"],
                          capture_output=True, text=True, timeout=120)
    assert time.monotonic() - start < 60
    assert done.returncode == 1
    assert "big.py:3:7: 'BIG' is too costly to compute without running big.py" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


@pytest.mark.parametrize("value, why", [
    ("2 ** 10_000", "an integer of about 10,000 bits"),
    ("(2 ** 5000) * (2 ** 5000)", "an integer of about 10,002 bits"),
    ('"ab" * 60_000', "a str of 120,000 items"),
    ("(1.0, 2.0) * 60_000", "a tuple of 120,000 items"),
    ("A + A", "a str of 120,000 items"),
])
def test_constant_folding_is_capped(project, value, why):
    write(project / "m.py", f"""
        A = "x" * 60_000
        C = {value}

        def f(x):
            return x * len(C)
    """)
    scope = parse_file_function("m.py", "f").scope
    with pytest.raises(NameResolutionError, match="'C' is too costly to compute") as exc:
        scope.lookup("C")
    assert why in str(exc.value)


@pytest.mark.parametrize("default, error", [
    ("2 ** 10_000", "a default value of 'helper' is too costly to compute"),
    ("(np.float64,) * 200_000", "a default value of 'helper' is computed by running code"),
    ('f"{1:>200000}"', "a default value of 'helper' is computed by running code"),
    ("1 << 200_000", "a default value of 'helper' is computed by running code"),
])
def test_default_values_are_held_to_the_same_limits(project, default, error):
    write(project / "m.py", f"""
        import numpy as np

        def helper(x, n={default}):
            return x * 2.0

        def f(x):
            return np.sum(helper(x))
    """)
    with pytest.raises(NameResolutionError, match=error):
        parse_file_function("m.py", "f").scope.lookup("helper")


def test_cheap_default_values_still_work(project):
    write(project / "m.py", """
        import numpy as np

        def helper(x, scale=-2 ** -1, axis=(0,), dtype=np.float64, *, eps=1e-8):
            return x * scale + eps

        def f(x):
            return np.sum(helper(x))
    """)
    assert parse_file_function("m.py", "f").scope.lookup("helper")(1.0) == -0.5 + 1e-8


def test_string_formatting_is_not_folded(project):
    write(project / "m.py", """
        WIDE = "%0200000d" % 1

        def f(x):
            return x
    """)
    with pytest.raises(NameResolutionError, match="'WIDE' is computed when m.py runs"):
        parse_file_function("m.py", "f").scope.lookup("WIDE")


def test_cheap_constants_are_still_folded(project):
    write(project / "m.py", """
        import math

        TAU = 2 * math.pi
        BIG = 2 ** 64 - 1
        NAME = "w" * 3
        SHAPE = (3,) * 2

        def f(x):
            return x
    """)
    scope = parse_file_function("m.py", "f").scope
    assert [scope.lookup(n) for n in ("TAU", "BIG", "NAME", "SHAPE")] == [
        2 * math.pi, 2 ** 64 - 1, "www", (3, 3)]


def test_deeply_nested_expressions_are_one_clear_error(project):
    terms = " + ".join(f"x * {i}.0" for i in range(300))
    write(project / "long.py", f"""
        import numpy as np

        def f(x):
            return np.sum({terms})
    """)
    result = adjoint_cli("grad", "long.py::f")
    assert result.exit_code == 1
    assert "long.py:4:12: this expression is nested too deeply" in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


def test_input_files_are_decoded_as_python_decodes_them(project):
    (project / "latin.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nimport numpy as np\n\ndef f(x):\n"
        b"    return np.sum(x * x)  # \xe9\n")
    assert adjoint_cli("grad", "latin.py::f").exit_code == 0
    (project / "binary.py").write_bytes(b"def f(x):\n    return x  # \xff\xfe\n")
    result = adjoint_cli("grad", "binary.py::f")
    assert result.exit_code == 1
    assert result.output == "error: cannot read binary.py: it is not utf-8 text\n" \
                            "hint: save it as UTF-8\n"


@pytest.mark.parametrize("raised, shown", [
    (PermissionError(13, "Permission denied", "secret.py"), "error: secret.py: Permission denied"),
    (OSError(28, "No space left on device"), "error: No space left on device"),
    (RecursionError("maximum recursion depth exceeded"), "error: the program is nested too"),
])
def test_os_and_recursion_errors_are_one_line_and_status_1(project, monkeypatch, raised, shown):
    def failing(*args, **kwargs):
        raise raised

    monkeypatch.setattr("adjoint.cli.build", failing)
    result = adjoint_cli("grad", "mlp.py::loss")
    assert result.exit_code == 1
    assert result.output.startswith(shown) and result.output.count("\n") == 1
    assert "internal error" not in result.output


def test_permission_errors_are_reported_plainly(shared_folder):
    prefix, _ = someone_bound_by_permissions()
    shutil.copy(EXAMPLES / "mlp.py", shared_folder)
    os.chmod(os.path.join(shared_folder, "mlp.py"), 0o644)
    os.chmod(shared_folder, 0o555)
    command = [*prefix, sys.executable, "-m", "adjoint.cli", "grad", "mlp.py::loss"]
    env = subprocess_env(HOME=shared_folder)
    done = subprocess.run(command, cwd=shared_folder, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == \
        "Error: cannot write mlp_grad.py: Permission denied"

    os.chmod(os.path.join(shared_folder, "mlp.py"), 0)
    done = subprocess.run(command, cwd=shared_folder, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert "cannot read mlp.py: Permission denied" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr

