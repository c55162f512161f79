"""Writing a generated module to disk and importing it as a real module.

Generated functions live in real files, so ``inspect.getsource``, tracebacks and
``pdb`` show their code like any other Python function's.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import types
from pathlib import Path

from .module import GeneratedModule


def cache_dir() -> Path:
    """Where generated modules are written: ``$ADJOINT_CACHE_DIR`` or the user cache folder."""
    env = os.environ.get("ADJOINT_CACHE_DIR")
    if env:
        path = Path(env)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        path = Path(base) / "adjoint"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename (never a half file)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_module(gm: GeneratedModule, stem: str) -> types.ModuleType:
    """Write ``gm`` under the cache folder (named by its content) and import it."""
    digest = hashlib.sha256(gm.source.encode()).hexdigest()[:16]
    path = cache_dir() / f"{stem}_{digest}.py"
    if not path.exists() or path.read_text(encoding="utf-8") != gm.source:
        write_atomic(path, gm.source)
    name = f"adjoint_generated.{stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(gm.constants)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
