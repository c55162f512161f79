"""Peak memory of one call, for tests that compare what two derivatives keep."""

from __future__ import annotations

import tracemalloc


def peak(fn, *args) -> int:
    """Bytes allocated at the peak of ``fn(*args)`` (after a first call that compiles)."""
    fn(*args)
    tracemalloc.start()
    fn(*args)
    top = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return top
