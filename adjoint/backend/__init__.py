"""Backend: IR → gast → Python source → a module on disk."""

from .load import cache_dir, load_module, write_atomic
from .module import GeneratedModule, build_module, default_header

__all__ = ["GeneratedModule", "build_module", "cache_dir", "default_header", "load_module",
           "write_atomic"]
