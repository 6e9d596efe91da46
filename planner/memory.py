"""Building many long-lived objects (an estate of 50,000 VMs, 500,000 flows) without the cyclic garbage collector.

Each collection of the oldest generation walks every live object, and one runs each time the long-lived objects
grow by a quarter: building millions of pydantic objects ran four to five times slower with it than without (a
50,000-VM estate: 12.9 s of CPU against 3.0 s). These objects form no reference cycles; reference counting frees
them. After the build they are moved to the permanent generation (``gc.freeze``), so later collections skip them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_objects() -> Iterator[None]:
    """No cyclic GC inside; what was built is frozen on the way out (kept by later collections' scans)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
