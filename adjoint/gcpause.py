"""Compiling without the cyclic garbage collector.

The IR is a large graph of small objects (every value points to its operation, every
operation to its block), built and dropped in bulk. Python's cyclic collector scans
every live object on each full collection, so with it running, compiling a function
of thousands of statements spends more time collecting than compiling, and the time
grows faster than the function. The collector is paused while a function is lowered
or derived, and runs once after (reference counting frees most objects anyway).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic collector in this block (nested uses are fine)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
