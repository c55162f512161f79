"""Which folders adjoint writes generated modules to, and which files there it trusts.

adjoint runs the code it writes, so the folder holding it is a security boundary:
a module or cache index that another user could have written would run in this
process. A folder is used only when it is owned by the current user and nobody
else may write to it; a file is read only when it is a regular file (not a
link, a FIFO or a device) with the same owner and no write access for anyone
else. Folders adjoint creates are ``0700`` and files ``0600``.

When the cache folder cannot be used (not ours, writable by others, read-only,
a file, or no home folder at all), or when ``ADJOINT_NO_CACHE=1``, generated
modules go to a private temporary folder made for this process and removed when
it exits; failing even that, they live in memory only (``linecache`` still
serves their text to ``inspect``, tracebacks and ``pdb``). Each such fallback
warns once per process with a :class:`CacheWarning`, never with a traceback.
"""

from __future__ import annotations

import atexit
import errno
import os
import shutil
import stat
import tempfile
import warnings
from pathlib import Path


class CacheWarning(UserWarning):
    """The cache folder (or a file in it) was not used; adjoint carried on without it."""


class UntrustedFile(Exception):
    """A file adjoint will not read code or cache entries from (the message says why)."""


_warned: set[str] = set()


def warn_once(key: str, message: str) -> None:
    """Issue ``message`` as a :class:`CacheWarning` the first time ``key`` is seen."""
    if key in _warned:
        return
    _warned.add(key)
    warnings.warn(f"adjoint: {message}", CacheWarning, stacklevel=3)


def caching_enabled() -> bool:
    """False when ``ADJOINT_NO_CACHE`` is set to anything but ``0`` or the empty string."""
    return os.environ.get("ADJOINT_NO_CACHE", "") in ("", "0")


def configured_cache_dir() -> Path:
    """The folder the cache should live in: ``$ADJOINT_CACHE_DIR`` or the user cache folder.

    Raises :class:`OSError` when there is no home folder to put it in.
    """
    env = os.environ.get("ADJOINT_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = os.path.join(Path.home(), ".cache")
        except (RuntimeError, KeyError) as exc:  # no HOME and no password entry
            raise OSError(errno.ENOENT, "no home folder") from exc
    return Path(base) / "adjoint"


def _owner_problem(st: os.stat_result) -> str | None:
    """Why a file or folder with this status is not trusted (None: it is)."""
    if not hasattr(os, "geteuid"):
        return None  # no POSIX owners and modes (Windows): the user profile is private
    if st.st_uid != os.geteuid():
        return f"it is owned by another user (uid {st.st_uid})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"other users may write to it (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def make_private_folder(path: Path) -> None:
    """Create ``path`` and its missing parents with mode 0700 (existing ones are kept)."""
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass  # made meanwhile by another process: checked below like any folder


def trusted_folder(path: Path) -> Path:
    """``path``, created if needed, after checking it is a folder only this user can write.

    Raises :class:`UntrustedFile` or :class:`OSError` saying why it cannot be used.
    """
    make_private_folder(path)
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise OSError(errno.ENOTDIR, "not a folder", str(path))
    problem = _owner_problem(st)
    if problem is not None:
        raise UntrustedFile(f"{path}: {problem}")
    return path


def cache_dir() -> Path | None:
    """The cache folder if it can be trusted and used, else None (after warning once)."""
    try:
        path = configured_cache_dir()
    except OSError:
        warn_once("no-home", "no home folder for the cache; generated modules go to a "
                  "private temporary folder and are not cached")
        return None
    try:
        return trusted_folder(path)
    except UntrustedFile as exc:
        warn_once(f"folder:{path}", f"not using the cache folder {exc}; generated modules go "
                  "to a private temporary folder (make the folder yours with mode 700, or "
                  "set ADJOINT_CACHE_DIR)")
    except OSError as exc:
        warn_once(f"folder:{path}", f"cannot use the cache folder {path}: "
                  f"{exc.strerror or exc}; generated modules go to a private temporary folder")
    return None


_private: dict[str, Path] = {}


def private_dir() -> Path | None:
    """A folder only this process uses (0700, removed at exit), or None if none can be made."""
    pid = str(os.getpid())
    if pid not in _private:
        try:
            folder = Path(tempfile.mkdtemp(prefix="adjoint-"))
        except OSError as exc:
            warn_once("no-private", f"cannot create a temporary folder ({exc.strerror or exc}); "
                      "generated modules live in memory only")
            return None
        _private[pid] = folder
        atexit.register(_remove_private, pid)
    return _private[pid]


def _remove_private(pid: str) -> None:
    if pid == str(os.getpid()) and pid in _private:
        shutil.rmtree(_private.pop(pid), ignore_errors=True)


def read_trusted(path: Path) -> bytes | None:
    """The bytes of ``path``, None if it does not exist.

    Raises :class:`UntrustedFile` when it is not a regular file of this user's that
    only they may write (a link, FIFO or device is never opened for reading), and
    :class:`OSError` when it cannot be read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UntrustedFile(f"{path}: it is a symbolic link") from None
        raise
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UntrustedFile(f"{path}: it is not a regular file")
        problem = _owner_problem(st)
        if problem is not None:
            raise UntrustedFile(f"{path}: {problem}")
        return fh.read()


__all__ = ["CacheWarning", "UntrustedFile", "cache_dir", "caching_enabled",
           "configured_cache_dir", "make_private_folder", "private_dir", "read_trusted",
           "trusted_folder", "warn_once"]
