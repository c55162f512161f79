"""Writing a generated module to disk and running exactly its text as a real module.

Generated functions live in real files, so ``inspect.getsource``, tracebacks and
``pdb`` show their code like any other Python function's. The module is run from
the text in memory (``compile`` and ``exec``), never by importing the file: the
code that runs is the code adjoint generated or verified against its checksum,
whatever is on disk, and no ``__pycache__`` is read or written. The text is
registered with :mod:`linecache` under the file's name, so what tools show is
what runs.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import io
import linecache
import os
import sys
import tempfile
import types
from pathlib import Path

from .module import GeneratedModule
from .trust import (
    UntrustedFile,
    cache_dir,
    caching_enabled,
    private_dir,
    read_trusted,
    warn_once,
)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename (never a half file).

    The file is created with mode 0600; callers wanting other permissions chmod it.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class _VerifiedSource(importlib.abc.InspectLoader):
    """The ``__loader__`` of a generated module: it hands out the text that was run."""

    def __init__(self, text: str):
        self._text = text

    def get_source(self, name: str) -> str:
        return self._text


def _folders() -> list[Path]:
    """Where to put a generated module, in order of preference."""
    folders: list[Path | None] = []
    if caching_enabled():
        folders.append(cache_dir())
    folders.append(private_dir())
    return [f for f in folders if f is not None]


def place(gm: GeneratedModule, stem: str) -> Path | None:
    """Write ``gm`` to a trusted folder (named by its content); None if no folder works."""
    data = gm.source.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()[:16]
    folders = _folders()
    for i, folder in enumerate(folders):
        path = folder / f"{stem}_{digest}.py"
        try:
            if read_trusted(path) == data:
                return path
        except UntrustedFile as exc:
            warn_once(f"file:{path}", f"replacing {exc}")
        except OSError:
            pass  # unreadable: replaced below, or the next folder is used
        try:
            write_atomic(path, gm.source)
            return path
        except OSError as exc:
            then = ("using a private temporary folder" if i + 1 < len(folders)
                    else "generated modules live in memory only")
            warn_once(f"write:{folder}", f"cannot write to {folder} ({exc.strerror or exc}); "
                      f"{then}")
    return None


def _renamed(code: types.CodeType, filename: str) -> types.CodeType:
    """``code`` and the code of every function in it, as compiled from ``filename``."""
    consts = tuple(_renamed(c, filename) if isinstance(c, types.CodeType) else c
                   for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def load_module(gm: GeneratedModule, stem: str) -> types.ModuleType:
    """Write ``gm`` under the cache folder (named by its content) and run its text."""
    digest = hashlib.sha256(gm.source.encode("utf-8")).hexdigest()[:16]
    name = f"adjoint_generated.{stem}_{digest}"
    path = place(gm, stem)
    filename = str(path) if path is not None else f"<adjoint-generated {stem}_{digest}.py>"
    code = _renamed(gm.code, filename) if gm.code is not None else \
        compile(gm.source, filename, "exec", dont_inherit=True)
    # What the reader of the file would see: lines split as Python splits them.
    lines = io.StringIO(gm.source, newline=None).readlines()
    linecache.cache[filename] = (len(gm.source), None, lines, filename)
    module = types.ModuleType(name)
    module.__file__ = filename
    module.__loader__ = _VerifiedSource(gm.source)
    module.__dict__.update(gm.constants)
    sys.modules[name] = module
    exec(code, module.__dict__)
    return module


__all__ = ["load_module", "place", "write_atomic"]
