"""An on-disk cache of generated derivatives, so a new process skips the compiler.

``adjoint.grad(f)(x)`` compiles a module the first time it sees a kind of
arguments. The module is written to the cache folder anyway (it must be a real
file for tracebacks and ``pdb``); this records, next to it, which inputs produced
it, so the next process with the same inputs runs it instead of compiling.

The key covers everything the output depends on: the function's source text,
file and qualified name; the value of every free name it read (numbers and
strings by ``repr``, arrays by a hash of their bytes, functions and modules by
name, functions of the user's by their code too); the derivative asked for
(kind, ``wrt``, argument types); and the compiler itself (adjoint's version, a
hash of its source files, rules registered by the user, NumPy's version). When
a value cannot be fingerprinted reliably, nothing is cached.

Each entry is an index file ``index/<key>.json`` holding the module's file name
and a SHA-256 of its text. An entry that cannot be read, names another key, or
whose module is missing or does not match its checksum is ignored and rebuilt.
Only files and folders owned by the current user that nobody else can write are
read at all (see :mod:`adjoint.backend.trust`), and the module runs from the
bytes that matched the checksum (see :mod:`adjoint.backend.load`).

``ADJOINT_CACHE_DIR`` moves the folder; ``ADJOINT_NO_CACHE=1`` turns the cache off.
``docs/security.md`` states what the cache trusts.
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import os
import re
import sys
import sysconfig
import types
from pathlib import Path
from typing import Any

import numpy as np

from .backend import GeneratedModule, load_module, write_atomic
from .backend.trust import (
    UntrustedFile,
    cache_dir,
    caching_enabled,
    read_trusted,
    trusted_folder,
    warn_once,
)
from .ir.printer import stats_name as scipy_stats_name
from .version import __version__

FORMAT = 1


def enabled() -> bool:
    """False when ``ADJOINT_NO_CACHE`` is set to anything but ``0`` or the empty string."""
    return caching_enabled()


@functools.lru_cache(maxsize=1)
def package_digest() -> str:
    """A hash of adjoint's own source files: a changed rule or pass invalidates entries."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def _library_prefixes() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple(os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib", "purelib",
                                                     "platlib") if k in paths)


_LIBRARY = _library_prefixes()


def _is_library(fn: Any) -> bool:
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    filename = getattr(module, "__file__", None)
    if module is None:
        return False
    if filename is None:
        return True  # built into the interpreter
    return os.path.realpath(filename).startswith(_LIBRARY)


class Unkeyable(Exception):
    """A value whose identity cannot be captured by a fingerprint."""


def fingerprint(value: Any, seen: set[int] | None = None) -> str:
    """A stable text standing for ``value`` in a cache key (raises :class:`Unkeyable`)."""
    seen = set() if seen is None else seen
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, (tuple, list)):
        inner = ",".join(fingerprint(v, seen) for v in value)
        return f"{type(value).__name__}({inner})"
    if isinstance(value, dict):
        items = sorted((fingerprint(k, seen), fingerprint(v, seen)) for k, v in value.items())
        return "dict(" + ",".join(f"{k}:{v}" for k, v in items) + ")"
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise Unkeyable(value)
        digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        return f"ndarray:{value.dtype.str}:{value.shape}:{digest}"
    if isinstance(value, np.generic):
        return f"{value.dtype.str}:{value.tobytes().hex()}"
    if isinstance(value, types.ModuleType):
        return f"module:{value.__name__}"
    if isinstance(value, types.FunctionType) and not _is_library(value):
        return _user_function(value, seen)
    primal_fn = getattr(value, "primal_fn", None)
    if primal_fn is not None and type(value).__module__.startswith("adjoint."):
        # Another derivative: it stands for its primal function and what was asked of it.
        return (f"{type(value).__name__}:{value.kind}:{value.wrt}:{value.wrt_tuple}:"
                f"{fingerprint(primal_fn, seen)}")
    stats_name = scipy_stats_name(value)
    if stats_name is not None:  # scipy.stats.norm, the object its methods belong to
        return f"scipy.stats:{stats_name}"
    module = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    if callable(value) and isinstance(module, str) and isinstance(qualname, str) \
            and _is_library(value):
        # A library's: fixed by its name, and a bound method by its object too
        # (norm.logpdf and t.logpdf are both rv_continuous.logpdf).
        owner = getattr(value, "__self__", None)
        bound = "" if owner is None or isinstance(owner, (types.ModuleType, type)) else \
            f"@{fingerprint(owner, seen)}"
        return f"callable:{module}.{qualname}{bound}"
    raise Unkeyable(value)



def _user_function(fn: types.FunctionType, seen: set[int]) -> str:
    """A user's function by its code, defaults, closure and the globals its code reads."""
    label = f"function:{fn.__module__}.{fn.__qualname__}"
    if id(fn) in seen:
        return label
    seen.add(id(fn))
    parts = [label, hashlib.sha256(marshal.dumps(fn.__code__)).hexdigest()]
    parts.append(fingerprint(fn.__defaults__, seen))
    for cell in fn.__closure__ or ():
        try:
            parts.append(fingerprint(cell.cell_contents, seen))
        except ValueError:  # an empty cell
            parts.append("<empty>")
    for name in _code_names(fn.__code__):
        if name in fn.__globals__:
            parts.append(f"{name}={fingerprint(fn.__globals__[name], seen)}")
    return "[" + ";".join(parts) + "]"


def _code_names(code: types.CodeType) -> list[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.update(_code_names(const))
    return sorted(names)


def _user_rules() -> list[str]:
    """Rules registered outside adjoint: they change what the compiler emits."""
    from . import rules

    out = []
    for table in ("VJP", "JVP"):
        for rule in list(getattr(rules, table, {}).values()):
            module = getattr(rule.fn, "__module__", "") or ""
            if module == "adjoint" or module.startswith("adjoint."):
                continue
            out.append(f"{table}:{fingerprint(rule.key)}:{fingerprint(rule.fn)}")
    for key in list(getattr(rules, "NONDIFF", ())):
        try:
            out.append(f"NONDIFF:{fingerprint(key)}")
        except Unkeyable:
            out.append(f"NONDIFF:{type(key).__qualname__}")
    return sorted(out)


def key_for(fn: Any, primal: Any, kind: str, wrt: list[int], wrt_tuple: bool,
            types_: list[Any] | None, name: str) -> str | None:
    """The cache key of a derivative, or None when its inputs cannot be keyed."""
    if not enabled():
        return None
    try:
        material = {
            "format": FORMAT,
            "adjoint": [__version__, package_digest()],
            "numpy": np.__version__,
            "python": list(sys.version_info[:2]),
            "rules": _user_rules(),
            "function": [primal.filename, getattr(fn, "__module__", None),
                         getattr(fn, "__qualname__", None), primal.meta["source"]],
            "globals": {k: fingerprint(v) for k, v in sorted(primal.meta["globals_read"].items())},
            "derivative": [kind, list(wrt), wrt_tuple, name, repr(types_),
                           _split_calls()],
        }
    except Exception:  # noqa: BLE001 - whatever cannot be keyed is simply not cached
        return None
    text = json.dumps(material, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _split_calls() -> bool:
    """How calls of the user's functions are differentiated (it changes the code)."""
    from .transforms import reverse

    return reverse.SPLIT_CALLS


_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.py")


def _index_folder(create: bool) -> Path | None:
    """``index/`` under the cache folder, if both can be trusted (and it exists or is made)."""
    folder = cache_dir()
    if folder is None:
        return None
    index = folder / "index"
    if not create and not os.path.lexists(index):
        return None
    try:
        return trusted_folder(index)
    except UntrustedFile as exc:
        warn_once(f"folder:{index}", f"not using the cache index {exc}")
    except OSError as exc:
        warn_once(f"write:{folder}", f"cannot write to {folder} ({exc.strerror or exc}); "
                  "derivatives are not cached")
    return None


def _read(path: Path) -> bytes | None:
    """A cache file's bytes, or None (warning once) when it is missing or not trusted."""
    try:
        return read_trusted(path)
    except UntrustedFile as exc:
        warn_once(f"file:{path}", f"ignoring a cache file: {exc}")
    except OSError as exc:
        warn_once(f"file:{path}", f"ignoring a cache file: {path}: {exc.strerror or exc}")
    return None


def load(key: str, name: str, primal: Any) -> types.ModuleType | None:
    """The module cached under ``key``, or None when there is no sound entry.

    Only files of this user's that nobody else can write are read, and what runs is
    the module text that matched the checksum, never the file read again.
    """
    index = _index_folder(create=False)
    if index is None:
        return None
    raw = _read(index / f"{key}.json")
    if raw is None:
        return None
    try:
        entry = json.loads(raw.decode("utf-8"))
        if entry["format"] != FORMAT or entry["key"] != key or entry["function"] != name \
                or not _MODULE_NAME.fullmatch(entry["module"]):
            raise ValueError("the entry is not for this key")
        globals_read = primal.meta["globals_read"]
        constants = {c: globals_read[g] for c, g in entry["constants"].items()}
        module_file = index.parent / entry["module"]
    except (ValueError, KeyError, TypeError, AttributeError):
        warn_once(f"file:{index}/{key}.json", "rebuilding a damaged cache entry "
                  f"{index}/{key}.json")
        return None
    data = _read(module_file)
    if data is None:
        return None
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        warn_once(f"file:{module_file}", f"rebuilding {module_file}: it does not match "
                  "its checksum")
        return None
    try:
        text = data.decode("utf-8")  # what adjoint wrote and checksummed: valid UTF-8
        module = load_module(GeneratedModule(text, [name], constants), name)
    except Exception as exc:  # noqa: BLE001 - an entry that does not run is rebuilt
        warn_once(f"file:{module_file}", f"rebuilding {module_file}: it failed to load "
                  f"({type(exc).__name__}: {exc})")
        return None
    return module if hasattr(module, name) else None


def store(key: str, gm: GeneratedModule, module: types.ModuleType, primal: Any) -> None:
    """Record ``module`` (already written by the loader) as the entry for ``key``."""
    globals_read = primal.meta.get("globals_read", {})
    constants = {}
    for cname, value in gm.constants.items():
        gname = next((g for g, v in globals_read.items() if v is value), None)
        if gname is None:
            return  # an object we could not supply again from the key's inputs
        constants[cname] = gname
    index = _index_folder(create=True)
    filename = Path(module.__file__ or "<none>")
    if index is None or filename.name.endswith(">") \
            or filename.parent.resolve() != index.parent.resolve():
        return  # the module went to a private temporary folder: nothing to record
    entry = {
        "format": FORMAT,
        "key": key,
        "function": gm.function_names[0],
        "module": filename.name,
        "sha256": hashlib.sha256(gm.source.encode("utf-8")).hexdigest(),
        "constants": constants,
    }
    try:
        write_atomic(index / f"{key}.json", json.dumps(entry, indent=1, sort_keys=True) + "\n")
    except OSError as exc:
        warn_once(f"write:{index}", f"cannot write to {index} ({exc.strerror or exc}); "
                  "derivatives are not cached")


__all__ = ["Unkeyable", "enabled", "fingerprint", "key_for", "load", "package_digest", "store"]
