"""Backend: IR → gast → Python source → a module on disk."""

from .load import load_module, write_atomic
from .module import GeneratedModule, build_module, comment, default_header
from .trust import CacheWarning, cache_dir

__all__ = ["CacheWarning", "GeneratedModule", "build_module", "cache_dir", "comment",
           "default_header", "load_module", "write_atomic"]
